"""The first-come apply path is cheap: few statements per application through the API, one write of
a token's last use a minute, and the same answers as before."""

import json
import uuid
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import ApiToken
from accounts.services import issue_api_token
from catalog.models import Group, Program
from core.models import AuditEvent
from core.testing import make_campaign, make_child, make_group
from enrollment.models import Application, ApplicationEvent, Campaign, CampaignKind
from enrollment.models import ApplicationStatus as S
from enrollment.services import waitlist_position

pytestmark = pytest.mark.django_db

API = "/api/v1/applications"
# PostgreSQL: the token (with its last use), what the rules need, and the write with its history.
MAX_STATEMENTS = {"postgresql": 3, "sqlite": 8}


@pytest.fixture
def first_come(personas, published_program: Program) -> Campaign:
    return make_campaign(personas.municipality_x, published_program, CampaignKind.FIRST_COME, -timedelta(seconds=1))


@pytest.fixture
def group(published_program: Program) -> Group:
    return published_program.groups.get()


def _post(client, raw: str, payload: dict, idempotency_key: str):
    return client.post(
        API,
        json.dumps(payload),
        content_type="application/json",
        headers={"Authorization": f"Bearer {raw}", "Idempotency-Key": idempotency_key},
    )


def _payload(child, program: Program, group: Group | None) -> dict:
    return {"child": str(child.uuid), "program": program.code, "group": group.code if group else None}


def test_one_first_come_apply_is_a_few_statements(client, personas, published_program, group, first_come):
    _, raw = issue_api_token(None, personas.family, "Рывок")
    child = make_child(personas.family, age_on=group.start_date, age=9)
    # A request before warms the token's last use, as on enrollment day.
    other = make_child(personas.family, "Ваня", age_on=group.start_date, age=9)
    assert _post(client, raw, _payload(other, published_program, None), uuid.uuid4().hex).status_code == 201

    idempotency_key = uuid.uuid4().hex
    with CaptureQueriesContext(connection) as queries:
        response = _post(client, raw, _payload(child, published_program, group), idempotency_key)
    assert response.status_code == 201, response.content
    statements = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    assert len(statements) <= MAX_STATEMENTS[connection.vendor], "\n".join(statements)

    body = response.json()
    application = Application.objects.get(code=body["code"])
    assert (body["status"], application.status) == (S.INVITED, S.INVITED)
    assert body["group"] == {"code": group.code, "name": group.name}
    assert body["child"]["uuid"] == str(child.uuid)
    assert body["program"]["code"] == published_program.code
    assert body["waitlist_position"] is None
    assert [(e["from_status"], e["to_status"], e["by_system"]) for e in body["events"]] == [
        ("", S.NEW, False),
        (S.NEW, S.INVITED, True),
    ]
    assert body["allowed_actions"] == ["cancel"]
    assert body["deadline"] is not None
    group.refresh_from_db()
    assert group.seats_taken == 2

    # The same key again: the same application, 200, nothing new.
    again = _post(client, raw, _payload(child, published_program, group), idempotency_key)
    assert again.status_code == 200
    assert again.json() == body
    assert ApplicationEvent.objects.filter(application=application).count() == 2


def test_a_full_group_queues_with_its_position(
    client, personas, published_program, group, first_come, django_capture_on_commit_callbacks
):
    Group.objects.filter(pk=group.pk).update(seats_taken=F("capacity"))
    _, raw = issue_api_token(None, personas.family, "Рывок")
    anya = make_child(personas.family, "Аня", age_on=group.start_date, age=9)
    vanya = make_child(personas.family, "Ваня", age_on=group.start_date, age=9)
    with django_capture_on_commit_callbacks(execute=True):
        first = _post(client, raw, _payload(anya, published_program, group), uuid.uuid4().hex).json()
        response = _post(client, raw, _payload(vanya, published_program, group), uuid.uuid4().hex)
    assert response.status_code == 201
    body = response.json()
    assert (first["status"], first["waitlist_position"]) == (S.WAITLISTED, 1)
    assert (body["status"], body["waitlist_position"]) == (S.WAITLISTED, 2)
    assert [(e["from_status"], e["to_status"]) for e in body["events"]] == [("", S.NEW), (S.NEW, S.WAITLISTED)]
    assert body["allowed_actions"] == ["cancel"]
    # One letter per application, saying where it stands (not one per step of the same instant).
    assert [m.subject for m in mail.outbox] == [
        f"Заявка {first['code']}: {S.WAITLISTED.label}",
        f"Заявка {body['code']}: {S.WAITLISTED.label}",
    ]


