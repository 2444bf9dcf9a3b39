"""The back office («Кабинет»): who reaches which page, and that every write goes through the actions."""

from datetime import time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, RoleAssignment
from catalog import services
from catalog.models import Group, ModerationStatus, Program
from core.models import AuditEvent
from core.testing import make_group, make_organization, make_program
from people.models import Teacher

S = ModerationStatus


def program_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "Юный программист",
        "summary": "Первые шаги в программировании на Python.",
        "description": "Переменные, циклы, свои игры.",
        "program_type": "general",
        "direction": "technical",
        "level_initial": "on",
        "age_from": "10",
        "age_to": "14",
        "hours_total": "72",
        "duration_months": "9",
        "study_form": "full_time",
        "is_free": "on",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def formset_data(prefix: str, rows: list[dict[str, Any]], initial: int = 0) -> dict[str, Any]:
    data: dict[str, Any] = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        data.update({f"{prefix}-{i}-{key}": value for key, value in row.items()})
    return data


def group_data(*, schedule: list[dict[str, Any]], financing: list[dict[str, Any]], **changes: Any) -> dict[str, Any]:
    start = timezone.localdate() + timedelta(days=10)
    data: dict[str, Any] = {
        "name": "Группа выходного дня",
        "academic_year": str(start.year),
        "start_date": start.isoformat(),
        "end_date": (start + timedelta(days=200)).isoformat(),
        "capacity": "12",
        "is_active": "on",
    }
    data.update(changes)
    return {**data, **formset_data("schedule", schedule), **formset_data("financing", financing)}


def content(response: Any) -> str:
    return response.content.decode()


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# Who reaches what.


