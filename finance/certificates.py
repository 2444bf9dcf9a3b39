"""Certificates: a family's request, identity confirmation, the switch to ПФ and the fall back.

A certificate is issued once per child as a certificate of accounting (сертификат учёта). It
becomes a certificate of personified financing when the child is enrolled into a certified
program: the group of its period and age credits the nominal (money to the certificate's account,
or weekly hours), within the group's caps. A ПФ certificate without an application for the
municipality's number of days falls back to accounting and its money returns to the budget.
"""

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Model, QuerySet
from django.urls import reverse
from django.utils import timezone

from core import audit, letters, scope
from finance import ledger
from finance.models import (
    LIVE_CONTRACT,
    Certificate,
    CertificateEvent,
    CertificateGroup,
    CertificateStatus,
    Contract,
    FinancingPeriod,
    NominalKind,
    OperationKind,
    kopecks,
)
from people.models import Child

CS = CertificateStatus
M = TypeVar("M", bound=Model)
ADULT_AGE = 18


def locked(queryset: QuerySet[M], **lookup: Any) -> M:
    """The row locked, then read with its relations in a new statement: on PostgreSQL a locking
    query that waited for another transaction sees the row's new version but its joins as they
    were when the query started."""
    queryset.model._default_manager.select_for_update().filter(**lookup).values_list("pk").get()
    return queryset.get(**lookup)


def _adulthood(child: Child) -> date:
    birth = child.birth_date
    try:
        return birth.replace(year=birth.year + ADULT_AGE)
    except ValueError:  # born on 29 February
        return birth.replace(year=birth.year + ADULT_AGE, day=28)


def request_certificate(actor: Any, child: Child) -> Certificate:
    """A guardian asks for the child's certificate; asking again returns the same request."""
    is_guardian = getattr(actor, "is_authenticated", False) and child.guardians.filter(user=actor).exists()
    if not is_guardian:
        raise PermissionDenied("Запросить сертификат может только законный представитель ребёнка.")
    today = timezone.localdate()
    if child.age_on(today) >= ADULT_AGE:
        raise ValidationError({"child": "Сертификат выдают детям до 18 лет."})
    with transaction.atomic():
        existing = Certificate.objects.filter(child=child).first()
        if existing is not None and existing.status != CS.DECLINED:
            return existing
        if existing is not None:  # asked again after a refusal
            _set_status(actor, existing, CS.REQUESTED, "Повторное заявление")
            return existing
        try:
            with transaction.atomic():
                certificate = Certificate.objects.create(
                    child=child,
                    municipality_id=child.municipality_id,
                    requested_by=actor,
                    valid_until=_adulthood(child),
                )
        except IntegrityError:  # a parallel request of the same child won
            return Certificate.objects.get(child=child)
        CertificateEvent.objects.create(certificate=certificate, actor=actor, to_status=CS.REQUESTED)
        audit.record(actor, "certificate.requested", certificate, child=str(child.uuid))
    return certificate


def _next_number(certificate: Certificate) -> str:
    """The municipality's ОКТМО digits and a sequence: unique and readable over the phone."""
    prefix = (certificate.municipality.oktmo or "")[:8].ljust(8, "0")
    return f"{prefix}{certificate.pk:08d}"


def confirm_identity(actor: Any, certificate: Certificate, *, accept: bool = True, reason: str = "") -> Certificate:
    """The organization or the municipal operator checked the documents: the certificate is issued
    (as a certificate of accounting) with its number, or declined with a reason."""
    if not scope.can(actor, certificate, "change"):
        raise PermissionDenied("Подтвердить личность ребёнка может организация или оператор муниципалитета.")
    reason = reason.strip()
    if not accept and not reason:
        raise ValidationError({"reason": "Укажите причину отказа: её увидит семья."})
    with transaction.atomic():
        current = locked(Certificate.objects.select_related("municipality"), pk=certificate.pk)
        if current.status != CS.REQUESTED:
            raise ValidationError(f"Сертификат уже в статусе «{CS(current.status).label}».")
        if accept:
            current.number = _next_number(current)
            current.confirmed_by = actor
            current.issued_on = timezone.localdate()
            current.save(update_fields=["number", "confirmed_by", "issued_on", "updated_at"])
        _set_status(actor, current, CS.ACCOUNTING if accept else CS.DECLINED, reason)
    certificate.refresh_from_db()
    return certificate


# The fields that change together with the switch between ПФ and accounting.
HOURS_AND_GROUP = (
    "group",
    "financing_since",
    "weekly_hours",
    "significant_hours",
    "weekly_hours_used",
    "significant_hours_used",
)


def _set_status(
    actor: Any, certificate: Certificate, target: str, reason: str = "", also: tuple[str, ...] = ()
) -> None:
    """Change the status (saving `also` with it, so the row's constraints see both at once)."""
    previous = certificate.status
    certificate.status = target
    certificate.save(update_fields=["status", "updated_at", *also])
    CertificateEvent.objects.create(
        certificate=certificate,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        from_status=previous,
        to_status=target,
        reason=reason,
    )
    audit.record(actor, f"certificate.{target}", certificate, previous=previous, reason=reason)
    emails = list(certificate.child.guardians.exclude(user=None).values_list("user__email", flat=True))
    body = f"Сертификат ребёнка {certificate.child.short_name}: «{CS(target).label}»."
    if reason:
        body += f"\n{reason}"
    page = reverse("family_finance:certificate", args=[certificate.child.uuid])
    letters.send_after_commit(emails, f"Сертификат: {CS(target).label}", body, page)


def period_on(municipality_id: int, day: date) -> FinancingPeriod | None:
    return FinancingPeriod.objects.filter(municipality_id=municipality_id, starts_on__lte=day, ends_on__gte=day).first()


