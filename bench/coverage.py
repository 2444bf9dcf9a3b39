"""`make bench-coverage`: the full indicator set by municipality × direction on PostgreSQL, for a
region of 1 000 000 children with 3 000 000 enrollments in 60 municipalities.

`seconds` is Opora's own computation (monitoring.indicators.figures_by_municipality: every count
of every indicator, by municipality and direction, read into Python); `sql_seconds` is one
hand-written statement that computes the same numbers the textbook way (COUNT(DISTINCT) over
GROUPING SETS). Both are checked to agree number for number; each time is the median of three
runs after a warm-up. The data is generated in the database (kept between runs; BENCH_FRESH=1
regenerates it).
"""

import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CHILDREN = int(os.environ.get("BENCH_CHILDREN", "1000000"))
ENROLLMENTS_PER_CHILD = 3
MUNICIPALITIES = 60
PROGRAMS_PER_MUNICIPALITY = 100
YEAR = 2025
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opora.settings")
os.environ.setdefault("OPORA_SECRET_KEY", "bench-only-not-secret")
os.environ.setdefault("OPORA_DEBUG", "0")
sys.path.insert(0, str(ROOT))

from bench.common import prepare_postgres  # noqa: E402


def generate() -> None:
    """Territory, catalog and registry at regional size; children and enrollments by SQL."""
    from django.db import connection, transaction

    from accounts.models import User
    from catalog.models import Direction, Group, Organization, OrganizationKind, Program
    from core.validators import inn_check_digits, ogrn_check_digit
    from territory.models import ChildPopulation, Contingent, Municipality, Region

    with transaction.atomic():
        region = Region.objects.create(code="97", name="Бенчмаркская область")
        municipalities = Municipality.objects.bulk_create(
            [Municipality(region=region, oktmo=f"97{n:06d}", name=f"Муниципалитет {n}") for n in range(MUNICIPALITIES)]
        )
        organizations = Organization.objects.bulk_create(
            [
                Organization(
                    code=f"OR-B{n:05d}",
                    full_name=f"Организация {n}",
                    short_name=f"Организация {n}",
                    kind=OrganizationKind.values[n % len(OrganizationKind.values)],
                    inn=inn_check_digits(f"97{n:07d}"),
                    ogrn=ogrn_check_digit(f"10297{n:07d}"),
                    municipality=municipalities[n % MUNICIPALITIES],
                    address="г. Бенчмарк",
                )
                for n in range(MUNICIPALITIES * 10)
            ]
        )
        directions = Direction.values
        programs = Program.objects.bulk_create(
            [
                Program(
                    code=f"PR-B{n:05d}",
                    # Programs of a municipality are consecutive: 100 per municipality, 10 per organization.
                    organization=organizations[n // PROGRAMS_PER_MUNICIPALITY + MUNICIPALITIES * (n % 10)],
                    municipality=municipalities[n // PROGRAMS_PER_MUNICIPALITY],
                    title=f"Программа {n}",
                    summary="Программа для бенчмарка",
                    direction=directions[(n * 7) % len(directions)],
                    age_from=5,
                    age_to=17,
                    hours_total=144,
                    duration_months=9,
                    level_basic=True,
                    is_free=n % 3 != 0,
                    by_certificate=n % 3 == 0,
                )
                for n in range(MUNICIPALITIES * PROGRAMS_PER_MUNICIPALITY)
            ]
        )
        Group.objects.bulk_create(
            [
                Group(
                    code=f"GR-B{n:05d}",
                    program=program,
                    name="Группа 1",
                    address="г. Бенчмарк",
                    academic_year=YEAR,
                    start_date=date(YEAR, 9, 1),
                    end_date=date(YEAR + 1, 5, 31),
                    capacity=500,  # the most a group may have (catalog.models.MAX_GROUP_CAPACITY)
                )
                for n, program in enumerate(programs)
            ]
        )
        per_age = CHILDREN // MUNICIPALITIES // 13
        ChildPopulation.objects.bulk_create(
            [
                ChildPopulation(municipality=m, year=year, age=age, count=int(per_age * 1.25))
                for m in municipalities
                for year in range(YEAR - 3, YEAR + 2)
                for age in range(18)
            ]
        )
        Contingent.objects.bulk_create(
            [
                Contingent(municipality=m, year=year, children_with_ovz=per_age * 13 // 20, school_pupils=per_age * 11)
                for m in municipalities
                for year in range(YEAR - 3, YEAR + 2)
            ]
        )
        operator = User.objects.create_user(email="bench-import@opora.test", password=None)
        first_municipality, first_program = municipalities[0].pk, programs[0].pk
        first_group = Group.objects.order_by("pk").values_list("pk", flat=True)[0]
    with connection.cursor() as cursor:
        print("дети…", flush=True)
        cursor.execute(
            """
            INSERT INTO people_child (created_at, updated_at, uuid, last_name, first_name, patronymic, birth_date,
                sex, municipality_id, has_ovz, has_disability, snils_cipher, snils_digest, birth_certificate_cipher,
                birth_certificate_digest)
            SELECT now(), now(), gen_random_uuid(), 'Фамилия' || (n %% 5000), 'Имя' || (n %% 300), '',
                   DATE '2004-01-01' + ((n::bigint * 7919) %% 7300)::int, CASE WHEN n %% 2 = 0 THEN 'm' ELSE 'f' END,
                   %s + (n %% %s), n %% 25 = 0, n %% 80 = 0, '', '', '', ''
            FROM generate_series(0, %s - 1) AS n
            """,
            [first_municipality, MUNICIPALITIES, CHILDREN],
        )
        print("зачисления…", flush=True)
        cursor.execute(
            """
            INSERT INTO enrollment_application (created_at, updated_at, uuid, code, child_id, applicant_id, program_id,
                organization_id, municipality_id, group_id, status, reason, idempotency_key, enrolled_on, left_on,
                source)
            SELECT now(), now(), gen_random_uuid(), 'AP-' || lpad(to_hex(e.n), 9, '0'), c.id, %s, p.id,
                   p.organization_id, p.municipality_id, %s + e.p,
                   CASE WHEN e.n %% 5 < 2 THEN 'expelled' ELSE 'enrolled' END, '', e.n::text,
                   e.start, CASE WHEN e.n %% 5 < 2 THEN e.start + (30 + e.n %% 600)::int END, 'import'
            FROM people_child c
            CROSS JOIN LATERAL (
                SELECT c.id * 3 + k AS n,
                       -- three different programs of the child's own municipality
                       ((c.municipality_id - %s) * %s + ((c.id * 37 + k * 29) %% %s)) AS p,
                       DATE '2021-09-01' + ((c.id * 13 + k * 101) %% 1850)::int AS start
                FROM generate_series(0, 2) AS k
            ) AS e
            JOIN catalog_program p ON p.id = %s + e.p
            """,
            [
                operator.pk,
                first_group,
                first_municipality,
                PROGRAMS_PER_MUNICIPALITY,
                PROGRAMS_PER_MUNICIPALITY,
                first_program,
            ],
        )
        print("участие в открытых уроках…", flush=True)
        cursor.execute(
            """
            INSERT INTO monitoring_careerlessonvisit (child_id, held_on, title)
            SELECT id, %s::date + (id %% 300)::int, 'Проектория' FROM people_child WHERE id %% 3 = 0
            """,
            [f"{YEAR}-01-10"],
        )
        cursor.execute("ANALYZE")


def hand_written(year: int) -> dict[tuple[int, str | None], tuple[int, ...]]:
    """One statement, written as an analyst would: distinct children over grouping sets."""
    from django.conf import settings
    from django.db import connection, transaction

    from monitoring.indicators import birth_dates_counted

    born_after, born_until = birth_dates_counted(year)
    sql = """
        WITH counted AS (
            SELECT DISTINCT a.child_id, c.municipality_id, c.has_ovz, p.direction
            FROM enrollment_application a
            JOIN people_child c ON c.id = a.child_id
            JOIN catalog_program p ON p.id = a.program_id
            WHERE a.status IN ('enrolled', 'expelled') AND a.enrolled_on <= %(last)s
              AND (a.left_on IS NULL OR a.left_on >= %(first)s)
              AND c.birth_date > %(born_after)s AND c.birth_date <= %(born_until)s
        ), by_cells AS (
            SELECT municipality_id, direction, COUNT(DISTINCT child_id) AS children,
                   COUNT(DISTINCT child_id) FILTER (WHERE has_ovz) AS ovz,
                   COUNT(DISTINCT child_id) FILTER (WHERE direction IN ('technical', 'natural_science')) AS tech
            FROM counted GROUP BY GROUPING SETS ((municipality_id, direction), (municipality_id))
        ), population AS (
            SELECT municipality_id, SUM(count) AS children FROM territory_childpopulation
            WHERE year = %(year)s AND age BETWEEN 5 AND 17 GROUP BY municipality_id
        ), career AS (
            SELECT c.municipality_id, COUNT(DISTINCT v.child_id) AS children
            FROM monitoring_careerlessonvisit v JOIN people_child c ON c.id = v.child_id
            WHERE v.held_on BETWEEN %(first)s AND %(last)s GROUP BY c.municipality_id
        )
        SELECT b.municipality_id, b.direction, b.children, b.ovz, b.tech, p.children, k.children_with_ovz,
               COALESCE(r.children, 0), k.school_pupils
        FROM by_cells b
        LEFT JOIN population p ON p.municipality_id = b.municipality_id
        LEFT JOIN territory_contingent k ON k.municipality_id = b.municipality_id AND k.year = %(year)s
        LEFT JOIN career r ON r.municipality_id = b.municipality_id
    """
    params: dict[str, Any] = {
        "first": date(year, 1, 1),
        "last": date(year, 12, 31),
        "born_after": born_after,
        "born_until": born_until,
        "year": year,
    }
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = %s", [settings.OPORA_REPORT_WORK_MEM])  # as Opora's own query
        cursor.execute(sql, params)
        return {(row[0], row[1]): tuple(row[2:]) for row in cursor.fetchall()}


def as_cells(figures: dict[int, Any]) -> dict[tuple[int, str | None], tuple[int, ...]]:
    """Opora's figures in the shape of the hand-written statement's rows."""
    cells: dict[tuple[int, str | None], tuple[int, ...]] = {}
    for municipality, f in figures.items():
        if not f.covered:
            continue
        cells[(municipality, None)] = (
            f.covered,
            f.ovz_covered,
            f.tech_science,
            f.population,
            f.ovz_population,
            f.career_participants,
            f.school_pupils,
        )
        for direction, children in f.by_direction.items():
            if children:
                cells[(municipality, direction)] = (children,)
    return cells


def timed(work: Callable[[], Any]) -> tuple[float, Any]:
    work()  # warm-up: the buffer cache, not the first read from disk, is what a dashboard meets
    times, result = [], None
    for _ in range(3):
        started = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> None:
    fresh = os.environ.get("BENCH_FRESH") == "1"
    prepare_postgres("bench-coverage", fresh=fresh)
    from enrollment.models import Application
    from monitoring.indicators import figures_by_municipality
    from people.models import Child

    children, enrollments = Child.objects.count(), Application.objects.count()
    if (children, enrollments) != (CHILDREN, CHILDREN * ENROLLMENTS_PER_CHILD):
        if children or enrollments:
            raise SystemExit("В базе бенчмарка другие данные: запустите с BENCH_FRESH=1")
        started = time.perf_counter()
        generate()
        print(f"данные созданы за {time.perf_counter() - started:.0f} с", flush=True)
        children, enrollments = Child.objects.count(), Application.objects.count()
    seconds, figures = timed(lambda: figures_by_municipality(YEAR))
    sql_seconds, rows = timed(lambda: hand_written(YEAR))
    ours = as_cells(figures)
    theirs = {
        key: (value if key[1] is None else value[:1]) for key, value in rows.items() if key[1] is not None or value[0]
    }
    agree = ours == theirs
    covered = sum(f.covered for f in figures.values())
    print(f"охвачено детей в {YEAR}: {covered}, муниципалитетов: {len(figures)}, совпадение с запросом: {agree}")
    if not agree:
        raise SystemExit("Числа Опоры и ручного запроса расходятся")
    print(
        f"BENCH coverage children={children} enrollments={enrollments} seconds={seconds:.2f} "
        f"sql_seconds={sql_seconds:.2f} ratio={seconds / sql_seconds:.2f}"
    )


if __name__ == "__main__":
    main()
