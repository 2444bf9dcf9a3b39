"""The REST API of the catalog: reads as on the pages, writes through the actions, scope everywhere."""

import json
import re
import uuid
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.staticfiles import finders
from django.core.management import CommandError, call_command
from django.http import QueryDict
from django.test import Client
from django.utils import timezone

from accounts.models import ApiToken, User
from catalog import services
from catalog.api import ProgramListItemOut
from catalog.models import (
    Direction,
    Group,
    ModerationStatus,
    Organization,
    OrganizationKind,
    OvzCategory,
    Program,
    ProgramRegister,
)
from catalog.search import search_programs
from catalog.search_form import params_from_query
from core.api import NULL_REFUSED
from core.models import AuditEvent
from core.testing import make_group, make_program
from people.models import Teacher

API = "/api/v1"


def bearer(user: User) -> dict[str, str]:
    _, raw = ApiToken.issue(user, "Тестовая интеграция")
    return {"Authorization": f"Bearer {raw}"}


def send(client, method: str, path: str, payload: dict, user: User | None = None):
    headers = bearer(user) if user else {}
    return getattr(client, method)(API + path, json.dumps(payload), content_type="application/json", headers=headers)


def messages(response) -> list[str]:
    return [error["msg"] for error in response.json()["detail"]]


def errors_by_field(response) -> dict[str, str]:
    """Field name → message; a list item's error is reported under the list's name."""
    return {
        next(part for part in reversed(e["loc"]) if isinstance(part, str)): e["msg"] for e in response.json()["detail"]
    }


def program_payload(organization: Organization, **changes) -> dict:
    payload = {
        "organization": organization.code,
        "title": "Шахматы для начинающих",
        "summary": "Первые шаги в шахматах: правила, дебюты, турниры.",
        "direction": "social",
        "level_initial": True,
        "age_from": 6,
        "age_to": 12,
        "hours_total": 72,
        "duration_months": 9,
        "is_free": True,
    }
    payload.update(changes)
    return payload


def group_payload(program: Program, **changes) -> dict:
    payload = {
        "program": program.code,
        "name": "Группа выходного дня",
        "academic_year": 2098,
        "start_date": "2098-09-01",
        "end_date": "2099-05-31",
        "capacity": 12,
        "schedule": [{"weekday": 5, "starts_at": "10:00", "ends_at": "11:30", "room": "12"}],
        "financing": [{"source": "budget", "cost_per_month": "0"}],
    }
    payload.update(changes)
    return payload


# --- Tokens -----------------------------------------------------------------------------------


def test_issue_api_token_prints_a_token_that_authenticates_writes(client, personas, draft_program):
    out = StringIO()
    call_command("issue_api_token", email="Operator-A@opora.test", name="Выгрузка", stdout=out, stderr=StringIO())
    raw = out.getvalue().strip()
    token = ApiToken.objects.get(user=personas.operator_a)
    assert token.name == "Выгрузка" and raw.startswith("opora_") and raw not in token.digest
    response = client.patch(
        f"{API}/programs/{draft_program.code}",
        {"title": "Новое название"},
        content_type="application/json",
        headers={"Authorization": f"Bearer {raw}"},
    )
    assert response.status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_issue_api_token_refuses_an_unknown_email(personas):
    with pytest.raises(CommandError, match="не найден"):
        call_command("issue_api_token", email="nobody@opora.test", name="Выгрузка")


def test_unauthenticated_write_is_401_in_russian(client, personas, draft_program):
    response = send(client, "patch", f"/programs/{draft_program.code}", {"title": "Новое"})
    assert response.status_code == 401
    assert "токен" in response.json()["detail"]
    assert response["WWW-Authenticate"] == "Bearer"


def test_invalid_token_is_401_for_writes_and_reads(client, personas, published_program):
    headers = {"Authorization": "Bearer opora_wrong"}
    assert client.get(f"{API}/programs/{published_program.code}", headers=headers).status_code == 401
    write = client.patch(
        f"{API}/programs/{published_program.code}", "{}", content_type="application/json", headers=headers
    )
    assert write.status_code == 401


def test_token_of_a_deactivated_user_is_refused(client, personas, draft_program):
    headers = bearer(personas.operator_a)
    User.objects.filter(pk=personas.operator_a.pk).update(is_active=False)
    assert client.get(f"{API}/programs/{draft_program.code}", headers=headers).status_code == 401


def test_token_writes_need_no_csrf_token(personas, draft_program):
    strict = Client(enforce_csrf_checks=True)
    response = strict.patch(
        f"{API}/programs/{draft_program.code}",
        json.dumps({"title": "Новое название"}),
        content_type="application/json",
        headers=bearer(personas.operator_a),
    )
    assert response.status_code == 200


def test_session_cannot_write_without_a_token(client, personas, draft_program):
    client.force_login(personas.operator_a)
    response = client.patch(f"{API}/programs/{draft_program.code}", "{}", content_type="application/json")
    assert response.status_code == 401


def test_a_change_that_changes_nothing_keeps_updated_at(client, personas, draft_program, published_program):
    """Synchronizing clients read `updated_at` as «changed»: an empty PATCH, the same values, or a
    published program's edits waiting for moderation leave it as it was."""
    for program, body in (
        (draft_program, {}),
        (draft_program, {"title": draft_program.title, "teachers": [], "ovz_categories": None}),
        (published_program, {"description": "Новое описание для модератора."}),
    ):
        before = Program.objects.get(pk=program.pk).updated_at
        response = send(client, "patch", f"/programs/{program.code}", body, personas.operator_a)
        assert response.status_code == 200 and Program.objects.get(pk=program.pk).updated_at == before, body
    detail = client.get(f"{API}/programs/{published_program.code}", headers=bearer(personas.operator_a)).json()
    assert detail["pending_changes"]["fields"] == ["description"]
    # What waits for the moderator is read back, not only named.
    assert detail["pending_changes"]["values"] == {"description": "Новое описание для модератора."}
    changed = send(client, "patch", f"/programs/{draft_program.code}", {"title": "Шахматы"}, personas.operator_a)
    assert changed.status_code == 200 and Program.objects.get(pk=draft_program.pk).updated_at > before
    # A group's too: its schedule and financing sent as they are change nothing.
    group = published_program.groups.get()
    path = f"/groups/{group.code}"
    current = client.get(API + path).json()
    same = {
        "capacity": current["capacity"],
        "schedule": [{k: slot[k] for k in ("weekday", "starts_at", "ends_at", "room")} for slot in current["schedule"]],
        "financing": [{k: f[k] for k in ("source", "cost_per_month")} for f in current["financing"]],
    }
    events = AuditEvent.objects.count()
    for body in ({}, same):
        response = send(client, "patch", path, body, personas.operator_a)
        assert response.status_code == 200 and response.json()["updated_at"] == current["updated_at"], body
    assert AuditEvent.objects.count() == events
    moved = send(client, "patch", path, {"capacity": current["capacity"] + 1}, personas.operator_a)
    assert moved.json()["updated_at"] != current["updated_at"]


# --- Organizations ----------------------------------------------------------------------------


def test_organizations_are_listed_publicly_with_pages(client, personas):
    response = client.get(f"{API}/organizations", {"page_size": 1})
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 2 and body["page"] == 1 and body["page_count"] == 2
    [item] = body["items"]
    assert {"code", "uuid", "updated_at", "municipality"} <= item.keys()
    assert item["municipality"]["oktmo"] in {personas.municipality_x.oktmo, personas.municipality_y.oktmo}


def test_a_page_past_the_end_is_empty_however_far(client, personas):
    """An offset past what the database's integers hold was a 500 (found by schemathesis)."""
    for page in (3, 10**20):
        body = client.get(f"{API}/organizations", {"page_size": 1, "page": page}).json()
        assert (body["items"], body["total"], body["page"], body["page_count"]) == ([], 2, page, 2)


def test_russian_text_comes_as_utf8_not_escapes(client, personas, published_program):
    response = client.get(f"{API}/programs/{published_program.code}")
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert published_program.title.encode() in response.content and b"\\u04" not in response.content
    assert response.json()["title"] == published_program.title


def test_organizations_filter_by_municipality_kind_and_name(client, personas):
    Organization.objects.filter(pk=personas.org_b.pk).update(kind=OrganizationKind.SCHOOL)

    def codes(**query) -> set[str]:
        return {item["code"] for item in client.get(f"{API}/organizations", query).json()["items"]}

    assert codes(municipality=personas.municipality_x.oktmo) == {personas.org_a.code}
    assert codes(kind="school") == {personas.org_b.code}
    assert codes(q="Радуга") == {personas.org_a.code}


def test_organizations_updated_since_returns_only_later_changes(client, personas):
    long_ago = timezone.now() - timedelta(days=30)
    Organization.objects.filter(pk=personas.org_b.pk).update(updated_at=long_ago)
    since = (timezone.now() - timedelta(days=1)).isoformat()
    items = client.get(f"{API}/organizations", {"updated_since": since}).json()["items"]
    assert [item["code"] for item in items] == [personas.org_a.code]
    everything = client.get(f"{API}/organizations", {"updated_since": (long_ago - timedelta(days=1)).isoformat()})
    assert [item["code"] for item in everything.json()["items"]] == [personas.org_b.code, personas.org_a.code]


