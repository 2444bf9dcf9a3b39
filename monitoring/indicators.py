"""The indicators of «Успех каждого ребенка», defined once and computed from the registry.

Every number counts distinct children, never enrollments: a child in three programs is one
covered child. Children are placed in the municipality where they live, the same territory
as the population in the denominator. An enrollment counts for a year when it was active on
at least one day of that year (enrolled on or before 31 December and not expelled before
1 January); sport-training programs count like any other. Ages are full years on 1 January of
the year, the date of the population figures of the denominator.

The numbers of one year come from one SQL statement: it folds each child's enrollments into a
bit mask of directions, then counts children per (municipality, ОВЗ, mask). Any union of
directions is then a sum over masks, so the statement stays the same whatever the breakdown.
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, CharField, Count, QuerySet, Sum, Value, When

from catalog.models import Direction, Organization, OrganizationKind, Program
from core.dates import full_years
from enrollment.models import Application, ApplicationStatus
from monitoring.models import CareerLessonVisit, IndicatorCode
from monitoring.statform import EnrollmentFact
from people.models import Child
from territory.models import ChildPopulation, Contingent

# Until contracts (the finance module) say how each enrollment is paid, the program's first
# source in the order budget → certificate → paid stands for it.
FUNDING_ORDER = (("budget", "is_free"), ("certificate", "by_certificate"))
FUNDING_OTHERWISE = "paid"
FUNDING = Case(
    *(When(**{f"program__{column}": True}, then=Value(source)) for source, column in FUNDING_ORDER),
    default=Value(FUNDING_OTHERWISE),
    output_field=CharField(),
)


def _bits(values: Iterable[str]) -> dict[str, int]:
    """A bit for each value, to fold a child's values into one number."""
    return {value: 1 << index for index, value in enumerate(values)}


AGE_FROM, AGE_TO = 5, 17  # «от 5 до 18 лет», 18 not included
DIRECTION_BITS = _bits(Direction.values)
KIND_BITS = _bits(OrganizationKind.values)
FUNDING_BITS = _bits([*(source for source, _ in FUNDING_ORDER), FUNDING_OTHERWISE])
TECH_SCIENCE_MASK = DIRECTION_BITS[Direction.TECHNICAL] | DIRECTION_BITS[Direction.NATURAL_SCIENCE]
COUNTED_STATUSES = (ApplicationStatus.ENROLLED, ApplicationStatus.EXPELLED)


@dataclass(frozen=True)
class Definition:
    code: str
    title: str
    numerator: str
    denominator: str
    source: str


DEFINITIONS = {
    IndicatorCode.COVERAGE: Definition(
        IndicatorCode.COVERAGE,
        IndicatorCode.COVERAGE.label,
        "Дети 5–17 лет (от 5 до 18, 18 не включая), живущие на территории и зачисленные хотя бы на одну "
        "программу в течение года (включая спортивную подготовку); каждый ребёнок считается один раз.",
        "Численность детей 5–17 лет, проживающих на территории, на 1 января года (данные Росстата).",
        "Методика приказа Минпросвещения России от 15.04.2019 № 170",
    ),
    IndicatorCode.TECH_SCIENCE: Definition(
        IndicatorCode.TECH_SCIENCE,
        IndicatorCode.TECH_SCIENCE.label,
        "Дети 5–17 лет, зачисленные хотя бы на одну программу технической или естественнонаучной "
        "направленности в течение года; каждый ребёнок считается один раз.",
        "Численность детей 5–17 лет, проживающих на территории, на 1 января года.",
        "Федеральный проект «Успех каждого ребенка», целевое значение 27 % к 2024 году",
    ),
    IndicatorCode.OVZ: Definition(
        IndicatorCode.OVZ,
        IndicatorCode.OVZ.label,
        "Дети 5–17 лет с ОВЗ, зачисленные хотя бы на одну программу в течение года; каждый — один раз.",
        "Численность детей 5–17 лет с ОВЗ, проживающих на территории (данные муниципалитета о контингенте).",
        "Региональная дорожная карта: 34/45/52/64/70 % в 2020–2024 годах",
    ),
    IndicatorCode.CAREER_LESSONS: Definition(
        IndicatorCode.CAREER_LESSONS,
        IndicatorCode.CAREER_LESSONS.label,
        "Дети, принявшие участие хотя бы в одном открытом онлайн-уроке по профориентации в течение года; "
        "каждый — один раз (по загруженным спискам участников).",
        "Численность обучающихся общеобразовательных организаций территории (данные о контингенте).",
        "Региональная дорожная карта: 30/45/55/65/75/85 % в 2019–2024 годах",
    ),
}


