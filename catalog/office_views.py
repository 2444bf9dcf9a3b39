"""The back office («Кабинет»): organization operators edit programs and groups, territories moderate.

Views stay thin: who may see and do what comes from core.scope (404 outside the scope, 403 when
visible but not allowed), every write goes through catalog.services.
"""

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.roles import principal_of
from accounts.views import AuthenticatedRequest
from catalog import services
from catalog.forms import GroupFinancingFormSet, GroupForm, ProgramForm, ScheduleFormSet, financing_from, schedule_from
from catalog.models import Group, ModerationStatus, Organization, Program
from catalog.permissions import permitted_transitions
from core import scope

QUEUE_TRANSITIONS = ("approve", "return")


def _office_programs(user: Any) -> QuerySet[Program]:
    """Programs a person works with here: theirs to change or moderate, and read-only those of the
    organizations they teach in. Someone else's published program is a public page, not an office one."""
    return scope.restrict(Program.objects.all(), user, "office")


def _page(request: HttpRequest, queryset: QuerySet[Any]) -> Page[Any]:
    return Paginator(queryset, settings.OPORA_PAGE_SIZE).get_page(request.GET.get("page"))


def _show_errors(error: ValidationError, form: forms.BaseForm, formsets: dict[str, Any] | None = None) -> None:
    """Put an action's errors next to the fields they concern; the rest above the form."""
    for field, errors in error.update_error_dict({}).items():
        if formsets and field in formsets:
            formsets[field].non_form_errors().extend(ValidationError(errors).messages)
        else:
            form.add_error(field if field in form.fields else None, errors)


@login_required
@require_GET
def home(request: AuthenticatedRequest) -> HttpResponse:
    principal = principal_of(request.user)
    context: dict[str, Any] = {}
    if principal.operated_organization_ids:
        counts = dict(
            scope.restrict(Program.objects.all(), request.user, "change")
            .values_list("status")
            .annotate(n=Count("pk"))
            .order_by()
        )
        context["organizations"] = scope.restrict(Organization.objects.all(), request.user, "change")
        context["status_counts"] = [(status, counts.get(status, 0)) for status in ModerationStatus]
    if principal.moderates_anything:
        context["queue_size"] = scope.restrict(
            Program.objects.filter(status=ModerationStatus.MODERATING), request.user, "moderate"
        ).count()
    if principal.teaching_organization_ids:
        context["teacher_groups"] = (
            scope.restrict(Group.objects.filter(teacher__user=request.user), request.user, "view")
            .select_related("program")
            .prefetch_related("schedule")
            .order_by("-is_active", "start_date", "name")
        )
    return render(request, "office/home.html", context)


@login_required
@require_GET
def program_list(request: HttpRequest) -> HttpResponse:
    programs = _office_programs(request.user).select_related("organization").order_by("-updated_at", "-pk")
    status = request.GET.get("status", "")
    if status in ModerationStatus.values:
        programs = programs.filter(status=status)
    query = request.GET.get("q", "").strip()
    if query:
        programs = programs.filter(Q(title__icontains=query) | Q(code__iexact=query))
    filters = request.GET.copy()
    filters.pop("page", None)
    return render(
        request,
        "office/program_list.html",
        {
            "page": _page(request, programs),
            "status": status,
            "query": query,
            "statuses": ModerationStatus.choices,
            "filter_query": filters.urlencode(),
        },
    )


