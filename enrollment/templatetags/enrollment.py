"""The application form on a program page: for a parent, their children and the open groups; while
the program takes nothing yet, the offer to wait for its admission to open; and «В избранное». Under a search's
results, the offer to be told of new programs it finds."""

import uuid
from typing import Any, NamedTuple
from urllib.parse import urlencode

from django import template
from django.urls import reverse
from django.utils import timezone

from catalog.models import Program
from enrollment import admission, search_alerts, services, shortlist, watches
from enrollment.models import ACTIVE_STATUSES, AdmissionWatch, Application
from people.models import Child

register = template.Library()


class ChildChoice(NamedTuple):
    child: Child
    fits: bool  # a group taking applications now is for the child's age on its first lesson


@register.inclusion_tag("family/_apply_form.html", takes_context=True)
def apply_form(context: dict[str, Any], program: Program) -> dict[str, Any]:
    """The call to action: a button or the form only when the program takes applications now (or
    ranked choices in a preference campaign), otherwise why not and when that changes."""
    request = context["request"]
    user = request.user
    found = context.get("admission") or admission.of_program(program, timezone.now())
    takes = found.takes_applications
    children = [
        ChildChoice(child, any(group.takes_child_born(child.birth_date) for group in found.groups))
        for child in (
            Child.objects.filter(guardians__user=user).order_by("birth_date") if takes and user.is_authenticated else ()
        )
    ]
    # A parent coming back to the program sees where their children's applications to it stand.
    applications = (
        list(
            Application.objects.filter(program=program, child__guardians__user=user, status__in=ACTIVE_STATUSES)
            .select_related("child", "group")
            .order_by("created_at")
        )
        if context["principal"].is_guardian
        else []
    )
    for application in applications:
        application.queue_position = services.waitlist_position(application)  # type: ignore[attr-defined]
    watchable = found.state in watches.WATCHABLE_STATES
    watching = (
        AdmissionWatch.objects.filter(user=user, program=program, notified_at=None).first()
        if watchable and context["principal"].is_guardian
        else None
    )
    chosen = request.GET.get("group", "")
    # The one an application refused a moment ago was for; else the first the program is for.
    chosen_child = request.GET.get("child", "")
    if not any(str(choice.child.uuid) == chosen_child for choice in children):
        chosen_child = next((str(choice.child.uuid) for choice in children if choice.fits), "")
    return {
        "admission": found,
        "program": program,
        "user": user,
        "is_guardian": context["principal"].is_guardian,
        "children": children,
        "applications": applications,
        "watchable": watchable,
        "watching": watching,
        "saved": shortlist.saved(user, program) if context["principal"].is_guardian else None,
        "chosen_child": chosen_child,
        "none_fits": bool(children) and not any(choice.fits for choice in children),
        "groups": found.groups,
        "chosen_group": chosen if any(g.code == chosen for g in found.groups) else "",
        # A new key per rendering: resubmitting this form (double click, reload) is the same application.
        "idempotency_key": uuid.uuid4().hex,
        "next": request.get_full_path(),
        "messages": context.get("messages", ()),  # a refusal of the last try is shown in the form
    }


@register.inclusion_tag("family/_search_alert.html", takes_context=True)
def search_alert_form(context: dict[str, Any]) -> dict[str, Any]:
    """«Сообщать о новых программах» under a search that asks for something (a word or a filter) without a bad
    value: a guest is asked to sign in, a parent subscribes or sees the subscription; nobody else is offered it.
    A guest's page (the search's usual reader) reads nothing more for it."""
    request, principal = context["request"], context["principal"]
    query = request.GET.urlencode()
    asks = any(value.strip() for name in search_alerts.SEARCHED for value in request.GET.getlist(name))
    staff = principal.is_authenticated and not principal.is_guardian
    if not asks or context.get("errors") or staff:
        return {"offered": False}
    here = f"{reverse('navigator:search')}?{query}"
    shown = {"offered": True, "messages": context.get("messages", ())}
    if not principal.is_authenticated:
        return {**shown, "login": f"{reverse('accounts:login')}?{urlencode({'next': here})}"}
    user = request.user
    alert = search_alerts.subscription(user, query)
    return {**shown, "query": query, "here": here, "email": user.email, "alert": alert}
