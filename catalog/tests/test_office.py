"""The back office («Кабинет»): who reaches which page, and that every write goes through the actions."""

import re
from datetime import time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, RoleAssignment
from catalog import services
from catalog.choice import CHOICES_SHOWN
from catalog.models import (
    Group,
    ModerationStatus,
    OrganizationUnit,
    OvzCategory,
    Program,
    ProgramRevision,
)
from core.models import AuditEvent
from core.testing import (
    archive_with_changes_that_fail,
    enroll_child,
    make_child,
    make_group,
    make_organization,
    make_program,
)
from enrollment import services as enrollment
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
        "academic_year": str(services.academic_year_of(start)),
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


def test_a_methodologist_finds_the_regions_programs_and_indicators(client, personas):
    client.force_login(personas.methodologist)
    page = content(client.get(reverse("office:home")))
    assert reverse("monitoring:dashboard") in page
    assert reverse("office:program_list") in page
    assert client.get(reverse("office:program_list")).status_code == 200


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
        ({"price_per_month": "500"}, "price_per_month", "для платной программы: отметьте «Платно»"),  # was dropped
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


def test_the_summary_names_a_group_of_boxes_none_of_which_is_ticked(client, personas):
    """«Стартовый уровень: Выберите хотя бы один уровень» read as if that box were required."""
    client.force_login(personas.operator_a)
    response = client.post(reverse("office:program_create"), program_data(level_initial=None, is_free=None))
    summary = error_summary(response)
    assert '<a href="#id_level_initial">Уровень</a>: Выберите хотя бы один уровень.' in summary
    assert '<a href="#id_is_free">Условия оплаты</a>: Укажите условия' in summary


def test_an_operator_of_several_organizations_chooses_among_their_own_only(client, personas):
    org_c = make_organization(personas.municipality_y, "Центр «Кванториум»")
    RoleAssignment.objects.create(user=personas.operator_a, role=Role.ORGANIZATION_OPERATOR, organization=org_c)
    client.force_login(personas.operator_a)
    create = reverse("office:program_create")
    choice = client.get(create)
    assert choice.context["choice"].matches == [personas.org_a, org_c]  # by name
    assert f'href="?organization={org_c.code}"' in content(choice)
    assert personas.org_b.short_name not in content(choice)
    # Another's organization by its code: visible to all, not theirs to add programs to.
    assert client.get(create, {"organization": personas.org_b.code}).status_code == 403
    assert client.post(f"{create}?organization={personas.org_b.code}", program_data()).status_code == 403
    assert client.get(create, {"organization": "NO-SUCH"}).status_code == 404
    # A choice made, the organization is the one in the address: a field posted beside it is not read.
    form_page = client.get(create, {"organization": org_c.code})
    assert "organization" not in form_page.context["form"].fields
    assert "Организация: <strong>Центр «Кванториум»</strong>" in content(form_page)
    client.post(f"{create}?organization={org_c.code}", program_data(organization=personas.org_b.pk))
    program = Program.objects.get()
    assert program.organization == org_c
    assert program.municipality == personas.municipality_y
    # Sent without a choice (a form kept open from before), nothing is created: the choice is asked for.
    again = client.post(create, program_data())
    assert again.context["choice"].matches == [personas.org_a, org_c]
    assert Program.objects.count() == 1


def test_an_administrator_finds_the_organization_and_gets_only_its_teachers(client, personas):
    for n in range(3):
        Teacher.objects.create(organization=personas.org_b, last_name=f"Чужой{n}", first_name="Педагог")
    own = Teacher.objects.create(organization=personas.org_a, last_name="Свой", first_name="Педагог")
    client.force_login(personas.admin)
    create = reverse("office:program_create")
    by_name = client.get(create, {"q": "радуга"})
    assert by_name.context["choice"].matches == [personas.org_a]
    assert client.get(create, {"q": personas.org_b.inn}).context["choice"].matches == [personas.org_b]
    assert client.get(create, {"q": personas.org_b.code.lower()}).context["choice"].matches == [personas.org_b]
    assert "Организаций не найдено" in content(client.get(create, {"q": "нет такой"}))
    for n in range(CHOICES_SHOWN):
        make_organization(personas.municipality_x, f"Школа № {n + 1}")
    first = client.get(create)
    assert len(first.context["choice"].matches) == CHOICES_SHOWN and first.context["choice"].total == CHOICES_SHOWN + 2
    assert f"показаны первые {CHOICES_SHOWN} по названию — уточните запрос" in content(first)
    form = client.get(create, {"organization": personas.org_a.code}).context["form"]
    assert list(form.fields["teachers"].queryset) == [own]
    response = client.post(
        f"{create}?organization={personas.org_a.code}", program_data(teachers=[own.pk], organization=personas.org_b.pk)
    )
    assert response.status_code == 302
    program = Program.objects.get()
    assert (program.organization, list(program.teachers.all())) == (personas.org_a, [own])


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


def test_taking_a_published_program_off_the_site_is_confirmed(client, personas, published_program):
    client.force_login(personas.municipal_x)
    page = content(client.get(reverse("office:program_detail", args=[published_program.code])))
    assert (
        f'<input type="checkbox" name="confirmed" value="yes" id="unpublish-{published_program.code}" required>' in page
    )
    response = post_status(client, published_program, "return", remark="Нарушены требования к описанию")
    assert "Отметьте, что программу нужно снять с публикации" in messages_of(response)[0]
    published_program.refresh_from_db()
    assert published_program.status == S.PUBLISHED
    post_status(client, published_program, "return", remark="Нарушены требования к описанию", confirmed="yes")
    published_program.refresh_from_db()
    assert published_program.status == S.NEEDS_CHANGES


