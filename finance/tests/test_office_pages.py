"""The back office of personified financing: each page for its owner (200 and the action done), the
outsider of another municipality or organization (404) and the read-only (403); XLSX downloads."""

import io
import re
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from core.testing import make_child, make_organization, make_program
from finance import certificates, closing, contracts
from finance.models import (
    Agreement,
    CertificateStatus,
    Certification,
    CertificationStatus,
    ContractStatus,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    MonthClose,
    PaymentOrder,
    Provider,
)
from finance.testing import enrolled, issued_certificate
from finance.tests.conftest import SEPTEMBER

CS = ContractStatus


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def said(response) -> str:
    return " ".join(str(m) for m in response.context["messages"]) if response.context else ""


def requested_contract(personas, offer, key="k"):
    certificate = issued_certificate(personas.family, personas.municipal_x)
    application = enrolled(personas.family, personas.operator_a, certificate, offer.group, key)
    return contracts.request_contract(personas.family, application)


def active_contract(personas, offer):
    contract = requested_contract(personas, offer)
    contracts.confirm_contract(personas.operator_a, contract)
    return contracts.accept_contract(personas.family, contract)


def workbook_rows(response) -> list[tuple]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


def test_the_overview_shows_each_role_its_links_and_families_are_sent_away(personas, offer):
    html = signed_in(personas.municipal_x).get(reverse("office_finance:home")).content.decode()
    assert "Реестр исполнителей" in html and "Отчёты" in html and "Энск" in html
    html = signed_in(personas.operator_a).get(reverse("office_finance:home")).content.decode()
    assert "Договоры" in html and "Отчёты</a>" not in html
    assert signed_in(personas.family).get(reverse("office_finance:home")).status_code == 403
    assert "office/finance/" in signed_in(personas.municipal_x).get(reverse("office:home")).content.decode()


def test_municipal_operator_confirms_identity_and_the_outsider_gets_404(personas, period):
    child = make_child(personas.family, "Петя")
    certificate = certificates.request_certificate(personas.family, child)
    url = reverse("office_finance:certificate_decide", args=[certificate.code])

    page = signed_in(personas.municipal_x).get(reverse("office_finance:certificates"))
    assert page.status_code == 200 and child.full_name in page.content.decode()
    assert (
        child.full_name
        not in signed_in(personas.municipal_y).get(reverse("office_finance:certificates")).content.decode()
    )

    assert signed_in(personas.municipal_y).post(url, {"decision": "confirm"}).status_code == 404
    assert signed_in(personas.operator_b).post(url, {"decision": "confirm"}).status_code == 404

    owner = signed_in(personas.municipal_x)
    assert '<option value="">— выберите —</option>' in page.content.decode()  # nothing decided by default
    response = owner.post(url, {"decision": ""}, follow=True)
    assert "Решение: Выберите решение." in said(response)
    response = owner.post(url, {"decision": "decline", "reason": " "}, follow=True)
    assert "Укажите причину отказа" in said(response)
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.REQUESTED

    response = owner.post(url, {"decision": "confirm"}, follow=True)
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.ACCOUNTING
    assert f"Сертификат выдан: {child.short_name}, № {certificate.number}." in said(response)
    # Decided once: a second decision is refused with the service's message.
    assert "уже в статусе" in said(owner.post(url, {"decision": "confirm"}, follow=True))