def group_for(certificate: Certificate, period: FinancingPeriod, day: date) -> CertificateGroup | None:
    age = certificate.child.age_on(day)
    return (
        CertificateGroup.objects.filter(period=period, age_from__lte=age, age_to__gte=age)
        .order_by("age_from", "pk")
        .first()
    )


def ensure_financing(actor: Any, certificate: Certificate, period: FinancingPeriod, now: datetime) -> Certificate:
    """Make the (locked) certificate a ПФ certificate of `period`, crediting its group's nominal
    within the caps; nothing happens if it already is one. The caller holds the row lock."""
    if (
        certificate.status == CS.FINANCING
        and certificate.group is not None
        and certificate.group.period_id == period.pk
    ):
        return certificate
    if not certificate.is_issued:
        raise ValidationError("Сертификат ещё не выдан: личность ребёнка не подтверждена.")
    if certificate.valid_until <= timezone.localdate(now):
        raise ValidationError("Срок действия сертификата истёк: ребёнку исполнилось 18 лет.")
    if certificate.status == CS.FINANCING:  # a group of an earlier period: its money goes back first
        revoke_financing(actor, certificate, "Новый период финансирования")
    group = group_for(certificate, period, timezone.localdate(now))
    if group is None:
        raise ValidationError(f"На период «{period.name}» муниципалитет не установил номинал для детей этого возраста.")
    value = group.nominal_value
    taken = CertificateGroup.objects.filter(
        pk=group.pk,
        funded_count__lt=F("max_certificates"),
        funded_total__lte=F("max_nominal_total") - value,
    ).update(funded_count=F("funded_count") + 1, funded_total=F("funded_total") + value)
    if not taken:
        raise ValidationError(
            f"Выдача сертификатов ПФ в группе «{group.name}» остановлена: достигнут предел числа сертификатов "
            "или суммы номиналов. Обратитесь в муниципальный опорный центр."
        )
    certificate.group = group
    certificate.financing_since = now
    certificate.last_activity_at = now
    if group.nominal_kind == NominalKind.HOURS:
        certificate.weekly_hours = group.weekly_hours
        certificate.significant_hours = group.significant_extra_hours
    else:
        certificate.weekly_hours = certificate.significant_hours = Decimal(0)
    certificate.weekly_hours_used = certificate.significant_hours_used = Decimal(0)
    _set_status(actor, certificate, CS.FINANCING, f"Группа «{group.name}»", also=(*HOURS_AND_GROUP, "last_activity_at"))
    if group.nominal_kind == NominalKind.RUBLES and group.nominal > 0:
        ledger.post(
            actor,
            ledger.Entry(
                key=f"issue:{certificate.pk}:{now.timestamp():.6f}",
                kind=OperationKind.ISSUE,
                period_id=period.pk,
                certificate_id=certificate.pk,
                moves=[
                    ledger.Move(
                        ledger.budget_account(period.pk),
                        ledger.certificate_account(period.pk, certificate.pk),
                        kopecks(group.nominal),
                    )
                ],
                memo=f"Номинал группы «{group.name}»",
            ),
        )
    return certificate


def revoke_financing(actor: Any, certificate: Certificate, reason: str) -> None:
    """Return a (locked) ПФ certificate to accounting: the remaining money to the budget, the
    nominal back under the group's caps."""
    group = certificate.group
    assert group is not None
    period_id = group.period_id
    account = ledger.certificate_account(period_id, certificate.pk)
    left = ledger.account_balance(account)
    if left > 0:
        assert certificate.financing_since is not None
        ledger.post(
            actor,
            ledger.Entry(
                # One return per stint as a ПФ certificate.
                key=f"revoke:{certificate.pk}:{certificate.financing_since.timestamp():.6f}",
                kind=OperationKind.REVOKE,
                period_id=period_id,
                certificate_id=certificate.pk,
                moves=[ledger.Move(account, ledger.budget_account(period_id), left)],
                memo=reason,
            ),
        )
    CertificateGroup.objects.filter(pk=group.pk).update(
        funded_count=F("funded_count") - 1, funded_total=F("funded_total") - group.nominal_value
    )
    certificate.group = None
    certificate.financing_since = None
    certificate.weekly_hours = certificate.significant_hours = Decimal(0)
    certificate.weekly_hours_used = certificate.significant_hours_used = Decimal(0)
    _set_status(actor, certificate, CS.ACCOUNTING, reason, also=HOURS_AND_GROUP)


def downgrade_idle(now: datetime | None = None) -> int:
    """ПФ certificates with no live contract and no application for the municipality's number of
    days fall back to certificates of accounting. Returns how many."""
    now = now or timezone.now()
    candidates = (
        Certificate.objects.filter(status=CS.FINANCING)
        .exclude(pk__in=Contract.objects.filter(status__in=LIVE_CONTRACT).values("certificate_id"))
        .select_related("group__period")
        .only("pk", "last_activity_at", "group__period__downgrade_after_days")
    )
    done = 0
    for candidate in candidates.iterator(chunk_size=500):
        assert candidate.group is not None
        limit = timedelta(days=candidate.group.period.downgrade_after_days)
        if candidate.last_activity_at is not None and candidate.last_activity_at + limit > now:
            continue
        with transaction.atomic():
            certificate = locked(Certificate.objects.select_related("group"), pk=candidate.pk)
            still_idle = (
                certificate.status == CS.FINANCING
                and not Contract.objects.filter(certificate=certificate, status__in=LIVE_CONTRACT).exists()
            )
            if still_idle:
                revoke_financing(
                    None,
                    certificate,
                    f"Нет заявок по сертификату {limit.days} дн.: сертификат возвращён в статус сертификата учёта, "
                    "средства — в бюджет муниципалитета.",
                )
                done += 1
    return done
