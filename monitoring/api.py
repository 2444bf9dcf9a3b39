"""API: indicators of a territory and year, their targets (set by the region).

Only operators who monitor a territory (municipal, regional, methodologist) reach it (403 for
others); a territory outside their scope is the `territory` parameter's error (422), as an object a
body names. Definitions are the ones the dashboard shows.
"""

from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from core.api import INPUT, INVALID, ErrorOut, QuerySchema, named_in_query
from enrollment.api import SIGNED_IN
from monitoring import services
from monitoring.indicators import Figures
from monitoring.models import IndicatorCode, Target
from monitoring.territories import Territory, territory_for
from territory.models import Municipality

router = Router(auth=SIGNED_IN, tags=["Мониторинг"])
TERRITORY = r"^(r-\d{2}|m-\d{8}(\d{3})?)$"
READ_ERRORS = {401: ErrorOut, 403: ErrorOut, **INVALID}


class IndicatorQuery(QuerySchema):
    territory: str | None = Field(
        None, pattern=TERRITORY, description="Территория: r-<код региона> или m-<ОКТМО>; по умолчанию первая доступная"
    )
    year: int = Field(default_factory=lambda: timezone.localdate().year, ge=2000, le=2100, description="Год")


class DefinitionOut(Schema):
    numerator: str = Field(description="Что в числителе")
    denominator: str = Field(description="Что в знаменателе")
    source: str = Field(description="Основание методики")


class IndicatorOut(Schema):
    code: str = Field(description="; ".join(f"{value} — {label}" for value, label in IndicatorCode.choices))
    title: str = Field(description="Название показателя")
    value: Decimal | None = Field(description="Значение, %; null — знаменатель неизвестен")
    numerator: int = Field(description="Числитель: различные дети")
    denominator: int | None = Field(description="Знаменатель")
    target: Decimal | None = Field(description="Целевое значение на год, %")
    definition: DefinitionOut


class MunicipalityFiguresOut(Schema):
    oktmo: str = Field(description="ОКТМО")
    name: str = Field(description="Муниципалитет")
    population: int = Field(description="Детей 5–17 лет на 1 января года")
    covered: int = Field(description="Охвачено детей 5–17 лет (каждый один раз)")
    tech_science: int = Field(description="Из них в программах технической и естественнонаучной направленности")
    ovz_covered: int = Field(description="Охвачено детей с ОВЗ")
    ovz_population: int | None = Field(description="Детей с ОВЗ 5–17 лет на территории")
    career_participants: int = Field(description="Участники открытых уроков по профориентации")
    school_pupils: int | None = Field(description="Обучающихся общеобразовательных организаций")
    by_direction: dict[str, int] = Field(description="Охвачено детей по направленностям (ребёнок — в каждой своей)")


class IndicatorsOut(Schema):
    territory: str = Field(description="Ключ территории")
    territory_name: str = Field(description="Название территории")
    year: int
    indicators: list[IndicatorOut]
    municipalities: list[MunicipalityFiguresOut] = Field(description="Те же числа по муниципалитетам территории")


def _territory(request, key: str | None) -> Territory:  # type: ignore[no-untyped-def]
    with named_in_query("territory", "Территория не найдена среди доступных вам."):
        return territory_for(request.auth, key)


@router.get("/indicators", response={200: IndicatorsOut, **READ_ERRORS}, summary="Показатели территории за год")
def indicators(request, query: Query[IndicatorQuery]):  # type: ignore[no-untyped-def]
    territory = _territory(request, query.territory)
    rows = services.indicator_rows(territory, query.year)
    figures = services.figures(query.year, territory.municipality_ids)
    municipalities = Municipality.objects.filter(pk__in=territory.municipality_ids).order_by("name")
    return {
        "territory": territory.key,
        "territory_name": territory.name,
        "year": query.year,
        "indicators": [
            {
                "code": r.code,
                "title": r.definition.title,
                "value": r.value,
                "numerator": r.numerator,
                "denominator": r.denominator,
                "target": r.target,
                "definition": r.definition,
            }
            for r in rows
        ],
        "municipalities": [
            {"oktmo": m.oktmo, "name": m.name, **vars(figures.get(m.pk, Figures()))} for m in municipalities
        ],
    }


class TargetOut(Schema):
    indicator: str
    municipality: str | None = Field(description="ОКТМО; null — цель всего региона")
    year: int
    percent: Decimal
    source: str
    updated_at: datetime

    @staticmethod
    def resolve_municipality(target: Target) -> str | None:
        return target.municipality.oktmo if target.municipality else None


class TargetIn(Schema):
    model_config = INPUT

    indicator: IndicatorCode = Field(description="Показатель")
    municipality: str | None = Field(None, pattern=r"^\d{8}(\d{3})?$", description="ОКТМО; пусто — весь регион")
    year: int = Field(ge=2000, le=2100)
    percent: Decimal = Field(ge=0, le=100, max_digits=4, decimal_places=1, description="Целевое значение, %")
    source: str = Field("", max_length=300, description="Основание (документ); пусто — прежнее основание")


class TargetsQuery(QuerySchema):
    territory: str | None = Field(None, pattern=TERRITORY, description="Территория; по умолчанию первая доступная")


@router.get("/targets", response={200: list[TargetOut], **READ_ERRORS}, summary="Целевые значения региона территории")
def targets(request, query: Query[TargetsQuery]):  # type: ignore[no-untyped-def]
    territory = _territory(request, query.territory)
    return Target.objects.filter(region=territory.region).select_related("municipality").order_by("indicator", "year")


@router.put(
    "/targets",
    response={200: TargetOut, **READ_ERRORS},
    summary="Задать целевое значение (оператор РМЦ)",
)
def set_target(request, body: TargetIn, query: Query[TargetsQuery]):  # type: ignore[no-untyped-def]
    territory = _territory(request, query.territory)
    municipality = None
    if body.municipality:
        municipality = Municipality.objects.filter(oktmo=body.municipality, region=territory.region).first()
        if municipality is None:
            raise ValidationError({"municipality": "Муниципалитет с таким кодом ОКТМО не найден в регионе."})
    return services.set_target(
        request.auth,
        indicator=body.indicator,
        region=territory.region,
        municipality=municipality,
        year=body.year,
        percent=body.percent,
        source=body.source,
    )
