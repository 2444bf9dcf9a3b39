"""Reports for operators: nominal issued, reserved, spent and left, and certificates issued and used.

Every figure comes from the ledger (postings by operation kind, balances of accounts), grouped
by municipality, provider or program; the caller passes the periods it may see.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import CharField, Count, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Concat

from finance.models import (
    LIVE_CONTRACT,
    Account,
    AccountKind,
    Certificate,
    CertificateStatus,
    Contract,
    ContractStatus,
    FinancingPeriod,
    NominalKind,
    OperationKind,
    Posting,
    kopecks,
)


@dataclass
class MoneyRow:
    """One line of a money report, in kopecks."""

    key: int
    name: str
    issued: int = 0
    reserved: int = 0
    spent: int = 0
    left: int = 0
    contracts: int = 0
    extra: dict[str, int] = field(default_factory=dict)


def _postings(periods: QuerySet[FinancingPeriod], kind: str) -> QuerySet[Posting]:
    return Posting.objects.filter(operation__period__in=periods, operation__kind=kind)


def by_municipality(periods: QuerySet[FinancingPeriod]) -> list[MoneyRow]:
    """Per municipality (its periods): nominal issued (net of returns to the budget), reserved
    under contracts now, spent (charged to providers), left on certificates."""
    rows: dict[int, MoneyRow] = {}
    for period in periods.select_related("municipality"):
        rows.setdefault(period.municipality_id, MoneyRow(period.municipality_id, period.municipality.name))

    def add(query: Iterable[tuple[int, int]], attribute: str) -> None:
        for municipality_id, total in query:
            row = rows[municipality_id]
            setattr(row, attribute, getattr(row, attribute) + (total or 0))

    group = "operation__period__municipality_id"
    add(
        _postings(periods, OperationKind.ISSUE).values(group).annotate(t=Sum("amount")).values_list(group, "t"),
        "issued",
    )
    returned = _postings(periods, OperationKind.REVOKE).values(group).annotate(t=Sum("amount")).values_list(group, "t")
    add(((m, -t) for m, t in returned), "issued")
    add(
        _postings(periods, OperationKind.CHARGE).values(group).annotate(t=Sum("amount")).values_list(group, "t"),
        "spent",
    )
    balances = (
        Account.objects.filter(period__in=periods, kind__in=(AccountKind.RESERVE, AccountKind.CERTIFICATE))
        .values("period__municipality_id", "kind")
        .annotate(t=Sum("balance"))
    )
    for line in balances:
        add(
            [(line["period__municipality_id"], line["t"])],
            "reserved" if line["kind"] == AccountKind.RESERVE else "left",
        )
    contracts = (
        Contract.objects.filter(period__in=periods)
        .exclude(status=ContractStatus.REJECTED)
        .values("period__municipality_id")
        .annotate(n=Count("pk"))
    )
    for line in contracts:
        rows[line["period__municipality_id"]].contracts = line["n"]
    return sorted(rows.values(), key=lambda r: r.name)


def _by_contract_owner(periods: QuerySet[FinancingPeriod], key: str, name: Any) -> list[MoneyRow]:
    """Reserved and spent per provider or program (the contract's `key`, shown by the expression `name`)."""
    rows: dict[int, MoneyRow] = {}
    contracts = (
        Contract.objects.filter(period__in=periods)
        .exclude(status=ContractStatus.REJECTED)
        .values(key)
        .annotate(label=name, n=Count("pk"), reserved=Sum("reserve_account__balance"))
    )
    for line in contracts:
        rows[line[key]] = MoneyRow(line[key], line["label"], reserved=line["reserved"] or 0, contracts=line["n"])
    spent = (
        _postings(periods, OperationKind.CHARGE)
        .values(f"operation__contract__{key}")
        .annotate(t=Sum("amount"))
        .values_list(f"operation__contract__{key}", "t")
    )
    for owner, total in spent:
        if owner in rows:
            rows[owner].spent = total or 0
    return sorted(rows.values(), key=lambda r: r.name)


def by_provider(periods: QuerySet[FinancingPeriod]) -> list[MoneyRow]:
    return _by_contract_owner(periods, "provider_id", F("provider__organization__short_name"))


def by_program(periods: QuerySet[FinancingPeriod]) -> list[MoneyRow]:
    # Many organizations teach «Алгоритмика»: a program is named with its code and organization.
    program = "group__program__"
    name = Concat(
        F(f"{program}title"),
        Value(" ("),
        F(f"{program}code"),
        Value(", "),
        F(f"{program}organization__short_name"),
        Value(")"),
        output_field=CharField(),
    )
    return _by_contract_owner(periods, "group__program_id", name)


@dataclass(frozen=True)
class CertificateCounts:
    municipality: str
    requested: int
    issued: int
    financing: int
    used: int  # with a contract that is or was in effect


def certificate_counts(periods: QuerySet[FinancingPeriod]) -> list[CertificateCounts]:
    municipalities = periods.values("municipality_id")
    used = Contract.objects.filter(status__in=(*LIVE_CONTRACT, ContractStatus.TERMINATED)).values("certificate_id")
    counts = (
        Certificate.objects.filter(municipality__in=municipalities)
        .values("municipality__name")
        .annotate(
            requested=Count("pk", filter=Q(status=CertificateStatus.REQUESTED)),
            issued=Count("pk", filter=Q(status__in=(CertificateStatus.ACCOUNTING, CertificateStatus.FINANCING))),
            financing=Count("pk", filter=Q(status=CertificateStatus.FINANCING)),
            used=Count("pk", filter=Q(pk__in=used)),
        )
        .order_by("municipality__name")
    )
    return [
        CertificateCounts(c["municipality__name"], c["requested"], c["issued"], c["financing"], c["used"])
        for c in counts
    ]


def totals(rows: Iterable[MoneyRow]) -> MoneyRow:
    total = MoneyRow(0, "Итого")
    sums: dict[str, int] = defaultdict(int)
    for row in rows:
        for attribute in ("issued", "reserved", "spent", "left", "contracts"):
            sums[attribute] += getattr(row, attribute)
    for attribute, value in sums.items():
        setattr(total, attribute, value)
    return total


@dataclass(frozen=True)
class CertificateMoney:
    """A ПФ certificate's money in its period, in kopecks."""

    nominal: int
    balance: int
    reserved: int
    spent: int


def certificate_money(certificate: Certificate) -> CertificateMoney | None:
    """A ПФ certificate's nominal, free balance, reserve under contracts and money spent in its
    period (None for a certificate that holds no money)."""
    group = certificate.group
    if certificate.status != CertificateStatus.FINANCING or group is None:
        return None
    period_id = group.period_id
    balance = (
        Account.objects.filter(kind=AccountKind.CERTIFICATE, period_id=period_id, certificate=certificate)
        .values_list("balance", flat=True)
        .first()
    )
    reserved = Account.objects.filter(
        kind=AccountKind.RESERVE, period_id=period_id, contract__certificate=certificate
    ).aggregate(total=Sum("balance"))["total"]
    spent = Posting.objects.filter(
        operation__kind=OperationKind.CHARGE, operation__period_id=period_id, operation__certificate=certificate
    ).aggregate(total=Sum("amount"))["total"]
    nominal = kopecks(group.nominal) if group.nominal_kind == NominalKind.RUBLES else 0
    return CertificateMoney(nominal=nominal, balance=balance or 0, reserved=reserved or 0, spent=spent or 0)
