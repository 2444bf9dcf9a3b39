"""Holidays (нерабочие дни) kept outside the admin: a region's by its regional operator, those of
every region by the administrator; lessons already generated on a new holiday go (in its region only)
unless attendance was marked at them, and come back from the timetable when the day is a working one
again, unless it is still off there."""

import re
import uuid
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from catalog.models import Group
from core.models import AuditEvent
from core.testing import make_child, make_group, make_municipality, make_organization, make_program
from enrollment import journal
from enrollment.models import Application, Attendance, Holiday, Lesson
from enrollment.services import apply, change_status
from people.models import Teacher

pytestmark = pytest.mark.django_db


def last_weekday(weekday: int, before: date) -> date:
    return before - timedelta(days=(before.weekday() - weekday) % 7 or 7)


@pytest.fixture
def groups(personas, published_program) -> tuple[Group, Group]:
    """Two groups meeting on Mondays from six weeks ago for four months, their lessons generated;
    the first with its teacher and an enrolled child."""
    start = timezone.localdate() - timedelta(days=42)
    made = []
    for name in ("Первая", "Вторая"):
        group = make_group(
            published_program, name=name, start_date=start, end_date=start + timedelta(days=120), weekdays=(0,)
        )
        journal.generate_lessons(group)
        made.append(group)
    first = made[0]
    teacher = Teacher.objects.create(
        organization=personas.org_a, user=personas.teacher_a, last_name="Педагог", first_name="А"
    )
    Group.objects.filter(pk=first.pk).update(teacher=teacher)
    first.refresh_from_db()
    child = make_child(personas.family, "Аня", first.start_date)
    application = apply(personas.family, child, published_program, first, uuid.uuid4().hex)
    change_status(personas.operator_a, application, "invite")
    change_status(personas.operator_a, application, "enroll")
    Application.objects.filter(pk=application.pk).update(enrolled_on=first.start_date)  # its lessons are hers
    return first, made[1]


@pytest.fixture
def past_monday() -> date:
    return last_weekday(0, timezone.localdate())


@pytest.fixture
def next_monday() -> date:
    today = timezone.localdate()
    return today + timedelta(days=(7 - today.weekday()) % 7 or 7)


# --- Rules ------------------------------------------------------------------------------------------


def test_a_new_holiday_removes_the_days_unmarked_lessons(personas, groups, next_monday):
    first, second = groups
    added = journal.add_holiday(personas.regional, next_monday, "  День города  ", personas.region)
    assert (added.holiday.date, added.holiday.name) == (next_monday, "День города")
    assert (added.removed, added.kept) == (2, 0)
    assert not Lesson.objects.filter(date=next_monday).exists()
    assert first.lessons.count() == second.lessons.count() > 0  # the other days stay
    event = AuditEvent.objects.get(action="holiday.added")
    assert event.actor == personas.regional
    assert event.data == {
        "date": next_monday.isoformat(),
        "name": "День города",
        "region": "Энская область",
        "removed": 2,
        "kept": 0,
    }


def test_a_holiday_never_deletes_marked_attendance(personas, groups, past_monday):
    first, second = groups
    marked = first.lessons.get(date=past_monday)
    (application,) = journal.enrolled(first)
    journal.mark_attendance(personas.teacher_a, marked, {application.pk})
    added = journal.add_holiday(personas.regional, past_monday, "Карантин", personas.region)
    assert (added.removed, added.kept) == (1, 1)
    assert list(Lesson.objects.filter(date=past_monday)) == [marked]  # the marked one stays as it was
    assert Attendance.objects.get(lesson=marked).present is True
    assert not second.lessons.filter(date=past_monday).exists()


def test_lessons_generated_later_skip_the_holiday(personas, published_program, next_monday):
    journal.add_holiday(personas.regional, next_monday, "День города", personas.region)
    start = timezone.localdate()
    group = make_group(published_program, start_date=start, end_date=start + timedelta(days=30), weekdays=(0,))
    journal.generate_lessons(group)
    assert group.lessons.exists() and not group.lessons.filter(date=next_monday).exists()


