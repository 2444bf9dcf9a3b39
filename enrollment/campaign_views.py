"""Campaign pages: the municipality plans its campaigns and follows the allocation and its
progress (restarting one whose process died); a family ranks groups.

Planning pages are office pages: a campaign of another territory is not found here (404) even
though its dates are public; every rule is in enrollment.campaigns."""

from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.forms.models import fields_for_model
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from catalog.forms import MOMENT_INPUT
from catalog.models import Group, ModerationStatus, Program
from core import scope
from core.templatetags.opora import ru_plural
from core.typed import title_or_code
from enrollment import campaigns
from enrollment.models import Campaign, CampaignChoice, CampaignKind, CampaignStatus
from people.models import Child
from territory.permissions import governed_municipalities


@login_required
@require_GET
def campaign_list(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    managed = list(
        scope.restrict(Campaign.objects.select_related("municipality"), request.user, "change").order_by("-opens_at")
    )
    for campaign in managed:
        campaign.stale = campaigns.allocation_is_stale(campaign, now)  # type: ignore[attr-defined]
    return render(
        request,
        "office/campaigns.html",
        {
            "campaigns": managed,
            "now": now,
            "may_plan": governed_municipalities(request.user).exists(),
        },
    )


@login_required
@require_GET
def campaign_progress(request: HttpRequest, code: str) -> HttpResponse:
    """The progress fragment the campaign list polls while an allocation runs."""
    campaign = scope.get_in_scope(Campaign.objects.all(), request.user, "change", code=code)
    campaign.stale = campaigns.allocation_is_stale(campaign)  # type: ignore[attr-defined]
    return render(request, "office/_campaign_progress.html", {"campaign": campaign})


@login_required
@require_GET
def results(request: HttpRequest, code: str) -> HttpResponse:
    """The families' choices of a preference campaign, child by child, with what each got and why
    not the others (the families see theirs; the municipality answered their questions blind)."""
    campaign = scope.get_in_scope(Campaign.objects.select_related("municipality"), request.user, "change", code=code)
    if campaign.kind != CampaignKind.PREFERENCES:
        raise Http404
    # A page of children, then their choices: a campaign's choices run to tens of thousands.
    chose = CampaignChoice.objects.filter(campaign=campaign).values("child_id")
    children = Child.objects.filter(pk__in=chose).order_by("last_name", "first_name", "pk")
    page = Paginator(children, settings.OPORA_PAGE_SIZE).get_page(request.GET.get("page"))
    choices = (
        CampaignChoice.objects.filter(campaign=campaign, child__in=list(page.object_list))
        .select_related("group__program")
        .order_by("rank")
    )
    by_child: dict[int, list[CampaignChoice]] = {}
    for choice in choices:
        by_child.setdefault(choice.child_id, []).append(choice)
    rows = [(child, by_child.get(child.pk, [])) for child in page.object_list]
    context = {"campaign": campaign, "page": page, "rows": rows, "placed": campaigns.PLACED}
    return render(request, "office/campaign_results.html", context)


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
            count = len(chosen)
            groups_said = f"{count} {ru_plural(count, 'группа,группы,групп')}"
            messages.success(request, f"Выбор сохранён. {child.first_name}: {groups_said} в порядке предпочтения.")
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
            "open": campaigns.accepting_choices(campaign),
        },
    )


def _slots(slots: range, choices: list[CampaignChoice]) -> list[tuple[int, str]]:
    current = {choice.rank: choice.group.code for choice in choices}
    return [(n, current.get(n, "")) for n in slots]


# --- Planning -----------------------------------------------------------------------------------

PROGRAMS_SHOWN = 50  # matches of the program filter shown at once; the search narrows them


