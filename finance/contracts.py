"""Contracts on education paid by certificates: the price split, the reserve and every status change.

создан (the family asks; the certificate-covered cost is reserved at once, so two requests can
never spend the same money) → подтверждён (the provider, under an agreement with the payer) →
действует (the family accepts) → расторгнут; or отклонён (by the provider, the family, or the
system when a step waits too long). Rejection returns the whole reserve; termination returns all
but the payments of months that are still to be billed.
"""

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Sum
from django.db.models.functions import Greatest
from django.urls import reverse
from django.utils import timezone

from catalog.models import FundingSource, Group, GroupFinancing
from core import audit, letters, scope
from core.money import rub
from enrollment import services as enrollment
from enrollment.models import Application, ApplicationStatus
from finance import certificates, ledger
from finance.models import (
    LIVE_CONTRACT,
    PENDING_CONTRACT,
    Account,
    AccountKind,
    Agreement,
    Certificate,
    CertificateGroup,
    CertificateStatus,
    Certification,
    CertificationStatus,
    Contract,
    ContractEvent,
    ContractStatus,
    FinancingPeriod,
    NominalKind,
    Operation,
    OperationKind,
    PaymentOrder,
    ProgramModule,
    Provider,
    ProviderStatus,
    first_day,
    kopecks,
    months_between,
)

CS = ContractStatus
SIGNIFICANT_REGISTER = "significant"


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def split(total: int, months: int) -> tuple[int, int]:
    """(first month, every other month): equal monthly payments, the first takes the remainder."""
    other = total // months
    return total - other * (months - 1), other


def certificate_share(total: int, months: int, price: int) -> int:
    """The certificate's total as equal monthly payments can carry it: the first month takes the
    remainder unless that would pay more than the month's price; then the family pays those kopecks."""
    first, _ = split(total, months)
    return total if first <= price else total // months * months


@dataclass(frozen=True)
class Quote:
    """What a contract would cost and who pays what, in kopecks."""

    period: FinancingPeriod
    module: ProgramModule
    provider: Provider
    starts_on: date
    ends_on: date
    months: int
    monthly_price: int
    certificate_total: int
    family_total: int
    hours_covered: Decimal
    significant_hours_covered: Decimal
    uses_hours: bool

    @property
    def total_cost(self) -> int:
        return self.monthly_price * self.months

    @property
    def certificate_split(self) -> tuple[int, int]:
        return split(self.certificate_total, self.months)

    @property
    def family_split(self) -> tuple[int, int]:
        """The rest of each month's price: every month costs the same whoever pays (each part split
        with its own remainder made the first month 4 340,05 ₽ and the others 4 339,99 ₽)."""
        first, other = self.certificate_split
        return self.monthly_price - first, self.monthly_price - other

    def copayment_message(self) -> str:
        first, other = self.family_split
        return (
            f"Сертификат покрывает {rub(self.certificate_total)} из {rub(self.total_cost)}. "
            f"Доплата семьи — {rub(self.family_total)}: {rub(first)} за первый месяц"
            + (f" и по {rub(other)} за остальные {self.months - 1} мес." if self.months > 1 else ".")
        )


def _certified_module(group: Group) -> tuple[Certification, ProgramModule]:
    certification = Certification.objects.filter(program_id=group.program_id).first()
    if certification is None or certification.status != CertificationStatus.CERTIFIED:
        raise ValidationError("Программа не сертифицирована: оплатить её сертификатом нельзя.")
    module = certification.modules.select_related("certification").order_by("order").first()
    if module is None:
        raise ValidationError("У сертифицированной программы нет модулей: обратитесь в организацию.")
    return certification, module


def _monthly_price(group: Group) -> int:
    financing = GroupFinancing.objects.filter(group=group, source=FundingSource.CERTIFICATE).first()
    if financing is None:
        raise ValidationError(f"Группа «{group.name}» не принимает оплату сертификатом.")
    return kopecks(financing.cost_per_month)


def _paid_through(certificate: Certificate, group: Group) -> date | None:
    """The last day an ended contract of the certificate in the group pays for, if there is one."""
    ended = Contract.objects.filter(certificate=certificate, group=group, status=CS.TERMINATED)
    return ended.aggregate(last=Max("ends_on"))["last"]


