"""Preference campaigns: families rank groups during the window; at the close, deferred acceptance
allocates the seats (enrollment.allocation) and every family learns what it got and, for each
higher choice, why not: the priority or the lottery cut-off of that group."""

import secrets
import threading
from collections.abc import Callable, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from catalog.models import Group
from core import audit
from enrollment import services
from enrollment.allocation import Instance, allocate, draw_lottery
from enrollment.models import Application, Campaign, CampaignChoice, CampaignKind, CampaignStatus
from enrollment.models import ApplicationStatus as S
from people.models import Child

# Priority points: ОВЗ outranks siblings, who outrank residents; several add up.
OVZ_POINTS, SIBLING_POINTS, RESIDENT_POINTS = 4, 2, 1
PROGRESS_STEP = 500  # children written between two progress updates


def submit_choices(actor: Any, campaign: Campaign, child: Child, groups: Sequence[Group]) -> list[CampaignChoice]:
    """Replace the child's ranked choices in the campaign (best first)."""
    now = timezone.now()
    if campaign.kind != CampaignKind.PREFERENCES:
        raise ValidationError("В этой кампании места дают в порядке очереди: подайте заявку на программу.")
    if not (campaign.opens_at <= now and campaign.closes_at and now < campaign.closes_at):
        raise ValidationError("Выбор групп сейчас не принимается: окно кампании закрыто.")
    if not child.guardians.filter(user=actor).exists():
        raise PermissionDenied("Выбирать группы может только законный представитель ребёнка.")
    if not 1 <= len(groups) <= campaign.max_choices:
        raise ValidationError(f"Выберите от 1 до {campaign.max_choices} групп.")
    if len({g.pk for g in groups}) != len(groups):
        raise ValidationError("Каждую группу можно выбрать только один раз.")
    program_ids = set(campaign.programs.values_list("pk", flat=True))
    for group in groups:
        if group.program_id not in program_ids or not group.is_active:
            raise ValidationError(f"Группа «{group.name}» не участвует в кампании.")
        low, high = group.ages
        if not low <= child.age_on(group.start_date) <= high:
            raise ValidationError(f"Группа «{group.name}» — для детей {low}–{high} лет.")
    with transaction.atomic():
        CampaignChoice.objects.filter(campaign=campaign, child=child).delete()
        choices = CampaignChoice.objects.bulk_create(
            [
                CampaignChoice(campaign=campaign, child=child, applicant=actor, rank=rank, group=group)
                for rank, group in enumerate(groups, start=1)
            ]
        )
        audit.record(actor, "campaign.choices", campaign, child=child.pk, groups=[g.pk for g in groups])
    return choices


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
    children = sorted({c.child for c in choices}, key=lambda c: c.pk)
    index = {child.pk: n for n, child in enumerate(children)}
    groups = sorted({c.group for c in choices}, key=lambda g: g.pk)
    group_index = {group.pk: n for n, group in enumerate(groups)}
    siblings = _siblings_organizations(children)
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
        capacities=[max(0, g.capacity - g.seats_taken) for g in groups],
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
                choice.outcome = "Место в группе" if g == got else reasons.get(g, "")
            CampaignChoice.objects.bulk_update(by_child[child.pk], ["outcome"])
            if got is not None:
                assigned += 1
                key = f"campaign-{locked.pk}-{child.pk}"
                services.place_by_allocation(child, by_child[child.pk][0].applicant, groups[got], key, now)
        if progress is not None and (n + 1) % PROGRESS_STEP == 0:
            progress(round(100 * (n + 1) / len(children)))
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
    page to show. A process that dies mid-way leaves the campaign «Идёт распределение» (see admin)."""

    def report(percent: int) -> None:
        Campaign.objects.filter(pk=campaign.pk).update(progress=min(percent, 99))

    def run() -> None:
        from django.db import connection

        try:
            allocate_campaign(campaign, report)
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=run, name=f"allocate-{campaign.code}", daemon=True)
    thread.start()
    return thread