def test_the_status_filter_and_counts_include_a_published_programs_changes(client, personas, published_program):
    services.save_program(personas.operator_a, published_program)  # nothing changed: no revision
    published_program.summary = "Новое описание для семей."
    services.save_program(personas.operator_a, published_program)
    services.change_program_status(personas.municipal_x, published_program, "return_changes", remark="Короче")
    client.force_login(personas.operator_a)
    listed = content(client.get(reverse("office:program_list"), {"status": "needs_changes"}))
    assert published_program.title in listed
    home = content(client.get(reverse("office:home")))
    assert re.search(r"status-needs_changes\">Ожидает правки</span> 1<", home)
    assert published_program.title not in content(client.get(reverse("office:program_list"), {"status": "draft"}))


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


def test_the_moderation_queue_is_filtered_by_kind_and_organization(client, personas, published_program):
    """A territory's queue runs to pages: a moderator picks the new programs, the changes, or one
    organization's (a new submission landed on the second page)."""
    new_a = make_program(personas.org_a, "Новая А", status=S.MODERATING)
    org_c = make_organization(personas.municipality_x, "Центр «Кванториум»")
    new_c = make_program(org_c, "Новая В", status=S.MODERATING)
    client.force_login(personas.operator_a)
    edit = reverse("office:program_edit", args=[published_program.code])
    client.post(edit, published_data(published_program, summary="Новый текст для семей."))
    client.force_login(personas.municipal_x)
    queue = reverse("office:moderation_queue")

    def listed(**filters):
        return [p.pk for p in client.get(queue, filters).context["page"].object_list]

    assert set(listed()) == {new_a.pk, new_c.pk, published_program.pk}
    assert set(listed(kind="new")) == {new_a.pk, new_c.pk}
    assert listed(kind="changes") == [published_program.pk]
    assert listed(organization=org_c.code) == [new_c.pk]
    assert listed(kind="changes", organization=org_c.code) == []
    page = content(client.get(queue, {"kind": "changes", "organization": org_c.code}))
    assert "По этому отбору ничего не ждёт проверки." in page and f'<option value="{org_c.code}" selected>' in page


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


# What a QA review found accepted in the groups of a program for 7–12 years at 1 500 ₽ a month (paid_program).


OVERLAPPING_TUESDAY = [
    {"weekday": "1", "starts_at": "15:00", "ends_at": "16:30", "room": ""},
    {"weekday": "1", "starts_at": "15:30", "ends_at": "17:00", "room": ""},
]
PAID_1500 = [{"source": "paid", "cost_per_month": "1500"}]


def error_summary(response: Any) -> str:
    page = content(response)
    start = page.rindex("<div", 0, page.index('id="form-errors"'))
    return page[start : page.index("</div>", start)]


