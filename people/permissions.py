"""Who may see and edit teachers, guardians and children."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q

from accounts.roles import Principal, principal_of
from core import scope
from people.models import Child, Guardian, MatchCandidate, Teacher
from territory.permissions import in_territory


def children_in_care(p: Principal, child: str) -> Q:
    """Rows whose `child` (a path to a child; "pk" for children themselves) is a child of this guardian.
    Nothing for anyone else: staff have no children here, and the clause ORed with their own would
    only hide their sight from the database's indexes (an OR with another table)."""
    if p.user_id is None or not p.is_guardian:
        return scope.NOTHING
    return Q(**{f"{child}__in": Child.guardians.through.objects.filter(guardian__user_id=p.user_id).values("child_id")})


def teacher_rule(p: Principal, action: scope.Action) -> Q:
    own = Q(organization__in=p.operated_organization_ids)
    if action == "change":
        return own
    return (
        own
        | Q(organization__in=p.teaching_organization_ids)
        | in_territory("organization__municipality", p, p.region_ids | p.methodologist_region_ids)
    )


def guardian_rule(p: Principal, action: scope.Action) -> Q:
    return Q(user_id=p.user_id) if p.user_id else scope.NOTHING


def child_rule(p: Principal, action: scope.Action) -> Q:
    """A family changes its own children; the territory's operators moderate the registry (merges,
    the review queue); an organization sees the children who applied to it."""
    from enrollment.models import Application

    territory = in_territory("municipality", p, p.region_ids)
    if action == "moderate":
        return territory
    if p.user_id is None:
        return scope.NOTHING
    family = children_in_care(p, "pk")
    if action == "change":
        return family
    # An organization's operators see the children who applied to it; its teachers those of their groups.
    seen = Q(organization__in=p.operated_organization_ids) if p.operated_organization_ids else scope.NOTHING
    if p.teaching_organization_ids:
        seen |= Q(group__teacher__user_id=p.user_id)
    applied = Q(pk__in=Application.objects.filter(seen).values("child_id"))
    return family | territory | (applied if p.is_staff_of_any_organization else scope.NOTHING)


def match_candidate_rule(p: Principal, action: scope.Action) -> Q:
    """A pair of records is decided by whoever moderates both (the regional operator, when they live in
    two municipalities); the operator of either one's territory sees the pair, read-only."""
    first = in_territory("first__municipality", p, p.region_ids)
    second = in_territory("second__municipality", p, p.region_ids)
    if first == scope.NOTHING:  # no territory: no pair (and no query to build for a family or a teacher)
        return scope.NOTHING
    if action == "moderate":
        return first & second
    return first | second


def require_registry_staff(user: Any, *, queue: bool = False) -> None:
    """The registry is staff's (a family sees its children in its cabinet, and nothing of other records),
    its review queue the territory's operators': pages and API refuse anyone else (403)."""
    principal = principal_of(user)
    if not principal.uses_office or (queue and not principal.moderates_anything):
        raise PermissionDenied


scope.register(Teacher, teacher_rule)
scope.register(Guardian, guardian_rule)
scope.register(Child, child_rule)
scope.register(MatchCandidate, match_candidate_rule)