def test_updated_since_needs_a_time_zone(client, personas):
    response = client.get(f"{API}/organizations", {"updated_since": "2025-09-01T00:00:00"})
    assert response.status_code == 422
    assert messages(response) == ["Укажите часовой пояс, например 2025-09-01T00:00:00Z."]


def test_inactive_organization_is_visible_only_within_scope(client, personas):
    Organization.objects.filter(pk=personas.org_a.pk).update(is_active=False)
    path = f"{API}/organizations/{personas.org_a.code}"
    assert client.get(path).status_code == 404
    assert client.get(path, headers=bearer(personas.operator_b)).status_code == 404
    assert client.get(path, headers=bearer(personas.operator_a)).status_code == 200
    assert client.get(path, headers=bearer(personas.municipal_x)).status_code == 200
    listed = client.get(f"{API}/organizations").json()["items"]
    assert [item["code"] for item in listed] == [personas.org_b.code]


def test_organization_detail_has_licence_and_units(client, personas):
    personas.org_a.units.create(kind="it_cube", name="IT-куб")
    body = client.get(f"{API}/organizations/{personas.org_a.code}").json()
    assert body["short_name"] == personas.org_a.short_name
    assert body["units"] == [{"kind": "it_cube", "name": "IT-куб", "address": ""}]
    assert "licence_number" in body


def test_organization_list_does_not_query_per_row(client, personas, django_assert_max_num_queries):
    for n in range(5):
        make_program(personas.org_a, f"Кружок {n}", with_group=False, status="draft")
    with django_assert_max_num_queries(2):
        response = client.get(f"{API}/organizations", {"page_size": 100})
    assert response.status_code == 200


# --- Programs: search -------------------------------------------------------------------------


@pytest.fixture
def catalog(personas, published_program):
    """Programs in both municipalities, so that filters have something to exclude."""
    return [
        published_program,
        make_program(
            personas.org_b,
            "Ансамбль народного танца",
            direction=Direction.ARTS,
            age_from=10,
            age_to=17,
            is_free=False,
            is_paid=True,
            price_per_month=1500,
        ),
        make_program(
            personas.org_b,
            "Юный турист",
            direction=Direction.TOURISM,
            level_basic=False,
            level_advanced=True,
            age_from=12,
            age_to=17,
        ),
        make_program(personas.org_a, "Черновик без публикации", status="draft"),
    ]


def test_search_finds_robotics_for_a_declined_word(client, catalog):
    body = client.get(f"{API}/programs", {"q": "робототехнике"}).json()
    assert [item["title"] for item in body["items"]] == ["Робототехника и конструирование"]
    assert body["total"] == 1 and body["corrected_query"] is None


@pytest.mark.parametrize(
    ("query", "expected_total"),
    [
        ("", 3),
        ("direction=arts&direction=tourism", 2),
        ("age=11", 2),
        ("age=13&age_to=15", 3),
        ("age=5&age_to=10", 2),
        ("age=5&age_to=6", 0),
        ("funding=paid", 1),
        ("level=advanced", 1),
        ("day=0&day=6", 3),
        ("day=4", 0),
        ("free_seats=1&sort=title", 3),
        ("q=танцы", 1),
        ("municipality={y}", 2),
        ("organization={org_a}", 1),
        ("form=distance", 0),
        ("ovz_category=deaf&ovz_category=blind", 0),
    ],
)
def test_search_filters_behave_as_on_the_navigator_pages(client, personas, catalog, query, expected_total):
    query = query.format(y=personas.municipality_y.oktmo, org_a=personas.org_a.code)
    params, errors = params_from_query(QueryDict(query), page_size=20)
    assert errors == []
    on_page = search_programs(params)
    body = client.get(f"{API}/programs?{query}").json()
    assert [item["code"] for item in body["items"]] == [program.code for program in on_page.programs]
    assert body["total"] == on_page.total == expected_total
    assert {
        facet: [(v["value"], v["count"], v["selected"]) for v in values] for facet, values in body["facets"].items()
    } == {facet: [(v.value, v.count, v.selected) for v in values] for facet, values in on_page.facets.items()}


def test_search_answers_with_facets_pages_and_list_fields(client, personas, catalog):
    body = client.get(f"{API}/programs", {"direction": "arts", "page_size": 1}).json()
    assert body["total"] == 1 and body["page"] == 1 and body["page_count"] == 1
    arts = next(value for value in body["facets"]["direction"] if value["value"] == "arts")
    assert arts == {"value": "arts", "label": "Художественная", "count": 1, "selected": True}
    [item] = body["items"]
    assert item["organization"] == {"code": personas.org_b.code, "short_name": personas.org_b.short_name}
    assert item["weekdays"] == [0, 2] and item["is_paid"] is True and item["updated_at"]


def test_a_search_item_says_what_the_program_page_says_of_the_same_fields(client, catalog):
    """The search's items are read by pydantic itself (core.api.read_by_pydantic), the program by ninja:
    the same fields, in the same names and forms."""
    items = client.get(f"{API}/programs", {"page_size": 100}).json()["items"]
    assert len(items) >= 3
    for item in items:
        detail = client.get(f"{API}/programs/{item['code']}").json()
        assert set(item) == set(ProgramListItemOut.model_fields)
        assert item == {key: detail[key] for key in item}


def test_search_filters_by_the_categories_of_children_with_ovz_and_counts_them(client, personas, catalog):
    singing = make_program(personas.org_a, "Жестовое пение", ovz_adapted=True, ovz_categories=("deaf",))
    chess = make_program(
        personas.org_b, "Шахматы без границ", ovz_adapted=True, ovz_categories=("blind", "visually_impaired")
    )
    make_program(personas.org_b, "Шахматы для всех")
    body = client.get(f"{API}/programs", {"ovz_category": ["deaf", "blind"]}).json()
    assert {item["code"] for item in body["items"]} == {singing.code, chess.code}  # any of them
    counts = {value["value"]: (value["count"], value["selected"]) for value in body["facets"]["ovz_category"]}
    assert counts["deaf"] == counts["blind"] == (1, True)
    assert counts["visually_impaired"] == (1, False) and counts["autism"] == (0, False)
    assert next(v for v in body["facets"]["ovz_category"] if v["value"] == "deaf")["label"] == "Глухие"
    # Written into the query, as on the pages.
    said = client.get(f"{API}/programs", {"q": "шахматы для слабовидящих"}).json()
    assert [item["code"] for item in said["items"]] == [chess.code]
    assert next(v for v in said["facets"]["ovz_category"] if v["value"] == "visually_impaired")["selected"]


def test_search_rejects_an_unknown_category_of_children_with_ovz(client, catalog):
    response = client.get(f"{API}/programs", {"ovz_category": ["deaf", "wizards"]})
    assert response.status_code == 422
    codes = ", ".join(OvzCategory.objects.values_list("code", flat=True))
    assert errors_by_field(response) == {"ovz_category": f"Допустимые значения: {codes}."}
    parameter = next(
        p
        for p in client.get(f"{API}/openapi.json").json()["paths"][f"{API}/programs"]["get"]["parameters"]
        if p["name"] == "ovz_category"
    )
    assert parameter["schema"]["title"] == "Категория детей с ОВЗ"


def test_search_suggests_the_corrected_query_for_a_typo(client, catalog):
    body = client.get(f"{API}/programs", {"q": "робототехнека"}).json()
    assert body["corrected_query"] == "робототехника"
    assert [item["title"] for item in body["items"]] == ["Робототехника и конструирование"]


def test_search_rejects_bad_filters_with_russian_messages(client, personas):
    response = client.get(
        f"{API}/programs", {"direction": "cooking", "age": "30", "page_size": "101", "day": "9", "municipality": "abc"}
    )
    assert response.status_code == 422
    assert response.json()["message"] == "Запрос содержит ошибки."
    assert errors_by_field(response) == {
        "direction": "Допустимые значения: technical, natural_science, arts, sport, tourism, social.",
        "age": "Значение должно быть не больше 18.",
        "page_size": "Значение должно быть не больше 100.",
        "day": "Допустимые значения: 0, 1, 2, 3, 4, 5, 6.",
        "municipality": "Значение не соответствует формату ^\\d{8}(\\d{3})?$.",
    }


def test_search_does_not_query_per_program(client, personas, catalog, django_assert_max_num_queries):
    for n in range(10):
        make_program(personas.org_a, f"Робототехника {n}")
    # Index (rebuilt on every search in tests: programs, their categories of ОВЗ, groups, timetables, the places of
    # groups held elsewhere), postings of the word, the page's rows, the dictionaries a process keeps (read afresh
    # in tests): categories, municipalities.
    with django_assert_max_num_queries(9):
        response = client.get(f"{API}/programs", {"q": "робототехника", "page_size": 100})
    assert response.json()["total"] == 11


# --- Programs and groups: reading -------------------------------------------------------------


