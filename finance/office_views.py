"""The back office of personified financing: identity checks of certificates, certification of
programs, the register of providers and agreements, contracts, the monthly close and the reports.

Views stay thin: every object comes through core.scope (404 outside the scope, 403 when visible
but not the person's to act on), every write through the finance services, whose ValidationError
messages are shown as they are.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.roles import principal_of
from catalog.models import Group, ModerationStatus, Organization, Program
from core import money as money_format
from core import scope
from core.redirects import back_to
from core.typed import contains_typed
from core.xlsx import table_workbook, xlsx_response
from finance import certificates, closing, contracts, registers, reports
from finance.forms import (
    AgreementForm,
    CertificateDecisionForm,
    CertificationDecisionForm,
    CloseMonthForm,
    CompletenessForm,
    ConfirmContractForm,
    IncludeProviderForm,
    InvoiceForm,
    ModuleFormSet,
    RejectContractForm,
    TerminateContractForm,
    module_drafts,
    month_label,
    period_months,
)
from finance.models import (
    Agreement,
    Certificate,
    CertificateStatus,
    Certification,
    CertificationStatus,
    Completeness,
    Contract,
    ContractStatus,
    FinancingPeriod,
    Invoice,
    MonthClose,
    ProgramModule,
    Provider,
    ProviderStatus,
    first_day,
    rubles,
)
from finance.pdf import contract_pdf

HOME = "office_finance:home"


def money(kopecks: int) -> str:
    """Kopecks as roubles with two decimals for a column headed «₽»: «27 000,00»."""
    return money_format.amount(kopecks)


def _office(request: HttpRequest) -> None:
    """These pages are for staff; families see their certificates and contracts in their cabinet."""
    if not principal_of(request.user).uses_office:
        raise PermissionDenied


def _page(request: HttpRequest, queryset: QuerySet[Any]) -> Page[Any]:
    return Paginator(queryset, settings.OPORA_PAGE_SIZE).get_page(request.GET.get("page"))


def _problem(request: HttpRequest, error: ValidationError) -> None:
    messages.error(request, " ".join(error.messages))


def _form_problem(request: HttpRequest, form: BaseForm) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else None
        text = " ".join(str(e) for e in errors)
        messages.error(request, f"{label}: {text}" if label else text)


def _back(request: HttpRequest, default: str, *args: Any) -> HttpResponse:
    """Back to the page the form was on, else to `default`."""
    return back_to(request, request.POST.get("back"), default, *args)


def _office_contracts(user: Any) -> QuerySet[Contract]:
    """Contracts a person works with here: the provider's own and those of their territory
    (a family sees its contracts in the cabinet, not here)."""
    return Contract.objects.filter(
        scope.scope_filter(Contract, user, "change") | scope.scope_filter(Contract, user, "moderate")
    )


def _periods(user: Any) -> QuerySet[FinancingPeriod]:
    """Periods of the payer's territory, and those a provider has an agreement for."""
    agreed = scope.restrict(Agreement.objects.all(), user, "view").values("period_id")
    return FinancingPeriod.objects.filter(scope.scope_filter(FinancingPeriod, user, "view") | Q(pk__in=agreed))


# Overview


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    _office(request)
    principal = principal_of(request.user)
    waiting = scope.restrict(Certificate.objects.filter(status=CertificateStatus.REQUESTED), request.user, "change")
    pending = scope.restrict(Certification.objects.filter(status=CertificationStatus.PENDING), request.user, "moderate")
    awaiting = scope.restrict(Contract.objects.filter(status=ContractStatus.CREATED), request.user, "change")
    periods = scope.restrict(FinancingPeriod.objects.all(), request.user, "view")
    summary = _money_table("municipality", "Средства сертификатов по муниципалитетам", reports.by_municipality(periods))
    context = {
        "provider": bool(principal.operated_organization_ids),
        "territory": principal.moderates_anything,
        "certificates_waiting": waiting.count(),
        "certifications_pending": pending.count(),
        "contracts_waiting": awaiting.count(),
        "summary": summary if principal.moderates_anything else None,
    }
    return render(request, "finance/office/home.html", context)


# Certificates: identity confirmation


