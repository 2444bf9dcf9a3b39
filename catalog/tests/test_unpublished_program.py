"""A program taken off publication (returned for changes, on moderation again, restored from the
archive as a draft): read whole, with no call to apply, by its staff and by the family that applied
to it, as an archived one is; 404 to everyone else, its groups too."""

import re

import pytest
from django.urls import reverse

from catalog import services
from catalog.models import ModerationStatus, Program
from catalog.tests.test_archived_program import (
    DESCRIPTION,
    api,
    archive,
    assert_in_no_list_of_the_api,
    cabinet_rows,
    page,
    persona,
)
from core.testing import Personas, enroll_child, make_child
from enrollment import services as enrollment
from people.models import Teacher

# Who reads a program off publication whole besides the family: its organization, teacher and territory.
STAFF = ["operator_a", "teacher_a", "municipal_x", "regional", "admin"]
OUTSIDERS = [None, "other_family", "operator_b", "municipal_y", "other_regional"]
OFF_PUBLICATION = "Программа временно снята с публикации: запись не ведётся."
# How the program leaves publication, and the status it is left in.
WAYS_OFF = {
    "return": (["return"], ModerationStatus.NEEDS_CHANGES),
    "return, submit": (["return", "submit"], ModerationStatus.MODERATING),
    "return, submit, withdraw": (["return", "submit", "withdraw"], ModerationStatus.DRAFT),
    "archive, restore": (["archive", "restore"], ModerationStatus.DRAFT),
}


def take_off(program: Program, personas: Personas, transitions: list[str]) -> Program:
    """The published program moved by the organization and its moderator, as in the office."""
    for transition in transitions:
        actor = personas.municipal_x if transition == "return" else personas.operator_a
        program = services.change_program_status(actor, program, transition, "Уточните описание")
    return program


@pytest.fixture
def returned_program(personas, published_program) -> Program:
    """The published program with its teacher and the persona family's child enrolled in its group,
    then returned for changes by its moderator."""
    published_program.teachers.add(
        Teacher.objects.create(organization=personas.org_a, last_name="Иванова", first_name="Анна")
    )
    enroll_child(published_program, personas, "Маша")
    return take_off(published_program, personas, ["return"])


def assert_read_whole_without_a_call_to_apply(html: str, program: Program) -> None:
    for text in (OFF_PUBLICATION, DESCRIPTION, "Иванова Анна", program.groups.get().name, "Запись не ведётся"):
        assert text in html, text
    for call in ("Записаться", "Встать в очередь", "Подать заявку", "Войти и записать ребёнка"):
        assert call not in html, call
    assert reverse("family:apply", args=[program.code]) not in html
    assert '<meta name="robots" content="noindex">' in html


def test_the_family_reads_the_program_returned_for_changes_without_a_call_to_apply(client, personas, returned_program):
    status, html = page(client, returned_program, personas.family)
    assert status == 200
    assert_read_whole_without_a_call_to_apply(html, returned_program)
    assert "Маша: заявка" in html  # where its child's application stands, as on any program's page
    assert "Семьи её не видят" not in html
    body = api(client, f"/programs/{returned_program.code}", personas.family).json()
    assert body["status"] == "needs_changes" and body["description"] == DESCRIPTION
    assert body["admission"] == {"state": "unpublished", "note": OFF_PUBLICATION}
    assert [group["code"] for group in body["groups"]] == [returned_program.groups.get().code]
    assert [teacher["full_name"] for teacher in body["teachers"]] == ["Иванова Анна"]
    assert body["moderation_remark"] == ""  # between the organization and its moderator


@pytest.mark.parametrize("way", WAYS_OFF)
def test_the_family_reads_it_whatever_status_it_left_publication_in(client, personas, published_program, way):
    enroll_child(published_program, personas, "Маша")
    transitions, left_in = WAYS_OFF[way]
    program = take_off(published_program, personas, transitions)
    assert program.status == left_in
    status, html = page(client, program, personas.family)
    assert status == 200 and DESCRIPTION in html and OFF_PUBLICATION in html
    assert api(client, f"/programs/{program.code}", personas.family).json()["admission"]["state"] == "unpublished"


def test_a_family_whose_application_was_cancelled_still_reads_it(client, personas, published_program):
    application = enrollment.apply(personas.family, make_child(personas.family, "Петя"), published_program, None, "k")
    enrollment.change_status(personas.family, application, "cancel")
    program = take_off(published_program, personas, ["return"])
    assert page(client, program, personas.family)[0] == 200