def test_a_group_breaking_its_programs_rules_shows_each_mistake_at_its_field(client, personas, paid_program):
    client.force_login(personas.operator_a)
    response = client.post(
        reverse("office:group_create", args=[paid_program.code]),
        group_data(
            schedule=OVERLAPPING_TUESDAY,
            financing=[{"source": "paid", "cost_per_month": "0"}],
            age_from="3",
            age_to="17",
            academic_year="2031",
            start_date="2026-09-01",
            end_date="2027-05-31",
            capacity="100000",
        ),
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["age_from"] == errors["age_to"] == ["Возраст группы — в пределах возраста программы: 7–12 лет."]
    assert errors["academic_year"] == [
        "Учебный год не совпадает с датами: занятия начинаются 01.09.2026 — это 2026/27 учебный год, укажите 2026."
    ]
    assert errors["capacity"] == ["В группе — не больше 500 мест."]
    schedule, financing = response.context["schedule"], response.context["financing"]
    assert schedule.forms[1].errors["starts_at"] == ["Занятия группы пересекаются: Вт 15:00–16:30 и Вт 15:30–17:00."]
    assert financing.forms[0].errors["cost_per_month"] == [
        "Укажите стоимость в месяц больше нуля: источник «Платно» оплачивается."
    ]
    summary = error_summary(response)
    for anchor in ("id_age_from", "id_age_to", "id_academic_year", "id_capacity"):
        assert f'href="#{anchor}"' in summary
    assert '<a href="#id_schedule-1-starts_at">Занятие 2, начало</a>' in summary
    assert '<a href="#id_financing-0-cost_per_month">Источник 1, стоимость в месяц, ₽</a>' in summary
    assert not Group.objects.exists()


def test_the_summary_appears_when_only_a_row_failed_and_takes_the_focus(client, personas, paid_program):
    """The timetable and financing are far down a long page: the summary at the top names them."""
    client.force_login(personas.operator_a)
    response = client.post(
        reverse("office:group_create", args=[paid_program.code]),
        group_data(schedule=OVERLAPPING_TUESDAY, financing=PAID_1500),
    )
    assert not response.context["form"].errors
    summary = error_summary(response)
    assert "Не сохранено: исправьте ошибки" in summary and 'role="alert"' in summary and 'tabindex="-1"' in summary
    assert 'href="#id_schedule-1-starts_at"' in summary
    assert "catalog/form_errors.js" in content(response)
    assert "Проверьте расписание и финансирование" not in content(response)
    assert not Group.objects.exists()


def test_a_group_needs_a_financing_source(client, personas, paid_program):
    client.force_login(personas.operator_a)
    response = client.post(
        reverse("office:group_create", args=[paid_program.code]),
        group_data(schedule=MONDAY_AND_THURSDAY, financing=[{"source": "", "cost_per_month": ""}]),
    )
    message = "Укажите хотя бы один источник финансирования: бесплатно, по сертификату или платно."
    assert list(response.context["financing"].non_form_errors()) == [message]
    assert f'<a href="#financing">Финансирование</a>: {message}' in error_summary(response)
    assert 'id="financing"' in content(response)
    assert not Group.objects.exists()


@pytest.fixture
def free_and_paid_program(personas) -> Program:
    """A draft of organization A, free and paid (900 ₽ a month), without groups."""
    return make_program(
        personas.org_a, "Две формы", status=S.DRAFT, with_group=False, is_paid=True, price_per_month=900
    )


def test_a_free_source_takes_no_cost_and_a_paid_one_needs_it(client, personas, free_and_paid_program):
    client.force_login(personas.operator_a)
    url = reverse("office:group_create", args=[free_and_paid_program.code])
    rows = [{"source": "budget", "cost_per_month": "500"}, {"source": "paid", "cost_per_month": ""}]
    response = client.post(url, group_data(schedule=[], financing=rows))
    financing = response.context["financing"]
    assert financing.forms[0].errors["cost_per_month"] == [
        "Бесплатный источник — без стоимости: укажите 0 или оставьте поле пустым."
    ]
    assert "больше нуля" in financing.forms[1].errors["cost_per_month"][0]
    rows = [{"source": "budget", "cost_per_month": ""}, {"source": "paid", "cost_per_month": "900"}]
    assert client.post(url, group_data(schedule=[], financing=rows)).status_code == 302
    assert sorted(Group.objects.get().financing.values_list("source", "cost_per_month")) == [
        ("budget", Decimal(0)),
        ("paid", Decimal(900)),
    ]


def test_a_group_may_be_saved_before_its_timetable_is_known(client, personas, paid_program):
    client.force_login(personas.operator_a)
    response = client.post(
        reverse("office:group_create", args=[paid_program.code]), group_data(schedule=[], financing=PAID_1500)
    )
    assert response.status_code == 302
    assert not Group.objects.get(program=paid_program).schedule.exists()


def test_saving_a_group_says_so_without_nested_quotes(client, personas, paid_program):
    client.force_login(personas.operator_a)
    response = client.post(
        reverse("office:group_create", args=[paid_program.code]),
        group_data(schedule=[], financing=PAID_1500, name="Группа «Инженеры»"),
        follow=True,
    )
    assert messages_of(response) == ["Группа сохранена: Группа «Инженеры»."]


def test_the_new_group_form_starts_in_the_current_academic_year(client, personas, paid_program):
    client.force_login(personas.operator_a)
    response = client.get(reverse("office:group_create", args=[paid_program.code]))
    year = services.planned_academic_year(timezone.localdate())
    assert response.context["form"]["academic_year"].value() == year
    assert f'name="academic_year" value="{year}"' in content(response)
    assert "в пределах 7–12 лет" in content(response)


def test_selects_offer_a_russian_empty_choice(client, personas, paid_program):

    OrganizationUnit.objects.create(organization=personas.org_a, kind="it_cube", name="IT-куб")
    Teacher.objects.create(organization=personas.org_a, last_name="Петров", first_name="Пётр")
    client.force_login(personas.operator_a)
    program_page = content(client.get(reverse("office:program_create")))
    group_page = content(client.get(reverse("office:group_create", args=[paid_program.code])))
    assert "---------" not in program_page + group_page
    assert '<option value="" selected>— выберите —</option>' in program_page  # direction: required
    assert '<option value="" selected>— не выбрано —</option>' in program_page  # unit: optional
    assert '<option value="" selected>— не выбрано —</option>' in group_page  # teacher: optional


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"hours_total": "99999999999"}, "hours_total", "Объём программы — не больше 10\u00a0000 часов."),
        ({"duration_months": "121"}, "duration_months", "Срок освоения — не больше 120 месяцев (10 лет)."),
        (
            {"is_paid": "on", "price_per_month": "1000001"},
            "price_per_month",
            "Стоимость — не больше 1\u00a0000\u00a0000\u00a0₽ в месяц.",
        ),
        (
            {"is_paid": "on", "price_per_month": "0"},
            "price_per_month",
            "Стоимость платной программы должна быть больше нуля.",
        ),
        # The field's own message only: not also «укажите стоимость» for the price it could not read.
        ({"is_paid": "on", "price_per_month": "1e15"}, "price_per_month", "Убедитесь, что вы ввели не более 10 цифр."),
    ],
)
def test_a_program_beyond_realistic_limits_gets_one_message_at_the_field(client, personas, changes, field, message):
    client.force_login(personas.operator_a)
    response = client.post(reverse("office:program_create"), program_data(**changes))
    assert response.context["form"].errors == {field: [message]}
    assert f'href="#id_{field}"' in error_summary(response)
    assert not Program.objects.exists()


