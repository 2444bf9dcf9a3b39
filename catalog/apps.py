from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = "Навигатор: организации и программы"

    def ready(self) -> None:
        from catalog import permissions  # noqa: F401  (registers scope rules)
