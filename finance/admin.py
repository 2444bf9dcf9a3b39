"""Personified financing in the admin.

The payer's settings (financing periods with their certificate groups) are edited here. Everything
else changes only through the finance services, so that the ledger, the caps and the histories
follow: certificates, contracts, registers and invoices are shown read-only, and the ledger
(accounts, operations, postings) is append-only — nobody adds, changes or deletes a row.
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse

from core.admin import ReadOnlyAdmin
from core.admin_site import ModelAdmin
from finance.models import (
    Account,
    Agreement,
    Certificate,
    CertificateEvent,
    CertificateGroup,
    Certification,
    Completeness,
    Contract,
    ContractEvent,
    FinancingPeriod,
    Invoice,
    MonthClose,
    Operation,
    Posting,
    ProgramModule,
    Provider,
)


class ReadOnlyInline(admin.TabularInline):  # type: ignore[type-arg]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


AGE_FIELDS = ("age_from", "age_to")
DATE_FIELDS = ("starts_on", "ends_on")


class CertificateGroupForm(forms.ModelForm):  # type: ignore[type-arg]
    """A group with funded certificates keeps its ages (each certificate was funded for a child of
    those ages), and its caps stay above what is already funded (the database refuses them below)."""

    def clean(self) -> dict[str, Any]:
        super().clean()
        data, group = self.cleaned_data, self.instance
        if group.pk is None or not group.funded_count:
            return data
        for name in AGE_FIELDS:
            if name in self.fields and name in data and data[name] != getattr(group, name):
                self.add_error(
                    name,
                    f"По группе уже выданы сертификаты ПФ ({group.funded_count}): возраст менять нельзя. "
                    "Создайте новую группу или новый период.",
                )
        cap = data.get("max_certificates")
        if cap is not None and cap < group.funded_count:
            self.add_error(
                "max_certificates", f"Уже выдано сертификатов ПФ: {group.funded_count}. Меньше указать нельзя."
            )
        total = data.get("max_nominal_total")
        if total is not None and total < group.funded_total:
            self.add_error("max_nominal_total", f"Уже выдано номиналов на {group.funded_total}. Меньше указать нельзя.")
        return data


def period_in_use(period: FinancingPeriod) -> str:
    """Why the period's dates are kept, or "": contracts were made, months closed or certificates
    funded within them."""
    if Contract.objects.filter(period=period).exists():
        return "по периоду заключены договоры"
    if MonthClose.objects.filter(period=period).exists():
        return "в периоде закрыты месяцы"
    if period.certificate_groups.filter(funded_count__gt=0).exists():
        return "по периоду выданы сертификаты ПФ"
    return ""


class CertificateGroupInline(admin.TabularInline):  # type: ignore[type-arg]
    model = CertificateGroup
    form = CertificateGroupForm
    extra = 0
    fields = (
        "name",
        "age_from",
        "age_to",
        "nominal_kind",
        "nominal",
        "weekly_hours",
        "significant_extra_hours",
        "max_certificates",
        "max_nominal_total",
        "funded_count",
        "funded_total",
    )
    readonly_fields = ("funded_count", "funded_total")


@admin.register(FinancingPeriod)
class FinancingPeriodAdmin(ModelAdmin):
    """The payer's rules for a period; its certificate groups set the nominals and the caps."""

    list_display = ("name", "municipality", "starts_on", "ends_on", "downgrade_after_days")
    list_filter = ("municipality",)
    search_fields = ("name", "municipality__name", "municipality__oktmo")
    list_select_related = ("municipality",)
    inlines = [CertificateGroupInline]

    def get_readonly_fields(self, request: HttpRequest, obj: FinancingPeriod | None = None) -> Any:
        """The dates of a period in use stay: its contracts, closed months and nominals were counted in them."""
        if obj is not None and obj.pk is not None and period_in_use(obj):
            return (*self.readonly_fields, *DATE_FIELDS)
        return self.readonly_fields

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        period = self.get_object(request, object_id) if request.method == "GET" else None
        reason = period_in_use(period) if period is not None else ""
        if reason:
            self.message_user(request, f"Даты периода не меняются: {reason}.", messages.INFO)
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(CertificateGroup)
class CertificateGroupAdmin(ModelAdmin):
    list_display = (
        "name",
        "period",
        "age_from",
        "age_to",
        "nominal_kind",
        "nominal",
        "max_certificates",
        "funded_count",
        "funded_total",
    )
    list_filter = ("nominal_kind", "period__municipality")
    search_fields = ("name", "period__name", "period__municipality__name")
    list_select_related = ("period__municipality",)
    readonly_fields = ("funded_count", "funded_total")
    form = CertificateGroupForm

    def get_readonly_fields(self, request: HttpRequest, obj: CertificateGroup | None = None) -> Any:
        """A group with funded certificates keeps its ages and its period."""
        if obj is not None and obj.pk is not None and obj.funded_count:
            return (*self.readonly_fields, "period", *AGE_FIELDS)
        return self.readonly_fields


class CertificateEventInline(ReadOnlyInline):
    model = CertificateEvent
    fields = ("created_at", "actor", "from_status", "to_status", "reason")
    readonly_fields = fields


@admin.register(Certificate)
class CertificateAdmin(ReadOnlyAdmin):
    """Issued, switched to ПФ and back only through finance.certificates."""

    list_display = ("code", "number", "child", "municipality", "status", "group", "issued_on", "valid_until")
    list_filter = ("status", "municipality")
    search_fields = ("=code", "number", "child__last_name", "child__first_name")
    list_select_related = ("child", "municipality", "group__period")
    raw_id_fields = ("child", "requested_by", "confirmed_by", "group")
    inlines = [CertificateEventInline]