def test_a_guest_is_sent_to_sign_in_from_every_office_page(client, draft_program):
    group = draft_program.groups.get()
    urls = [
        reverse("office:home"),
        reverse("office:program_list"),
        reverse("office:program_create"),
        reverse("office:moderation_queue"),
        reverse("office:program_detail", args=[draft_program.code]),
        reverse("office:program_edit", args=[draft_program.code]),
        reverse("office:group_create", args=[draft_program.code]),
        reverse("office:group_edit", args=[group.code]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("accounts:login") + "?next="), url
    response = client.post(reverse("office:program_status", args=[draft_program.code]), {"transition": "submit"})
    assert response.status_code == 302
    draft_program.refresh_from_db()
    assert draft_program.status == S.DRAFT


@pytest.mark.parametrize("fixture", ["draft_program", "published_program"])
def test_another_organizations_operator_gets_404_for_the_programs_pages(client, personas, fixture, request):
    program = request.getfixturevalue(fixture)
    client.force_login(personas.operator_b)
    for url in (
        reverse("office:program_detail", args=[program.code]),
        reverse("office:program_edit", args=[program.code]),
        reverse("office:group_create", args=[program.code]),
        reverse("office:group_edit", args=[program.groups.get().code]),
    ):
        assert client.get(url).status_code == 404, url
    status_url = reverse("office:program_status", args=[program.code])
    assert client.post(status_url, {"transition": "archive"}).status_code == 404


@pytest.mark.parametrize("persona", ["teacher_a", "municipal_x", "regional"])
def test_those_who_only_see_a_program_get_403_when_they_try_to_edit_it(client, personas, draft_program, persona):
    client.force_login(getattr(personas, persona))
    group = draft_program.groups.get()
    assert client.get(reverse("office:program_detail", args=[draft_program.code])).status_code == 200
    assert client.get(reverse("office:program_edit", args=[draft_program.code])).status_code == 403
    response = client.post(reverse("office:program_edit", args=[draft_program.code]), program_data(title="Чужое"))
    assert response.status_code == 403
    assert client.get(reverse("office:group_create", args=[draft_program.code])).status_code == 403
    assert client.get(reverse("office:group_edit", args=[group.code])).status_code == 403
    draft_program.refresh_from_db()
    assert draft_program.title == "Черновик программы"


def test_the_owner_reaches_every_page_of_their_program(client, personas, draft_program):
    client.force_login(personas.operator_a)
    group = draft_program.groups.get()
    for url in (
        reverse("office:program_detail", args=[draft_program.code]),
        reverse("office:program_edit", args=[draft_program.code]),
        reverse("office:group_create", args=[draft_program.code]),
        reverse("office:group_edit", args=[group.code]),
    ):
        assert client.get(url).status_code == 200, url


# Home.


def test_an_operator_sees_their_organization_and_programs_by_status(client, personas, draft_program, published_program):
    client.force_login(personas.operator_a)
    response = client.get(reverse("office:home"))
    assert response.status_code == 200
    page = content(response)
    assert personas.org_a.short_name in page
    assert personas.org_b.short_name not in page
    assert dict(response.context["status_counts"])[S.DRAFT] == 1
    assert dict(response.context["status_counts"])[S.PUBLISHED] == 1
    assert "Новая программа" in page
    assert reverse("office:program_list") in page


def test_a_municipal_operator_sees_the_size_of_their_moderation_queue(client, personas):
    make_program(personas.org_a, "Шахматы", status=S.MODERATING)
    make_program(personas.org_b, "Авиамодели", status=S.MODERATING)
    client.force_login(personas.municipal_x)
    response = client.get(reverse("office:home"))
    assert response.context["queue_size"] == 1
    assert reverse("office:moderation_queue") in content(response)
    client.force_login(personas.regional)
    assert client.get(reverse("office:home")).context["queue_size"] == 2


def test_a_teacher_sees_the_groups_they_teach(client, personas, published_program):
    teacher = Teacher.objects.create(
        user=personas.teacher_a, organization=personas.org_a, last_name="Иванова", first_name="Анна"
    )
    make_group(published_program, name="Группа Анны", teacher=teacher)
    client.force_login(personas.teacher_a)
    page = content(client.get(reverse("office:home")))
    assert "Группа Анны" in page
    assert "Новая программа" not in page


def test_a_family_is_told_what_the_office_is_for(client, personas):
    client.force_login(personas.family)
    response = client.get(reverse("office:home"))
    assert response.status_code == 200
    assert "Кабинет нужен сотрудникам" in content(response)


# Program list.


def test_the_list_shows_only_the_operators_programs_and_filters_by_status(
    client, personas, draft_program, published_program
):
    make_program(personas.org_b, "Программа другой организации", status=S.DRAFT)
    client.force_login(personas.operator_a)
    listed = client.get(reverse("office:program_list")).context["page"].object_list
    assert {p.pk for p in listed} == {draft_program.pk, published_program.pk}
    drafts = client.get(reverse("office:program_list"), {"status": "draft"}).context["page"].object_list
    assert [p.pk for p in drafts] == [draft_program.pk]


def test_the_list_shows_the_moderators_remark_for_programs_awaiting_changes(client, personas):
    make_program(personas.org_a, "Вернули на доработку", status=S.NEEDS_CHANGES)
    client.force_login(personas.operator_a)
    page = content(client.get(reverse("office:program_list"), {"status": "needs_changes"}))
    assert "Ожидает правки" in page
    assert "Уточните описание" in page


def test_the_list_is_paginated(client, personas, settings):
    settings.OPORA_PAGE_SIZE = 2
    for n in range(3):
        make_program(personas.org_a, f"Программа {n}", status=S.DRAFT, with_group=False)
    client.force_login(personas.operator_a)
    first = client.get(reverse("office:program_list"))
    assert len(first.context["page"].object_list) == 2
    assert "page=2" in content(first)
    assert len(client.get(reverse("office:program_list"), {"page": 2}).context["page"].object_list) == 1


# Creating and editing programs.


def test_an_operator_creates_a_draft_program_through_the_form(client, personas):
    client.force_login(personas.operator_a)
    assert "organization" not in client.get(reverse("office:program_create")).context["form"].fields
    response = client.post(reverse("office:program_create"), program_data())
    program = Program.objects.get(title="Юный программист")
    assert response.status_code == 302
    assert response["Location"] == reverse("office:program_detail", args=[program.code])
    assert program.status == S.DRAFT
    assert program.organization == personas.org_a
    assert program.municipality == personas.municipality_x
    assert program.search_document
    event = AuditEvent.objects.get(action="program.created", object_id=str(program.pk))
    assert event.actor == personas.operator_a


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"age_from": "12", "age_to": "8"}, "age_to", "не меньше возраста «с»"),
        ({"age_to": "21"}, "age_to", "не больше 18 лет"),
        ({"level_initial": None}, "level_initial", "хотя бы один уровень"),
        ({"is_free": None}, "is_free", "бесплатно, по сертификату или платно"),
        ({"is_paid": "on"}, "price_per_month", "Укажите стоимость"),
        ({"hours_total": "0"}, "hours_total", "больше нуля"),
        ({"title": ""}, "title", "Обязательное поле"),
    ],
)
def test_an_invalid_program_shows_a_russian_error_next_to_the_field_and_saves_nothing(
    client, personas, changes, field, message
):
    client.force_login(personas.operator_a)
    response = client.post(reverse("office:program_create"), program_data(**changes))
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    page = content(response)
    assert f'id="id_{field}_error"' in page
    assert "Не сохранено" in page
    assert not Program.objects.exists()


