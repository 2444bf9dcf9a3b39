"""The registry of children in the back office: search, a child's card, the review queue of
possible duplicates and the merges (with undo). Rules are in people.registry."""

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
from django.views.decorators.http import require_GET, require_POST

from accounts.roles import principal_of
from core import scope
from people import registry
from people.models import Child, ChildMerge, MatchCandidate


def _staff(request: HttpRequest) -> None:
    """The registry is for staff; families see their children in their cabinet."""
    if not principal_of(request.user).uses_office:
        raise PermissionDenied


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
    _staff(request)
    children, terms = _search(request, scope.restrict(Child.objects.living(), request.user))
    searched = any(terms.values())
    page = Paginator(
        children.select_related("municipality").order_by("last_name", "first_name", "birth_date", "pk"),
        settings.OPORA_PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    query = "&".join(f"{k}={v}" for k, v in terms.items() if v)
    pending = registry.pending_review().filter(_pair_in_scope(request.user)).count()
    context = {"page": page, "terms": terms, "searched": searched, "filter_query": query, "pending": pending}
    return render(request, "registry/child_list.html", context)


@login_required
@require_GET
def child_detail(request: HttpRequest, uuid: UUID) -> HttpResponse:
    _staff(request)
    child = scope.get_in_scope(Child.objects.select_related("municipality", "merged_into"), request.user, uuid=uuid)
    registry.record_reading(request.user, child)
    may_moderate = scope.can(request.user, child, "moderate")
    context: dict[str, Any] = {
        "child": child,
        "may_moderate": may_moderate,
        "applications": child.applications.select_related("program", "group").order_by("-created_at")[:50],
        "merges": ChildMerge.objects.filter(Q(survivor=child) | Q(absorbed=child)).select_related(
            "survivor", "absorbed"
        ),
        "candidates": registry.pending_review().filter(Q(first=child) | Q(second=child)),
        "has_identifiers": bool(child.snils_cipher or child.birth_certificate_cipher),
    }
    return render(request, "registry/child_detail.html", context)


@login_required
@require_POST
def reveal(request: HttpRequest, uuid: UUID) -> HttpResponse:
    """Show the protected identifiers once, on a POST so that the reading is deliberate and logged."""
    _staff(request)
    child = scope.get_in_scope(Child.objects.all(), request.user, uuid=uuid)
    identifiers = registry.reveal_identifiers(request.user, child)
    response = render(request, "registry/identifiers.html", {"child": child, "identifiers": identifiers})
    response["Cache-Control"] = "no-store"
    return response


def _pair_in_scope(user: Any) -> Q:
    """Both records of a pair within the user's territory."""
    visible = scope.scope_filter(Child, user, "moderate")
    ids = Child.objects.filter(visible).values("pk")
    return Q(first__in=ids, second__in=ids)


@login_required
@require_GET
def review_queue(request: HttpRequest) -> HttpResponse:
    _staff(request)
    if not principal_of(request.user).moderates_anything:
        raise PermissionDenied
    pairs = registry.pending_review().filter(_pair_in_scope(request.user))
    page = Paginator(pairs, settings.OPORA_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "registry/review_queue.html", {"page": page})


@login_required
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    candidate = get_object_or_404(MatchCandidate.objects.filter(_pair_in_scope(request.user)), pk=pk)
    same = request.POST.get("decision") == "same"
    try:
        registry.decide(request.user, candidate, same=same)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Записи объединены." if same else "Записи оставлены раздельными.")
    return redirect("registry:review_queue")


@login_required
@require_POST
def undo_merge(request: HttpRequest, pk: int) -> HttpResponse:
    visible = Child.objects.filter(scope.scope_filter(Child, request.user, "view")).values("pk")
    merge = get_object_or_404(ChildMerge.objects.filter(survivor__in=visible), pk=pk)
    if not scope.can(request.user, merge.survivor, "moderate"):
        raise PermissionDenied
    try:
        absorbed = registry.undo_merge(request.user, merge)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("registry:child", uuid=merge.survivor.uuid)
    messages.success(request, "Объединение отменено: записи снова раздельные.")
    return redirect("registry:child", uuid=absorbed.uuid)
