"""Who may see, edit and moderate organizations, programs and groups."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.roles import Principal, principal_of
from catalog.models import Group, ModerationStatus, Organization, Program, StudyPlace
from core import scope
from enrollment.models import Application
from people.models import Teacher
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


def study_place_rule(p: Principal, action: scope.Action) -> Q:
    """A study place is its organization's: seen and changed as the organization is."""
    return Q(organization__in=Organization.objects.filter(organization_rule(p, action)).values("pk"))


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


def listed_programs(user: Any, programs: QuerySet[Program], *, changes: bool = False) -> QuerySet[Program]:
    """Programs as an organization's list shows them (GET /organizations/{code}/programs, the
    synchronizing client's whole catalog): every status to the organization's operators, its
    territory's moderators and the admin; to a teacher the published ones and those the teacher
    teaches (named among its teachers or leading a group), whatever their status: the organization's
    other drafts are its work in progress, not the teacher's. Listing `changes` (since a moment),
    anyone also gets the programs once published that have left the catalog since (archived,
    returned for changes…), with their status: a client that copied the catalog learns to drop them."""
    p = principal_of(user)
    if p.is_admin:
        return programs
    taught = scope.NOTHING
    if p.teaching_organization_ids and p.user_id is not None:
        named = Program.teachers.through.objects.filter(teacher__user_id=p.user_id).values("program_id")
        leading = Group.objects.filter(teacher__user_id=p.user_id).values("program_id")
        taught = Q(pk__in=named) | Q(pk__in=leading)
    left_catalog = Q(published_at__isnull=False) if changes else scope.NOTHING
    return programs.filter(_every_status(p) | taught | left_catalog)


# What the public is not shown of an archived program (`readable_program`), besides its teachers and
# groups: edited, if at all, without a moderator since it left the catalog, and advertising nothing now.
RETIRED_TEXTS = ("description", "goals", "results", "equipment")


def readable_program(queryset: QuerySet[Program], user: Any, code: str) -> Program:
    """The program at its public address, the Navigator's page and GET /programs/{code} alike;
    404 for one the user may not read. `read_whole` is set on it: False for the public's view of an
    archived program, whose RETIRED_TEXTS are blanked here and whose teachers and groups
    (`shown_teachers`, `shown_groups`) are not shown.

    In scope ("view") a program is read whole, an archived one too: by its organization, its teachers
    and its territory's moderators. Besides, a program once published is read whole, whatever its
    status now (archived, returned for changes, on moderation again, a draft restored from the
    archive), by a family that sees an application to it, whatever became of that application
    (enrolled, expelled, queued, refused, cancelled…): the cabinet lists every one with a link to the
    program and its history, and the family reads what it applied to (`admission` tells it the
    program takes no applications now). Off publication, a program may hold the organization's text
    that no moderator has read yet (its changes, taken in when it was returned or restored): the
    family reads it, being the organization's own, with a child in its group or its queue; the
    moderator vets what the public catalog shows, and an archived program keeps its published
    text (`services.editing_locked`). Anyone else reaches an archived program that was once
    published (links, letters and bookmarks to it remain) as «no longer held», and no other
    unpublished one: nobody outside has seen a program never published, and one being reworked is
    not the public's until a moderator publishes it again. Search and the organization's lists read
    published programs only."""
    p = principal_of(user)
    whole = _read_whole(p, user, Program)
    if not p.is_admin:  # the admin's filter is Q(), which an OR would drop: `Q() | q` is q alone
        queryset = queryset.filter(whole | Q(status=ModerationStatus.ARCHIVED, published_at__isnull=False))
    try:
        program = queryset.get(code=code)
    except Program.DoesNotExist:
        raise Http404 from None
    program.read_whole = (  # type: ignore[attr-defined]
        p.is_admin or not program.is_archived or Program.objects.filter(whole, pk=program.pk).exists()
    )
    if not program.read_whole:  # type: ignore[attr-defined]
        for name in RETIRED_TEXTS:
            setattr(program, name, "")
    return program


