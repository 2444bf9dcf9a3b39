"""The rules of personified financing on hand-computed examples."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from enrollment import journal
from enrollment import services as enrollment_services
from enrollment.models import ApplicationStatus as S
from enrollment.models import Attendance, Lesson
from finance import certificates, closing, contracts, ledger
from finance.models import (
    Account,
    AccountKind,
    CertificateStatus,
    Completeness,
    ContractStatus,
    InvoiceKind,
    NominalKind,
    Operation,
    OperationKind,
    PaymentOrder,
    Posting,
)
from finance.reconcile import reconcile
from finance.testing import enrolled, issued_certificate
from finance.tests.conftest import SEPTEMBER

CS = ContractStatus


def money(certificate, period) -> int:
    return Account.objects.get(kind=AccountKind.CERTIFICATE, certificate=certificate, period=period).balance


def reserve(contract) -> int:
    return Account.objects.get(contract=contract).balance


def payable(offer, period) -> int:
    return Account.objects.get(kind=AccountKind.PAYABLE, provider=offer.provider, period=period).balance


def active_contract(personas, offer, certificate, key="k"):
    application = enrolled(personas.family, personas.operator_a, certificate, offer.group, key)
    contract = contracts.request_contract(personas.family, application)
    contracts.confirm_contract(personas.operator_a, contract)
    return contracts.accept_contract(personas.family, contract)


def test_certificate_is_requested_confirmed_and_numbered(personas, period):
    certificate = issued_certificate(personas.family, personas.municipal_x)
    assert certificate.status == CertificateStatus.ACCOUNTING
    assert certificate.number.startswith(personas.municipality_x.oktmo[:8])
    assert certificate.valid_until.year == certificate.child.birth_date.year + 18
    assert [e.to_status for e in certificate.events.all()] == ["requested", "accounting"]
    # Once per child: asking again returns the same certificate.
    assert certificates.request_certificate(personas.family, certificate.child) == certificate


def test_only_a_guardian_requests_and_only_the_territory_confirms(personas, period):
    from core.testing import make_child

    child = make_child(personas.family)
    with pytest.raises(PermissionDenied):
        certificates.request_certificate(personas.other_family, child)
    certificate = certificates.request_certificate(personas.family, child)
    for outsider in (personas.municipal_y, personas.operator_b, personas.other_family):
        with pytest.raises(PermissionDenied):
            certificates.confirm_identity(outsider, certificate)
    with pytest.raises(ValidationError, match="причину"):
        certificates.confirm_identity(personas.municipal_x, certificate, accept=False)
    declined = certificates.confirm_identity(personas.municipal_x, certificate, accept=False, reason="Нет документов")
    assert declined.status == CertificateStatus.DECLINED and declined.number is None


def test_enrollment_into_a_certified_program_makes_a_financing_certificate(personas, offer, period):
    certificate = issued_certificate(personas.family, personas.municipal_x)
    application = enrolled(personas.family, personas.operator_a, certificate, offer.group)
    contract = contracts.request_contract(personas.family, application)
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.FINANCING
    # 9 months × min(3 000 price, 3 200 normative) = 27 000 ₽ reserved out of the 30 000 ₽ nominal.
    assert contract.months == 9
    assert (contract.certificate_total, contract.family_total) == (2_700_000, 0)
    assert (contract.certificate_first_month, contract.certificate_other_month) == (300_000, 300_000)
    assert reserve(contract) == 2_700_000
    assert money(certificate, period) == 300_000
    # A repeated request is the same contract.
    assert contracts.request_contract(personas.family, application) == contract
    assert not reconcile()


@pytest.mark.parametrize(
    ("total", "months", "price", "certificate"),
    [(299, 3, 100, (99, 99)), (300, 3, 100, (100, 100)), (250, 3, 100, (84, 83)), (5, 1, 10, (5, 5))],
)
def test_every_month_costs_the_price_and_no_part_is_negative(total, months, price, certificate):
    """A balance a few kopecks short of the whole cost: its remainder would make the certificate pay
    more than the price in the first month (101 of 100) and the family −1; it is the family's."""
    cost = contracts.Quote(
        period=None,  # type: ignore[arg-type]  # the split needs only the amounts
        module=None,  # type: ignore[arg-type]
        provider=None,  # type: ignore[arg-type]
        starts_on=SEPTEMBER,
        ends_on=SEPTEMBER,
        months=months,
        monthly_price=price,
        certificate_total=contracts.certificate_share(total, months, price),
        family_total=0,
        hours_covered=Decimal(0),
        significant_hours_covered=Decimal(0),
        uses_hours=False,
    )
    assert cost.certificate_split == certificate
    family = cost.family_split
    assert all(part >= 0 for part in family)
    assert {certificate[0] + family[0], certificate[1] + family[1]} == {price}