def test_a_holiday_is_refused_with_a_russian_message(personas, next_monday):
    journal.add_holiday(personas.regional, next_monday, "День города", personas.region)
    cases = [
        (
            next_monday,
            "Другое",
            "date",
            f"{next_monday:%d.%m.%Y} уже нерабочий день в регионе «Энская область»: «День города».",
        ),
        (
            next_monday + timedelta(days=1),
            "   ",
            "name",
            "Укажите, что это за день: например, «День народного единства».",
        ),
        (next_monday + timedelta(days=1), "я" * 201, "name", "Название — не длиннее 200 символов."),
        (
            date(1900, 1, 1),
            "Старый",
            "date",
            f"Нерабочие дни отмечают на {timezone.localdate().year - 1}–{timezone.localdate().year + 2} годы.",
        ),
    ]
    for day, name, field, message in cases:
        with pytest.raises(ValidationError) as caught:
            journal.add_holiday(personas.regional, day, name, personas.region)
        assert caught.value.message_dict == {field: [message]}
    assert list(Holiday.objects.values_list("name", flat=True)) == ["День города"]


def test_only_the_territories_operators_keep_holidays(personas, next_monday):
    # A municipal operator's day off removed lessons of other municipalities' groups: the region's.
    for user in (
        personas.teacher_a,
        personas.operator_a,
        personas.family,
        personas.methodologist,
        personas.municipal_x,
    ):
        with pytest.raises(PermissionDenied):
            journal.add_holiday(user, next_monday, "Самовольный выходной", personas.region)
    # A regional operator keeps his region's days off, not another region's nor every region's.
    for region in (personas.other_region, None):
        with pytest.raises(PermissionDenied):
            journal.add_holiday(personas.regional, next_monday, "Чужой выходной", region)
    assert not Holiday.objects.exists()
    journal.add_holiday(personas.regional, next_monday, "Праздник", personas.region)
    journal.add_holiday(personas.admin, next_monday + timedelta(days=7), "Праздник", None)
    journal.add_holiday(personas.admin, next_monday + timedelta(days=14), "Праздник", personas.other_region)
    everywhere = Holiday.objects.get(region__isnull=True)
    theirs = Holiday.objects.get(region=personas.other_region)
    for user, holiday in (
        (personas.operator_a, Holiday.objects.get(region=personas.region)),
        (personas.regional, everywhere),
        (personas.regional, theirs),
    ):
        with pytest.raises(PermissionDenied):
            journal.remove_holiday(user, holiday)
    assert Holiday.objects.count() == 3