def test_an_operator_of_several_organizations_chooses_among_their_own_only(client, personas):
    org_c = make_organization(personas.municipality_y, "Центр «Кванториум»")
    RoleAssignment.objects.create(user=personas.operator_a, role=Role.ORGANIZATION_OPERATOR, organization=org_c)
    client.force_login(personas.operator_a)
    choices = client.get(reverse("office:program_create")).context["form"].fields["organization"].queryset
    assert set(choices) == {personas.org_a, org_c}
    response = client.post(reverse("office:program_create"), program_data(organization=personas.org_b.pk))
    assert "organization" in response.context["form"].errors
    assert not Program.objects.exists()
    client.post(reverse("office:program_create"), program_data(organization=org_c.pk))
    program = Program.objects.get()
    assert program.organization == org_c
    assert program.municipality == personas.municipality_y


@pytest.mark.parametrize("persona", ["teacher_a", "municipal_x", "family"])
def test_those_who_operate_no_organization_cannot_create_programs(client, personas, persona):
    client.force_login(getattr(personas, persona))
    assert client.get(reverse("office:program_create")).status_code == 403
    assert client.post(reverse("office:program_create"), program_data()).status_code == 403
    assert not Program.objects.exists()


def test_the_owner_edits_a_program_and_the_change_is_audited(client, personas, draft_program):
    client.force_login(personas.operator_a)
    response = client.post(
        reverse("office:program_edit", args=[draft_program.code]),
        program_data(title="Робототехника для начинающих", is_paid="on", price_per_month="1500"),
    )
    assert response.status_code == 302
    draft_program.refresh_from_db()
    assert draft_program.title == "Робототехника для начинающих"
    assert draft_program.price_per_month == Decimal("1500")
    event = AuditEvent.objects.get(action="program.updated", object_id=str(draft_program.pk))
    assert "title" in event.data["fields"]


def test_only_the_organizations_teachers_can_be_chosen(client, personas, draft_program):
    own = Teacher.objects.create(organization=personas.org_a, last_name="Петров", first_name="Пётр")
    foreign = Teacher.objects.create(organization=personas.org_b, last_name="Сидоров", first_name="Сидор")
    client.force_login(personas.operator_a)
    edit = reverse("office:program_edit", args=[draft_program.code])
    assert "teachers" in client.post(edit, program_data(teachers=[foreign.pk])).context["form"].errors
    client.post(edit, program_data(teachers=[own.pk]))
    assert list(draft_program.teachers.all()) == [own]


# Moderation.


def post_status(client: Any, program: Program, transition: str, **extra: str) -> Any:
    return client.post(
        reverse("office:program_status", args=[program.code]), {"transition": transition, **extra}, follow=True
    )


def test_the_operator_submits_and_the_municipal_operator_approves(client, personas, draft_program):
    client.force_login(personas.operator_a)
    page = content(client.get(reverse("office:program_detail", args=[draft_program.code])))
    assert "Отправить на модерацию" in page
    assert "Опубликовать" not in page
    response = post_status(client, draft_program, "submit")
    assert response.redirect_chain[-1][0] == reverse("office:program_detail", args=[draft_program.code])
    draft_program.refresh_from_db()
    assert draft_program.status == S.MODERATING
    assert post_status(client, draft_program, "approve").status_code == 403

    client.force_login(personas.municipal_y)
    assert post_status(client, draft_program, "approve").status_code == 404
    assert client.get(reverse("office:program_detail", args=[draft_program.code])).status_code == 404

    client.force_login(personas.municipal_x)
    assert "Опубликовать" in content(client.get(reverse("office:program_detail", args=[draft_program.code])))
    response = post_status(client, draft_program, "approve")
    draft_program.refresh_from_db()
    assert draft_program.status == S.PUBLISHED
    assert any("опубликована" in m for m in messages_of(response))


