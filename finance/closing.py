"""The monthly close, the providers' completeness reports and invoices, and the payments register.

Closing a month moves, for every contract of the period that ran in it, one monthly payment from
the contract's reserve to the provider: the scheduled payment × the completeness the provider
reported for the group × (by attendance) the share of the month's lessons the child attended.
A contract that ended in the month then returns what is left of its reserve. Each charge's key
is (contract, month), so closing again writes nothing for a contract already charged; the work
goes in chunks, each one transaction under the close's row lock, so a concurrent close waits and
then finds nothing left to do.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Sum
from django.utils import timezone

from core import audit, scope
from core.money import rub
from enrollment.models import Attendance, Lesson
from finance import contracts, ledger
from finance.models import (
    ADVANCE_SHARE,
    AccountKind,
    Completeness,
    Contract,
    ContractEvent,
    ContractStatus,
    FinancingPeriod,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    MonthClose,
    Operation,
    OperationKind,
    PaymentOrder,
    Posting,
    Provider,
    first_day,
)

CHUNK = 2000
CS = ContractStatus


def _check_month(period: FinancingPeriod, month: date) -> date:
    month = first_day(month)
    if not (first_day(period.starts_on) <= month <= period.ends_on):
        raise ValidationError({"month": f"Месяц вне периода «{period.name}»."})
    if month > timezone.localdate():
        raise ValidationError({"month": "Закрыть можно только начавшийся месяц."})
    return month


def closed_months(period: FinancingPeriod) -> set[date]:
    """The months of the period its municipality has closed."""
    return set(MonthClose.objects.filter(period=period, closed_at__isnull=False).values_list("month", flat=True))


def report_completeness(actor: Any, group_id: int, month: date, percent: int) -> Completeness:
    """The provider reports how fully the group's services were provided; only before the close."""
    contract = Contract.objects.filter(group_id=group_id).select_related("period").first()
    if contract is None:
        raise ValidationError({"group": "В группе нет договоров по сертификатам."})
    if not scope.can(actor, contract, "change"):
        raise PermissionDenied("Полноту оказания услуг сообщает организация-исполнитель.")
    if not 0 <= percent <= 100:
        raise ValidationError({"percent": "Полнота — от 0 до 100 %."})
    month = _check_month(contract.period, month)
    with transaction.atomic():
        if Operation.objects.filter(kind=OperationKind.CHARGE, month=month, contract__group_id=group_id).exists():
            raise ValidationError({"month": "Месяц уже закрыт: полноту за него изменить нельзя."})
        report, _ = Completeness.objects.update_or_create(
            group_id=group_id, month=month, defaults={"percent": percent, "reported_by": actor}
        )
        audit.record(actor, "completeness.reported", report, month=month.isoformat(), percent=percent)
    return report


@dataclass(frozen=True)
class _Due:
    contract_id: int
    reserve_id: int
    amount: int
    releases: int  # what the reserve returns after the charge (a contract that ended)


def _attendance_shares(rows: list[dict[str, Any]], month: date) -> dict[int, Decimal]:
    """Attended ÷ held lessons of the month, within each contract's dates, for contracts paid by
    attendance. No lesson held means nothing was provided: the share is zero."""
    by_attendance = [r for r in rows if r["payment_order"] == PaymentOrder.ATTENDANCE]
    if not by_attendance:
        return {}
    last = contracts.month_end(month)
    lessons: dict[int, list[tuple[int, date]]] = defaultdict(list)
    for lesson_id, group_id, day in Lesson.objects.filter(
        group_id__in={r["group_id"] for r in by_attendance}, date__gte=month, date__lte=last, is_cancelled=False
    ).values_list("pk", "group_id", "date"):
        lessons[group_id].append((lesson_id, day))
    present = set(
        Attendance.objects.filter(
            application_id__in=[r["application_id"] for r in by_attendance],
            lesson__date__gte=month,
            lesson__date__lte=last,
            present=True,
        ).values_list("application_id", "lesson_id")
    )
    shares = {}
    for r in by_attendance:
        held = [pk for pk, day in lessons[r["group_id"]] if r["starts_on"] <= day <= r["ends_on"]]
        attended = sum((r["application_id"], pk) in present for pk in held)
        shares[r["id"]] = Decimal(attended) / len(held) if held else Decimal(0)
    return shares


