"""Enrollments racing for the last money of one certificate on PostgreSQL: the balance never goes
below zero and exactly the contracts the money covers are made."""

from collections import Counter
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.timezone import now

from enrollment.tests.test_concurrency import run_at_once
from finance import certificates, contracts, ledger
from finance.models import Account, AccountKind, Certificate, Contract, OperationKind
from finance.reconcile import reconcile
from finance.testing import enrolled, issued_certificate, make_certified_program

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif("postgresql" not in settings.DATABASES["default"]["ENGINE"], reason="row locks need PostgreSQL"),
]


def test_enrollments_race_for_the_last_money(personas, period, cert_group):
    # Five programs at 1 000 ₽ a month for 9 months: each contract takes 9 000 ₽ of the
    # 30 000 ₽ nominal, so three fit and the others find too little money left.
    offers = [
        make_certified_program(
            personas.org_a,
            period,
            operator=personas.operator_a,
            moderator=personas.municipal_x,
            price=Decimal(1000),
            title=f"Программа {n}",
        )
        for n in range(5)
    ]
    certificate = issued_certificate(personas.family, personas.municipal_x)
    applications = [
        enrolled(personas.family, personas.operator_a, certificate, o.group, f"k{n}") for n, o in enumerate(offers)
    ]
    results = run_at_once([lambda a=a: contracts.request_contract(personas.family, a).pk for a in applications])
    outcomes = Counter("contract" if isinstance(r, int) else type(r).__name__ for r in results)
    assert outcomes == {"contract": 3, "ValidationError": 2}, results
    assert all("Доплата семьи" in str(r) for r in results if isinstance(r, ValidationError))
    balance = Account.objects.get(kind=AccountKind.CERTIFICATE, certificate=certificate).balance
    assert balance == 3_000_000 - 3 * 900_000
    assert Contract.objects.count() == 3
    assert not reconcile()


def test_raw_postings_racing_for_one_account_never_overdraw(personas, period, cert_group):
    certificate = issued_certificate(personas.family, personas.municipal_x)
    with transaction.atomic():
        certificates.ensure_financing(None, certificates.locked(Certificate.objects, pk=certificate.pk), period, now())
    budget = ledger.budget_account(period.pk)
    account = ledger.certificate_account(period.pk, certificate.pk)
    calls = [
        lambda n=n: (
            ledger.post(
                None,
                ledger.Entry(f"spend-{n}", OperationKind.REVOKE, period.pk, [ledger.Move(account, budget, 900_000)]),
            ).key
        )
        for n in range(10)
    ]
    results = run_at_once(calls)
    outcomes = Counter("posted" if isinstance(r, str) else type(r).__name__ for r in results)
    assert outcomes == {"posted": 3, "InsufficientFundsError": 7}, results
    account.refresh_from_db()
    assert account.balance == 300_000
    assert not reconcile()