def quote(certificate: Certificate, group: Group, day: date, *, fresh: CertificateGroup | None = None) -> Quote:
    """The contract the certificate would get in `group` starting on `day` (or the group's start):
    the certificate pays up to the normative cost of each month and within its balance or weekly
    hours; the family pays the rest. Reads the certificate as it is (lock it to rely on it), or,
    with `fresh`, as if it had just been credited that certificate group's nominal."""
    _, module = _certified_module(group)
    provider = Provider.objects.filter(organization_id=group.program.organization_id).first()
    if provider is None or provider.status != ProviderStatus.ACTIVE:
        raise ValidationError("Организация не включена в реестр исполнителей: оплатить сертификатом нельзя.")
    starts_on = max(day, group.start_date)
    paid_through = _paid_through(certificate, group)
    if paid_through is not None and paid_through >= starts_on:
        # An ended contract is still charged for its last month: a new one in the same group begins
        # after it, or the family would pay that month twice.
        starts_on = paid_through + timedelta(days=1)
    period = certificates.period_on(certificate.municipality_id, starts_on)
    if period is None:
        raise ValidationError("На эти даты муниципалитет не открыл период персонифицированного финансирования.")
    ends_on = min(group.end_date, period.ends_on)
    if ends_on < starts_on:
        if paid_through is not None and paid_through >= group.end_date:
            raise ValidationError("Занятия в группе до их конца оплачены по прежнему договору.")
        raise ValidationError("Занятия группы уже закончились.")
    months = months_between(starts_on, ends_on)
    price = _monthly_price(group)
    normative = kopecks(module.normative_cost) // module.months
    covered_per_month = min(price, normative)
    hours = significant = Decimal(0)
    group_of_certificate = fresh or certificate.group
    uses_hours = group_of_certificate is not None and group_of_certificate.nominal_kind == NominalKind.HOURS
    if uses_hours:
        hours_left = fresh.weekly_hours if fresh else certificate.hours_left
        significant_left = fresh.significant_extra_hours if fresh else certificate.significant_hours_left
        is_significant = group.program.registers.filter(code=SIGNIFICANT_REGISTER).exists()
        significant = min(module.weekly_hours, significant_left) if is_significant else Decimal(0)
        hours = significant + min(module.weekly_hours - significant, hours_left)
        share = hours / module.weekly_hours
        certificate_total = int((covered_per_month * months * share).to_integral_value(ROUND_FLOOR))
    else:
        balance = kopecks(fresh.nominal) if fresh else 0
        if fresh is None and certificate.group is not None:
            balance = (
                Account.objects.filter(kind=AccountKind.CERTIFICATE, period=period, certificate=certificate)
                .values_list("balance", flat=True)
                .first()
                or 0
            )
        certificate_total = min(covered_per_month * months, balance)
    certificate_total = certificate_share(certificate_total, months, price)
    return Quote(
        period=period,
        module=module,
        provider=provider,
        starts_on=starts_on,
        ends_on=ends_on,
        months=months,
        monthly_price=price,
        certificate_total=certificate_total,
        family_total=price * months - certificate_total,
        hours_covered=hours,
        significant_hours_covered=significant,
        uses_hours=uses_hours,
    )


def preview(certificate: Certificate, group: Group, day: date) -> Quote:
    """What `request_contract` would offer on `day`: a certificate that is not yet a ПФ certificate
    of the period is quoted with the nominal it would be credited first (the caps are checked
    only by the request itself)."""
    offer = quote(certificate, group, day)
    held = certificate.group
    if certificate.status == CertificateStatus.FINANCING and held is not None and held.period_id == offer.period.pk:
        return offer
    fresh = certificates.group_for(certificate, offer.period, day)
    return offer if fresh is None else quote(certificate, group, day, fresh=fresh)


def _is_guardian(actor: Any, certificate: Certificate) -> bool:
    return bool(getattr(actor, "is_authenticated", False)) and certificate.child.guardians.filter(user=actor).exists()


