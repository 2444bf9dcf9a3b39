"""Campaign pages: a family ranks groups and later reads the outcome; the municipality starts the
allocation, which runs in the background while the page shows its progress."""

import threading
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core.testing import make_child, make_group, make_personas, make_program
from enrollment.campaigns import submit_choices
from enrollment.models import Application, Campaign, CampaignChoice, CampaignKind, CampaignStatus


def preference_campaign(personas, program, **fields) -> Campaign:
    now = timezone.now()
    campaign = Campaign.objects.create(
        municipality=personas.municipality_x,
        name="Приём в кружки 2026",
        kind=CampaignKind.PREFERENCES,
        opens_at=fields.get("opens_at", now - timedelta(days=1)),
        closes_at=fields.get("closes_at", now + timedelta(days=2)),
        max_choices=2,
    )
    campaign.programs.add(program)
    return campaign


@pytest.mark.django_db
def test_a_family_ranks_groups_from_the_program_page(client, personas, published_program):
    group = published_program.groups.get()
    second = make_group(published_program)
    campaign = preference_campaign(personas, published_program)
    child = make_child(personas.family, "Аня", group.start_date)
    client.force_login(personas.family)
    page = client.get(reverse("navigator:program", args=[published_program.code])).content.decode()
    assert reverse("family:campaign", args=[campaign.code]) in page
    url = reverse("family:campaign", args=[campaign.code])
    assert "1-й выбор" in client.get(url).content.decode()
    response = client.post(url, {"child": child.pk, "group": [second.code, group.code]}, follow=True)
    assert "Выбор сохранён. Аня: 2 группы в порядке предпочтения." in response.content.decode()
    assert list(CampaignChoice.objects.order_by("rank").values_list("group", flat=True)) == [second.pk, group.pk]
    assert f'value="{second.code}" selected' in client.get(url).content.decode()  # the ranking is shown back
    twice = client.post(url, {"child": child.pk, "group": [group.code, group.code]}, follow=True)
    assert [str(m) for m in twice.context["messages"]] == ["Каждую группу можно выбрать только один раз."]
    assert list(CampaignChoice.objects.order_by("rank").values_list("group", flat=True)) == [second.pk, group.pk]
    response = client.post(url, {"child": "not-a-number", "group": [group.code]})
    assert response.status_code == 404


@pytest.mark.django_db(transaction=True)
def test_the_municipality_allocates_in_the_background_and_sees_the_result(client):
    personas = make_personas()
    program = make_program(personas.org_a, "Робототехника", actor=personas.operator_a)
    group = program.groups.get()
    campaign = preference_campaign(personas, program)
    child = make_child(personas.family, "Аня", group.start_date)
    submit_choices(personas.family, campaign, child, [group])
    now = timezone.now()
    Campaign.objects.filter(pk=campaign.pk).update(
        opens_at=now - timedelta(days=3), closes_at=now - timedelta(minutes=1)
    )
    client.force_login(personas.municipal_y)  # sees the public campaign, may not allocate it
    assert client.post(reverse("campaigns:allocate", args=[campaign.code])).status_code == 403
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.SCHEDULED
    client.force_login(personas.municipal_x)
    page = client.get(reverse("campaigns:list")).content.decode()
    assert campaign.name in page and "Распределить места" in page
    client.post(reverse("campaigns:allocate", args=[campaign.code]))
    for thread in threading.enumerate():
        if thread.name == f"allocate-{campaign.code}":
            thread.join(30)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.ALLOCATED and campaign.progress == 100
    fragment = client.get(reverse("campaigns:progress", args=[campaign.code])).content.decode()
    assert "получили место 1" in fragment and str(campaign.lottery_seed) in fragment
    assert Application.objects.get(child=child).group == group
    # Child by child, what the families chose and what each got (the operator saw two numbers).
    results = reverse("campaigns:results", args=[campaign.code])
    assert results in page
    html = client.get(results).content.decode()
    assert f"{child.last_name} {child.first_name}" in html
    assert f"{program.title}, {group.name} — <strong>Место в группе</strong>" in html
    client.force_login(personas.municipal_y)
    assert client.get(results).status_code == 403  # a public campaign: seen, its families' choices not
    client.force_login(personas.operator_a)
    assert client.get(results).status_code == 403


@pytest.mark.django_db
def test_the_list_says_where_a_campaign_is_in_its_window_before_its_allocation(client):
    personas = make_personas()
    program = make_program(personas.org_a, "Робототехника", actor=personas.operator_a)
    campaign = preference_campaign(personas, program)
    client.force_login(personas.municipal_x)
    now = timezone.now()
    for opens_at, closes_at, status in (
        (now + timedelta(days=1), now + timedelta(days=3), "Запланирована"),
        (now - timedelta(days=1), now + timedelta(days=3), "Идёт приём заявок"),
        (now - timedelta(days=3), now - timedelta(minutes=1), "Приём завершён, ждёт распределения"),
    ):
        Campaign.objects.filter(pk=campaign.pk).update(opens_at=opens_at, closes_at=closes_at)
        page = client.get(reverse("campaigns:list")).content.decode()
        assert f"<strong>{status}</strong>" in page
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.ALLOCATED)
    assert "<strong>Распределение завершено</strong>" in client.get(reverse("campaigns:list")).content.decode()
