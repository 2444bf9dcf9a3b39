"""A campaign planned by mistake is cancelled by its municipality before the allocation, with a
reason families are told: its programs take applications as their groups say again, its choices are
kept and allocated by nobody, and each family that chose gets its own letter."""

import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEvent
from core.testing import make_child
from enrollment import campaigns
from enrollment.models import ApplicationStatus as S
from enrollment.models import Campaign, CampaignChoice, CampaignKind, CampaignStatus
from enrollment.services import apply, campaign_of
from enrollment.tests.test_api import bearer

pytestmark = pytest.mark.django_db

REASON = "Сроки перенесены приказом управления образования"


def open_campaign(personas, program, kind=CampaignKind.PREFERENCES, name="Летний приём 2026") -> Campaign:
    """Planned as the municipality plans one, then opened a minute ago."""
    now = timezone.now()
    planned = campaigns.plan_campaign(
        personas.municipal_x,
        personas.municipality_x,
        programs=[program],
        name=name,
        kind=kind,
        opens_at=now + timedelta(hours=1),
        closes_at=now + timedelta(days=7),
    )
    Campaign.objects.filter(pk=planned.pk).update(opens_at=now - timedelta(minutes=1))
    planned.refresh_from_db()
    return planned


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_cancelled_campaign_gives_its_programs_back_to_their_groups_and_tells_each_family(
    personas, published_program, django_capture_on_commit_callbacks
):
    group = published_program.groups.get()
    preferences = open_campaign(personas, published_program)
    anya = make_child(personas.family, "Аня", group.start_date)
    campaigns.submit_choices(personas.family, preferences, anya, [group])
    other = make_child(personas.other_family, "Петя", group.start_date)
    campaigns.submit_choices(personas.other_family, preferences, other, [group])
    with pytest.raises(ValidationError, match="через кампанию"):
        apply(personas.family, anya, published_program, None, uuid.uuid4().hex)

    with django_capture_on_commit_callbacks(execute=True):
        campaigns.cancel_campaign(personas.municipal_x, preferences, f"  {REASON}\n")
    preferences.refresh_from_db()
    assert (preferences.status, preferences.cancel_reason) == (CampaignStatus.CANCELLED, REASON)
    assert preferences.status_label() == "Отменена"
    event = AuditEvent.objects.get(action="campaign.cancelled")
    assert event.data == {"reason": REASON, "families_with_choices": 2}
    # One letter per family: neither sees the other's address.
    assert sorted(tuple(letter.to) for letter in mail.outbox) == [
        (personas.family.email,),
        (personas.other_family.email,),
    ]
    assert all(REASON in letter.body and "Летний приём 2026" in letter.subject for letter in mail.outbox)
    # The choices are kept, allocated by nobody; the program takes applications again.
    assert CampaignChoice.objects.filter(campaign=preferences).count() == 2
    assert not campaigns.accepting_choices(preferences)
    with pytest.raises(ValidationError, match="Кампания отменена: выбор групп не принимается"):
        campaigns.submit_choices(personas.family, preferences, anya, [group])
    assert campaign_of(published_program, timezone.now()) is None
    application = apply(personas.family, anya, published_program, group, uuid.uuid4().hex)
    assert application.status == S.NEW


def test_applications_made_in_a_first_come_campaign_stay_when_it_is_cancelled(personas, published_program):
    group = published_program.groups.get()
    first_come = open_campaign(personas, published_program, CampaignKind.FIRST_COME)
    anya = make_child(personas.family, "Аня", group.start_date)
    taken = apply(personas.family, anya, published_program, None, uuid.uuid4().hex)
    assert taken.status == S.INVITED  # a first-come campaign placed it at once
    campaigns.cancel_campaign(personas.municipal_x, first_come, REASON)
    taken.refresh_from_db()
    group.refresh_from_db()
    assert taken.status == S.INVITED and group.seats_taken == 1
    assert len(mail.outbox) == 0  # nobody chose groups: nobody to tell


def test_a_new_campaign_may_take_the_programs_of_a_cancelled_one_for_the_same_days(personas, published_program):
    mistaken = open_campaign(personas, published_program)
    campaigns.cancel_campaign(personas.municipal_x, mistaken, REASON)
    again = open_campaign(personas, published_program, name="Летний приём 2026 (новые сроки)")
    assert again.status == CampaignStatus.SCHEDULED
    assert campaign_of(published_program, timezone.now()) == again