def test_published_program_is_public_with_its_groups(client, published_program):
    body = client.get(f"{API}/programs/{published_program.code}").json()
    assert body["code"] == published_program.code and body["uuid"] == str(published_program.uuid)
    assert body["status"] == "published" and body["organization"]["code"] == published_program.organization.code
    [group] = body["groups"]
    assert group["seats_left"] == 15
    assert [slot["weekday"] for slot in group["schedule"]] == [0, 2]


def test_draft_is_visible_only_within_scope(client, personas, draft_program):
    path = f"{API}/programs/{draft_program.code}"
    assert client.get(path).status_code == 404
    assert client.get(path, headers=bearer(personas.family)).status_code == 404
    assert client.get(path, headers=bearer(personas.operator_b)).status_code == 404
    assert client.get(path, headers=bearer(personas.municipal_y)).status_code == 404
    assert client.get(path, headers=bearer(personas.operator_a)).status_code == 200
    assert client.get(path, headers=bearer(personas.teacher_a)).status_code == 200
    assert client.get(path, headers=bearer(personas.municipal_x)).status_code == 200
    assert client.get(path, headers=bearer(personas.admin)).status_code == 200


def test_signed_in_operator_sees_own_draft_through_the_session(client, personas, draft_program):
    client.force_login(personas.operator_a)
    assert client.get(f"{API}/programs/{draft_program.code}").json()["status"] == "draft"


def test_program_groups_are_listed_with_schedule_and_financing(client, personas, published_program):
    make_group(published_program, weekdays=(4,), capacity=10)
    body = client.get(f"{API}/programs/{published_program.code}/groups").json()
    assert body["total"] == 2
    assert {group["capacity"] for group in body["items"]} == {15, 10}
    assert all(group["financing"] == [{"source": "budget", "cost_per_month": "0.00"}] for group in body["items"])
    assert all(group["program"]["code"] == published_program.code for group in body["items"])


def test_groups_of_a_draft_are_hidden_from_outsiders(client, personas, draft_program):
    group = draft_program.groups.get()
    assert client.get(f"{API}/programs/{draft_program.code}/groups").status_code == 404
    assert client.get(f"{API}/groups/{group.code}").status_code == 404
    assert client.get(f"{API}/groups/{group.code}", headers=bearer(personas.operator_b)).status_code == 404
    assert client.get(f"{API}/groups/{group.code}", headers=bearer(personas.operator_a)).status_code == 200


def test_group_detail_has_schedule_financing_and_seats_left(client, published_program):
    group = published_program.groups.get()
    Group.objects.filter(pk=group.pk).update(seats_taken=4)
    body = client.get(f"{API}/groups/{group.code}").json()
    assert body["seats_left"] == 11 and body["seats_taken"] == 4 and body["capacity"] == 15
    assert body["schedule"][0] == {"weekday": 0, "starts_at": "16:00:00", "ends_at": "17:30:00", "room": ""}
    assert body["financing"] == [{"source": "budget", "cost_per_month": "0.00"}]
    assert body["program"] == {"code": published_program.code, "title": published_program.title}


def test_program_groups_list_does_not_query_per_group(client, published_program, django_assert_max_num_queries):
    for weekday in range(6):
        make_group(published_program, weekdays=(weekday,))
    with django_assert_max_num_queries(7):
        response = client.get(f"{API}/programs/{published_program.code}/groups", {"page_size": 100})
    assert response.json()["total"] == 7


def codes_of(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["code"] for item in response.json()["items"]]


@pytest.fixture
def program_b(personas) -> Program:
    """A published program of organization B in municipality Y, with one group."""
    return make_program(personas.org_b, "Шахматы", actor=personas.operator_b)


def test_groups_are_listed_as_their_programs_are_seen(client, personas, published_program, draft_program, program_b):
    published, draft, other = (p.groups.get().code for p in (published_program, draft_program, program_b))
    assert sorted(codes_of(client.get(f"{API}/groups"))) == sorted([published, other])
    assert sorted(codes_of(client.get(f"{API}/groups", headers=bearer(personas.operator_a)))) == sorted(
        [published, draft, other]
    )
    assert sorted(codes_of(client.get(f"{API}/groups", headers=bearer(personas.operator_b)))) == sorted(
        [published, other]
    )
    assert sorted(codes_of(client.get(f"{API}/groups", headers=bearer(personas.municipal_x)))) == sorted(
        [published, draft, other]  # the draft is in municipality X, which it moderates
    )
    assert sorted(codes_of(client.get(f"{API}/groups", headers=bearer(personas.municipal_y)))) == sorted(
        [published, other]
    )


def test_groups_filter_by_municipality_organization_and_program(client, personas, published_program, program_b):
    second = make_group(published_program, weekdays=(5,))
    first = published_program.groups.exclude(pk=second.pk).get()
    mine = sorted([first.code, second.code])
    assert sorted(codes_of(client.get(f"{API}/groups", {"municipality": personas.municipality_x.oktmo}))) == mine
    assert sorted(codes_of(client.get(f"{API}/groups", {"organization": personas.org_a.code}))) == mine
    assert codes_of(client.get(f"{API}/groups", {"program": program_b.code})) == [program_b.groups.get().code]
    assert codes_of(client.get(f"{API}/groups", {"program": "PR-000000"})) == []
    ended = timezone.localdate() - timedelta(days=1)
    Group.objects.filter(pk=second.pk).update(start_date=ended - timedelta(days=90), end_date=ended)
    assert codes_of(client.get(f"{API}/groups", {"program": published_program.code})) == [first.code]  # current only
    assert client.get(f"{API}/groups", {"program": "программа"}).status_code == 422


def test_groups_list_does_not_query_per_group(client, published_program, django_assert_max_num_queries):
    for weekday in range(6):
        make_group(published_program, weekdays=(weekday,))
    with django_assert_max_num_queries(7):
        response = client.get(f"{API}/groups", {"page_size": 100})
    assert response.json()["total"] == 7


def test_a_method_a_path_does_not_take_is_405_in_json(client, personas):
    response = client.delete(f"{API}/programs")
    assert response.status_code == 405
    assert response.json() == {"detail": "Метод DELETE по этому адресу не принимается; принимаются: GET, POST."}
    assert response["Allow"] == "GET, POST"
    assert response["Content-Type"] == "application/json; charset=utf-8" and response["X-Frame-Options"] == "DENY"
    # The length said is the body's (it was the replaced text's: clients read 18 bytes of the JSON).
    assert response["Content-Length"] == str(len(response.content))


def test_head_is_answered_as_get_without_a_body(client, published_program):
    get = client.get(f"{API}/programs/{published_program.code}")
    head = client.head(f"{API}/programs/{published_program.code}")
    assert (head.status_code, head.content, head["Content-Length"]) == (200, b"", str(len(get.content)))
    assert client.head(f"{API}/programs/PR-000000").status_code == 404
    assert client.head(f"{API}/me").status_code == 401


def test_a_body_over_the_size_taken_is_413_in_json(client, personas, draft_program, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
    response = send(
        client, "patch", f"/programs/{draft_program.code}", {"description": "я" * 600_000}, personas.operator_a
    )
    assert response.status_code == 413
    assert response.json() == {"detail": "Тело запроса больше 1,0 МБ: столько не принимается."}
    assert Program.objects.get(pk=draft_program.pk).description == draft_program.description


def test_a_date_that_is_not_in_the_calendar_is_said_so(client, personas, published_program):
    group = published_program.groups.get()
    response = send(client, "patch", f"/groups/{group.code}", {"end_date": "2027-02-30"}, personas.operator_a)
    assert response.status_code == 422
    assert messages(response) == ["Такой даты нет в календаре: проверьте день и месяц."]
    wrong = send(client, "patch", f"/groups/{group.code}", {"end_date": "30.02.2027"}, personas.operator_a)
    assert messages(wrong) == ["Укажите дату в формате ГГГГ-ММ-ДД."]
    # A null where a value is needed is said in the API's words, not the database's («значение NULL»),
    # and a body that is no object is placed at the body (it was ["body", "body"]).
    nothing = send(client, "patch", f"/programs/{published_program.code}", {"age_to": None}, personas.operator_a)
    assert nothing.status_code == 422 and messages(nothing) == ["Обязательное поле: null не принимается."]
    listed = send(client, "post", "/groups", [1, 2], personas.operator_a)  # type: ignore[arg-type]
    assert listed.status_code == 422 and [e["loc"] for e in listed.json()["detail"]] == [["body"]]


def test_a_time_without_its_zone_is_refused_in_russian(client, personas, published_program):
    group = published_program.groups.get()
    path = f"/groups/{group.code}"
    response = send(client, "patch", path, {"enrollment_closes_at": "2027-03-01T00:00:00"}, personas.operator_a)
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "loc": ["body", "enrollment_closes_at"],
            "msg": "Укажите часовой пояс, например 2025-09-01T00:00:00Z.",
            "type": "timezone_aware",
        }
    ]
    zoned = send(client, "patch", path, {"enrollment_closes_at": "2027-03-01T00:00:00+03:00"}, personas.operator_a)
    assert zoned.status_code == 200 and zoned.json()["enrollment_closes_at"] == "2027-02-28T21:00:00Z"


