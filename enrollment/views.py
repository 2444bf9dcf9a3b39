"""The family's side of enrollment: the cabinet, adding a child, applying, cancelling, waiting for
a program's admission to open, «Избранное», letters of new programs a search finds."""

import uuid
from typing import cast
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from catalog.forms import error_links
from catalog.models import Group, ModerationStatus, Program
from catalog.permissions import readable_program
from core import scope
from core.redirects import back_to, site_path
from core.templatetags.opora import BESIDE_FORM
from enrollment import search_alerts, services, shortlist, watches
from enrollment.models import AdmissionWatch, Application, ApplicationStatus, SavedProgram, SearchAlert
from people.forms import ChildDetailsForm, ChildForm
from people.models import Child, Guardian
from people.registry import TypedAgainError
from people.services import add_child, correct_child, guardian_of


def _guardian(request: HttpRequest) -> Guardian:
    guardian = guardian_of(request.user)  # signed in: login_required
    if guardian is None:
        raise PermissionDenied("Раздел для родителей: войдите как родитель (законный представитель).")
    return guardian


@login_required
@require_GET
def cabinet(request: HttpRequest) -> HttpResponse:
    guardian = _guardian(request)
    children = list(guardian.children.select_related("municipality").order_by("birth_date"))
    applications = (
        Application.objects.filter(child__in=children)
        .select_related("program", "program__organization", "group")
        .prefetch_related("events")
        .order_by("-created_at")
    )
    by_child: dict[int, list[Application]] = {child.pk: [] for child in children}
    for application in applications:
        application.queue_position = services.waitlist_position(application)  # type: ignore[attr-defined]
        # Every application here is of this parent's child: cancelling is theirs whenever it is allowed.
        application.may_cancel = "cancel" in services.allowed_transitions(application)  # type: ignore[attr-defined]
        by_child[application.child_id].append(application)
    today = timezone.localdate()
    rows = [(child, child.age_on(today), by_child[child.pk]) for child in children]
    waiting = watches.waiting_of(guardian.user)
    context = {
        "guardian": guardian,
        "rows": rows,
        "watches": waiting,
        "saved": shortlist.saved_of(guardian.user),
        "search_alerts": search_alerts.alerts_of(guardian.user),
    }
    return render(request, "family/cabinet.html", context)


def identifiers_saved(added: list[str]) -> str:
    """What the family is told of the identifiers its child's record took ("" for none)."""
    said = [
        "СНИЛС сохранён." if "snils" in added else "",
        "Свидетельство о рождении сохранено." if "birth_certificate" in added else "",
    ]
    return " ".join(filter(None, said))


SNILS_HELD_ELSEWHERE = (
    "Этот СНИЛС уже указан в другой записи реестра детей, поэтому запись сохранена без него. "
    "Опорный центр сверит записи по документам и, если это один ребёнок, объединит их."
)


