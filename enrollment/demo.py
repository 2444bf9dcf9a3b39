"""Demo applications: the demo family's children and other families apply to the programs of the
demo organization, which has already invited, enrolled, queued and refused some of them.

Everything goes through enrollment.services, so seats, queues and histories are real."""

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db.models import Count

from accounts.models import User
from catalog import services as catalog_services
from catalog.models import Group, ModerationStatus, Organization, Program
from enrollment.campaigns import submit_choices
from enrollment.models import Application, ApplicationStatus, Campaign, CampaignKind
from enrollment.services import apply, change_status
from people.models import Child
from territory.demo import DemoRandom

REFUSALS = (
    "Группа набрана, по возрасту ребёнок подходит в группу следующего года.",
    "Не представлены документы в срок.",
)


def create_applications(
    rng: DemoRandom, children: Sequence[Child], organization: Organization, operator: User, count: int
) -> list[Application]:
    """Up to `count` applications to `organization`'s programs; the first children (the demo
    family's) come first. Then the organization decides on part of them."""
    programs = list(organization.programs.filter(status=ModerationStatus.PUBLISHED).prefetch_related("groups"))
    if not programs:
        return []
    applications: list[Application] = []
    for child in children:
        if len(applications) >= count:
            break
        guardian = child.guardians.select_related("user").first()
        if guardian is None:
            continue
        for program in rng.sample(programs, min(3, len(programs))):
            try:
                applications.append(apply(guardian.user, child, program, None, rng.uuid4().hex))
                break
            except ValidationError:
                continue  # too young, too old, or enrollment closed: try another program
    for application in applications[2:]:  # the demo family's own two stay «Новая» to be decided live
        decision = rng.weighted((("invite", 0.35), ("enroll", 0.25), ("waitlist", 0.2), ("reject", 0.1), ("", 0.1)))
        try:
            if decision in ("invite", "enroll"):
                change_status(operator, application, "invite")
            if decision == "enroll":
                change_status(operator, application, "enroll")
            if decision in ("waitlist", "reject"):
                reason = rng.choice(REFUSALS) if decision == "reject" else ""
                change_status(operator, application, decision, reason=reason)
        except ValidationError:
            change_status(operator, application, "waitlist")  # the group is full: the queue
    return applications


def hand_groups_to_teacher(teacher: User, organization: Organization, count: int = 2) -> list[Group]:
    """The demo teacher leads the demo organization's groups with the most enrolled children, so that
    the teacher's cabinet opens on real groups with a journal to fill."""
    candidates = (
        Group.objects.filter(program__organization=organization, applications__status=ApplicationStatus.ENROLLED)
        .annotate(enrolled=Count("applications"))
        .select_related("program")
        .prefetch_related("schedule")
        .order_by("-enrolled", "pk")
    )
    groups: list[Group] = []
    for group in candidates:  # the fullest that do not meet at the same time
        if not any(_meet_at_once(group, chosen) for chosen in groups):
            groups.append(group)
        if len(groups) == count:
            break
    # A teacher takes one group at a time (catalog.services): the teacher's own groups meeting then
    # are left without one, to be named in the office.
    own = (
        Group.objects.filter(teacher=teacher.teacher)
        .exclude(pk__in=[g.pk for g in groups])
        .prefetch_related("schedule")
    )
    Group.objects.filter(pk__in=[g.pk for g in own if any(_meet_at_once(g, chosen) for chosen in groups)]).update(
        teacher=None
    )
    for group in groups:
        group.teacher = teacher.teacher
        group.save(update_fields=["teacher", "updated_at"])
        group.program.teachers.add(teacher.teacher)
    return groups


def _meet_at_once(one: Group, other: Group) -> bool:
    slots = [catalog_services.Slot(s.weekday, s.starts_at, s.ends_at) for g in (one, other) for s in g.schedule.all()]
    return catalog_services.find_overlap(slots) is not None


def create_campaign(
    rng: DemoRandom, organization: Organization, children: Sequence[Child], now: datetime, count: int
) -> Campaign | None:
    """An open preference campaign of the capital for another organization's programs, with the
    ranked choices of up to `count` children: the municipal operator's page and the families' ranking."""
    programs = list(
        Program.objects.filter(organization=organization, status=ModerationStatus.PUBLISHED).order_by("pk")[:4]
    )
    if not programs:
        return None
    campaign = Campaign.objects.create(
        municipality=organization.municipality,
        name=f"Набор в «{organization.short_name}» на второе полугодие",
        kind=CampaignKind.PREFERENCES,
        opens_at=now - timedelta(days=2),
        closes_at=now + timedelta(days=7),
        max_choices=3,
    )
    campaign.programs.set(programs)
    groups = list(Group.objects.current().filter(program__in=programs))
    placed = 0
    for child in children:
        if placed >= count or not groups:
            break
        guardian = child.guardians.select_related("user").first()
        if guardian is None:
            continue
        try:
            submit_choices(guardian.user, campaign, child, rng.sample(groups, min(len(groups), rng.randint(1, 3))))
            placed += 1
        except ValidationError:
            continue  # an age that fits none of the chosen groups
    return campaign
