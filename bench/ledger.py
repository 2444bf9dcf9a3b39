"""`make bench-ledger`: the monthly close of 200 000 active certificate contracts on PostgreSQL.

The data is generated in the database each run (the close appends to the ledger): one
municipality's financing period, 300 providers with agreements, 1 000 certified programs in
13 334 groups of 15, and 200 000 children each with a ПФ certificate (30 000 ₽ credited) and an
active contract (9 months × 3 000 ₽ reserved). A tenth of the groups are paid by attendance, with
September's lessons and marks in the journal; some groups reported less than full completeness.
The benchmark closes September (timed), closes it again (counting new postings), and runs the
reconciliation of every invariant.
"""

import os
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CONTRACTS = int(os.environ.get("BENCH_CONTRACTS", "200000"))
GROUP_SIZE = 15
PROGRAMS = 1000
PROVIDERS = 300
MONTH = date(2026, 9, 1)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opora.settings")
os.environ.setdefault("OPORA_SECRET_KEY", "bench-only-not-secret")
os.environ.setdefault("OPORA_DEBUG", "0")
sys.path.insert(0, str(ROOT))

from bench.common import prepare_postgres  # noqa: E402


def generate() -> int:
    """The catalog and registers by the ORM, the 200 000 children, certificates, contracts and
    their opening ledger (nominal credited, contract cost reserved) by SQL. Returns the period."""
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import User
    from catalog.models import (
        Direction,
        Group,
        GroupFinancing,
        ModerationStatus,
        Organization,
        OrganizationKind,
        Program,
    )
    from core.validators import inn_check_digits, ogrn_check_digit
    from finance.models import (
        Agreement,
        CertificateGroup,
        Certification,
        CertificationStatus,
        FinancingPeriod,
        ProgramModule,
        Provider,
    )
    from territory.models import Municipality, Region

    groups_count = -(-CONTRACTS // GROUP_SIZE)
    with transaction.atomic():
        region = Region.objects.create(code="96", name="Бенчмаркская область")
        municipality = Municipality.objects.create(region=region, oktmo="96000001", name="Город Бенчмарк")
        period = FinancingPeriod.objects.create(
            municipality=municipality, name="2026/2027", starts_on=MONTH, ends_on=date(2027, 8, 31)
        )
        certificate_group = CertificateGroup.objects.create(
            period=period,
            name="Дети 5–17 лет",
            nominal=Decimal(30000),
            max_certificates=CONTRACTS + 50000,
            max_nominal_total=Decimal(30000) * (CONTRACTS + 50000),
        )
        organizations = Organization.objects.bulk_create(
            Organization(
                code=f"OR-L{n:05d}",
                full_name=f"Исполнитель {n}",
                short_name=f"Исполнитель {n}",
                kind=OrganizationKind.values[n % len(OrganizationKind.values)],
                inn=inn_check_digits(f"96{n:07d}"),
                ogrn=ogrn_check_digit(f"10296{n:07d}"),
                municipality=municipality,
                address="г. Бенчмарк",
            )
            for n in range(PROVIDERS)
        )
        providers = Provider.objects.bulk_create(Provider(organization=o, included_on=MONTH) for o in organizations)
        Agreement.objects.bulk_create(
            Agreement(period=period, provider=p, number=f"{n}-ПФ", signed_on=MONTH) for n, p in enumerate(providers)
        )
        programs = Program.objects.bulk_create(
            Program(
                code=f"PR-L{n:05d}",
                organization=organizations[n % PROVIDERS],
                municipality=municipality,
                title=f"Программа {n}",
                summary="Программа для бенчмарка",
                direction=Direction.values[n % len(Direction.values)],
                age_from=5,
                age_to=17,
                hours_total=144,
                duration_months=9,
                level_basic=True,
                by_certificate=True,
                status=ModerationStatus.PUBLISHED,
            )
            for n in range(PROGRAMS)
        )
        certifications = Certification.objects.bulk_create(
            Certification(program=p, status=CertificationStatus.CERTIFIED, hourly_cost=Decimal(200)) for p in programs
        )
        modules = ProgramModule.objects.bulk_create(
            ProgramModule(
                certification=c, name="Основной курс", months=9, hours=144, weekly_hours=Decimal(4), price=27000
            )
            for c in certifications
        )
        groups = Group.objects.bulk_create(
            Group(
                code=f"GR-L{n:06d}",
                program=programs[n % PROGRAMS],
                name=f"Группа {n}",
                address="г. Бенчмарк",
                academic_year=2026,
                start_date=MONTH,
                end_date=date(2027, 5, 31),
                capacity=GROUP_SIZE,
                seats_taken=GROUP_SIZE,
            )
            for n in range(groups_count)
        )
        GroupFinancing.objects.bulk_create(
            GroupFinancing(group=g, source="certificate", cost_per_month=Decimal(3000)) for g in groups
        )
        user = User.objects.create_user(email="bench-ledger@opora.test", password=None)
    ids: dict[str, Any] = {
        "user": user.pk,
        "municipality": municipality.pk,
        "period": period.pk,
        "cgroup": certificate_group.pk,
        "group0": groups[0].pk,
        "groups": groups_count,
        "program0": programs[0].pk,
        "programs": PROGRAMS,
        "module0": modules[0].pk,
        "provider0": providers[0].pk,
        "providers": PROVIDERS,
        "n": CONTRACTS,
        "size": GROUP_SIZE,
        "now": timezone.now(),
        "month": MONTH,
    }
    steps = [
        (
            "дети",
            """INSERT INTO people_child (created_at, updated_at, uuid, last_name, first_name, patronymic, birth_date,
                sex, municipality_id, has_ovz, has_disability, snils_cipher, snils_digest, birth_certificate_cipher,
                birth_certificate_digest)
            SELECT %(now)s, %(now)s, gen_random_uuid(), 'Фамилия' || (n %% 5000), 'Имя' || (n %% 300), '',
                   DATE '2010-01-01' + ((n::bigint * 7919) %% 3000)::int, CASE WHEN n %% 2 = 0 THEN 'm' ELSE 'f' END,
                   %(municipality)s, false, false, '', '', '', ''
            FROM generate_series(0, %(n)s - 1) AS n""",
        ),
        (
            "зачисления",
            """INSERT INTO enrollment_application (created_at, updated_at, uuid, code, child_id, applicant_id,
                program_id, organization_id, municipality_id, group_id, status, reason, idempotency_key, enrolled_on,
                source)
            SELECT %(now)s, %(now)s, gen_random_uuid(), 'AP-L' || lpad(to_hex(c.n), 8, '0'), c.id, %(user)s,
                   p.id, p.organization_id, p.municipality_id, %(group0)s + c.n / %(size)s, 'enrolled', '',
                   'bench-' || c.n, %(month)s, 'navigator'
            FROM (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM people_child) AS c
            JOIN catalog_program p ON p.id = %(program0)s + (c.n / %(size)s) %% %(programs)s""",
        ),
        (
            "сертификаты",
            """INSERT INTO finance_certificate (created_at, updated_at, uuid, code, child_id, municipality_id, number,
                status, requested_by_id, confirmed_by_id, issued_on, valid_until, group_id, financing_since,
                last_activity_at, weekly_hours, weekly_hours_used, significant_hours, significant_hours_used)
            SELECT %(now)s, %(now)s, gen_random_uuid(), 'CE-L' || lpad(to_hex(c.id), 8, '0'), c.id, %(municipality)s,
                   '96000001' || lpad(c.id::text, 8, '0'), 'financing', %(user)s, %(user)s, %(month)s,
                   c.birth_date + interval '18 years', %(cgroup)s, %(now)s, %(now)s, 0, 0, 0, 0
            FROM people_child c""",
        ),
        (
            "договоры",
            """INSERT INTO finance_contract (created_at, updated_at, uuid, code, certificate_id, application_id,
                group_id, provider_id, period_id, module_id, status, payment_order, starts_on, ends_on, months,
                total_cost, certificate_total, certificate_first_month, certificate_other_month, family_total,
                family_first_month, family_other_month, hours_covered, significant_hours_covered, created_by_id,
                confirmed_at, concluded_at, reason)
            SELECT %(now)s, %(now)s, gen_random_uuid(), 'DG-L' || lpad(to_hex(a.id), 8, '0'), s.id, a.id, a.group_id,
                   %(provider0)s + (a.program_id - %(program0)s) %% %(providers)s, %(period)s,
                   %(module0)s + (a.program_id - %(program0)s), 'active',
                   CASE WHEN (a.group_id - %(group0)s) %% 10 = 0 THEN 'attendance' ELSE 'full' END,
                   %(month)s, DATE '2027-05-31', 9, 2700000, 2700000, 300000, 300000, 0, 0, 0, 0, 0, %(user)s,
                   %(now)s, %(now)s, ''
            FROM enrollment_application a JOIN finance_certificate s ON s.child_id = a.child_id""",
        ),
        (
            "счета",
            """INSERT INTO finance_account (kind, period_id, balance)
                   VALUES ('budget', %(period)s, -3000000 * %(n)s::bigint);
            INSERT INTO finance_account (kind, period_id, certificate_id, balance)
                SELECT 'certificate', %(period)s, id, 300000 FROM finance_certificate;
            INSERT INTO finance_account (kind, period_id, contract_id, balance)
                SELECT 'reserve', %(period)s, id, 2700000 FROM finance_contract""",
        ),
        (
            "проводки: номиналы и резервы",
            """INSERT INTO finance_operation (key, kind, created_at, period_id, certificate_id, memo)
                SELECT 'issue:' || id || ':bench', 'issue', %(now)s, %(period)s, id, 'Номинал' FROM finance_certificate;
            INSERT INTO finance_posting (operation_id, debit_id, credit_id, amount)
                SELECT o.id, b.id, a.id, 3000000 FROM finance_operation o
                JOIN finance_account a ON a.kind = 'certificate' AND a.certificate_id = o.certificate_id
                CROSS JOIN (SELECT id FROM finance_account WHERE kind = 'budget') AS b
                WHERE o.kind = 'issue';
            INSERT INTO finance_operation (key, kind, created_at, period_id, certificate_id, contract_id, memo)
                SELECT 'reserve:' || id, 'reserve', %(now)s, %(period)s, certificate_id, id, 'Договор'
                FROM finance_contract;
            INSERT INTO finance_posting (operation_id, debit_id, credit_id, amount)
                SELECT o.id, s.id, r.id, 2700000 FROM finance_operation o
                JOIN finance_account s ON s.kind = 'certificate' AND s.certificate_id = o.certificate_id
                JOIN finance_account r ON r.contract_id = o.contract_id
                WHERE o.kind = 'reserve'""",
        ),
        (
            "журнал: занятия и посещаемость сентября",
            """INSERT INTO enrollment_lesson (group_id, date, starts_at, ends_at, is_cancelled)
                SELECT g.id, d::date, '16:00', '17:30', false
                FROM catalog_group g
                CROSS JOIN generate_series(%(month)s::date, %(month)s::date + 29, interval '1 day') AS d
                WHERE (g.id - %(group0)s) %% 10 = 0 AND g.id >= %(group0)s AND extract(isodow FROM d) IN (1, 3);
            INSERT INTO enrollment_attendance (lesson_id, application_id, present, marked_at)
                SELECT l.id, a.id, (l.id + a.id) %% 10 < 8, %(now)s
                FROM enrollment_lesson l JOIN enrollment_application a ON a.group_id = l.group_id;
            INSERT INTO finance_completeness (group_id, month, percent, reported_at)
                SELECT id, %(month)s, 90, %(now)s FROM catalog_group
                WHERE (id - %(group0)s) %% 7 = 3 AND id >= %(group0)s""",
        ),
        (
            "счётчики группы сертификатов",
            """UPDATE finance_certificategroup SET funded_count = %(n)s, funded_total = 30000 * %(n)s::bigint
                WHERE id = %(cgroup)s""",
        ),
    ]
    with connection.cursor() as cursor:
        for label, sql in steps:
            print(f"{label}…", flush=True)
            for statement in sql.split(";"):
                cursor.execute(statement, ids)
        cursor.execute("ANALYZE")
    return period.pk


def main() -> None:
    prepare_postgres("bench-ledger", fresh=True)
    started = time.perf_counter()
    period_id = generate()
    print(f"данные: {time.perf_counter() - started:.1f} с", flush=True)

    from finance.closing import close_month
    from finance.models import Contract, ContractStatus, FinancingPeriod, Posting
    from finance.reconcile import reconcile

    period = FinancingPeriod.objects.get(pk=period_id)
    active = Contract.objects.filter(status=ContractStatus.ACTIVE).count()
    started = time.perf_counter()
    record = close_month(None, period, MONTH)
    close_seconds = time.perf_counter() - started
    print(f"закрытие: договоров {record.contracts_charged}, списано {record.charged_total / 100:.2f} ₽", flush=True)
    before = Posting.objects.count()
    started = time.perf_counter()
    close_month(None, period, MONTH)
    reclose_seconds = time.perf_counter() - started
    new_postings = Posting.objects.count() - before
    started = time.perf_counter()
    differences = reconcile()
    reconcile_seconds = time.perf_counter() - started
    for difference in differences:
        print(difference)
    charged_all = record.contracts_charged == active == CONTRACTS
    invariants = "ok" if not differences and charged_all else "broken"
    print(
        f"повторное закрытие: {reclose_seconds:.1f} с; сверка: {reconcile_seconds:.1f} с; "
        f"все договоры списаны: {'да' if charged_all else 'нет'}"
    )
    print(
        f"BENCH ledger contracts={active} close_seconds={close_seconds:.1f} "
        f"reclose_new_postings={new_postings} invariants={invariants}"
    )


if __name__ == "__main__":
    main()