def test_unknown_program_is_404_in_russian(client, personas):
    response = client.get(f"{API}/programs/PR-000000")
    assert response.status_code == 404
    assert response.json() == {"detail": "Не найдено."}


# --- Programs: writing ------------------------------------------------------------------------


def test_operator_creates_a_draft_program_for_own_organization(client, personas):
    OvzCategory.objects.create(code="hearing", name="Нарушения слуха")
    response = send(
        client,
        "post",
        "/programs",
        program_payload(personas.org_a, ovz_adapted=True, ovz_categories=["hearing"]),
        personas.operator_a,
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "draft" and body["code"].startswith("PR-")
    assert body["municipality"]["oktmo"] == personas.municipality_x.oktmo
    assert body["program_type"] == "general" and body["study_form"] == "full_time"
    assert body["ovz_categories"] == [{"code": "hearing", "name": "Нарушения слуха"}]
    program = Program.objects.get(code=body["code"])
    assert AuditEvent.objects.filter(action="program.created", object_id=str(program.pk), actor=personas.operator_a)


def test_operator_cannot_create_a_program_for_another_organization(client, personas):
    response = send(client, "post", "/programs", program_payload(personas.org_b), personas.operator_a)
    assert response.status_code == 403
    assert response.json() == {"detail": "Недостаточно прав для этого действия."}


def test_teacher_cannot_create_programs(client, personas):
    response = send(client, "post", "/programs", program_payload(personas.org_a), personas.teacher_a)
    assert response.status_code == 403


def test_an_organization_the_body_names_but_the_caller_cannot_see_is_a_field_error(client, personas):
    """A reference in the body is the data's mistake (422 at its field), unknown or outside scope alike;
    404 is for an address: the same organization in the URL is not found."""
    Organization.objects.filter(pk=personas.org_b.pk).update(is_active=False)
    for code in ("OR-000000", personas.org_b.code):
        response = send(
            client, "post", "/programs", {**program_payload(personas.org_a), "organization": code}, personas.operator_a
        )
        assert response.status_code == 422
        assert response.json()["detail"] == [
            {"loc": ["body", "organization"], "msg": "Организация не найдена.", "type": "invalid"}
        ]
        assert client.get(f"{API}/organizations/{code}", headers=bearer(personas.operator_a)).status_code == 404
    assert not Program.objects.filter(title="Шахматы для начинающих").exists()


def test_admin_creates_programs_for_any_organization(client, personas):
    response = send(client, "post", "/programs", program_payload(personas.org_b), personas.admin)
    assert response.status_code == 201


def test_program_validation_errors_are_russian_and_name_the_field(client, personas):
    payload = program_payload(personas.org_a, age_from=14, age_to=10, direction="cooking", colour="red")
    del payload["title"]
    response = send(client, "post", "/programs", payload, personas.operator_a)
    assert response.status_code == 422
    assert errors_by_field(response) == {
        "title": "Обязательное поле.",
        "direction": "Допустимые значения: technical, natural_science, arts, sport, tourism, social.",
        "colour": "Неизвестное поле.",
    }
    model_rules = send(client, "post", "/programs", program_payload(personas.org_a, is_free=False), personas.operator_a)
    assert model_rules.status_code == 422
    assert model_rules.json()["message"] == "Запрос содержит ошибки."
    assert all(re.search("[а-я]", error["msg"]) for error in model_rules.json()["detail"])
    assert not Program.objects.filter(title="Шахматы для начинающих").exists()


def test_body_that_is_not_json_is_400_in_russian(client, personas, draft_program):
    response = client.patch(
        f"{API}/programs/{draft_program.code}",
        "{title:",
        content_type="application/json",
        headers=bearer(personas.operator_a),
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "Тело запроса не разобрано: ожидается JSON."}
    documented = client.get(f"{API}/openapi.json").json()["paths"]
    assert "400" in documented[f"{API}/programs/{{code}}"]["patch"]["responses"]  # every change says so
    assert "400" in documented[f"{API}/applications"]["post"]["responses"]


def test_teachers_must_work_in_the_programs_organization(client, personas, draft_program, published_program):
    """Another organization's teacher is answered as a UUID nobody has: the answer does not tell that the
    teacher exists elsewhere."""
    stranger = Teacher.objects.create(organization=personas.org_b, last_name="Петров", first_name="Пётр")
    colleague = Teacher.objects.create(organization=personas.org_a, last_name="Иванова", first_name="Анна")
    nobody = str(uuid.uuid4())
    group = published_program.groups.get()
    for method, path, field, payload in (
        ("patch", f"/programs/{draft_program.code}", "teachers", lambda key: {"teachers": [key]}),
        ("post", "/programs", "teachers", lambda key: program_payload(personas.org_a, teachers=[key])),
        ("patch", f"/groups/{group.code}", "teacher", lambda key: {"teacher": key}),
        ("post", "/groups", "teacher", lambda key: group_payload(draft_program, teacher=key)),
    ):
        unknown = send(client, method, path, payload(nobody), personas.operator_a)
        elsewhere = send(client, method, path, payload(str(stranger.uuid)), personas.operator_a)
        assert unknown.status_code == elsewhere.status_code == 422
        assert unknown.json()["detail"] == [
            {"loc": ["body", field], "msg": f"Не найдены: {nobody}.", "type": "invalid"}
        ]
        assert elsewhere.content.decode().replace(str(stranger.uuid), nobody) == unknown.content.decode()
    assert list(draft_program.teachers.all()) == [] and Program.objects.count() == 2
    assert Group.objects.get(pk=group.pk).teacher is None and draft_program.groups.count() == 1
    path = f"/programs/{draft_program.code}"
    accepted = send(client, "patch", path, {"teachers": [str(colleague.uuid)]}, personas.operator_a)
    assert accepted.json()["teachers"] == [
        {"uuid": str(colleague.uuid), "full_name": "Иванова Анна", "position": colleague.position}
    ]
    led = send(client, "patch", f"/groups/{group.code}", {"teacher": str(colleague.uuid)}, personas.operator_a)
    assert led.status_code == 200 and led.json()["teacher"]["uuid"] == str(colleague.uuid)


def test_unknown_dictionary_codes_are_field_errors(client, personas, draft_program):
    response = send(client, "patch", f"/programs/{draft_program.code}", {"registers": ["nope"]}, personas.operator_a)
    assert response.status_code == 422
    assert response.json()["detail"] == [{"loc": ["body", "registers"], "msg": "Не найдены: nope.", "type": "invalid"}]


def test_operator_patches_only_the_fields_sent(client, personas, draft_program):
    response = send(
        client, "patch", f"/programs/{draft_program.code}", {"title": "Лего-конструирование"}, personas.operator_a
    )
    assert response.status_code == 200
    draft_program.refresh_from_db()
    assert draft_program.title == "Лего-конструирование"
    assert draft_program.summary.startswith("Программа «Черновик программы»") and draft_program.age_to == 14


def test_patching_a_paid_program_without_price_is_a_field_error(client, personas, draft_program):
    response = send(client, "patch", f"/programs/{draft_program.code}", {"is_paid": True}, personas.operator_a)
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "loc": ["body", "price_per_month"],
            "msg": "Укажите стоимость в месяц: программа отмечена как платная.",
            "type": "invalid",
        }
    ]


def test_operator_cannot_patch_other_organizations_program(client, personas, draft_program, published_program):
    assert (
        send(client, "patch", f"/programs/{draft_program.code}", {"title": "X"}, personas.operator_b).status_code == 404
    )
    response = send(client, "patch", f"/programs/{published_program.code}", {"title": "X"}, personas.operator_b)
    assert response.status_code == 403


@pytest.mark.parametrize("persona", ["teacher_a", "municipal_x", "regional", "methodologist"])
def test_read_only_roles_cannot_patch_programs(client, personas, draft_program, persona):
    response = send(client, "patch", f"/programs/{draft_program.code}", {"title": "X"}, getattr(personas, persona))
    assert response.status_code == 403
    draft_program.refresh_from_db()
    assert draft_program.title == "Черновик программы"


# --- Programs: moderation ---------------------------------------------------------------------


def transition(client, program: Program, user: User, name: str, remark: str = ""):
    return send(client, "post", f"/programs/{program.code}/transitions", {"transition": name, "remark": remark}, user)


def test_program_goes_through_moderation_with_the_right_roles(client, personas, draft_program):
    submitted = transition(client, draft_program, personas.operator_a, "submit")
    assert submitted.status_code == 200 and submitted.json()["status"] == "moderating"
    returned = transition(client, draft_program, personas.municipal_x, "return", "Уточните возраст")
    assert returned.status_code == 200
    assert returned.json()["status"] == "needs_changes" and returned.json()["moderation_remark"] == "Уточните возраст"
    assert transition(client, draft_program, personas.operator_a, "submit").status_code == 200
    approved = transition(client, draft_program, personas.regional, "approve")
    assert approved.status_code == 200 and approved.json()["status"] == "published"
    assert client.get(f"{API}/programs/{draft_program.code}").status_code == 200


def test_organization_cannot_approve_its_own_program(client, personas, draft_program):
    transition(client, draft_program, personas.operator_a, "submit")
    assert transition(client, draft_program, personas.operator_a, "approve").status_code == 403
    draft_program.refresh_from_db()
    assert draft_program.status == ModerationStatus.MODERATING


