"""Campaigns: the municipality plans them (its published programs, the window, the priorities);
in a preference campaign families rank groups during the window; at the close, deferred acceptance
allocates the seats (enrollment.allocation) and every family learns what it got and, for each
higher choice, why not: the priority or the lottery cut-off of that group. An allocation whose
process died is restarted with the same seed. A campaign planned by mistake is cancelled before
its allocation; its programs then take applications as their groups say."""

import secrets
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone

from catalog.models import Group, ModerationStatus, Program
from core import audit, letters, scope
from core.templatetags.opora import ages
from enrollment import services
from enrollment.allocation import Instance, allocate, draw_lottery
from enrollment.models import SEAT_STATUSES, Application, Campaign, CampaignChoice, CampaignKind, CampaignStatus
from enrollment.models import ApplicationStatus as S
from people.models import Child
from territory.models import Municipality
from territory.permissions import governed_municipalities

# Priority points: ОВЗ outranks siblings, who outrank residents; several add up.
OVZ_POINTS, SIBLING_POINTS, RESIDENT_POINTS = 4, 2, 1
PROGRESS_STEP = 500  # children written between two progress updates


def submit_choices(actor: Any, campaign: Campaign, child: Child, groups: Sequence[Group]) -> list[CampaignChoice]:
    """Replace the child's ranked choices in the campaign (best first). A rule of the choice itself is
    the error of `groups` (the API's field); one of the campaign is the request's."""
    if campaign.kind != CampaignKind.PREFERENCES:
        raise ValidationError("В этой кампании места дают в порядке очереди: подайте заявку на программу.")
    _check_accepting(campaign)
    if not child.guardians.filter(user=actor).exists():
        raise PermissionDenied("Выбирать группы может только законный представитель ребёнка.")
    if not 1 <= len(groups) <= campaign.max_choices:
        raise ValidationError({"groups": f"Выберите от 1 до {campaign.max_choices} групп."})
    if len({g.pk for g in groups}) != len(groups):
        raise ValidationError({"groups": "Каждую группу можно выбрать только один раз."})
    program_ids = set(campaign.programs.values_list("pk", flat=True))
    for group in groups:
        if group.program_id not in program_ids or not group.is_active:
            raise ValidationError({"groups": f"Группа «{group.name}» не участвует в кампании."})
        if not group.takes_child_born(child.birth_date):
            raise ValidationError({"groups": f"Группа «{group.name}» — для детей {ages(*group.ages)}."})
    with transaction.atomic():
        # Under the campaign's lock: a choice saved while the campaign is being cancelled would be
        # kept without its family being told.
        _check_accepting(Campaign.objects.select_for_update().get(pk=campaign.pk))
        CampaignChoice.objects.filter(campaign=campaign, child=child).delete()
        choices = CampaignChoice.objects.bulk_create(
            [
                CampaignChoice(campaign=campaign, child=child, applicant=actor, rank=rank, group=group)
                for rank, group in enumerate(groups, start=1)
            ]
        )
        audit.record(actor, "campaign.choices", campaign, child=child.pk, groups=[g.pk for g in groups])
    return choices


def _check_accepting(campaign: Campaign) -> None:
    if campaign.status == CampaignStatus.CANCELLED:
        raise ValidationError("Кампания отменена: выбор групп не принимается.")
    if not accepting_choices(campaign):
        raise ValidationError("Выбор групп сейчас не принимается: окно кампании закрыто.")


def accepting_choices(campaign: Campaign, now: datetime | None = None) -> bool:
    """Families rank groups of a preference campaign from its opening until its close, unless it is cancelled."""
    now = now or timezone.now()
    return (
        campaign.kind == CampaignKind.PREFERENCES
        and campaign.status != CampaignStatus.CANCELLED
        and campaign.opens_at <= now
        and campaign.closes_at is not None
        and now < campaign.closes_at
    )