def test_organization_submits_a_program_and_the_municipality_certifies_it(personas, period):
    program = make_program(personas.org_a, "Шахматы", actor=personas.operator_a)
    submit = reverse("office_finance:certification_submit", args=[program.code])
    assert signed_in(personas.operator_b).get(submit).status_code == 404
    assert signed_in(personas.municipal_x).get(submit).status_code == 403

    operator = signed_in(personas.operator_a)
    assert program.title in operator.get(reverse("office_finance:certification")).content.decode()
    form = {"modules-TOTAL_FORMS": "3", "modules-INITIAL_FORMS": "0", "modules-MIN_NUM_FORMS": "1"}
    empty = operator.post(submit, form)
    assert empty.status_code == 200 and "хотя бы один модуль" in empty.content.decode()
    modules = {
        "modules-0-name": "Первый год",
        "modules-0-months": "9",
        "modules-0-hours": "72",
        "modules-0-weekly_hours": "2",
        "modules-0-price": "18000",
        "modules-1-name": "Второй год",
        "modules-1-months": "9",
        "modules-1-hours": "144",
        "modules-1-weekly_hours": "4",
        "modules-1-price": "36000",
    }
    assert operator.post(submit, {**form, **modules})["Location"] == reverse("office_finance:certification")
    certification = Certification.objects.get(program=program)
    assert certification.status == CertificationStatus.PENDING
    assert [(m.name, m.hours) for m in certification.modules.all()] == [("Первый год", 72), ("Второй год", 144)]

    decide = reverse("office_finance:certification_decide", args=[program.code])
    assert (
        signed_in(personas.municipal_y).post(decide, {"decision": "certify", "hourly_cost": "200"}).status_code == 404
    )
    assert signed_in(personas.operator_a).post(decide, {"decision": "certify", "hourly_cost": "200"}).status_code == 403

    moderator = signed_in(personas.municipal_x)
    queue = moderator.get(reverse("office_finance:certification"), {"program": program.code, "cost": "200"})
    html = queue.content.decode()
    # 72 h × 200 ₽ and 144 h × 200 ₽; the provider's own price is 54 000 ₽ for 216 h: 250 ₽ an hour.
    assert "14\xa0400,00 ₽" in html and "28\xa0800,00 ₽" in html and "250,00 ₽" in html
    assert "Укажите замечания" in said(moderator.post(decide, {"decision": "deny"}, follow=True))
    moderator.post(decide, {"decision": "certify", "hourly_cost": "200,50"})  # as Russians write it: was refused
    certification.refresh_from_db()
    assert (certification.status, certification.hourly_cost) == (CertificationStatus.CERTIFIED, Decimal("200.50"))
    register = signed_in(personas.operator_b).get(reverse("office_finance:certification")).content.decode()
    assert "Шахматы" not in register  # another municipality's register is not theirs to browse here


def test_a_program_not_published_or_certified_already_is_refused_on_the_certification_form(personas, offer):
    draft = make_program(personas.org_a, "Шахматы", actor=personas.operator_a, status="draft")
    form = {
        "modules-TOTAL_FORMS": "1",
        "modules-INITIAL_FORMS": "0",
        "modules-MIN_NUM_FORMS": "1",
        "modules-0-name": "Основной курс",
        "modules-0-months": "9",
        "modules-0-hours": "72",
        "modules-0-weekly_hours": "2",
        "modules-0-price": "18000",
    }
    operator = signed_in(personas.operator_a)
    for program, message in [
        (draft, "На сертификацию отправляют опубликованную программу."),
        (offer.program, "Программа уже сертифицирована."),
    ]:
        response = operator.post(reverse("office_finance:certification_submit", args=[program.code]), form)
        assert response.status_code == 200 and list(response.context["formset"].non_form_errors()) == [message]
        assert message in response.content.decode()
    assert not Certification.objects.filter(program=draft).exists()


def test_municipal_operator_includes_a_provider_and_signs_an_agreement(personas, period, cert_group):
    include = reverse("office_finance:provider_include", args=[personas.org_a.code])
    assert signed_in(personas.operator_a).post(include).status_code == 403
    assert signed_in(personas.municipal_y).post(include).status_code == 403  # a public organization: not 404
    owner = signed_in(personas.municipal_x)
    assert "Расчётный счёт — 20 цифр" in said(owner.post(include, {"bank_account": "123"}, follow=True))
    assert not Provider.objects.exists()
    owner.post(include, {"bank_account": "4" * 20, "bik": "0" * 9})
    provider = Provider.objects.get(organization=personas.org_a)

    page = owner.get(reverse("office_finance:providers")).content.decode()
    assert "0 из 1000" in page and personas.org_a.short_name in page
    assert personas.org_b.short_name not in page

    form = {"period": period.pk, "provider": provider.pk, "number": "7-ПФ", "signed_on": "2026-09-01"}
    signed_in(personas.municipal_y).post(reverse("office_finance:agreement_sign"), form)
    assert not Agreement.objects.exists()
    owner.post(reverse("office_finance:agreement_sign"), form)
    assert Agreement.objects.get(period=period, provider=provider).number == "7-ПФ"
    assert "7-ПФ" in signed_in(personas.operator_a).get(reverse("office_finance:providers")).content.decode()


