"""The registry of children in the back office: search, a child's card, the review queue of
possible duplicates with each pair's page, and the merges (with undo). Rules are in people.registry
and people.review."""

from datetime import date
from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from catalog.forms import error_links
from core import scope
from people import registry, review
from people.forms import IdentifiersCorrectionForm
from people.models import Child, ChildMerge, MatchCandidate
from people.permissions import require_registry_staff


def _search(request: HttpRequest, children: QuerySet[Child]) -> tuple[QuerySet[Child], dict[str, str]]:
    terms = {name: request.GET.get(name, "").strip() for name in ("last_name", "first_name", "birth_date")}
    if terms["last_name"]:
        children = children.filter(last_name__iexact=terms["last_name"])
    if terms["first_name"]:
        children = children.filter(first_name__iexact=terms["first_name"])
    if terms["birth_date"]:
        try:
            children = children.filter(birth_date=date.fromisoformat(terms["birth_date"]))
        except ValueError:
            messages.error(request, "Дата рождения — в формате ГГГГ-ММ-ДД.")
            terms["birth_date"] = ""
    return children, terms


@login_required
@require_GET
def child_list(request: HttpRequest) -> HttpResponse:
    require_registry_staff(request.user)
    children, terms = _search(request, scope.restrict(Child.objects.living(), request.user))
    searched = any(terms.values())
    page = Paginator(
        children.select_related("municipality").order_by("last_name", "first_name", "birth_date", "pk"),
        settings.OPORA_PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    query = "&".join(f"{k}={v}" for k, v in terms.items() if v)
    pending = review.to_decide(request.user).count()
    context = {"page": page, "terms": terms, "searched": searched, "filter_query": query, "pending": pending}
    return render(request, "registry/child_list.html", context)


@login_required
@require_GET
def child_detail(request: HttpRequest, uuid: UUID) -> HttpResponse:
    require_registry_staff(request.user)
    child = scope.get_in_scope(Child.objects.select_related("municipality", "merged_into"), request.user, uuid=uuid)
    registry.record_reading(request.user, child)
    may_moderate = scope.can(request.user, child, "moderate")
    candidates = review.pairs_of(child, request.user)
    context: dict[str, Any] = {
        "child": child,
        "may_moderate": may_moderate,
        "applications": child.applications.select_related("program", "group").order_by("-created_at")[:50],
        "merges": ChildMerge.objects.filter(Q(survivor=child) | Q(absorbed=child)).select_related(
            "survivor", "absorbed"
        ),
        "candidates": candidates,
        "readable": review.readable_records((pair for pair, _ in candidates), request.user),
        "has_identifiers": bool(child.snils_cipher or child.birth_certificate_cipher),
    }
    return render(request, "registry/child_detail.html", context)


@login_required
@require_POST
def reveal(request: HttpRequest, uuid: UUID) -> HttpResponse:
    """Show the protected identifiers once, on a POST so that the reading is deliberate and logged."""
    require_registry_staff(request.user)
    child = scope.get_in_scope(Child.objects.all(), request.user, uuid=uuid)
    identifiers = registry.reveal_identifiers(request.user, child)
    response = render(request, "registry/identifiers.html", {"child": child, "identifiers": identifiers})
    response["Cache-Control"] = "no-store"
    return response


# How the outcome of a correction is said, identifier by identifier.
CORRECTED = {
    "snils": {"added": "СНИЛС добавлен.", "replaced": "СНИЛС заменён.", "cleared": "СНИЛС удалён."},
    "birth_certificate": {
        "added": "Свидетельство о рождении добавлено.",
        "replaced": "Свидетельство о рождении заменено.",
        "cleared": "Свидетельство о рождении удалено.",
    },
}


@login_required
@require_http_methods(["GET", "POST"])
def correct_identifiers(request: HttpRequest, uuid: UUID) -> HttpResponse:
    """The territory's operator corrects the СНИЛС or the birth certificate from the documents (the form,
    then a POST); a reader who may not is refused as the merges refuse (403, or 404 out of sight)."""
    require_registry_staff(request.user)
    child = scope.get_in_scope(Child.objects.select_related("municipality"), request.user, "moderate", uuid=uuid)
    form = IdentifiersCorrectionForm(request.POST or None, child=child)
    if form.is_valid():
        try:
            changes = registry.correct_identifiers(
                request.user, child, reason=form.cleaned_data["reason"], **form.identifiers()
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            said = [CORRECTED[kind][change] for kind, change in changes.items()]
            if said:
                messages.success(request, " ".join([*said, "Причина записана в журнал."]))
            else:
                messages.info(request, "Ничего не изменилось: в записи уже указано то же самое.")
            return redirect("registry:child", uuid=child.uuid)
    context = {"child": child, "form": form, "error_links": error_links(form)}
    return render(request, "registry/identifiers_form.html", context, status=400 if form.errors else 200)


# The review queue's lists: the pairs to decide, those another operator decides, the decided ones.
QUEUE_LISTS = {"": review.to_decide, "shared": review.decided_by_others, "decided": review.decided}


@login_required
@require_GET
def review_queue(request: HttpRequest) -> HttpResponse:
    require_registry_staff(request.user, queue=True)
    shown = request.GET.get("show", "")
    if shown not in QUEUE_LISTS:
        shown = ""
    page = Paginator(QUEUE_LISTS[shown](request.user), settings.OPORA_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "shown": shown,
        "readable": review.readable_records(page, request.user),
        "filter_query": f"show={shown}" if shown else "",
    }
    return render(request, "registry/review_queue.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def pair(request: HttpRequest, pk: int) -> HttpResponse:
    """A pair of records and what a decision on it rests on; a POST decides (the territory's operator)."""
    require_registry_staff(request.user)
    action: scope.Action = "moderate" if request.method == "POST" else "view"
    candidate = scope.get_in_scope(MatchCandidate.objects.all(), request.user, action, pk=pk)
    if request.method == "POST":
        same = request.POST.get("decision") == "same"
        try:
            registry.decide(request.user, candidate, same=same)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("registry:pair", pk=pk)
        messages.success(request, "Записи объединены." if same else "Записи оставлены раздельными.")
        return redirect("registry:review_queue")
    return _pair_page(request, candidate)


def _pair_page(request: HttpRequest, candidate: MatchCandidate, reason: str = "", error: str = "") -> HttpResponse:
    basis = review.basis(candidate, request.user)
    for record in (basis.first, basis.second):
        if record.shown:  # guardians' contacts and applications: a staff reading of the child's card
            registry.record_reading(request.user, record.child)
    context = {"basis": basis, "reason": reason, "reason_error": error, "reason_max": registry.REOPEN_REASON_MAX}
    return render(request, "registry/pair.html", context, status=400 if error else 200)


@login_required
@require_POST
def reopen(request: HttpRequest, pk: int) -> HttpResponse:
    require_registry_staff(request.user)
    candidate = scope.get_in_scope(MatchCandidate.objects.all(), request.user, "moderate", pk=pk)
    reason = request.POST.get("reason", "")
    try:
        registry.reopen(request.user, candidate, reason=reason)
    except ValidationError as error:
        if hasattr(error, "error_dict"):  # the reason: said beside it, with what was typed
            return _pair_page(request, candidate, reason, " ".join(error.messages))
        messages.error(request, " ".join(error.messages))  # the pair's state: the page now shows it
        return redirect("registry:pair", pk=pk)
    messages.success(request, "Пара возвращена в очередь: она снова ждёт решения.")
    return redirect("registry:pair", pk=pk)


# The details a merge fills (registry.FILLABLE_FIELDS) as the undo names those it keeps.
KEPT_SINCE_MERGE = {
    "patronymic": "отчество",
    "snils": "СНИЛС",
    "birth_certificate": "свидетельство о рождении",
    "has_ovz": "ОВЗ",
    "has_disability": "инвалидность",
}


@login_required
@require_POST
def undo_merge(request: HttpRequest, pk: int) -> HttpResponse:
    visible = Child.objects.filter(scope.scope_filter(Child, request.user, "view")).values("pk")
    merge = get_object_or_404(ChildMerge.objects.filter(survivor__in=visible), pk=pk)
    if not scope.can(request.user, merge.survivor, "moderate"):
        raise PermissionDenied
    try:
        undone = registry.undo_merge(request.user, merge)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("registry:child", uuid=merge.survivor.uuid)
    said = ["Объединение отменено: записи снова раздельные."]
    if undone.kept:
        kept = ", ".join(KEPT_SINCE_MERGE[detail] for detail in undone.kept)
        said.append(f"В оставшейся записи сохранено изменённое после объединения: {kept}.")
    messages.success(request, " ".join(said))
    if undone.snils_held_elsewhere:
        messages.warning(request, undone.snils_held_elsewhere)
    return redirect("registry:child", uuid=undone.absorbed.uuid)