@login_required
@require_GET
def program_detail(request: HttpRequest, code: str) -> HttpResponse:
    program = scope.get_in_scope(
        _office_programs(request.user)
        .select_related("organization", "municipality", "unit")
        .prefetch_related("ovz_categories", "registers", "teachers"),
        request.user,
        "view",
        code=code,
    )
    can_change = scope.can(request.user, program, "change")
    permitted = permitted_transitions(request.user, program)
    transitions = [
        (name, services.TRANSITION_LABELS[name]) for name in services.allowed_transitions(program) if name in permitted
    ]
    groups = program.groups.select_related("teacher").prefetch_related("schedule", "financing")
    return render(
        request,
        "office/program_detail.html",
        {
            "program": program,
            "groups": groups.order_by("-is_active", "start_date", "name"),
            "can_change": can_change,
            "transitions": transitions,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def program_create(request: HttpRequest) -> HttpResponse:
    organizations = scope.restrict(Organization.objects.all(), request.user, "change")
    if not organizations.exists():
        raise PermissionDenied
    return _program_form(request, Program(), organizations)


@login_required
@require_http_methods(["GET", "POST"])
def program_edit(request: HttpRequest, code: str) -> HttpResponse:
    program = scope.get_in_scope(_office_programs(request.user), request.user, "change", code=code)
    return _program_form(request, program, None)


def _program_form(request: HttpRequest, program: Program, organizations: QuerySet[Organization] | None) -> HttpResponse:
    creating = program._state.adding
    data = request.POST if request.method == "POST" else None
    form = ProgramForm(data, instance=program, organizations=organizations)
    if form.is_valid():
        try:
            services.save_program(
                request.user,
                form.instance,
                ovz_categories=form.cleaned_data["ovz_categories"],
                registers=form.cleaned_data["registers"],
                teachers=form.cleaned_data["teachers"],
            )
        except ValidationError as error:
            _show_errors(error, form)
        else:
            messages.success(request, f"Программа «{program.title}» сохранена.")
            return redirect("office:program_detail", code=program.code)
    return render(request, "office/program_form.html", {"form": form, "program": program, "creating": creating})


@login_required
@require_POST
def program_status(request: HttpRequest, code: str) -> HttpResponse:
    program = scope.get_in_scope(_office_programs(request.user), request.user, "view", code=code)
    transition = request.POST.get("transition", "")
    if transition not in permitted_transitions(request.user, program):
        raise PermissionDenied
    try:
        services.change_program_status(request.user, program, transition, request.POST.get("remark", ""))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, f"Программа «{program.title}»: {program.get_status_display().lower()}.")
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        return redirect(back)
    return redirect("office:program_detail", code=program.code)


@login_required
@require_http_methods(["GET", "POST"])
def group_create(request: HttpRequest, code: str) -> HttpResponse:
    program = scope.get_in_scope(_office_programs(request.user), request.user, "change", code=code)
    return _group_form(request, Group(program=program))


@login_required
@require_http_methods(["GET", "POST"])
def group_edit(request: HttpRequest, code: str) -> HttpResponse:
    groups = Group.objects.filter(program__in=_office_programs(request.user)).select_related("program__organization")
    return _group_form(request, scope.get_in_scope(groups, request.user, "change", code=code))


def _group_form(request: HttpRequest, group: Group) -> HttpResponse:
    creating = group._state.adding
    data = request.POST if request.method == "POST" else None
    form = GroupForm(data, instance=group)
    schedule = ScheduleFormSet(data, instance=group, prefix="schedule")
    financing = GroupFinancingFormSet(data, instance=group, prefix="financing")
    if data is not None and all([form.is_valid(), schedule.is_valid(), financing.is_valid()]):
        try:
            services.save_group(
                request.user, form.instance, schedule=schedule_from(schedule), financing=financing_from(financing)
            )
        except ValidationError as error:
            _show_errors(error, form, {"schedule": schedule, "financing": financing})
        else:
            messages.success(request, f"Группа «{group.name}» сохранена.")
            return redirect("office:program_detail", code=group.program.code)
    return render(
        request,
        "office/group_form.html",
        {
            "form": form,
            "schedule": schedule,
            "financing": financing,
            "group": group,
            "program": group.program,
            "creating": creating,
        },
    )


@login_required
@require_GET
def moderation_queue(request: HttpRequest) -> HttpResponse:
    if not principal_of(request.user).moderates_anything:
        raise PermissionDenied
    programs = scope.restrict(
        Program.objects.filter(status=ModerationStatus.MODERATING).select_related("organization", "municipality"),
        request.user,
        "moderate",
    ).order_by("updated_at", "pk")
    transitions = [(name, services.TRANSITION_LABELS[name]) for name in QUEUE_TRANSITIONS]
    return render(
        request,
        "office/moderation_queue.html",
        {"page": _page(request, programs), "transitions": transitions, "back": request.get_full_path()},
    )