def test_moderator_cannot_submit_for_the_organization(client, personas, draft_program):
    assert transition(client, draft_program, personas.municipal_x, "submit").status_code == 403


@pytest.mark.parametrize(
    ("persona", "status"), [("municipal_y", 404), ("other_regional", 404), ("methodologist", 403), ("teacher_a", 403)]
)
def test_only_moderators_of_the_territory_approve(client, personas, draft_program, persona, status):
    transition(client, draft_program, personas.operator_a, "submit")
    assert transition(client, draft_program, getattr(personas, persona), "approve").status_code == status


def test_moderation_rules_come_back_as_russian_422(client, personas, draft_program):
    transition(client, draft_program, personas.operator_a, "submit")
    response = transition(client, draft_program, personas.municipal_x, "return")
    assert response.status_code == 422
    assert messages(response) == ["Укажите, что нужно исправить: замечание обязательно при возврате на доработку."]
    unknown = transition(client, draft_program, personas.municipal_x, "publish")
    assert unknown.status_code == 422 and messages(unknown)[0].startswith(
        "Допустимые значения: submit, withdraw, approve"
    )


def test_both_sides_may_archive(client, personas, published_program, draft_program):
    assert transition(client, published_program, personas.municipal_x, "archive").json()["status"] == "archived"
    assert transition(client, draft_program, personas.operator_a, "archive").json()["status"] == "archived"


# --- Groups: writing --------------------------------------------------------------------------


def test_operator_creates_a_group_with_schedule_and_financing(client, personas, draft_program):
    response = send(client, "post", "/groups", group_payload(draft_program), personas.operator_a)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["schedule"] == [{"weekday": 5, "starts_at": "10:00:00", "ends_at": "11:30:00", "room": "12"}]
    assert body["financing"] == [{"source": "budget", "cost_per_month": "0.00"}]
    assert body["seats_left"] == 12 and body["address"] == draft_program.address
    draft_program.refresh_from_db()
    assert draft_program.weekdays_mask == (1 << 0) | (1 << 2) | (1 << 5)


def test_operator_cannot_add_groups_to_other_organizations_programs(client, personas, draft_program, published_program):
    hidden = send(client, "post", "/groups", group_payload(draft_program), personas.operator_b)
    assert hidden.status_code == 422 and errors_by_field(hidden) == {"program": "Программа не найдена."}
    unknown = send(
        client, "post", "/groups", {**group_payload(draft_program), "program": "PR-000000"}, personas.operator_a
    )
    assert unknown.status_code == 422 and errors_by_field(unknown) == {"program": "Программа не найдена."}
    assert send(client, "post", "/groups", group_payload(published_program), personas.operator_b).status_code == 403
    assert send(client, "post", "/groups", group_payload(published_program), personas.teacher_a).status_code == 403


def test_group_patch_replaces_the_schedule_and_keeps_the_rest(client, personas, published_program):
    group = published_program.groups.get()
    slots = [{"weekday": 1, "starts_at": "15:00", "ends_at": "16:00"}]
    response = send(client, "patch", f"/groups/{group.code}", {"schedule": slots}, personas.operator_a)
    assert response.status_code == 200
    assert [(slot["weekday"], slot["room"]) for slot in response.json()["schedule"]] == [(1, "")]
    assert response.json()["financing"] == [{"source": "budget", "cost_per_month": "0.00"}]
    assert response.json()["capacity"] == 15
    # A room sent as null (found by the API's fuzzing: 500 before) is refused at its field, the schedule unchanged.
    slots = [{"weekday": 2, "starts_at": "15:00", "ends_at": "16:00", "room": None}]
    refused = send(client, "patch", f"/groups/{group.code}", {"schedule": slots}, personas.operator_a)
    assert refused.status_code == 422 and "room" in refused.content.decode()
    assert list(group.schedule.values_list("weekday", flat=True)) == [1]
    # So are a time with an offset (a lesson is at local time) and an address or a name sent as null (500s before).
    slots = [{"weekday": 2, "starts_at": "16:40:57-06:46", "ends_at": "17:30"}]
    refused = send(client, "patch", f"/groups/{group.code}", {"schedule": slots}, personas.operator_a)
    assert refused.status_code == 422 and "без часового пояса" in refused.content.decode()
    refused = send(client, "patch", f"/groups/{group.code}", {"name": None, "address": None}, personas.operator_a)
    assert errors_by_field(refused) == {"name": NULL_REFUSED, "address": NULL_REFUSED}
    refused = send(client, "patch", f"/groups/{group.code}", {"address": None}, personas.operator_a)
    assert refused.status_code == 422 and errors_by_field(refused) == {
        "address": "Обязательное поле: null не принимается."
    }


def test_group_rules_come_back_as_field_errors(client, personas, published_program):
    group = published_program.groups.get()
    paid = send(
        client,
        "patch",
        f"/groups/{group.code}",
        {"financing": [{"source": "paid", "cost_per_month": 900}]},
        personas.operator_a,
    )
    assert paid.status_code == 422
    assert paid.json()["detail"] == [
        {"loc": ["body", "financing"], "msg": "Источник «Платно» не указан в условиях программы.", "type": "invalid"}
    ]
    backwards = [{"weekday": 1, "starts_at": "16:00", "ends_at": "15:00"}]
    response = send(client, "patch", f"/groups/{group.code}", {"schedule": backwards}, personas.operator_a)
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "schedule"]
    impossible = [{"weekday": 8, "starts_at": "25:00", "ends_at": "26:00"}]
    bad_time = send(client, "patch", f"/groups/{group.code}", {"schedule": impossible}, personas.operator_a)
    assert bad_time.status_code == 422
    assert set(messages(bad_time)) == {"Допустимые значения: 0, 1, 2, 3, 4, 5, 6.", "Укажите время в формате ЧЧ:ММ."}


def test_a_group_is_checked_against_its_program_and_every_mistake_named(client, personas):
    """The office's rules, through the same action: ages within the program's, the academic year
    of the dates, realistic seats, lessons that do not overlap, a paid source that costs something."""
    program = make_program(
        personas.org_a, "Юный программист", status="draft", with_group=False, age_from=7, age_to=12,
        is_free=False, is_paid=True, price_per_month=1500,
    )  # fmt: skip
    payload = group_payload(
        program,
        age_from=3,
        age_to=17,
        academic_year=2031,
        start_date="2026-09-01",
        end_date="2027-05-31",
        capacity=100_000,
        schedule=[
            {"weekday": 1, "starts_at": "15:00", "ends_at": "16:30"},
            {"weekday": 1, "starts_at": "15:30", "ends_at": "17:00"},
        ],
        financing=[{"source": "paid", "cost_per_month": "0"}],
    )
    response = send(client, "post", "/groups", payload, personas.operator_a)
    assert response.status_code == 422
    assert errors_by_field(response) == {
        "age_from": "Возраст группы — в пределах возраста программы: 7–12 лет.",
        "age_to": "Возраст группы — в пределах возраста программы: 7–12 лет.",
        "academic_year": "Учебный год не совпадает с датами: занятия начинаются 01.09.2026 — "
        "это 2026/27 учебный год, укажите 2026.",
        "capacity": "В группе — не больше 500 мест.",
        "schedule": "Занятия группы пересекаются: Вт 15:00–16:30 и Вт 15:30–17:00.",
        "financing": "Укажите стоимость в месяц больше нуля: источник «Платно» оплачивается.",
    }
    assert not Group.objects.filter(program=program).exists()


def test_a_new_group_needs_its_financing(client, personas, draft_program):
    payload = group_payload(draft_program)
    del payload["financing"]
    response = send(client, "post", "/groups", payload, personas.operator_a)
    assert response.status_code == 422
    assert errors_by_field(response) == {
        "financing": "Укажите хотя бы один источник финансирования: бесплатно, по сертификату или платно."
    }


def test_program_limits_come_back_as_field_errors(client, personas, draft_program):
    path = f"/programs/{draft_program.code}"
    response = send(client, "patch", path, {"hours_total": 99_999_999_999, "duration_months": 121}, personas.operator_a)
    assert response.status_code == 422
    assert errors_by_field(response) == {
        "hours_total": "Объём программы — не больше 10\u00a0000 часов.",
        "duration_months": "Срок освоения — не больше 120 месяцев (10 лет).",
    }
    price = send(client, "patch", path, {"is_paid": True, "price_per_month": "1000001"}, personas.operator_a)
    assert errors_by_field(price) == {"price_per_month": "Стоимость — не больше 1\u00a0000\u00a0000\u00a0₽ в месяц."}
    draft_program.refresh_from_db()
    assert draft_program.hours_total == 144 and not draft_program.is_paid


@pytest.mark.parametrize(("persona", "status"), [("operator_b", 403), ("teacher_a", 403), ("municipal_x", 403)])
def test_outsiders_cannot_patch_groups(client, personas, published_program, persona, status):
    group = published_program.groups.get()
    response = send(client, "patch", f"/groups/{group.code}", {"capacity": 30}, getattr(personas, persona))
    assert response.status_code == status


