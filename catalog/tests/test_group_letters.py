"""Families are told when their child's group changes where, when or with whom it meets (catalog.group_letters):
one letter to each family with a child enrolled in the group or waiting for it, saying what was and what is now,
whichever way the group was changed — the office, the API, the admin."""

from datetime import date, time, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog import services
from catalog.group_letters import timetable, ways_of_paying
from catalog.models import Group
from catalog.tests.test_api import send
from core.models import AuditEvent
from core.testing import enroll_child, make_child, make_program, make_user
from enrollment import services as enrollment
from enrollment.models import Application
from people.models import Child, Guardian, Teacher

pytestmark = pytest.mark.django_db


@pytest.fixture
def program(personas):
    """A published program of organization A with one group, a child of the persona family enrolled in it."""
    program = make_program(personas.org_a, "Робототехника")
    enroll_child(program, personas, "Маша")
    return program


def group_of(program) -> Group:
    return Group.objects.get(program=program)


def letters_to(mailoutbox, email):
    return [letter for letter in mailoutbox if letter.to == [email]]


def test_a_new_address_is_told_to_the_family_with_what_was_and_what_is(
    personas, program, mailoutbox, django_capture_on_commit_callbacks
):
    group = group_of(program)
    before = group.address
    group.address = "г. Энск, ул. Садовая, д. 5"
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.save_group(personas.operator_a, group)
    [letter] = letters_to(mailoutbox, personas.family.email)
    assert letter.subject == f"Группа «{group.name}»: изменения в занятиях"
    assert f"— Адрес занятий: было «{before}», теперь «г. Энск, ул. Садовая, д. 5»." in letter.body
    assert "Робототехника" in letter.body and personas.org_a.short_name in letter.body
    assert len(mailoutbox) == 1  # nobody else is in the group
    [event] = AuditEvent.objects.filter(action="group.updated", object_id=str(group.pk))
    assert event.data["families_told"] == 1


def test_a_new_timetable_dates_and_teacher_are_told_in_one_letter(
    personas, program, mailoutbox, django_capture_on_commit_callbacks
):
    group = group_of(program)
    teacher = Teacher.objects.create(organization=personas.org_a, last_name="Иванова", first_name="Анна")
    group.teacher = teacher
    was = group.end_date
    group.end_date -= timedelta(days=30)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.save_group(
            personas.operator_a, group, schedule=[services.Slot(1, time(15, 0), time(16, 30), "каб. 12")]
        )
    [letter] = letters_to(mailoutbox, personas.family.email)
    assert f"— Окончание занятий: было «{was:%d.%m.%Y}», теперь «{group.end_date:%d.%m.%Y}»." in letter.body
    assert f"— Педагог: было «не указан», теперь «{teacher}»." in letter.body
    assert "— Расписание: было «Пн 16:00–17:30; Ср 16:00–17:30», теперь «Вт 15:00–16:30 (каб. 12)»." in letter.body


def test_a_waiting_family_is_told_and_one_that_left_is_not(
    personas, program, mailoutbox, django_capture_on_commit_callbacks
):
    group = group_of(program)
    waiting_family = make_user("waiting@opora.test", "guardian")
    enrollment.apply(waiting_family, make_child(waiting_family, "Петя"), program, group, "key-wait")
    gone_family = make_user("gone@opora.test", "guardian")
    gone = enrollment.apply(gone_family, make_child(gone_family, "Коля"), program, group, "key-gone")
    enrollment.change_status(gone_family, gone, "cancel")
    group.address = "г. Энск, ул. Садовая, д. 5"
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.save_group(personas.operator_a, group)
    assert sorted(letter.to[0] for letter in mailoutbox) == ["family@opora.test", "waiting@opora.test"]


def test_what_families_do_not_plan_by_tells_nobody(personas, program, mailoutbox, django_capture_on_commit_callbacks):
    group = group_of(program)
    group.name, group.capacity = "Старшая группа", group.capacity + 5
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.save_group(
            personas.operator_a,
            group,
            schedule=[services.Slot(2, time(16), time(17, 30)), services.Slot(0, time(16), time(17, 30))],
        )  # the same timetable
    assert mailoutbox == []
    assert "families_told" not in AuditEvent.objects.filter(action="group.updated").latest("pk").data