@admin.register(CertificateEvent)
class CertificateEventAdmin(ReadOnlyAdmin):
    list_display = ("certificate", "created_at", "actor", "from_status", "to_status")
    list_filter = ("to_status",)
    search_fields = ("=certificate__code", "certificate__number")
    list_select_related = ("certificate", "actor")


@admin.register(Provider)
class ProviderAdmin(ReadOnlyAdmin):
    """The register of providers: organizations enter it through finance.registers."""

    list_display = ("organization", "status", "included_on", "bank_account", "bik")
    list_filter = ("status", "organization__municipality")
    search_fields = ("organization__short_name", "organization__inn", "=organization__code")
    list_select_related = ("organization",)


@admin.register(Agreement)
class AgreementAdmin(ReadOnlyAdmin):
    list_display = ("number", "provider", "period", "signed_on", "is_active")
    list_filter = ("is_active", "period__municipality")
    search_fields = ("number", "provider__organization__short_name")
    list_select_related = ("provider__organization", "period__municipality")


class ProgramModuleInline(ReadOnlyInline):
    model = ProgramModule
    fields = ("order", "name", "months", "hours", "weekly_hours", "price")
    readonly_fields = fields


@admin.register(Certification)
class CertificationAdmin(ReadOnlyAdmin):
    """The register of certified programs: submitted and decided through finance.registers."""

    list_display = ("program", "status", "hourly_cost", "decided_at", "updated_at")
    list_filter = ("status", "program__municipality")
    search_fields = ("program__title", "=program__code")
    list_select_related = ("program",)
    raw_id_fields = ("program", "submitted_by", "decided_by")
    inlines = [ProgramModuleInline]


@admin.register(ProgramModule)
class ProgramModuleAdmin(ReadOnlyAdmin):
    list_display = ("certification", "order", "name", "months", "hours", "weekly_hours", "price")
    search_fields = ("name", "certification__program__title", "=certification__program__code")
    list_filter = ("certification__status",)
    list_select_related = ("certification__program",)


class ContractEventInline(ReadOnlyInline):
    model = ContractEvent
    fields = ("created_at", "actor", "from_status", "to_status", "reason")
    readonly_fields = fields


@admin.register(Contract)
class ContractAdmin(ReadOnlyAdmin):
    """Statuses and money change only through finance.contracts and the monthly close."""

    list_display = ("code", "certificate", "group", "provider", "status", "starts_on", "ends_on", "total_cost")
    list_filter = ("status", "payment_order", "period__municipality")
    search_fields = ("=code", "certificate__number", "certificate__child__last_name", "=group__code")
    list_select_related = ("certificate", "group__program", "provider__organization")
    raw_id_fields = ("certificate", "application", "group", "provider", "period", "module", "created_by")
    inlines = [ContractEventInline]


@admin.register(ContractEvent)
class ContractEventAdmin(ReadOnlyAdmin):
    list_display = ("contract", "created_at", "actor", "from_status", "to_status")
    list_filter = ("to_status",)
    search_fields = ("=contract__code",)
    list_select_related = ("contract", "actor")


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    """Balances are a cache of the postings, moved only by the ledger."""

    list_display = ("pk", "kind", "period", "certificate", "contract", "provider", "balance")
    list_filter = ("kind", "period__municipality")
    search_fields = ("certificate__number", "=contract__code", "provider__organization__short_name")
    list_select_related = ("period__municipality", "certificate", "contract", "provider__organization")
    raw_id_fields = ("period", "certificate", "contract", "provider")


class PostingInline(ReadOnlyInline):
    model = Posting
    fields = ("debit", "credit", "amount")
    readonly_fields = fields


@admin.register(Operation)
class OperationAdmin(ReadOnlyAdmin):
    """The ledger is append-only: an operation is never changed or deleted, a mistake gets a new one."""

    list_display = ("key", "kind", "period", "certificate", "contract", "month", "created_at", "actor")
    list_filter = ("kind", "period__municipality")
    search_fields = ("=key", "memo", "=contract__code", "certificate__number")
    list_select_related = ("period__municipality", "certificate", "contract", "actor")
    raw_id_fields = ("actor", "period", "certificate", "contract")
    inlines = [PostingInline]


@admin.register(Posting)
class PostingAdmin(ReadOnlyAdmin):
    list_display = ("pk", "operation", "debit", "credit", "amount")
    list_filter = ("operation__kind",)
    search_fields = ("=operation__key",)
    list_select_related = ("operation", "debit", "credit")
    raw_id_fields = ("operation", "debit", "credit")


@admin.register(MonthClose)
class MonthCloseAdmin(ReadOnlyAdmin):
    list_display = ("period", "month", "runs", "contracts_charged", "charged_total", "released_total", "closed_at")
    list_filter = ("period__municipality",)
    search_fields = ("period__name", "period__municipality__name")
    list_select_related = ("period__municipality",)


@admin.register(Completeness)
class CompletenessAdmin(ReadOnlyAdmin):
    list_display = ("group", "month", "percent", "reported_by", "reported_at")
    list_filter = ("month",)
    search_fields = ("=group__code", "group__name")
    list_select_related = ("group__program", "reported_by")


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = ("code", "provider", "period", "month", "kind", "amount", "status", "paid_at")
    list_filter = ("kind", "status", "period__municipality")
    search_fields = ("=code", "provider__organization__short_name")
    list_select_related = ("provider__organization", "period__municipality")