@dataclass
class Figures:
    """The counts behind the indicators for one territory and year."""

    population: int = 0
    covered: int = 0
    tech_science: int = 0
    ovz_covered: int = 0
    ovz_population: int | None = None
    career_participants: int = 0
    school_pupils: int | None = None
    by_direction: dict[str, int] = field(default_factory=lambda: dict.fromkeys(Direction.values, 0))

    def add(self, other: "Figures") -> None:
        self.population += other.population
        self.covered += other.covered
        self.tech_science += other.tech_science
        self.ovz_covered += other.ovz_covered
        self.ovz_population = _plus(self.ovz_population, other.ovz_population)
        self.career_participants += other.career_participants
        self.school_pupils = _plus(self.school_pupils, other.school_pupils)
        for direction, count in other.by_direction.items():
            self.by_direction[direction] += count

    def fraction(self, code: str) -> tuple[int, int | None]:
        """(numerator, denominator) of an indicator; the denominator is None when it is unknown."""
        return {
            IndicatorCode.COVERAGE: (self.covered, self.population),
            IndicatorCode.TECH_SCIENCE: (self.tech_science, self.population),
            IndicatorCode.OVZ: (self.ovz_covered, self.ovz_population),
            IndicatorCode.CAREER_LESSONS: (self.career_participants, self.school_pupils),
        }[IndicatorCode(code)]

    def percent(self, code: str) -> Decimal | None:
        numerator, denominator = self.fraction(code)
        return percent(numerator, denominator)

    def direction_percent(self, direction: str) -> Decimal | None:
        return percent(self.by_direction[direction], self.population)


def percent(numerator: int, denominator: int | None) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(100 * numerator) / denominator).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _plus(a: int | None, b: int | None) -> int | None:
    return None if a is None and b is None else (a or 0) + (b or 0)


def birth_dates_counted(year: int) -> tuple[date, date]:
    """(born after, born on or before): the children aged 5–17 on 1 January of `year`."""
    reference = date(year, 1, 1)
    return reference.replace(year=year - AGE_TO - 1), reference.replace(year=year - AGE_FROM)


def _bits_sql(column: str, bits: dict[str, int]) -> str:
    """The bit of a row's value of `column` (0 for a value without one)."""
    return f"CASE {column} " + " ".join(f"WHEN '{value}' THEN {bit}" for value, bit in bits.items()) + " ELSE 0 END"


def _funding_bit_sql() -> str:
    """FUNDING as a bit: the program's first source in its order."""
    whens = " ".join(f"WHEN p.{column} THEN {FUNDING_BITS[source]}" for source, column in FUNDING_ORDER)
    return f"CASE {whens} ELSE {FUNDING_BITS[FUNDING_OTHERWISE]} END"


def _fold_sql(bit: str) -> str:
    # PostgreSQL ORs the bits; SQLite has no BIT_OR, but the sum of the distinct powers of two is
    # the same number.
    return f"BIT_OR({bit})" if connection.vendor == "postgresql" else f"SUM(DISTINCT {bit})"


