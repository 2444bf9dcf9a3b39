"""Demo applications: the demo family's children and other families apply to the programs of the
demo organization, which has already invited, enrolled, queued and refused some of them.

Everything goes through enrollment.services, so seats, queues and histories are real."""

from collections.abc import Sequence

from django.core.exceptions import ValidationError

from accounts.models import User
from catalog.models import ModerationStatus, Organization
from enrollment.models import Application
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