@login_required
@require_GET
def certificate_queue(request: HttpRequest) -> HttpResponse:
    _office(request)
    waiting = (
        scope.restrict(Certificate.objects.filter(status=CertificateStatus.REQUESTED), request.user, "change")
        .select_related("child", "municipality")
        .order_by("created_at", "pk")
    )
    return render(
        request,
        "finance/office/certificates.html",
        {"page": _page(request, waiting), "form": CertificateDecisionForm()},
    )


@login_required
@require_POST
def certificate_decide(request: HttpRequest, code: str) -> HttpResponse:
    _office(request)
    certificate = scope.get_in_scope(Certificate.objects.select_related("child"), request.user, "change", code=code)
    form = CertificateDecisionForm(request.POST)
    if not form.is_valid():
        _form_problem(request, form)
        return _back(request, "office_finance:certificates")
    accept = form.cleaned_data["decision"] == "confirm"
    try:
        certificates.confirm_identity(request.user, certificate, accept=accept, reason=form.cleaned_data["reason"])
    except ValidationError as error:
        _problem(request, error)
    else:
        child = certificate.child.short_name
        if accept:
            messages.success(request, f"Сертификат выдан: {child}, № {certificate.number}.")
        else:
            messages.success(request, f"В выдаче сертификата отказано: {child}.")
    return _back(request, "office_finance:certificates")


# Certification of programs


@login_required
@require_GET
def certification(request: HttpRequest) -> HttpResponse:
    _office(request)
    user = request.user
    own_programs = (
        scope.restrict(Program.objects.filter(status=ModerationStatus.PUBLISHED), user, "change")
        .select_related("certification")
        .order_by("title")
    )
    pending = (
        scope.restrict(Certification.objects.filter(status=CertificationStatus.PENDING), user, "moderate")
        .select_related("program__organization", "program__municipality")
        .prefetch_related("modules")
        .order_by("updated_at", "pk")
    )
    # A preview of the normative cost at the hourly cost the operator typed (a GET, nothing saved).
    preview_program, preview_cost = request.GET.get("program", ""), _decimal(request.GET.get("cost", ""))
    queue = [_pending(item, preview_cost if item.program.code == preview_program else None) for item in pending]
    register = (
        scope.restrict(Certification.objects.filter(status=CertificationStatus.CERTIFIED), user, "view")
        .select_related("program__organization", "program__municipality")
        .prefetch_related("modules__certification")
        .order_by("program__title", "pk")
    )
    context = {
        "own_programs": own_programs,
        "queue": queue,
        "decision_form": CertificationDecisionForm(),
        "page": _page(request, register),
        "preview_cost": request.GET.get("cost", ""),
    }
    return render(request, "finance/office/certification.html", context)


def _decimal(value: str) -> Decimal | None:
    try:
        amount = Decimal(value.replace(",", ".").replace(" ", ""))
    except ArithmeticError:
        return None
    return amount if amount.is_finite() and amount > 0 else None


@dataclass(frozen=True)
class Pending:
    """A program waiting for certification, with what the operator needs to decide."""

    certification: Certification
    modules: list[ProgramModule]
    hours_total: int
    price_per_hour: Decimal | None
    preview: list[tuple[str, int, Decimal]]  # (module, hours, normative cost at the typed hourly cost)


def _pending(item: Certification, hourly_cost: Decimal | None) -> Pending:
    modules = list(item.modules.all())
    hours = sum(m.hours for m in modules)
    price = sum((m.price for m in modules), Decimal(0))
    return Pending(
        certification=item,
        modules=modules,
        hours_total=hours,
        price_per_hour=(price / hours).quantize(Decimal("0.01")) if hours else None,
        preview=[(m.name, m.hours, (hourly_cost * m.hours).quantize(Decimal("0.01"))) for m in modules]
        if hourly_cost
        else [],
    )


def _office_program(request: HttpRequest, code: str) -> Program:
    programs = scope.restrict(Program.objects.select_related("organization"), request.user, "office")
    return scope.get_in_scope(programs, request.user, "change", code=code)


