"""The back office («Кабинет»): organization operators edit programs, groups, the places where groups meet and the
organization's teachers and access, territories moderate.

Views stay thin: who may see and do what comes from core.scope (404 outside the scope, 403 when
visible but not allowed), every write goes through catalog.services.
"""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Case, Count, F, Model, Q, QuerySet, When
from django.forms.models import model_to_dict
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import ORGANIZATION_ROLES, Role, RoleAssignment
from accounts.roles import principal_of
from accounts.services import (
    OWN_ACCESS,
    NewPerson,
    close_organization_access,
    open_organization_access,
    organization_roles,
    resend_invitation,
)
from accounts.views import AuthenticatedRequest
from catalog import archiving, next_year, register, revisions, services
from catalog.choice import organization_choice
from catalog.forms import (
    GroupFinancingFormSet,
    GroupForm,
    InviteOperatorForm,
    OrganizationProfileForm,
    OrganizationRegisterForm,
    ProgramForm,
    RemovePlaceForm,
    ScheduleFormSet,
    StudyPlaceForm,
    TeacherForm,
    UnitFormSet,
    error_links,
    financing_from,
    new_group_financing,
    schedule_from,
    units_from,
)
from catalog.models import (
    NOT_YET_PUBLISHED,
    Group,
    ModerationStatus,
    Organization,
    OrganizationKind,
    Program,
    ProgramRevision,
    StudyPlace,
    academic_year_label,
)
from catalog.permissions import kept_teacher, organizations_staffed_by, permitted_transitions, staffed_organization
from core import audit, scope
from core.redirects import back_to
from core.typed import title_or_code
from core.xlsx import table_workbook, xlsx_response
from people import services as people_services
from people.models import Teacher


def _office_programs(user: Any) -> QuerySet[Program]:
    """Programs a person works with here: theirs to change or moderate, and read-only those of the
    organizations they teach in. Someone else's published program is a public page, not an office one."""
    return scope.restrict(Program.objects.all(), user, "office")


def _in_status(status: str) -> Q:
    """Programs in the status, and for a status before publication, published programs whose changes
    are in it: «Ожидает правки» lists the returned changes as well, the work an operator looks for."""
    if status in NOT_YET_PUBLISHED:
        return Q(status=status) | Q(status=ModerationStatus.PUBLISHED, revision__status=status)
    return Q(status=status)


# The moderation queue's filter by what waits: (label, the program's status).
QUEUE_KINDS = {
    "new": ("Новые программы", ModerationStatus.MODERATING),
    "changes": ("Изменения опубликованных", ModerationStatus.PUBLISHED),
}


def _moderation_queue(user: Any) -> QuerySet[Program]:
    """Programs on moderation and published programs whose changes are, in the moderator's
    territory, oldest submission first."""
    # Either kind is found by its own index; one condition OR-ing both read every program of the region.
    changed = ProgramRevision.objects.filter(status=ModerationStatus.MODERATING).values_list("program_id", flat=True)
    waiting = Q(status=ModerationStatus.MODERATING) | Q(status=ModerationStatus.PUBLISHED, pk__in=list(changed))
    submitted = Case(
        When(status=ModerationStatus.MODERATING, then=F("submitted_at")), default=F("revision__submitted_at")
    )
    return (
        scope.restrict(Program.objects.filter(waiting), user, "moderate")
        .annotate(queued_at=submitted)
        .order_by(F("queued_at").asc(nulls_first=True), "pk")
    )


def _transitions(user: Any, program: Program) -> list[tuple[str, str]]:
    """(name, label) of the transitions this person may make on the program now."""
    permitted = permitted_transitions(user, program)
    return [(n, services.TRANSITION_LABELS[n]) for n in services.allowed_transitions(program) if n in permitted]


def _page(request: HttpRequest, queryset: QuerySet[Any]) -> Page[Any]:
    return Paginator(queryset, settings.OPORA_PAGE_SIZE).get_page(request.GET.get("page"))