def test_the_edit_page_shows_the_moderators_remark_to_fix(client, personas):
    program = make_program(personas.org_a, "Вернули на доработку", status=S.NEEDS_CHANGES)
    client.force_login(personas.operator_a)
    page = content(client.get(reverse("office:program_edit", args=[program.code])))
    assert "Замечание модератора:</strong> Уточните описание" in page
    draft = make_program(personas.org_a, "Черновик", status=S.DRAFT)
    Program.objects.filter(pk=draft.pk).update(moderation_remark="Старое замечание")
    assert "Замечание модератора" not in content(client.get(reverse("office:program_edit", args=[draft.code])))
    # Sent again, the program shows the moderator what was asked last time, as such.
    Program.objects.filter(pk=draft.pk).update(status=S.MODERATING)
    detail = content(client.get(reverse("office:program_detail", args=[draft.code])))
    assert "Прошлое замечание модератора:</strong> Старое замечание" in detail


def test_saving_a_program_says_so_without_nested_quotes(client, personas):
    client.force_login(personas.operator_a)
    response = client.post(
        reverse("office:program_create"), program_data(title="QA Тестовая программа «Юный программист»"), follow=True
    )
    assert messages_of(response) == ["Программа сохранена: QA Тестовая программа «Юный программист»."]


# Moderation of what families read: edits of programs on moderation and of published ones.


def published_data(program: Program, **changes: Any) -> dict[str, Any]:
    """The form as the published_program fixture fills it, with `changes`."""
    same = {
        "title": program.title,
        "summary": program.summary,
        "description": program.description,
        "level_initial": None,
        "level_basic": "on",
        "age_from": "7",
        "age_to": "14",
        "hours_total": "144",
        "duration_months": "9",
    }
    return program_data(**{**same, **changes})


def test_a_program_on_moderation_cannot_be_edited_and_the_page_says_why(client, personas):
    program = make_program(personas.org_a, "На проверке", status=S.MODERATING)
    client.force_login(personas.operator_a)
    edit = reverse("office:program_edit", args=[program.code])
    response = client.get(edit)
    assert response.status_code == 409
    page = content(response)
    assert "Программа на модерации: изменить её можно после решения модератора" in page
    assert reverse("office:program_detail", args=[program.code]) in page  # the way back
    assert "Отозвать с модерации" in page and "Ничего не сохранено" not in page  # nothing was sent
    response = client.post(edit, program_data(summary="Текст, которого модератор не видел."))
    assert response.status_code == 409 and "Ничего не сохранено" in content(response)
    program.refresh_from_db()
    assert program.summary != "Текст, которого модератор не видел." and program.status == S.MODERATING
    detail = content(client.get(reverse("office:program_detail", args=[program.code])))
    assert reverse("office:program_edit", args=[program.code]) not in detail


def test_the_operator_withdraws_a_program_from_moderation_to_edit_it(client, personas):
    program = make_program(personas.org_a, "На проверке", status=S.MODERATING)
    client.force_login(personas.operator_a)
    post_status(client, program, "withdraw")
    program.refresh_from_db()
    assert program.status == S.DRAFT
    assert AuditEvent.objects.filter(action="program.withdraw", actor=personas.operator_a).exists()
    assert client.get(reverse("office:program_edit", args=[program.code])).status_code == 200


def test_an_archived_program_and_its_groups_open_read_only_offering_to_restore_it(client, personas, published_program):
    group = published_program.groups.get()
    services.change_program_status(personas.operator_a, published_program, "archive")
    before = Program.objects.filter(pk=published_program.pk).values().get()
    client.force_login(personas.operator_a)
    edit = reverse("office:program_edit", args=[published_program.code])
    response = client.get(edit)
    assert response.status_code == 409
    page = content(response)
    assert "Программа в архиве: чтобы изменить её, верните её из архива в черновики." in page
    assert "Вернуть из архива в черновики" in page and 'name="summary"' not in page  # no form
    response = client.post(edit, published_data(published_program, summary="Текст после архива."))
    assert response.status_code == 409 and "Ничего не сохранено" in content(response)
    assert Program.objects.filter(pk=published_program.pk).values().get() == before

    for url in (
        reverse("office:group_create", args=[published_program.code]),
        reverse("office:group_edit", args=[group.code]),
    ):
        page = content(client.get(url))
        assert "Программа в архиве: чтобы изменить её группы, верните её из архива в черновики." in page
        response = client.post(
            url, group_data(schedule=MONDAY_AND_THURSDAY, financing=[{"source": "budget", "cost_per_month": "0"}])
        )
        assert response.status_code == 409 and "Ничего не сохранено" in content(response)
    assert list(published_program.groups.all()) == [group]
    assert Group.objects.get(pk=group.pk).updated_at == group.updated_at

    detail = content(client.get(reverse("office:program_detail", args=[published_program.code])))
    for link in (
        edit,
        reverse("office:group_create", args=[published_program.code]),
        reverse("office:group_edit", args=[group.code]),
    ):
        assert link not in detail, link
    assert "Программа в архиве: чтобы изменить её, верните её из архива в черновики." in detail
    post_status(client, published_program, "restore")
    assert client.get(edit).status_code == 200
    assert client.get(reverse("office:group_edit", args=[group.code])).status_code == 200