def test_a_regions_holiday_removes_and_skips_the_lessons_of_that_region_only(personas, groups, next_monday):
    """Two regions, their own school breaks: a day off of one never takes another's lessons."""
    first, _ = groups
    elsewhere = make_municipality(personas.other_region, "Дальний район")
    organization = make_organization(elsewhere, "Дом творчества «Дальний»")
    program = make_program(organization, "Шахматы")
    far = make_group(program, start_date=first.start_date, end_date=first.end_date, weekdays=(0,))
    journal.generate_lessons(far)
    added = journal.add_holiday(personas.other_regional, next_monday, "Осенние каникулы", personas.other_region)
    assert added.removed == 1 and not far.lessons.filter(date=next_monday).exists()
    assert first.lessons.filter(date=next_monday).exists()  # the first region's groups meet as usual
    assert journal.add_holiday(personas.regional, next_monday, "День города", personas.region).removed == 2
    # A day off of every region is refused where the day is already off; the regions' own stay.
    with pytest.raises(ValidationError, match="уже нерабочий день в регионе"):
        journal.add_holiday(personas.regional, next_monday, "Повтор", personas.region)
    week_later = next_monday + timedelta(days=7)
    journal.add_holiday(personas.other_regional, week_later, "Каникулы", personas.other_region)
    everywhere = journal.add_holiday(personas.admin, week_later, "Праздник", None)
    assert everywhere.removed == 2
    with pytest.raises(ValidationError, match="уже нерабочий день во всех регионах: «Праздник»"):
        journal.add_holiday(personas.regional, week_later, "Повтор", personas.region)
    assert not Lesson.objects.filter(date=week_later).exists()
    # Working again where it was off, unless still off there: the region's break keeps the day.
    restored = journal.remove_holiday(personas.admin, everywhere.holiday)
    assert restored == 2 and not far.lessons.filter(date=everywhere.holiday.date).exists()
    assert journal.remove_holiday(personas.other_regional, added.holiday) == 1
    assert far.lessons.filter(date=next_monday).exists()
    # Lessons generated later skip the region's own days and every region's, not another's.
    later = make_group(program, start_date=next_monday, end_date=next_monday + timedelta(days=20), weekdays=(0,))
    journal.add_holiday(personas.admin, next_monday + timedelta(days=14), "Праздник всех", None)
    journal.generate_lessons(later)
    assert sorted(later.lessons.values_list("date", flat=True)) == [next_monday]
    assert journal.generate_lessons(make_group(program, start_date=next_monday, end_date=next_monday)) == 1


def test_each_person_reads_the_days_off_of_every_region_and_of_their_own(client, personas, next_monday):
    journal.add_holiday(personas.admin, next_monday, "Федеральный праздник", None)
    journal.add_holiday(personas.regional, next_monday + timedelta(days=1), "Каникулы Энской", personas.region)
    journal.add_holiday(
        personas.other_regional, next_monday + timedelta(days=2), "Каникулы другой", personas.other_region
    )
    for user, names in (
        (personas.teacher_a, {"Федеральный праздник", "Каникулы Энской"}),
        (personas.municipal_x, {"Федеральный праздник", "Каникулы Энской"}),
        (personas.other_regional, {"Федеральный праздник", "Каникулы другой"}),
        (personas.admin, {"Федеральный праздник", "Каникулы Энской", "Каникулы другой"}),
    ):
        assert set(journal.visible_holidays(user).values_list("name", flat=True)) == names, user
    client.force_login(personas.regional)
    page = client.get(reverse("journal:holidays"), {"year": next_monday.year}).content.decode()
    assert "Каникулы другой" not in page and "Все регионы" in page
    removable = re.findall(r'aria-label="Сделать ([^"]+) рабочим днём', page)
    assert removable == [f"{next_monday + timedelta(days=1):%d.%m.%Y}"]  # only his region's
    other = Holiday.objects.get(region=personas.other_region)
    assert client.post(reverse("journal:holiday_remove", args=[other.pk])).status_code == 404
    federal = Holiday.objects.get(region__isnull=True)
    assert client.post(reverse("journal:holiday_remove", args=[federal.pk])).status_code == 403
    assert Holiday.objects.count() == 3