class CampaignForm(forms.Form):
    """The fields of a campaign's plan as the model labels them; the rules are checked by
    enrollment.campaigns, which puts its messages next to these fields."""

    programs = forms.ModelMultipleChoiceField(
        Program.objects.none(), to_field_name="code", required=False, label="Программы"
    )

    def __init__(self, *args: Any, programs: QuerySet[Program], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields = fields_for_model(
            Campaign,
            fields=campaigns.PLAN_FIELDS,
            widgets={
                "kind": forms.RadioSelect,
                "opens_at": MOMENT_INPUT,
                "closes_at": MOMENT_INPUT,
                "max_choices": forms.NumberInput(attrs={"max": campaigns.MAX_CHOICES_LIMIT}),
            },
            help_texts={
                "closes_at": "Обязательно для распределения по выбору семей; в порядке очереди — можно не указывать.",
                "max_choices": f"От 1 до {campaigns.MAX_CHOICES_LIMIT}; только для распределения по выбору семей.",
            },
        )
        fields["kind"].choices = CampaignKind.choices
        fields["max_choices"].widget.attrs["min"] = 1  # the model field's own minimum is 0
        programs_field = self.fields.pop("programs")
        self.fields.update(fields)
        self.fields["programs"] = programs_field
        programs_field.queryset = programs  # type: ignore[attr-defined]

    def plan(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in campaigns.PLAN_FIELDS}


def _managed(request: HttpRequest, code: str) -> Campaign:
    """A campaign of the person's territory: someone else's is not found here, as on other office pages."""
    managed = scope.restrict(Campaign.objects.select_related("municipality"), request.user, "office")
    return scope.get_in_scope(managed, request.user, "change", code=code)


@login_required
@require_http_methods(["GET", "POST"])
def campaign_new(request: HttpRequest) -> HttpResponse:
    territory = governed_municipalities(request.user).order_by("name")
    if not territory.exists():
        raise PermissionDenied("Кампании планирует опорный центр муниципалитета или региона.")
    chosen = request.POST.get("municipality") or request.GET.get("municipality")
    municipality = territory.filter(oktmo=chosen).first() if chosen else None
    if municipality is None:
        municipality, _ = scope.single(territory)
        if municipality is None:
            return render(request, "office/campaign_municipality.html", {"municipalities": territory})
    return _campaign_form(request, Campaign(municipality=municipality))


@login_required
@require_http_methods(["GET", "POST"])
def campaign_edit(request: HttpRequest, code: str) -> HttpResponse:
    return _campaign_form(request, _managed(request, code))


def _campaign_form(request: HttpRequest, campaign: Campaign) -> HttpResponse:
    creating = campaign._state.adding
    municipality = campaign.municipality
    current = {} if creating else {p.pk: p for p in campaign.programs.select_related("organization").order_by("title")}
    # Offered: the municipality's programs, and those already in the campaign whatever became of them.
    offered = Program.objects.filter(Q(municipality=municipality) | Q(pk__in=list(current)))
    action = request.POST.get("action", "save")
    form = CampaignForm(
        request.POST if request.method == "POST" and action == "save" else None,
        programs=offered,
        initial=_initial(request, campaign),
    )
    if form.is_bound and form.is_valid():
        try:
            if creating:
                campaign = campaigns.plan_campaign(
                    request.user, municipality, programs=form.cleaned_data["programs"], **form.plan()
                )
            else:
                campaigns.update_campaign(request.user, campaign, programs=form.cleaned_data["programs"], **form.plan())
        except ValidationError as error:
            for field, errors in error.update_error_dict({}).items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, f"Кампания «{campaign.name}» сохранена.")
            return redirect("campaigns:list")
    query = (request.POST.get("program_q") if request.method == "POST" else request.GET.get("q")) or ""
    selected = _selected(request, current, offered)
    matches = (
        offered.filter(municipality=municipality, status=ModerationStatus.PUBLISHED)
        .exclude(pk__in=[p.pk for p in selected])
        .select_related("organization")
        .order_by("title", "pk")
    )
    if query.strip():
        matches = matches.filter(title_or_code(query.strip()))
    found = matches.count()
    return render(
        request,
        "office/campaign_form.html",
        {
            "form": form,
            "campaign": campaign,
            "municipality": municipality,
            "creating": creating,
            "locked": not creating and campaign.status != CampaignStatus.SCHEDULED,
            "selected": selected,
            "matches": list(matches[:PROGRAMS_SHOWN]),
            "found": found,
            "shown": min(found, PROGRAMS_SHOWN),
            "query": query,
        },
    )


def _initial(request: HttpRequest, campaign: Campaign) -> dict[str, Any]:
    """What the form shows: the typed values when only the program filter was used, else the campaign's."""
    if request.method == "POST":
        data = request.POST
        return {name: data.get(name) for name in campaigns.PLAN_FIELDS}
    if campaign._state.adding:
        return {}
    return {name: getattr(campaign, name) for name in campaigns.PLAN_FIELDS}


def _selected(request: HttpRequest, current: dict[int, Program], offered: QuerySet[Program]) -> list[Program]:
    """The programs ticked: the campaign's, or those of the submitted form."""
    if request.method != "POST":
        return list(current.values())
    codes = request.POST.getlist("programs")
    return list(offered.filter(code__in=codes).select_related("organization").order_by("title"))


@login_required
@require_POST
def restart(request: HttpRequest, code: str) -> HttpResponse:
    campaign = _managed(request, code)
    try:
        campaigns.restart_allocation(request.user, campaign)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            f"Распределение кампании «{campaign.name}» перезапущено с тем же зерном жребия {campaign.lottery_seed}.",
        )
    return redirect("campaigns:list")


class CancelForm(forms.Form):
    # Its length is checked by the rule, once runs of spaces are one.
    reason = forms.CharField(
        label="Причина отмены",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=(
            f"Не длиннее {campaigns.CANCEL_REASON_LENGTH} символов. Её прочтут семьи в письме и на странице кампании."
        ),
        error_messages={"required": "Укажите причину отмены: её прочтут семьи."},
    )


@login_required
@require_http_methods(["GET", "POST"])
def cancel(request: HttpRequest, code: str) -> HttpResponse:
    """A campaign planned by mistake, cancelled before its allocation: the page says what follows first."""
    campaign = _managed(request, code)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            campaigns.cancel_campaign(request.user, campaign, form.cleaned_data["reason"])
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                form.add_error("reason", error)
            else:  # cancelled meanwhile (another tab), or its allocation began: the page now says which
                messages.error(request, " ".join(error.messages))
                return redirect("campaigns:cancel", code=campaign.code)
        else:
            messages.success(request, f"Кампания «{campaign.name}» отменена.")
            return redirect("campaigns:list")
    families = CampaignChoice.objects.filter(campaign=campaign).values("applicant").distinct().count()
    return render(
        request,
        "office/campaign_cancel.html",
        {"campaign": campaign, "form": form, "families": families, "opened": campaign.opens_at <= timezone.now()},
    )