@login_required
@require_http_methods(["GET", "POST"])
def child_new(request: HttpRequest) -> HttpResponse:
    guardian = _guardian(request)
    form = ChildForm(
        request.POST or None, initial={"last_name": guardian.last_name, "municipality": guardian.municipality}
    )
    typed_again: Child | None = None  # the family's child this one may be: its card is linked
    if form.is_valid():
        try:
            registration = add_child(
                request.user,
                form.save(commit=False),
                snils=form.cleaned_data["snils"],
                birth_certificate=form.cleaned_data["birth_certificate"],
                another_child=form.cleaned_data["another_child"],
            )
        except ValidationError as error:
            form.add_error(None, error)
            typed_again = error.child if isinstance(error, TypedAgainError) else None
        else:
            child = registration.child
            if registration.already_guardian:  # typed again: the registry found the cabinet's own record
                messages.info(request, f"{child.first_name} уже есть в вашем кабинете: новая запись не нужна.")
                if registration.identifiers_added:
                    messages.success(request, identifiers_saved(registration.identifiers_added))
                if registration.snils_held_elsewhere:
                    messages.info(request, SNILS_HELD_ELSEWHERE)
                return back_to(request, request.POST.get("next"), "family:cabinet")
            added = "добавлена" if child.sex == Child.Sex.FEMALE else "добавлен"
            messages.success(request, f"{child.first_name} {added}. Теперь можно записаться на программу.")
            if registration.snils_held_elsewhere:  # the family must know it is not kept; of other records, nothing
                messages.info(request, SNILS_HELD_ELSEWHERE)

            return back_to(request, request.POST.get("next"), "family:cabinet")
    context = {
        "form": form,
        "next": request.GET.get("next", ""),
        "error_links": error_links(form),
        "typed_again": typed_again,
    }
    return render(request, "family/child_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def child_edit(request: HttpRequest, child_uuid: uuid.UUID) -> HttpResponse:
    """A parent corrects the child's details and gives the identifiers its record lacks; another family's
    child is not found."""
    child = scope.get_in_scope(Child.objects.living(), request.user, "change", uuid=child_uuid)
    form = ChildDetailsForm(request.POST or None, instance=child)
    if form.is_valid():
        try:
            changed, identifiers = correct_child(
                request.user,
                form.save(commit=False),
                snils=form.cleaned_data.get("snils", ""),  # a field the form has only while the record lacks it
                birth_certificate=form.cleaned_data.get("birth_certificate", ""),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            said = " ".join(
                filter(None, ["Данные ребёнка исправлены." if changed else "", identifiers_saved(identifiers.added)])
            )
            messages.success(request, said or "Данные ребёнка не изменились.")
            if identifiers.snils_held_elsewhere:
                messages.info(request, SNILS_HELD_ELSEWHERE)
            return redirect("family:cabinet")
    return render(request, "family/child_form.html", {"form": form, "child": child, "error_links": error_links(form)})


@login_required
@require_POST
def apply(request: HttpRequest, code: str) -> HttpResponse:
    program = get_object_or_404(Program, code=code, status=ModerationStatus.PUBLISHED)
    try:
        child_uuid = uuid.UUID(request.POST.get("child", ""))
    except ValueError:
        messages.error(request, "Выберите ребёнка, которого записываете.")
        return redirect("navigator:program", code=program.code)
    child = get_object_or_404(Child, uuid=child_uuid, guardians__user=request.user)
    group_code = request.POST.get("group") or ""
    group = get_object_or_404(Group, code=group_code, program=program) if group_code else None
    try:
        application = services.apply(request.user, child, program, group, request.POST.get("idempotency_key", ""))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages), extra_tags=BESIDE_FORM)
        # Back to the form with the child and the group it was for: another try is for them too.
        chosen = urlencode({"child": str(child.uuid), **({"group": group.code} if group else {})})
        return HttpResponseRedirect(f"{reverse('navigator:program', args=[program.code])}?{chosen}#apply")
    messages.success(request, applied_message(application))
    return redirect("family:cabinet")


def applied_message(application: Application) -> str:
    """Where the new application stands: a first-come campaign invites or queues it at once."""
    status = application.get_status_display()
    said = f"Заявка {application.code} на «{application.program.title}» подана: статус «{status}»"
    if application.status == ApplicationStatus.INVITED and application.group is not None:
        held = (
            f", место держится до {timezone.localtime(application.deadline):%d.%m.%Y}" if application.deadline else ""
        )
        return f"{said}, группа «{application.group.name}»{held}."
    return f"{said}."


@login_required
@require_http_methods(["GET", "POST"])
def cancel(request: HttpRequest, code: str) -> HttpResponse:
    """Asked first (a cancelled application cannot be restored: a seat held goes to the next child),
    then done."""
    application = scope.get_in_scope(
        Application.objects.select_related("child", "program", "group"), request.user, "view", code=code
    )
    if request.method == "GET":
        if "cancel" not in services.allowed_transitions(application):
            messages.error(request, f"Заявку {application.code} отменить уже нельзя.")
            return redirect("family:cabinet")
        return render(request, "family/cancel.html", {"application": application})
    try:
        services.change_status(request.user, application, "cancel")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Заявка {application.code} отменена.")
    return redirect("family:cabinet")


