"""The registers: providers, their agreements with the payer, and certified programs."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, RoleAssignment
from catalog.models import ModerationStatus, Organization, Program, ProgramRegister
from core import audit, letters, scope
from finance.models import (
    Agreement,
    Certification,
    CertificationStatus,
    FinancingPeriod,
    ProgramModule,
    Provider,
    ProviderStatus,
)

CERTIFIED_REGISTER = "certified"


def include_provider(actor: Any, organization: Organization, *, bank_account: str = "", bik: str = "") -> Provider:
    """The municipal operator includes an organization in the register of providers."""
    if not scope.can(actor, organization, "moderate"):
        raise PermissionDenied("Включить организацию в реестр исполнителей может оператор её муниципалитета.")
    if bank_account and not (bank_account.isdigit() and len(bank_account) == 20):
        raise ValidationError({"bank_account": "Расчётный счёт — 20 цифр."})
    if bik and not (bik.isdigit() and len(bik) == 9):
        raise ValidationError({"bik": "БИК — 9 цифр."})
    with transaction.atomic():
        provider, created = Provider.objects.get_or_create(
            organization=organization,
            defaults={"included_on": timezone.localdate(), "bank_account": bank_account, "bik": bik},
        )
        if not created and provider.status != ProviderStatus.ACTIVE:
            provider.status = ProviderStatus.ACTIVE
            provider.save(update_fields=["status", "updated_at"])
        audit.record(actor, "provider.included", provider, organization=organization.code)
    return provider


def sign_agreement(
    actor: Any, period: FinancingPeriod, provider: Provider, *, number: str, signed_on: date
) -> Agreement:
    """The payer's agreement with a provider for the period: contracts can then be confirmed."""
    if not scope.can(actor, period, "change"):
        raise PermissionDenied("Соглашения с исполнителями заключает оператор муниципалитета.")
    if not number.strip():
        raise ValidationError({"number": "Укажите номер соглашения."})
    if provider.status != ProviderStatus.ACTIVE:
        raise ValidationError({"provider": "Исполнитель исключён из реестра: соглашение с ним заключить нельзя."})
    with transaction.atomic():
        agreement, _ = Agreement.objects.update_or_create(
            period=period,
            provider=provider,
            defaults={"number": number.strip(), "signed_on": signed_on, "is_active": True},
        )
        audit.record(actor, "agreement.signed", agreement, number=agreement.number, period=period.pk)
    return agreement


@dataclass(frozen=True)
class ModuleDraft:
    name: str
    months: int
    hours: int
    weekly_hours: Decimal
    price: Decimal


def submit_for_certification(actor: Any, program: Program, modules: Sequence[ModuleDraft]) -> Certification:
    """The organization sends its program, split into modules, for certification."""
    if not scope.can(actor, program, "change"):
        raise PermissionDenied("Отправить программу на сертификацию может организация, которая её ведёт.")
    if program.status != ModerationStatus.PUBLISHED:
        raise ValidationError({"program": "На сертификацию отправляют опубликованную программу."})
    if not modules:
        raise ValidationError({"modules": "Опишите хотя бы один модуль программы."})
    for number, module in enumerate(modules, start=1):
        if not module.name.strip():
            raise ValidationError({"modules": f"Модуль {number}: укажите название."})
        if module.months < 1 or module.hours < 1 or module.weekly_hours <= 0 or module.price < 0:
            raise ValidationError(
                {"modules": f"Модуль {number}: месяцы, часы и часы в неделю — больше нуля, цена — не меньше нуля."}
            )
    with transaction.atomic():
        certification, _ = Certification.objects.select_for_update().get_or_create(
            program=program, defaults={"submitted_by": actor}
        )
        if certification.status == CertificationStatus.CERTIFIED:
            raise ValidationError({"program": "Программа уже сертифицирована."})
        certification.status = CertificationStatus.PENDING
        certification.submitted_by = actor
        certification.save(update_fields=["status", "submitted_by", "updated_at"])
        certification.modules.all().delete()
        ProgramModule.objects.bulk_create(
            ProgramModule(
                certification=certification,
                order=number,
                name=m.name.strip(),
                months=m.months,
                hours=m.hours,
                weekly_hours=m.weekly_hours,
                price=m.price,
            )
            for number, m in enumerate(modules, start=1)
        )
        audit.record(actor, "certification.submitted", certification, program=program.code, modules=len(modules))
    return certification


def decide_certification(
    actor: Any, certification: Certification, *, certify: bool, hourly_cost: Decimal | None = None, remark: str = ""
) -> Certification:
    """The municipal operator certifies the program at a normative hourly cost, or refuses with
    remarks. A certified program enters the register of certified programs and takes certificates."""
    program = certification.program
    if not scope.can(actor, program, "moderate"):
        raise PermissionDenied("Решение о сертификации принимает оператор муниципалитета программы.")
    remark = remark.strip()
    if not certify and not remark:
        raise ValidationError({"remark": "Укажите замечания: организация увидит, что исправить."})
    if certify and (hourly_cost is None or hourly_cost <= 0):
        raise ValidationError({"hourly_cost": "Укажите нормативную стоимость часа."})
    with transaction.atomic():
        current = Certification.objects.select_for_update().get(pk=certification.pk)
        if current.status != CertificationStatus.PENDING:
            raise ValidationError(f"Решение уже принято: «{current.get_status_display()}».")
        current.status = CertificationStatus.CERTIFIED if certify else CertificationStatus.DENIED
        current.hourly_cost = hourly_cost if certify else current.hourly_cost
        current.remark = remark
        current.decided_by = actor
        current.decided_at = timezone.now()
        current.save()
        # The dictionary is filled by a migration; a database emptied since gets the entry back.
        register, _ = ProgramRegister.objects.get_or_create(
            code=CERTIFIED_REGISTER, defaults={"name": "Реестр сертифицированных программ"}
        )
        if certify:
            program.registers.add(register)
            Program.objects.filter(pk=program.pk).update(by_certificate=True, updated_at=timezone.now())
        else:
            program.registers.remove(register)
            Program.objects.filter(pk=program.pk).update(by_certificate=False, updated_at=timezone.now())
        audit.record(
            actor,
            f"certification.{current.status}",
            current,
            program=program.code,
            hourly_cost=str(hourly_cost) if certify else None,
            remark=remark,
        )
        emails = RoleAssignment.objects.filter(
            organization_id=program.organization_id, role=Role.ORGANIZATION_OPERATOR
        ).values_list("user__email", flat=True)
        letters.send_after_commit(
            list(emails),
            f"Сертификация программы «{program.title}»: {current.get_status_display()}",
            remark or "Программа включена в реестр сертифицированных программ.",
            reverse("office:program_detail", args=[program.code]),
        )
    certification.refresh_from_db()
    return certification
