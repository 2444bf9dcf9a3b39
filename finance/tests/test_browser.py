"""In Chromium: a family gets a certificate, the child is enrolled, the family pays the place by the
certificate and concludes the contract, then sees the contract in force and the balance left."""

import re
from datetime import date

import pytest
from django.utils import timezone

from core.browser import SHOTS, sign_in
from core.testing import make_child, make_personas
from finance import certificates
from finance.contracts import month_end
from finance.models import Certificate, Contract
from finance.testing import enrolled, make_certificate_group, make_certified_program, make_period

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def months_later(day: date, months: int) -> date:
    """The first day of the month `months` after the month of `day`."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def test_a_family_gets_a_certificate_and_concludes_a_contract(live_server, browser):
    # The live server runs in another thread with the real clock, so the dates follow today: a
    # twelve-month period and a group of six calendar months, both from the first of this month.
    # The contract starts today: 6 months × min(3 000 ₽ price, 3 200 ₽ normative) = 18 000 ₽
    # reserved out of the 30 000 ₽ nominal, 12 000 ₽ left.
    today = timezone.localdate()
    personas = make_personas()
    start = today.replace(day=1)
    period = make_period(personas.municipality_x, start, month_end(months_later(start, 11)))
    make_certificate_group(period)
    offer = make_certified_program(
        personas.org_a,
        period,
        operator=personas.operator_a,
        moderator=personas.municipal_x,
        start=start,
        end=month_end(months_later(start, 5)),
    )
    child = make_child(personas.family, "Маша")

    family = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    sign_in(family, live_server.url, personas.family.email, lands_on="/family/")
    family.goto(live_server.url + "/family/")
    family.get_by_role("link", name="Получить сертификат").click()
    family.get_by_role("button", name="Получить сертификат").click()
    family.get_by_text("Заявление подано").first.wait_for()

    # The municipal operator checks the documents; the organization enrolls the child.
    certificate = certificates.confirm_identity(personas.municipal_x, Certificate.objects.get(child=child))
    enrolled(personas.family, personas.operator_a, certificate, offer.group)

    family.goto(live_server.url + "/family/")
    family.get_by_role("link", name="Оплатить сертификатом").click()
    family.get_by_role("heading", name="Расчёт договора").wait_for()
    quote = family.locator("#quote + dl").inner_text()
    assert "18\u202f000,00\u00a0₽" in quote and "6 месяцев" in quote
    family.screenshot(path=str(SHOTS / "family-pay-phone.png"), full_page=True)
    family.get_by_role("button", name="Отправить заявку на договор").click()
    family.get_by_text("Создан, ожидает подтверждения").first.wait_for()

    # The organization confirms it in its office, on a phone: the list of payment orders, whose
    # labels are long, stays on the screen (as everything there does).
    office = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    sign_in(office, live_server.url, personas.operator_a.email)
    office.goto(f"{live_server.url}/office/finance/contracts/{Contract.objects.get(certificate=certificate).code}/")
    assert office.evaluate("document.documentElement.scrollWidth") <= 390
    office.screenshot(path=str(SHOTS / "office-contract-phone.png"), full_page=True)
    office.get_by_role("button", name="Подтвердить договор").click()
    office.get_by_text("«Подтверждён").first.wait_for()

    family.reload()
    family.get_by_role("button", name="Заключить договор").click()
    family.get_by_text(re.compile(r"заключён и действует")).wait_for()
    assert family.locator("#contract-status").inner_text() == "Действует"
    assert family.locator("#contract-reserve").inner_text() == "18\u202f000,00\u00a0₽"
    family.screenshot(path=str(SHOTS / "family-contract-phone.png"), full_page=True)
    pdf = family.request.get(family.url + "pdf/")
    assert pdf.ok and pdf.body().startswith(b"%PDF")
    (SHOTS / "family-contract.pdf").write_bytes(pdf.body())

    family.get_by_role("link", name="Сертификат", exact=True).click()
    assert family.locator("#certificate-balance").inner_text() == "12\u202f000,00\u00a0₽"
    assert family.get_by_text("Сертификат ПФ").first.is_visible()
    family.screenshot(path=str(SHOTS / "family-certificate-phone.png"), full_page=True)

    family.set_viewport_size({"width": 1280, "height": 900})
    family.screenshot(path=str(SHOTS / "family-certificate-desktop.png"), full_page=True)
    family.get_by_role("link", name=re.compile(r"^DG")).click()
    family.get_by_role("heading", name=re.compile("Договор об образовании")).wait_for()
    family.screenshot(path=str(SHOTS / "family-contract-desktop.png"), full_page=True)