def test_returning_for_changes_requires_a_remark(client, personas):
    program = make_program(personas.org_a, "На проверке", status=S.MODERATING)
    client.force_login(personas.municipal_x)
    response = post_status(client, program, "return", remark="   ")
    assert any("замечание обязательно" in m for m in messages_of(response))
    program.refresh_from_db()
    assert program.status == S.MODERATING
    post_status(client, program, "return", remark="Опишите планируемые результаты")
    program.refresh_from_db()
    assert program.status == S.NEEDS_CHANGES
    assert program.moderation_remark == "Опишите планируемые результаты"


def test_an_impossible_transition_is_reported_not_applied(client, personas, draft_program):
    client.force_login(personas.operator_a)
    response = post_status(client, draft_program, "restore")
    assert any("невозможно" in m for m in messages_of(response))
    draft_program.refresh_from_db()
    assert draft_program.status == S.DRAFT


def test_a_regional_operator_moderates_in_their_region_only(client, personas):
    program = make_program(personas.org_b, "Авиамодели", status=S.MODERATING)
    client.force_login(personas.other_regional)
    assert post_status(client, program, "approve").status_code == 404
    client.force_login(personas.regional)
    post_status(client, program, "approve")
    program.refresh_from_db()
    assert program.status == S.PUBLISHED


def test_changing_status_needs_a_post(client, personas, draft_program):
    client.force_login(personas.operator_a)
    assert client.get(reverse("office:program_status", args=[draft_program.code])).status_code == 405


def test_the_moderation_queue_lists_the_territorys_programs_oldest_first(client, personas):
    older = make_program(personas.org_a, "Первая", status=S.MODERATING)
    newer = make_program(personas.org_a, "Вторая", status=S.MODERATING)
    make_program(personas.org_b, "Чужой район", status=S.MODERATING)
    client.force_login(personas.municipal_x)
    response = client.get(reverse("office:moderation_queue"))
    assert [p.pk for p in response.context["page"].object_list] == [older.pk, newer.pk]
    assert "Что нужно исправить" in content(response)

    queue = reverse("office:moderation_queue")
    response = post_status(client, older, "approve", next=queue)
    assert response.redirect_chain[-1][0] == queue
    assert [p.pk for p in response.context["page"].object_list] == [newer.pk]


def test_the_queue_is_for_moderators_only(client, personas):
    client.force_login(personas.operator_a)
    assert client.get(reverse("office:moderation_queue")).status_code == 403
    client.force_login(personas.municipal_y)
    assert client.get(reverse("office:moderation_queue")).status_code == 200