def test_cancelling_is_refused_without_a_reason_after_the_allocation_began_and_outside_the_municipality(
    personas, published_program
):
    planned = open_campaign(personas, published_program)
    with pytest.raises(ValidationError) as caught:
        campaigns.cancel_campaign(personas.municipal_x, planned, "   ")
    assert caught.value.message_dict == {"reason": ["Укажите причину отмены: её прочтут семьи."]}
    with pytest.raises(ValidationError, match="не длиннее 500"):
        campaigns.cancel_campaign(personas.municipal_x, planned, "я" * 501)
    for outsider in (personas.municipal_y, personas.operator_a, personas.family):
        with pytest.raises(PermissionDenied):
            campaigns.cancel_campaign(outsider, planned, REASON)
    for status in (CampaignStatus.ALLOCATING, CampaignStatus.ALLOCATED):
        Campaign.objects.filter(pk=planned.pk).update(status=status)
        with pytest.raises(ValidationError, match="только до распределения мест"):
            campaigns.cancel_campaign(personas.municipal_x, planned, REASON)
    Campaign.objects.filter(pk=planned.pk).update(status=CampaignStatus.CANCELLED)
    Campaign.objects.filter(pk=planned.pk).update(cancel_reason="Ошибка в сроках")
    with pytest.raises(ValidationError, match=r"Кампания уже отменена\. Причина: Ошибка в сроках"):
        campaigns.cancel_campaign(personas.municipal_x, planned, REASON)
    assert not AuditEvent.objects.filter(action="campaign.cancelled").exists()


def test_the_municipality_cancels_on_a_page_that_says_what_follows(
    personas, published_program, django_capture_on_commit_callbacks, settings
):
    group = published_program.groups.get()
    planned = open_campaign(personas, published_program)
    campaigns.submit_choices(personas.family, planned, make_child(personas.family, "Аня", group.start_date), [group])
    url = reverse("campaigns:cancel", args=[planned.code])
    owner = signed_in(personas.municipal_x)
    listed = owner.get(reverse("campaigns:list")).content.decode()
    assert f'href="{url}" aria-label="Отменить кампанию «Летний приём 2026»"' in listed
    page = owner.get(url).content.decode()
    assert "Семьям, сделавшим выбор (1), уйдёт письмо с причиной отмены." in page
    assert 'data-confirm="Отменить кампанию «Летний приём 2026»? Вернуть её нельзя."' in page
    assert signed_in(personas.municipal_y).get(url).status_code == 404
    assert signed_in(personas.municipal_y).post(url, {"reason": REASON}).status_code == 404
    assert signed_in(personas.operator_a).post(url, {"reason": REASON}).status_code == 404

    response = owner.post(url, {"reason": " "})
    assert response.status_code == 200 and "Укажите причину отмены: её прочтут семьи." in response.content.decode()
    planned.refresh_from_db()
    assert planned.status == CampaignStatus.SCHEDULED

    second_tab = signed_in(personas.municipal_x)
    second_tab.get(url)
    settings.SITE_URL = "https://navigator.example.ru"
    with django_capture_on_commit_callbacks(execute=True):
        response = owner.post(url, {"reason": REASON}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("campaigns:list")
    html = response.content.decode()
    assert "Кампания «Летний приём 2026» отменена." in html and f"Причина отмены: {REASON}" in html
    assert url not in html  # nothing more to cancel
    family_url = reverse("family:campaign", args=[planned.code])
    (letter,) = mail.outbox
    assert letter.body.endswith(f"Открыть в навигаторе: https://navigator.example.ru{family_url}")
    # The same page left open in another tab: sent, it says the campaign is cancelled already.
    response = second_tab.post(url, {"reason": "Другая причина"}, follow=True)
    html = response.content.decode()
    assert f"Кампания уже отменена. Причина: {REASON}" in html and "<textarea" not in html
    assert Campaign.objects.get(pk=planned.pk).cancel_reason == REASON and len(mail.outbox) == 1
    edit = owner.get(reverse("campaigns:edit", args=[planned.code])).content.decode()
    assert f"Кампания отменена: изменить её нельзя. Причина отмены: {REASON}" in edit
    family_page = signed_in(personas.family).get(family_url).content.decode()
    assert f"<strong>Кампания отменена.</strong> Причина: {REASON}</p>" in family_page
    assert "Выбор, сделанный до отмены (не распределялся):" in family_page and "Сохранить выбор" not in family_page


def test_the_api_says_a_campaign_is_cancelled_and_why(client, personas, published_program):
    planned = open_campaign(personas, published_program)
    url = f"/api/v1/campaigns/{planned.code}"
    assert client.get(url, headers=bearer(personas.family)).json()["cancel_reason"] == ""
    campaigns.cancel_campaign(personas.municipal_x, planned, REASON)
    detail = client.get(url, headers=bearer(personas.family)).json()
    assert (detail["status"], detail["status_label"], detail["cancel_reason"]) == ("cancelled", "Отменена", REASON)
    listed = client.get("/api/v1/campaigns?status=cancelled", headers=bearer(personas.municipal_x)).json()
    assert [item["code"] for item in listed["items"]] == [planned.code]
