"""The finance admin: every model listed for the administrator; the ledger and everything the
services write are read-only; the payer's periods and certificate groups are edited here."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from finance.models import Account, CertificateGroup, FinancingPeriod, Operation, Posting

pytestmark = pytest.mark.django_db

EDITABLE = {FinancingPeriod, CertificateGroup}


def test_every_finance_model_is_registered_and_its_list_opens(client, personas, offer):
    client.force_login(personas.admin)
    models = set(apps.get_app_config("finance").get_models())
    assert models - set(admin.site._registry) == set()
    for model in models:
        url = reverse(f"admin:finance_{model._meta.model_name}_changelist")
        assert client.get(url).status_code == 200, model
        assert client.get(url, {"q": "1"}).status_code == 200, model


def test_only_the_payers_settings_are_editable_and_the_ledger_is_append_only(personas):
    request = RequestFactory().get("/admin/")
    request.user = personas.admin
    for model in apps.get_app_config("finance").get_models():
        model_admin = admin.site._registry[model]
        editable = model_admin.has_add_permission(request) and model_admin.has_change_permission(request)
        assert editable == (model in EDITABLE), model
    for model in (Operation, Posting, Account):
        model_admin = admin.site._registry[model]
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request)
        assert not model_admin.has_delete_permission(request)


def test_a_period_opens_with_its_certificate_groups_inline(client, personas, period, cert_group):
    client.force_login(personas.admin)
    response = client.get(reverse("admin:finance_financingperiod_change", args=[period.pk]))
    assert response.status_code == 200
    assert cert_group.name in response.content.decode()


def test_the_nominal_of_a_funded_group_cannot_change(personas, offer, cert_group):
    from decimal import Decimal

    from django.core.exceptions import ValidationError

    from finance import contracts
    from finance.testing import enrolled, issued_certificate

    cert_group.nominal = Decimal(25000)
    cert_group.full_clean()  # nothing funded yet: allowed
    cert_group.save()
    certificate = issued_certificate(personas.family, personas.municipal_x)
    application = enrolled(personas.family, personas.operator_a, certificate, offer.group)
    contracts.request_contract(personas.family, application, accept_copayment=True)
    cert_group.refresh_from_db()
    cert_group.nominal = Decimal(40000)
    with pytest.raises(ValidationError, match="номинал менять нельзя"):
        cert_group.full_clean()
    cert_group.refresh_from_db()
    cert_group.max_certificates = 5  # the caps may still change
    cert_group.full_clean()


def funded(personas, offer, cert_group):
    """A contract of a certificate funded from `cert_group` in its period."""
    from finance import contracts
    from finance.testing import enrolled, issued_certificate

    certificate = issued_certificate(personas.family, personas.municipal_x)
    application = enrolled(personas.family, personas.operator_a, certificate, offer.group)
    contracts.request_contract(personas.family, application, accept_copayment=True)
    cert_group.refresh_from_db()
    assert cert_group.funded_count == 1
    return cert_group


def test_a_cap_below_what_is_funded_is_a_form_error_not_a_server_error(client, personas, offer, cert_group):
    from catalog.tests.test_admin import form_data

    funded(personas, offer, cert_group)
    client.force_login(personas.admin)
    url = reverse("admin:finance_certificategroup_change", args=[cert_group.pk])
    response = client.post(url, {**form_data(client.get(url)), "max_certificates": "0"})
    assert response.status_code == 200
    assert "Уже выдано сертификатов ПФ: 1" in " ".join(response.context["adminform"].form.errors["max_certificates"])
    # The same in the period's page, where the groups are rows.
    url = reverse("admin:finance_financingperiod_change", args=[cert_group.period_id])
    data = form_data(client.get(url))
    response = client.post(url, {**data, "certificate_groups-0-max_certificates": "0"})
    assert response.status_code == 200
    assert "Уже выдано сертификатов ПФ: 1" in response.content.decode()
    cert_group.refresh_from_db()
    assert cert_group.max_certificates > 0


def test_a_funded_groups_ages_and_a_used_periods_dates_do_not_change(client, personas, offer, cert_group):
    from catalog.tests.test_admin import form_data

    client.force_login(personas.admin)
    group_url = reverse("admin:finance_certificategroup_change", args=[cert_group.pk])
    period_url = reverse("admin:finance_financingperiod_change", args=[cert_group.period_id])
    assert {"age_from", "age_to"} <= set(client.get(group_url).context["adminform"].form.fields)
    assert {"starts_on", "ends_on"} <= set(client.get(period_url).context["adminform"].form.fields)

    funded(personas, offer, cert_group)
    page = client.get(group_url)
    assert not {"age_from", "age_to"} & set(page.context["adminform"].form.fields)
    assert client.post(group_url, {**form_data(page), "age_from": "3", "age_to": "18"}).status_code == 302
    page = client.get(period_url)
    assert not {"starts_on", "ends_on"} & set(page.context["adminform"].form.fields)
    assert "Даты периода не меняются: по периоду заключены договоры." in page.content.decode()
    data = {**form_data(page), "starts_on": "2026-01-01", "certificate_groups-0-age_from": "3"}
    response = client.post(period_url, data)
    assert response.status_code == 200  # the funded group's row refuses its new age
    assert "возраст менять нельзя" in response.content.decode()
    response = client.post(period_url, {**data, "certificate_groups-0-age_from": str(cert_group.age_from)})
    assert response.status_code == 302
    cert_group.refresh_from_db()
    period = cert_group.period
    assert (cert_group.age_from, cert_group.age_to, period.starts_on.isoformat()) == (5, 17, "2026-09-01")