def may_see_choices(user: Any, campaign: Campaign, child: Child) -> bool:
    """A child's ranking is seen by the child's guardians and by those who run the campaign."""
    is_guardian = bool(getattr(user, "pk", None)) and child.guardians.filter(user_id=user.pk).exists()
    return is_guardian or scope.can(user, campaign, "change")


def _priority(campaign: Campaign, child: Child, group: Group, enrolled_orgs: set[int]) -> int:
    points = 0
    if campaign.priority_ovz and child.has_ovz:
        points += OVZ_POINTS
    if campaign.priority_siblings and group.program.organization_id in enrolled_orgs:
        points += SIBLING_POINTS
    if campaign.priority_residents and child.municipality_id == campaign.municipality_id:
        points += RESIDENT_POINTS
    return points


def _siblings_organizations(children: Sequence[Child]) -> dict[int, set[int]]:
    """Child → organizations where a brother or sister (another child of a same guardian) is enrolled."""
    links = list(Child.guardians.through.objects.filter(child__in=children).values_list("child_id", "guardian_id"))
    enrolled: dict[int, list[tuple[int, int]]] = {}  # guardian → (enrolled child, organization)
    for guardian, child, organization in Application.objects.filter(
        status=S.ENROLLED, child__guardians__in={guardian for _, guardian in links}
    ).values_list("child__guardians", "child_id", "program__organization_id"):
        enrolled.setdefault(guardian, []).append((child, organization))
    found: dict[int, set[int]] = {}
    for child, guardian in links:
        found.setdefault(child, set()).update(org for other, org in enrolled.get(guardian, []) if other != child)
    return found


HELD_ALREADY = "У ребёнка уже есть место в этой программе"
PLACED = "Место в группе"  # a choice's outcome when the child got that group


