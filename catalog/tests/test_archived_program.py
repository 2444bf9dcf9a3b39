"""An archived program at its address: read whole by the family that applied and by its staff, seen
as «no longer held» by everyone else, and found by no search or list."""

import json
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import ApiToken, User
from catalog import services
from catalog.models import Group, ModerationStatus, Program
from core.testing import Personas, enroll_child, make_child, make_group, make_program
from enrollment import services as enrollment
from enrollment.models import Application
from people.models import Teacher

API = "/api/v1"
# Who reads an archived program whole besides the family: its organization, teacher and territory.
STAFF = ["operator_a", "teacher_a", "municipal_x", "regional", "methodologist", "admin"]
# Who gets what the public gets: a guest, another family, another organization, another territory.
OUTSIDERS = [None, "other_family", "operator_b", "municipal_y", "other_regional"]
DESCRIPTION = "Занятия в группах, проекты, соревнования."  # make_program's
NO_LONGER_HELD = "Программа больше не проводится"


def bearer(user: User) -> dict[str, str]:
    _, raw = ApiToken.issue(user, "Тестовая интеграция")
    return {"Authorization": f"Bearer {raw}"}


def persona(personas: Personas, name: str | None) -> User | None:
    return getattr(personas, name) if name else None


def page(client, program: Program, who: User | None) -> tuple[int, str]:
    if who is not None:
        client.force_login(who)
    response = client.get(reverse("navigator:program", args=[program.code]))
    return response.status_code, response.content.decode()


def api(client, path: str, who: User | None):
    return client.get(API + path, headers=bearer(who) if who is not None else {})


def archive(program: Program, personas: Personas) -> Program:
    return services.change_program_status(personas.operator_a, program, "archive", "Больше не реализуется")


def apply_with_outcome(program: Program, personas: Personas, outcome: str) -> Application:
    """An application of the persona family's child to the program, through the actions, ended as `outcome`."""
    if outcome in ("enrolled", "expelled"):
        application = enroll_child(program, personas, "Маша")
        if outcome == "enrolled":
            return application
        return enrollment.change_status(personas.operator_a, application, "expel", reason="Переезд")
    application = enrollment.apply(personas.family, make_child(personas.family, "Маша"), program, None, "key-1")
    if outcome == "cancelled":
        return enrollment.change_status(personas.family, application, "cancel")
    transition, reason = {"waitlisted": ("waitlist", ""), "rejected": ("reject", "Группа укомплектована")}[outcome]
    return enrollment.change_status(personas.operator_a, application, transition, reason=reason)


@pytest.fixture
def archived_program(personas, published_program) -> Program:
    """The published program with its teacher, the persona family's child enrolled in its group and a
    group that ended last year, then archived."""
    published_program.teachers.add(
        Teacher.objects.create(organization=personas.org_a, last_name="Иванова", first_name="Анна")
    )
    enroll_child(published_program, personas, "Маша")
    ended = make_group(published_program, name="Группа прошлого года")
    a_year_ago = timezone.localdate() - timedelta(days=400)
    Group.objects.filter(pk=ended.pk).update(start_date=a_year_ago, end_date=a_year_ago + timedelta(days=270))
    return archive(published_program, personas)


def assert_read_whole_without_a_call_to_apply(html: str, program: Program) -> None:
    current = program.groups.order_by("-start_date")[0]
    for text in (NO_LONGER_HELD, DESCRIPTION, "Иванова Анна", current.name, "Группа прошлого года"):
        assert text in html, text
    assert html.index(current.name) < html.index("Группа прошлого года")  # the latest first
    assert_no_call_to_apply(html, program)


def assert_no_call_to_apply(html: str, program: Program) -> None:
    assert "Запись закрыта: программа в архиве." in html
    for call in ("Записаться", "Встать в очередь", "Подать заявку", "Войти и записать ребёнка", "Свободно "):
        assert call not in html, call
    assert reverse("family:apply", args=[program.code]) not in html


@pytest.mark.parametrize("outcome", ["enrolled", "expelled", "waitlisted", "rejected", "cancelled"])
def test_the_family_reads_the_archived_program_it_applied_to_whatever_became_of_the_application(
    client, personas, published_program, outcome
):
    apply_with_outcome(published_program, personas, outcome)
    archive(published_program, personas)
    status, html = page(client, published_program, personas.family)
    assert status == 200
    assert DESCRIPTION in html and published_program.groups.get().name in html
    assert_no_call_to_apply(html, published_program)
    body = api(client, f"/programs/{published_program.code}", personas.family).json()
    assert body["status"] == "archived" and body["description"] == DESCRIPTION
    assert [group["code"] for group in body["groups"]] == [published_program.groups.get().code]


def test_the_familys_page_shows_past_groups_too_and_no_call_to_apply(client, personas, archived_program):
    status, html = page(client, archived_program, personas.family)
    assert status == 200
    assert_read_whole_without_a_call_to_apply(html, archived_program)
    assert "Маша: заявка" in html  # where its child's application stands, as on any program's page
    assert '<meta name="robots" content="noindex">' in html


@pytest.mark.parametrize("who", STAFF)
def test_the_organization_its_teachers_and_its_territory_read_it_whole(client, personas, archived_program, who):
    status, html = page(client, archived_program, persona(personas, who))
    assert status == 200
    assert_read_whole_without_a_call_to_apply(html, archived_program)
    body = api(client, f"/programs/{archived_program.code}", persona(personas, who)).json()
    assert body["status"] == "archived" and len(body["groups"]) == 2 and body["teachers"]


