"""The journal: lessons from the timetable without holidays, marking by the group's teacher, the
monthly XLSX, and who may do what."""

import io
import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from catalog.models import Group
from core.testing import make_child, make_group
from enrollment import journal
from enrollment.models import Application, Attendance, Holiday, Lesson
from enrollment.services import apply, change_status
from people.models import Teacher

pytestmark = pytest.mark.django_db


@pytest.fixture
def group(personas, published_program) -> Group:
    """A group that began three weeks ago, meeting on Mondays and Wednesdays, with two enrolled children."""
    start = timezone.localdate() - timedelta(days=21)
    group = make_group(published_program, start_date=start, end_date=start + timedelta(days=60), weekdays=(0, 2))
    teacher = Teacher.objects.create(
        organization=personas.org_a, user=personas.teacher_a, last_name="Педагог", first_name="А"
    )
    Group.objects.filter(pk=group.pk).update(teacher=teacher)
    group.refresh_from_db()
    for name in ("Аня", "Ваня"):
        child = make_child(personas.family, name, group.start_date)
        application = apply(personas.family, child, published_program, group, uuid.uuid4().hex)
        change_status(personas.operator_a, application, "invite")
        change_status(personas.operator_a, application, "enroll")
    # Enrolled when the group began: its past lessons are theirs (a lesson before enrollment is not).
    Application.objects.filter(group=group).update(enrolled_on=group.start_date)
    return group


def test_lessons_follow_the_timetable_and_skip_holidays(group):
    holiday = next(
        group.start_date + timedelta(days=d) for d in range(7) if (group.start_date + timedelta(days=d)).weekday() == 0
    )
    Holiday.objects.create(date=holiday, name="День народного единства")
    created = journal.generate_lessons(group)
    dates = list(group.lessons.values_list("date", flat=True))
    assert created == len(dates) > 0
    assert all(d.weekday() in (0, 2) for d in dates) and holiday not in dates
    assert journal.generate_lessons(group) == 0  # idempotent


def test_the_teacher_marks_a_past_lesson_but_not_a_future_one(group, personas):
    journal.generate_lessons(group)
    past = group.lessons.filter(date__lte=timezone.localdate()).first()
    future = group.lessons.filter(date__gt=timezone.localdate()).first()
    anya, vanya = journal.enrolled(group)
    assert journal.mark_attendance(personas.teacher_a, past, {anya.pk}) == 2
    assert dict(Attendance.objects.values_list("application", "present")) == {anya.pk: True, vanya.pk: False}
    journal.mark_attendance(personas.teacher_a, past, {anya.pk, vanya.pk})  # corrected: both were there
    assert Attendance.objects.filter(present=True).count() == 2
    with pytest.raises(ValidationError, match="ещё не прошло"):
        journal.mark_attendance(personas.teacher_a, future, set())
    with pytest.raises(PermissionDenied):
        journal.mark_attendance(personas.operator_b, past, set())


def test_a_lesson_before_a_childs_enrollment_is_not_the_childs(group, personas):
    """Paid by attendance, a mark on a lesson before the child was enrolled would be paid."""
    journal.generate_lessons(group)
    first = group.lessons.order_by("date").first()
    anya, vanya = journal.enrolled(group)
    Application.objects.filter(pk=vanya.pk).update(enrolled_on=first.date + timedelta(days=1))
    assert [a.pk for a in journal.enrolled(group, on=first.date)] == [anya.pk]
    with pytest.raises(ValidationError) as refused:
        journal.mark_attendance(personas.teacher_a, first, {vanya.pk})
    # The marks' error (the API's `present`): a request raced by an expulsion hears it there.
    assert refused.value.message_dict == {
        "present": ["Отмечены дети, которые не были зачислены в группу на дату занятия."]
    }
    assert journal.mark_attendance(personas.teacher_a, first, {anya.pk}) == 1
    assert list(Attendance.objects.values_list("application", flat=True)) == [anya.pk]


def test_the_monthly_report_is_an_xlsx_with_a_row_per_child(group, personas, client):
    journal.generate_lessons(group)
    lesson = group.lessons.filter(date__lte=timezone.localdate()).last()
    anya, _ = journal.enrolled(group)
    journal.mark_attendance(personas.teacher_a, lesson, {anya.pk})
    client.force_login(personas.teacher_a)
    url = reverse("journal:report", args=[group.code, lesson.date.year, lesson.date.month])
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][0] == "Ребёнок" and f"{lesson.date:%d.%m}" in rows[1]
    by_child = {row[0]: row for row in rows[2:]}
    assert set(by_child) == {anya.child.full_name, journal.enrolled(group)[1].child.full_name}
    assert by_child[anya.child.full_name][-2] == 1  # present once
    for year, month in ((2026, 13), (2026, 0), (0, 12), (99999, 12)):  # typed addresses were a 500
        assert client.get(reverse("journal:report", args=[group.code, year, month])).status_code == 404


def test_the_journal_page_marks_in_one_submit_and_others_may_not(group, personas, client):
    journal.generate_lessons(group)
    lesson = group.lessons.filter(date__lte=timezone.localdate()).last()
    anya, vanya = journal.enrolled(group)
    client.force_login(personas.teacher_a)
    url = reverse("journal:group", args=[group.code]) + f"?month={lesson.date:%Y-%m}&lesson={lesson.pk}"
    page = client.get(url).content.decode()
    assert anya.child.first_name in page and "Сохранить отметки" in page
    assert client.post(url, {"present": [vanya.pk]}).status_code == 302
    assert Attendance.objects.get(application=vanya, lesson=lesson).present
    chips = client.get(url).content.decode()  # the marked lesson says so among the month's
    assert f'{lesson.date:%d.%m} {lesson.starts_at:%H:%M} ✓<span class="visually-hidden"> отмечено</span>' in chips
    stranger = client.post(url, {"present": [0]})  # no application of the group: a forged form
    said = [str(m) for m in stranger.context["messages"]]
    assert said == ["Отмечены дети, которые не были зачислены в группу на дату занятия."]
    assert Attendance.objects.get(application=vanya, lesson=lesson).present  # nothing changed
    client.force_login(personas.operator_b)  # sees the public group, keeps no journal of it
    assert client.get(reverse("journal:group", args=[group.code])).status_code == 403
    assert Lesson.objects.filter(group=group).exists()