def _dues(rows: list[dict[str, Any]], month: date) -> list[_Due]:
    completeness = dict(
        Completeness.objects.filter(group_id__in={r["group_id"] for r in rows}, month=month).values_list(
            "group_id", "percent"
        )
    )
    shares = _attendance_shares(rows, month)
    charges_before = dict(
        Operation.objects.filter(contract_id__in=[r["id"] for r in rows], kind=OperationKind.CHARGE)
        .values("contract_id")
        .annotate(n=Count("pk"))
        .values_list("contract_id", "n")
    )
    last = contracts.month_end(month)
    dues = []
    for r in rows:
        scheduled = r["certificate_first_month"] if first_day(r["starts_on"]) == month else r["certificate_other_month"]
        factor = Decimal(completeness.get(r["group_id"], 100)) / 100 * shares.get(r["id"], Decimal(1))
        amount = min(int((scheduled * factor).to_integral_value(ROUND_HALF_UP)), r["reserve_balance"])
        # Every month of a contract that has ended is charged: what is left goes back.
        finished = r["ends_on"] <= last and charges_before.get(r["id"], 0) + 1 >= r["months"]
        releases = r["reserve_balance"] - amount if finished else 0
        dues.append(_Due(r["id"], r["reserve_id"], amount, releases))
    return dues


def close_month(actor: Any, period: FinancingPeriod, month: date) -> MonthClose:
    """Charge the month for every contract of the period that ran in it (see the module's note)."""
    if actor is not None and not scope.can(actor, period, "change"):
        raise PermissionDenied("Закрывает месяц оператор муниципалитета.")
    month = _check_month(period, month)
    last = contracts.month_end(month)
    if last >= timezone.localdate():
        # A month is charged in full: closed before it ends, its providers would be paid for lessons
        # not yet given, and could no longer report its completeness.
        raise ValidationError({"month": f"Закрыть можно только закончившийся месяц: этот идёт по {last:%d.%m.%Y}."})
    record, _ = MonthClose.objects.get_or_create(period=period, month=month)
    charged = released = count = 0
    charged_already = Operation.objects.filter(contract=OuterRef("pk"), kind=OperationKind.CHARGE, month=month)
    candidates = (
        Contract.objects.filter(
            period=period, status__in=(CS.ACTIVE, CS.TERMINATED), starts_on__lte=last, ends_on__gte=month
        )
        .filter(~Exists(charged_already))
        .order_by("pk")
    )
    fields = (
        "id",
        "application_id",
        "group_id",
        "provider_id",
        "certificate_id",
        "starts_on",
        "ends_on",
        "months",
        "status",
        "payment_order",
        "certificate_first_month",
        "certificate_other_month",
        "hours_covered",
    )
    payable: dict[int, int] = {}
    after = 0
    while True:
        with transaction.atomic():
            MonthClose.objects.select_for_update().get(pk=record.pk)  # one close of the month at a time
            rows = list(
                candidates.filter(pk__gt=after).values(
                    *fields, reserve_id=F("reserve_account__id"), reserve_balance=F("reserve_account__balance")
                )[:CHUNK]
            )
            if not rows:
                break
            after = rows[-1]["id"]
            dues = _dues(rows, month)
            for provider_id in {r["provider_id"] for r in rows} - payable.keys():
                payable[provider_id] = ledger.provider_account(AccountKind.PAYABLE, period.pk, provider_id).pk
            by_id = {r["id"]: r for r in rows}
            entries = []
            for due in dues:
                r = by_id[due.contract_id]
                moves = [ledger.Move(due.reserve_id, payable[r["provider_id"]], due.amount)] if due.amount else []
                entries.append(
                    ledger.Entry(
                        key=f"charge:{due.contract_id}:{month:%Y-%m}",
                        kind=OperationKind.CHARGE,
                        period_id=period.pk,
                        certificate_id=r["certificate_id"],
                        contract_id=due.contract_id,
                        month=month,
                        moves=moves,
                    )
                )
            ledger.post_many(actor, entries)
            finished = [due for due in dues if by_id[due.contract_id]["ends_on"] <= last]
            _finish(actor, period, [by_id[d.contract_id] for d in finished], [d for d in finished if d.releases > 0])
            count += len(dues)
            charged += sum(d.amount for d in dues)
            released += sum(d.releases for d in dues)
    with transaction.atomic():
        record = MonthClose.objects.select_for_update().get(pk=record.pk)
        record.runs += 1
        record.closed_at = timezone.now()
        record.closed_by = actor if getattr(actor, "is_authenticated", False) else None
        record.contracts_charged += count
        record.charged_total += charged
        record.released_total += released
        record.save()
        audit.record(
            actor, "month.closed", record, month=month.isoformat(), contracts=count, charged=charged, released=released
        )
    return record