def _per_child_masks(
    year: int,
    municipality_ids: Iterable[int] | None,
    child_columns: tuple[str, ...],
    masks: tuple[str, ...],
    *,
    with_organization: bool = False,
) -> list[tuple[Any, ...]]:
    """Children counted in `year` per (these columns of the child, these masks): each mask folds
    the bits of a child's enrollments into one number (an SQL expression over the program `p`,
    and its organization `o` when asked for)."""
    born_after, born_until = birth_dates_counted(year)
    params: list[Any] = [*COUNTED_STATUSES, date(year, 12, 31), date(year, 1, 1), born_after, born_until]
    territory = ""
    if municipality_ids is not None:
        ids = sorted(set(municipality_ids))
        if not ids:
            return []
        territory = f"AND c.municipality_id IN ({', '.join(['%s'] * len(ids))})"
        params.extend(ids)
    names = [f"c.{column} AS {column}" for column in child_columns]
    names += [f"{_fold_sql(mask)} AS mask{n}" for n, mask in enumerate(masks)]  # one aggregate per child
    keys = [*child_columns, *(f"mask{n}" for n in range(len(masks)))]
    organization = f"JOIN {Organization._meta.db_table} o ON o.id = p.organization_id" if with_organization else ""
    # Only table names, code constants and placeholders are interpolated; values go as parameters.
    sql = f"""
        WITH per_child AS (
            SELECT {", ".join(names)}
            FROM {Application._meta.db_table} a
            JOIN {Child._meta.db_table} c ON c.id = a.child_id
            JOIN {Program._meta.db_table} p ON p.id = a.program_id
            {organization}
            WHERE a.status IN (%s, %s) AND a.enrolled_on <= %s AND (a.left_on IS NULL OR a.left_on >= %s)
              AND c.birth_date > %s AND c.birth_date <= %s {territory}
            GROUP BY {", ".join(["c.id", *(f"c.{column}" for column in child_columns)])}
        )
        SELECT {", ".join(keys)}, COUNT(*) FROM per_child GROUP BY {", ".join(keys)}
    """  # noqa: S608
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A million children are grouped in memory; the default 4 MB would spill the hash to
            # disk. The planner also undervalues splitting the scan and the grouping between
            # workers here (measured on 2 cores: 3.7 s serial, 2.5 s parallel).
            cursor.execute("SET LOCAL work_mem = %s", [settings.OPORA_REPORT_WORK_MEM])
            cursor.execute("SET LOCAL parallel_setup_cost = 0")
            cursor.execute("SET LOCAL parallel_tuple_cost = 0")
        cursor.execute(sql, params)
        return cursor.fetchall()


def covered_by_mask(year: int, municipality_ids: Iterable[int] | None = None) -> list[tuple[int, bool, int, int]]:
    """Rows (municipality, has ОВЗ, direction mask, children) for the children counted in `year`."""
    rows = _per_child_masks(
        year, municipality_ids, ("municipality_id", "has_ovz"), (_bits_sql("p.direction", DIRECTION_BITS),)
    )
    return [(m, bool(ovz), mask, count) for m, ovz, mask, count in rows]


def children_by_kind_and_funding(year: int, municipality_ids: Iterable[int]) -> tuple[dict[str, int], dict[str, int]]:
    """Distinct children 5–17 counted in `year` per organization kind and per funding (a child
    in each of theirs), from one pass over the enrollments: two COUNT(DISTINCT) statements each
    sorted every enrollment of the territory (0.4 s at 150 000 enrollments)."""
    by_kind: dict[str, int] = defaultdict(int)
    by_funding: dict[str, int] = defaultdict(int)
    masks = (_bits_sql("o.kind", KIND_BITS), _funding_bit_sql())
    for kinds, fundings, children in _per_child_masks(year, municipality_ids, (), masks, with_organization=True):
        for counts, mask, bits in ((by_kind, kinds, KIND_BITS), (by_funding, fundings, FUNDING_BITS)):
            for value, bit in bits.items():
                if mask & bit:
                    counts[value] += children
    return _most_first(by_kind), _most_first(by_funding)