def request_contract(actor: Any, application: Application, *, accept_copayment: bool = False) -> Contract:
    """The family asks to pay for an invited or enrolled child's place by the certificate. The
    certificate becomes a ПФ certificate if it is not one yet; the certificate's part is reserved
    now. A balance short of the cost is refused unless the family accepts the co-payment shown."""
    live = Contract.objects.filter(application=application, status__in=LIVE_CONTRACT).first()
    if live is not None:  # a repeated request
        return live
    if (
        application.status not in (ApplicationStatus.INVITED, ApplicationStatus.ENROLLED)
        or application.group_id is None
    ):
        raise ValidationError({"application": "Договор заключают, когда ребёнка пригласили или зачислили в группу."})
    now = timezone.now()
    with transaction.atomic():
        try:
            certificate = certificates.locked(
                Certificate.objects.select_related("group", "child"), child_id=application.child_id
            )
        except Certificate.DoesNotExist:
            raise ValidationError("У ребёнка нет сертификата: запросите его в личном кабинете.") from None
        if not certificate.is_issued:
            raise ValidationError("У ребёнка нет выданного сертификата: запросите его в личном кабинете.")
        if not _is_guardian(actor, certificate):
            raise PermissionDenied("Договор заключает законный представитель ребёнка.")
        group = Group.objects.select_related("program").get(pk=application.group_id)
        day = timezone.localdate(now)
        first_quote = quote(certificate, group, day)
        certificate = certificates.ensure_financing(actor, certificate, first_quote.period, now)
        offer = quote(certificate, group, day)  # with the nominal credited
        if offer.certificate_total <= 0:
            raise ValidationError(
                "Средств сертификата не осталось: оплатить обучение сертификатом нельзя. "
                f"Полная стоимость — {rub(offer.total_cost)}."
            )
        if offer.family_total > 0 and not accept_copayment:
            raise ValidationError(
                {
                    "accept_copayment": offer.copayment_message()
                    + " Подтвердите доплату, чтобы отправить заявку на договор."
                }
            )
        contract = _create(actor, application, certificate, offer)
        Certificate.objects.filter(pk=certificate.pk).update(last_activity_at=now)
    return contract


def _create(actor: Any, application: Application, certificate: Certificate, offer: Quote) -> Contract:
    cert_first, cert_other = offer.certificate_split
    family_first, family_other = offer.family_split
    try:
        with transaction.atomic():
            contract = Contract.objects.create(
                certificate=certificate,
                application=application,
                group_id=application.group_id,  # type: ignore[misc]  # checked by the caller
                provider=offer.provider,
                period=offer.period,
                module=offer.module,
                starts_on=offer.starts_on,
                ends_on=offer.ends_on,
                months=offer.months,
                total_cost=offer.total_cost,
                certificate_total=offer.certificate_total,
                certificate_first_month=cert_first,
                certificate_other_month=cert_other,
                family_total=offer.family_total,
                family_first_month=family_first,
                family_other_month=family_other,
                hours_covered=offer.hours_covered,
                significant_hours_covered=offer.significant_hours_covered,
                created_by=actor,
            )
            reserve = Account.objects.create(kind=AccountKind.RESERVE, period=offer.period, contract=contract)
            source = (
                ledger.budget_account(offer.period.pk)
                if offer.uses_hours
                else ledger.certificate_account(offer.period.pk, certificate.pk)
            )
            ledger.post(
                actor,
                ledger.Entry(
                    key=f"reserve:{contract.pk}",
                    kind=OperationKind.RESERVE,
                    period_id=offer.period.pk,
                    certificate_id=certificate.pk,
                    contract_id=contract.pk,
                    moves=[ledger.Move(source, reserve, offer.certificate_total)],
                    memo=f"Договор {contract.code}",
                ),
            )
            if offer.uses_hours:
                Certificate.objects.filter(pk=certificate.pk).update(
                    weekly_hours_used=F("weekly_hours_used") + (offer.hours_covered - offer.significant_hours_covered),
                    significant_hours_used=F("significant_hours_used") + offer.significant_hours_covered,
                )
    except IntegrityError as error:
        if "contract_one_live_per_application" in str(error):  # a parallel request won
            return Contract.objects.get(application=application, status__in=LIVE_CONTRACT)
        if "certificate_hours_within_allowance" in str(error):
            raise ValidationError("Часов недельной нагрузки на сертификате не хватает.") from None
        raise
    _record(actor, contract, "", CS.CREATED)
    return contract


def _provider_side(actor: Any, contract: Contract) -> bool:
    return scope.can(actor, contract, "change")


def _locked(contract: Contract, allowed: tuple[str, ...], label: str) -> Contract:
    current = certificates.locked(Contract.objects.select_related("certificate", "period"), pk=contract.pk)
    if current.status not in allowed:
        raise ValidationError(f"Действие «{label}» невозможно: договор в статусе «{CS(current.status).label}».")
    return current