def _finish(actor: Any, period: FinancingPeriod, ended: list[dict[str, Any]], releasing: list[_Due]) -> None:
    """Contracts whose last month was charged: the rest of the reserve returns, active ones end."""
    if releasing:
        sources = {}
        for contract in Contract.objects.filter(pk__in=[d.contract_id for d in releasing]).only(
            "pk", "code", "period_id", "certificate_id", "hours_covered"
        ):
            sources[contract.pk] = contract
        ledger.post_many(actor, [contracts.release_entry(sources[d.contract_id], d.releases, "end") for d in releasing])
    still_active = [r["id"] for r in ended if r["status"] == CS.ACTIVE]
    if not still_active:
        return
    now = timezone.now()
    reason = "Срок договора истёк"
    Contract.objects.filter(pk__in=still_active).update(
        status=CS.TERMINATED, ended_at=now, reason=reason, updated_at=now
    )
    ContractEvent.objects.bulk_create(
        ContractEvent(contract_id=pk, from_status=CS.ACTIVE, to_status=CS.TERMINATED, reason=reason)
        for pk in still_active
    )
    hours = list(Contract.objects.filter(pk__in=still_active, hours_covered__gt=0))
    if hours:
        contracts.free_hours(hours)


def month_charges(period: FinancingPeriod, month: date, provider: Provider | None = None) -> int:
    postings = Posting.objects.filter(
        operation__period=period, operation__kind=OperationKind.CHARGE, operation__month=month
    )
    if provider is not None:
        postings = postings.filter(credit__provider=provider)
    return postings.aggregate(total=Sum("amount"))["total"] or 0


def expected_for_month(provider: Provider, period: FinancingPeriod, month: date) -> int:
    """What the provider's live contracts are scheduled to be paid for the month."""
    month = first_day(month)
    total = 0
    for contract in Contract.objects.filter(
        provider=provider,
        period=period,
        status__in=(CS.ACTIVE, CS.TERMINATED),
        starts_on__lte=contracts.month_end(month),
        ends_on__gte=month,
    ).only("starts_on", "ends_on", "certificate_first_month", "certificate_other_month"):
        total += contract.scheduled_payment(month)
    return total


