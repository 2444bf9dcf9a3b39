"""Actions and read models of monitoring: targets set by the region, figures for the dashboard."""

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar, cast

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from core import audit
from monitoring import indicators
from monitoring.indicators import Figures
from monitoring.models import IndicatorCode, Target
from monitoring.territories import Territory, may_set_targets
from territory.models import Municipality, Region

T = TypeVar("T")

TREND_YEARS = 6


@transaction.atomic
def set_target(
    actor: Any,
    *,
    indicator: str,
    region: Region,
    year: int,
    percent: str | Decimal,
    municipality: Municipality | None = None,
    source: str = "",
) -> Target:
    """Set (or change) the target of an indicator for a region or one of its municipalities."""
    if not may_set_targets(actor, region):
        raise PermissionDenied("Целевые значения задаёт оператор регионального модельного центра.")
    if indicator not in IndicatorCode.values:
        raise ValidationError({"indicator": "Такого показателя нет."})
    if municipality is not None and municipality.region_id != region.pk:
        raise ValidationError({"municipality": "Муниципалитет относится к другому региону."})
    value = _target_percent(percent)
    target = Target.objects.filter(indicator=indicator, region=region, municipality=municipality, year=year).first()
    target = target or Target(indicator=indicator, region=region, municipality=municipality, year=year)
    previous = None if target.pk is None else str(target.percent)
    # A new value for the same year replaces the old one; an empty «основание» keeps the old document.
    target.percent, target.source = value, source.strip() or target.source
    target.updated_by = actor if getattr(actor, "is_authenticated", False) else None
    target.full_clean()
    target.save()
    audit.record(actor, "target.set", target, indicator=indicator, year=year, percent=str(target.percent), was=previous)
    return target


PERCENT_FORMAT = "Целевое значение — число процентов от 0 до 100, не больше одного знака после запятой: 75 или 72,5."


def _target_percent(percent: str | Decimal) -> Decimal:
    """The percent as written, refused rather than rounded: a target is copied from a document."""
    try:
        value = Decimal(str(percent).replace(",", ".").strip())
    except InvalidOperation:
        raise ValidationError({"percent": PERCENT_FORMAT}) from None
    if not value.is_finite() or not 0 <= value <= 100 or value != value.quantize(Decimal("0.1")):
        raise ValidationError({"percent": PERCENT_FORMAT})
    return value.quantize(Decimal("0.1"))


def targets_of(territory: Territory) -> dict[tuple[str, int], Decimal]:
    """(indicator, year) → target percent: the municipality's own, else the region's."""
    rows = Target.objects.filter(region=territory.region, municipality__isnull=True)
    result = {(t.indicator, t.year): t.percent for t in rows}
    if territory.municipality is not None:
        own = Target.objects.filter(municipality=territory.municipality)
        result.update({(t.indicator, t.year): t.percent for t in own})
    return result


def figures(year: int, municipality_ids: tuple[int, ...]) -> dict[int, Figures]:
    """Per-municipality figures of a year, cached briefly: a regional dashboard at a million
    children is a few seconds of database work, and figures move slowly."""
    return _cached("figures", year, municipality_ids, indicators.figures_by_municipality)


def children_by_kind_and_funding(year: int, municipality_ids: tuple[int, ...]) -> tuple[dict[str, int], dict[str, int]]:
    """The territory's children per organization kind and per funding, cached as the figures are."""
    return _cached("kinds-funding", year, municipality_ids, indicators.children_by_kind_and_funding)


def children_by_organization(year: int, municipality_ids: tuple[int, ...]) -> dict[int, int]:
    """The territory's children per organization, the most first, cached as the figures are."""
    return _cached("organizations", year, municipality_ids, indicators.children_by_organization)


# Bumped when children were merged or a list applied: a region's and its municipality's figures are
# cached apart, and must not disagree for minutes about the children an operator has just changed.
GENERATION_KEY = "monitoring:generation"


def figures_changed() -> None:
    """The registry changed in bulk or by an operator's decision: the next dashboards recount."""
    transaction.on_commit(lambda: cache.set(GENERATION_KEY, time.time_ns(), None))


def _cached(name: str, year: int, municipality_ids: tuple[int, ...], compute: Callable[[int, tuple[int, ...]], T]) -> T:
    digest = hashlib.sha1(",".join(map(str, municipality_ids)).encode(), usedforsecurity=False).hexdigest()
    key = f"monitoring:{name}:{year}:{digest}:{cache.get(GENERATION_KEY, 0)}"
    cached = cache.get(key)
    if cached is None:
        cached = compute(year, municipality_ids)
        cache.set(key, cached, settings.OPORA_INDICATOR_CACHE_SECONDS)
    return cast(T, cached)


@dataclass
class IndicatorRow:
    code: str
    definition: indicators.Definition
    value: Decimal | None
    numerator: int
    denominator: int | None
    target: Decimal | None
    trend: list[tuple[int, Decimal | None, Decimal | None]]  # (year, value, target)

    @property
    def reached(self) -> bool | None:
        if self.value is None or self.target is None:
            return None
        return self.value >= self.target


def indicator_rows(territory: Territory, year: int) -> list[IndicatorRow]:
    """Each indicator of the territory for the year, with its target and the trend of past years."""
    targets = targets_of(territory)
    years = list(range(year - TREND_YEARS + 1, year + 1))
    totals = {y: indicators.total(figures(y, territory.municipality_ids).values()) for y in years}
    rows = []
    for code in IndicatorCode.values:
        numerator, denominator = totals[year].fraction(code)
        rows.append(
            IndicatorRow(
                code=code,
                definition=indicators.DEFINITIONS[IndicatorCode(code)],
                value=totals[year].percent(code),
                numerator=numerator,
                denominator=denominator,
                target=targets.get((code, year)),
                trend=[(y, totals[y].percent(code), targets.get((code, y))) for y in years],
            )
        )
    return rows