def test_unauthenticated_group_write_is_401(client, published_program):
    assert send(client, "post", "/groups", group_payload(published_program)).status_code == 401


# --- OpenAPI and docs -------------------------------------------------------------------------


def test_openapi_document_lists_every_endpoint(client):
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    document = json.loads(response.content)
    assert document["openapi"].startswith("3.")
    paths = {path: set(operations) for path, operations in document["paths"].items()}
    assert paths == {
        f"{API}/me": {"get"},
        f"{API}/teachers": {"get"},
        f"{API}/dictionaries": {"get"},
        f"{API}/saved-programs": {"get"},
        f"{API}/saved-programs/{{saved_id}}": {"delete"},
        f"{API}/search-alerts": {"get", "post"},
        f"{API}/search-alerts/{{alert_id}}": {"delete"},
        f"{API}/programs/{{code}}/save": {"post"},
        f"{API}/municipalities": {"get"},
        f"{API}/municipalities/{{oktmo}}": {"get"},
        f"{API}/organizations": {"get", "post"},
        f"{API}/organizations/{{code}}/register": {"patch"},
        f"{API}/organizations/search": {"get"},
        f"{API}/organizations/map": {"get"},
        f"{API}/organizations/{{code}}": {"get", "patch"},
        f"{API}/organizations/{{code}}/programs": {"get"},
        f"{API}/organizations/{{code}}/places": {"get", "post"},
        f"{API}/places/{{place_id}}": {"patch", "delete"},
        f"{API}/organizations/{{code}}/teachers": {"post"},
        f"{API}/teachers/{{uuid}}": {"patch", "delete"},
        f"{API}/organizations/{{code}}/staff": {"get", "post"},
        f"{API}/organizations/{{code}}/staff/{{access_id}}": {"delete"},
        f"{API}/organizations/{{code}}/staff/{{access_id}}/invitation": {"post"},
        f"{API}/programs": {"get", "post"},
        f"{API}/programs/map": {"get"},
        f"{API}/programs/{{code}}": {"get", "patch"},
        f"{API}/programs/{{code}}/groups": {"get"},
        f"{API}/programs/{{code}}/groups/next-year": {"post"},
        f"{API}/organizations/{{code}}/groups/next-year": {"post"},
        f"{API}/programs/{{code}}/transitions": {"post"},
        f"{API}/groups": {"get", "post"},
        f"{API}/groups/{{code}}": {"get", "patch"},
        f"{API}/applications": {"get", "post"},
        f"{API}/applications/{{code}}": {"get"},
        f"{API}/applications/{{code}}/transitions": {"post"},
        f"{API}/applications/{{code}}/transfer": {"post"},
        f"{API}/campaigns": {"get"},
        f"{API}/campaigns/{{code}}": {"get"},
        f"{API}/campaigns/{{code}}/children/{{child}}/choices": {"get", "put"},
        f"{API}/groups/{{code}}/lessons": {"get"},
        f"{API}/groups/{{code}}/lessons/generate": {"post"},
        f"{API}/groups/{{code}}/lessons/{{lesson_id}}": {"get"},
        f"{API}/groups/{{code}}/lessons/{{lesson_id}}/attendance": {"put"},
        f"{API}/groups/{{code}}/report": {"get"},
        f"{API}/watches": {"get"},
        f"{API}/programs/{{code}}/watch": {"post"},
        f"{API}/watches/{{watch_id}}": {"delete"},
        f"{API}/children": {"get", "post"},
        f"{API}/children/{{uuid}}": {"get", "patch"},
        f"{API}/children/{{uuid}}/identifiers": {"post", "put"},
        f"{API}/registry/duplicates": {"get"},
        f"{API}/registry/duplicates/{{pk}}": {"get", "post"},
        f"{API}/registry/duplicates/{{pk}}/reopen": {"post"},
        f"{API}/registry/merges/{{pk}}/undo": {"post"},
        f"{API}/indicators": {"get"},
        f"{API}/targets": {"get", "put"},
        f"{API}/imports": {"get", "post"},
        f"{API}/imports/{{code}}": {"get"},
        f"{API}/imports/{{code}}/apply": {"post"},
        f"{API}/imports/{{code}}/errors": {"get"},
        f"{API}/career-lessons": {"post"},
        f"{API}/certificates": {"get", "post"},
        f"{API}/certificates/{{uuid}}": {"get"},
        f"{API}/certificates/{{uuid}}/confirm": {"post"},
        f"{API}/contracts": {"get", "post"},
        f"{API}/contracts/quote": {"get"},
        f"{API}/contracts/{{uuid}}": {"get"},
        f"{API}/contracts/{{uuid}}/accept": {"post"},
        f"{API}/contracts/{{uuid}}/confirm": {"post"},
        f"{API}/contracts/{{uuid}}/reject": {"post"},
        f"{API}/contracts/{{uuid}}/terminate": {"post"},
        f"{API}/certifications": {"get", "post"},
        f"{API}/certifications/{{certification_id}}/decision": {"post"},
        f"{API}/providers": {"post"},
        f"{API}/agreements": {"post"},
        f"{API}/completeness": {"post"},
        f"{API}/invoices": {"get", "post"},
        f"{API}/invoices/{{code}}/pay": {"post"},
        f"{API}/periods/{{period_id}}/close": {"post"},
        f"{API}/finance/reports": {"get"},
        f"{API}/finance/payments": {"get"},
    }
    assert document["components"]["securitySchemes"]["ApiTokenAuth"] == {"type": "http", "scheme": "bearer"}
    assert document["paths"][f"{API}/programs"]["get"]["summary"] == "Поиск программ"


