"""Demo registry: the children organizations entered over the years, with their enrollments,
the municipalities' contingent figures, career-lesson participation and the roadmap targets.

Children follow their birth cohort in the population figures: most start a program between
five and ten and stay for years, some in two programs at once, so coverage by year emerges from
the enrollments instead of being written down.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Sum

from accounts.models import User
from catalog.models import Direction, Group, ModerationStatus, Program
from enrollment.models import Application, ApplicationSource, ApplicationStatus
from monitoring.models import CareerLessonVisit, IndicatorCode, Target
from people.demo import BOY_NAMES, GIRL_NAMES, MALE_NAMES, NameMaker
from people.models import Child
from territory.demo import POPULATION_YEARS_BACK, DemoRandom, Place
from territory.models import ChildPopulation, Contingent, Region

BATCH = 2000
# Where children go, as the regional statistics publish it (1-ДОП: arts first, then social, sport).
DIRECTION_WEIGHTS = (
    (Direction.ARTS, 0.29),
    (Direction.SOCIAL, 0.2),
    (Direction.SPORT, 0.22),
    (Direction.TECHNICAL, 0.14),
    (Direction.NATURAL_SCIENCE, 0.08),
    (Direction.TOURISM, 0.07),
)
ROADMAP = "Дорожная карта «Успех каждого ребенка» (seeds/001)"
ROADMAP_TARGETS = {
    IndicatorCode.CAREER_LESSONS: {2019: 30, 2020: 45, 2021: 55, 2022: 65, 2023: 75, 2024: 85},
    IndicatorCode.OVZ: {2020: 34, 2021: 45, 2022: 52, 2023: 64, 2024: 70},
    IndicatorCode.COVERAGE: {2024: 80},
    IndicatorCode.TECH_SCIENCE: {2024: 27},
}
CAREER_LESSONS = ("«Проектория»: открытый урок", "«Шоу профессий»", "Урок цифры")


@dataclass
class Registry:
    children: int
    enrollments: int
    career_visits: int


class _Seats:
    """Free seats of this year's groups, taken by the children still enrolled."""

    def __init__(self, programs: Sequence[Program]) -> None:
        self.groups: dict[int, list[Group]] = {p.pk: list(p.groups.all()) for p in programs}
        self.taken: dict[int, int] = {g.pk: g.seats_taken for gs in self.groups.values() for g in gs}

    def take(self, program: Program) -> Group | None:
        for group in self.groups[program.pk]:
            if self.taken[group.pk] < group.capacity:
                self.taken[group.pk] += 1
                return group
        return None


def create_registry(
    rng: DemoRandom, names: NameMaker, places: Sequence[Place], today: date, entered_by: User, share: float = 1.0
) -> Registry:
    """Children of every cohort counted in the last years, `share` of them (1.0: as many as the
    organizations really teach; less for a quick demo whose coverage is then lower)."""
    programs = list(Program.objects.filter(status=ModerationStatus.PUBLISHED).prefetch_related("groups").order_by("pk"))
    by_place: dict[tuple[int, str], list[Program]] = defaultdict(list)
    for program in programs:
        by_place[(program.municipality_id, program.direction)].append(program)
    seats = _Seats(programs)
    cohorts = _cohorts(places, today)
    children: list[Child] = []
    spans: list[tuple[int, Program, date, date | None]] = []  # (child index, program, enrolled, left)
    for place in places:
        for birth_year, size in cohorts[place.municipality.pk].items():
            # Later cohorts start earlier and more of them are reached: coverage grows year by year.
            reach = min(0.93, 0.72 + 0.012 * (birth_year - 2004))
            for _ in range(round(size * reach * share)):
                found = _enrollment_spans(rng, by_place, place, birth_year, today)
                if not found:
                    continue  # organizations enter the children they teach: no study, no record
                children.append(_child(rng, names, place, birth_year))
                spans.extend((len(children) - 1, program, start, end) for program, start, end in found)
    Child.objects.bulk_create(children, batch_size=BATCH)
    applications = []
    for index, (child_index, program, start, end) in enumerate(spans):
        group = seats.take(program) if end is None else program.groups.all()[0] if program.groups.all() else None
        if group is None:
            continue  # this year's groups are full: the child is on no list this year
        applications.append(
            Application(
                code=rng.code(Application.CODE_PREFIX),
                uuid=rng.uuid4(),
                child=children[child_index],
                applicant=entered_by,
                program=program,
                group=group,
                status=ApplicationStatus.ENROLLED if end is None else ApplicationStatus.EXPELLED,
                enrolled_on=start,
                left_on=end,
                reason="" if end is None else "Завершил(а) обучение по программе",
                source=ApplicationSource.IMPORT,
                idempotency_key=f"demo-registry-{index}",
            )
        )
    Application.objects.bulk_create(applications, batch_size=BATCH)
    changed = [g for gs in seats.groups.values() for g in gs if seats.taken[g.pk] != g.seats_taken]
    for group in changed:
        group.seats_taken = seats.taken[group.pk]
    Group.objects.bulk_update(changed, ["seats_taken"], batch_size=BATCH)
    visits = _career_visits(rng, children, today)
    CareerLessonVisit.objects.bulk_create(visits, batch_size=BATCH)
    _contingents(rng, places, children, today)
    return Registry(children=len(children), enrollments=len(applications), career_visits=len(visits))