def test_price_above_normative_needs_the_familys_copayment(personas, period, cert_group):
    from finance.testing import make_certified_program

    offer = make_certified_program(
        personas.org_a, period, operator=personas.operator_a, moderator=personas.municipal_x, price=Decimal(4000)
    )
    certificate = issued_certificate(personas.family, personas.municipal_x)
    application = enrolled(personas.family, personas.operator_a, certificate, offer.group)
    with pytest.raises(ValidationError) as refused:
        contracts.request_contract(personas.family, application)
    assert "Доплата семьи — 7\u202f200,00\u00a0₽: 800,00\u00a0₽ за первый месяц" in refused.value.messages[0]
    assert not Operation.objects.filter(kind=OperationKind.RESERVE).exists()
    contract = contracts.request_contract(personas.family, application, accept_copayment=True)
    assert (contract.certificate_total, contract.family_total, contract.total_cost) == (2_880_000, 720_000, 3_600_000)
    assert (contract.family_first_month, contract.family_other_month) == (80_000, 80_000)


def test_a_short_balance_splits_with_the_remainder_in_the_first_month(personas, period, offer, cert_group):
    cert_group.nominal = Decimal(10000)
    cert_group.save()
    certificate = issued_certificate(personas.family, personas.municipal_x)
    application = enrolled(personas.family, personas.operator_a, certificate, offer.group)
    contract = contracts.request_contract(personas.family, application, accept_copayment=True)
    # 10 000 ₽ over 9 months: 1 111.11 ₽ a month, the first month 1 111.12 ₽.
    assert (contract.certificate_first_month, contract.certificate_other_month) == (111_112, 111_111)
    assert contract.family_total == 2_700_000 - 1_000_000
    # The family pays the rest of each month: every month costs the price, 3 000 ₽.
    assert (contract.family_first_month, contract.family_other_month) == (188_888, 188_889)
    assert money(certificate, period) == 0


def test_caps_stop_issuance_with_a_clear_message(personas, period, offer, cert_group):
    cert_group.max_certificates = 1
    cert_group.save()
    first = issued_certificate(personas.family, personas.municipal_x, first_name="Маша")
    second = issued_certificate(personas.family, personas.municipal_x, first_name="Петя")
    contracts.request_contract(personas.family, enrolled(personas.family, personas.operator_a, first, offer.group, "a"))
    application = enrolled(personas.family, personas.operator_a, second, offer.group, "b")
    with pytest.raises(ValidationError, match="остановлена: достигнут предел"):
        contracts.request_contract(personas.family, application)
    second.refresh_from_db()
    assert second.status == CertificateStatus.ACCOUNTING
    cert_group.refresh_from_db()
    assert (cert_group.funded_count, cert_group.funded_total) == (1, Decimal(30000))
    # The database refuses going over the cap whatever the code does.
    with pytest.raises(IntegrityError), transaction.atomic():
        type(cert_group).objects.filter(pk=cert_group.pk).update(funded_count=2)