def test_the_territorys_organizations_are_found_by_name_or_inn_and_by_the_register_a_page_at_a_time(personas, settings):
    """A region has thousands of organizations: the page lists a page of them, filtered."""
    settings.OPORA_PAGE_SIZE = 1
    second = make_organization(personas.municipality_x, "Центр детского досуга «Солнечный круг»")
    Provider.objects.create(organization=personas.org_a, included_on=SEPTEMBER, bank_account="4" * 20, bik="0" * 9)
    regional = signed_in(personas.regional)
    url = reverse("office_finance:providers")

    def listed(**query: str) -> list[str]:
        response = regional.get(url, query)
        return [org.code for org in response.context["page"].object_list]

    first_page = regional.get(url).content.decode()
    assert (
        "Найдено: 3" in first_page and "page=2" in first_page
    )  # org A, «Солнечный круг», org B of the other municipality
    assert listed(q="солнечный") == listed(q="досуга") == listed(q=second.inn) == [second.code]
    assert listed(registry="in") == [personas.org_a.code]
    assert listed(registry="out", q="круг") == [second.code]
    page = regional.get(url, {"q": "круг", "registry": "out"}).content.decode()
    assert 'value="круг"' in page and '<option value="out" selected>' in page
    assert "Организаций по этому отбору нет" in regional.get(url, {"q": "фехтование"}).content.decode()
    assert (
        listed(q="круг") and not signed_in(personas.municipal_y).get(url, {"q": "круг"}).context["page"].object_list
    )  # another municipality's operator does not find it


