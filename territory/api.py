"""API: municipalities (ОКТМО) with their regions and child population by age."""

from typing import Any

from django.shortcuts import get_object_or_404
from ninja import Field, ModelSchema, Query, Router, Schema

from accounts.api_auth import PUBLIC
from core.api import INVALID, NOT_FOUND, Page, PageQuery, QuerySchema, paginate
from territory.models import ChildPopulation, Municipality, Region

# --- Municipalities ---------------------------------------------------------------------------

router = Router(tags=["Территории"], auth=PUBLIC)


class RegionOut(ModelSchema):
    """Субъект Российской Федерации."""

    class Meta:
        model = Region
        fields = ["uuid", "code", "name", "updated_at"]


class MunicipalityRefOut(ModelSchema):
    class Meta:
        model = Municipality
        fields = ["oktmo", "name"]


class MunicipalityOut(ModelSchema):
    """Муниципальное образование."""

    region: RegionOut

    class Meta:
        model = Municipality
        fields = ["uuid", "oktmo", "name", "kind", "updated_at"]


class AgeCountOut(Schema):
    age: int = Field(description="Возраст, полных лет")
    count: int = Field(description="Численность детей этого возраста")


class MunicipalityDetailOut(MunicipalityOut):
    """Муниципальное образование с численностью детей по возрастам на 1 января года."""

    population_year: int | None = Field(description="Год, на 1 января которого дана численность; null — данных нет")
    population: list[AgeCountOut] = Field(description="Численность детей по годам возраста")
    children_total: int = Field(description="Всего детей")


class MunicipalityQuery(PageQuery):
    region: str | None = Field(None, pattern=r"^\d{2}$", description="Код субъекта РФ, две цифры")


class PopulationQuery(QuerySchema):
    year: int | None = Field(
        None, ge=2000, le=2100, description="Год численности; по умолчанию — последний, за который есть данные"
    )


@router.get("/municipalities", response=Page[MunicipalityOut], summary="Муниципалитеты")
def list_municipalities(request: Any, query: Query[MunicipalityQuery]) -> dict[str, Any]:
    municipalities = Municipality.objects.select_related("region").order_by("name", "id")
    if query.region:
        municipalities = municipalities.filter(region__code=query.region)
    return paginate(municipalities, query)


@router.get(
    "/municipalities/{oktmo}",
    response={200: MunicipalityDetailOut, **NOT_FOUND, **INVALID},
    summary="Муниципалитет и численность детей",
)
def get_municipality(request: Any, oktmo: str, query: Query[PopulationQuery]) -> dict[str, Any]:
    municipality = get_object_or_404(Municipality.objects.select_related("region"), oktmo=oktmo)
    cells = ChildPopulation.objects.filter(municipality=municipality)
    year = query.year or cells.order_by("-year").values_list("year", flat=True).first()
    population = list(cells.filter(year=year).order_by("age").values("age", "count")) if year else []
    return {
        **MunicipalityOut.model_validate(municipality).model_dump(),
        "population_year": year if population else None,
        "population": population,
        "children_total": sum(cell["count"] for cell in population),
    }