def confirm_contract(actor: Any, contract: Contract, *, payment_order: str = PaymentOrder.FULL) -> Contract:
    """The provider confirms the request and offers the contract, under its agreement with the payer."""
    if not _provider_side(actor, contract):
        raise PermissionDenied("Подтверждает договор организация-исполнитель.")
    if payment_order not in PaymentOrder.values:
        raise ValidationError({"payment_order": "Неизвестный порядок оплаты."})
    with transaction.atomic():
        current = _locked(contract, (CS.CREATED,), "Подтвердить")
        if not Agreement.objects.filter(period=current.period, provider=current.provider, is_active=True).exists():
            raise ValidationError(
                f"На период «{current.period.name}» нет действующего соглашения с уполномоченным органом: "
                "договор нельзя подтвердить."
            )
        current.status = CS.CONFIRMED
        current.payment_order = payment_order
        current.confirmed_at = timezone.now()
        current.save(update_fields=["status", "payment_order", "confirmed_at", "updated_at"])
        _record(actor, current, CS.CREATED, CS.CONFIRMED)
    contract.refresh_from_db()
    return contract


def accept_contract(actor: Any, contract: Contract) -> Contract:
    """The family accepts the offer: the contract is concluded and takes effect, and an invited
    child is enrolled by it (the provider confirmed it: both sides have agreed to the place), so
    that the invitation's deadline can no longer end a signed contract."""
    with transaction.atomic():
        current = _locked(contract, (CS.CONFIRMED,), "Заключить")
        if not _is_guardian(actor, current.certificate):
            raise PermissionDenied("Договор заключает законный представитель ребёнка.")
        current.status = CS.ACTIVE
        current.concluded_at = timezone.now()
        current.save(update_fields=["status", "concluded_at", "updated_at"])
        _record(actor, current, CS.CONFIRMED, CS.ACTIVE)
        application = Application.objects.get(pk=current.application_id)
        if application.status == ApplicationStatus.INVITED:
            enrollment.change_status(None, application, "enroll_by_contract", reason=f"заключён договор {current.code}")
    contract.refresh_from_db()
    return contract


def reject_contract(actor: Any, contract: Contract, reason: str = "") -> Contract:
    """A pending contract is refused: by the provider (with a reason), the family, or the system
    (actor None). The whole reserve returns to the certificate."""
    reason = reason.strip()
    if actor is not None:
        family = _is_guardian(actor, contract.certificate)
        if not family and not _provider_side(actor, contract):
            raise PermissionDenied("Отклонить договор может семья или организация-исполнитель.")
        if not family and not reason:
            raise ValidationError({"reason": "Укажите причину: её увидит семья."})
        reason = reason or "Отказ семьи"
    with transaction.atomic():
        current = _locked(contract, PENDING_CONTRACT, "Отклонить")
        previous = current.status
        _end(actor, current, CS.REJECTED, reason, keep=0)
        _record(actor, current, previous, CS.REJECTED, reason)
    contract.refresh_from_db()
    return contract


def terminate_contract(actor: Any, contract: Contract, *, on: date | None = None, reason: str) -> Contract:
    """End an active contract (expulsion, the family's notice): it lasts to the last day of the
    month of `on`, that month is billed by the payment order, the rest of the reserve returns now."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Укажите причину расторжения."})
    if actor is not None and not (_provider_side(actor, contract) or _is_guardian(actor, contract.certificate)):
        raise PermissionDenied("Расторгнуть договор может семья или организация-исполнитель.")
    on = on or timezone.localdate()
    with transaction.atomic():
        current = _locked(contract, (CS.ACTIVE,), "Расторгнуть")
        if on < current.starts_on:
            on = current.starts_on
        current.ends_on = min(current.ends_on, month_end(on))
        _end(actor, current, CS.TERMINATED, reason, keep=unbilled_due(current))
        _record(actor, current, CS.ACTIVE, CS.TERMINATED, reason)
    contract.refresh_from_db()
    return contract


def unbilled_due(contract: Contract) -> int:
    """What the contract still owes for its months (to its end date) that have not been charged."""
    charged = set(
        Operation.objects.filter(contract=contract, kind=OperationKind.CHARGE).values_list("month", flat=True)
    )
    due, month = 0, first_day(contract.starts_on)
    while month <= contract.ends_on:
        if month not in charged:
            due += contract.scheduled_payment(month)
        month = next_month(month)
    return due


def _end(actor: Any, contract: Contract, status: str, reason: str, *, keep: int) -> None:
    """Set the final status, release the reserve above `keep` and free the weekly hours."""
    contract.status = status
    contract.reason = reason
    contract.ended_at = timezone.now()
    contract.save(update_fields=["status", "reason", "ended_at", "ends_on", "updated_at"])
    reserve = Account.objects.get(contract=contract)
    release(actor, contract, reserve.balance - keep, f"{status}")
    if contract.hours_covered:
        free_hours([contract])


def release(actor: Any, contract: Contract, amount: int, reason: str) -> None:
    """Return `amount` of the contract's reserve to where it came from, once per reason."""
    if amount <= 0:
        return
    ledger.post(actor, release_entry(contract, amount, reason))