def shown_teachers(program: Program) -> QuerySet[Teacher]:
    """The teachers of a program `readable_program` found, to prefetch: none to the public of an archived one."""
    return Teacher.objects.all() if program.read_whole else Teacher.objects.none()  # type: ignore[attr-defined]


def shown_groups(program: Program) -> QuerySet[Group]:
    """The groups shown of a program `readable_program` found (to filter by it, or to prefetch): the
    current ones of a program in the catalog, being prepared or off it for a while; of an archived
    one, to those who read it whole, every one, latest first — where a child is or was; none to the
    public."""
    if not program.read_whole:  # type: ignore[attr-defined]
        return Group.objects.none()
    if program.is_archived:
        return Group.objects.order_by("-start_date", "name", "id")
    return Group.objects.current().order_by("start_date", "name", "id")


def readable_group(queryset: QuerySet[Group], user: Any, code: str) -> Group:
    """The group at its address (GET /groups/{code}), read as its program is read whole
    (`readable_program`): in scope, or by a family that applied to its program once published, the
    program since archived or taken off publication; 404 otherwise."""
    try:
        return queryset.filter(_read_whole(principal_of(user), user, Group, "program__")).get(code=code)
    except Group.DoesNotExist:
        raise Http404 from None


def _read_whole(p: Principal, user: Any, model: type[Program | Group], prefix: str = "") -> Q:
    """Programs (or their groups, through `prefix`) the user reads whole: in scope, or applied to by the
    user's family. Q() for the admin: everything (an OR with it would be the other side alone)."""
    whole = scope.scope_filter(model, user, "view")
    return whole if p.is_admin else whole | _applied_to(p, user, prefix)


def _applied_to(p: Principal, user: Any, prefix: str = "") -> Q:
    """Programs once published (a family cannot apply to any other; kept as a guard) of the
    applications a family sees (its children's), whatever the status of either now: the published
    ones are everyone's anyway, the others (archived, returned for changes, on moderation, a draft
    restored from the archive) the family's as well."""
    if not p.is_guardian:
        return scope.NOTHING
    applications = scope.restrict(Application.objects.all(), user, "view")
    return Q(**{f"{prefix}published_at__isnull": False, f"{prefix}pk__in": applications.values("program_id")})


scope.register(Organization, organization_rule)
scope.register(StudyPlace, study_place_rule)
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


def keeps_staff(user: Any, organization: Organization) -> bool:
    """Whether the person keeps the organization's teachers' cards and who works in its office: its operators, the
    operators of its territory (who register it and invite its first operator) and the administrator."""
    return scope.can(user, organization, "change") or scope.can(user, organization, "moderate")


def organizations_staffed_by(user: Any) -> QuerySet[Organization]:
    """The organizations whose staff the person keeps (`keeps_staff`): two scopes as ids, since the administrator's
    filter is Q(), which an OR would drop."""
    kept = Q()
    for action in ("change", "moderate"):
        kept |= Q(pk__in=scope.restrict(Organization.objects.all(), user, action).values("pk"))
    return Organization.objects.filter(kept)


def staffed_organization(user: Any, code: str) -> Organization:
    """The organization (by its code) whose staff the person keeps (`keeps_staff`): 404 unseen, 403 seen only."""
    organization = scope.get_in_scope(Organization.objects.all(), user, "view", code=code)
    if not keeps_staff(user, organization):
        raise PermissionDenied
    return organization


def kept_teacher(user: Any, uuid: Any) -> Teacher:
    """A teacher's card the person keeps (`keeps_staff`): 404 unseen, 403 seen only (a colleague's)."""
    teacher = scope.get_in_scope(Teacher.objects.select_related("organization", "user"), user, uuid=uuid)
    if not keeps_staff(user, teacher.organization):
        raise PermissionDenied
    return teacher