def test_the_last_use_of_a_token_is_written_at_most_once_a_minute(client, personas, published_program, group):
    token, raw = issue_api_token(None, personas.family, "Рывок")
    headers = {"Authorization": f"Bearer {raw}"}
    assert client.get(API, headers=headers).status_code == 200
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    assert first is not None
    assert client.get(API, headers=headers).status_code == 200
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - timedelta(minutes=2))
    assert client.get(API, headers=headers).status_code == 200
    assert ApiToken.objects.get(pk=token.pk).last_used_at > first


def test_an_unknown_token_is_still_401(client):
    assert client.get(API, headers={"Authorization": "Bearer nope"}).status_code == 401


def test_seats_change_the_search_catalog_only_when_a_program_fills_or_reopens(
    client, personas, published_program, group, first_come, django_capture_on_commit_callbacks
):
    from catalog.search_index import catalog_version

    Group.objects.filter(pk=group.pk).update(capacity=3, seats_taken=0)
    Program.objects.filter(pk=published_program.pk).update(open_seats=3)
    _, raw = issue_api_token(None, personas.family, "Рывок")
    children = [make_child(personas.family, name, age_on=group.start_date) for name in ("Аня", "Ваня", "Петя")]
    before = catalog_version()

    with django_capture_on_commit_callbacks(execute=True):
        assert _post(client, raw, _payload(children[0], published_program, group), "a").status_code == 201
    assert Program.objects.get(pk=published_program.pk).open_seats == 2
    assert catalog_version() == before  # the card shows 2 (its cache varies on the count), search unchanged

    with django_capture_on_commit_callbacks(execute=True):
        _post(client, raw, _payload(children[1], published_program, group), "b")
        _post(client, raw, _payload(children[2], published_program, group), "c")
    assert Program.objects.get(pk=published_program.pk).open_seats == 0
    assert catalog_version() != before  # full: «есть свободные места» no longer finds it


def test_a_group_filling_changes_the_search_catalog_while_another_group_has_seats(
    client, personas, published_program, group, first_come, django_capture_on_commit_callbacks
):
    # The search finds a program by a group with seats for the child's age: the full group must leave it.
    from catalog.search_index import catalog_version

    make_group(published_program, capacity=10)
    Group.objects.filter(pk=group.pk).update(capacity=2, seats_taken=0)
    _, raw = issue_api_token(None, personas.family, "Рывок")
    children = [make_child(personas.family, name, age_on=group.start_date) for name in ("Аня", "Ваня")]
    with django_capture_on_commit_callbacks(execute=True):
        assert _post(client, raw, _payload(children[0], published_program, group), "a").status_code == 201
    before = catalog_version()
    with django_capture_on_commit_callbacks(execute=True):
        assert _post(client, raw, _payload(children[1], published_program, group), "b").status_code == 201
    assert Program.objects.get(pk=published_program.pk).open_seats == 10
    assert catalog_version() != before


