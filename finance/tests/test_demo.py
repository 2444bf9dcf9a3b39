"""The financing demo: every contract status, the demo family's balance, and a ledger that reconciles."""

from io import StringIO

import pytest
from django.core.management import call_command

from finance.models import (
    Account,
    AccountKind,
    Agreement,
    Certificate,
    Certification,
    CertificationStatus,
    Contract,
    ContractStatus,
    FinancingPeriod,
    MonthClose,
)
from finance.reconcile import reconcile

pytestmark = pytest.mark.django_db

SIZE = ["--municipalities", "2", "--organizations", "40", "--programs", "400", "--children", "400"]
SIZE += ["--registry-share", "0.02"]


def test_the_demo_has_financing_in_every_state_and_reconciles():
    out = StringIO()
    call_command("load_demo", *SIZE, stdout=out)
    assert "Финансирование:" in out.getvalue()
    assert FinancingPeriod.objects.count() == 2
    assert Certification.objects.filter(status=CertificationStatus.CERTIFIED).exists()
    assert Agreement.objects.exists()
    assert set(Contract.objects.values_list("status", flat=True)) == set(ContractStatus.values)
    family = Certificate.objects.filter(child__guardians__user__email="family@demo.opora")
    active = Contract.objects.get(certificate__in=family, status=ContractStatus.ACTIVE)
    balance = Account.objects.get(kind=AccountKind.CERTIFICATE, certificate=active.certificate).balance
    assert balance > 0 and active.certificate.number
    assert MonthClose.objects.exists()  # the months since September are closed
    assert reconcile() == []

    call_command("load_demo", *SIZE, "--reset", stdout=StringIO())  # a rerun replaces the finance demo too
    assert FinancingPeriod.objects.count() == 2
    assert reconcile() == []