def release_entry(contract: Contract, amount: int, reason: str) -> ledger.Entry:
    """Reserve → the certificate (money nominal) or the budget (hours nominal)."""
    reserve = Account.objects.only("pk").get(contract_id=contract.pk)
    target = (
        ledger.budget_account(contract.period_id)
        if contract.hours_covered
        else ledger.certificate_account(contract.period_id, contract.certificate_id)
    )
    return ledger.Entry(
        key=f"release:{contract.pk}:{reason}",
        kind=OperationKind.RELEASE,
        period_id=contract.period_id,
        certificate_id=contract.certificate_id,
        contract_id=contract.pk,
        moves=[ledger.Move(reserve, target, amount)],
        memo=f"Договор {contract.code}: возврат резерва",
    )


def free_hours(contracts: list[Contract]) -> None:
    for contract in contracts:
        general = contract.hours_covered - contract.significant_hours_covered
        Certificate.objects.filter(pk=contract.certificate_id).update(
            weekly_hours_used=Greatest(F("weekly_hours_used") - general, Decimal(0)),
            significant_hours_used=Greatest(
                F("significant_hours_used") - contract.significant_hours_covered, Decimal(0)
            ),
        )


def refuse_overdue(now: datetime | None = None) -> int:
    """Refuse contracts left waiting too long: for the provider (5 days in the reference portal)
    and then for the family (10 days). Returns how many."""
    now = now or timezone.now()
    done = 0
    waiting = Contract.objects.filter(status__in=PENDING_CONTRACT).select_related("period")
    for contract in waiting.iterator(chunk_size=500):
        since: datetime | None
        if contract.status == CS.CREATED:
            limit, since, whom = contract.period.refuse_requested_after_days, contract.created_at, "организацией"
        else:
            limit, since, whom = contract.period.refuse_confirmed_after_days, contract.confirmed_at, "семьёй"
        if since is None or since + timedelta(days=limit) > now:
            continue
        try:
            reject_contract(None, contract, f"Договор не подтверждён {whom} за {limit} дн.")
        except ValidationError:
            continue  # decided meanwhile
        done += 1
    return done


def on_application_left(application: Application, target: str, left_on: date | None) -> None:
    """The enrollment ended (expelled, cancelled, refused, expired): its contract ends with it."""
    for contract in Contract.objects.filter(application=application, status__in=LIVE_CONTRACT):
        if contract.status == CS.ACTIVE:
            terminate_contract(None, contract, on=left_on, reason=f"Заявка: «{ApplicationStatus(target).label}»")
        else:
            reject_contract(None, contract, f"Заявка: «{ApplicationStatus(target).label}»")


def _record(actor: Any, contract: Contract, previous: str, target: str, reason: str = "") -> None:
    ContractEvent.objects.create(
        contract=contract,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        from_status=previous,
        to_status=target,
        reason=reason,
    )
    audit.record(actor, f"contract.{target}", contract, previous=previous, reason=reason)
    label = CS(target).label
    body = f"Договор {contract.code}: «{label}»."
    if reason:
        body += f"\nПричина: {reason}"
    emails = list(contract.certificate.child.guardians.exclude(user=None).values_list("user__email", flat=True))
    letters.send_after_commit(
        emails, f"Договор {contract.code}: {label}", body, reverse("family_finance:contract", args=[contract.uuid])
    )


def charged_total(contract: Contract) -> int:
    reserve = Account.objects.get(contract=contract)
    return (
        Operation.objects.filter(contract=contract, kind=OperationKind.CHARGE)
        .filter(postings__debit=reserve)
        .aggregate(total=Sum("postings__amount"))["total"]
        or 0
    )
