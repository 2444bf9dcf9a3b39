"""Builders for tests, the demo and the benchmark: a municipality's financing set up end to end."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from unittest import mock

from django.utils import timezone

from catalog import services as catalog_services
from catalog.models import Group, Organization, Program
from core.testing import make_child, make_program
from enrollment import services as enrollment_services
from enrollment.models import Application
from finance import certificates, registers
from finance.models import (
    Agreement,
    Certificate,
    CertificateGroup,
    Certification,
    FinancingPeriod,
    NominalKind,
    Provider,
)
from territory.models import Municipality


class Clock:
    """A settable "now" for everything that asks django.utils.timezone."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def set(self, day: date, hour: int = 10) -> None:
        self.now = timezone.make_aware(datetime.combine(day, time(hour)))


@contextmanager
def frozen_clock(day: date) -> Iterator[Clock]:
    clock = Clock(timezone.make_aware(datetime.combine(day, time(10))))
    with mock.patch("django.utils.timezone.now", lambda: clock.now):
        yield clock


def make_period(
    municipality: Municipality, starts_on: date, ends_on: date, actor: Any = None, **rules: Any
) -> FinancingPeriod:
    return FinancingPeriod.objects.create(
        municipality=municipality,
        name=f"{starts_on.year}/{ends_on.year}",
        starts_on=starts_on,
        ends_on=ends_on,
        **rules,
    )


def make_certificate_group(
    period: FinancingPeriod, *, nominal: Decimal = Decimal(30000), **fields: Any
) -> CertificateGroup:
    defaults: dict[str, Any] = {
        "name": "Дети 5–17 лет",
        "nominal_kind": NominalKind.RUBLES,
        "nominal": nominal,
        "max_certificates": 1000,
        "max_nominal_total": Decimal(10**9),
    }
    defaults.update(fields)
    return CertificateGroup.objects.create(period=period, **defaults)


@dataclass
class CertifiedOffer:
    provider: Provider
    program: Program
    group: Group
    certification: Certification
    agreement: Agreement


def make_certified_program(
    organization: Organization,
    period: FinancingPeriod,
    *,
    operator: Any,
    moderator: Any,
    price: Decimal = Decimal(3000),
    hourly_cost: Decimal = Decimal(200),
    months: int = 9,
    hours: int = 144,
    weekly_hours: Decimal = Decimal(4),
    start: date | None = None,
    end: date | None = None,
    title: str = "Робототехника",
) -> CertifiedOffer:
    """A published program of `organization` with one group paid by certificates, certified at
    `hourly_cost`, and the provider's agreement for `period`."""
    program = make_program(
        organization, title, actor=operator, status="draft", with_group=False, is_free=False, by_certificate=True
    )
    start = start or period.starts_on
    group = catalog_services.save_group(
        operator,
        Group(
            program=program,
            name=f"{title}: группа 1",
            academic_year=catalog_services.academic_year_of(start),
            start_date=start,
            end_date=end or date(start.year + 1, 5, 31),
            capacity=15,
        ),
        schedule=[catalog_services.Slot(d, time(16, 0), time(17, 30)) for d in (0, 2)],
        financing=[catalog_services.Financing("certificate", price)],
    )
    catalog_services.change_program_status(operator, program, "submit")
    catalog_services.change_program_status(moderator, program, "approve")
    certification = registers.submit_for_certification(
        operator,
        program,
        [
            registers.ModuleDraft(
                "Основной курс", months=months, hours=hours, weekly_hours=weekly_hours, price=price * months
            )
        ],
    )
    registers.decide_certification(moderator, certification, certify=True, hourly_cost=hourly_cost)
    provider = registers.include_provider(moderator, organization)
    agreement = registers.sign_agreement(moderator, period, provider, number="1-ПФ", signed_on=period.starts_on)
    program.refresh_from_db()
    certification.refresh_from_db()
    return CertifiedOffer(provider, program, group, certification, agreement)


def issued_certificate(family: Any, moderator: Any, *, first_name: str = "Маша", age: int = 9) -> Certificate:
    child = make_child(family, first_name, age=age)
    certificate = certificates.request_certificate(family, child)
    return certificates.confirm_identity(moderator, certificate)


def enrolled(family: Any, operator: Any, certificate: Certificate, group: Group, key: str = "k") -> Application:
    """The certificate's child invited and enrolled into `group`."""
    application = enrollment_services.apply(family, certificate.child, group.program, group, key)
    enrollment_services.change_status(operator, application, "invite")
    return enrollment_services.change_status(operator, application, "enroll")