def allocate_campaign(campaign: Campaign, progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Run the allocation of a closed preference campaign; returns its summary (also saved)."""
    now = timezone.now()
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if locked.kind != CampaignKind.PREFERENCES:
            raise ValidationError("Распределяют только кампании по выбору семей.")
        if locked.closes_at is None or locked.closes_at > now:
            raise ValidationError("Распределение начинается после закрытия приёма.")
        if locked.status != CampaignStatus.SCHEDULED:
            raise ValidationError(f"Кампания уже в статусе «{locked.get_status_display()}».")
        locked.status = CampaignStatus.ALLOCATING
        # Published before the draw: anyone can re-run the allocation with it.
        locked.lottery_seed = locked.lottery_seed or secrets.randbits(62)
        locked.progress = 0
        locked.save(update_fields=["status", "lottery_seed", "progress", "updated_at"])
        audit.record(None, "campaign.allocation_started", locked, seed=locked.lottery_seed)
    choices = list(
        CampaignChoice.objects.filter(campaign=locked)
        .select_related("group__program", "child")
        .order_by("child", "rank")
    )
    # A child holding a seat in a program before the campaign keeps it and does not compete for another.
    places = (
        Application.objects.filter(child_id__in={c.child_id for c in choices}, status__in=SEAT_STATUSES)
        .exclude(idempotency_key__startswith=_allocation_prefix(locked))
        .values_list("child_id", "program_id")
    )
    holding = set(places)
    kept = [c for c in choices if (c.child_id, c.group.program_id) in holding]
    for choice in kept:
        choice.outcome = HELD_ALREADY
    CampaignChoice.objects.bulk_update(kept, ["outcome"])
    choices = [c for c in choices if (c.child_id, c.group.program_id) not in holding]
    children = sorted({c.child for c in choices}, key=lambda c: c.pk)
    index = {child.pk: n for n, child in enumerate(children)}
    groups = sorted({c.group for c in choices}, key=lambda g: g.pk)
    group_index = {group.pk: n for n, group in enumerate(groups)}
    siblings = _siblings_organizations(children)
    held = _seats_held_by(locked)
    ranked: list[list[int]] = [[] for _ in children]
    priorities: list[list[int]] = [[] for _ in children]
    by_child: dict[int, list[CampaignChoice]] = {}
    for choice in choices:
        n = index[choice.child_id]
        ranked[n].append(group_index[choice.group_id])
        priorities[n].append(_priority(locked, choice.child, choice.group, siblings.get(choice.child_id, set())))
        by_child.setdefault(choice.child_id, []).append(choice)
    instance = Instance(
        choices=ranked,
        priorities=priorities,
        # A restarted allocation finds its own earlier placements holding seats: they count as free.
        capacities=[max(0, g.capacity - g.seats_taken + held.get(g.pk, 0)) for g in groups],
        lottery=draw_lottery(len(children), locked.lottery_seed or 0),
    )
    result = allocate(instance)
    assigned = 0
    for n, child in enumerate(children):
        with transaction.atomic():
            reasons = dict(result.explain(instance, n))
            got = result.assigned[n]
            for choice in by_child[child.pk]:
                g = group_index[choice.group_id]
                choice.outcome = PLACED if g == got else reasons.get(g, "")
            CampaignChoice.objects.bulk_update(by_child[child.pk], ["outcome"])
            if got is not None:
                assigned += 1
                key = allocation_key(locked, child.pk)
                services.place_by_allocation(child, by_child[child.pk][0].applicant, groups[got], key, now)
        if (n + 1) % PROGRESS_STEP == 0:
            percent = round(100 * (n + 1) / len(children))
            # Saved with `updated_at`: the heartbeat by which a stalled allocation is recognized.
            Campaign.objects.filter(pk=locked.pk).update(progress=min(percent, 99), updated_at=timezone.now())
            if progress is not None:
                progress(percent)
    summary = {
        "children": len(children),
        "assigned": assigned,
        "proposals": result.proposals,
        "seed": locked.lottery_seed,
    }
    Campaign.objects.filter(pk=locked.pk).update(
        status=CampaignStatus.ALLOCATED, progress=100, allocated_at=timezone.now(), summary=summary
    )
    audit.record(None, "campaign.allocated", locked, **summary)
    return summary


def start_allocation(campaign: Campaign) -> threading.Thread:
    """Run the allocation in the background; its progress is saved on the campaign for the office
    page to show. A process that dies mid-way leaves the campaign «Идёт распределение» until the
    municipality restarts it (`restart_allocation`)."""

    def run() -> None:
        from django.db import connection

        try:
            allocate_campaign(campaign)
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=run, name=f"allocate-{campaign.code}", daemon=True)
    thread.start()
    return thread


def _allocation_prefix(campaign: Campaign) -> str:
    return f"campaign-{campaign.pk}-"


def allocation_key(campaign: Campaign, child_id: int) -> str:
    """The idempotency key of the application an allocation gives a child: a re-run finds it."""
    return f"{_allocation_prefix(campaign)}{child_id}"


def _seats_held_by(campaign: Campaign) -> dict[int, int]:
    """Group → seats held by the campaign's own placements (left by an allocation that stopped
    mid-way): an application is the allocation's when its key is exactly that of its child."""
    rows = Application.objects.filter(
        idempotency_key__startswith=_allocation_prefix(campaign), status__in=SEAT_STATUSES
    ).values_list("idempotency_key", "child_id", "group_id")
    return dict(Counter(group for key, child, group in rows if key == allocation_key(campaign, child)))


def allocation_application(campaign: Campaign, child: Child) -> Application | None:
    """The application (an invitation) the child got from the campaign's allocation, if any."""
    return (
        Application.objects.filter(idempotency_key=allocation_key(campaign, child.pk), child=child)
        .select_related("child", "program", "group")
        .first()
    )


# --- Planning -----------------------------------------------------------------------------------

PLAN_FIELDS = (
    "name",
    "kind",
    "opens_at",
    "closes_at",
    "max_choices",
    "priority_ovz",
    "priority_siblings",
    "priority_residents",
)
MAX_CHOICES_LIMIT = 10
NAME_LENGTH = 200


