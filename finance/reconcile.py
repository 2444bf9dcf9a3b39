"""Reconciliation: every invariant of the ledger checked against the data, each difference reported.

Run by `manage.py reconcile_ledger`, by the tests after every step, and by the benchmark. It
never fixes anything: a difference is a defect to investigate, corrected by a new operation.
"""

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, F, Q, Sum

from finance.models import (
    GUARDED_ACCOUNTS,
    LIVE_CONTRACT,
    Account,
    AccountKind,
    Certificate,
    CertificateGroup,
    CertificateStatus,
    Contract,
    ContractStatus,
    Operation,
    OperationKind,
    Posting,
)


@dataclass(frozen=True)
class Difference:
    rule: str
    detail: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.detail}"


def _balances_from_postings() -> dict[int, int]:
    computed: dict[int, int] = defaultdict(int)
    for account_id, total in (
        Posting.objects.values("credit_id").annotate(t=Sum("amount")).values_list("credit_id", "t")
    ):
        computed[account_id] += total
    for account_id, total in Posting.objects.values("debit_id").annotate(t=Sum("amount")).values_list("debit_id", "t"):
        computed[account_id] -= total
    return computed


def reconcile(limit: int = 20) -> list[Difference]:
    """All invariants; at most `limit` differences reported per rule."""
    found: list[Difference] = []

    def report(rule: str, details: list[str]) -> None:
        found.extend(Difference(rule, d) for d in details[:limit])
        if len(details) > limit:
            found.append(Difference(rule, f"и ещё {len(details) - limit}"))

    computed = _balances_from_postings()
    accounts = Account.objects.values_list("pk", "kind", "balance", "period_id", "contract_id", "certificate_id")
    cached_wrong, negative = [], []
    reserve_of: dict[int, int] = {}
    certificate_money: dict[int, int] = defaultdict(int)
    totals_by_period: dict[int, int] = defaultdict(int)
    for pk, kind, balance, period_id, contract_id, certificate_id in accounts.iterator(chunk_size=20000):
        if balance != computed.get(pk, 0):
            cached_wrong.append(f"счёт #{pk}: остаток {balance}, по проводкам {computed.get(pk, 0)}")
        if kind in GUARDED_ACCOUNTS and balance < 0:
            negative.append(f"счёт #{pk} ({kind}): {balance}")
        if kind == AccountKind.RESERVE:
            reserve_of[contract_id] = balance
        if kind == AccountKind.CERTIFICATE:
            certificate_money[certificate_id] += balance
        totals_by_period[period_id] += balance
    report("остаток счёта равен сумме его проводок", cached_wrong)
    report("охраняемый остаток не отрицателен", negative)
    report(
        "деньги периода не создаются и не исчезают",
        [f"период #{p}: сумма остатков {t}" for p, t in totals_by_period.items() if t != 0],
    )

    # Each posting stays within its operation's period: money never jumps between payers.
    crossing = Posting.objects.exclude(debit__period=F("operation__period")) | Posting.objects.exclude(
        credit__period=F("operation__period")
    )
    report("проводка внутри периода операции", [f"проводка #{pk}" for pk in crossing.values_list("pk", flat=True)[:50]])

    twice = (
        Operation.objects.filter(kind=OperationKind.CHARGE)
        .values("contract_id", "month")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
    )
    report(
        "не больше одного списания за месяц по договору", [f"договор #{r['contract_id']} {r['month']}" for r in twice]
    )

    flows: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for contract_id, kind, total in (
        Posting.objects.filter(operation__contract__isnull=False)
        .values("operation__contract_id", "operation__kind")
        .annotate(t=Sum("amount"))
        .values_list("operation__contract_id", "operation__kind", "t")
    ):
        flows[contract_id][kind] = total
    contract_wrong, closed_holding = [], []
    for pk, status, certificate_total in Contract.objects.values_list("pk", "status", "certificate_total").iterator(
        chunk_size=20000
    ):
        flow = flows[pk]
        reserve = reserve_of.get(pk, 0)
        if (
            flow[OperationKind.RESERVE] != certificate_total
            or reserve != certificate_total - flow[OperationKind.CHARGE] - flow[OperationKind.RELEASE]
        ):
            contract_wrong.append(
                f"договор #{pk}: резерв {reserve}, по договору {certificate_total}, списано "
                f"{flow[OperationKind.CHARGE]}, возвращено {flow[OperationKind.RELEASE]}"
            )
        if status == ContractStatus.REJECTED and reserve != 0:
            closed_holding.append(f"договор #{pk} отклонён, а в резерве {reserve}")
    report("резерв договора = его стоимость − списания − возвраты", contract_wrong)
    report("у отклонённого договора нет резерва", closed_holding)

    report(
        "деньги есть только у сертификата ПФ",
        [
            f"сертификат #{pk}"
            for pk in Certificate.objects.exclude(status=CertificateStatus.FINANCING)
            .filter(pk__in=[c for c, money in certificate_money.items() if money])
            .values_list("pk", flat=True)
        ],
    )

    caps_wrong = []
    funded = dict(
        Certificate.objects.filter(status=CertificateStatus.FINANCING)
        .values("group_id")
        .annotate(n=Count("pk"))
        .values_list("group_id", "n")
    )
    for group in CertificateGroup.objects.all():
        count = funded.get(group.pk, 0)
        if group.funded_count != count or group.funded_total != count * group.nominal_value:
            caps_wrong.append(
                f"группа «{group.name}»: учтено {group.funded_count} на {group.funded_total}, сертификатов ПФ {count}"
            )
    report("счётчики групп сертификатов совпадают с выданными", caps_wrong)

    hours = dict(
        Contract.objects.filter(status__in=LIVE_CONTRACT, hours_covered__gt=0)
        .values("certificate_id")
        .annotate(general=Sum(F("hours_covered") - F("significant_hours_covered")))
        .values_list("certificate_id", "general")
    )
    hours_wrong = [
        f"сертификат #{pk}: занято {used} ч, по договорам {hours.get(pk, 0)}"
        for pk, used in Certificate.objects.filter(Q(weekly_hours_used__gt=0) | Q(pk__in=hours.keys())).values_list(
            "pk", "weekly_hours_used"
        )
        if used != hours.get(pk, 0)
    ]
    report("занятые часы сертификата = часы действующих договоров", hours_wrong)
    return found
