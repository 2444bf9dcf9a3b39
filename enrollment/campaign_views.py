"""Campaign pages: the municipality's list with the allocation and its progress; a family ranks groups."""

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from catalog.models import Group
from core import scope
from enrollment import campaigns
from enrollment.models import Campaign, CampaignChoice, CampaignKind, CampaignStatus
from people.models import Child


@login_required
@require_GET
def campaign_list(request: HttpRequest) -> HttpResponse:
    managed = scope.restrict(Campaign.objects.select_related("municipality"), request.user, "change")
    return render(request, "office/campaigns.html", {"campaigns": managed.order_by("-opens_at"), "now": timezone.now()})


@login_required
@require_GET
def campaign_progress(request: HttpRequest, code: str) -> HttpResponse:
    """The progress fragment the campaign list polls while an allocation runs."""
    campaign = scope.get_in_scope(Campaign.objects.all(), request.user, "change", code=code)
    return render(request, "office/_campaign_progress.html", {"campaign": campaign})


@login_required
@require_POST
def allocate(request: HttpRequest, code: str) -> HttpResponse:
    campaign = scope.get_in_scope(Campaign.objects.all(), request.user, "change", code=code)
    if campaign.status != CampaignStatus.SCHEDULED or not campaign.closes_at or campaign.closes_at > timezone.now():
        messages.error(request, "Распределить можно закрытую кампанию по выбору семей, ещё не распределённую.")
    else:
        campaigns.start_allocation(campaign)
        messages.success(request, f"Распределение мест кампании «{campaign.name}» запущено.")
    return redirect("campaigns:list")


@login_required
@require_http_methods(["GET", "POST"])
def rank(request: HttpRequest, code: str) -> HttpResponse:
    """A family ranks up to N groups per child; after the allocation it sees the outcome of each."""
    campaign = get_object_or_404(Campaign, code=code, kind=CampaignKind.PREFERENCES)
    parent = cast(User, request.user)  # signed in: login_required
    children = list(Child.objects.filter(guardians__user=parent).order_by("birth_date"))
    if not children:
        raise PermissionDenied("Выбирать группы может родитель: добавьте ребёнка в кабинете.")
    groups = list(
        Group.objects.current()
        .filter(program__in=campaign.programs.all())
        .select_related("program")
        .order_by("program__title", "name")
    )
    if request.method == "POST":
        child_id = request.POST.get("child", "")
        child = get_object_or_404(Child, pk=int(child_id) if child_id.isdigit() else None, guardians__user=parent)
        by_code = {g.code: g for g in groups}
        chosen = [by_code[c] for c in request.POST.getlist("group") if c in by_code]
        try:
            campaigns.submit_choices(request.user, campaign, child, chosen)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"Выбор для {child.first_name} сохранён: групп {len(chosen)}.")
        return redirect("family:campaign", code=campaign.code)
    choices = CampaignChoice.objects.filter(campaign=campaign, child__in=children).select_related("group__program")
    by_child: dict[int, list[CampaignChoice]] = {}
    for choice in choices.order_by("rank"):
        by_child.setdefault(choice.child_id, []).append(choice)
    slots = range(1, campaign.max_choices + 1)
    return render(
        request,
        "family/campaign.html",
        {
            "campaign": campaign,
            "groups": groups,
            # Each child's ranking, with the current choice of every slot preselected.
            "rows": [
                (child, by_child.get(child.pk, []), _slots(slots, by_child.get(child.pk, []))) for child in children
            ],
            "open": campaign.opens_at <= timezone.now() < (campaign.closes_at or timezone.now()),
        },
    )


def _slots(slots: range, choices: list[CampaignChoice]) -> list[tuple[int, str]]:
    current = {choice.rank: choice.group.code for choice in choices}
    return [(n, current.get(n, "")) for n in slots]