def test_the_administrator_chooses_where_a_day_is_off(client, personas, groups, next_monday):
    client.force_login(personas.admin)
    page = client.get(reverse("journal:holidays")).content.decode()
    assert '<option value="all">Во всех регионах (федеральный праздник)</option>' in page
    response = client.post(
        reverse("journal:holidays"),
        {"date": next_monday.isoformat(), "name": "Каникулы", "region": str(personas.other_region.pk)},
        follow=True,
    )
    assert (
        f"{next_monday:%d.%m.%Y} — нерабочий день в регионе «Другая область»: «Каникулы»." in response.content.decode()
    )
    assert Lesson.objects.filter(date=next_monday).count() == 2  # the groups of Энская область meet
    response = client.post(
        reverse("journal:holidays"), {"date": next_monday.isoformat(), "name": "Праздник", "region": "all"}
    )
    assert Lesson.objects.filter(date=next_monday).count() == 0
    response = client.post(
        reverse("journal:holidays"), {"date": next_monday.isoformat(), "name": "X", "region": "999999"}
    )
    assert "Выберите корректный вариант" in response.content.decode()
    response = client.post(reverse("journal:holidays"), {"date": next_monday.isoformat(), "name": "X"})
    assert "Выберите, где этот день нерабочий." in response.content.decode()
    assert Holiday.objects.count() == 2
    # Made working again everywhere, the day stays off in the region that has its own.
    everywhere = Holiday.objects.get(region__isnull=True)
    response = client.post(reverse("journal:holiday_remove", args=[everywhere.pk]), follow=True)
    assert (
        f"{next_monday:%d.%m.%Y} снова рабочий день во всех регионах. "
        "Нерабочим он остаётся в регионе «Другая область». Занятий по расписанию вернулось в журналы: 2."
    ) in response.content.decode()


def test_the_holiday_form_says_where_and_when_days_off_are_declared(client, personas):
    client.force_login(personas.regional)
    page = client.get(reverse("journal:holidays")).content.decode()
    assert "Добавить нерабочий день в регионе «Энская область»" in page and 'name="region"' not in page
    years = journal.holiday_years()
    assert f'min="{years[0]}-01-01"' in page and f'max="{years[-1]}-12-31"' in page
    client.force_login(personas.admin)
    page = client.get(reverse("journal:holidays")).content.decode()
    assert '<option value="" selected>— выберите —</option>' in page


def test_removing_a_holiday_brings_the_lessons_back(personas, groups, published_program, next_monday):
    first, second = groups
    added = journal.add_holiday(personas.regional, next_monday, "День города", personas.region)
    idle = make_group(published_program, start_date=first.start_date, end_date=first.end_date, weekdays=(0,))
    restored = journal.remove_holiday(personas.regional, added.holiday)
    assert restored == 2
    assert not Holiday.objects.exists()
    assert set(Lesson.objects.filter(date=next_monday).values_list("group", flat=True)) == {first.pk, second.pk}
    assert not idle.lessons.exists()  # a group whose journal was never started stays untouched
    lesson = first.lessons.get(date=next_monday)
    assert (lesson.starts_at.hour, lesson.ends_at.hour, lesson.ends_at.minute) == (16, 17, 30)
    assert AuditEvent.objects.get(action="holiday.removed").data == {
        "date": next_monday.isoformat(),
        "name": "День города",
        "region": "Энская область",
    }


def test_removing_a_holiday_keeps_the_lessons_that_stayed(personas, groups, past_monday):
    first, _ = groups
    marked = first.lessons.get(date=past_monday)
    journal.mark_attendance(personas.teacher_a, marked, set())
    added = journal.add_holiday(personas.regional, past_monday, "Карантин", personas.region)
    assert journal.remove_holiday(personas.regional, added.holiday) == 1  # only the other group's lesson
    assert Lesson.objects.filter(date=past_monday).count() == 2
    assert Attendance.objects.filter(lesson=marked).count() == 1


# --- Pages ------------------------------------------------------------------------------------------


def test_the_regional_operator_adds_a_holiday_from_the_page(client, personas, groups, next_monday):
    client.force_login(personas.regional)
    url = reverse("journal:holidays")
    page = client.get(url).content.decode()
    assert "Добавить нерабочий день" in page and '<label for="id_date">' in page and '<label for="id_name">' in page
    response = client.post(url, {"date": next_monday.isoformat(), "name": "День города"}, follow=True)
    assert response.redirect_chain[-1][0] == f"{url}?year={next_monday.year}"
    page = response.content.decode()
    assert f"{next_monday:%d.%m.%Y} — нерабочий день в регионе «Энская область»: «День города»." in page
    assert "Занятий без отметок на этот день убрано из журналов: 2." in page
    assert "День города" in page and Holiday.objects.get().date == next_monday