def _unsaved(obj: Model) -> None:
    """A new object whose saving was rolled back: new again, so that the form sent anew saves it from scratch."""
    obj.pk = None
    obj._state.adding = True


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
        own = scope.restrict(Program.objects.all(), request.user, "change")
        counts = Counter(dict(own.values_list("status").annotate(n=Count("pk")).order_by()))
        # A published program's changes waiting or returned are work in that status too (see _in_status).
        changes = own.filter(status=ModerationStatus.PUBLISHED, revision__isnull=False)
        counts.update(dict(changes.values_list("revision__status").annotate(n=Count("pk")).order_by()))
        context["organizations"] = scope.restrict(Organization.objects.all(), request.user, "change")
        context["status_counts"] = [(status, counts.get(status, 0)) for status in ModerationStatus]
    if principal.moderates_anything:
        context["queue_size"] = _moderation_queue(request.user).count()
    context["methodologist"] = bool(principal.methodologist_region_ids)
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
    programs = _office_programs(request.user).select_related("organization", "revision").order_by("-updated_at", "-pk")
    status = request.GET.get("status", "")
    if status in ModerationStatus.values:
        programs = programs.filter(_in_status(status))
    query = request.GET.get("q", "").strip()
    if query:
        programs = programs.filter(title_or_code(query))
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
        .select_related("organization", "municipality", "unit", "revision")
        .prefetch_related("ovz_categories", "registers", "teachers"),
        request.user,
        "view",
        code=code,
    )
    revision = revisions.of(program)  # an archived program's too: the organization restores it with them
    groups = list(
        program.groups.select_related("teacher")
        .prefetch_related("schedule", "financing")
        .order_by("-is_active", "start_date", "name")
    )
    can_change = scope.can(request.user, program, "change")
    groups_locked = services.editing_locked(program, groups=True)
    this_year = next_year.source_year()
    return render(
        request,
        "office/program_detail.html",
        {
            "program": program,
            "groups": groups,
            "can_change": can_change,
            "switchable": _switchable(program, groups) if can_change else set(),
            "edit_locked": services.editing_locked(program),
            "groups_locked": groups_locked,
            "carry_over": can_change
            and not groups_locked
            and any(g.is_active and g.academic_year == this_year for g in groups),
            "next_academic_year": academic_year_label(this_year + 1),
            "transitions": _transitions(request.user, program),
            "revision": revision,
            "changes": revisions.rows(program, revision) if revision is not None else [],
            "history": services.program_history(program),
        },
    )


def _switchable(program: Program, groups: list[Group]) -> set[int]:
    """The groups of an archived program its organization may switch off (services.save_group): the
    active ones nobody is in or waits for."""
    if not program.is_archived:
        return set()
    active = [group.pk for group in groups if group.is_active]
    return {pk for pk, children in archiving.children_in(active).items() if not children.any}


@login_required
@require_http_methods(["GET", "POST"])
def program_create(request: HttpRequest) -> HttpResponse:
    """A new program of an organization the person operates (see _acting_for); the form offers that
    organization's teachers and units: one form offering all of them took 8 s for an administrator at
    5 000 organizations and 42 000 teachers."""
    organization, chosen = _acting_for(request)
    if organization is None:
        return _choose_organization(request, "office/program_organization.html")
    if not organization.is_active:
        raise PermissionDenied(services.ORGANIZATION_CLOSED.format(name=organization.short_name))
    return _program_form(request, Program(organization=organization), organization_chosen=chosen)


def _acting_for(request: HttpRequest) -> tuple[Organization | None, bool]:
    """The organization a page that works for one acts for, and whether it was chosen: the one named by
    `?organization=code`, or the only one the person operates. (None, False) when they operate several and
    choose first; 403 when none."""
    code = request.GET.get("organization")
    if code is not None:
        return scope.get_in_scope(Organization.objects.all(), request.user, "change", code=code), True
    only, several = scope.single(scope.restrict(Organization.objects.all(), request.user, "change"))
    if only is None and not several:
        raise PermissionDenied
    return only, False


def _choose_organization(request: HttpRequest, template: str) -> HttpResponse:
    organizations = scope.restrict(Organization.objects.all(), request.user, "change")
    choice = organization_choice(organizations, request.GET.get("q", ""))
    return render(request, template, {"choice": choice})


@login_required
@require_http_methods(["GET", "POST"])
def program_edit(request: HttpRequest, code: str) -> HttpResponse:
    """The program's form; while it (or its changes) is on moderation, or it is archived, a page
    that says why not."""
    program = scope.get_in_scope(
        _office_programs(request.user).select_related("organization", "revision"), request.user, "change", code=code
    )
    reason = services.editing_locked(program)
    if reason:
        return _locked(request, program, reason, "Изменить программу сейчас нельзя")
    return _program_form(request, program, initial=revisions.editing_copy(program))


def _locked(request: HttpRequest, program: Program, reason: str, heading: str) -> HttpResponse:
    """Instead of a form, why the program (or its group) cannot be changed now and the steps that
    would allow it (withdraw from moderation, restore from the archive)."""
    context = {
        "program": program,
        "heading": heading,
        "reason": reason,
        "transitions": _transitions(request.user, program),
        "sent": request.method == "POST",  # a form sent before the lock: its changes were not saved
    }
    return render(request, "office/program_locked.html", context, status=409)


TITLE_BEFORE_COPY = 300 - len(" (копия)")  # the title's length (Program.title) with room for the mark


@login_required
@require_http_methods(["GET", "POST"])
def program_copy(request: HttpRequest, code: str) -> HttpResponse:
    """A new program of the same organization that starts as this one — «второй год обучения», another age —: the
    new program's form filled with what the organization last wrote of it (its changes waiting for moderation
    included), «(копия)» after its title; its groups are not copied, the new program's own to add."""
    source = scope.get_in_scope(
        _office_programs(request.user).select_related("organization", "revision").prefetch_related("teachers"),
        request.user,
        "change",
        code=code,
    )
    if not source.organization.is_active:
        raise PermissionDenied(services.ORGANIZATION_CLOSED.format(name=source.organization.short_name))
    relations = revisions.editing_copy(source)
    initial = model_to_dict(source, fields=ProgramForm.Meta.fields)
    initial.update(relations, title=f"{source.title[:TITLE_BEFORE_COPY]} (копия)")
    return _program_form(request, Program(organization=source.organization), initial, copied_from=source)