def test_a_group_nobody_is_in_tells_nobody(personas, mailoutbox, django_capture_on_commit_callbacks):
    group = group_of(make_program(personas.org_a, "Шахматы"))
    group.address = "г. Энск, ул. Садовая, д. 5"
    with django_capture_on_commit_callbacks(execute=True):
        services.save_group(personas.operator_a, group)
    assert mailoutbox == []


def test_a_change_sent_through_the_api_is_told_too(
    client, personas, program, mailoutbox, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://navigator.example.ru"
    group = group_of(program)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = send(client, "patch", f"/groups/{group.code}", {"address": "ул. Садовая, 5"}, personas.operator_a)
    assert response.status_code == 200, response.content
    [letter] = mailoutbox
    assert "теперь «ул. Садовая, 5»" in letter.body
    assert letter.body.endswith(f"https://navigator.example.ru{reverse('family:cabinet')}")


def test_a_timetable_is_said_by_weekdays_with_its_rooms():
    slots = [services.Slot(3, time(18), time(19), ""), services.Slot(0, time(9, 5), time(10), "Актовый зал")]
    assert timetable(slots) == "Пн 09:05–10:00 (Актовый зал); Чт 18:00–19:00"
    assert timetable([]) == "нет занятий"


def test_the_operator_who_recorded_a_child_from_a_list_is_not_written_to(
    personas, mailoutbox, django_capture_on_commit_callbacks
):
    group = group_of(make_program(personas.org_a, "Шахматы"))
    child = Child.objects.create(
        last_name="Списочный", first_name="Ваня", birth_date=date(2015, 3, 1), sex=Child.Sex.MALE,
        municipality=personas.municipality_x,
    )  # fmt: skip
    enrollment.record_enrollment(
        personas.operator_a, child, group, enrolled_on=timezone.localdate(), left_on=None, key="list-1"
    )
    group.address = "г. Энск, ул. Садовая, д. 5"
    with django_capture_on_commit_callbacks(execute=True):
        services.save_group(personas.operator_a, group)
    assert Application.objects.get(child=child).status == "enrolled"
    assert mailoutbox == []  # the child has no guardian with an account here; the operator applied for it
    # Its parent, once registered as its guardian, is the one told.
    child.guardians.add(Guardian.objects.create(user=personas.other_family, last_name="Списочная", first_name="Анна"))
    group.address = "г. Энск, ул. Садовая, д. 7"
    with django_capture_on_commit_callbacks(execute=True):
        services.save_group(personas.operator_a, group)
    assert [letter.to for letter in mailoutbox] == [[personas.other_family.email]]


def test_a_new_price_is_told(personas, mailoutbox, django_capture_on_commit_callbacks):
    program = make_program(personas.org_a, "Английский", is_free=False, is_paid=True, price_per_month=Decimal(2500))
    enroll_child(program, personas, "Маша")
    group = group_of(program)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.save_group(personas.operator_a, group, financing=[services.Financing("paid", Decimal(3000))])
    [letter] = mailoutbox
    assert "— Оплата: было «Платно: 2\u00a0500 ₽ в месяц», теперь «Платно: 3\u00a0000 ₽ в месяц»." in letter.body


def test_ways_of_paying_are_said_as_the_program_page_says_them():
    assert (
        ways_of_paying([services.Financing("certificate", Decimal(3000)), services.Financing("budget", Decimal(0))])
        == "Бесплатно (муниципальное задание); По сертификату ПФ: 3\u00a0000 ₽ в месяц"
    )
    assert ways_of_paying([]) == "не указана"


def test_the_group_form_says_who_will_be_told(client, personas, program):
    client.force_login(personas.operator_a)
    page = client.get(reverse("office:group_edit", args=[group_of(program).code])).content.decode()
    assert "В группе детей: 1, заявок ждут места: 0. Если изменить адрес, расписание" in page
    empty = group_of(make_program(personas.org_a, "Шахматы"))
    assert "Если изменить адрес" not in client.get(reverse("office:group_edit", args=[empty.code])).content.decode()