def _most_first(counts: dict[str, int]) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def figures_by_municipality(year: int, municipality_ids: Iterable[int] | None = None) -> dict[int, Figures]:
    """Every count of every indicator for each municipality (all of them when ids are not given)."""
    ids = None if municipality_ids is None else sorted(set(municipality_ids))
    result: dict[int, Figures] = defaultdict(Figures)
    for municipality, has_ovz, mask, children in covered_by_mask(year, ids):
        figures = result[municipality]
        figures.covered += children
        if mask & TECH_SCIENCE_MASK:
            figures.tech_science += children
        if has_ovz:
            figures.ovz_covered += children
        for direction, bit in DIRECTION_BITS.items():
            if mask & bit:
                figures.by_direction[direction] += children
    population = ChildPopulation.objects.filter(year=year, age__gte=AGE_FROM, age__lte=AGE_TO)
    contingents = Contingent.objects.filter(year=year)
    visits = CareerLessonVisit.objects.filter(held_on__year=year)
    if ids is not None:
        population = population.filter(municipality__in=ids)
        contingents = contingents.filter(municipality__in=ids)
        visits = visits.filter(child__municipality__in=ids)
    for row in population.values("municipality").annotate(total=Sum("count")):
        result[row["municipality"]].population = row["total"]
    for contingent in contingents:
        result[contingent.municipality_id].ovz_population = contingent.children_with_ovz
        result[contingent.municipality_id].school_pupils = contingent.school_pupils
    participants = visits.values("child__municipality").annotate(children=Count("child", distinct=True))
    for row in participants:
        result[row["child__municipality"]].career_participants = row["children"]
    return dict(result)


def total(figures: Iterable[Figures]) -> Figures:
    """The figures of a territory made of municipalities: each child lives in one, so sums are exact."""
    result = Figures()
    for item in figures:
        result.add(item)
    return result


def children_by_organization(year: int, municipality_ids: Iterable[int]) -> dict[int, int]:
    """Distinct children 5–17 counted in `year` per organization, the most first."""
    born_after, born_until = birth_dates_counted(year)
    rows = counted_enrollments(year, municipality_ids).filter(
        child__birth_date__gt=born_after, child__birth_date__lte=born_until
    )
    counts = rows.values("program__organization").annotate(children=Count("child", distinct=True))
    return {row["program__organization"]: row["children"] for row in counts.order_by("-children")}


def active_between(first: date, last: date) -> QuerySet[Application]:
    """Enrollments active on at least one day from `first` to `last`: enrolled by the last day and
    not expelled before the first."""
    return Application.objects.filter(status__in=COUNTED_STATUSES, enrolled_on__lte=last).exclude(left_on__lt=first)


def counted_enrollments(year: int, municipality_ids: Iterable[int]) -> QuerySet[Application]:
    """The enrollments of children living in the territory that were active during `year`."""
    return active_between(date(year, 1, 1), date(year, 12, 31)).filter(child__municipality__in=list(municipality_ids))


def form_facts(year: int, municipality_ids: Iterable[int]) -> Iterator[EnrollmentFact]:
    """Enrollments active on 31 December in the organizations of the territory, as facts of form
    1-ДОП (monitoring.statform): the form counts where children study, not where they live.

    A territory's form reads every enrollment, so the rows come as the driver returns them: Django's
    conversion of each value took longer than the query (as in catalog.search_index)."""
    last_day = date(year, 12, 31)
    age_date = date(year + 1, 1, 1)  # the form's ages: full years on 1 January of the next year
    rows = (
        active_between(last_day, last_day)
        .filter(program__organization__municipality__in=list(municipality_ids))
        .annotate(funding=FUNDING)
        .order_by()  # the applications' default order would sort every row of a count
        .values_list(
            "child_id",
            "program__organization_id",
            "child__sex",
            "child__birth_date",
            "child__has_ovz",
            "child__has_disability",
            "program__direction",
            "program__program_type",
            "funding",
            "program__is_network",
            "program__uses_distance_learning",
        )
    )
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(5000):
            for child, organization, sex, birth, ovz, disability, direction, kind, funding, network, distance in chunk:
                yield EnrollmentFact(
                    child_id=child,
                    organization_id=organization,
                    sex=sex,
                    age=full_years(birth, age_date),
                    # SQLite keeps a boolean as 0 or 1.
                    has_ovz=bool(ovz),
                    has_disability=bool(disability),
                    direction=direction,
                    program_type=kind,
                    funding=funding,
                    is_network=bool(network),
                    is_distance=bool(distance),
                )