def _program_form(
    request: HttpRequest,
    program: Program,
    initial: dict[str, Any] | None = None,
    *,
    organization_chosen: bool = False,
    copied_from: Program | None = None,
) -> HttpResponse:
    creating = program._state.adding
    data = request.POST if request.method == "POST" else None
    form = ProgramForm(data, instance=program, initial=initial)
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
            # Titles carry their own quotes («Юный программист»): the title goes after a colon, unquoted.
            messages.success(request, f"Программа сохранена: {program.title}.")
            if ProgramRevision.objects.filter(program=program, status=ModerationStatus.MODERATING).exists():
                messages.info(request, CHANGES_SENT)
            return redirect("office:program_detail", code=program.code)
    return render(
        request,
        "office/program_form.html",
        {
            "form": form,
            "program": program,
            "creating": creating,
            "organization_chosen": organization_chosen,
            "copied_from": copied_from,
            "error_links": error_links(form),
            # Said before saving: the changes families read go to moderation (services.save_program).
            "resubmits": program.status == ModerationStatus.PUBLISHED,
            "revision": program.pending_revision,
        },
    )


@login_required
@require_POST
def program_status(request: HttpRequest, code: str) -> HttpResponse:
    program = scope.get_in_scope(_office_programs(request.user), request.user, "view", code=code)
    transition = request.POST.get("transition", "")
    if transition not in permitted_transitions(request.user, program):
        raise PermissionDenied
    if transition == "archive":  # only after the confirmation page has said what it means
        return redirect("office:program_archive", code=program.code)
    unconfirmed = CONFIRMED_TRANSITIONS.get(transition) or (
        UNPUBLISH_UNCONFIRMED if transition == "return" and program.status == ModerationStatus.PUBLISHED else None
    )
    if unconfirmed and request.POST.get("confirmed") != "yes":
        messages.error(request, unconfirmed)
        return redirect("office:program_detail", code=program.code)
    try:
        services.change_program_status(request.user, program, transition, request.POST.get("remark", ""))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _done(program, transition))
    return back_to(request, request.POST.get("next"), "office:program_detail", code=program.code)


CHANGES_SENT = (
    "Изменения отправлены на модерацию. До решения модератора в навигаторе остаётся опубликованная "
    "редакция, запись в группы продолжается."
)
# Transitions whose form carries a required «confirmed» box, and what is said when it was not ticked.
CONFIRMED_TRANSITIONS = {"discard_changes": "Отметьте, что изменения нужно удалить: без этого они остаются."}
# Returning a published program takes it off the site: the moderator confirms that too.
UNPUBLISH_UNCONFIRMED = "Отметьте, что программу нужно снять с публикации: без этого она остаётся опубликованной."


def _done(program: Program, transition: str) -> str:
    """What a transition did, named as the audit log names it, then the program."""
    return f"{audit.action_label(f'program.{transition}')}: {program.title}."


