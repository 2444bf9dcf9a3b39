"""A program's groups carried over to the next academic year (catalog.next_year): the office's page, the API and the
rules every new group keeps."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from catalog import next_year
from catalog.models import Group
from catalog.tests.test_api import send
from core.models import AuditEvent
from core.testing import make_group, make_program
from people.models import Teacher

pytestmark = pytest.mark.django_db


@pytest.fixture
def teacher(personas):
    return Teacher.objects.create(organization=personas.org_a, last_name="Орлова", first_name="Вера")


@pytest.fixture
def program(personas, teacher):
    """Шахматы with two groups of this academic year: «Начинающие» (Орлова, room 12, applications from a date) and
    «Продолжающие», and one switched off."""
    program = make_program(personas.org_a, "Шахматы", with_group=False, status="draft")
    opens = timezone.make_aware(datetime.datetime(2026, 8, 20, 9, 0))
    make_group(program, name="Начинающие", teacher=teacher, capacity=12, enrollment_opens_at=opens, age_from=7)
    make_group(program, name="Продолжающие", weekdays=(1, 3))
    off = make_group(program, name="Прошлогодняя", weekdays=(4,))
    Group.objects.filter(pk=off.pk).update(is_active=False)
    return program


def by_name(program, year):
    return {g.name: g for g in Group.objects.filter(program=program, academic_year=year)}


def test_chosen_groups_are_made_again_a_year_later_with_everything_they_had(personas, program, teacher):
    year = next_year.source_year()
    assert [item.group.name for item in next_year.carried(program)] == ["Начинающие", "Продолжающие"]
    source = by_name(program, year)["Начинающие"]
    slot = source.schedule.get(weekday=0)
    slot.room = "Каб. 12"
    slot.save()
    [made] = next_year.carry_over(personas.operator_a, program, [source.code.lower()])
    made.refresh_from_db()
    assert (made.name, made.teacher, made.capacity, made.age_from, made.academic_year) == (
        "Начинающие",
        teacher,
        12,
        7,
        year + 1,
    )
    assert made.code != source.code and made.seats_taken == 0
    assert made.start_date == source.start_date.replace(year=source.start_date.year + 1)
    assert made.end_date == source.end_date.replace(year=source.end_date.year + 1)
    assert timezone.localtime(made.enrollment_opens_at) == timezone.make_aware(datetime.datetime(2027, 8, 20, 9, 0))
    slots = sorted((s.weekday, s.starts_at, s.ends_at, s.room) for s in made.schedule.all())
    assert slots == sorted((s.weekday, s.starts_at, s.ends_at, s.room) for s in source.schedule.all())
    assert [(f.source, f.cost_per_month) for f in made.financing.all()] == [("budget", Decimal(0))]
    assert AuditEvent.objects.filter(action="group.created", object_id=str(made.pk)).exists()
    assert set(by_name(program, year)) == {"Начинающие", "Продолжающие", "Прошлогодняя"}  # the year's groups stay
    [again, other] = next_year.carried(program)
    assert (again.there, other.there) == ("Начинающие", "")


def test_the_chosen_groups_are_made_all_or_none_each_refusal_naming_its_group(personas, program, teacher):
    year = next_year.source_year()
    groups = by_name(program, year)
    # Орлова already teaches at that hour next year, in another program.
    other = make_program(personas.org_a, "Го", with_group=False, status="draft")
    start, end = groups["Начинающие"].start_date, groups["Начинающие"].end_date
    make_group(
        other, teacher=teacher, start_date=start.replace(year=start.year + 1), end_date=end.replace(year=end.year + 1)
    )
    with pytest.raises(ValidationError) as refused:
        next_year.carry_over(personas.operator_a, program, [g.code for g in groups.values() if g.is_active])
    [message] = refused.value.message_dict["groups"]
    assert message.startswith("«Начинающие»: ")
    assert not by_name(program, year + 1)
    with pytest.raises(ValidationError, match="Выберите хотя бы одну группу"):
        next_year.carry_over(personas.operator_a, program, [])
    with pytest.raises(ValidationError, match="нет: GR-000000"):
        next_year.carry_over(personas.operator_a, program, ["GR-000000"])
    with pytest.raises(ValidationError, match="Таких действующих групп"):
        next_year.carry_over(personas.operator_a, program, [groups["Прошлогодняя"].code])


def test_the_29th_of_february_becomes_the_28th(personas, teacher):
    program = make_program(personas.org_a, "Шашки", with_group=False, status="draft")
    group = make_group(program, start_date=datetime.date(2027, 9, 1), end_date=datetime.date(2028, 2, 29))
    [item] = next_year.carried(program, 2027)
    assert item.group == group and item.copy.end_date == datetime.date(2029, 2, 28)


def test_the_office_page_carries_the_chosen_groups_over(client, personas, program):
    year = next_year.source_year()
    client.force_login(personas.operator_a)
    detail = client.get(f"/office/programs/{program.code}/").content.decode()
    assert f"/office/programs/{program.code}/groups/next-year/" in detail
    path = f"/office/programs/{program.code}/groups/next-year/"
    page = client.get(path)
    html = page.content.decode()
    assert page.status_code == 200 and "Начинающие" in html and "Прошлогодняя" not in html
    assert html.count('name="groups"') == 2 and html.count("checked") == 2
    nothing = client.post(path, {})
    assert "Выберите хотя бы одну группу" in nothing.content.decode()
    chosen = by_name(program, year)["Продолжающие"].code
    response = client.post(path, {"groups": [chosen]}, follow=True)
    assert response.redirect_chain[-1][0] == f"/office/programs/{program.code}/"
    assert "Группы на " in response.content.decode() and "учебный год созданы: 1." in response.content.decode()
    assert set(by_name(program, year + 1)) == {"Продолжающие"}
    again = client.get(path).content.decode()
    assert "уже есть на" in again and again.count('name="groups"') == 1


def test_only_the_programs_organization_carries_its_groups_over(client, personas, program):
    path = f"/office/programs/{program.code}/groups/next-year/"
    client.force_login(personas.operator_b)
    assert client.get(path).status_code == 404
    client.force_login(personas.municipal_x)  # reads the program, changes nothing of it
    assert client.get(path).status_code == 403
    assert client.post(path, {"groups": [g.code for g in program.groups.all()]}).status_code == 403
    assert not Group.objects.filter(program=program, academic_year=next_year.source_year() + 1).exists()


def test_an_archived_programs_groups_are_not_carried_over(client, personas):
    program = make_program(personas.org_a, "Архивная", status="archived")
    client.force_login(personas.operator_a)
    page = client.get(f"/office/programs/{program.code}/groups/next-year/")
    assert page.status_code == 409 and "в архиве" in page.content.decode()
    with pytest.raises(ValidationError, match="в архиве"):
        next_year.carry_over(personas.operator_a, program, [g.code for g in program.groups.all()])


def test_the_api_carries_groups_over(client, personas, program):
    year = next_year.source_year()
    codes = [g.code for g in by_name(program, year).values() if g.is_active]
    path = f"/programs/{program.code}/groups/next-year"
    assert send(client, "post", path, {"groups": codes}, personas.operator_b).status_code == 404
    response = send(client, "post", path, {"groups": codes}, personas.operator_a)
    assert response.status_code == 201, response.content
    assert [(g["name"], g["academic_year"]) for g in response.json()] == [
        ("Начинающие", year + 1),
        ("Продолжающие", year + 1),
    ]
    again = send(client, "post", path, {"groups": codes[:1]}, personas.operator_a)
    assert again.status_code == 422
    assert [error["loc"] for error in again.json()["detail"]] == [["body", "groups"]]
    assert "уже есть группа" in again.json()["detail"][0]["msg"]
    empty = send(client, "post", path, {"groups": []}, personas.operator_a)
    assert empty.status_code == 422


@pytest.fixture
def second(personas):
    """Шашки with one group of this academic year, and an archived program whose group stays where it is."""
    program = make_program(personas.org_a, "Шашки", with_group=False, status="draft")
    make_group(program, name="Шашисты", weekdays=(5,))
    make_program(personas.org_a, "Архивная", status="archived")
    return program


def test_the_organizations_groups_are_carried_over_across_its_programs_all_or_none(personas, program, second):
    items = next_year.carried_in(personas.org_a)
    assert [(item.group.program.title, item.group.name) for item in items] == [
        ("Шахматы", "Начинающие"),
        ("Шахматы", "Продолжающие"),
        ("Шашки", "Шашисты"),
    ]
    codes = [item.group.code for item in items]
    next_year.carry_over(personas.operator_a, second, codes[2:])
    with pytest.raises(ValidationError) as refused:
        next_year.carry_over_in(personas.operator_a, personas.org_a, codes)
    assert refused.value.message_dict["groups"] == [
        "«Шашисты» (Шашки): в программе уже есть группа «Шашисты» на "
        f"{items[0].copy.academic_year}/{(items[0].copy.academic_year + 1) % 100:02d} учебный год."
    ]
    assert not Group.objects.filter(program=program, academic_year=items[0].copy.academic_year).exists()
    made = next_year.carry_over_in(personas.operator_a, personas.org_a, codes[:2])
    assert sorted(group.name for group in made) == ["Начинающие", "Продолжающие"]
    with pytest.raises(ValidationError, match="Таких действующих групп"):
        next_year.carry_over_in(personas.operator_b, personas.org_b, codes[:1])  # another organization's groups


def test_the_office_carries_the_organizations_groups_over_on_one_page(client, personas, program, second):
    client.force_login(personas.operator_a)
    assert "/office/groups/next-year/" in client.get("/office/").content.decode()
    page = client.get("/office/groups/next-year/")
    html = page.content.decode()
    assert page.status_code == 200 and html.count('name="groups"') == 3 and "Архивная" not in html
    codes = [item.group.code for item in next_year.carried_in(personas.org_a)]
    response = client.post("/office/groups/next-year/", {"groups": codes}, follow=True)
    assert response.redirect_chain[-1][0] == "/office/"
    assert "учебный год созданы: 3." in response.content.decode()
    client.force_login(personas.operator_b)
    # Another organization is public: seen, not changed.
    assert client.get(f"/office/groups/next-year/?organization={personas.org_a.code}").status_code == 403
    client.force_login(personas.admin)  # works for every organization: chooses one first
    assert "office/_organization_choice.html" in [t.name for t in client.get("/office/groups/next-year/").templates]
    chosen = client.get(f"/office/groups/next-year/?organization={personas.org_a.code}").content.decode()
    assert "уже есть на" in chosen and 'name="groups"' not in chosen


def test_the_api_carries_the_organizations_groups_over(client, personas, program, second):
    codes = [item.group.code for item in next_year.carried_in(personas.org_a)]
    path = f"/organizations/{personas.org_a.code}/groups/next-year"
    assert send(client, "post", path, {"groups": codes}, personas.operator_b).status_code == 403
    response = send(client, "post", path, {"groups": codes}, personas.operator_a)
    assert response.status_code == 201, response.content
    assert [g["name"] for g in response.json()] == ["Начинающие", "Продолжающие", "Шашисты"]
