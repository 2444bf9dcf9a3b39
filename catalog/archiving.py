"""What archiving a program means for its groups, enrolled children and waiting applications:
said before it is done, on the office's confirmation page and on the admin's for a selection."""

from dataclasses import dataclass

from django.db.models import Count, Q

from catalog.models import Group, Program
from enrollment.models import ACTIVE_STATUSES, Application, ApplicationStatus

WAITING_STATUSES = [status for status in ACTIVE_STATUSES if status != ApplicationStatus.ENROLLED]


@dataclass(frozen=True)
class Consequences:
    groups_total: int = 0
    groups_active: int = 0
    enrolled: int = 0  # children who stay in their groups
    waiting: int = 0  # applications that stay in the organization's queue


def consequences(program_ids: list[int]) -> dict[int, Consequences]:
    """Per program id, in two statements whatever the number of programs."""
    groups = {
        row["program"]: row
        for row in Group.objects.filter(program__in=program_ids)
        .values("program")
        .annotate(total=Count("pk"), active=Count("pk", filter=Q(is_active=True)))
    }
    applications = {
        row["program"]: row
        for row in Application.objects.filter(program__in=program_ids)
        .values("program")
        .annotate(
            enrolled=Count("pk", filter=Q(status=ApplicationStatus.ENROLLED)),
            waiting=Count("pk", filter=Q(status__in=WAITING_STATUSES)),
        )
    }
    return {
        pk: Consequences(
            groups_total=groups.get(pk, {}).get("total", 0),
            groups_active=groups.get(pk, {}).get("active", 0),
            enrolled=applications.get(pk, {}).get("enrolled", 0),
            waiting=applications.get(pk, {}).get("waiting", 0),
        )
        for pk in program_ids
    }


def of_program(program: Program) -> Consequences:
    return consequences([program.pk])[program.pk]