def _cohorts(places: Sequence[Place], today: date) -> dict[int, dict[int, int]]:
    """Municipality → birth year → children of the cohorts aged 5–17 in a year the trend shows,
    from the population figures of the current year."""
    rows = ChildPopulation.objects.filter(
        municipality__in=[p.municipality for p in places], year=today.year
    ).values_list("municipality", "age", "count")
    result: dict[int, dict[int, int]] = defaultdict(dict)
    first_birth_year = today.year - POPULATION_YEARS_BACK - 18
    for municipality, age, count in rows:
        if age >= 5:
            result[municipality][today.year - age - 1] = count
    # Cohorts that have turned 18 since the first year shown: as large as the oldest one today.
    for cohorts in result.values():
        oldest = min(cohorts)
        for birth_year in range(first_birth_year, oldest):
            cohorts[birth_year] = cohorts[oldest]
    return result


def _child(rng: DemoRandom, names: NameMaker, place: Place, birth_year: int) -> Child:
    female = rng.random() < 0.49
    surnames = names.surname_pair(names.adult(female=False).last)
    father = rng.choice(MALE_NAMES)
    has_ovz = rng.random() < 0.035
    return Child(
        uuid=rng.uuid4(),
        last_name=surnames[1] if female else surnames[0],
        first_name=rng.choice(GIRL_NAMES) if female else rng.choice(BOY_NAMES),
        patronymic=father[2] if female else father[1],
        birth_date=date(birth_year, 1, 1) + timedelta(days=rng.randint(0, 364)),
        sex=Child.Sex.FEMALE if female else Child.Sex.MALE,
        municipality=place.municipality,
        has_ovz=has_ovz,
        has_disability=has_ovz and rng.random() < 0.3,
    )


def _enrollment_spans(
    rng: DemoRandom, by_place: dict[tuple[int, str], list[Program]], place: Place, birth_year: int, today: date
) -> list[tuple[Program, date, date | None]]:
    """One or two stretches of study: from a September to a May some years later, or until now."""
    spans: list[tuple[Program, date, date | None]] = []
    first_start_age = rng.randint(5, 9) if birth_year >= 2012 else rng.randint(6, 11)
    for stretch in range(rng.weighted(((1, 0.55), (2, 0.35), (3, 0.1)))):
        start_year = birth_year + first_start_age + stretch * rng.randint(0, 3)
        end_year = start_year + rng.randint(1, 6)
        if start_year >= today.year or end_year < today.year - POPULATION_YEARS_BACK:
            continue
        direction = rng.weighted(DIRECTION_WEIGHTS)
        options = by_place.get((place.municipality.pk, direction)) or by_place.get(
            (place.municipality.pk, Direction.ARTS)
        )
        if not options:
            continue
        program = rng.choice(options)
        if any(program is chosen for chosen, _, _ in spans):
            continue  # one child, one program: a second stretch goes elsewhere or nowhere
        start = date(start_year, 9, 1) + timedelta(days=rng.randint(0, 20))
        end = date(end_year, 5, 31)
        spans.append((program, start, None if end >= today else end))
    return spans


def _career_visits(rng: DemoRandom, children: Sequence[Child], today: date) -> list[CareerLessonVisit]:
    """Open lessons of this year (participation lists are loaded from this year on), school-age children."""
    visits = []
    for child in children:
        if 7 <= today.year - child.birth_date.year <= 17 and rng.random() < 0.8:
            held_on = date(today.year, rng.randint(1, max(1, today.month - 1)), 15)
            visits.append(CareerLessonVisit(child=child, held_on=held_on, title=rng.choice(CAREER_LESSONS)))
    return visits


def _contingents(rng: DemoRandom, places: Sequence[Place], children: Sequence[Child], today: date) -> None:
    """Children with ОВЗ and school pupils per municipality and year, as the municipality reports them."""
    population = {
        (row["municipality"], row["year"]): row["total"]
        for row in ChildPopulation.objects.filter(age__gte=5)
        .values("municipality", "year")
        .annotate(total=Sum("count"))
    }
    pupils = {
        (row["municipality"], row["year"]): row["total"]
        for row in ChildPopulation.objects.filter(age__gte=7)
        .values("municipality", "year")
        .annotate(total=Sum("count"))
    }
    rows = []
    for place in places:
        for year in range(today.year - POPULATION_YEARS_BACK, today.year + 1):
            total = population.get((place.municipality.pk, year))
            if total is None:
                continue
            rows.append(
                Contingent(
                    municipality=place.municipality,
                    year=year,
                    children_with_ovz=round(total * rng.uniform(0.045, 0.055)),
                    # Pupils are reported with the career-lesson lists, loaded from this year on.
                    school_pupils=round(pupils[(place.municipality.pk, year)] * rng.uniform(0.93, 0.97))
                    if year == today.year
                    else None,
                )
            )
    Contingent.objects.bulk_create(rows, batch_size=BATCH)


def create_targets(region: Region) -> int:
    targets = [
        Target(indicator=indicator, region=region, year=year, percent=Decimal(value), source=ROADMAP)
        for indicator, values in ROADMAP_TARGETS.items()
        for year, value in values.items()
    ]
    Target.objects.bulk_create(targets)
    return len(targets)


def delete_monitoring() -> None:
    Target.objects.all().delete()
    CareerLessonVisit.objects.all().delete()
    Contingent.objects.all().delete()
