"""Campaigns: first come takes a seat at once or queues after the opening instant; preferences
collect ranked choices and allocate them with priorities and a published lottery."""

import uuid
from datetime import timedelta
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone

from catalog.models import Group
from core.testing import make_campaign, make_child, make_group
from enrollment.campaigns import allocate_campaign, submit_choices
from enrollment.models import Application, Campaign, CampaignChoice, CampaignKind, CampaignStatus
from enrollment.models import ApplicationStatus as S
from enrollment.services import apply, change_status

pytestmark = pytest.mark.django_db


def campaign(personas, program, kind, opens_in=timedelta(0), closes_in=None) -> Campaign:
    return make_campaign(personas.municipality_x, program, kind, opens_in, closes_in)


def close(prefs: Campaign) -> None:
    now = timezone.now()
    Campaign.objects.filter(pk=prefs.pk).update(opens_at=now - timedelta(days=3), closes_at=now - timedelta(minutes=1))


def test_first_come_opens_at_its_instant_then_seats_in_order_and_queues(personas, published_program):
    group = published_program.groups.get()
    Group.objects.filter(pk=group.pk).update(capacity=1)
    first_come = campaign(personas, published_program, CampaignKind.FIRST_COME, opens_in=timedelta(hours=1))
    anya = make_child(personas.family, "Аня", group.start_date)
    with pytest.raises(ValidationError, match="Приём заявок откроется"):
        apply(personas.family, anya, published_program, None, uuid.uuid4().hex)
    Campaign.objects.filter(pk=first_come.pk).update(opens_at=timezone.now() - timedelta(seconds=1))
    first = apply(personas.family, anya, published_program, None, uuid.uuid4().hex)
    second = apply(
        personas.family, make_child(personas.family, "Ваня", group.start_date), published_program, None, "k2"
    )
    assert (first.status, second.status) == (S.INVITED, S.WAITLISTED)
    group.refresh_from_db()
    assert group.seats_taken == 1


def test_preferences_refuse_direct_applications_and_validate_choices(personas, published_program):
    group = published_program.groups.get()
    other = make_group(published_program)
    prefs = campaign(personas, published_program, CampaignKind.PREFERENCES, closes_in=timedelta(days=3))
    child = make_child(personas.family, "Аня", group.start_date)
    with pytest.raises(ValidationError, match="через кампанию"):
        apply(personas.family, child, published_program, None, uuid.uuid4().hex)
    with pytest.raises(ValidationError, match="от 1 до 2"):
        submit_choices(personas.family, prefs, child, [group, other, group])
    with pytest.raises(ValidationError, match="только один раз"):
        submit_choices(personas.family, prefs, child, [group, group])
    with pytest.raises(PermissionDenied):
        submit_choices(personas.other_family, prefs, child, [group])
    submit_choices(personas.family, prefs, child, [other, group])
    submit_choices(personas.family, prefs, child, [group])  # a new ranking replaces the old one
    assert list(CampaignChoice.objects.values_list("rank", "group")) == [(1, group.pk)]


def test_allocation_gives_priority_then_lottery_and_explains_the_rest(personas, published_program):
    group = published_program.groups.get()
    Group.objects.filter(pk=group.pk).update(capacity=1)
    backup = make_group(published_program)
    prefs = campaign(personas, published_program, CampaignKind.PREFERENCES, closes_in=timedelta(days=3))
    plain = make_child(personas.family, "Аня", group.start_date)
    ovz = make_child(personas.family, "Ваня", group.start_date)
    ovz.has_ovz = True
    ovz.save()
    for child in (plain, ovz):
        submit_choices(personas.family, prefs, child, [group, backup])
    with pytest.raises(ValidationError, match="после закрытия"):
        allocate_campaign(prefs)
    close(prefs)
    summary = allocate_campaign(Campaign.objects.get(pk=prefs.pk))
    assert summary["children"] == 2 and summary["assigned"] == 2
    placed = dict(Application.objects.values_list("child", "group"))
    assert placed == {ovz.pk: group.pk, plain.pk: backup.pk}  # ОВЗ outranks the lottery
    assert set(Application.objects.values_list("status", flat=True)) == {S.INVITED}
    outcome = CampaignChoice.objects.get(child=plain, rank=1).outcome
    assert "приоритетом не ниже" in outcome
    prefs.refresh_from_db()
    assert prefs.status == CampaignStatus.ALLOCATED and prefs.progress == 100 and prefs.lottery_seed is not None
    with pytest.raises(ValidationError, match="уже в статусе"):
        allocate_campaign(prefs)


def test_a_child_who_applied_before_the_campaign_is_placed_by_that_application(personas, published_program):
    """The family applied, then the program joined a campaign and the child ranked its group: the
    allocation crashed on the one-active-application rule and the campaign stayed at 0 % for good."""
    group = published_program.groups.get()
    second = make_group(published_program)
    child = make_child(personas.family, "Аня", group.start_date)
    enrolled_child = make_child(personas.family, "Ваня", group.start_date)
    earlier = apply(personas.family, child, published_program, None, uuid.uuid4().hex)
    holding = apply(personas.family, enrolled_child, published_program, second, uuid.uuid4().hex)
    change_status(personas.operator_a, holding, "invite")
    prefs = campaign(personas, published_program, CampaignKind.PREFERENCES, closes_in=timedelta(days=3))
    submit_choices(personas.family, prefs, child, [group])
    submit_choices(personas.family, prefs, enrolled_child, [group])
    close(prefs)
    summary = allocate_campaign(Campaign.objects.get(pk=prefs.pk))
    assert summary["assigned"] == 1 and Campaign.objects.get(pk=prefs.pk).status == CampaignStatus.ALLOCATED
    earlier.refresh_from_db()
    assert (earlier.status, earlier.group) == (S.INVITED, group)  # the same application, invited
    holding.refresh_from_db()
    assert (holding.status, holding.group) == (S.INVITED, second)  # keeps the seat it held
    assert CampaignChoice.objects.get(child=enrolled_child).outcome == "У ребёнка уже есть место в этой программе"
    assert Application.objects.count() == 2


def test_the_command_reports_progress_and_refuses_unknown_codes(personas, published_program):
    group = published_program.groups.get()
    prefs = campaign(personas, published_program, CampaignKind.PREFERENCES, closes_in=timedelta(days=1))
    submit_choices(personas.family, prefs, make_child(personas.family, "Аня", group.start_date), [group])
    close(prefs)
    out = StringIO()
    call_command("allocate_campaign", prefs.code, stdout=out)
    assert "получили место 1" in out.getvalue()
    with pytest.raises(CommandError, match="нет"):
        call_command("allocate_campaign", "CA-NOPE00", stdout=StringIO())
