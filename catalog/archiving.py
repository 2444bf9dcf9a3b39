"""What archiving a program means for its groups, enrolled children and waiting applications:
said before it is done, on the office's confirmation page and on the admin's for a selection; and
which of an archived program's groups nobody is in, so that they may be switched off; and who is still in an
organization the register would close."""

from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils import timezone

from catalog.models import Group, Organization, Program
from enrollment.models import ACTIVE_STATUSES, Application, ApplicationStatus

WAITING_STATUSES = [status for status in ACTIVE_STATUSES if status != ApplicationStatus.ENROLLED]


@dataclass(frozen=True)
class Consequences:
    groups_total: int = 0
    groups_active: int = 0
    enrolled: int = 0  # children who stay in their groups
    waiting: int = 0  # applications that stay in the organization's queue


@dataclass(frozen=True)
class Children:
    """Of a group of an archived program: whether it can be switched off (catalog.services)."""

    enrolled: int = 0
    waiting: int = 0  # applications waiting for a seat in it

    @property
    def any(self) -> bool:
        return bool(self.enrolled or self.waiting)


def _applications(by: str, ids: list[int]) -> dict[int, dict[str, int]]:
    """Enrolled and waiting applications per program or per group (`by`), in one statement."""
    return {
        row[by]: row
        for row in Application.objects.filter(**{f"{by}__in": ids})
        .values(by)
        .annotate(
            enrolled=Count("pk", filter=Q(status=ApplicationStatus.ENROLLED)),
            waiting=Count("pk", filter=Q(status__in=WAITING_STATUSES)),
        )
    }


def children_in(group_ids: list[int]) -> dict[int, Children]:
    """Per group id, in one statement whatever the number of groups."""
    applications = _applications("group", group_ids)
    return {
        pk: Children(
            enrolled=applications.get(pk, {}).get("enrolled", 0), waiting=applications.get(pk, {}).get("waiting", 0)
        )
        for pk in group_ids
    }


def consequences(program_ids: list[int]) -> dict[int, Consequences]:
    """Per program id, in two statements whatever the number of programs."""
    groups = {
        row["program"]: row
        for row in Group.objects.filter(program__in=program_ids)
        .values("program")
        .annotate(total=Count("pk"), active=Count("pk", filter=Q(is_active=True)))
    }
    applications = _applications("program", program_ids)
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


def of_organization(organization: Organization) -> Children:
    """Children in the organization's groups that still meet, and applications waiting for an answer from it."""
    return Children(
        **Application.objects.filter(organization=organization).aggregate(
            enrolled=Count(
                "pk",
                filter=Q(
                    status=ApplicationStatus.ENROLLED,
                    group__is_active=True,
                    group__end_date__gte=timezone.localdate(),
                ),
            ),
            waiting=Count("pk", filter=Q(status__in=WAITING_STATUSES)),
        )
    )