def test_the_changes_an_archived_program_keeps_are_shown_and_join_the_draft_on_restoring(
    client, personas, published_program
):
    approved = published_program.summary
    client.force_login(personas.operator_a)
    edit = reverse("office:program_edit", args=[published_program.code])
    client.post(edit, published_data(published_program, summary="Текст, которого модератор не видел."))
    archive = reverse("office:program_archive", args=[published_program.code])
    assert "модератор их не проверит" in content(client.get(archive))
    client.post(archive, {"confirmed": "yes"})
    published_program.refresh_from_db()
    assert (published_program.status, published_program.summary) == (S.ARCHIVED, approved)

    detail = content(client.get(reverse("office:program_detail", args=[published_program.code])))
    assert "Изменения, сохранённые в архиве" in detail and "Текст, которого модератор не видел." in detail
    assert "Отправить изменения на модерацию" not in detail and "Отменить изменения" in detail
    # The moderator's queue of changes lists what waits for a decision: not the changes kept in the archive.
    client.force_login(personas.municipal_x)
    queue = client.get(reverse("office:moderation_queue"), {"kind": "changes"})
    assert list(queue.context["page"].object_list) == []
    assert client.get(reverse("office:home")).context["queue_size"] == 0

    client.force_login(personas.operator_a)
    post_status(client, published_program, "restore")
    published_program.refresh_from_db()
    assert (published_program.status, published_program.summary) == (S.DRAFT, "Текст, которого модератор не видел.")
    assert not ProgramRevision.objects.exists()


def test_restoring_with_kept_changes_that_no_longer_pass_tells_the_organization_to_drop_them(
    client, personas, published_program
):
    archive_with_changes_that_fail(personas.operator_a, published_program)
    client.force_login(personas.operator_a)
    response = post_status(client, published_program, "restore")
    [message] = messages_of(response)
    assert message.startswith("Изменения, сохранённые с программой в архиве, не проходят проверку")
    assert "«Отменить изменения»" in message and "Верните их на доработку" not in message
    assert "Отменить изменения" in content(response)  # the button it names is on the page
    assert Program.objects.get(pk=published_program.pk).status == S.ARCHIVED

    post_status(client, published_program, "discard_changes", confirmed="yes")
    post_status(client, published_program, "restore")
    assert Program.objects.get(pk=published_program.pk).status == S.DRAFT


# An archived program's group nobody is in is switched off from the program's page.


def switch_off(client: Any, group: Group) -> Any:
    return client.post(reverse("office:group_switch_off", args=[group.code]), follow=True)


def test_the_organization_switches_off_an_archived_programs_group_nobody_is_in(client, personas, published_program):
    group = published_program.groups.get()
    client.force_login(personas.operator_a)
    detail = reverse("office:program_detail", args=[published_program.code])
    button = reverse("office:group_switch_off", args=[group.code])
    assert button not in content(client.get(detail))  # a program not archived: its group's form does it
    services.change_program_status(personas.operator_a, published_program, "archive")
    page = content(client.get(detail))
    assert f'action="{button}"' in page and "Группу без зачисленных детей и ждущих заявок можно выключить" in page

    response = switch_off(client, group)
    assert response.redirect_chain[-1][0] == detail
    assert messages_of(response) == [f"Группа выключена: {group.name}."]
    assert Group.objects.get(pk=group.pk).is_active is False
    assert AuditEvent.objects.filter(
        action="group.updated", actor=personas.operator_a, object_id=str(group.pk)
    ).exists()
    page = content(response)
    assert "не действует" in page and button not in page


def test_a_group_of_an_archived_program_with_a_child_in_it_is_not_switched_off(client, personas, published_program):
    group = published_program.groups.get()
    enroll_child(published_program, personas, "Маша")
    services.change_program_status(personas.operator_a, published_program, "archive")
    client.force_login(personas.operator_a)
    page = content(client.get(reverse("office:program_detail", args=[published_program.code])))
    assert reverse("office:group_switch_off", args=[group.code]) not in page
    response = switch_off(client, group)  # a page opened before the child was enrolled
    assert messages_of(response) == [services.GROUP_IN_USE.format(name=group.name)]
    assert Group.objects.get(pk=group.pk).is_active is True


@pytest.mark.parametrize(("persona", "status"), [("operator_b", 404), ("teacher_a", 403), ("municipal_x", 403)])
def test_only_the_organization_switches_off_its_archived_programs_group(
    client, personas, published_program, persona, status
):
    group = published_program.groups.get()
    services.change_program_status(personas.operator_a, published_program, "archive")
    client.force_login(getattr(personas, persona))
    assert client.post(reverse("office:group_switch_off", args=[group.code])).status_code == status
    assert client.get(reverse("office:group_switch_off", args=[group.code])).status_code == 405
    if status == 403:
        page = content(client.get(reverse("office:program_detail", args=[published_program.code])))
        assert reverse("office:group_switch_off", args=[group.code]) not in page
    assert Group.objects.get(pk=group.pk).is_active is True


