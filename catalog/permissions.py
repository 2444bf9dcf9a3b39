"""Who may see, edit and moderate organizations, programs and groups."""

from typing import Any

from django.db.models import Q, QuerySet

from accounts.roles import Principal, principal_of
from catalog.models import Group, ModerationStatus, Organization, Program
from core import scope
from territory.permissions import in_territory


def _moderates(p: Principal, municipality_field: str) -> Q:
    return in_territory(municipality_field, p, p.region_ids | p.methodologist_region_ids)


def organization_rule(p: Principal, action: scope.Action) -> Q:
    if action == "view":
        return Q(is_active=True) | Q(pk__in=p.operated_organization_ids) | _moderates(p, "municipality")
    if action == "change":
        return Q(pk__in=p.operated_organization_ids)
    moderated = in_territory("municipality", p, p.region_ids)
    if action == "office":
        return Q(pk__in=p.operated_organization_ids | p.teaching_organization_ids) | moderated
    return moderated


def _every_status(p: Principal, prefix: str = "") -> Q:
    """Programs seen whatever their status: the published ones by anyone, the others by their
    organization's operators and by the moderators (and methodologists) of its territory."""
    return (
        Q(**{f"{prefix}status": ModerationStatus.PUBLISHED})
        | Q(**{f"{prefix}organization__in": p.operated_organization_ids})
        | _moderates(p, f"{prefix}municipality")
    )


def program_rule(p: Principal, action: scope.Action, prefix: str = "") -> Q:
    own_org = Q(**{f"{prefix}organization__in": p.operated_organization_ids})
    if action == "view":
        return _every_status(p, prefix) | Q(**{f"{prefix}organization__in": p.teaching_organization_ids})
    if action == "change":
        return own_org
    moderated = in_territory(f"{prefix}municipality", p, p.region_ids)
    if action == "office":
        return own_org | Q(**{f"{prefix}organization__in": p.teaching_organization_ids}) | moderated
    return moderated


def group_rule(p: Principal, action: scope.Action) -> Q:
    return program_rule(p, action, prefix="program__")


def listed_programs(user: Any, programs: QuerySet[Program]) -> QuerySet[Program]:
    """Programs as an organization's list shows them (GET /organizations/{code}/programs, the
    synchronizing client's whole catalog): every status to the organization's operators, its
    territory's moderators and the admin; to a teacher the published ones and those the teacher
    teaches (named among its teachers or leading a group), whatever their status: the organization's
    other drafts are its work in progress, not the teacher's."""
    p = principal_of(user)
    if p.is_admin:
        return programs
    taught = scope.NOTHING
    if p.teaching_organization_ids and p.user_id is not None:
        named = Program.teachers.through.objects.filter(teacher__user_id=p.user_id).values("program_id")
        leading = Group.objects.filter(teacher__user_id=p.user_id).values("program_id")
        taught = Q(pk__in=named) | Q(pk__in=leading)
    return programs.filter(_every_status(p) | taught)


scope.register(Organization, organization_rule)
scope.register(Program, program_rule)
scope.register(Group, group_rule)


def permitted_transitions(user: Any, program: Program) -> frozenset[str]:
    """Moderation transitions this person may make on this program, whatever its state: the
    organization's side (ORGANIZATION_TRANSITIONS: submit, withdraw, archive, restore and those of
    its changes) needs "change", the moderator's (MODERATOR_TRANSITIONS) "moderate"."""
    from catalog.services import MODERATOR_TRANSITIONS, ORGANIZATION_TRANSITIONS

    permitted: frozenset[str] = frozenset()
    if scope.can(user, program, "change"):
        permitted |= ORGANIZATION_TRANSITIONS
    if scope.can(user, program, "moderate"):
        permitted |= MODERATOR_TRANSITIONS
    return permitted