@login_required
@require_http_methods(["GET", "POST"])
def program_archive(request: HttpRequest, code: str) -> HttpResponse:
    """Archiving, confirmed on a page of its own (no JavaScript needed) that says what it means for
    the program's groups, enrolled children and waiting applications."""
    program = scope.get_in_scope(
        _office_programs(request.user).select_related("organization"), request.user, "view", code=code
    )
    if "archive" not in permitted_transitions(request.user, program):
        raise PermissionDenied
    if request.method == "POST":
        if request.POST.get("confirmed") != "yes":
            messages.error(request, "Отметьте, что понимаете, что будет с программой: без этого она остаётся как есть.")
        else:
            try:
                services.change_program_status(request.user, program, "archive", request.POST.get("remark", "").strip())
            except ValidationError as error:
                for message in error.messages:
                    messages.error(request, message)
            else:
                messages.success(request, _done(program, "archive"))
            return redirect("office:program_detail", code=program.code)
    return render(
        request,
        "office/program_archive.html",
        {
            "program": program,
            "allowed": "archive" in services.allowed_transitions(program),
            "consequences": archiving.of_program(program),
            "revision": program.pending_revision,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def group_create(request: HttpRequest, code: str) -> HttpResponse:
    program = scope.get_in_scope(_office_programs(request.user), request.user, "change", code=code)
    return _group_form(request, Group(program=program))


@login_required
@require_http_methods(["GET", "POST"])
def groups_next_year(request: HttpRequest, code: str) -> HttpResponse:
    """The program's groups of this academic year, chosen, made again for the next one (catalog.next_year)."""
    program = scope.get_in_scope(_office_programs(request.user), request.user, "change", code=code)
    reason = services.editing_locked(program, groups=True)
    if reason:
        return _locked(request, program, reason, "Перенести группы сейчас нельзя")
    return _carry_over(
        request,
        partial(next_year.carried, program),
        partial(next_year.carry_over, request.user, program),
        reverse("office:program_detail", args=[program.code]),
        {"program": program},
    )


@login_required
@require_http_methods(["GET", "POST"])
def organization_groups_next_year(request: HttpRequest) -> HttpResponse:
    """Every program's groups of this academic year at once, for the organization the person operates."""
    organization, chosen = _acting_for(request)
    if organization is None:
        return _choose_organization(request, "office/next_year_organization.html")
    return _carry_over(
        request,
        partial(next_year.carried_in, organization),
        partial(next_year.carry_over_in, request.user, organization),
        reverse("office:home"),
        {"organization": organization, "organization_chosen": chosen},
    )


def _carry_over(
    request: HttpRequest,
    offered: Callable[[], list[next_year.Carried]],
    carry: Callable[[set[str]], list[Group]],
    done: str,
    context: dict[str, Any],
) -> HttpResponse:
    """The page of groups to make again next year: all offered ticked but those already there; the chosen made (the
    offer read again under `carry`'s transaction, not here: only a page shown reads it)."""
    chosen: set[str] | None = None
    errors: list[str] = []
    if request.method == "POST":
        chosen = set(request.POST.getlist("groups"))
        try:
            made = carry(chosen)
        except ValidationError as error:
            errors = error.messages
        else:
            year = academic_year_label(made[0].academic_year)
            messages.success(request, f"Группы на {year} учебный год созданы: {len(made)}.")
            return redirect(done)
    items = offered()
    if chosen is None:
        chosen = {item.group.code for item in items if not item.there}
    return render(
        request,
        "office/groups_next_year.html",
        {
            **context,
            "items": items,
            "chosen": chosen,
            "errors": errors,
            "done": done,
            "source_year": academic_year_label(next_year.source_year()),
            "target_year": academic_year_label(next_year.source_year() + 1),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def group_edit(request: HttpRequest, code: str) -> HttpResponse:
    groups = Group.objects.filter(program__in=_office_programs(request.user)).select_related("program__organization")
    return _group_form(request, scope.get_in_scope(groups, request.user, "change", code=code))


@login_required
@require_POST
def group_switch_off(request: HttpRequest, code: str) -> HttpResponse:
    """«Действует» unticked with one button: the one change of a group an archived program allows."""
    groups = Group.objects.filter(program__in=_office_programs(request.user)).select_related("program__organization")
    group = scope.get_in_scope(groups, request.user, "change", code=code)
    group.is_active = False
    try:
        services.save_group(request.user, group)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, f"Группа выключена: {group.name}.")
    return redirect("office:program_detail", code=group.program.code)


def _group_form(request: HttpRequest, group: Group) -> HttpResponse:
    creating = group._state.adding
    reason = services.editing_locked(group.program, groups=True)
    if reason:
        return _locked(request, group.program, reason, f"{'Добавить' if creating else 'Изменить'} группу сейчас нельзя")
    data = request.POST if request.method == "POST" else None
    form = GroupForm(data, instance=group)
    schedule = ScheduleFormSet(data, instance=group, prefix="schedule")
    if creating and data is None:
        rows = new_group_financing(group.program)
        financing = GroupFinancingFormSet(instance=group, prefix="financing", initial=rows)
        financing.extra = max(len(rows), 1)
    else:
        financing = GroupFinancingFormSet(data, instance=group, prefix="financing")
    if data is not None and all([form.is_valid(), schedule.is_valid(), financing.is_valid()]):
        try:
            services.save_group(
                request.user, form.instance, schedule=schedule_from(schedule), financing=financing_from(financing)
            )
        except ValidationError as error:
            _show_errors(error, form, {"schedule": schedule, "financing": financing})
        else:
            messages.success(request, f"Группа сохранена: {group.name}.")
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
            "children": None if creating else archiving.children_in([group.pk])[group.pk],
            "error_links": error_links(form, schedule, financing) if data is not None else [],
        },
    )


# --- The territory's register of organizations ---------------------------------------------------------------------

ACTIVITY = {"active": ("Действуют", Q(is_active=True)), "closed": ("Не действуют", Q(is_active=False))}


def _count_by(rows: QuerySet[Any], field: str) -> Counter[Any]:
    """How many of `rows` each value of `field` has: one grouped statement."""
    return Counter(dict(rows.values_list(field).annotate(n=Count("pk")).order_by()))


def _territory_organizations(user: Any) -> QuerySet[Organization]:
    """The organizations a territory's operator keeps in the register (and the administrator, all)."""
    if not principal_of(user).moderates_anything:
        raise PermissionDenied
    return scope.restrict(Organization.objects.select_related("municipality"), user, "moderate")


@dataclass(frozen=True)
class RegisterChoice:
    """What the register's list is filtered by, as the request says it."""

    query: str
    kind: str
    activity: str
    without_operators: bool

    @classmethod
    def of(cls, request: HttpRequest) -> "RegisterChoice":
        kind, activity = request.GET.get("kind", ""), request.GET.get("activity", "")
        return cls(
            query=" ".join(request.GET.get("q", "").split()),
            kind=kind if kind in OrganizationKind.values else "",
            activity=activity if activity in ACTIVITY else "",
            without_operators=request.GET.get("operators") == "none",
        )

    def filter(self, organizations: QuerySet[Organization]) -> QuerySet[Organization]:
        if self.query:
            organizations = organizations.filter(
                Q(short_name__icontains=self.query)
                | Q(full_name__icontains=self.query)
                | Q(inn=self.query)
                | Q(ogrn=self.query)
                | Q(code=self.query.upper())
            )
        if self.kind:
            organizations = organizations.filter(kind=self.kind)
        if self.activity:
            organizations = organizations.filter(ACTIVITY[self.activity][1])
        if self.without_operators:  # nobody to publish its programs: the territory's work
            organizations = organizations.exclude(pk__in=OPERATED.values("organization"))
        return organizations.order_by("short_name", "pk")


OPERATED = RoleAssignment.objects.filter(role=Role.ORGANIZATION_OPERATOR)


def _with_figures(organizations: list[Organization]) -> list[Organization]:
    """Each with its programs published and its operators, counted for these rows only (counted for a region's
    thousands of organizations before paging, the list took 0.6 s)."""
    ids = [organization.pk for organization in organizations]
    published = Program.objects.filter(organization__in=ids, status=ModerationStatus.PUBLISHED)
    counts = {
        "published": _count_by(published, "organization"),
        "operators": _count_by(OPERATED.filter(organization__in=ids), "organization"),
    }
    for organization in organizations:
        for name, by_organization in counts.items():
            setattr(organization, name, by_organization[organization.pk])
    return organizations


@login_required
@require_GET
def organization_register(request: HttpRequest) -> HttpResponse:
    """The territory's organizations: found by name, ИНН, ОГРН or code, by type, whether they act and whether anyone
    operates them; each with its programs published and its operators."""
    choice = RegisterChoice.of(request)
    page = _page(request, choice.filter(_territory_organizations(request.user)))
    page.object_list = _with_figures(list(page.object_list))
    filters = request.GET.copy()
    filters.pop("page", None)
    return render(
        request,
        "office/register_list.html",
        {
            "page": page,
            "query": choice.query,
            "kind": choice.kind,
            "kinds": OrganizationKind.choices,
            "activity": choice.activity,
            "activities": [(value, label) for value, (label, _) in ACTIVITY.items()],
            "operators": "none" if choice.without_operators else "",
            "operator_choices": [("none", "Нет ни одного")],
            "filter_query": filters.urlencode(),
        },
    )


REGISTER_COLUMNS = (
    "Код", "Краткое наименование", "Полное наименование", "Тип", "Ведомство", "Муниципалитет", "ИНН", "КПП", "ОГРН",
    "Номер лицензии", "Дата лицензии", "Адрес", "Телефон", "Электронная почта", "Сайт", "Доступна для детей с ОВЗ",
    "Действует", "Программ опубликовано", "Операторов",
)  # fmt: skip


@login_required
@require_GET
def organization_register_xlsx(request: HttpRequest) -> HttpResponse:
    """The list as it is filtered, every row, as XLSX."""
    organizations = _with_figures(list(RegisterChoice.of(request).filter(_territory_organizations(request.user))))
    rows = (
        (
            o.code, o.short_name, o.full_name, o.get_kind_display(), o.get_department_display(), o.municipality.name,
            o.inn, o.kpp, o.ogrn, o.licence_number, o.licence_date, o.address, o.phone, o.email, o.website,
            "да" if o.accessible_for_ovz else "нет", "да" if o.is_active else "нет",
            o.published, o.operators,  # type: ignore[attr-defined]
        )
        for o in organizations
    )  # fmt: skip
    title = f"Организации территории, {timezone.localdate():%d.%m.%Y}"
    return xlsx_response(table_workbook(title, REGISTER_COLUMNS, rows), "organizacii.xlsx")


@login_required
@require_http_methods(["GET", "POST"])
def organization_register_create(request: HttpRequest) -> HttpResponse:
    _territory_organizations(request.user)
    return _register_form(request, Organization())


@login_required
@require_http_methods(["GET", "POST"])
def organization_register_edit(request: HttpRequest, code: str) -> HttpResponse:
    organization = scope.get_in_scope(_territory_organizations(request.user), request.user, "moderate", code=code)
    return _register_form(request, organization)


def _register_form(request: HttpRequest, organization: Organization) -> HttpResponse:
    creating = organization._state.adding
    stored = "" if creating else organization.short_name
    data = request.POST if request.method == "POST" else None
    form = OrganizationRegisterForm(request.user, data, instance=organization)
    units = UnitFormSet(data, instance=organization, prefix="units")
    if data is not None and form.is_valid() and units.is_valid():
        try:
            if creating:
                email, person = form.operator()
                register.add_organization(
                    request.user,
                    form.instance,
                    units_from(units),
                    operator=email,
                    person=person,
                    absolute=request.build_absolute_uri,
                )
            else:
                register.save_organization(request.user, form.instance, units_from(units))
        except ValidationError as error:
            if creating:
                _unsaved(organization)
            _show_errors(error, form, {"units": units})
        else:
            messages.success(request, f"Организация сохранена в реестре: {organization.short_name}.")
            return redirect(reverse("office:organization_register"))
    return render(
        request,
        "office/register_form.html",
        {
            "form": form,
            "units": units,
            "organization": organization,
            "stored": stored,
            "creating": creating,
            "history": [] if creating else register.organization_history(organization),
            "error_links": error_links(form, units) if data is not None else [],
        },
    )


def _office_places(user: Any) -> QuerySet[StudyPlace]:
    """Study places a person works with here (as `_office_programs`): another organization's are on its public
    page, not in the office."""
    return scope.restrict(StudyPlace.objects.select_related("organization"), user, "office")


@login_required
@require_http_methods(["GET", "POST"])
def organization_profile(request: HttpRequest) -> HttpResponse:
    """What the organization tells families of itself on its page: a description, contacts, accessibility. Its
    names, legal details and address are shown, the administrator's to change."""
    organization, chosen = _acting_for(request)
    if organization is None:
        return _choose_organization(request, "office/profile_organization.html")
    form = OrganizationProfileForm(request.POST if request.method == "POST" else None, instance=organization)
    if form.is_valid():
        try:
            changed = services.save_organization_profile(request.user, form.instance)
        except ValidationError as error:
            _show_errors(error, form)
        else:
            messages.success(request, "Карточка организации сохранена." if changed else "Изменений нет.")
            return redirect(
                f"{request.path}?{urlencode({'organization': organization.code})}" if chosen else request.path
            )
    return render(
        request,
        "office/organization_profile.html",
        {"form": form, "organization": organization, "error_links": error_links(form)},
    )


def _places_url(organization: Organization) -> str:
    return f"{reverse('office:place_list')}?{urlencode({'organization': organization.code})}"


def _groups_at(organization: Organization, addresses: list[str]) -> Counter[str]:
    """How many current groups of the organization's programs meet at each of these addresses."""
    groups = Group.objects.current().filter(program__organization=organization, address__in=addresses)
    return _count_by(groups, "address")


@login_required
@require_GET
def place_list(request: HttpRequest) -> HttpResponse:
    """The addresses where an organization's groups meet on the map: its own (the administrator's to change)
    and its study places."""
    organization, chosen = _acting_for(request)
    if organization is None:
        return _choose_organization(request, "office/place_organization.html")
    places = list(organization.study_places.order_by("address"))
    groups = _groups_at(organization, [organization.address, *(place.address for place in places)])
    return render(
        request,
        "office/place_list.html",
        {
            "organization": organization,
            "organization_chosen": chosen,
            "own_groups": groups[organization.address],
            "places": [(place, groups[place.address]) for place in places],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def place_create(request: HttpRequest) -> HttpResponse:
    organization, _ = _acting_for(request)
    if organization is None:
        return _choose_organization(request, "office/place_organization.html")
    return _place_form(request, StudyPlace(organization=organization))


@login_required
@require_http_methods(["GET", "POST"])
def place_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _place_form(request, scope.get_in_scope(_office_places(request.user), request.user, "change", pk=pk))


def _place_form(request: HttpRequest, place: StudyPlace) -> HttpResponse:
    creating = place._state.adding
    # As stored, whatever the form sends: the heading, and the groups written at this address, which leave the
    # map if the place's address changes (theirs stays).
    stored = "" if creating else str(place)
    groups = 0 if creating else _groups_at(place.organization, [place.address])[place.address]
    form = StudyPlaceForm(request.POST if request.method == "POST" else None, instance=place)
    if form.is_valid():
        try:
            services.save_study_place(request.user, form.instance)
        except ValidationError as error:
            _show_errors(error, form)
        else:
            messages.success(request, f"Место занятий сохранено: {place}.")
            return redirect(_places_url(place.organization))
    return render(
        request,
        "office/place_form.html",
        {
            "form": form,
            "organization": place.organization,
            "stored": stored,
            "groups": groups,
            "creating": creating,
            "places_url": _places_url(place.organization),
            "error_links": error_links(form),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def place_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """Removing a place, confirmed on a page of its own that says what becomes of the groups meeting there."""
    place = scope.get_in_scope(_office_places(request.user), request.user, "change", pk=pk)
    form = RemovePlaceForm(place, request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            services.remove_study_place(request.user, place, form.cleaned_data["move_to"])
        except ValidationError as error:
            _show_errors(error, form)
        else:
            moved = (
                f" Группы теперь занимаются по адресу: {form.cleaned_data['move_to']}."
                if form.cleaned_data["move_to"]
                else ""
            )
            messages.success(request, f"Место занятий удалено: {place}.{moved}")
            return redirect(_places_url(place.organization))
    return render(
        request,
        "office/place_remove.html",
        {
            "place": place,
            "form": form,
            "groups": _groups_at(place.organization, [place.address])[place.address],
            "places_url": _places_url(place.organization),
        },
    )


def _staff_url(organization: Organization) -> str:
    return f"{reverse('office:staff')}?{urlencode({'organization': organization.code})}"


def _staff_of(request: HttpRequest) -> tuple[Organization | None, bool]:
    """The organization whose staff a page keeps, as `_acting_for` finds it, or named by its territory's operator."""
    code = request.GET.get("organization")
    if code is None:
        return _acting_for(request)
    return staffed_organization(request.user, code), True


def _office_access(user: Any) -> QuerySet[RoleAssignment]:
    """The roles in the organizations whose staff the person keeps: an operator's colleagues and teachers."""
    return RoleAssignment.objects.filter(
        organization__in=organizations_staffed_by(user), role__in=ORGANIZATION_ROLES
    ).select_related("user", "organization")


@login_required
@require_GET
def staff(request: HttpRequest) -> HttpResponse:
    """The organization's teachers a page at a time (their cards, the groups they lead, whether they sign in, their
    access) and who else may work in its office: its operators, and a teacher's role without a card here."""
    organization, chosen = _staff_of(request)
    if organization is None:
        return _choose_organization(request, "office/staff_organization.html")
    principal = principal_of(request.user)
    page = _page(
        request, organization.teachers.select_related("user").order_by("last_name", "first_name", "patronymic", "pk")
    )
    page.object_list = rows = list(page.object_list)
    ids = [teacher.pk for teacher in rows]
    groups_now = _count_by(Group.objects.current().filter(teacher__in=ids), "teacher")
    programs_named = _count_by(Program.teachers.through.objects.filter(teacher__in=ids), "teacher")
    for teacher in rows:
        teacher.groups_now, teacher.programs_named = groups_now[teacher.pk], programs_named[teacher.pk]
    access = list(organization_roles(organization))
    with_card = set(organization.teachers.filter(user__isnull=False).values_list("user_id", flat=True))
    teachers_access = {role.user_id: role for role in access if role.role == Role.TEACHER}
    return render(
        request,
        "office/staff.html",
        {
            "organization": organization,
            # An organization's operator chooses among theirs (if several); a territory's, in its register.
            "choose_url": ""
            if not chosen or (len(principal.operated_organization_ids) == 1 and not principal.moderates_anything)
            else reverse("office:staff" if principal.operated_organization_ids else "office:organization_register"),
            "page": page,
            "teachers": [(teacher, teachers_access.get(teacher.user_id)) for teacher in page.object_list],
            "access": [role for role in access if role.role != Role.TEACHER or role.user_id not in with_card],
            "filter_query": urlencode({"organization": organization.code}) if chosen else "",
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def teacher_create(request: HttpRequest) -> HttpResponse:
    organization, _ = _staff_of(request)
    if organization is None:
        return _choose_organization(request, "office/staff_organization.html")
    return _teacher_form(request, Teacher(organization=organization))


@login_required
@require_http_methods(["GET", "POST"])
def teacher_edit(request: HttpRequest, uuid: UUID) -> HttpResponse:
    return _teacher_form(request, kept_teacher(request.user, uuid))


def _teacher_form(request: HttpRequest, teacher: Teacher) -> HttpResponse:
    creating = teacher._state.adding
    stored = "" if creating else teacher.full_name
    form = TeacherForm(request.POST if request.method == "POST" else None, instance=teacher)
    if form.is_valid():
        invite = form.cleaned_data.get("email", "")
        try:
            people_services.save_teacher(
                request.user, form.instance, invite=invite, absolute=request.build_absolute_uri
            )
        except ValidationError as error:
            if creating:
                _unsaved(teacher)
            _show_errors(error, form)
        else:
            invited = f" Приглашение отправлено на {invite.strip().lower()}." if invite else ""
            messages.success(request, f"Карточка педагога сохранена: {teacher.full_name}.{invited}")
            return redirect(_staff_url(teacher.organization))
    return render(
        request,
        "office/teacher_form.html",
        {
            "form": form,
            "teacher": teacher,
            "organization": teacher.organization,
            "stored": stored,
            "creating": creating,
            "staff_url": _staff_url(teacher.organization),
            "error_links": error_links(form),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def teacher_remove(request: HttpRequest, uuid: UUID) -> HttpResponse:
    """Removing a card, confirmed on a page of its own; one that leads groups or is named in programs stays."""
    teacher = kept_teacher(request.user, uuid)
    if request.method == "POST":
        try:
            people_services.remove_teacher(request.user, teacher)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"Карточка педагога удалена: {teacher.full_name}.")
        return redirect(_staff_url(teacher.organization))
    return render(
        request,
        "office/staff_confirm.html",
        {
            "heading": "Удалить карточку педагога?",
            "subject": teacher.full_name,
            "organization": teacher.organization,
            "staff_url": _staff_url(teacher.organization),
            "refusal": people_services.teacher_kept(teacher),
            "consequences": [
                "Карточка исчезнет из списка педагогов организации.",
                "Если педагог входил в кабинет, его доступ к организации будет закрыт.",
            ],
            "button": "Удалить карточку",
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def operator_invite(request: HttpRequest) -> HttpResponse:
    organization, _ = _staff_of(request)
    if organization is None:
        return _choose_organization(request, "office/staff_organization.html")
    form = InviteOperatorForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        data = form.cleaned_data
        try:
            access = open_organization_access(
                request.user,
                organization,
                Role.ORGANIZATION_OPERATOR,
                data["email"],
                request.build_absolute_uri,
                person=NewPerson(data["last_name"], data["first_name"], data["patronymic"]),
            )
        except ValidationError as error:
            _show_errors(error, form)
        else:
            messages.success(request, f"Доступ оператора открыт: {access.user.email}. Приглашение отправлено.")
            return redirect(_staff_url(organization))
    return render(
        request,
        "office/operator_invite.html",
        {
            "form": form,
            "organization": organization,
            "staff_url": _staff_url(organization),
            "error_links": error_links(form),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def access_close(request: HttpRequest, pk: int) -> HttpResponse:
    """Closing a person's access, confirmed on a page of its own."""
    access = get_object_or_404(_office_access(request.user), pk=pk)
    organization = access.organization
    assert organization is not None  # an organization's role
    if request.method == "POST":
        try:
            close_organization_access(request.user, access)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"Доступ закрыт: {access.user.email}.")
        return redirect(_staff_url(organization))
    teacher = access.role == Role.TEACHER
    return render(
        request,
        "office/staff_confirm.html",
        {
            "heading": "Закрыть доступ?",
            "subject": f"{access.user.display_name} · {access.get_role_display()}",
            "organization": organization,
            "staff_url": _staff_url(organization),
            "refusal": OWN_ACCESS if access.user_id == request.user.pk and not teacher else "",
            "consequences": [
                f"{access.user.email} больше не сможет работать в кабинете организации как "
                f"{access.get_role_display().lower()}; другие роли учётной записи останутся.",
                *(["Карточка педагога останется, но без учётной записи."] if teacher else []),
                "Человек получит письмо о том, что доступ закрыт. Открыть его можно снова в любое время.",
            ],
            "button": "Закрыть доступ",
        },
    )


@login_required
@require_POST
def access_resend(request: HttpRequest, pk: int) -> HttpResponse:
    access = get_object_or_404(_office_access(request.user), pk=pk)
    try:
        resend_invitation(request.user, access, request.build_absolute_uri)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Приглашение отправлено ещё раз: {access.user.email}.")
    assert access.organization is not None
    return redirect(_staff_url(access.organization))


@login_required
@require_GET
def moderation_queue(request: HttpRequest) -> HttpResponse:
    if not principal_of(request.user).moderates_anything:
        raise PermissionDenied
    queue = _moderation_queue(request.user)
    # The organizations with something waiting, for the filter: a territory's queue runs to hundreds.
    waiting_organizations = (
        Organization.objects.filter(pk__in=queue.values("organization_id"))
        .order_by("short_name")
        .values_list("code", "short_name")
    )
    kind, organization = request.GET.get("kind", ""), request.GET.get("organization", "")
    programs = queue.select_related("organization", "municipality", "revision")
    if kind in QUEUE_KINDS:
        programs = programs.filter(status=QUEUE_KINDS[kind][1])
    if organization:
        programs = programs.filter(organization__code=organization)
    page = _page(request, programs)
    items = []
    for program in page.object_list:
        revision = program.pending_revision
        names = services.QUEUE_TRANSITIONS if revision is None else services.QUEUE_REVISION_TRANSITIONS
        items.append(
            {
                "program": program,
                "revision": revision,
                "changed": revisions.field_labels(sorted(revision.values)) if revision is not None else [],
                "transitions": [(name, services.TRANSITION_LABELS[name]) for name in names],
            }
        )
    return render(
        request,
        "office/moderation_queue.html",
        {
            "page": page,
            "items": items,
            "back": request.get_full_path(),
            "kinds": [(value, label) for value, (label, _) in QUEUE_KINDS.items()],
            "kind": kind,
            "organizations": list(waiting_organizations),
            "organization": organization,
            "filtered": bool(kind or organization),
            "filter_query": urlencode([(k, v) for k, v in (("kind", kind), ("organization", organization)) if v]),
        },
    )