def test_a_guest_is_sent_to_sign_in_to_switch_off_a_group(client, personas, published_program):
    group = published_program.groups.get()
    services.change_program_status(personas.operator_a, published_program, "archive")
    response = client.post(reverse("office:group_switch_off", args=[group.code]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
    assert Group.objects.get(pk=group.pk).is_active is True


def test_the_edit_form_of_a_published_program_warns_before_saving(client, personas, published_program, draft_program):
    client.force_login(personas.operator_a)
    page = content(client.get(reverse("office:program_edit", args=[published_program.code])))
    assert "После сохранения программа снова уйдёт на модерацию" in page
    page = content(client.get(reverse("office:program_edit", args=[draft_program.code])))
    assert "снова уйдёт на модерацию" not in page


def test_editing_a_published_program_sends_the_changes_to_moderation_and_families_see_the_old_text(
    client, personas, published_program
):
    approved = published_program.summary
    client.force_login(personas.operator_a)
    response = client.post(
        reverse("office:program_edit", args=[published_program.code]),
        published_data(published_program, summary="Новый текст для семей."),
        follow=True,
    )
    assert any("Изменения отправлены на модерацию" in m for m in messages_of(response))
    published_program.refresh_from_db()
    assert published_program.status == S.PUBLISHED and published_program.summary == approved
    assert ProgramRevision.objects.get(program=published_program).values == {"summary": "Новый текст для семей."}
    public = content(client.get(reverse("navigator:program", args=[published_program.code])))
    assert approved in public and "Новый текст для семей." not in public
    # Locked now: the moderator sees exactly this; the page offers to withdraw them.
    locked = client.get(reverse("office:program_edit", args=[published_program.code]))
    assert locked.status_code == 409 and "Отозвать изменения с модерации" in content(locked)

    client.force_login(personas.municipal_x)
    detail = content(client.get(reverse("office:program_detail", args=[published_program.code])))
    assert "Новый текст для семей." in detail and "Опубликовать изменения" in detail
    post_status(client, published_program, "approve_changes")
    published_program.refresh_from_db()
    assert published_program.summary == "Новый текст для семей."
    assert "Новый текст для семей." in content(client.get(reverse("navigator:program", args=[published_program.code])))


def test_the_form_shows_returned_changes_and_saving_sends_them_back(client, personas, published_program):
    client.force_login(personas.operator_a)
    edit = reverse("office:program_edit", args=[published_program.code])
    client.post(edit, published_data(published_program, summary="Черновая правка."))
    client.force_login(personas.municipal_x)
    post_status(client, published_program, "return_changes", remark="Уберите жаргон")
    client.force_login(personas.operator_a)
    page = content(client.get(edit))
    assert "Черновая правка." in page and "Уберите жаргон" in page
    client.post(edit, published_data(published_program, summary="Чистовая правка."))
    revision = ProgramRevision.objects.get()
    assert (revision.status, revision.values) == (S.MODERATING, {"summary": "Чистовая правка."})


def test_discarding_changes_needs_the_box_ticked(client, personas, published_program):
    client.force_login(personas.operator_a)
    client.post(
        reverse("office:program_edit", args=[published_program.code]),
        published_data(published_program, summary="Лишняя правка."),
    )
    response = post_status(client, published_program, "discard_changes")
    assert any("Отметьте" in m for m in messages_of(response))
    assert ProgramRevision.objects.exists()
    post_status(client, published_program, "discard_changes", confirmed="yes")
    assert not ProgramRevision.objects.exists()


def test_the_queue_is_served_by_submission_time_and_shows_it(client, personas, published_program):
    first = make_program(personas.org_a, "Первая", status=S.MODERATING)
    second = make_program(personas.org_a, "Вторая", status=S.MODERATING)
    now = timezone.now()
    Program.objects.filter(pk=first.pk).update(submitted_at=now - timedelta(days=3), updated_at=now)
    Program.objects.filter(pk=second.pk).update(
        submitted_at=now - timedelta(days=2), updated_at=now - timedelta(days=5)
    )
    client.force_login(personas.operator_a)
    client.post(
        reverse("office:program_edit", args=[published_program.code]),
        published_data(published_program, summary="Правка опубликованной."),
    )
    ProgramRevision.objects.update(submitted_at=now - timedelta(days=1))
    client.force_login(personas.municipal_x)
    response = client.get(reverse("office:moderation_queue"))
    queue = [item["program"].pk for item in response.context["items"]]
    assert queue == [first.pk, second.pk, published_program.pk]
    page = content(response)
    assert f"отправлена {timezone.localtime(now - timedelta(days=3)):%d.%m.%Y %H:%M}" in page
    assert "Изменения опубликованной программы" in page and "Кратко о программе" in page
    assert "Опубликовать изменения" in page and "Что нужно исправить в изменениях" in page
    assert client.get(reverse("office:home")).context["queue_size"] == 3


def test_the_remark_of_a_return_stands_on_its_own_row_in_the_queue(client, personas):
    make_program(personas.org_a, "На проверке", status=S.MODERATING)
    client.force_login(personas.municipal_x)
    page = content(client.get(reverse("office:moderation_queue")))
    form = page[page.index('class="transition transition-remark"') :]
    form = form[: form.index("</form>")]
    assert form.index("Что нужно исправить</label>") < form.index("<textarea") < form.index("Вернуть на доработку")


@pytest.mark.parametrize("persona", ["operator_a", "municipal_x"])
def test_archiving_is_confirmed_on_a_page_that_counts_groups_and_children(client, personas, published_program, persona):
    enroll_child(published_program, personas, "Маша")
    enrollment.apply(personas.family, make_child(personas.family, "Петя"), published_program, None, "key-wait")
    client.force_login(getattr(personas, persona))
    detail = content(client.get(reverse("office:program_detail", args=[published_program.code])))
    archive = reverse("office:program_archive", args=[published_program.code])
    assert f'href="{archive}"' in detail  # a link to the confirmation, not a button that acts

    response = post_status(client, published_program, "archive")  # a bare POST only leads there
    assert response.redirect_chain[-1][0] == archive
    published_program.refresh_from_db()
    assert published_program.status == S.PUBLISHED

    page = content(client.get(archive))
    assert "Групп: 1, из них действуют 1" in page
    assert "Зачислено детей: <strong>1</strong>" in page
    assert "Заявок ждут решения: <strong>1</strong>" in page
    assert 'type="checkbox" name="confirmed" value="yes" id="archive-confirmed" required' in page

    response = client.post(archive, {}, follow=True)
    assert any("Отметьте" in m for m in messages_of(response))
    published_program.refresh_from_db()
    assert published_program.status == S.PUBLISHED

    client.post(archive, {"confirmed": "yes", "remark": " Программа больше не реализуется. "})
    published_program.refresh_from_db()
    assert published_program.status == S.ARCHIVED
    assert AuditEvent.objects.filter(action="program.archive", actor=getattr(personas, persona)).exists()
    # The reason is read on the program and in its history.
    detail = content(client.get(reverse("office:program_detail", args=[published_program.code])))
    assert "<strong>Причина переноса в архив:</strong> Программа больше не реализуется." in detail
    assert published_program.moderation_remark == "Программа больше не реализуется."


def test_who_reaches_the_archive_page(client, personas, published_program):
    archive = reverse("office:program_archive", args=[published_program.code])
    client.force_login(personas.operator_b)
    assert client.get(archive).status_code == 404
    assert client.post(archive, {"confirmed": "yes"}).status_code == 404
    client.force_login(personas.municipal_y)
    assert client.get(archive).status_code == 404
    client.force_login(personas.teacher_a)
    assert client.get(archive).status_code == 403
    client.force_login(personas.family)
    assert client.get(archive).status_code == 403
    assert client.post(archive, {"confirmed": "yes"}).status_code == 403
    published_program.refresh_from_db()
    assert published_program.status == S.PUBLISHED


def test_a_family_gets_403_on_the_office_pages_of_a_program(client, personas, published_program):
    client.force_login(personas.family)
    for url in (
        reverse("office:program_detail", args=[published_program.code]),
        reverse("office:program_edit", args=[published_program.code]),
    ):
        assert client.get(url).status_code == 403, url
    assert post_status(client, published_program, "archive").status_code == 403


@pytest.mark.parametrize("persona", ["operator_a", "municipal_x"])
def test_the_program_page_tells_its_history(client, personas, persona):
    program = make_program(personas.org_a, "Шахматы", status=S.DRAFT, actor=personas.operator_a)
    services.change_program_status(personas.operator_a, program, "submit")
    services.change_program_status(personas.municipal_x, program, "return", remark="Добавьте результаты")
    client.force_login(getattr(personas, persona))
    page = content(client.get(reverse("office:program_detail", args=[program.code])))
    history = page[page.index('id="history-heading"') :]
    assert "Программа возвращена на доработку" in history and "Добавьте результаты" in history
    assert "municipal-x Тест" in history and "operator-a Тест" in history
    assert history.index("Программа возвращена на доработку") < history.index("Программа отправлена на модерацию")


def test_the_list_marks_programs_with_changes_and_shows_the_remark_on_them(
    client, personas, published_program, django_assert_max_num_queries
):
    client.force_login(personas.operator_a)
    client.post(
        reverse("office:program_edit", args=[published_program.code]),
        published_data(published_program, summary="Правка."),
    )
    client.force_login(personas.municipal_x)
    post_status(client, published_program, "return_changes", remark="Слишком коротко")
    make_program(personas.org_a, "Ещё одна")
    client.force_login(personas.operator_a)
    with django_assert_max_num_queries(8):
        page = content(client.get(reverse("office:program_list")))
    assert "изменения: ожидают правки" in page and "Замечание модератора к изменениям:</strong> Слишком коротко" in page


def test_a_source_given_twice_is_named_in_russian_and_a_row_without_a_source_is_dropped(
    client, personas, free_and_paid_program
):
    client.force_login(personas.operator_a)
    url = reverse("office:group_create", args=[free_and_paid_program.code])
    twice = [{"source": "budget", "cost_per_month": ""}, {"source": "budget", "cost_per_month": ""}]
    response = client.post(url, group_data(schedule=[], financing=twice))
    assert list(response.context["financing"].non_form_errors()) == [
        "Каждый источник финансирования указывается один раз."
    ]
    assert "повторяющ" not in content(response) and not Group.objects.exists()  # Django's words, naming "source"
    # The row offered for the paid source, its source taken away and its cost left: no source of the group.
    rows = [{"source": "budget", "cost_per_month": ""}, {"source": "", "cost_per_month": "900"}]
    assert client.post(url, group_data(schedule=[], financing=rows)).status_code == 302
    assert list(Group.objects.get().financing.values_list("source", flat=True)) == ["budget"]


def test_ovz_categories_without_the_adaptation_are_refused_with_a_reason(client, personas, draft_program):
    client.force_login(personas.operator_a)
    category = OvzCategory.objects.first()
    response = client.post(
        reverse("office:program_edit", args=[draft_program.code]), program_data(ovz_categories=[category.pk])
    )
    assert response.context["form"].errors["ovz_categories"] == [
        "Категории указываются для программы, адаптированной для детей с ОВЗ: отметьте "
        "«Адаптирована для детей с ОВЗ» или снимите категории."
    ]
    assert not draft_program.ovz_categories.exists()


def test_a_negative_volume_is_named_as_zero_is(client, personas, draft_program):
    client.force_login(personas.operator_a)
    url = reverse("office:program_edit", args=[draft_program.code])
    for value in ("0", "-5"):
        errors = client.post(url, program_data(hours_total=value, duration_months=value)).context["form"].errors
        assert errors["hours_total"] == ["Объём программы должен быть больше нуля."], value
        assert errors["duration_months"] == ["Срок освоения должен быть больше нуля."], value


def test_a_new_group_starts_with_a_financing_row_for_each_way_its_program_is_paid_for(client, personas):
    program = make_program(
        personas.org_a,
        "Керамика",
        status="draft",
        is_free=True,
        is_paid=True,
        price_per_month=Decimal("1500"),
        with_group=False,
    )
    client.force_login(personas.operator_a)
    financing = client.get(reverse("office:group_create", args=[program.code])).context["financing"]
    rows = [(form["source"].value(), form["cost_per_month"].value()) for form in financing.forms]
    assert rows == [("budget", None), ("paid", Decimal("1500"))]
    program.is_paid, program.price_per_month = False, None
    program.save()
    financing = client.get(reverse("office:group_create", args=[program.code])).context["financing"]
    assert [form["source"].value() for form in financing.forms] == ["budget"]


def test_the_group_form_marks_required_fields_but_not_on_the_spare_rows(client, personas, published_program):
    group = published_program.groups.get()
    client.force_login(personas.operator_a)
    page = content(client.get(reverse("office:group_edit", args=[group.code])))
    assert re.search(r'<div class="field[^"]*\brequired\b[^"]*">\s*<label for="id_name"', page)
    for row in range(group.schedule.count() + 2):  # the lessons, then two spare rows
        weekday = re.search(rf'<div class="field([^"]*)">\s*<label for="id_schedule-{row}-weekday"', page)
        assert weekday is not None and ("required" in weekday[1]) == (row < group.schedule.count()), row
    # The spare financing source shows no cost (the model's 0 would read as a price).
    spare = group.financing.count()
    cost = re.search(rf'<input[^>]*name="financing-{spare}-cost_per_month"[^>]*>', page)
    assert cost is not None and "value=" not in cost[0]


def test_a_form_sent_again_makes_no_second_program_or_group(client, personas, paid_program):
    client.force_login(personas.operator_a)
    assert client.post(reverse("office:program_create"), program_data()).status_code == 302
    # «Back», then «Save» again; the same title in other letters' case is the same program too.
    again = client.post(reverse("office:program_create"), program_data(title=program_data()["title"].upper()))
    first = Program.objects.get(organization=personas.org_a, title=program_data()["title"])
    assert again.context["form"].errors["title"] == [
        f"В организации уже есть программа «{first.title}» ({first.code}): откройте её или назовите новую иначе."
    ]
    data = group_data(schedule=MONDAY_AND_THURSDAY, financing=[{"source": "paid", "cost_per_month": "1500"}])
    url = reverse("office:group_create", args=[paid_program.code])
    assert client.post(url, data).status_code == 302
    again = client.post(url, {**data, "name": "группа ВЫХОДНОГО дня"})  # the same name, whatever its case
    assert "В программе уже есть группа «Группа выходного дня» на этот учебный год" in content(again)
    assert paid_program.groups.filter(name="Группа выходного дня").count() == 1
    # Archived, a program's title is free again.
    Program.objects.filter(pk=first.pk).update(status=ModerationStatus.ARCHIVED)
    assert client.post(reverse("office:program_create"), program_data()).status_code == 302


def test_renaming_a_program_to_the_title_of_another_is_refused(client, personas, draft_program):
    other = make_program(personas.org_a, "Акварель", status=S.DRAFT)
    client.force_login(personas.operator_a)
    url = reverse("office:program_edit", args=[draft_program.code])
    response = client.post(url, program_data(title="АКВАРЕЛЬ"))
    assert response.context["form"].errors["title"] == [
        f"В организации уже есть программа «Акварель» ({other.code}): откройте её или назовите новую иначе."
    ]
    assert client.post(url, program_data(title=draft_program.title, summary="Новое описание.")).status_code == 302


def test_negative_seats_or_hours_of_a_group_read_as_zero_does(client, personas, paid_program):
    client.force_login(personas.operator_a)
    url = reverse("office:group_create", args=[paid_program.code])
    for value in ("0", "-3"):
        data = group_data(schedule=[], financing=[{"source": "paid", "cost_per_month": "1500"}])
        errors = client.post(url, {**data, "capacity": value, "hours_per_year": value}).context["form"].errors
        assert errors["capacity"] == ["В группе должно быть хотя бы одно место."], value
        assert errors["hours_per_year"] == ["Часов в год должно быть больше нуля."], value


def test_the_program_page_says_which_groups_its_free_seats_are_counted_in(client, personas, published_program):
    group = published_program.groups.get()
    published_program.refresh_from_db()
    assert published_program.open_seats == group.capacity - group.seats_taken > 0
    client.force_login(personas.operator_a)
    html = client.get(reverse("office:program_detail", args=[published_program.code])).content.decode()
    assert f"<dt>Свободных мест в группах с открытым приёмом</dt><dd>{published_program.open_seats}</dd>" in html
    # Archived, it takes no applications: no seats are offered.
    services.change_program_status(personas.operator_a, published_program, "archive")
    html = client.get(reverse("office:program_detail", args=[published_program.code])).content.decode()
    assert "Свободных мест в группах" not in html