@pytest.mark.parametrize("who", OUTSIDERS)
def test_everyone_else_is_told_it_is_no_longer_held_and_led_to_similar_programs(
    client, personas, archived_program, who
):
    status, html = page(client, archived_program, persona(personas, who))
    assert status == 200
    assert NO_LONGER_HELD in html and archived_program.title in html
    similar = urlencode({"direction": "technical", "municipality": personas.municipality_x.oktmo})
    assert f'href="{reverse("navigator:search")}?{similar.replace("&", "&amp;")}"' in html
    assert '<meta name="robots" content="noindex">' in html
    for private in (DESCRIPTION, "Иванова Анна", "Группа прошлого года", archived_program.groups.current().get().name):
        assert private not in html, private
    assert_no_call_to_apply(html, archived_program)


@pytest.mark.parametrize("who", OUTSIDERS)
def test_the_api_answers_everyone_else_as_the_page_does(client, personas, archived_program, who):
    response = api(client, f"/programs/{archived_program.code}", persona(personas, who))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "archived" and body["title"] == archived_program.title
    assert (body["description"], body["groups"], body["teachers"]) == ("", [], [])
    groups = api(client, f"/programs/{archived_program.code}/groups", persona(personas, who)).json()
    assert groups["total"] == 0


def test_the_groups_of_an_archived_program_are_listed_to_the_family_as_in_its_detail(
    client, personas, archived_program
):
    body = api(client, f"/programs/{archived_program.code}/groups", personas.family).json()
    assert [group["name"] for group in body["items"]][-1] == "Группа прошлого года"
    assert body["total"] == 2


@pytest.mark.parametrize("who", [None, "other_family", "operator_b", "municipal_y"])
def test_a_program_archived_before_it_was_ever_published_stays_404_outside(client, personas, who):
    program = make_program(personas.org_a, "Так и не вышла", status=ModerationStatus.ARCHIVED)
    assert program.published_at is None
    assert page(client, program, persona(personas, who))[0] == 404
    assert api(client, f"/programs/{program.code}", persona(personas, who)).status_code == 404
    assert page(client, program, personas.operator_a)[0] == 200


def assert_in_no_list_of_the_api(client, personas: Personas, program: Program) -> Program:
    """Search, the organization's programs and the groups show a published «Робототехника…» of the
    program's organization (returned), never the program, to the family that applied to it."""
    published = make_program(personas.org_a, "Робототехника для старших")
    for path in ("/programs?q=робототехника", f"/organizations/{personas.org_a.code}/programs"):
        codes = [item["code"] for item in api(client, path, personas.family).json()["items"]]
        assert published.code in codes and program.code not in codes, path
    groups = [item["program"]["code"] for item in api(client, "/groups", personas.family).json()["items"]]
    assert published.code in groups and program.code not in groups
    return published


def test_an_archived_program_is_in_no_search_and_no_list(client, personas, archived_program):
    published = assert_in_no_list_of_the_api(client, personas, archived_program)
    found = client.get(reverse("navigator:search"), {"q": "робототехника"}).content.decode()
    assert published.title in found and archived_program.title not in found
    organization = client.get(reverse("navigator:organization", args=[personas.org_a.code])).content.decode()
    assert published.title in organization and archived_program.title not in organization


def test_applying_to_an_archived_program_changes_nothing(client, personas, archived_program):
    child = make_child(personas.family, "Петя")
    client.force_login(personas.family)
    response = client.post(
        reverse("family:apply", args=[archived_program.code]), {"child": str(child.uuid), "idempotency_key": "k"}
    )
    assert response.status_code == 404
    assert not Application.objects.filter(child=child).exists()


def cabinet_rows(client, personas: Personas, program: Program) -> tuple[str, str]:
    """The family's cabinet: the program's cell, and that of a published program it applied to too
    (each after the family's application to it, which links to the program)."""
    other = make_program(personas.org_a, "Шахматы")
    enrollment.apply(personas.family, make_child(personas.family, "Петя"), other, None, "key-2")
    client.force_login(personas.family)
    html = client.get(reverse("family:cabinet")).content.decode()
    assert f'href="{reverse("navigator:program", args=[program.code])}"' in html
    return html[html.index(program.title) :].split("</td>")[0], html[html.index(other.title) :].split("</td>")[0]


def test_the_cabinet_says_which_programs_are_archived(client, personas, archived_program):
    archived_row, other_row = cabinet_rows(client, personas, archived_program)
    assert "программа в архиве" in archived_row and "программа в архиве" not in other_row


def patch_group(client, group: Group, payload: dict, who: User):
    return client.patch(
        f"{API}/groups/{group.code}", json.dumps(payload), content_type="application/json", headers=bearer(who)
    )


def test_its_group_nobody_is_in_is_switched_off_and_still_read_by_the_family(client, personas, archived_program):
    past = archived_program.groups.get(name="Группа прошлого года")
    current = archived_program.groups.exclude(pk=past.pk).get()  # the family's child is enrolled there
    assert patch_group(client, past, {"is_active": False}, personas.operator_b).status_code == 404
    assert patch_group(client, past, {"is_active": False}, personas.teacher_a).status_code == 403
    refused = patch_group(client, current, {"is_active": False}, personas.operator_a)
    assert refused.status_code == 422
    assert [error["msg"] for error in refused.json()["detail"]] == [services.GROUP_IN_USE.format(name=current.name)]
    refused = patch_group(client, past, {"is_active": False, "capacity": 30}, personas.operator_a)
    assert refused.status_code == 422 and Group.objects.get(pk=past.pk).is_active is True

    switched = patch_group(client, past, {"is_active": False}, personas.operator_a)
    assert switched.status_code == 200 and switched.json()["is_active"] is False
    status, html = page(client, archived_program, personas.family)
    assert status == 200
    assert_read_whole_without_a_call_to_apply(html, archived_program)  # the switched-off group too
