"""Planning campaigns outside the admin: the municipality creates and edits its campaigns with its
published programs; the rules speak Russian and save nothing when broken; editing stops once the
allocation begins; an allocation whose process died is restarted with the same seed."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from catalog.models import Group
from catalog.services import change_program_status
from core.models import AuditEvent
from core.testing import make_child, make_group, make_program
from enrollment import campaigns
from enrollment.models import Application, Campaign, CampaignChoice, CampaignKind, CampaignStatus
from territory.permissions import governed_municipalities

pytestmark = pytest.mark.django_db


def plan(**changes) -> dict:
    now = timezone.now()
    fields = {
        "name": "Летний приём 2026",
        "kind": CampaignKind.PREFERENCES,
        "opens_at": now + timedelta(days=1),
        "closes_at": now + timedelta(days=8),
        "max_choices": 3,
        "priority_ovz": True,
        "priority_siblings": False,
        "priority_residents": True,
    }
    fields.update(changes)
    return fields


def refused(call, *args, **kwargs) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        call(*args, **kwargs)
    return caught.value.message_dict


@pytest.fixture
def planned(personas, published_program) -> Campaign:
    return campaigns.plan_campaign(
        personas.municipal_x, personas.municipality_x, programs=[published_program], **plan()
    )


# --- Rules ------------------------------------------------------------------------------------------


def test_a_municipal_operator_plans_a_campaign_of_his_published_programs(personas, planned, published_program):
    assert planned.municipality == personas.municipality_x and planned.status == CampaignStatus.SCHEDULED
    assert (planned.name, planned.kind, planned.max_choices) == ("Летний приём 2026", "preferences", 3)
    assert (planned.priority_ovz, planned.priority_siblings, planned.priority_residents) == (True, False, True)
    assert list(planned.programs.all()) == [published_program]
    event = AuditEvent.objects.get(action="campaign.planned")
    assert event.actor == personas.municipal_x and event.object_id == str(planned.pk)
    assert event.data["programs"] == [published_program.code] and event.data["fields"]["max_choices"] == 3


def test_a_regional_operator_plans_for_any_municipality_of_his_region(personas, published_program):
    created = campaigns.plan_campaign(
        personas.regional, personas.municipality_x, programs=[published_program], **plan(kind=CampaignKind.FIRST_COME)
    )
    assert created.kind == CampaignKind.FIRST_COME
    assert set(governed_municipalities(personas.regional)) == {
        personas.municipality_x,
        personas.municipality_y,
    }
    assert not governed_municipalities(personas.other_regional).exists()


def test_only_the_territorys_operators_plan(personas, published_program):
    for outsider in (personas.municipal_y, personas.operator_a, personas.family, personas.other_regional):
        with pytest.raises(PermissionDenied):
            campaigns.plan_campaign(outsider, personas.municipality_x, programs=[published_program], **plan())
    assert not Campaign.objects.exists()


def test_a_broken_plan_is_refused_field_by_field_in_russian(personas, published_program, draft_program):
    foreign = make_program(personas.org_b, "Шахматы", actor=personas.operator_b)
    now = timezone.now()
    cases = [
        ({"name": "  "}, [published_program], "name", "Укажите название кампании."),
        (
            {"kind": "lottery"},
            [published_program],
            "kind",
            "Выберите порядок приёма: в порядке очереди или по выбору семей.",
        ),
        ({"opens_at": None}, [published_program], "opens_at", "Укажите, когда открывается приём."),
        (
            {"closes_at": None},
            [published_program],
            "closes_at",
            "Для распределения по выбору семей укажите, когда закрывается приём.",
        ),
        (
            {"closes_at": now + timedelta(hours=1)},
            [published_program],
            "closes_at",
            "Приём должен заканчиваться позже, чем начинается.",
        ),
        (
            {"opens_at": now - timedelta(minutes=10), "closes_at": now - timedelta(minutes=5)},
            [published_program],
            "closes_at",
            "Это время уже прошло: приём должен закрываться в будущем.",
        ),
        (
            {"opens_at": now - timedelta(days=2), "closes_at": now + timedelta(days=1)},
            [published_program],
            "opens_at",
            "Это время уже прошло: приём открывается сейчас или позже.",
        ),
        (
            {"kind": "first_come", "opens_at": now - timedelta(days=2400), "closes_at": None},  # «2020», open for good
            [published_program],
            "opens_at",
            "Это время уже прошло: приём открывается сейчас или позже.",
        ),
        ({"max_choices": 0}, [published_program], "max_choices", "Ребёнок может выбрать от 1 до 10 групп."),
        ({"max_choices": 11}, [published_program], "max_choices", "Ребёнок может выбрать от 1 до 10 групп."),
        ({}, [], "programs", "Выберите хотя бы одну программу."),
        ({}, [foreign], "programs", "Программа «Шахматы» — не из муниципалитета «Энск»."),
        (
            {},
            [draft_program],
            "programs",
            "Программа «Черновик программы» не опубликована: в кампанию берут только опубликованные.",
        ),
    ]
    for changes, programs, field, message in cases:
        errors = refused(
            campaigns.plan_campaign, personas.municipal_x, personas.municipality_x, programs=programs, **plan(**changes)
        )
        assert errors == {field: [message]}, changes
    assert not Campaign.objects.exists() and not AuditEvent.objects.filter(action="campaign.planned").exists()


def test_a_first_come_campaign_may_stay_open_without_an_end(personas, published_program):
    created = campaigns.plan_campaign(
        personas.municipal_x,
        personas.municipality_x,
        programs=[published_program],
        **plan(kind=CampaignKind.FIRST_COME, closes_at=None),
    )
    assert created.closes_at is None


def test_one_program_is_not_in_two_campaigns_at_the_same_time(personas, planned, published_program):
    later = planned.closes_at + timedelta(days=1)
    errors = refused(
        campaigns.plan_campaign,
        personas.municipal_x,
        personas.municipality_x,
        programs=[published_program],
        **plan(name="Второй приём", closes_at=planned.closes_at + timedelta(days=30)),
    )
    assert errors == {
        "programs": [
            "Программа «Робототехника и конструирование» уже участвует в кампании «Летний приём 2026», "
            "и сроки приёма пересекаются."
        ]
    }
    after = campaigns.plan_campaign(
        personas.municipal_x,
        personas.municipality_x,
        programs=[published_program],
        **plan(name="Осенний приём", opens_at=later, closes_at=later + timedelta(days=7)),
    )
    assert after.programs.get() == published_program


def test_the_operator_edits_his_campaign_and_the_change_is_audited(personas, planned, published_program):
    second = make_program(personas.org_a, "Шахматы", actor=personas.operator_a)
    campaigns.update_campaign(personas.municipal_x, planned, programs=[second], name="Приём 2026", max_choices=5)
    planned.refresh_from_db()
    assert (planned.name, planned.max_choices) == ("Приём 2026", 5)
    assert list(planned.programs.all()) == [second]
    event = AuditEvent.objects.get(action="campaign.updated")
    assert event.data == {
        "fields": ["name", "max_choices"],
        "added": [second.code],
        "removed": [published_program.code],
    }
    errors = refused(campaigns.update_campaign, personas.municipal_x, planned, max_choices=20)
    assert errors == {"max_choices": ["Ребёнок может выбрать от 1 до 10 групп."]}
    planned.refresh_from_db()
    assert planned.max_choices == 5


def test_others_may_not_edit_the_campaign(personas, planned):
    for outsider in (personas.municipal_y, personas.operator_a, personas.family):
        with pytest.raises(PermissionDenied):
            campaigns.update_campaign(outsider, planned, name="Чужая правка")
    planned.refresh_from_db()
    assert planned.name == "Летний приём 2026"


@pytest.mark.parametrize("status", [CampaignStatus.ALLOCATING, CampaignStatus.ALLOCATED])
def test_editing_stops_once_the_allocation_begins(personas, planned, status):
    Campaign.objects.filter(pk=planned.pk).update(status=status)
    with pytest.raises(ValidationError) as caught:
        campaigns.update_campaign(personas.municipal_x, planned, name="Поздно")
    label = CampaignStatus(status).label
    assert caught.value.messages == [f"Кампания в статусе «{label}»: изменить её после начала распределения нельзя."]
    planned.refresh_from_db()
    assert planned.name == "Летний приём 2026"


def test_what_families_already_did_limits_the_changes(personas, planned, published_program):
    group = published_program.groups.get()
    second = make_group(published_program)
    now = timezone.now()
    Campaign.objects.filter(pk=planned.pk).update(opens_at=now - timedelta(hours=1))
    planned.refresh_from_db()
    child = make_child(personas.family, "Аня", group.start_date)
    campaigns.submit_choices(personas.family, planned, child, [group, second])
    other = make_program(personas.org_a, "Шахматы", actor=personas.operator_a)
    errors = refused(
        campaigns.update_campaign,
        personas.municipal_x,
        planned,
        programs=[other],
        kind=CampaignKind.FIRST_COME,
        max_choices=1,
    )
    assert errors == {
        "kind": ["Приём уже открыт: порядок приёма менять нельзя."],
        "max_choices": ["Семьи уже выбрали по 2 групп: меньше указать нельзя."],
        "programs": [
            "Семьи уже выбрали группы программы «Робототехника и конструирование»: убрать её из кампании нельзя."
        ],
    }
    assert CampaignChoice.objects.count() == 2


def test_a_program_unpublished_since_may_stay_in_the_campaign(personas, planned, published_program):
    change_program_status(personas.operator_a, published_program, "archive")
    campaigns.update_campaign(personas.municipal_x, planned, name="Переименована")
    planned.refresh_from_db()
    assert planned.name == "Переименована" and list(planned.programs.all()) == [published_program]


# --- A stalled allocation ------------------------------------------------------------------------


def stall(campaign: Campaign, minutes: int) -> Campaign:
    Campaign.objects.filter(pk=campaign.pk).update(
        status=CampaignStatus.ALLOCATING, progress=40, updated_at=timezone.now() - timedelta(minutes=minutes)
    )
    campaign.refresh_from_db()
    return campaign


def test_an_allocation_is_stale_after_ten_minutes_without_progress(planned):
    assert not campaigns.allocation_is_stale(planned)  # scheduled
    assert not campaigns.allocation_is_stale(stall(planned, 9))
    assert campaigns.allocation_is_stale(stall(planned, 11))


def test_only_a_stalled_allocation_is_restarted(personas, planned):
    with pytest.raises(ValidationError, match="только остановившееся распределение"):
        campaigns.restart_allocation(personas.municipal_x, planned)
    stall(planned, 2)
    with pytest.raises(ValidationError, match="Распределение идёт: последний ход сохранён в"):
        campaigns.restart_allocation(personas.municipal_x, planned)
    stall(planned, 30)
    with pytest.raises(PermissionDenied):
        campaigns.restart_allocation(personas.municipal_y, planned)
    planned.refresh_from_db()
    assert planned.status == CampaignStatus.ALLOCATING


def test_a_restarted_allocation_keeps_the_seed_and_the_seats_already_given(
    personas, planned, published_program, django_capture_on_commit_callbacks
):
    group = published_program.groups.get()
    Group.objects.filter(pk=group.pk).update(capacity=1)
    spare = make_group(published_program, capacity=1)
    Campaign.objects.filter(pk=planned.pk).update(opens_at=timezone.now() - timedelta(days=1))
    planned.refresh_from_db()
    children = [make_child(personas.family, name, group.start_date) for name in ("Аня", "Ваня")]
    for child in children:
        campaigns.submit_choices(personas.family, planned, child, [group, spare])
    now = timezone.now()
    Campaign.objects.filter(pk=planned.pk).update(
        closes_at=now - timedelta(minutes=1), opens_at=now - timedelta(days=2)
    )
    first = campaigns.allocate_campaign(Campaign.objects.get(pk=planned.pk))
    placed = dict(Application.objects.values_list("child", "group"))
    # The process "died" after placing the children: the campaign is left «Идёт распределение».
    seed = stall(planned, 15).lottery_seed
    with django_capture_on_commit_callbacks() as callbacks:
        campaigns.restart_allocation(personas.municipal_x, planned)
    assert len(callbacks) == 1  # the background run starts after commit
    planned.refresh_from_db()
    assert planned.status == CampaignStatus.SCHEDULED and planned.progress == 0 and planned.lottery_seed == seed
    assert AuditEvent.objects.get(action="campaign.allocation_restarted").data == {"stalled_at": 40, "seed": seed}
    again = campaigns.allocate_campaign(planned)
    assert again == first  # same seed, same seats: the earlier placements count as the campaign's own
    assert dict(Application.objects.values_list("child", "group")) == placed
    assert Application.objects.count() == 2
    assert list(Group.objects.filter(pk__in=[group.pk, spare.pk]).values_list("seats_taken", flat=True)) == [1, 1]


# --- Pages -----------------------------------------------------------------------------------------


def form_data(program_codes: list[str], **changes) -> dict:
    now = timezone.localtime()
    data = {
        "action": "save",
        "name": "Приём в кружки",
        "kind": "preferences",
        "opens_at": f"{now + timedelta(days=1):%Y-%m-%dT%H:%M}",
        "closes_at": f"{now + timedelta(days=10):%Y-%m-%dT%H:%M}",
        "max_choices": "3",
        "priority_ovz": "on",
        "priority_residents": "on",
        "programs": program_codes,
    }
    data.update(changes)
    return data


def test_the_new_campaign_page_offers_only_published_programs_of_the_municipality(
    client, personas, published_program, draft_program
):
    foreign = make_program(personas.org_b, "Шахматы", actor=personas.operator_b)
    client.force_login(personas.municipal_x)
    list_page = client.get(reverse("campaigns:list")).content.decode()
    assert reverse("campaigns:new") in list_page and reverse("journal:holidays") in list_page
    page = client.get(reverse("campaigns:new")).content.decode()
    assert published_program.code in page and draft_program.code not in page and foreign.code not in page
    assert '<label for="program-q">Найти программу</label>' in page
    assert f'<label for="program-{published_program.code}">' in page  # every checkbox has its label


def test_the_program_filter_works_without_javascript_and_keeps_what_was_typed(client, personas, published_program):
    chess = make_program(personas.org_a, "Шахматы", actor=personas.operator_a)
    client.force_login(personas.municipal_x)
    page = client.get(reverse("campaigns:new"), {"q": "шахм"}).content.decode()
    assert chess.code in page and published_program.code not in page
    response = client.post(
        reverse("campaigns:new"),
        form_data([published_program.code], action="filter", program_q="Шахм", name="Черновое название"),
    )
    page = response.content.decode()
    assert response.status_code == 200 and not Campaign.objects.exists()
    assert 'value="Черновое название"' in page
    assert f'value="{published_program.code}" id="program-{published_program.code}" checked' in page  # kept ticked
    assert f'value="{chess.code}" id="program-{chess.code}">' in page  # found, not ticked
    assert "Найдено: 1." in page and "Обязательное поле" not in page


def test_the_operator_creates_a_campaign_from_the_page(client, personas, published_program):
    client.force_login(personas.municipal_x)
    response = client.post(reverse("campaigns:new"), form_data([published_program.code]))
    assert response.status_code == 302 and response["Location"] == reverse("campaigns:list")
    created = Campaign.objects.get()
    assert (created.name, created.kind, created.max_choices) == ("Приём в кружки", "preferences", 3)
    assert (created.priority_ovz, created.priority_siblings, created.priority_residents) == (True, False, True)
    assert created.municipality == personas.municipality_x and list(created.programs.all()) == [published_program]
    page = client.get(reverse("campaigns:list")).content.decode()
    assert "Кампания «Приём в кружки» сохранена." in page and reverse("campaigns:edit", args=[created.code]) in page


def test_a_broken_form_shows_russian_messages_and_saves_nothing(client, personas, published_program):
    client.force_login(personas.municipal_x)
    now = timezone.localtime()
    response = client.post(
        reverse("campaigns:new"),
        form_data(
            [],
            closes_at=f"{now + timedelta(hours=2):%Y-%m-%dT%H:%M}",
            opens_at=f"{now + timedelta(days=1):%Y-%m-%dT%H:%M}",
        ),
    )
    page = response.content.decode()
    assert response.status_code == 200 and not Campaign.objects.exists()
    assert "Не сохранено: исправьте ошибки" in page
    assert "Приём должен заканчиваться позже, чем начинается." in page and "Выберите хотя бы одну программу." in page


def test_who_may_open_the_new_campaign_page(client, personas):
    for user in (personas.operator_a, personas.family, personas.teacher_a):
        client.force_login(user)
        assert client.get(reverse("campaigns:new")).status_code == 403
    client.force_login(personas.regional)  # two municipalities: chooses one first
    page = client.get(reverse("campaigns:new")).content.decode()
    assert "Энск" in page and "Заречный район" in page and 'name="municipality"' in page
    page = client.get(reverse("campaigns:new"), {"municipality": personas.municipality_y.oktmo}).content.decode()
    assert "Заречный район" in page and 'name="program_q"' in page


def test_the_operator_edits_his_campaign_from_the_page(client, personas, planned, published_program):
    client.force_login(personas.municipal_x)
    url = reverse("campaigns:edit", args=[planned.code])
    page = client.get(url).content.decode()
    assert 'value="Летний приём 2026"' in page and f'id="program-{published_program.code}" checked' in page
    response = client.post(url, form_data([published_program.code], name="Приём переименован", max_choices="4"))
    assert response.status_code == 302
    planned.refresh_from_db()
    assert (planned.name, planned.max_choices) == ("Приём переименован", 4)


def test_another_territorys_operator_does_not_find_the_edit_page(client, personas, planned, published_program):
    url = reverse("campaigns:edit", args=[planned.code])
    for outsider in (personas.municipal_y, personas.operator_a, personas.other_regional):
        client.force_login(outsider)
        assert client.get(url).status_code == 404
        assert client.post(url, form_data([published_program.code], name="Чужая правка")).status_code == 404
    planned.refresh_from_db()
    assert planned.name == "Летний приём 2026"


def test_the_edit_page_refuses_once_the_allocation_began(client, personas, planned, published_program):
    Campaign.objects.filter(pk=planned.pk).update(status=CampaignStatus.ALLOCATED)
    client.force_login(personas.municipal_x)
    url = reverse("campaigns:edit", args=[planned.code])
    message = "Кампания в статусе «Распределение завершено»: изменить её после начала распределения нельзя."
    page = client.get(url).content.decode()
    assert message in page and 'name="name"' not in page
    page = client.post(url, form_data([published_program.code], name="Поздно")).content.decode()
    assert message in page
    planned.refresh_from_db()
    assert planned.name == "Летний приём 2026"


def test_the_operator_restarts_a_stalled_allocation_from_the_page(
    client, personas, planned, monkeypatch, django_capture_on_commit_callbacks
):
    started = []
    monkeypatch.setattr(campaigns, "start_allocation", started.append)
    stall(planned, 20)
    client.force_login(personas.municipal_y)
    assert client.post(reverse("campaigns:restart", args=[planned.code])).status_code == 404
    client.force_login(personas.municipal_x)
    page = client.get(reverse("campaigns:list")).content.decode()
    assert "Распределение остановилось" in page and reverse("campaigns:restart", args=[planned.code]) in page
    fragment = client.get(reverse("campaigns:progress", args=[planned.code])).content.decode()
    assert "hx-trigger" not in fragment  # no polling of a dead allocation
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("campaigns:restart", args=[planned.code]), follow=True)
    assert "перезапущено с тем же зерном жребия" in response.content.decode()
    assert [c.pk for c in started] == [planned.pk]
    planned.refresh_from_db()
    assert planned.status == CampaignStatus.SCHEDULED


def test_a_live_allocation_is_not_restarted_from_the_page(client, personas, planned, monkeypatch):
    monkeypatch.setattr(campaigns, "start_allocation", lambda campaign: pytest.fail("must not start"))
    stall(planned, 1)
    client.force_login(personas.municipal_x)
    page = client.get(reverse("campaigns:list")).content.decode()
    assert "Распределение остановилось" not in page
    response = client.post(reverse("campaigns:restart", args=[planned.code]), follow=True)
    assert "Перезапустить можно, если хода нет 10 минут." in response.content.decode()
    planned.refresh_from_db()
    assert planned.status == CampaignStatus.ALLOCATING