def test_a_foreign_next_address_is_ignored(client, personas):
    program = make_program(personas.org_a, "На проверке", status=S.MODERATING)
    client.force_login(personas.municipal_x)
    response = client.post(
        reverse("office:program_status", args=[program.code]),
        {"transition": "approve", "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("office:program_detail", args=[program.code])


# Groups.

MONDAY_AND_THURSDAY = [
    {"weekday": "0", "starts_at": "15:00", "ends_at": "16:30", "room": "12"},
    {"weekday": "3", "starts_at": "15:00", "ends_at": "16:30", "room": ""},
    {"weekday": "", "starts_at": "", "ends_at": "", "room": ""},
]


def test_an_operator_creates_a_group_with_timetable_and_financing(client, personas):
    program = make_program(personas.org_a, "Без групп", status=S.DRAFT, with_group=False)
    assert program.weekdays_mask == 0
    client.force_login(personas.operator_a)
    response = client.post(
        reverse("office:group_create", args=[program.code]),
        group_data(schedule=MONDAY_AND_THURSDAY, financing=[{"source": "budget", "cost_per_month": "0"}]),
    )
    assert response.status_code == 302
    group = Group.objects.get(program=program)
    assert sorted(group.schedule.values_list("weekday", "starts_at")) == [(0, time(15)), (3, time(15))]
    assert list(group.financing.values_list("source", flat=True)) == ["budget"]
    assert group.address == personas.org_a.address
    program.refresh_from_db()
    assert program.weekdays_mask == 0b1001
    assert program.open_seats == 12
    assert AuditEvent.objects.filter(action="group.created", object_id=str(group.pk)).exists()


def test_a_group_with_a_lesson_ending_before_it_starts_is_not_saved(client, personas):
    program = make_program(personas.org_a, "Без групп", status=S.DRAFT, with_group=False)
    client.force_login(personas.operator_a)
    response = client.post(
        reverse("office:group_create", args=[program.code]),
        group_data(
            schedule=[{"weekday": "1", "starts_at": "17:00", "ends_at": "16:00", "room": ""}],
            financing=[],
            capacity="0",
        ),
    )
    assert response.status_code == 200
    assert "позже, чем начинается" in " ".join(response.context["schedule"].forms[0].errors["ends_at"])
    assert "хотя бы одно место" in " ".join(response.context["form"].errors["capacity"])
    assert not Group.objects.exists()


def test_a_group_cannot_be_financed_in_a_way_the_program_does_not_offer(client, personas):
    program = make_program(personas.org_a, "Бесплатная", status=S.DRAFT, with_group=False)
    client.force_login(personas.operator_a)
    response = client.post(
        reverse("office:group_create", args=[program.code]),
        group_data(schedule=MONDAY_AND_THURSDAY, financing=[{"source": "paid", "cost_per_month": "2000"}]),
    )
    assert response.status_code == 200
    assert "не указан в условиях программы" in " ".join(response.context["financing"].non_form_errors())
    assert not Group.objects.exists()


def test_editing_a_groups_timetable_updates_the_programs_weekdays(client, personas, draft_program):
    group = draft_program.groups.get()
    assert draft_program.weekdays_mask == 0b101
    slots = list(group.schedule.order_by("weekday"))
    financing = group.financing.get()
    client.force_login(personas.operator_a)
    data = group_data(schedule=[], financing=[], name="Старшая группа", capacity="20")
    data.update(
        formset_data(
            "schedule",
            [
                {"id": slots[0].pk, "weekday": "0", "starts_at": "16:00", "ends_at": "17:30", "DELETE": "on"},
                {"id": slots[1].pk, "weekday": "2", "starts_at": "16:00", "ends_at": "17:30"},
                {"weekday": "5", "starts_at": "11:00", "ends_at": "12:30"},
            ],
            initial=2,
        )
    )
    data.update(formset_data("financing", [{"id": financing.pk, "source": "budget", "cost_per_month": "0"}], initial=1))
    response = client.post(reverse("office:group_edit", args=[group.code]), data)
    assert response.status_code == 302, response.context and response.context["form"].errors
    group.refresh_from_db()
    assert group.name == "Старшая группа"
    assert sorted(group.schedule.values_list("weekday", flat=True)) == [2, 5]
    draft_program.refresh_from_db()
    assert draft_program.weekdays_mask == 0b100100
    assert draft_program.open_seats == 20


def test_errors_raised_by_the_action_itself_land_next_to_what_they_concern(client, personas, monkeypatch):
    """The forms check first; what only the action can tell (a race, a rule of the domain) still shows."""
    program = make_program(personas.org_a, "Без групп", status=S.DRAFT, with_group=False)

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise ValidationError({"financing": "Условия программы изменились.", "name": "Занято.", "seats": "Нет мест."})

    monkeypatch.setattr(services, "save_group", refuse)
    client.force_login(personas.operator_a)
    response = client.post(
        reverse("office:group_create", args=[program.code]),
        group_data(schedule=MONDAY_AND_THURSDAY, financing=[{"source": "budget", "cost_per_month": "0"}]),
    )
    assert response.status_code == 200
    assert list(response.context["financing"].non_form_errors()) == ["Условия программы изменились."]
    assert response.context["form"].errors["name"] == ["Занято."]
    assert response.context["form"].non_field_errors() == ["Нет мест."]
    assert "Нет мест." in content(response)
