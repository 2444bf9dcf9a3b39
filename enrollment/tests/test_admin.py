"""Campaigns in the admin are planned through enrollment.campaigns, with its rules, as on the office's pages."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from catalog.tests.test_admin import form_data
from core.models import AuditEvent
from core.testing import make_campaign, make_program
from enrollment.models import Campaign


def test_an_open_campaign_keeps_its_kind_its_municipality_and_refuses_past_dates(admin_client, personas):
    program = make_program(personas.org_a, "Робототехника")
    campaign = make_campaign(
        personas.municipality_x, program, "preferences", opens_in=-timedelta(days=1), closes_in=timedelta(days=10)
    )
    url = reverse("admin:enrollment_campaign_change", args=[campaign.pk])
    page = admin_client.get(url)
    assert "municipality" not in page.context["adminform"].form.fields
    data = form_data(page)
    response = admin_client.post(url, {**data, "kind": "first_come"})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["kind"] == ["Приём уже открыт: порядок приёма менять нельзя."]
    an_hour_ago = timezone.localtime() - timedelta(hours=1)
    past = {"closes_at_0": an_hour_ago.date().isoformat(), "closes_at_1": an_hour_ago.strftime("%H:%M:%S")}
    response = admin_client.post(url, {**data, **past})
    assert response.status_code == 200
    assert "Это время уже прошло" in " ".join(response.context["adminform"].form.errors["closes_at"])
    campaign.refresh_from_db()
    assert campaign.kind == "preferences" and campaign.closes_at > timezone.now()

    response = admin_client.post(url, {**data, "name": "Приём в кружки", "municipality": personas.municipality_y.pk})
    assert response.status_code == 302  # its times, shown without their seconds' fractions, are kept
    campaign.refresh_from_db()
    assert (campaign.name, campaign.municipality) == ("Приём в кружки", personas.municipality_x)
    event = AuditEvent.objects.get(action="campaign.updated", object_id=str(campaign.pk))
    assert event.actor == personas.admin and event.data["fields"] == ["name"]


def test_a_campaign_added_in_the_admin_is_planned_by_the_rules(admin_client, personas):
    program = make_program(personas.org_a, "Робототехника")
    tomorrow = timezone.localtime() + timedelta(days=1)
    data = {
        "municipality": personas.municipality_x.pk,
        "name": "Приём 2030",
        "kind": "first_come",
        "programs": [program.pk],
        "opens_at_0": "2020-09-01",
        "opens_at_1": "10:00:00",
        "max_choices": "3",
        "choices-TOTAL_FORMS": "0",
        "choices-INITIAL_FORMS": "0",
        "_save": "Сохранить",
    }
    url = reverse("admin:enrollment_campaign_add")
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "Это время уже прошло" in " ".join(response.context["adminform"].form.errors["opens_at"])
    assert not Campaign.objects.exists()

    data.update(opens_at_0=tomorrow.date().isoformat())
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    campaign = Campaign.objects.get()
    assert list(campaign.programs.all()) == [program]
    assert AuditEvent.objects.filter(action="campaign.planned", object_id=str(campaign.pk)).exists()
    assert AuditEvent.objects.filter(action="admin.added", object_id=str(campaign.pk), actor=personas.admin).exists()