def plan_campaign(actor: Any, municipality: Municipality, *, programs: Iterable[Program], **fields: Any) -> Campaign:
    """A new campaign of the municipality for its published programs. `fields` are those of
    PLAN_FIELDS; a rule broken is a ValidationError by field, in Russian, and nothing is saved."""
    if not governed_municipalities(actor).filter(pk=municipality.pk).exists():
        raise PermissionDenied("Кампании муниципалитета планирует его опорный центр.")
    campaign = Campaign(municipality=municipality)
    _set_plan_fields(campaign, fields)
    chosen = list(programs)
    with transaction.atomic():
        _check_plan(campaign, chosen, previous=None)
        campaign.save()
        campaign.programs.set(chosen)
        audit.record(
            actor,
            "campaign.planned",
            campaign,
            fields={name: _plain(getattr(campaign, name)) for name in PLAN_FIELDS},
            programs=sorted(p.code for p in chosen),
        )
    return campaign


def update_campaign(
    actor: Any, campaign: Campaign, *, programs: Iterable[Program] | None = None, **fields: Any
) -> Campaign:
    """Change a campaign that has not begun its allocation; `programs`, when given, replace the set."""
    if not scope.can(actor, campaign, "change"):
        raise PermissionDenied("Изменить кампанию может опорный центр её муниципалитета.")
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if locked.status == CampaignStatus.CANCELLED:
            raise ValidationError("Кампания отменена: изменить её нельзя.")
        if locked.status != CampaignStatus.SCHEDULED:
            raise ValidationError(
                f"Кампания в статусе «{locked.get_status_display()}»: изменить её после начала распределения нельзя."
            )
        previous = {name: getattr(locked, name) for name in PLAN_FIELDS}
        previous_programs = {p.pk: p for p in locked.programs.all()}
        _set_plan_fields(locked, fields)
        chosen = list(programs) if programs is not None else list(previous_programs.values())
        _check_plan(locked, chosen, previous=previous, previous_programs=previous_programs)
        locked.save()
        locked.programs.set(chosen)
        changed = [name for name in PLAN_FIELDS if getattr(locked, name) != previous[name]]
        added = sorted(p.code for p in chosen if p.pk not in previous_programs)
        kept = {p.pk for p in chosen}
        removed = sorted(p.code for pk, p in previous_programs.items() if pk not in kept)
        audit.record(actor, "campaign.updated", locked, fields=changed, added=added, removed=removed)
    campaign.refresh_from_db()
    return campaign


def _set_plan_fields(campaign: Campaign, fields: dict[str, Any]) -> None:
    unknown = set(fields) - set(PLAN_FIELDS)
    if unknown:
        raise TypeError(f"Unknown campaign fields: {', '.join(sorted(unknown))}")
    for name, value in fields.items():
        setattr(campaign, name, value.strip() if isinstance(value, str) and name == "name" else value)


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


OPENING_GRACE = timedelta(minutes=15)  # «open now», typed a few minutes before it is saved