def test_docs_work_without_any_cdn(client):
    assert client.get("/api/docs").url == "/api/v1/docs"
    response = client.get(f"{API}/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and all(url.startswith("/static/ninja/") for url in assets), assets
    assert all(finders.find(url.removeprefix("/static/")) for url in assets)
    assert '"validatorUrl": null' in html
    assert f'"url": "{API}/openapi.json"' in html


def test_a_published_programs_changes_wait_for_the_moderator_in_the_api(client, personas, published_program):
    path = f"/programs/{published_program.code}"
    approved = published_program.summary
    response = send(client, "patch", path, {"summary": "Правка через API.", "age_to": 16}, personas.operator_a)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "published" and body["summary"] == approved and body["age_to"] == 14
    assert body["pending_changes"]["status"] == "moderating"
    assert body["pending_changes"]["fields"] == ["age_to", "summary"]
    locked = send(client, "patch", path, {"summary": "Ещё правка."}, personas.operator_a)
    assert locked.status_code == 422 and "на модерации" in messages(locked)[0]
    returned = transition(client, published_program, personas.municipal_x, "return_changes", "Возраст — до 15")
    assert returned.json()["pending_changes"]["remark"] == "Возраст — до 15"
    send(client, "patch", path, {"age_to": 15}, personas.operator_a)  # the summary's change is kept
    approved_now = transition(client, published_program, personas.municipal_x, "approve_changes")
    body = approved_now.json()
    assert (body["summary"], body["age_to"], body["pending_changes"]) == ("Правка через API.", 15, None)


def test_an_archived_program_and_its_groups_are_not_changed_through_the_api(client, personas, published_program):
    group = published_program.groups.get()
    path = f"/programs/{published_program.code}"
    transition(client, published_program, personas.operator_a, "archive")

    def rows():
        return Program.objects.filter(pk=published_program.pk).values().get(), list(
            Group.objects.values().order_by("pk")
        )

    before = rows()
    assert send(client, "patch", path, {"summary": "Чужая правка."}, personas.operator_b).status_code == 404
    assert send(client, "patch", path, {"summary": "Чужая правка."}, personas.teacher_a).status_code == 403
    refused = send(client, "patch", path, {"summary": "Правка после архива.", "age_to": 16}, personas.operator_a)
    assert refused.status_code == 422
    assert messages(refused) == ["Программа в архиве: чтобы изменить её, верните её из архива в черновики."]
    group_message = ["Программа в архиве: чтобы изменить её группы, верните её из архива в черновики."]
    changed = send(client, "patch", f"/groups/{group.code}", {"capacity": 20}, personas.operator_a)
    assert changed.status_code == 422 and messages(changed) == group_message
    created = send(client, "post", "/groups", group_payload(published_program), personas.operator_a)
    assert created.status_code == 422 and messages(created) == group_message
    assert rows() == before

    assert transition(client, published_program, personas.operator_a, "restore").json()["status"] == "draft"
    edited = send(client, "patch", path, {"summary": "Правка после архива."}, personas.operator_a)
    assert edited.status_code == 200 and edited.json()["summary"] == "Правка после архива."


def test_archiving_through_the_api_publishes_no_pending_change(client, personas, published_program):
    path = f"/programs/{published_program.code}"
    approved = published_program.summary
    send(client, "patch", path, {"summary": "Правка, которую модератор не видел."}, personas.operator_a)
    archived = transition(client, published_program, personas.municipal_x, "archive").json()
    assert (archived["status"], archived["summary"], archived["pending_changes"]) == ("archived", approved, None)
    assert client.get(API + path).json()["summary"] == approved  # the public reads what was checked
    submitted = transition(client, published_program, personas.operator_a, "submit_changes")
    assert submitted.status_code == 422 and "программа в статусе «В архиве»" in messages(submitted)[0]
    restored = transition(client, published_program, personas.operator_a, "restore").json()
    assert (restored["status"], restored["summary"]) == ("draft", "Правка, которую модератор не видел.")


def test_the_moderators_remarks_are_for_the_organization_and_its_moderator(client, personas, published_program):
    path = f"/programs/{published_program.code}"
    send(client, "patch", path, {"summary": "Правка через API."}, personas.operator_a)
    transition(client, published_program, personas.municipal_x, "return_changes", "Внутреннее замечание")
    Program.objects.filter(pk=published_program.pk).update(moderation_remark="Было замечание")
    for user in (personas.operator_a, personas.municipal_x):
        body = client.get(API + path, headers=bearer(user)).json()
        assert body["pending_changes"]["remark"] == "Внутреннее замечание", user
        assert body["moderation_remark"] == "Было замечание", user
    for headers in ({}, bearer(personas.operator_b), bearer(personas.family)):
        body = client.get(API + path, headers=headers).json()
        assert (body["pending_changes"], body["moderation_remark"]) == (None, ""), headers


def test_written_text_is_trimmed_null_is_empty_text_and_a_nul_character_is_refused(client, personas):
    created = send(client, "post", "/programs", program_payload(personas.org_a, description=None), personas.operator_a)
    assert created.status_code == 201 and created.json()["description"] == ""
    path = f"/programs/{created.json()['code']}"
    assert send(client, "patch", path, {"goals": None}, personas.operator_a).json()["goals"] == ""
    blank = send(client, "patch", path, {"summary": "   "}, personas.operator_a)
    assert blank.status_code == 422 and errors_by_field(blank) == {"summary": "Это поле не может быть пустым."}
    nul = send(client, "patch", path, {"summary": "Шах\x00маты"}, personas.operator_a)
    assert nul.status_code == 422 and messages(nul) == ["Данные содержат запрещённый символ: ноль-байт."]
    nan = send(client, "patch", path, {"price_per_month": "NaN"}, personas.operator_a)
    assert nan.status_code == 422 and messages(nan) == ["Укажите конечное число."]
    found = client.get(f"{API}/programs", {"q": "Шах\x00"})
    assert found.status_code == 422 and found.json()["detail"][0]["loc"] == ["query", "q"]
    # A value the schema refuses is placed as the rules place theirs: the part of the request, the field.
    unknown = client.get(f"{API}/programs", {"direction": "magic"})
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["loc"] == ["query", "direction", 0]


def test_an_empty_query_parameter_is_no_filter_as_on_the_page(client, published_program):
    empty = client.get(f"{API}/programs", {"q": "", "age": "", "municipality": "", "organization": "", "day": ""})
    assert empty.status_code == 200
    assert empty.json()["total"] == client.get(f"{API}/programs").json()["total"] == 1


@pytest.mark.parametrize("header", ["Token {raw}", "{raw}", "Basic Zm9vOmJhcg=="])
def test_an_authorization_header_the_api_cannot_use_is_refused_not_ignored(client, personas, draft_program, header):
    _, raw = ApiToken.issue(personas.operator_a, "Интеграция")
    response = client.get(f"{API}/programs/{draft_program.code}", headers={"Authorization": header.format(raw=raw)})
    assert response.status_code == 401
    assert (
        client.get(f"{API}/programs/{draft_program.code}", headers={"Authorization": f"Bearer {raw}"}).status_code
        == 200
    )


def test_each_schema_of_the_documentation_describes_what_its_endpoint_exchanges(client):
    schema = client.get(f"{API}/openapi.json").json()
    components = schema["components"]["schemas"]
    assert set(components["DuplicateChildOut"]["properties"]) == {"uuid", "full_name", "birth_date", "municipality"}
    decide = schema["paths"][f"{API}/registry/duplicates/{{pk}}"]["post"]["requestBody"]["content"]
    assert decide["application/json"]["schema"]["$ref"].endswith("/DuplicateDecisionIn")
    assert set(components["DuplicateDecisionIn"]["properties"]) == {"same"}


def test_an_address_the_api_lacks_answers_in_json(client):
    for path in ("/api/v1/nothing-here", "/api/v2/programs"):
        response = client.get(path)
        assert response.status_code == 404 and response.json() == {"detail": "Такого адреса в API нет: см. /api/docs."}


def test_an_organizations_programs_are_listed_whole_for_synchronizing(
    client, personas, draft_program, published_program
):
    """Every program of the organization its operators see, drafts and archive too; others, published
    ones; pages without the search's depth cap; changed ones in the order they changed."""
    path = f"/organizations/{personas.org_a.code}/programs"
    own = client.get(API + path, headers=bearer(personas.operator_a)).json()
    assert {(p["code"], p["status"]) for p in own["items"]} == {
        (draft_program.code, "draft"),
        (published_program.code, "published"),
    }
    for outsider in ({}, bearer(personas.operator_b)):
        seen = client.get(API + path, headers=outsider).json()["items"]
        assert [p["code"] for p in seen] == [published_program.code]
    drafts = client.get(API + path, {"status": "draft"}, headers=bearer(personas.operator_a)).json()["items"]
    assert [p["code"] for p in drafts] == [draft_program.code]
    since = Program.objects.get(pk=draft_program.pk).updated_at
    send(client, "patch", f"/programs/{draft_program.code}", {"title": "Шахматы"}, personas.operator_a)
    changed = client.get(API + path, {"updated_since": since.isoformat()}, headers=bearer(personas.operator_a)).json()[
        "items"
    ]
    assert [p["code"] for p in changed][-1] == draft_program.code
    assert client.get(f"{API}/organizations/OR-000000/programs").status_code == 404
    naive = client.get(API + path, {"updated_since": "2026-01-01T00:00:00"})
    assert naive.status_code == 422


# --- What an integrator found (null, prices, references, field errors, codes, lists, sync) -----


def test_a_null_in_a_required_field_is_refused_alike_on_create_and_on_patch(client, personas, draft_program):
    """Ninja drops the value an error is about: a null read «Ожидается строка» on create, while PATCH,
    which lets null through to the model, said the null message."""
    refused = "Обязательное поле: null не принимается."
    program = send(
        client, "post", "/programs", program_payload(personas.org_a, title=None, direction=None, age_to=None),
        personas.operator_a,
    )  # fmt: skip
    assert program.status_code == 422
    assert errors_by_field(program) == {"title": refused, "direction": refused, "age_to": refused}
    assert {error["type"] for error in program.json()["detail"]} == {"null"}
    group = send(client, "post", "/groups", group_payload(draft_program, name=None), personas.operator_a)
    assert group.status_code == 422 and errors_by_field(group) == {"name": refused}
    path = f"/programs/{draft_program.code}"
    for field in ("title", "direction", "age_to"):
        patched = send(client, "patch", path, {field: None}, personas.operator_a)
        assert patched.status_code == 422 and errors_by_field(patched) == {field: refused}, field
    # A text that may be left empty takes null as empty text, on create as on patch.
    assert send(client, "patch", path, {"goals": None}, personas.operator_a).json()["goals"] == ""
    listed = send(client, "post", "/groups", None, personas.operator_a)  # type: ignore[arg-type]
    assert listed.status_code == 422 and messages(listed) == ["Ожидается объект."]  # the body itself


def test_a_price_of_a_program_not_paid_is_refused_not_dropped(client, personas, draft_program, paid_program):
    """The office form's rule (services.check_price): a price with «Платно» unticked is a mistake to
    name, not a value to drop."""
    wrong = "Стоимость указывают для платной программы: отметьте «Платно» или очистите поле."
    created = send(
        client, "post", "/programs", program_payload(personas.org_a, price_per_month="500"), personas.operator_a
    )
    assert created.status_code == 422
    assert created.json()["detail"] == [{"loc": ["body", "price_per_month"], "msg": wrong, "type": "invalid"}]
    assert not Program.objects.filter(title="Шахматы для начинающих").exists()
    path = f"/programs/{draft_program.code}"
    for body in ({"price_per_month": "500"}, {"is_paid": False, "price_per_month": "500"}):
        response = send(client, "patch", path, body, personas.operator_a)
        assert response.status_code == 422 and errors_by_field(response) == {"price_per_month": wrong}, body
    zero = send(client, "patch", path, {"is_paid": True, "price_per_month": "0"}, personas.operator_a)
    assert errors_by_field(zero) == {"price_per_month": "Стоимость платной программы должна быть больше нуля."}
    assert Program.objects.get(pk=draft_program.pk).price_per_month is None
    # Paid programs take a price; unticking «Платно» alone drops the one left from before.
    paid = send(
        client,
        "post",
        "/programs",
        program_payload(personas.org_a, is_paid=True, price_per_month="500"),
        personas.operator_a,
    )
    assert paid.status_code == 201 and paid.json()["price_per_month"] == "500.00"
    unpaid = send(
        client, "patch", f"/programs/{paid_program.code}", {"is_free": True, "is_paid": False}, personas.operator_a
    )
    assert unpaid.status_code == 200 and unpaid.json()["price_per_month"] is None


def test_a_rule_of_one_field_names_that_field(client, personas, draft_program):
    """A table rule on one field (hours_total > 0) and a rule of one value of a request (the remark
    of a return) are placed at their field, not at the body."""
    hours = send(client, "post", "/programs", program_payload(personas.org_a, hours_total=0), personas.operator_a)
    assert hours.status_code == 422
    assert hours.json()["detail"] == [
        {"loc": ["body", "hours_total"], "msg": "Объём программы должен быть больше нуля часов.", "type": "invalid"}
    ]
    months = send(client, "patch", f"/programs/{draft_program.code}", {"duration_months": 0}, personas.operator_a)
    assert [error["loc"] for error in months.json()["detail"]] == [["body", "duration_months"]]
    transition(client, draft_program, personas.operator_a, "submit")
    returned = transition(client, draft_program, personas.municipal_x, "return")
    assert [error["loc"] for error in returned.json()["detail"]] == [["body", "remark"]]
    # A rule of several fields stays the body's: no one field is the mistake.
    levels = {"level_initial": False, "level_basic": False, "level_advanced": False}
    none = send(client, "post", "/programs", program_payload(personas.org_a, **levels), personas.operator_a)
    assert [error["loc"] for error in none.json()["detail"]] == [["body"]]


def test_codes_are_taken_in_any_case(client, personas, published_program, draft_program):
    """Codes are written in capitals; a client's small letters name the same object, in the path, the
    query and the body."""
    group = published_program.groups.get()
    headers = bearer(personas.operator_a)
    assert client.get(f"{API}/programs/{published_program.code.lower()}").json()["code"] == published_program.code
    assert client.get(f"{API}/groups/{group.code.lower()}").json()["code"] == group.code
    assert client.get(f"{API}/organizations/{personas.org_a.code.lower()}").status_code == 200
    assert codes_of(client.get(f"{API}/groups", {"program": published_program.code.lower()})) == [group.code]
    found = client.get(f"{API}/programs", {"organization": personas.org_a.code.lower()}).json()["items"]
    assert [item["code"] for item in found] == [published_program.code]
    teachers = client.get(f"{API}/teachers", {"organization": personas.org_a.code.lower()}, headers=headers)
    assert teachers.status_code == 200
    lower = draft_program.code.lower()
    renamed = send(client, "patch", f"/programs/{lower}", {"title": "Шахматы"}, personas.operator_a)
    assert renamed.status_code == 200 and renamed.json()["code"] == draft_program.code
    created = send(client, "post", "/groups", {**group_payload(draft_program), "program": lower}, personas.operator_a)
    assert created.status_code == 201 and created.json()["program"]["code"] == draft_program.code
    payload = {**program_payload(personas.org_a), "organization": personas.org_a.code.lower()}
    program = send(client, "post", "/programs", payload, personas.operator_a)
    assert program.status_code == 201 and program.json()["organization"]["code"] == personas.org_a.code


def test_a_teacher_lists_the_published_programs_and_those_the_teacher_teaches(client, personas, published_program):
    """Drafts are the organization's work in progress: its operators, its territory's moderators and the
    admin list every status; a teacher of the organization the published programs and the ones the
    teacher teaches, named among their teachers or leading a group, whatever their status."""
    teacher = Teacher.objects.create(
        organization=personas.org_a, last_name="Иванова", first_name="Анна", user=personas.teacher_a
    )
    named = make_program(personas.org_a, "Шахматы", status="draft", with_group=False)
    named.teachers.set([teacher])
    leading = make_program(personas.org_a, "Керамика", status="needs_changes")
    Group.objects.filter(program=leading).update(teacher=teacher)
    other = make_program(personas.org_a, "Черновик коллеги", status="draft")
    path = f"{API}/organizations/{personas.org_a.code}/programs"

    def listed(user: User) -> set[str]:
        return {item["code"] for item in client.get(path, headers=bearer(user)).json()["items"]}

    everything = {published_program.code, named.code, leading.code, other.code}
    for user in (personas.operator_a, personas.municipal_x, personas.regional, personas.admin):
        assert listed(user) == everything, user
    assert listed(personas.teacher_a) == {published_program.code, named.code, leading.code}
    assert listed(personas.operator_b) == {published_program.code}
    documented = client.get(f"{API}/openapi.json").json()["paths"][f"{API}/organizations/{{code}}/programs"]["get"]
    assert "педагогу организации" in documented["description"]


def test_a_moderators_decision_on_changes_moves_updated_at(client, personas, published_program):
    """A synchronizing client reads `updated_since`: the moderator's return (the changes come back with
    a remark) and publication of a published program's changes are changes of the program."""
    path = f"/programs/{published_program.code}"
    headers = bearer(personas.operator_a)

    def changed_since(moment: str) -> list[str]:
        sync = client.get(
            f"{API}/organizations/{personas.org_a.code}/programs", {"updated_since": moment}, headers=headers
        )
        return [item["code"] for item in sync.json()["items"]]

    send(client, "patch", path, {"summary": "Правка через API."}, personas.operator_a)
    for decision, remark in (("return_changes", "Уточните описание"), ("approve_changes", "")):
        before = Program.objects.get(pk=published_program.pk).updated_at
        if decision == "approve_changes":
            assert transition(client, published_program, personas.operator_a, "submit_changes").status_code == 200
        assert Program.objects.get(pk=published_program.pk).updated_at == before  # the organization's own step
        decided = transition(client, published_program, personas.municipal_x, decision, remark)
        assert decided.status_code == 200
        assert Program.objects.get(pk=published_program.pk).updated_at > before
        assert changed_since((before + timedelta(microseconds=1)).isoformat()) == [published_program.code]


def test_a_parameter_a_list_does_not_take_is_refused(client, personas, published_program):
    """A misspelt `updated_since` handed a synchronizing client the whole list in another order."""
    response = client.get(f"{API}/organizations", {"updated_sinse": "2025-09-01T00:00:00Z", "page": "1"})
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "loc": ["query", "updated_sinse"],
            "msg": "Неизвестный параметр: допустимые перечислены в документации (/api/docs).",
            "type": "extra_forbidden",
        }
    ]
    assert client.get(f"{API}/programs", {"colour": "red"}).status_code == 422
    path = f"{API}/programs/{published_program.code}/groups"
    assert client.get(path, {"pagesize": "5"}).status_code == 422
    # What the lists document is taken, an empty unknown parameter is no parameter, as an empty filter.
    since = (timezone.now() - timedelta(days=1)).isoformat()
    known = {"page": "1", "page_size": "5", "updated_since": since, "municipality": personas.municipality_x.oktmo}
    assert client.get(f"{API}/organizations", {**known, "q": "Радуга", "kind": ""}).status_code == 200
    assert (
        client.get(f"{API}/programs", {"q": "робот", "day": "0", "free_seats": "true", "colour": ""}).status_code == 200
    )
    # The Navigator's pages read the same filters and go on ignoring what they do not know.
    assert client.get("/programs/", {"q": "робот", "utm_source": "mail"}).status_code == 200
    documented = client.get(f"{API}/openapi.json").json()["paths"][f"{API}/organizations"]["get"]["parameters"]
    assert {p["name"] for p in documented} == {
        "page",
        "page_size",
        "updated_since",
        "municipality",
        "kind",
        "q",
        "unit",
        "ovz",
    }


