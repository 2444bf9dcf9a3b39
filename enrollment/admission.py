"""How a program takes applications now, as its page tells a family.

The page's call to action follows the rules `services.apply` enforces (`_check_campaign`,
`_check_application`): a preference campaign takes ranked choices instead of applications; a
first-come campaign takes none before it opens; otherwise a family applies to a group whose
enrollment window is open. A group without free seats still takes applications: the child joins
its queue (at once in a first-come campaign, by the organization's decision otherwise) and a freed
seat is offered to the first in the queue (`services.offer_freed_seats`).
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.formats import date_format

from catalog.models import Group, Program
from enrollment import services
from enrollment.models import Campaign, CampaignKind

# What the family can do now.
APPLY = "apply"  # some group has a free seat: apply
QUEUE = "queue"  # every group taking applications is full: apply and wait in the queue
CAMPAIGN = "campaign"  # a preference campaign takes ranked choices of groups
LATER = "later"  # nothing to do yet: applications open at `opens_at`
CLOSED = "closed"  # the groups take no applications and no opening is announced
NO_GROUPS = "no_groups"  # the program has no current group
RETIRED = "retired"  # the program is archived: it takes no applications any more
UNPUBLISHED = "unpublished"  # the program is not published (or not now): it takes no applications until it is

# What a program not published says; one never published is read by its staff alone.
OFF_PUBLICATION = "Программа временно снята с публикации: запись не ведётся."
NEVER_PUBLISHED = "Программа ещё не опубликована: запись откроется после публикации."
NEVER_PUBLISHED_CALL = "Запись откроется после публикации"


def moment(at: datetime) -> str:
    """«1 сентября в 10:00», local time; «15 августа 2027 г. в 09:00» in another year than this one (groups are made
    a year ahead: catalog.next_year)."""
    local = timezone.localtime(at)
    return date_format(local, "j E в H:i" if local.year == timezone.localdate().year else "j E Y г. в H:i")


@dataclass(frozen=True)
class GroupCall:
    """One group's line in the groups table: a link to apply or queue, or why not."""

    action: str  # APPLY, QUEUE or "" (then `text` says why not)
    text: str


@dataclass(frozen=True)
class Admission:
    state: str
    note: str  # one sentence for the family: what happens, or why nothing can be done now
    campaign: Campaign | None = None
    opens_at: datetime | None = None
    groups: list[Group] = field(default_factory=list)  # the groups taking applications now
    calls: dict[int, GroupCall] = field(default_factory=dict)  # by group id

    @property
    def takes_applications(self) -> bool:
        return self.state in (APPLY, QUEUE)


def current_groups(lookup: str = "groups") -> "Prefetch[Any]":
    """The prefetch `of_program` reads: the current groups of programs (at `lookup`) in the order seats are offered."""
    return Prefetch(lookup, queryset=Group.objects.current().order_by("start_date", "name", "id"))


def with_current_groups(programs: "QuerySet[Program]") -> "QuerySet[Program]":
    """The programs with their current groups prefetched as `of_program` reads them."""
    return programs.prefetch_related(current_groups())


def of_each_program(rows: "QuerySet[Any]", now: datetime) -> list[Any]:
    """Rows of one program each (a parent's watches, saved programs), read with their programs' organizations and
    current groups, each with `admission`: how its program takes applications now (the note its page says)."""
    found = list(
        rows.select_related("program", "program__organization").prefetch_related(current_groups("program__groups"))
    )
    for row in found:
        row.admission = of_program(row.program, now)
    return found