def _check_plan(
    campaign: Campaign,
    programs: Sequence[Program],
    *,
    previous: dict[str, Any] | None,
    previous_programs: dict[int, Program] | None = None,
) -> None:
    """Every rule of a campaign's plan at once, by field: the table's check constraints and what
    families already did in it (their choices, applications already open)."""
    errors: dict[str, list[str]] = {}

    def refuse(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    now = timezone.now()
    if not campaign.name:
        refuse("name", "Укажите название кампании.")
    elif len(campaign.name) > NAME_LENGTH:
        refuse("name", f"Название — не длиннее {NAME_LENGTH} символов.")
    if campaign.kind not in CampaignKind.values:
        refuse("kind", "Выберите порядок приёма: в порядке очереди или по выбору семей.")
    elif previous is not None and campaign.kind != previous["kind"] and previous["opens_at"] <= now:
        refuse("kind", "Приём уже открыт: порядок приёма менять нельзя.")
    opens, closes = campaign.opens_at, campaign.closes_at
    if opens is None:
        refuse("opens_at", "Укажите, когда открывается приём.")
    elif opens < now - OPENING_GRACE and (previous is None or opens != previous["opens_at"]):
        # A campaign «opening» in 2020 with no close was open for good, its programs kept from any other.
        refuse("opens_at", "Это время уже прошло: приём открывается сейчас или позже.")
    if closes is None and campaign.kind == CampaignKind.PREFERENCES:
        refuse("closes_at", "Для распределения по выбору семей укажите, когда закрывается приём.")
    elif closes is not None and opens is not None and closes <= opens:
        refuse("closes_at", "Приём должен заканчиваться позже, чем начинается.")
    elif closes is not None and closes <= now and (previous is None or closes != previous["closes_at"]):
        refuse("closes_at", "Это время уже прошло: приём должен закрываться в будущем.")
    max_choices = campaign.max_choices
    if not isinstance(max_choices, int) or not 1 <= max_choices <= MAX_CHOICES_LIMIT:
        refuse("max_choices", f"Ребёнок может выбрать от 1 до {MAX_CHOICES_LIMIT} групп.")
    else:
        most = _most_choices(campaign)
        if most > max_choices:
            refuse("max_choices", f"Семьи уже выбрали по {most} групп: меньше указать нельзя.")
    _check_programs(campaign, programs, previous_programs or {}, refuse)
    if errors:
        raise ValidationError(errors)


def _most_choices(campaign: Campaign) -> int:
    if campaign.pk is None:
        return 0
    return CampaignChoice.objects.filter(campaign=campaign).aggregate(most=Max("rank"))["most"] or 0


def _check_programs(
    campaign: Campaign,
    programs: Sequence[Program],
    previous: dict[int, Program],
    refuse: Callable[[str, str], None],
) -> None:
    if not programs:
        refuse("programs", "Выберите хотя бы одну программу.")
        return
    for program in programs:
        if program.pk in previous:
            continue  # already in the campaign: it stays even if unpublished since
        if program.municipality_id != campaign.municipality_id:
            refuse("programs", f"Программа «{program.title}» — не из муниципалитета «{campaign.municipality.name}».")
        elif program.status != ModerationStatus.PUBLISHED:
            refuse("programs", f"Программа «{program.title}» не опубликована: в кампанию берут только опубликованные.")
    kept = {p.pk for p in programs}
    if campaign.pk is not None:
        chosen_by_families = (
            CampaignChoice.objects.filter(campaign=campaign)
            .exclude(group__program__in=kept)
            .values_list("group__program__title", flat=True)
            .order_by("group__program__title")
            .distinct()
        )
        for title in chosen_by_families:
            refuse("programs", f"Семьи уже выбрали группы программы «{title}»: убрать её из кампании нельзя.")
    if campaign.opens_at is None:
        return
    # Two campaigns of one program at the same time would leave it unclear which one takes applications.
    overlapping = Campaign.programs.through.objects.filter(program__in=kept).filter(
        Q(campaign__closes_at__isnull=True) | Q(campaign__closes_at__gt=campaign.opens_at)
    )
    if campaign.closes_at is not None:
        overlapping = overlapping.filter(campaign__opens_at__lt=campaign.closes_at)
    overlapping = overlapping.exclude(campaign__status=CampaignStatus.CANCELLED)
    if campaign.pk is not None:
        overlapping = overlapping.exclude(campaign=campaign)
    for other, title in overlapping.values_list("campaign__name", "program__title").order_by("program__title"):
        refuse("programs", f"Программа «{title}» уже участвует в кампании «{other}», и сроки приёма пересекаются.")


# --- A stalled allocation -----------------------------------------------------------------------

STALE_AFTER = timedelta(minutes=10)


def allocation_is_stale(campaign: Campaign, now: datetime | None = None) -> bool:
    """«Идёт распределение» with no progress saved for STALE_AFTER: the process running it died.
    A live allocation saves its progress every PROGRESS_STEP children, within seconds."""
    now = now or timezone.now()
    return campaign.status == CampaignStatus.ALLOCATING and campaign.updated_at < now - STALE_AFTER


def restart_allocation(actor: Any, campaign: Campaign) -> Campaign:
    """Restart a stalled allocation with the same published seed. Children it already placed keep
    their invitations: the new run counts their seats as free and finds their applications again."""
    if not scope.can(actor, campaign, "change"):
        raise PermissionDenied("Перезапустить распределение может опорный центр муниципалитета кампании.")
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if locked.status != CampaignStatus.ALLOCATING:
            raise ValidationError(
                f"Перезапустить можно только остановившееся распределение, а кампания «{locked.get_status_display()}»."
            )
        if not allocation_is_stale(locked):
            minutes = int(STALE_AFTER.total_seconds() // 60)
            raise ValidationError(
                f"Распределение идёт: последний ход сохранён в {timezone.localtime(locked.updated_at):%H:%M}. "
                f"Перезапустить можно, если хода нет {minutes} минут."
            )
        stalled_at = locked.progress
        locked.status = CampaignStatus.SCHEDULED
        locked.progress = 0
        locked.save(update_fields=["status", "progress", "updated_at"])
        audit.record(actor, "campaign.allocation_restarted", locked, stalled_at=stalled_at, seed=locked.lottery_seed)
        transaction.on_commit(lambda: start_allocation(locked))
    campaign.refresh_from_db()
    return campaign


# --- A campaign planned by mistake ---------------------------------------------------------------

CANCEL_REASON_LENGTH = 500


def cancel_campaign(actor: Any, campaign: Campaign, reason: str) -> Campaign:
    """Cancel a campaign whose allocation has not begun, with the reason families are told. Its
    programs then take applications as their groups say; applications already made in a first-come
    campaign stay as they are; the choices of a preference campaign are kept (the record of what
    families asked for) and allocated by nobody. Each family that made choices gets a letter that
    links the campaign's page for families."""
    if not scope.can(actor, campaign, "change"):
        raise PermissionDenied("Отменить кампанию может опорный центр её муниципалитета.")
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationError({"reason": "Укажите причину отмены: её прочтут семьи."})
    if len(reason) > CANCEL_REASON_LENGTH:
        raise ValidationError({"reason": f"Причина — не длиннее {CANCEL_REASON_LENGTH} символов."})
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if locked.status == CampaignStatus.CANCELLED:
            raise ValidationError(f"Кампания уже отменена. Причина: {locked.cancel_reason}")
        if locked.status != CampaignStatus.SCHEDULED:
            raise ValidationError(
                f"Кампания в статусе «{locked.get_status_display()}»: отменить её можно только до распределения мест."
            )
        locked.status = CampaignStatus.CANCELLED
        locked.cancel_reason = reason
        locked.save(update_fields=["status", "cancel_reason", "updated_at"])
        families = sorted(
            set(CampaignChoice.objects.filter(campaign=locked).values_list("applicant__email", flat=True))
        )
        audit.record(actor, "campaign.cancelled", locked, reason=reason, families_with_choices=len(families))
        body = (
            f"Приёмная кампания «{locked.name}» ({locked.municipality.name}) отменена.\n"
            f"Причина: {reason}\n\n"
            "Выбор групп, который вы сделали в этой кампании, распределяться не будет. Программы кампании "
            "принимают заявки в обычном порядке: откройте программу в навигаторе, чтобы подать заявку."
        )
        page = reverse("family:campaign", args=[locked.code])
        for email in families:  # one letter each: families do not see each other's addresses
            letters.send_after_commit([email], f"Кампания «{locked.name}» отменена", body, page)
    campaign.refresh_from_db()
    return campaign
