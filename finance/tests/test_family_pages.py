"""The family's finance pages: the certificate, «Оплатить сертификатом», the contract and its PDF."""

from decimal import Decimal

import pytest
from django.urls import reverse

from core.templatetags.opora import rub
from core.testing import make_child
from finance import certificates, contracts, pdf
from finance.models import Account, AccountKind, Certificate, CertificateStatus, Contract, ContractStatus
from finance.testing import enrolled, issued_certificate, make_certified_program

pytestmark = pytest.mark.django_db

NNBSP = "\u202f"  # between thousands
NBSP = "\u00a0"  # before ₽


def money(text: str) -> str:
    """ "27 000,00 ₽" as the pages print it."""
    return text.replace(" ", NNBSP).replace(NNBSP + "₽", NBSP + "₽")


@pytest.fixture
def family_client(client, personas):
    client.force_login(personas.family)
    return client


@pytest.fixture
def certificate(personas, period):
    return issued_certificate(personas.family, personas.municipal_x)


@pytest.fixture
def application(personas, offer, certificate):
    return enrolled(personas.family, personas.operator_a, certificate, offer.group)


@pytest.fixture
def contract(personas, application):
    return contracts.request_contract(personas.family, application)


def page(client, name, **kwargs):
    return client.get(reverse(f"family_finance:{name}", kwargs=kwargs))


def test_rub_prints_kopecks_as_roubles_with_thin_spaces():
    assert rub(2_700_000) == money("27 000,00 ₽")
    assert rub(5) == money("0,05 ₽")
    assert rub(-123_456_78) == money("−123 456,78 ₽")
    assert rub(None) == ""


def test_a_parent_requests_a_certificate_and_follows_its_status(family_client, personas, period):
    child = make_child(personas.family)
    response = page(family_client, "certificate", child_uuid=child.uuid)
    assert response.status_code == 200 and "Получить сертификат" in response.content.decode()

    response = family_client.post(reverse("family_finance:certificate", kwargs={"child_uuid": child.uuid}))
    assert response.status_code == 302
    certificate = Certificate.objects.get(child=child)
    assert certificate.status == CertificateStatus.REQUESTED
    assert "Заявление подано" in page(family_client, "certificate", child_uuid=child.uuid).content.decode()

    certificates.confirm_identity(personas.municipal_x, certificate)
    certificate.refresh_from_db()
    html = page(family_client, "certificate", child_uuid=child.uuid).content.decode()
    assert "Сертификат учёта" in html and certificate.number in html
    cabinet = family_client.get(reverse("family:cabinet")).content.decode()
    assert "Сертификат учёта" in cabinet and reverse("family_finance:certificate", args=[child.uuid]) in cabinet