def test_a_program_that_left_the_catalog_is_listed_to_synchronizing_clients_with_its_status(
    client, personas, draft_program
):
    """A client copying an organization's published programs (anyone: no token) learns, among the changes
    since its last run, that one was archived or returned for changes; never of a program never published."""
    path = f"{API}/organizations/{personas.org_a.code}/programs"
    archived = make_program(personas.org_a, "Шахматы")
    returned = make_program(personas.org_a, "Шашки")
    since = timezone.now() - timedelta(seconds=1)
    services.change_program_status(personas.operator_a, archived, "archive")
    services.change_program_status(personas.municipal_x, returned, "return", remark="Уточните расписание")
    for headers in ({}, bearer(personas.operator_b), bearer(personas.family)):
        changed = client.get(path, {"updated_since": since.isoformat()}, headers=headers).json()["items"]
        assert {(p["code"], p["status"]) for p in changed} == {
            (archived.code, "archived"),
            (returned.code, "needs_changes"),
        }
        # The catalog as it is: published programs only.
        assert client.get(path, headers=headers).json()["items"] == []
    everything = client.get(path, {"updated_since": "2020-01-01T00:00:00Z"}).json()["items"]
    assert draft_program.code not in {p["code"] for p in everything}


def test_the_dictionaries_give_the_codes_programs_and_the_search_take(client, personas):
    body = client.get(f"{API}/dictionaries").json()
    assert body["ovz_categories"] == list(OvzCategory.objects.values("code", "name")) != []
    assert body["registers"] == list(ProgramRegister.objects.values("code", "name")) != []
    code = body["ovz_categories"][0]["code"]
    assert client.get(f"{API}/programs", {"ovz_category": code}).status_code == 200
    assert "/api/v1/dictionaries" in client.get(f"{API}/openapi.json").json()["paths"]
