"""The dashboard's tables, each defined once: the page shows it and the XLSX export writes it."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, QuerySet
from django.utils.formats import number_format

from catalog.models import Direction, FundingSource, Organization, OrganizationKind
from enrollment import search_alerts
from enrollment.models import Application
from monitoring import indicators, services
from monitoring.models import IndicatorCode
from monitoring.territories import Territory
from territory.models import Municipality


@dataclass
class Table:
    slug: str
    title: str
    headers: list[str]
    rows: list[list[Any]]
    note: str = ""
    # Links of the first column on the page (not in the workbook).
    links: list[str] = field(default_factory=list)
    empty: str = "За этот год данных нет."  # said on the page when there are no rows


def _share(part: int, whole: int | None) -> Decimal | None:
    return indicators.percent(part, whole)


def indicator_table(territory: Territory, year: int) -> Table:
    rows = [
        [
            row.definition.title,
            row.value,
            row.target,
            row.numerator,
            row.denominator,
            f"Числитель: {row.definition.numerator} Знаменатель: {row.definition.denominator}",
        ]
        for row in services.indicator_rows(territory, year)
    ]
    return Table(
        "indicators",
        f"Показатели: {territory.name}, {year}",
        ["Показатель", "Значение, %", "Цель, %", "Числитель", "Знаменатель", "Как считается"],
        rows,
    )


def comparison_table(territory: Territory, year: int) -> Table:
    """Municipalities of the territory side by side, each against its own or the region's target."""
    figures = services.figures(year, territory.municipality_ids)
    targets = services.targets_of(territory)
    municipalities = {m.pk: m for m in territory.region.municipalities.filter(pk__in=territory.municipality_ids)}
    rows = []
    for pk in sorted(municipalities, key=lambda pk: municipalities[pk].name):
        f = figures.get(pk, indicators.Figures())
        rows.append(
            [
                municipalities[pk].name,
                f.population or None,  # no population loaded for the year: «нет данных», not 0
                f.covered,
                f.percent(IndicatorCode.COVERAGE),
                f.percent(IndicatorCode.TECH_SCIENCE),
                f.percent(IndicatorCode.OVZ),
                f.percent(IndicatorCode.CAREER_LESSONS),
            ]
        )
    coverage_target = targets.get((IndicatorCode.COVERAGE, year))
    note = f"Цель по охвату на {year} год: {number_format(coverage_target)} %." if coverage_target is not None else ""
    return Table(
        "municipalities",
        f"Сравнение муниципалитетов, {year}",
        [
            "Муниципалитет",
            "Детей 5–17 лет",
            "Охвачено детей",
            "Охват, %",
            "Тех. и ест.-науч., %",
            "ОВЗ, %",
            "Профориентация, %",
        ],
        rows,
        note=note,
    )


def direction_table(territory: Territory, year: int) -> Table:
    total = indicators.total(services.figures(year, territory.municipality_ids).values())
    rows = [[label, total.by_direction[value], total.direction_percent(value)] for value, label in Direction.choices]
    return Table(
        "directions",
        f"Охват по направленностям, {year}",
        ["Направленность", "Детей", "% от детей 5–17 лет"],
        rows,
        note="Ребёнок в программах двух направленностей учтён в обеих строках, в итоге охвата — один раз.",
    )


def _share_rows(territory: Territory, year: int, counts: dict[str, int], labels: dict[str, str]) -> list[list[Any]]:
    population = indicators.total(services.figures(year, territory.municipality_ids).values()).population
    return [[labels.get(key, key), children, _share(children, population)] for key, children in counts.items()]


def organization_kind_table(territory: Territory, year: int) -> Table:
    kinds, _ = services.children_by_kind_and_funding(year, territory.municipality_ids)
    return Table(
        "organization-kinds",
        f"Охват по типам организаций, {year}",
        ["Тип организации", "Детей", "% от детей 5–17 лет"],
        _share_rows(territory, year, kinds, dict(OrganizationKind.choices)),
    )