@login_required
@require_POST
def watch(request: HttpRequest, code: str) -> HttpResponse:
    program = readable_program(Program.objects.all(), request.user, code)
    try:
        watches.watch(request.user, program)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages), extra_tags=BESIDE_FORM)
    else:
        email = cast(User, request.user).email
        messages.success(request, f"Готово: письмо придёт на {email}.", extra_tags=BESIDE_FORM)
    return HttpResponseRedirect(f"{reverse('navigator:program', args=[program.code])}#apply")


@login_required
@require_POST
def stop_watching(request: HttpRequest, pk: int) -> HttpResponse:
    """From the program page or the cabinet, back where it was asked; another family's watch is not found."""
    found = scope.get_in_scope(AdmissionWatch.objects.select_related("program"), request.user, "change", pk=pk)
    watches.stop_watching(request.user, found)
    return _back_from_cabinet_or_program(request, f"Письма об открытии записи на «{found.program.title}» не будет.")


@login_required
@require_POST
def save_program(request: HttpRequest, code: str) -> HttpResponse:
    """«В избранное» on a program page: back to it, said beside the button."""
    program = readable_program(Program.objects.all(), request.user, code)
    _, created = shortlist.save(request.user, program)
    said = "Программа сохранена в избранное." if created else "Программа уже в избранном."
    messages.success(request, said, extra_tags=BESIDE_FORM)
    return HttpResponseRedirect(f"{reverse('navigator:program', args=[program.code])}#apply")


@login_required
@require_POST
def forget_saved(request: HttpRequest, pk: int) -> HttpResponse:
    """From the program page or the cabinet, back where it was asked; another family's is not found."""
    found = scope.get_in_scope(SavedProgram.objects.select_related("program"), request.user, "change", pk=pk)
    shortlist.remove(request.user, found)
    return _back_from_cabinet_or_program(request, f"Программа «{found.program.title}» убрана из избранного.")


@login_required
@require_POST
def keep_search_alert(request: HttpRequest) -> HttpResponse:
    """«Сообщать о новых программах» under a search: back to it, said beside the button."""
    query = request.POST.get("query", "")
    try:
        _, created = search_alerts.keep(request.user, query)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages), extra_tags=BESIDE_FORM)
    else:
        email = cast(User, request.user).email
        said = f"Готово: письма придут на {email}." if created else "Вы уже подписаны на этот поиск."
        messages.success(request, said, extra_tags=BESIDE_FORM)
    return HttpResponseRedirect(f"{reverse('navigator:search')}?{query}#search-alert")


@login_required
@require_POST
def forget_search_alert(request: HttpRequest, pk: int) -> HttpResponse:
    """From the search or the cabinet, back where it was asked; another family's is not found."""
    found = scope.get_in_scope(SearchAlert.objects.all(), request.user, "change", pk=pk)
    search_alerts.forget(request.user, found)
    return _back_from_cabinet_or_program(request, "Письма о новых программах по этому поиску больше не придут.")


@csrf_exempt  # the signed token authorizes it; a mail service's one-click POST (RFC 8058) carries no CSRF token
@require_http_methods(["GET", "POST"])
def stop_search_alert(request: HttpRequest, token: str) -> HttpResponse:
    """A letter's «Отписаться», signed in or not: asked on the page (a mail scanner opening the link changes
    nothing), done by its button or by the mail service's one click."""
    alert = search_alerts.by_stop_token(token)
    if alert is None:
        return render(request, "family/search_alert_stop.html", {"alert": None}, status=404)
    description = search_alerts.description(alert)
    if request.method == "POST":
        search_alerts.forget(alert.user, alert)
        return render(request, "family/search_alert_stop.html", {"stopped": description})
    return render(request, "family/search_alert_stop.html", {"alert": alert, "description": description})


def _back_from_cabinet_or_program(request: HttpRequest, said: str) -> HttpResponse:
    """Back where a button of the cabinet or of a program or search page was pressed, saying what it did: only those
    pages' forms send `next`, and there the message stands beside its button."""
    back = site_path(request.POST.get("next"))
    messages.success(request, said, extra_tags=BESIDE_FORM if back else "")
    return back_to(request, back, "family:cabinet")