def test_provider_confirms_only_under_an_agreement_and_family_accepts(personas, offer, period):
    certificate = issued_certificate(personas.family, personas.municipal_x)
    contract = contracts.request_contract(
        personas.family, enrolled(personas.family, personas.operator_a, certificate, offer.group)
    )
    with pytest.raises(PermissionDenied):
        contracts.confirm_contract(personas.operator_b, contract)
    offer.agreement.is_active = False
    offer.agreement.save()
    with pytest.raises(ValidationError, match="нет действующего соглашения"):
        contracts.confirm_contract(personas.operator_a, contract)
    offer.agreement.is_active = True
    offer.agreement.save()
    contracts.confirm_contract(personas.operator_a, contract, payment_order=PaymentOrder.ATTENDANCE)
    with pytest.raises(PermissionDenied):
        contracts.accept_contract(personas.other_family, contract)
    contract = contracts.accept_contract(personas.family, contract)
    assert contract.status == CS.ACTIVE and contract.payment_order == PaymentOrder.ATTENDANCE
    assert [e.to_status for e in contract.events.all()] == ["created", "confirmed", "active"]


def test_the_familys_letters_link_the_certificate_and_the_contract(
    personas, offer, period, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://navigator.example.ru"
    with django_capture_on_commit_callbacks(execute=True):
        certificate = issued_certificate(personas.family, personas.municipal_x)
    child_page = f"https://navigator.example.ru/family/finance/children/{certificate.child.uuid}/certificate/"
    assert mailoutbox[-1].subject == "Сертификат: Сертификат учёта" and mailoutbox[-1].body.endswith(child_page)
    application = enrolled(personas.family, personas.operator_a, certificate, offer.group)
    with django_capture_on_commit_callbacks(execute=True):
        contract = contracts.request_contract(personas.family, application)
        contracts.confirm_contract(personas.operator_a, contract)
    assert mailoutbox[-1].subject == f"Договор {contract.code}: {CS.CONFIRMED.label}"
    assert mailoutbox[-1].body.endswith(f"https://navigator.example.ru/family/finance/contracts/{contract.uuid}/")


def test_a_contract_concluded_for_an_invited_child_enrolls_it(personas, offer, period, clock):
    """Signed by both sides, the contract answers the invitation: its deadline passing can no longer
    end the contract (it expired the application and ended the contract of a child who came)."""
    certificate = issued_certificate(personas.family, personas.municipal_x)
    application = enrollment_services.apply(personas.family, certificate.child, offer.group.program, offer.group, "i")
    enrollment_services.change_status(personas.operator_a, application, "invite")
    contract = contracts.request_contract(personas.family, application)
    contracts.confirm_contract(personas.operator_a, contract)
    contract = contracts.accept_contract(personas.family, contract)
    application.refresh_from_db()
    assert (application.status, application.deadline, application.enrolled_on) == (S.ENROLLED, None, SEPTEMBER)
    assert application.events.last().reason == f"заключён договор {contract.code}"
    clock.set(date(2026, 9, 20))
    assert enrollment_services.expire_overdue() == 0
    contract.refresh_from_db()
    assert contract.status == CS.ACTIVE and reserve(contract) == 2_700_000
    assert not reconcile()


def test_rejection_returns_the_whole_reserve(personas, offer, period):
    certificate = issued_certificate(personas.family, personas.municipal_x)
    contract = contracts.request_contract(
        personas.family, enrolled(personas.family, personas.operator_a, certificate, offer.group)
    )
    with pytest.raises(ValidationError, match="причину"):
        contracts.reject_contract(personas.operator_a, contract)
    contracts.reject_contract(personas.operator_a, contract, "Группа переформирована")
    assert reserve(contract) == 0 and money(certificate, period) == 3_000_000
    assert not reconcile()


def test_pending_contracts_are_refused_after_5_and_10_days(personas, offer, period, clock):
    first = issued_certificate(personas.family, personas.municipal_x, first_name="Маша")
    second = issued_certificate(personas.family, personas.municipal_x, first_name="Петя")
    waiting_provider = contracts.request_contract(
        personas.family, enrolled(personas.family, personas.operator_a, first, offer.group, "a")
    )
    waiting_family = contracts.request_contract(
        personas.family, enrolled(personas.family, personas.operator_a, second, offer.group, "b")
    )
    contracts.confirm_contract(personas.operator_a, waiting_family)
    clock.set(date(2026, 9, 5))
    assert contracts.refuse_overdue() == 0
    clock.set(date(2026, 9, 6), hour=11)
    assert contracts.refuse_overdue() == 1
    waiting_provider.refresh_from_db()
    assert waiting_provider.status == CS.REJECTED and "5 дн." in waiting_provider.reason
    clock.set(date(2026, 9, 11), hour=11)
    assert contracts.refuse_overdue() == 1
    waiting_family.refresh_from_db()
    assert waiting_family.status == CS.REJECTED
    assert not reconcile()


def test_monthly_close_charges_once_and_expulsion_mid_month(personas, offer, period, clock):
    certificate = issued_certificate(personas.family, personas.municipal_x)
    contract = active_contract(personas, offer, certificate)
    clock.set(date(2026, 10, 1))
    september = closing.close_month(personas.municipal_x, period, date(2026, 9, 1))
    assert (september.contracts_charged, september.charged_total) == (1, 300_000)
    assert reserve(contract) == 2_400_000 and payable(offer, period) == 300_000
    postings = Posting.objects.count()
    again = closing.close_month(personas.municipal_x, period, date(2026, 9, 1))
    assert Posting.objects.count() == postings and again.runs == 2 and again.charged_total == 300_000
    clock.set(date(2026, 11, 1))
    closing.close_month(personas.municipal_x, period, date(2026, 10, 1))
    # Expelled on 15 November: the contract ends on 30 November, November is still to be
    # charged (3 000 ₽ kept), the other six months (18 000 ₽) return to the certificate at once.
    clock.set(date(2026, 11, 15))
    application = contract.application
    enrollment_services.change_status(personas.operator_a, application, "expel", reason="Переезд")
    contract.refresh_from_db()
    assert contract.status == CS.TERMINATED and contract.ends_on == date(2026, 11, 30)
    assert reserve(contract) == 300_000
    assert money(certificate, period) == 300_000 + 1_800_000
    clock.set(date(2026, 12, 1))
    november = closing.close_month(personas.municipal_x, period, date(2026, 11, 1))
    assert november.charged_total == 300_000 and reserve(contract) == 0
    assert payable(offer, period) == 900_000
    clock.set(date(2027, 1, 1))
    december = closing.close_month(personas.municipal_x, period, date(2026, 12, 1))
    assert december.contracts_charged == 0
    assert not reconcile()


def test_a_new_contract_in_the_same_group_begins_after_the_month_the_ended_one_pays(personas, offer, period, clock):
    """Expelled on 15 November, the contract still pays November; enrolled again in the group on the
    20th, the child's new contract starts on 1 December (it started on the 20th: November twice)."""
    certificate = issued_certificate(personas.family, personas.municipal_x)
    first = active_contract(personas, offer, certificate)
    clock.set(date(2026, 11, 15))
    enrollment_services.change_status(personas.operator_a, first.application, "expel", reason="Переезд")
    clock.set(date(2026, 11, 20))
    again = enrolled(personas.family, personas.operator_a, certificate, offer.group, "again")
    second = contracts.request_contract(personas.family, again)
    assert (second.starts_on, second.ends_on, second.months) == (date(2026, 12, 1), date(2027, 5, 31), 6)
    assert second.certificate_total == 6 * 300_000
    assert reserve(first) + reserve(second) + money(certificate, period) == 3_000_000  # nothing charged yet
    assert not reconcile()


def test_no_new_contract_where_the_ended_one_paid_to_the_groups_end(personas, offer, period, clock):
    certificate = issued_certificate(personas.family, personas.municipal_x)
    first = active_contract(personas, offer, certificate)
    clock.set(date(2027, 5, 10))
    enrollment_services.change_status(personas.operator_a, first.application, "expel", reason="Переезд")
    again = enrolled(personas.family, personas.operator_a, certificate, offer.group, "again")
    with pytest.raises(ValidationError, match="оплачены по прежнему договору"):
        contracts.request_contract(personas.family, again)


def test_payment_by_attendance_and_completeness(personas, offer, period, clock):
    certificate = issued_certificate(personas.family, personas.municipal_x)
    application = enrolled(personas.family, personas.operator_a, certificate, offer.group)
    contract = contracts.request_contract(personas.family, application)
    contracts.confirm_contract(personas.operator_a, contract, payment_order=PaymentOrder.ATTENDANCE)
    contracts.accept_contract(personas.family, contract)
    journal.generate_lessons(offer.group, date(2026, 9, 30))
    lessons = list(Lesson.objects.filter(group=offer.group, date__month=9).order_by("date"))
    assert len(lessons) == 9  # Mondays and Wednesdays of September 2026
    for lesson in lessons[:6]:
        Attendance.objects.create(lesson=lesson, application=application, present=True)
    clock.set(date(2026, 9, 30))
    closing.report_completeness(personas.operator_a, offer.group.pk, date(2026, 9, 1), 50)
    clock.set(date(2026, 10, 1))
    closing.close_month(personas.municipal_x, period, date(2026, 9, 1))
    # 3 000 ₽ × 50 % × 6/9 = 1 000 ₽; the rest of September stays in the reserve.
    assert payable(offer, period) == 100_000
    assert reserve(contract) == 2_600_000
    with pytest.raises(ValidationError, match="Месяц уже закрыт"):
        closing.report_completeness(personas.operator_a, offer.group.pk, date(2026, 9, 1), 100)
    assert Completeness.objects.get().percent == 50
    assert not reconcile()


def test_invoices_advance_at_most_80_percent_then_final(personas, offer, period, clock):
    certificate = issued_certificate(personas.family, personas.municipal_x)
    active_contract(personas, offer, certificate)
    september = date(2026, 9, 1)
    with pytest.raises(ValidationError, match="не больше 80 %"):
        closing.issue_invoice(personas.operator_a, offer.provider, period, september, InvoiceKind.ADVANCE, 240_001)
    with pytest.raises(ValidationError, match="после закрытия"):
        closing.issue_invoice(personas.operator_a, offer.provider, period, september, InvoiceKind.FINAL)
    advance = closing.issue_invoice(personas.operator_a, offer.provider, period, september, InvoiceKind.ADVANCE)
    assert advance.amount == 240_000
    with pytest.raises(PermissionDenied):
        closing.pay_invoice(personas.operator_a, advance)
    closing.pay_invoice(personas.municipal_x, advance)
    clock.set(date(2026, 10, 1))
    closing.close_month(personas.municipal_x, period, september)
    final = closing.issue_invoice(personas.operator_a, offer.provider, period, september, InvoiceKind.FINAL)
    assert final.amount == 60_000
    closing.pay_invoice(personas.municipal_x, final)
    closing.pay_invoice(personas.municipal_x, final)  # paying twice changes nothing
    assert payable(offer, period) == 0
    assert Account.objects.get(kind=AccountKind.PAID, provider=offer.provider).balance == 300_000
    (line,) = closing.payments_register(period, september)
    assert (line.contracts, line.charged, line.advance, line.final, line.paid) == (1, 300_000, 240_000, 60_000, 300_000)
    assert not reconcile()


def test_hours_nominal_converted_by_the_programs_hourly_cost(personas, period, offer, cert_group):
    cert_group.nominal_kind = NominalKind.HOURS
    cert_group.weekly_hours = Decimal(2)
    cert_group.max_nominal_total = Decimal(1000)
    cert_group.save()
    certificate = issued_certificate(personas.family, personas.municipal_x)
    contract = contracts.request_contract(
        personas.family,
        enrolled(personas.family, personas.operator_a, certificate, offer.group),
        accept_copayment=True,
    )
    # The module takes 4 h a week, the certificate pays 2 h: half of 9 × 3 000 ₽ from the budget.
    assert contract.hours_covered == 2 and contract.certificate_total == 1_350_000
    assert contract.family_total == 1_350_000
    certificate.refresh_from_db()
    assert certificate.weekly_hours_used == 2 and certificate.hours_left == 0
    budget = Account.objects.get(kind=AccountKind.BUDGET, period=period)
    assert budget.balance == -1_350_000
    contracts.reject_contract(personas.family, contract)
    certificate.refresh_from_db()
    assert certificate.weekly_hours_used == 0
    assert not reconcile()


def test_idle_financing_certificate_falls_back_to_accounting(personas, offer, period, clock):
    certificate = issued_certificate(personas.family, personas.municipal_x)
    contract = contracts.request_contract(
        personas.family, enrolled(personas.family, personas.operator_a, certificate, offer.group)
    )
    contracts.reject_contract(personas.family, contract)
    clock.set(date(2026, 9, 20))
    assert certificates.downgrade_idle() == 0
    clock.set(date(2026, 10, 2))
    assert certificates.downgrade_idle() == 1
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.ACCOUNTING
    assert money(certificate, period) == 0
    assert Account.objects.get(kind=AccountKind.BUDGET, period=period).balance == 0
    assert not reconcile()


def test_postings_are_append_only(personas, offer, period):
    certificate = issued_certificate(personas.family, personas.municipal_x)
    contracts.request_contract(
        personas.family, enrolled(personas.family, personas.operator_a, certificate, offer.group)
    )
    posting = Posting.objects.first()
    with pytest.raises(PermissionError):
        Posting.objects.filter(pk=posting.pk).update(amount=1)
    with pytest.raises(PermissionError):
        posting.delete()
    from django.db import DatabaseError, connection

    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE finance_posting SET amount = 1 WHERE id = %s", [posting.pk])
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM finance_posting WHERE id = %s", [posting.pk])


def test_a_guarded_balance_never_goes_negative(personas, offer, period):
    certificate = issued_certificate(personas.family, personas.municipal_x)
    contracts.request_contract(
        personas.family, enrolled(personas.family, personas.operator_a, certificate, offer.group)
    )
    account = Account.objects.get(kind=AccountKind.CERTIFICATE, certificate=certificate)
    entry = ledger.Entry(
        key="overdraw",
        kind=OperationKind.RESERVE,
        period_id=period.pk,
        moves=[ledger.Move(account, ledger.budget_account(period.pk), 300_001)],
    )
    with pytest.raises(ledger.InsufficientFundsError):
        ledger.post(None, entry)
    assert not Operation.objects.filter(key="overdraw").exists()
    assert money(certificate, period) == 300_000


def test_reconciliation_reports_a_tampered_balance(personas, offer, period):
    certificate = issued_certificate(personas.family, personas.municipal_x)
    contracts.request_contract(
        personas.family, enrolled(personas.family, personas.operator_a, certificate, offer.group)
    )
    Account.objects.filter(kind=AccountKind.BUDGET).update(balance=5)
    rules = {d.rule for d in reconcile()}
    assert "остаток счёта равен сумме его проводок" in rules
    assert "деньги периода не создаются и не исчезают" in rules


def test_certification_decision_and_registers(personas, period, cert_group):
    from core.testing import make_program
    from finance import registers

    program = make_program(personas.org_a, "Шахматы", actor=personas.operator_a)
    with pytest.raises(PermissionDenied):
        registers.submit_for_certification(personas.operator_b, program, [])
    with pytest.raises(ValidationError, match="хотя бы один модуль"):
        registers.submit_for_certification(personas.operator_a, program, [])
    module = registers.ModuleDraft("Первый год", months=9, hours=72, weekly_hours=Decimal(2), price=Decimal(18000))
    certification = registers.submit_for_certification(personas.operator_a, program, [module])
    with pytest.raises(PermissionDenied):
        registers.decide_certification(personas.municipal_y, certification, certify=True, hourly_cost=Decimal(250))
    with pytest.raises(ValidationError, match="замечания"):
        registers.decide_certification(personas.municipal_x, certification, certify=False)
    registers.decide_certification(personas.municipal_x, certification, certify=True, hourly_cost=Decimal(250))
    program.refresh_from_db()
    certification.refresh_from_db()
    assert program.by_certificate and program.registers.filter(code="certified").exists()
    assert certification.normative_cost == Decimal(18000)


def test_not_certified_program_cannot_be_paid_by_certificate(personas, period, cert_group):
    from core.testing import make_program

    program = make_program(personas.org_a, "Шахматы", actor=personas.operator_a)
    certificate = issued_certificate(personas.family, personas.municipal_x)
    application = enrolled(personas.family, personas.operator_a, certificate, program.groups.get())
    with pytest.raises(ValidationError, match="не сертифицирована"):
        contracts.request_contract(personas.family, application)


def test_reports_add_up_from_the_ledger(personas, offer, period, clock):
    from finance import reports
    from finance.models import FinancingPeriod

    first = issued_certificate(personas.family, personas.municipal_x, first_name="Маша")
    second = issued_certificate(personas.family, personas.municipal_x, first_name="Петя")
    active_contract(personas, offer, first, "a")
    contracts.request_contract(
        personas.family, enrolled(personas.family, personas.operator_a, second, offer.group, "b")
    )
    clock.set(date(2026, 10, 1))
    closing.close_month(personas.municipal_x, period, date(2026, 9, 1))
    periods = FinancingPeriod.objects.all()
    (row,) = reports.by_municipality(periods)
    # Two nominals of 30 000 ₽; 27 000 ₽ reserved by each contract, 3 000 ₽ of one charged.
    assert (row.issued, row.reserved, row.spent, row.left, row.contracts) == (
        6_000_000,
        2_400_000 + 2_700_000,
        300_000,
        600_000,
        2,
    )
    assert row.issued == row.reserved + row.spent + row.left
    (provider,) = reports.by_provider(periods)
    assert (provider.reserved, provider.spent, provider.contracts) == (5_100_000, 300_000, 2)
    (program,) = reports.by_program(periods)
    # Named with its code and organization: many organizations teach a «Робототехника».
    assert program.name == f"{offer.program.title} ({offer.program.code}, {offer.program.organization.short_name})"
    (counts,) = reports.certificate_counts(periods)
    assert (counts.issued, counts.financing, counts.used) == (2, 2, 2)


@pytest.mark.parametrize("kind", [NominalKind.RUBLES, NominalKind.HOURS])
def test_preview_quotes_the_nominal_a_certificate_would_get_and_changes_nothing(
    personas, period, offer, cert_group, kind
):
    cert_group.nominal_kind = kind
    cert_group.weekly_hours = Decimal(2)
    cert_group.save()
    certificate = issued_certificate(personas.family, personas.municipal_x)
    enrolled(personas.family, personas.operator_a, certificate, offer.group)
    preview = contracts.preview(certificate, offer.group, date(2026, 9, 1))
    expected = 1_350_000 if kind == NominalKind.HOURS else 2_700_000  # 2 of 4 weekly hours, or the money
    assert (preview.certificate_total, preview.family_total) == (expected, 2_700_000 - expected)
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.ACCOUNTING
    assert not Operation.objects.exists()
    # The request gets exactly what the preview showed.
    contract = contracts.request_contract(personas.family, certificate.child.applications.get(), accept_copayment=True)
    assert (contract.certificate_total, contract.family_total) == (preview.certificate_total, preview.family_total)