def test_a_certificate_for_a_child_of_18_is_refused_with_the_reason(family_client, personas, period):
    child = make_child(personas.family, age=18)
    url = reverse("family_finance:certificate", kwargs={"child_uuid": child.uuid})
    response = family_client.post(url, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["Сертификат выдают детям до 18 лет."]
    assert not Certificate.objects.exists()


def test_a_declined_certificate_shows_the_reason_and_may_be_asked_again(family_client, personas, period):
    child = make_child(personas.family)
    certificate = certificates.request_certificate(personas.family, child)
    certificates.confirm_identity(personas.municipal_x, certificate, accept=False, reason="Нет свидетельства")
    html = page(family_client, "certificate", child_uuid=child.uuid).content.decode()
    assert "В выдаче отказано" in html and "Нет свидетельства" in html and "Подать заявление снова" in html
    family_client.post(reverse("family_finance:certificate", args=[child.uuid]))
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.REQUESTED


def test_the_quote_counts_the_nominal_the_request_will_credit(family_client, personas, application, certificate):
    assert certificate.status == CertificateStatus.ACCOUNTING  # the nominal comes with the request
    html = page(family_client, "pay", code=application.code).content.decode()
    assert money("27 000,00 ₽") in html and "9 месяцев" in html and money("3 000,00 ₽") in html
    assert "Согласен на доплату" not in html

    response = family_client.post(reverse("family_finance:pay", args=[application.code]))
    contract = Contract.objects.get(application=application)
    assert response.status_code == 302 and response["Location"] == reverse(
        "family_finance:contract", args=[contract.uuid]
    )
    assert (contract.status, contract.certificate_total, contract.family_total) == (
        ContractStatus.CREATED,
        2_700_000,
        0,
    )
    # Asking again leads to the same contract.
    assert page(family_client, "pay", code=application.code)["Location"] == response["Location"]
    html = page(family_client, "certificate", child_uuid=certificate.child.uuid).content.decode()
    assert "Сертификат ПФ" in html and money("3 000,00 ₽") in html and money("27 000,00 ₽") in html


def test_a_copayment_needs_the_familys_consent(family_client, personas, period, cert_group, certificate):
    expensive = make_certified_program(
        personas.org_a, period, operator=personas.operator_a, moderator=personas.municipal_x, price=Decimal(4000)
    )
    application = enrolled(personas.family, personas.operator_a, certificate, expensive.group)
    html = page(family_client, "pay", code=application.code).content.decode()
    assert "Согласен на доплату" in html and money("7 200,00 ₽") in html and money("28 800,00 ₽") in html

    response = family_client.post(reverse("family_finance:pay", args=[application.code]))
    assert response.status_code == 200
    assert "Подтвердите доплату" in response.content.decode()
    assert not Contract.objects.exists()
    assert not Account.objects.filter(kind=AccountKind.RESERVE).exists()

    family_client.post(reverse("family_finance:pay", args=[application.code]), {"accept_copayment": "on"})
    contract = Contract.objects.get(application=application)
    assert (contract.certificate_total, contract.family_total) == (2_880_000, 720_000)


def test_the_family_accepts_and_then_terminates_the_contract(family_client, personas, contract):
    html = page(family_client, "contract", contract_uuid=contract.uuid).content.decode()
    assert "Создан, ожидает подтверждения" in html and "Отказаться" in html and "Заключить договор" not in html

    contracts.confirm_contract(personas.operator_a, contract)
    html = page(family_client, "contract", contract_uuid=contract.uuid).content.decode()
    assert "Заключить договор" in html and money("27 000,00 ₽") in html

    family_client.post(reverse("family_finance:accept", args=[contract.uuid]))
    contract.refresh_from_db()
    assert contract.status == ContractStatus.ACTIVE
    html = page(family_client, "contract", contract_uuid=contract.uuid).content.decode()
    assert "Действует" in html and "Расторгнуть" in html and "История договора" in html
    assert f"{contract.months} месяцев</dd>" in html and "(по договору" not in html

    response = family_client.post(
        reverse("family_finance:terminate", args=[contract.uuid]), {"reason": " "}, follow=True
    )
    assert "Укажите причину расторжения" in response.content.decode()
    contract.refresh_from_db()
    assert contract.status == ContractStatus.ACTIVE

    family_client.post(reverse("family_finance:terminate", args=[contract.uuid]), {"reason": "Переезд"})
    contract.refresh_from_db()
    assert contract.status == ContractStatus.TERMINATED and contract.reason == "Переезд"
    # September is still due to the provider; the rest came back to the certificate.
    html = page(family_client, "contract", contract_uuid=contract.uuid).content.decode()
    assert "Расторгнут" in html and f'id="contract-reserve">{money("3 000,00 ₽")}<' in html
    # It lasted to the end of September: one month of the nine agreed.
    assert f"30.09.2026, 1 месяц (по договору {contract.months})</dd>" in html
    # The PDF says so too (it read «с 01.09.2026 по 30.09.2026 (9 мес.)»).
    assert pdf.term_lines(contract) == [
        ("Срок обучения", f"с 01.09.2026, {contract.months} мес."),
        ("Договор расторгнут", "действует по 30.09.2026 (1 мес.)"),
    ]
    assert page(family_client, "pdf", contract_uuid=contract.uuid).status_code == 200
    certificate_page = family_client.get(reverse("family_finance:certificate", args=[contract.certificate.child.uuid]))
    assert f"расторгнут: 1 из {contract.months} мес." in certificate_page.content.decode()


def test_the_family_refuses_a_pending_contract(family_client, personas, contract, certificate, period):
    family_client.post(reverse("family_finance:reject", args=[contract.uuid]))
    contract.refresh_from_db()
    assert contract.status == ContractStatus.REJECTED
    assert Account.objects.get(kind=AccountKind.CERTIFICATE, certificate=certificate).balance == 3_000_000
    cabinet = family_client.get(reverse("family:cabinet")).content.decode()
    assert contract.code in cabinet and "отклонён" in cabinet


def test_the_contract_pdf(family_client, contract, caplog):
    response = page(family_client, "pdf", contract_uuid=contract.uuid)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert not [r for r in caplog.records if "missing" in r.getMessage()]  # every glyph is in DejaVu


def test_another_family_and_staff_get_404(client, personas, contract, application, certificate):
    urls = [
        reverse("family_finance:certificate", args=[certificate.child.uuid]),
        reverse("family_finance:pay", args=[application.code]),
        reverse("family_finance:contract", args=[contract.uuid]),
        reverse("family_finance:pdf", args=[contract.uuid]),
    ]
    actions = [reverse(f"family_finance:{name}", args=[contract.uuid]) for name in ("accept", "reject", "terminate")]
    for outsider in (personas.other_family, personas.operator_b, personas.municipal_x):
        client.force_login(outsider)
        for url in urls:
            assert client.get(url).status_code == 404, (outsider, url)
            assert client.post(url).status_code in (404, 405), (outsider, url)
        for url in actions:
            assert client.post(url, {"reason": "x"}).status_code == 404, (outsider, url)
    contract.refresh_from_db()
    assert contract.status == ContractStatus.CREATED
    assert not Certificate.objects.exclude(pk=certificate.pk).exists()


def test_guests_are_sent_to_sign_in(client, contract, application, certificate):
    for url in (
        reverse("family_finance:certificate", args=[certificate.child.uuid]),
        reverse("family_finance:pay", args=[application.code]),
        reverse("family_finance:contract", args=[contract.uuid]),
        reverse("family_finance:pdf", args=[contract.uuid]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    response = client.post(reverse("family_finance:accept", args=[contract.uuid]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