@pytest.mark.parametrize("who", STAFF)
def test_the_organization_its_teachers_and_its_territory_read_it_whole(client, personas, returned_program, who):
    status, html = page(client, returned_program, persona(personas, who))
    assert status == 200
    assert_read_whole_without_a_call_to_apply(html, returned_program)
    body = api(client, f"/programs/{returned_program.code}", persona(personas, who)).json()
    assert body["status"] == "needs_changes" and body["teachers"] and body["admission"]["state"] == "unpublished"


@pytest.mark.parametrize("who", OUTSIDERS)
def test_everyone_else_gets_404_never_its_texts(client, personas, returned_program, who):
    reader = persona(personas, who)
    assert page(client, returned_program, reader)[0] == 404
    assert api(client, f"/programs/{returned_program.code}", reader).status_code == 404
    assert api(client, f"/programs/{returned_program.code}/groups", reader).status_code == 404
    assert api(client, f"/groups/{returned_program.groups.get().code}", reader).status_code == 404


def test_its_group_is_read_by_the_family_as_its_program_is(client, personas, returned_program):
    group = returned_program.groups.get()
    response = api(client, f"/groups/{group.code}", personas.family)
    assert response.status_code == 200
    assert response.json()["program"]["code"] == returned_program.code
    assert api(client, f"/groups/{group.code}", personas.operator_a).status_code == 200


def test_the_group_of_an_archived_program_is_read_by_the_family_and_by_nobody_outside(
    client, personas, published_program
):
    enroll_child(published_program, personas, "Маша")
    group = archive(published_program, personas).groups.get()
    assert api(client, f"/groups/{group.code}", personas.family).status_code == 200
    for who in OUTSIDERS:  # the program's page tells them it is no longer held, without its groups
        assert api(client, f"/groups/{group.code}", persona(personas, who)).status_code == 404, who


def test_a_program_never_published_stays_404_to_a_family_with_an_application(client, personas, published_program):
    enroll_child(published_program, personas, "Маша")
    # No action leads here (a family applies to published programs only): the guard holds anyway.
    Program.objects.filter(pk=published_program.pk).update(status=ModerationStatus.DRAFT, published_at=None)
    assert page(client, published_program, personas.family)[0] == 404
    assert api(client, f"/programs/{published_program.code}", personas.family).status_code == 404
    assert api(client, f"/groups/{published_program.groups.get().code}", personas.family).status_code == 404


# A program never published is previewed by its staff alone: its enrollment has not begun, not stopped.
NEVER_PUBLISHED = "Программа ещё не опубликована: запись откроется после публикации."
NEVER_PUBLISHED_STATES = {
    "draft": ([], "Черновик"),
    "on moderation": (["submit"], "На модерации"),
    "returned": (["submit", "return"], "Ожидает правки"),
}


@pytest.mark.parametrize("who", STAFF)
@pytest.mark.parametrize("state", NEVER_PUBLISHED_STATES)
def test_a_program_never_published_is_previewed_saying_enrollment_opens_with_publication(
    client, personas, draft_program, who, state
):
    transitions, label = NEVER_PUBLISHED_STATES[state]
    program = take_off(draft_program, personas, transitions)
    status, html = page(client, program, persona(personas, who))
    assert status == 200
    assert f"Программа не опубликована: статус «{label}». Семьи её не видят." in html
    assert NEVER_PUBLISHED in html
    row = re.search(r'<td data-label="Запись">(.*?)</td>', html, re.S).group(1)
    assert row == "Запись откроется после публикации"
    assert "Запись не ведётся" not in html and "снята с публикации" not in html
    for call in ("Записаться", "Встать в очередь", "Подать заявку", "Войти и записать ребёнка"):
        assert call not in html, call
    body = api(client, f"/programs/{program.code}", persona(personas, who)).json()
    assert body["admission"] == {"state": "unpublished", "note": NEVER_PUBLISHED}


def test_a_program_restored_from_the_archive_before_it_was_ever_published_is_not_yet_published(
    client, personas, draft_program
):
    program = take_off(draft_program, personas, ["archive", "restore"])
    status, html = page(client, program, personas.operator_a)
    assert status == 200 and NEVER_PUBLISHED in html and "Запись не ведётся" not in html
    assert page(client, program, personas.family)[0] == 404  # nobody outside has seen it


def test_it_is_in_no_search_and_no_list(client, personas, returned_program):
    assert_in_no_list_of_the_api(client, personas, returned_program)


def test_the_cabinet_says_which_programs_are_off_publication(client, personas, returned_program):
    returned_row, other_row = cabinet_rows(client, personas, returned_program)
    assert "программа снята с публикации" in returned_row and "программа снята с публикации" not in other_row
    assert "программа в архиве" not in returned_row
