"""Pages of the list imports: the history, the template, the upload, a batch with its errors,
the confirmation, the progress while it applies and the outcome. Rules are in monitoring.imports."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from catalog.choice import organization_choice
from catalog.models import Organization
from core import scope
from core.xlsx import table_workbook, xlsx_response
from monitoring import career_import, imports
from monitoring.models import IMPORT_MAX_BYTES, ImportBatch, ImportStatus


def _importer(request: HttpRequest) -> None:
    if not imports.may_use_imports(request.user):
        raise PermissionDenied


def _batches(*, with_errors: bool = False) -> QuerySet[ImportBatch]:
    # The file and the error lists can weigh megabytes: only the pages that show the errors load them.
    heavy = ("content",) if with_errors else ("content", "errors", "failures")
    return ImportBatch.objects.select_related("organization", "uploaded_by").defer(*heavy)


class UploadForm(forms.Form):
    organization = forms.ModelChoiceField(
        queryset=Organization.objects.none(), to_field_name="code", label="Организация", empty_label=None
    )
    file = forms.FileField(
        label="Файл списка (.xlsx)",
        help_text=f"Заполненный шаблон, не больше {IMPORT_MAX_BYTES // (1024 * 1024)} МБ.",
        widget=forms.ClearableFileInput(
            attrs={"accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
        ),
    )

    def __init__(self, *args: Any, organizations: QuerySet[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organization"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = organizations
        only, _ = scope.single(organizations.only("code"))
        if only is not None:
            # Nothing to choose: the organization is named on the page, the field travels hidden.
            field.widget = forms.HiddenInput()
            field.initial = only.code


@login_required
@require_GET
def batch_list(request: HttpRequest) -> HttpResponse:
    _importer(request)
    return _list_page(request, None)


def _list_page(request: HttpRequest, form: UploadForm | None, status: int = 200) -> HttpResponse:
    organizations = imports.importable_organizations(request.user)
    batches = scope.restrict(_batches(), request.user).order_by("-created_at", "-pk")
    page = Paginator(batches, settings.OPORA_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, **_upload_context(request, organizations, form)}
    return render(request, "imports/list.html", context, status=status)


def _upload_context(
    request: HttpRequest, organizations: QuerySet[Organization], form: UploadForm | None
) -> dict[str, Any]:
    """The upload section: the organization it is for (the only one, the one in the address —
    `?organization=code`, 404 when not theirs — or the one a refused form was sent for) with its
    form, or else the choice of one."""
    only, several = scope.single(organizations.only("code", "short_name"))
    if only is None and not several:
        return {"may_upload": False, "form": form}
    code = request.GET.get("organization")
    organization = get_object_or_404(organizations, code=code) if code else None
    if organization is None and form is not None:
        organization = getattr(form, "cleaned_data", {}).get("organization")
    if organization is None:
        organization = only
    context: dict[str, Any] = {"may_upload": True, "several": several, "organization": organization, "form": form}
    if organization is None:
        context["choice"] = organization_choice(organizations, request.GET.get("q", ""))
    elif form is None:
        context["form"] = UploadForm(organizations=organizations.filter(pk=organization.pk))
    return context


def _template_response(request: HttpRequest, build: Callable[[Organization | None], bytes], name: str) -> HttpResponse:
    """A template for one organization (chosen, or the only one) with its codes, else a blank one."""
    _importer(request)
    organizations = imports.importable_organizations(request.user)
    code = request.GET.get("organization")
    organization = get_object_or_404(organizations, code=code) if code else None
    if organization is None:
        organization, _ = scope.single(organizations)
    filename = f"{name}-{organization.code}.xlsx" if organization else f"{name}.xlsx"
    return xlsx_response(build(organization), filename)


@login_required
@require_GET
def template(request: HttpRequest) -> HttpResponse:
    return _template_response(request, imports.template_workbook, "shablon-spiska-detey")


@login_required
@require_POST
def upload(request: HttpRequest) -> HttpResponse:
    _importer(request)
    organizations = imports.importable_organizations(request.user)
    if not organizations.exists():
        raise PermissionDenied
    form = UploadForm(request.POST, request.FILES, organizations=organizations)
    if not form.is_valid():
        return _list_page(request, form, status=400)
    uploaded = form.cleaned_data["file"]
    try:
        imports.refuse_too_big(uploaded.size)
        batch = imports.upload(request.user, form.cleaned_data["organization"], uploaded.name, uploaded.read())
    except ValidationError as error:
        form.add_error("file", error)
        return _list_page(request, form, status=400)
    if batch.errors:
        messages.error(request, f"Файл проверен: ошибок {len(batch.errors)}. Ничего не изменено.")
    else:
        messages.success(request, f"Файл проверен, ошибок нет: строк {batch.rows_valid}. Ничего не изменено.")
    return redirect("monitoring:import", code=batch.code)


@login_required
@require_GET
def batch_detail(request: HttpRequest, code: str) -> HttpResponse:
    _importer(request)
    batch = scope.get_in_scope(_batches(with_errors=True), request.user, code=code)
    errors = Paginator(batch.errors, 50).get_page(request.GET.get("page"))
    return render(request, "imports/detail.html", {**_progress_context(request, batch), "errors": errors})


def _progress_context(request: HttpRequest, batch: ImportBatch) -> dict[str, Any]:
    return {
        "batch": batch,
        "stale": imports.is_stale(batch),
        "may_apply": imports.may_apply(batch) and scope.can(request.user, batch, "change"),
        "outcome": imports.outcome_lines(batch),
        "rows_wrong": batch.rows_total - batch.rows_valid,
        "applied_before": imports.applied_before(batch),
    }


@login_required
@require_GET
def batch_progress(request: HttpRequest, code: str) -> HttpResponse:
    """The fragment the batch page polls while the list applies; when it is done, htmx reloads the
    whole page, which lists the rows that failed."""
    _importer(request)
    batch = scope.get_in_scope(_batches(), request.user, code=code)
    response = render(request, "imports/_progress.html", _progress_context(request, batch))
    if request.headers.get("HX-Request") and batch.status != ImportStatus.APPLYING:
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_POST
def apply(request: HttpRequest, code: str) -> HttpResponse:
    _importer(request)
    batch = scope.get_in_scope(_batches(), request.user, "change", code=code)
    try:
        imports.start_apply(request.user, batch)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Список применяется: строки без ошибок вносятся в реестр и в группы.")
    return redirect("monitoring:import", code=batch.code)


@login_required
@require_GET
def errors_xlsx(request: HttpRequest, code: str) -> HttpResponse:
    _importer(request)
    batch = scope.get_in_scope(_batches(with_errors=True), request.user, code=code)
    rows = [("проверка", e["row"] or "", e["column"], e["message"]) for e in batch.errors]
    rows += [("применение", e["row"] or "", e["column"], e["message"]) for e in batch.failures]
    content = table_workbook(
        f"Ошибки загрузки {batch.code}",
        ["Этап", "Строка", "Столбец", "Ошибка"],
        rows,
        note=f"{batch.organization.short_name}, файл «{batch.file_name}», "
        f"загружен {timezone.localtime(batch.created_at):%d.%m.%Y %H:%M}",
    )
    return xlsx_response(content, f"oshibki-{batch.code}.xlsx")


# --- Participants of open career-guidance lessons (monitoring.career_import) -----------------


@login_required
@require_GET
def career_template(request: HttpRequest) -> HttpResponse:
    return _template_response(request, career_import.template_workbook, "shablon-otkrytye-uroki")


@login_required
@require_http_methods(["GET", "POST"])
def career_lessons(request: HttpRequest) -> HttpResponse:
    """Upload a list of participants: checked whole, written only if every row is right."""
    _importer(request)
    organizations = imports.importable_organizations(request.user)
    if not organizations.exists():
        raise PermissionDenied

    def page(form: UploadForm | None, status: int = 200, **shown: Any) -> HttpResponse:
        context = _upload_context(request, organizations, form) | shown
        return render(request, "imports/career_lessons.html", context, status=status)

    if request.method != "POST":
        return page(None)
    form = UploadForm(request.POST, request.FILES, organizations=organizations)
    if not form.is_valid():
        return page(form, 400)
    uploaded, organization = form.cleaned_data["file"], form.cleaned_data["organization"]
    try:
        imports.refuse_too_big(uploaded.size)
        result = career_import.import_visits(request.user, organization, uploaded.name, uploaded.read())
    except ValidationError as error:
        form.add_error("file", error)
        return page(form, 400)
    if result.errors:
        return page(form, file_name=uploaded.name, result=result, errors=result.errors)
    return page(form, file_name=uploaded.name, result=result, outcome=career_import.outcome_lines(result.outcome))