def funding_table(territory: Territory, year: int) -> Table:
    _, funding = services.children_by_kind_and_funding(year, territory.municipality_ids)
    return Table(
        "funding",
        f"Охват по источникам финансирования, {year}",
        ["Источник", "Детей", "% от детей 5–17 лет"],
        _share_rows(territory, year, funding, dict(FundingSource.choices)),
        note="Источник зачисления — первый из источников программы: бюджет, затем сертификат, затем платно.",
    )


def organization_table(territory: Territory, year: int) -> Table:
    counts = services.children_by_organization(year, territory.municipality_ids)
    # Columns, not instances: a region's table names thousands of organizations.
    found = Organization.objects.filter(pk__in=list(counts)).values_list("pk", "code", "short_name", "kind")
    organizations = {pk: (code, name, kind) for pk, code, name, kind in found}
    kinds = dict(OrganizationKind.choices)
    rows, links = [], []
    for pk, children in counts.items():
        code, name, kind = organizations[pk]
        rows.append([name, kinds.get(kind, kind), children])
        links.append(code)
    return Table(
        "organizations",
        f"Организации по числу охваченных детей, {year}",
        ["Организация", "Тип", "Детей 5–17 лет (живущих на территории)"],
        rows,
        links=links,
    )


def organization_enrollments(organization: Organization, year: int) -> QuerySet[Application]:
    """Enrollments of the organization active during the year, whoever the children are."""
    return indicators.active_between(date(year, 1, 1), date(year, 12, 31)).filter(program__organization=organization)


def organization_program_table(organization: Organization, year: int) -> Table:
    rows = (
        organization_enrollments(organization, year)
        .values("program__code", "program__title", "program__direction")
        .annotate(children=Count("child", distinct=True))
        .order_by("-children", "program__title")
    )
    directions = dict(Direction.choices)
    return Table(
        "programs",
        f"{organization.short_name}: программы, {year}",
        ["Программа", "Код", "Направленность", "Детей"],
        [[r["program__title"], r["program__code"], directions[r["program__direction"]], r["children"]] for r in rows],
    )


def organization_children_table(organization: Organization, year: int) -> Table:
    enrollments = (
        organization_enrollments(organization, year)
        .select_related("child", "program", "group")
        .order_by("child__last_name", "child__first_name", "enrolled_on")
    )
    rows = [
        [
            a.child.full_name,
            a.child.birth_date,
            a.program.title,
            a.group.name if a.group else "",
            a.enrolled_on,
            a.left_on,
        ]
        for a in enrollments
    ]
    return Table(
        "children",
        f"{organization.short_name}: обучающиеся, {year}",
        ["Ребёнок", "Дата рождения", "Программа", "Группа", "Зачислен", "Отчислен"],
        rows,
    )


def demand_table(territory: Territory, year: int) -> Table:
    """What families of the territory look for and wait to see published (enrollment.search_alerts.demand): the
    searches they keep alerts for, now — whatever the year chosen."""
    names = dict(Municipality.objects.values_list("oktmo", "name"))
    rows = [
        [f"«{d.words}»", names.get(d.municipality, d.municipality), d.families, d.found_now]
        for d in search_alerts.demand(territory.municipality_ids)
    ]
    return Table(
        "demand",
        "Что ищут семьи: подписки на новые программы",
        ["Поиск", "Муниципалитет", "Семей подписано", "Программ находит сейчас"],
        rows,
        "Поиски, о новых программах по которым семьи просят писать, по муниципалитетам (поиска, а если он не выбран, "
        f"— семьи): сначала те, где семей больше; поиск меньше чем {search_alerts.MIN_FAMILIES} семей не "
        "показан. «0» — семьи ждут того, чего на территории нет.",
        empty=f"Нет поисков, на новые программы по которым подписались хотя бы {search_alerts.MIN_FAMILIES} семьи.",
    )


DASHBOARD_TABLES = {
    "indicators": indicator_table,
    "municipalities": comparison_table,
    "directions": direction_table,
    "organization-kinds": organization_kind_table,
    "funding": funding_table,
    "organizations": organization_table,
    "demand": demand_table,
}