def test_the_page_says_marked_lessons_are_kept(client, personas, groups, past_monday):
    first, _ = groups
    journal.mark_attendance(personas.teacher_a, first.lessons.get(date=past_monday), set())
    client.force_login(personas.regional)
    response = client.post(
        reverse("journal:holidays"), {"date": past_monday.isoformat(), "name": "Карантин"}, follow=True
    )
    page = response.content.decode()
    assert "Занятий с отметками посещаемости оставлено: 1 — отметки не удаляются никогда" in page


def test_a_municipal_operator_reads_the_holidays_and_changes_none(client, personas, next_monday):
    added = journal.add_holiday(personas.regional, next_monday, "День города", personas.region)
    client.force_login(personas.municipal_x)
    url = reverse("journal:holidays")
    page = client.get(url, {"year": next_monday.year}).content.decode()
    assert "День города" in page and "Добавить нерабочий день" not in page
    assert client.post(url, {"date": (next_monday + timedelta(days=7)).isoformat(), "name": "Свой"}).status_code == 403
    assert client.post(reverse("journal:holiday_remove", args=[added.holiday.pk])).status_code == 403
    assert Holiday.objects.count() == 1


def test_bad_input_on_the_page_is_shown_and_saves_nothing(client, personas, next_monday):
    client.force_login(personas.regional)
    url = reverse("journal:holidays")
    response = client.post(url, {"date": "31.02.2026", "name": "Праздник"})
    assert response.status_code == 200 and "Введите правильную дату." in response.content.decode()
    journal.add_holiday(personas.regional, next_monday, "День города", personas.region)
    response = client.post(url, {"date": next_monday.isoformat(), "name": "Ещё раз"})
    assert (
        f"{next_monday:%d.%m.%Y} уже нерабочий день в регионе «Энская область»: «День города»."
        in response.content.decode()
    )
    assert Holiday.objects.count() == 1


def test_the_regional_operator_removes_a_holiday_from_the_page(client, personas, groups, next_monday):
    added = journal.add_holiday(personas.regional, next_monday, "День города", personas.region)
    client.force_login(personas.regional)
    page = client.get(reverse("journal:holidays"), {"year": next_monday.year}).content.decode()
    remove = reverse("journal:holiday_remove", args=[added.holiday.pk])
    assert (
        remove in page
        and f'aria-label="Сделать {next_monday:%d.%m.%Y} рабочим днём в регионе «Энская область»"' in page
    )
    response = client.post(remove, follow=True)
    assert "Занятий по расписанию вернулось в журналы: 2." in response.content.decode()
    assert not Holiday.objects.exists()
    assert client.post(remove).status_code == 404


def test_staff_see_the_holidays_read_only_and_families_not_at_all(client, personas, groups, next_monday):
    added = journal.add_holiday(personas.regional, next_monday, "День города", personas.region)
    url = reverse("journal:holidays")
    for staff in (personas.teacher_a, personas.operator_a):
        client.force_login(staff)
        page = client.get(url, {"year": next_monday.year}).content.decode()
        assert "День города" in page and "Добавить нерабочий день" not in page and "Сделать рабочим" not in page
        assert client.post(url, {"date": (next_monday + timedelta(days=7)).isoformat(), "name": "Х"}).status_code == 403
        assert client.post(reverse("journal:holiday_remove", args=[added.holiday.pk])).status_code == 403
    client.force_login(personas.family)
    assert client.get(url).status_code == 403
    assert list(Holiday.objects.values_list("pk", flat=True)) == [added.holiday.pk]


def test_the_journal_links_to_the_holidays(client, personas, groups):
    first, _ = groups
    client.force_login(personas.teacher_a)
    page = client.get(reverse("journal:group", args=[first.code])).content.decode()
    assert reverse("journal:holidays") in page