def issue_invoice(
    actor: Any, provider: Provider, period: FinancingPeriod, month: date, kind: str, amount: int | None = None
) -> Invoice:
    """An advance (at most 80 % of the month's scheduled payments, before the close) or the final
    invoice (what the close charged, less the advance)."""
    if not scope.can(actor, provider, "change"):
        raise PermissionDenied("Счёт выставляет организация-исполнитель.")
    month = _check_month(period, month)
    closed = month in closed_months(period)
    with transaction.atomic():
        if Invoice.objects.filter(provider=provider, period=period, month=month, kind=kind).exists():
            raise ValidationError("Такой счёт за этот месяц уже выставлен.")
        if kind == InvoiceKind.ADVANCE:
            if closed:
                raise ValidationError("Месяц уже закрыт: выставьте окончательный счёт.")
            ceiling = int((Decimal(expected_for_month(provider, period, month)) * ADVANCE_SHARE).to_integral_value())
            amount = ceiling if amount is None else amount
            if not 0 < amount <= ceiling:
                raise ValidationError(
                    {"amount": f"Аванс — не больше 80 % суммы месяца по договорам: до {rub(ceiling)}."}
                )
        elif kind == InvoiceKind.FINAL:
            if not closed:
                raise ValidationError("Окончательный счёт выставляют после закрытия месяца.")
            advance = (
                Invoice.objects.filter(provider=provider, period=period, month=month, kind=InvoiceKind.ADVANCE)
                .values_list("amount", flat=True)
                .first()
                or 0
            )
            amount = max(month_charges(period, month, provider) - advance, 0)
        else:
            raise ValidationError({"kind": "Неизвестный вид счёта."})
        invoice = Invoice.objects.create(
            provider=provider, period=period, month=month, kind=kind, amount=amount, issued_by=actor
        )
        audit.record(actor, f"invoice.{kind}", invoice, month=month.isoformat(), amount=amount)
    return invoice


def pay_invoice(actor: Any, invoice: Invoice) -> Invoice:
    """The payer pays the invoice: the amount moves from payable to paid in the ledger."""
    if not scope.can(actor, invoice.period, "change"):
        raise PermissionDenied("Оплату исполнителю проводит оператор муниципалитета.")
    with transaction.atomic():
        current = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if current.status == InvoiceStatus.PAID:
            return current
        if current.amount:
            ledger.post(
                actor,
                ledger.Entry(
                    key=f"pay:{current.pk}",
                    kind=OperationKind.PAYMENT,
                    period_id=current.period_id,
                    moves=[
                        ledger.Move(
                            ledger.provider_account(AccountKind.PAYABLE, current.period_id, current.provider_id),
                            ledger.provider_account(AccountKind.PAID, current.period_id, current.provider_id),
                            current.amount,
                        )
                    ],
                    month=current.month,
                    memo=f"{current.get_kind_display()} {current.code}",
                ),
            )
        current.status = InvoiceStatus.PAID
        current.paid_at = timezone.now()
        current.save(update_fields=["status", "paid_at", "updated_at"])
        audit.record(actor, "invoice.paid", current, amount=current.amount)
    invoice.refresh_from_db()
    return invoice


@dataclass(frozen=True)
class PaymentLine:
    provider: Provider
    contracts: int
    charged: int
    advance: int
    final: int
    paid: int


def payments_register(period: FinancingPeriod, month: date) -> list[PaymentLine]:
    """The month's register of payments to providers."""
    month = first_day(month)
    charges = (
        Posting.objects.filter(operation__period=period, operation__kind=OperationKind.CHARGE, operation__month=month)
        .values("credit__provider_id")
        .annotate(total=Sum("amount"), contracts=Count("operation__contract_id", distinct=True))
    )
    by_provider = {row["credit__provider_id"]: row for row in charges}
    invoices: dict[int, dict[str, Invoice]] = defaultdict(dict)
    for invoice in Invoice.objects.filter(period=period, month=month):
        invoices[invoice.provider_id][invoice.kind] = invoice
    lines = []
    for provider in Provider.objects.filter(pk__in=by_provider.keys() | invoices.keys()).select_related("organization"):
        row = by_provider.get(provider.pk, {})
        mine = invoices[provider.pk]
        advance, final = mine.get(InvoiceKind.ADVANCE), mine.get(InvoiceKind.FINAL)
        lines.append(
            PaymentLine(
                provider=provider,
                contracts=row.get("contracts", 0),
                charged=row.get("total", 0) or 0,
                advance=advance.amount if advance else 0,
                final=final.amount if final else 0,
                paid=sum(i.amount for i in mine.values() if i.status == InvoiceStatus.PAID),
            )
        )
    return sorted(lines, key=lambda line: line.provider.organization.short_name)