def of_program(program: Program, now: datetime) -> Admission:
    """`admission` of a program whose current groups are prefetched (`Group.objects.current()`,
    by start date); an archived one's groups, whichever are shown, take none, nor do those of a
    program not published (`services.apply` refuses it): one being prepared, seen by its staff, or
    one taken off publication (returned for changes, on moderation again, restored from the archive
    as a draft), seen also by the families that applied to it."""
    groups = list(program.groups.all())
    if program.is_archived:
        return Admission(
            RETIRED, "Запись закрыта: программа в архиве.", calls=_all(groups, GroupCall("", "Приём закрыт"))
        )
    if not program.is_public:
        if program.published_at is not None:  # its enrollment stopped: its families read that
            return Admission(UNPUBLISHED, OFF_PUBLICATION, calls=_all(groups, GroupCall("", "Запись не ведётся")))
        # Never published, it is read by its staff only, preparing it: its enrollment has not begun yet.
        return Admission(UNPUBLISHED, NEVER_PUBLISHED, calls=_all(groups, GroupCall("", NEVER_PUBLISHED_CALL)))
    return admission(groups, services.campaign_of(program, now), now)


def admission(groups: Sequence[Group], campaign: Campaign | None, now: datetime) -> Admission:
    """How the program with these current groups (in the order seats are offered) takes
    applications at `now`, `campaign` being the one `services.campaign_of` finds for it."""
    if not groups:
        return Admission(NO_GROUPS, "Набор в группы пока не объявлен.")
    if campaign is not None and campaign.kind == CampaignKind.PREFERENCES:
        return _preferences(groups, campaign, now)
    if campaign is not None and campaign.opens_at > now:
        text = f"Приём откроется {moment(campaign.opens_at)}"
        note = f"Приём заявок откроется {moment(campaign.opens_at)} (кампания «{campaign.name}»)."
        return Admission(LATER, note, campaign, campaign.opens_at, calls=_all(groups, GroupCall("", text)))
    calls = {group.pk: _call(group, now) for group in groups}
    open_groups = [group for group in groups if group.enrollment_open(now)]
    if any(group.seats_left > 0 for group in open_groups):
        return Admission(APPLY, "", campaign, groups=open_groups, calls=calls)
    if open_groups:
        queued = (
            "заявка сразу встанет в очередь"
            if campaign is not None  # first come: `services._create` queues it
            else "подайте заявку — организация поставит ребёнка в очередь"
        )
        note = f"Свободных мест нет: {queued}, а освободившееся место предложат первому в очереди."
        return Admission(QUEUE, note, campaign, groups=open_groups, calls=calls)
    opening = min((at for group in groups if (at := _opens_later(group, now))), default=None)
    if opening is not None:
        return Admission(LATER, f"Приём заявок откроется {moment(opening)}.", opens_at=opening, calls=calls)
    return Admission(CLOSED, "Приём заявок в группы закрыт.", calls=calls)


def _preferences(groups: Sequence[Group], campaign: Campaign, now: datetime) -> Admission:
    closes = f" до {moment(campaign.closes_at)}" if campaign.closes_at else ""
    if campaign.opens_at > now:
        note = (
            f"Запись идёт через кампанию «{campaign.name}»: выбор групп откроется {moment(campaign.opens_at)}, "
            f"места распределят после его окончания."
        )
        text = f"Выбор групп откроется {moment(campaign.opens_at)}"
        return Admission(LATER, note, campaign, campaign.opens_at, calls=_all(groups, GroupCall("", text)))
    note = (
        f"Запись идёт через кампанию «{campaign.name}»: выберите группы по порядку предпочтения{closes}, "
        "места распределят после."
    )
    return Admission(CAMPAIGN, note, campaign, calls=_all(groups, GroupCall("", "Выбор групп в кампании")))


def _all(groups: Sequence[Group], call: GroupCall) -> dict[int, GroupCall]:
    return {group.pk: call for group in groups}


def _call(group: Group, now: datetime) -> GroupCall:
    if group.enrollment_open(now):
        return GroupCall(APPLY, "Записаться") if group.seats_left > 0 else GroupCall(QUEUE, "Встать в очередь")
    opening = _opens_later(group, now)
    return GroupCall("", f"Приём откроется {moment(opening)}" if opening else "Приём закрыт")


def _opens_later(group: Group, now: datetime) -> datetime | None:
    """When the group's enrollment window opens, if that is still ahead and the group is not locked."""
    at = group.enrollment_opens_at
    return at if at is not None and at > now and not group.is_locked else None