def test_provider_confirms_a_contract_the_territory_only_reads_it(personas, offer):
    contract = requested_contract(personas, offer)
    detail = reverse("office_finance:contract", args=[contract.code])
    confirm = reverse("office_finance:contract_confirm", args=[contract.code])

    for outsider in (personas.operator_b, personas.municipal_y):
        assert signed_in(outsider).get(detail).status_code == 404
        assert signed_in(outsider).post(confirm, {"payment_order": "full"}).status_code == 404
    territory = signed_in(personas.municipal_x)
    page = territory.get(detail)
    assert page.status_code == 200 and "27\u202f000,00" in page.content.decode()
    # The cost of study is split by month as the certificate's and the family's parts are.
    cost_row = re.search(r"Стоимость обучения</th>(.*?)</tr>", page.content.decode())
    assert cost_row is not None and "—" not in cost_row[1] and cost_row[1].count("\u202f000,00") == 3
    assert "Подтвердить договор" not in page.content.decode()
    assert territory.post(confirm, {"payment_order": "full"}).status_code == 403
    assert signed_in(personas.regional).post(confirm, {"payment_order": "full"}).status_code == 403

    provider = signed_in(personas.operator_a)
    listing = provider.get(reverse("office_finance:contracts"), {"status": "created"}).content.decode()
    assert contract.code in listing and "27\u202f000,00" in listing
    assert contract.code not in provider.get(reverse("office_finance:contracts"), {"status": "active"}).content.decode()
    assert contract.code in territory.get(reverse("office_finance:contracts")).content.decode()
    assert (
        contract.code not in signed_in(personas.municipal_y).get(reverse("office_finance:contracts")).content.decode()
    )

    provider.post(confirm, {"payment_order": PaymentOrder.ATTENDANCE})
    contract.refresh_from_db()
    assert (contract.status, contract.payment_order) == (CS.CONFIRMED, PaymentOrder.ATTENDANCE)
    pdf = provider.get(reverse("office_finance:contract_pdf", args=[contract.code]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert (
        signed_in(personas.operator_b).get(reverse("office_finance:contract_pdf", args=[contract.code])).status_code
        == 404
    )


def test_provider_rejects_with_a_reason_and_terminates_an_active_contract(personas, offer):
    contract = requested_contract(personas, offer)
    reject = reverse("office_finance:contract_reject", args=[contract.code])
    provider = signed_in(personas.operator_a)
    assert "Укажите причину" in said(provider.post(reject, {"reason": ""}, follow=True))
    provider.post(reject, {"reason": "Группа переполнена"})
    contract.refresh_from_db()
    assert (contract.status, contract.reason) == (CS.REJECTED, "Группа переполнена")

    active = contracts.request_contract(personas.family, contract.application)  # asked again
    contracts.confirm_contract(personas.operator_a, active)
    contracts.accept_contract(personas.family, active)
    terminate = reverse("office_finance:contract_terminate", args=[active.code])
    assert signed_in(personas.municipal_x).post(terminate, {"on": "2026-09-15", "reason": "x"}).status_code == 403
    provider.post(terminate, {"on": "2026-09-15", "reason": "Переезд семьи"})
    active.refresh_from_db()
    assert active.status == CS.TERMINATED and active.ends_on.isoformat() == "2026-09-30"
    detail = provider.get(reverse("office_finance:contract", args=[active.code])).content.decode()
    assert f"30.09.2026, 1 мес. (по договору {active.months})</dd>" in detail
    listing = provider.get(reverse("office_finance:contracts"), {"status": "terminated"}).content.decode()
    assert f'<span class="muted">1 мес. из {active.months}</span>' in listing


def test_month_close_invoices_payments_and_the_register_as_xlsx(personas, offer, period, clock):
    active_contract(personas, offer)
    page_url = reverse("office_finance:period", args=[period.pk])
    close = reverse("office_finance:month_close", args=[period.pk])
    september = SEPTEMBER.isoformat()

    provider = signed_in(personas.operator_a)
    assert provider.get(page_url).status_code == 200  # a provider reaches the period by its agreement
    # Its forms (completeness, invoice) act on the month shown, as the register below does, and each
    # «Месяц» label names its own list.
    html = provider.get(page_url, {"month": september}).content.decode()
    assert html.count(f'<option value="{september}" selected>') == 3
    ids = re.findall(r' id="([^"]+)"', html)
    assert {"completeness_month", "invoice_month"} <= set(ids) and len(ids) == len(set(ids))
    assert signed_in(personas.operator_b).get(page_url).status_code == 404
    assert signed_in(personas.municipal_y).post(close, {"month": september}).status_code == 404
    assert provider.post(close, {"month": september}).status_code == 403

    # The advance before the close: at most 80 % of the month's 3 000 ₽.
    issue = reverse("office_finance:invoice_issue", args=[period.pk])
    invoice_form = {"provider": offer.provider.pk, "month": september, "kind": "advance", "amount": "2500"}
    assert "до 2\u202f400,00\u00a0₽" in said(provider.post(issue, invoice_form, follow=True))
    provider.post(issue, {**invoice_form, "amount": ""})
    advance = Invoice.objects.get(kind=InvoiceKind.ADVANCE)
    assert advance.amount == 240_000

    territory = signed_in(personas.municipal_x)
    response = territory.post(close, {"month": september}, follow=True)  # September has not ended
    assert "Выберите месяц периода из списка" in said(response) and not MonthClose.objects.exists()
    assert 'id="close_month"' not in territory.get(page_url).content.decode()  # nor is offered
    clock.set(date(2026, 10, 1))
    territory, provider = (
        signed_in(personas.municipal_x),
        signed_in(personas.operator_a),
    )  # sessions of a month ago expired
    response = territory.post(close, {"month": september}, follow=True)
    assert "списано 3\u202f000,00 ₽ по 1 дог." in said(response)
    assert MonthClose.objects.get(period=period).charged_total == 300_000
    territory.post(close, {"month": september})  # again: nothing more is charged
    assert MonthClose.objects.get(period=period).charged_total == 300_000
    html = territory.get(page_url).content.decode()
    assert "3\u202f000,00" in html and ">2</td>" in html  # two runs

    provider.post(issue, {"provider": offer.provider.pk, "month": september, "kind": "final"})
    final = Invoice.objects.get(kind=InvoiceKind.FINAL)
    assert final.amount == 60_000

    pay = reverse("office_finance:invoice_pay", args=[final.code])
    assert provider.post(pay).status_code == 403
    assert signed_in(personas.operator_b).post(pay).status_code == 404
    assert signed_in(personas.municipal_y).post(pay).status_code == 404
    territory.post(pay)
    territory.post(reverse("office_finance:invoice_pay", args=[advance.code]))
    assert set(Invoice.objects.values_list("status", flat=True)) == {InvoiceStatus.PAID}

    rows = workbook_rows(territory.get(page_url, {"month": september, "format": "xlsx"}))
    line = next(r for r in rows if r[0] == personas.org_a.short_name)
    assert line[2:] == (1, 3000, 2400, 600, 3000)
    assert rows[-1][0] == "Итого" and rows[-1][3] == 3000
    # The provider downloads its own line; another municipality's operator cannot reach the period.
    assert workbook_rows(provider.get(page_url, {"month": september, "format": "xlsx"}))[-1][3] == 3000
    assert signed_in(personas.municipal_y).get(page_url, {"format": "xlsx"}).status_code == 404
    assert territory.get(page_url, {"month": "2030-01-01"}).status_code == 404


def test_provider_reports_completeness_before_the_close(personas, offer, period, clock):
    active_contract(personas, offer)
    url = reverse("office_finance:completeness", args=[period.pk])
    form = {"group": offer.group.pk, "month": SEPTEMBER.isoformat(), "percent": "50"}
    signed_in(personas.operator_b).post(url, form)
    signed_in(personas.operator_a).post(url, form)
    with pytest.raises(ValidationError, match="только закончившийся месяц"):
        closing.close_month(personas.municipal_x, period, SEPTEMBER)
    clock.set(date(2026, 10, 1))
    record = closing.close_month(personas.municipal_x, period, SEPTEMBER)
    assert record.charged_total == 150_000  # half of the 3 000 ₽ month
    response = signed_in(personas.operator_a).get(reverse("office_finance:period", args=[period.pk]))
    html = response.content.decode()
    assert "Полнота оказания услуг" in html and f"{offer.program.title}, {offer.group.name}</td><td" in html
    assert ">50</td>" in html
    # September is closed: only October is offered to report on.
    offered = [str(value) for value, _ in response.context["completeness_form"].fields["month"].choices]
    assert offered == ["2026-10-01"]
    response = signed_in(personas.operator_a).post(url, {**form, "percent": "80"}, follow=True)
    assert "Месяц уже закрыт" in said(response)


def test_reports_add_up_and_download_as_xlsx(personas, offer, period, clock):
    active_contract(personas, offer)
    clock.set(date(2026, 10, 1))
    closing.close_month(personas.municipal_x, period, SEPTEMBER)
    url = reverse("office_finance:reports")
    territory = signed_in(personas.municipal_x)
    html = territory.get(url).content.decode()
    assert "Итого" in html and "24\u202f000,00" in html

    rows = workbook_rows(territory.get(url, {"table": "municipality"}))
    energy = next(r for r in rows if r[0] == "Энск")
    # Issued 30 000 ₽, reserved 27 000 − 3 000 charged, spent 3 000, left 3 000, one contract.
    assert energy[1:] == (30000, 24000, 3000, 3000, 1)
    assert rows[-1] == ("Итого", 30000, 24000, 3000, 3000, 1)
    providers = workbook_rows(territory.get(url, {"table": "provider", "period": period.pk}))
    assert (personas.org_a.short_name, 24000, 3000, 1) in providers
    programs = workbook_rows(territory.get(url, {"table": "program"}))
    named = f"{offer.program.title} ({offer.program.code}, {offer.program.organization.short_name})"
    assert (named, 24000, 3000, 1) in programs
    counts = workbook_rows(territory.get(url, {"table": "certificates"}))
    assert ("Энск", 0, 1, 1, 1) in counts

    regional = workbook_rows(signed_in(personas.regional).get(url, {"table": "municipality"}))
    assert any(r[0] == "Энск" for r in regional)
    other = signed_in(personas.municipal_y)
    assert "Энск" not in [r[0] for r in workbook_rows(other.get(url, {"table": "municipality"}))]
    assert other.get(url, {"period": period.pk}).status_code == 404
    assert signed_in(personas.operator_a).get(url).status_code == 403
    assert territory.get(url, {"table": "nothing"}).status_code == 404


@pytest.mark.parametrize("name", ["certificates", "certification", "providers", "contracts", "periods", "home"])
def test_every_page_opens_for_an_operator_of_each_kind(personas, offer, name):
    for user in (personas.operator_a, personas.municipal_x, personas.regional, personas.admin):
        assert signed_in(user).get(reverse(f"office_finance:{name}")).status_code == 200