@login_required
@require_http_methods(["GET", "POST"])
def certification_submit(request: HttpRequest, code: str) -> HttpResponse:
    _office(request)
    program = _office_program(request, code)
    existing = Certification.objects.filter(program=program).prefetch_related("modules").first()
    if request.method == "POST":
        formset = ModuleFormSet(request.POST, prefix="modules")
        if formset.is_valid():
            try:
                registers.submit_for_certification(request.user, program, module_drafts(formset))
            except ValidationError as error:
                formset.non_form_errors().extend(error.messages)
            else:
                messages.success(request, f"Программа «{program.title}» отправлена на сертификацию.")
                return redirect("office_finance:certification")
    else:
        initial = [
            {"name": m.name, "months": m.months, "hours": m.hours, "weekly_hours": m.weekly_hours, "price": m.price}
            for m in (existing.modules.all() if existing else [])
        ] or [{"name": "Основной курс", "months": program.duration_months, "hours": program.hours_total}]
        formset = ModuleFormSet(prefix="modules", initial=initial)
    context = {"program": program, "certification": existing, "formset": formset}
    return render(request, "finance/office/certification_form.html", context)


@login_required
@require_POST
def certification_decide(request: HttpRequest, code: str) -> HttpResponse:
    _office(request)
    item = scope.get_in_scope(
        Certification.objects.select_related("program"), request.user, "moderate", program__code=code
    )
    form = CertificationDecisionForm(request.POST)
    if not form.is_valid():
        _form_problem(request, form)
        return redirect("office_finance:certification")
    certify = form.cleaned_data["decision"] == "certify"
    try:
        registers.decide_certification(
            request.user,
            item,
            certify=certify,
            hourly_cost=form.cleaned_data["hourly_cost"],
            remark=form.cleaned_data["remark"],
        )
    except ValidationError as error:
        _problem(request, error)
    else:
        messages.success(request, f"«{item.program.title}»: {item.get_status_display().lower()}.")
    return redirect("office_finance:certification")


# Providers, agreements, periods and certificate groups


REGISTRY_FILTERS = {"in": "В реестре исполнителей", "out": "Не в реестре"}


@login_required
@require_GET
def providers(request: HttpRequest) -> HttpResponse:
    _office(request)
    user = request.user
    # A region has thousands of organizations: a page of them at a time, found by name or ИНН.
    organizations = (
        scope.restrict(Organization.objects.filter(is_active=True), user, "moderate")
        .select_related("provider", "municipality")
        .order_by("municipality__name", "short_name", "pk")
    )
    query = request.GET.get("q", "").strip()
    if query:
        organizations = organizations.filter(
            contains_typed("short_name", query) | contains_typed("full_name", query) | Q(inn=query)
        )
    registry = request.GET.get("registry", "")
    active = Q(provider__status=ProviderStatus.ACTIVE)
    if registry in REGISTRY_FILTERS:
        organizations = organizations.filter(active if registry == "in" else ~active)
    periods = (
        scope.restrict(FinancingPeriod.objects.all(), user, "view")
        .select_related("municipality")
        .prefetch_related("certificate_groups")
    )
    agreements = (
        scope.restrict(Agreement.objects.all(), user, "view")
        .select_related("period__municipality", "provider__organization")
        .order_by("-period__starts_on", "provider__organization__short_name")
    )
    agreement_form = AgreementForm(
        periods=scope.restrict(FinancingPeriod.objects.all(), user, "change").select_related("municipality"),
        providers=_active_providers(user),
        initial={"signed_on": timezone.localdate()},
    )
    context = {
        "page": _page(request, organizations),
        "query": query,
        "registry": registry,
        "registry_filters": REGISTRY_FILTERS,
        "filter_query": urlencode({k: v for k, v in (("q", query), ("registry", registry)) if v}),
        "include_form": IncludeProviderForm(),
        "periods": periods,
        "agreements": agreements,
        "agreement_form": agreement_form,
        "may_sign": scope.restrict(FinancingPeriod.objects.all(), user, "change").exists(),
    }
    return render(request, "finance/office/providers.html", context)


def _active_providers(user: Any) -> QuerySet[Provider]:
    return (
        scope.restrict(Provider.objects.filter(status=ProviderStatus.ACTIVE), user, "view")
        .select_related("organization")
        .order_by("organization__short_name")
    )


