"""The REST API under /api/v1/, documented at /api/docs (OpenAPI generated from the schemas)."""

from ninja import NinjaAPI

api = NinjaAPI(
    title="Опора API",
    version="1",
    description="Навигатор дополнительного образования: муниципалитеты, организации, программы, группы.",
    urls_namespace="api",
)
