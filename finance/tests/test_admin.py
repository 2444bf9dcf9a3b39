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