@login_required
@require_POST
def provider_include(request: HttpRequest, code: str) -> HttpResponse:
    _office(request)
    organization = scope.get_in_scope(Organization.objects.all(), request.user, "moderate", code=code)
    form = IncludeProviderForm(request.POST)
    if not form.is_valid():
        _form_problem(request, form)
        return redirect("office_finance:providers")
    try:
        registers.include_provider(request.user, organization, **form.cleaned_data)
    except ValidationError as error:
        _problem(request, error)
    else:
        messages.success(request, f"«{organization.short_name}» включена в реестр исполнителей.")
    return redirect("office_finance:providers")


@login_required
@require_POST
def agreement_sign(request: HttpRequest) -> HttpResponse:
    _office(request)
    periods = scope.restrict(FinancingPeriod.objects.all(), request.user, "change")
    form = AgreementForm(request.POST, periods=periods, providers=_active_providers(request.user))
    if not form.is_valid():
        _form_problem(request, form)
        return redirect("office_finance:providers")
    data = form.cleaned_data
    try:
        agreement = registers.sign_agreement(
            request.user, data["period"], data["provider"], number=data["number"], signed_on=data["signed_on"]
        )
    except ValidationError as error:
        _problem(request, error)
    else:
        messages.success(request, f"{agreement} на период «{data['period'].name}» заключено.")
    return redirect("office_finance:providers")


# Contracts


@login_required
@require_GET
def contract_list(request: HttpRequest) -> HttpResponse:
    _office(request)
    found = _office_contracts(request.user)
    status = request.GET.get("status", "")
    if status in ContractStatus.values:
        found = found.filter(status=status)
    found = found.select_related(
        "certificate__child", "group__program", "provider__organization", "period__municipality"
    ).order_by("-created_at", "-pk")
    page = _page(request, found)
    for contract in page.object_list:
        contract.money = {
            name: money(getattr(contract, name)) for name in ("total_cost", "certificate_total", "family_total")
        }
    context = {
        "page": page,
        "status": status,
        "statuses": ContractStatus.choices,
        "filter_query": urlencode({"status": status} if status else {}),
        "may_act": scope.restrict(Contract.objects.all(), request.user, "change").exists(),
    }
    return render(request, "finance/office/contracts.html", context)


@login_required
@require_GET
def contract_detail(request: HttpRequest, code: str) -> HttpResponse:
    _office(request)
    contract = get_object_or_404(
        _office_contracts(request.user).select_related(
            "certificate__child", "group__program", "provider__organization", "period__municipality", "module"
        ),
        code=code,
    )
    reserve = contract.reserve_account.balance
    amounts = [
        (
            "Стоимость обучения",
            contract.total_cost,
            contract.certificate_first_month + contract.family_first_month,
            contract.certificate_other_month + contract.family_other_month,
        ),
        (
            "Оплачивает сертификат",
            contract.certificate_total,
            contract.certificate_first_month,
            contract.certificate_other_month,
        ),
        ("Доплата семьи", contract.family_total, contract.family_first_month, contract.family_other_month),
    ]
    context = {
        "contract": contract,
        # A contract of one month has no other months: "—", as the family's page says.
        "amounts": [
            (label, money(total), money(first), contract.months > 1 and money(other))
            for label, total, first, other in amounts
        ],
        "reserve": money(reserve),
        "charged": money(contracts.charged_total(contract)),
        "events": contract.events.select_related("actor"),
        "may_change": scope.can(request.user, contract, "change"),
        "confirm_form": ConfirmContractForm(initial={"payment_order": contract.payment_order}),
        "reject_form": RejectContractForm(),
        "terminate_form": TerminateContractForm(initial={"on": timezone.localdate()}),
    }
    return render(request, "finance/office/contract.html", context)