def test_a_search_card_shows_the_seats_left_after_each_seat_taken(
    client, personas, published_program, group, first_come, django_capture_on_commit_callbacks
):
    Group.objects.filter(pk=group.pk).update(capacity=3, seats_taken=0)
    Program.objects.filter(pk=published_program.pk).update(open_seats=3)
    _, raw = issue_api_token(None, personas.family, "Рывок")
    child = make_child(personas.family, age_on=group.start_date)
    assert "Свободных мест: 3" in client.get("/programs/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        assert _post(client, raw, _payload(child, published_program, group), "a").status_code == 201
    assert "Свободных мест: 2" in client.get("/programs/").content.decode()


def test_the_written_history_and_audit_are_those_of_the_transitions(
    client, personas, published_program, group, first_come
):
    """The same rows whichever way the database writes them (one statement on PostgreSQL)."""
    _, raw = issue_api_token(None, personas.family, "Рывок")
    child = make_child(personas.family, "Аня", age_on=group.start_date, age=9)
    body = _post(client, raw, _payload(child, published_program, group), uuid.uuid4().hex).json()
    application = Application.objects.get(code=body["code"])
    events = ApplicationEvent.objects.filter(application=application).order_by("pk")
    assert [(e.actor_id, e.from_status, e.to_status, e.group_id, e.reason) for e in events] == [
        (personas.family.pk, "", S.NEW, group.pk, ""),
        (None, S.NEW, S.INVITED, group.pk, ""),
    ]
    assert all(timedelta(0) <= e.created_at - application.created_at < timedelta(seconds=5) for e in events)
    records = AuditEvent.objects.filter(object_type="enrollment.application", object_id=str(application.pk))
    assert sorted((r.actor_id or 0, r.action, r.data["previous"], r.data["reason"]) for r in records) == [
        (0, "application.invited", S.NEW, ""),
        (personas.family.pk, "application.new", "", ""),
    ]
    days = timedelta(days=settings.OPORA_INVITATION_DAYS)
    assert days - timedelta(seconds=5) < application.deadline - application.created_at <= days
    assert application.waitlisted_at is None


def test_a_queued_child_is_told_its_place_among_those_waiting_for_the_same_seats(
    client, personas, published_program, group, first_come
):
    """The place the answer tells (one statement on PostgreSQL) is the one the family's page tells:
    ahead are those queued for a group of the child's ages, not for the program's other groups."""
    Group.objects.filter(pk=group.pk).update(age_from=7, age_to=9, seats_taken=F("capacity"))
    older = make_group(published_program, age_from=10, age_to=12, capacity=1)
    Group.objects.filter(pk=older.pk).update(seats_taken=1)
    _, raw = issue_api_token(None, personas.family, "Рывок")
    places = []
    for name, age, chosen in (("Аня", 8, None), ("Боря", 11, None), ("Вика", 8, group), ("Даша", 9, None)):
        child = make_child(personas.family, name, age_on=group.start_date, age=age)
        body = _post(client, raw, _payload(child, published_program, chosen), uuid.uuid4().hex).json()
        assert body["status"] == S.WAITLISTED
        places.append(body["waitlist_position"])
        assert waitlist_position(Application.objects.get(code=body["code"])) == body["waitlist_position"]
    assert places == [1, 1, 2, 3]


def test_any_group_takes_a_seat_in_the_first_group_that_has_one(client, personas, published_program, group, first_come):
    Group.objects.filter(pk=group.pk).update(seats_taken=F("capacity"))
    later = make_group(published_program, start_date=group.start_date + timedelta(days=1), capacity=1)
    _, raw = issue_api_token(None, personas.family, "Рывок")
    anya = make_child(personas.family, "Аня", age_on=group.start_date, age=9)
    vanya = make_child(personas.family, "Ваня", age_on=group.start_date, age=9)
    first = _post(client, raw, _payload(anya, published_program, None), uuid.uuid4().hex).json()
    assert (first["status"], first["group"]["code"]) == (S.INVITED, later.code)
    second = _post(client, raw, _payload(vanya, published_program, None), uuid.uuid4().hex).json()
    assert (second["status"], second["group"], second["waitlist_position"]) == (S.WAITLISTED, None, 1)
    later.refresh_from_db()
    group.refresh_from_db()
    assert (later.seats_taken, group.seats_taken) == (1, group.capacity)
    queued = Application.objects.get(code=second["code"])
    assert (queued.group_id, queued.deadline) == (None, None)
    assert abs(queued.waitlisted_at - queued.created_at) < timedelta(seconds=5)


def test_any_group_seats_a_child_only_in_a_group_for_its_age(client, personas, published_program, group, first_come):
    """A program's groups often split its ages: the seat is in the first group with one that takes the
    child, not in the first group with one."""
    low, high = published_program.age_from, published_program.age_to
    Group.objects.filter(pk=group.pk).update(age_from=low, age_to=low + 1)
    older = make_group(
        published_program, start_date=group.start_date + timedelta(days=1), age_from=low + 2, age_to=high
    )
    _, raw = issue_api_token(None, personas.family, "Рывок")
    child = make_child(personas.family, age_on=group.start_date, age=low + 2)
    answer = _post(client, raw, _payload(child, published_program, None), uuid.uuid4().hex).json()
    assert (answer["status"], answer["group"]["code"]) == (S.INVITED, older.code)
    group.refresh_from_db()
    assert group.seats_taken == 0