@login_required
@require_GET
def contract_document(request: HttpRequest, code: str) -> HttpResponse:
    """The contract as PDF, for the provider and the territory (the family has its own link)."""
    _office(request)
    contract = get_object_or_404(
        _office_contracts(request.user).select_related(
            "certificate__child", "application", "group__program", "provider__organization", "period", "module"
        ),
        code=code,
    )
    response = HttpResponse(contract_pdf(contract), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="contract-{contract.code}.pdf"'
    return response


def _contract_action(
    request: HttpRequest, code: str, form_class: type[BaseForm], act: Callable[[Contract, dict[str, Any]], Contract]
) -> HttpResponse:
    _office(request)
    contract = scope.get_in_scope(Contract.objects.all(), request.user, "change", code=code)
    form = form_class(request.POST)
    if not form.is_valid():
        _form_problem(request, form)
    else:
        try:
            done = act(contract, form.cleaned_data)
        except ValidationError as error:
            _problem(request, error)
        else:
            messages.success(request, f"{done}: «{done.get_status_display()}».")
    return redirect("office_finance:contract", contract.code)


@login_required
@require_POST
def contract_confirm(request: HttpRequest, code: str) -> HttpResponse:
    return _contract_action(
        request,
        code,
        ConfirmContractForm,
        lambda c, d: contracts.confirm_contract(request.user, c, payment_order=d["payment_order"]),
    )


@login_required
@require_POST
def contract_reject(request: HttpRequest, code: str) -> HttpResponse:
    return _contract_action(
        request, code, RejectContractForm, lambda c, d: contracts.reject_contract(request.user, c, d["reason"])
    )


@login_required
@require_POST
def contract_terminate(request: HttpRequest, code: str) -> HttpResponse:
    return _contract_action(
        request,
        code,
        TerminateContractForm,
        lambda c, d: contracts.terminate_contract(request.user, c, on=d["on"], reason=d["reason"]),
    )


# The monthly close, completeness, invoices and the register of payments


@login_required
@require_GET
def period_list(request: HttpRequest) -> HttpResponse:
    _office(request)
    periods = _periods(request.user).select_related("municipality").order_by("municipality__name", "-starts_on")
    return render(request, "finance/office/periods.html", {"periods": periods})


@dataclass(frozen=True)
class Table:
    """A table as shown (`cells`, formatted) and as downloaded (`rows`, numbers as numbers)."""

    slug: str
    title: str
    headers: Sequence[str]
    rows: list[list[Any]]
    cells: list[list[str]]
    note: str = ""

    def workbook(self) -> bytes:
        return table_workbook(self.title, self.headers, self.rows, note=self.note)


def _register_table(period: FinancingPeriod, month: date, provider_ids: set[int]) -> Table:
    lines = [line for line in closing.payments_register(period, month) if line.provider.pk in provider_ids]
    headers = [
        "Исполнитель",
        "ИНН",
        "Договоров",
        "Списано за месяц, ₽",
        "Аванс, ₽",
        "Окончательный счёт, ₽",
        "Оплачено, ₽",
    ]
    rows, cells = [], []
    for line in lines:
        org = line.provider.organization
        amounts = (line.charged, line.advance, line.final, line.paid)
        rows.append([org.short_name, org.inn, line.contracts, *(rubles(a) for a in amounts)])
        cells.append([org.short_name, org.inn, str(line.contracts), *(money(a) for a in amounts)])
    if lines:
        sums = [sum(getattr(line, name) for line in lines) for name in ("charged", "advance", "final", "paid")]
        count = sum(line.contracts for line in lines)
        rows.append(["Итого", "", count, *(rubles(s) for s in sums)])
        cells.append(["Итого", "", str(count), *(money(s) for s in sums)])
    title = f"Реестр платежей исполнителям: {month_label(month)}"
    return Table("register", title, headers, rows, cells, note=str(period))


def _chosen_month(request: HttpRequest, months: list[date]) -> date | None:
    value = request.GET.get("month", "")
    if value:
        try:
            month = first_day(date.fromisoformat(value))
        except ValueError:
            raise Http404 from None
        if month not in months:
            raise Http404
        return month
    return months[-1] if months else None


def _last_ended_month() -> date:
    """The last day of the last month that has ended: months up to it may be closed."""
    return first_day(timezone.localdate()) - timedelta(days=1)


@login_required
@require_GET
def period_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _office(request)
    user = request.user
    period = get_object_or_404(_periods(user).select_related("municipality"), pk=pk)
    months = period_months(period, until=timezone.localdate())
    month = _chosen_month(request, months)
    visible_providers = set(scope.restrict(Provider.objects.all(), user, "view").values_list("pk", flat=True))
    register = _register_table(period, month, visible_providers) if month else None
    if register is not None and month is not None and request.GET.get("format") == "xlsx":
        return xlsx_response(register.workbook(), f"payments-{period.pk}-{month:%Y-%m}.xlsx")
    own_providers = _own_providers(user)
    groups = _own_groups(user, period)
    invoices = list(
        scope.restrict(Invoice.objects.filter(period=period), user, "view")
        .select_related("provider__organization")
        .order_by("-month", "provider__organization__short_name", "kind")
    )
    closes = list(scope.restrict(MonthClose.objects.filter(period=period), user, "view").order_by("-month"))
    chosen = {"month": month.isoformat() if month else None}  # the forms act on the month shown
    ended = [m for m in months if m <= _last_ended_month()]
    # Completeness is reported for a month before its close: a closed month is not offered.
    closed = closing.closed_months(period)
    open_months = [m for m in months if m not in closed]
    context = {
        "period": period,
        "months": [(m.isoformat(), month_label(m)) for m in months],
        "month": month,
        "month_value": month.isoformat() if month else "",
        "may_close": scope.can(user, period, "change"),
        # Only ended months are closed: the month shown, or else the last ended one, is offered.
        "close_form": CloseMonthForm(months=ended, initial={"month": month if month in ended else ended[-1]})
        if ended
        else None,
        "closes": [(r, money(r.charged_total), money(r.released_total)) for r in closes],
        "groups": groups.exists(),
        "completeness_form": CompletenessForm(groups=groups, months=open_months, initial=chosen)
        if open_months
        else None,
        "completeness": Completeness.objects.filter(group__in=groups)
        .select_related("group__program")
        .order_by("-month", "group__program__title", "group__name"),
        "invoice_form": InvoiceForm(providers=own_providers, months=months, initial=chosen)
        if own_providers.exists()
        else None,
        "invoices": [(i, money(i.amount)) for i in invoices],
        "register": register,
    }
    return render(request, "finance/office/period.html", context)


def _own_providers(user: Any) -> QuerySet[Provider]:
    return scope.restrict(Provider.objects.all(), user, "change").select_related("organization")


def _own_groups(user: Any, period: FinancingPeriod) -> QuerySet[Group]:
    """The provider's groups with certificate contracts in the period."""
    own = scope.restrict(Contract.objects.filter(period=period), user, "change").values("group_id")
    return Group.objects.filter(pk__in=own).select_related("program").order_by("program__title", "name")


def _period_to_act(request: HttpRequest, pk: int) -> FinancingPeriod:
    return get_object_or_404(_periods(request.user), pk=pk)


@login_required
@require_POST
def month_close(request: HttpRequest, pk: int) -> HttpResponse:
    _office(request)
    period = _period_to_act(request, pk)
    if not scope.can(request.user, period, "change"):
        raise PermissionDenied
    form = CloseMonthForm(request.POST, months=period_months(period, until=_last_ended_month()))
    if not form.is_valid():
        _form_problem(request, form)
        return redirect("office_finance:period", period.pk)
    month = form.cleaned_data["month"]
    try:
        record = closing.close_month(request.user, period, month)
    except ValidationError as error:
        _problem(request, error)
    else:
        messages.success(
            request,
            f"Месяц {month_label(month)} закрыт (запуск {record.runs}): списано {money(record.charged_total)} ₽ "
            f"по {record.contracts_charged} дог., возвращено в сертификаты {money(record.released_total)} ₽.",
        )
    return redirect(f"{reverse('office_finance:period', args=[period.pk])}?month={month.isoformat()}")


@login_required
@require_POST
def completeness_report(request: HttpRequest, pk: int) -> HttpResponse:
    _office(request)
    period = _period_to_act(request, pk)
    groups = _own_groups(request.user, period)
    form = CompletenessForm(request.POST, groups=groups, months=period_months(period, until=timezone.localdate()))
    if not form.is_valid():
        _form_problem(request, form)
        return redirect("office_finance:period", period.pk)
    data = form.cleaned_data
    try:
        closing.report_completeness(request.user, data["group"].pk, data["month"], data["percent"])
    except ValidationError as error:
        _problem(request, error)
    else:
        messages.success(request, f"«{data['group'].name}», {month_label(data['month'])}: {data['percent']} %.")
    return redirect("office_finance:period", period.pk)


@login_required
@require_POST
def invoice_issue(request: HttpRequest, pk: int) -> HttpResponse:
    _office(request)
    period = _period_to_act(request, pk)
    months = period_months(period, until=timezone.localdate())
    form = InvoiceForm(request.POST, providers=_own_providers(request.user), months=months)
    if not form.is_valid():
        _form_problem(request, form)
        return redirect("office_finance:period", period.pk)
    data = form.cleaned_data
    try:
        invoice = closing.issue_invoice(
            request.user, data["provider"], period, data["month"], data["kind"], amount=form.amount_kopecks()
        )
    except ValidationError as error:
        _problem(request, error)
    else:
        messages.success(request, f"{invoice} за {month_label(invoice.month)}: {money(invoice.amount)} ₽.")
    return redirect("office_finance:period", period.pk)


@login_required
@require_POST
def invoice_pay(request: HttpRequest, code: str) -> HttpResponse:
    _office(request)
    invoice = scope.get_in_scope(Invoice.objects.select_related("period"), request.user, "view", code=code)
    try:
        closing.pay_invoice(request.user, invoice)  # the payer's: a provider gets 403
    except ValidationError as error:
        _problem(request, error)
    else:
        messages.success(request, f"{invoice} оплачен: {money(invoice.amount)} ₽.")
    return redirect(f"{reverse('office_finance:period', args=[invoice.period_id])}?month={invoice.month.isoformat()}")


# Reports


def _money_table(slug: str, title: str, rows: list[reports.MoneyRow], *, full: bool = True) -> Table:
    """A money report with its totals row; `full` adds the nominal issued and what is left, which
    belong to a territory and not to a provider or program."""
    names = ("issued", "reserved", "spent", "left") if full else ("reserved", "spent")
    labels = {
        "issued": "Выдано номиналов, ₽",
        "reserved": "В резерве, ₽",
        "spent": "Израсходовано, ₽",
        "left": "Остаток, ₽",
    }
    headers = [{"municipality": "Муниципалитет", "provider": "Исполнитель", "program": "Программа"}[slug]]
    headers += [labels[n] for n in names] + ["Договоров"]
    table_rows, cells = [], []
    for row in [*rows, reports.totals(rows)] if rows else []:
        amounts = [getattr(row, n) for n in names]
        table_rows.append([row.name, *(rubles(a) for a in amounts), row.contracts])
        cells.append([row.name, *(money(a) for a in amounts), str(row.contracts)])
    return Table(slug, title, headers, table_rows, cells)


def _certificate_table(periods: QuerySet[FinancingPeriod]) -> Table:
    counts = reports.certificate_counts(periods)
    headers = ["Муниципалитет", "Заявлений ждут", "Выдано", "Из них ПФ", "Использованы по договорам"]
    rows: list[list[Any]] = [[c.municipality, c.requested, c.issued, c.financing, c.used] for c in counts]
    if rows:
        rows.append(["Итого", *(sum(r[i] for r in rows) for i in range(1, 5))])
    return Table(
        "certificates", "Сертификаты: выданы и использованы", headers, rows, [[str(v) for v in r] for r in rows]
    )


REPORTS: dict[str, Callable[[QuerySet[FinancingPeriod]], Table]] = {
    "municipality": lambda p: _money_table("municipality", "По муниципалитетам", reports.by_municipality(p)),
    "provider": lambda p: _money_table("provider", "По исполнителям", reports.by_provider(p), full=False),
    "program": lambda p: _money_table("program", "По программам", reports.by_program(p), full=False),
    "certificates": _certificate_table,
}


@login_required
@require_GET
def report_list(request: HttpRequest) -> HttpResponse:
    _office(request)
    if not principal_of(request.user).moderates_anything:
        raise PermissionDenied  # the payer's reports; a provider sees its money on the month pages
    visible = scope.restrict(FinancingPeriod.objects.all(), request.user, "view").select_related("municipality")
    chosen = request.GET.get("period", "")
    periods = visible.filter(pk=chosen) if chosen.isdigit() else visible
    if chosen and not periods.exists():
        raise Http404
    query = urlencode({"period": chosen} if chosen else {})
    slug = request.GET.get("table")
    if slug:
        build = REPORTS.get(slug)
        if build is None:
            raise Http404
        return xlsx_response(build(periods).workbook(), f"finance-{slug}{'-' + chosen if chosen else ''}.xlsx")
    context = {
        "tables": [build(periods) for build in REPORTS.values()],
        "periods": visible.order_by("municipality__name", "-starts_on"),
        "chosen": chosen,
        "query": query,
    }
    return render(request, "finance/office/reports.html", context)
