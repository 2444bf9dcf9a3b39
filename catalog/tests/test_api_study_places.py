"""The API of study places: an organization's other addresses where its groups meet, read with the
organization and by its groups, kept by its operators through the same actions as the office."""

from datetime import datetime, timedelta
from decimal import Decimal
from urllib.parse import urlencode

import pytest

from catalog import services
from catalog.models import Organization, StudyPlace
from catalog.tests.test_api import API, bearer, send
from core.models import AuditEvent
from core.testing import make_group, make_program

GYM = "г. Энск, ул. Садовая, д. 5"
GYM_URL = "https://yandex.ru/maps/?pt=37.617600,55.755800&z=16&l=map"
HOME_URL = "https://yandex.ru/maps/?pt=37.600000,55.700000&z=16&l=map"


@pytest.fixture
def gym(personas) -> StudyPlace:
    """A study place of organization A with coordinates."""
    place = StudyPlace(
        organization=personas.org_a,
        address=GYM,
        name="Спортзал школы № 5",
        latitude=Decimal("55.7558"),
        longitude=Decimal("37.6176"),
    )
    return services.save_study_place(personas.operator_a, place)


@pytest.fixture
def closed_org(personas) -> Organization:
    """Organization B no longer active: only its operators (and its moderators) see it."""
    Organization.objects.filter(pk=personas.org_b.pk).update(is_active=False)
    return personas.org_b


def place_of(organization: Organization, address: str = "г. Энск, ул. Мира, д. 1", **fields) -> StudyPlace:
    return StudyPlace.objects.create(organization=organization, address=address, **fields)


def audit_actions(place_id: int) -> list[str]:
    events = AuditEvent.objects.filter(object_type="catalog.studyplace", object_id=str(place_id))
    return list(events.order_by("id").values_list("action", flat=True))


def error_at(response) -> list[tuple[list, str]]:
    assert response.status_code == 422, response.content
    return [(error["loc"], error["msg"]) for error in response.json()["detail"]]


# --- Reading ----------------------------------------------------------------------------------


def test_organization_detail_lists_its_study_places(client, personas, gym):
    bare = place_of(personas.org_a, "г. Энск, ул. Цветочная, д. 10")
    body = client.get(f"{API}/organizations/{personas.org_a.code}").json()
    changed = [datetime.fromisoformat(place.pop("updated_at")) for place in body["study_places"]]
    assert body["study_places"] == [
        {
            "id": gym.pk,
            "name": "Спортзал школы № 5",
            "address": GYM,
            "latitude": "55.755800",
            "longitude": "37.617600",
            "map_url": GYM_URL,
        },
        {
            "id": bare.pk,
            "name": "",
            "address": "г. Энск, ул. Цветочная, д. 10",
            "latitude": None,
            "longitude": None,
            "map_url": None,
        },
    ]
    assert abs(changed[0] - gym.updated_at) < timedelta(milliseconds=1)
    assert client.get(f"{API}/organizations/{personas.org_b.code}").json()["study_places"] == []


def test_organization_detail_reads_its_study_places_in_one_query(client, personas, django_assert_num_queries):
    for n in range(5):
        place_of(personas.org_a, f"г. Энск, ул. Мира, д. {n}")
    with django_assert_num_queries(3):  # the organization, its units, its study places
        response = client.get(f"{API}/organizations/{personas.org_a.code}")
    assert len(response.json()["study_places"]) == 5


def test_organization_list_stays_without_study_places(client, personas, gym):
    item = next(i for i in client.get(f"{API}/organizations").json()["items"] if i["code"] == personas.org_a.code)
    assert "study_places" not in item


def test_study_places_are_listed_to_whoever_sees_the_organization(client, personas, gym, closed_org):
    hidden = place_of(closed_org)
    listed = client.get(f"{API}/organizations/{personas.org_a.code}/places").json()
    assert [(p["id"], p["map_url"]) for p in listed["items"]] == [(gym.pk, GYM_URL)] and listed["total"] == 1
    path = f"{API}/organizations/{closed_org.code}/places"
    assert client.get(path).status_code == 404
    assert client.get(path, headers=bearer(personas.operator_a)).status_code == 404
    own = client.get(path, headers=bearer(personas.operator_b))
    assert [p["id"] for p in own.json()["items"]] == [hidden.pk]
    assert client.get(f"{API}/organizations/OR-000000/places").status_code == 404


def test_study_places_are_synchronized_by_updated_since(client, personas, gym):
    later = place_of(personas.org_a)
    StudyPlace.objects.filter(pk=gym.pk).update(updated_at="2020-01-01T00:00:00Z")
    path = f"{API}/organizations/{personas.org_a.code}/places"
    changed = client.get(path, {"updated_since": "2021-01-01T00:00:00Z"}).json()["items"]
    assert [p["id"] for p in changed] == [later.pk]
    assert client.get(path, {"updated_sinse": "2021-01-01T00:00:00Z"}).status_code == 422  # misspelt: refused


# --- Groups on the map ------------------------------------------------------------------------


def test_a_group_shows_the_place_of_its_address(client, personas, published_program, gym):
    Organization.objects.filter(pk=personas.org_a.pk).update(latitude=Decimal("55.7"), longitude=Decimal("37.6"))
    at_home = published_program.groups.get()  # at the program's address, the organization's own
    at_gym = make_group(published_program, address=GYM)
    elsewhere = make_group(published_program, address="г. Энск, ул. Неизвестная, д. 1")
    expected = {
        at_home.code: {"latitude": "55.700000", "longitude": "37.600000", "map_url": HOME_URL},
        at_gym.code: {"latitude": "55.755800", "longitude": "37.617600", "map_url": GYM_URL},
        elsewhere.code: {"latitude": None, "longitude": None, "map_url": None},
    }

    def places(items: list[dict]) -> dict[str, dict]:
        return {g["code"]: {k: g[k] for k in ("latitude", "longitude", "map_url")} for g in items}

    for code, place in expected.items():
        assert places([client.get(f"{API}/groups/{code}").json()]) == {code: place}
    assert places(client.get(f"{API}/groups").json()["items"]) == expected
    assert places(client.get(f"{API}/programs/{published_program.code}/groups").json()["items"]) == expected


def test_a_group_loses_its_place_with_the_study_place(client, personas, published_program, gym):
    group = make_group(published_program, address=GYM)
    services.remove_study_place(personas.operator_a, gym)
    body = client.get(f"{API}/groups/{group.code}").json()
    assert (body["latitude"], body["longitude"], body["map_url"]) == (None, None, None)


def test_groups_read_their_places_without_a_query_per_group(
    client, personas, published_program, django_assert_max_num_queries
):
    for n in range(6):
        address = f"г. Энск, ул. Мира, д. {n}"
        place_of(personas.org_a, address, latitude=Decimal(55), longitude=Decimal(37 + n))
        make_group(published_program, address=address, weekdays=(n,))
    for path in ("/groups", f"/programs/{published_program.code}/groups"):
        with django_assert_max_num_queries(7):  # as many as without places (test_api)
            items = client.get(API + path, {"page_size": 100}).json()["items"]
        assert sum(g["map_url"] is not None for g in items) == 6


def test_a_written_group_answers_with_its_place(client, personas, published_program, gym):
    group = published_program.groups.get()
    body = send(client, "patch", f"/groups/{group.code}", {"address": GYM}, personas.operator_a).json()
    assert body["map_url"] == GYM_URL


# --- Writing ----------------------------------------------------------------------------------


def test_an_operator_adds_a_study_place(client, personas):
    payload = {
        "address": "  г. Энск,   ул. Садовая, д. 5 ",
        "name": "Спортзал",
        "latitude": 55.7558,
        "longitude": 37.6176,
    }
    response = send(
        client, "post", f"/organizations/{personas.org_a.code.lower()}/places", payload, personas.operator_a
    )
    assert response.status_code == 201, response.content
    body = response.json()
    place = StudyPlace.objects.get(organization=personas.org_a)
    assert body["id"] == place.pk and place.address == GYM == body["address"]
    assert (body["latitude"], body["longitude"], body["map_url"]) == ("55.755800", "37.617600", GYM_URL)
    event = AuditEvent.objects.get(action="study_place.added")
    assert (event.actor, event.object_id) == (personas.operator_a, str(place.pk))
    assert event.data["organization"] == personas.org_a.code


def test_a_study_place_needs_only_its_address(client, personas):
    path = f"/organizations/{personas.org_a.code}/places"
    bare = send(client, "post", path, {"address": GYM}, personas.operator_a)
    nulls = {"address": "г. Энск, ул. Цветочная, д. 10", "name": None, "latitude": None, "longitude": None}
    with_nulls = send(client, "post", path, nulls, personas.operator_a)  # a null name is no name, as in a change
    for response in (bare, with_nulls):
        assert response.status_code == 201, response.content
        assert {k: response.json()[k] for k in ("name", "latitude", "longitude", "map_url")} == {
            "name": "",
            "latitude": None,
            "longitude": None,
            "map_url": None,
        }


def test_an_operator_changes_a_study_place(client, personas, gym):
    path = f"/places/{gym.pk}"
    response = send(client, "patch", path, {"name": "Корпус 2", "latitude": "56.1"}, personas.operator_a)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["name"], body["address"], body["latitude"], body["longitude"]) == (
        "Корпус 2",
        GYM,
        "56.100000",
        "37.617600",
    )
    event = AuditEvent.objects.get(action="study_place.changed")
    assert event.actor == personas.operator_a and sorted(event.data["fields"]) == ["latitude", "name"]
    # Off the map, both coordinates at once; the name cleared by null.
    cleared = send(client, "patch", path, {"latitude": None, "longitude": None, "name": None}, personas.operator_a)
    assert (cleared.json()["map_url"], cleared.json()["name"]) == (None, "")
    assert audit_actions(gym.pk) == ["study_place.added", "study_place.changed", "study_place.changed"]


def test_a_corrected_address_takes_the_groups_written_there_along(client, personas, gym):
    group = make_group(make_program(personas.org_a, "Футбол"), address=GYM)
    corrected = "г. Энск, ул. Садовая, д. 5а"
    response = send(client, "patch", f"/places/{gym.pk}", {"address": corrected}, personas.operator_a)
    assert response.status_code == 200, response.content
    shown = client.get(f"{API}/groups/{group.code}").json()
    assert shown["address"] == corrected and shown["latitude"] == "55.755800"


def test_a_patch_that_changes_nothing_writes_nothing(client, personas, gym):
    updated_at = StudyPlace.objects.get(pk=gym.pk).updated_at
    response = send(client, "patch", f"/places/{gym.pk}", {"name": "Спортзал школы № 5"}, personas.operator_a)
    assert response.status_code == 200
    assert StudyPlace.objects.get(pk=gym.pk).updated_at == updated_at
    assert audit_actions(gym.pk) == ["study_place.added"]


def test_an_operator_removes_a_study_place(client, personas, gym):
    response = send(client, "delete", f"/places/{gym.pk}", {}, personas.operator_a)
    assert response.status_code == 204 and response.content == b""
    assert not StudyPlace.objects.exists()
    event = AuditEvent.objects.get(action="study_place.removed")
    assert (event.actor, event.data["address"]) == (personas.operator_a, GYM)
    assert send(client, "delete", f"/places/{gym.pk}", {}, personas.operator_a).status_code == 404


def test_an_operator_removes_a_study_place_moving_its_groups_to_the_organizations_address(client, personas, gym):
    group = make_group(make_program(personas.org_a, status="draft", with_group=False), address=GYM)
    home = personas.org_a.address
    query = urlencode({"move_to": home})
    response = client.delete(f"{API}/places/{gym.pk}?{query}", headers=bearer(personas.operator_a))
    assert response.status_code == 204, response.content
    group.refresh_from_db()
    assert group.address == home and not StudyPlace.objects.exists()
    assert AuditEvent.objects.get(action="study_place.removed").data["moved_to"] == home


def test_groups_are_not_moved_to_an_address_that_is_not_the_organizations(client, personas, gym):
    make_group(make_program(personas.org_a, status="draft", with_group=False), address=GYM)
    response = client.delete(f"{API}/places/{gym.pk}?move_to=Москва", headers=bearer(personas.operator_a))
    assert error_at(response) == [(["query", "move_to"], services.MOVE_TO_UNKNOWN)]
    assert StudyPlace.objects.exists()


# --- Bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "errors"),
    [
        (
            {"address": "г. Энск,  ул. Ленина"},  # the organization's own, written with more spaces
            [(["body", "address"], services.OWN_ADDRESS)],
        ),
        ({"address": GYM, "latitude": 55.7}, [(["body", "longitude"], services.COORDINATES_TOGETHER)]),
        ({"address": GYM, "longitude": 37.6}, [(["body", "latitude"], services.COORDINATES_TOGETHER)]),
        ({"address": GYM, "latitude": 91, "longitude": 37.6}, [(["body", "latitude"], None)]),
        ({"address": GYM, "latitude": 55.7, "longitude": -180.5}, [(["body", "longitude"], None)]),
        ({"address": GYM, "latitude": "55.12345678", "longitude": 37.6}, [(["body", "latitude"], None)]),
        ({"address": "   "}, [(["body", "address"], None)]),
        ({"name": "Без адреса"}, [(["body", "address"], "Обязательное поле.")]),
        ({"address": None}, [(["body", "address"], "Обязательное поле: null не принимается.")]),
        ({"address": GYM, "colour": "red"}, [(["body", "colour"], "Неизвестное поле.")]),
        ({"address": GYM, "latitude": "север", "longitude": 37.6}, [(["body", "latitude"], "Укажите число.")]),
    ],
)
def test_a_study_place_that_does_not_pass_is_refused_by_field(client, personas, payload, errors):
    Organization.objects.filter(pk=personas.org_a.pk).update(address="г. Энск, ул. Ленина")
    response = send(client, "post", f"/organizations/{personas.org_a.code}/places", payload, personas.operator_a)
    found = error_at(response)
    assert [loc for loc, _ in found] == [loc for loc, _ in errors]
    for (_, message), (_, expected) in zip(found, errors, strict=True):
        assert message == expected if expected else message  # the model's own words otherwise, in Russian
    assert all(any("а" <= ch <= "я" for ch in message.lower()) for _, message in found)
    assert not StudyPlace.objects.exists() and not AuditEvent.objects.filter(action__startswith="study_place").exists()


def test_the_same_address_twice_is_refused(client, personas, gym):
    response = send(
        client, "post", f"/organizations/{personas.org_a.code}/places", {"address": f" {GYM} "}, personas.operator_a
    )
    assert error_at(response) == [(["body", "address"], services.PLACE_TAKEN)]
    other = place_of(personas.org_a)
    moved = send(client, "patch", f"/places/{other.pk}", {"address": GYM}, personas.operator_a)
    assert error_at(moved) == [(["body", "address"], services.PLACE_TAKEN)]
    assert StudyPlace.objects.get(pk=other.pk).address == other.address
    # Another organization may hold groups at the same address (a school's gym rented by both).
    elsewhere = send(
        client, "post", f"/organizations/{personas.org_b.code}/places", {"address": GYM}, personas.operator_b
    )
    assert elsewhere.status_code == 201


@pytest.mark.parametrize(
    ("payload", "errors"),
    [
        ({"latitude": None}, [(["body", "latitude"], services.COORDINATES_TOGETHER)]),
        ({"address": None}, [(["body", "address"], "Обязательное поле: null не принимается.")]),
        ({"address": ""}, [(["body", "address"], None)]),
        ({"latitude": 90.5}, [(["body", "latitude"], None)]),
        ({"id": 7}, [(["body", "id"], "Неизвестное поле.")]),
    ],
)
def test_a_change_that_does_not_pass_is_refused_by_field(client, personas, gym, payload, errors):
    response = send(client, "patch", f"/places/{gym.pk}", payload, personas.operator_a)
    found = error_at(response)
    assert [loc for loc, _ in found] == [loc for loc, _ in errors]
    for (_, message), (_, expected) in zip(found, errors, strict=True):
        assert message == expected if expected else message
    stored = StudyPlace.objects.get(pk=gym.pk)
    assert (stored.address, stored.latitude, stored.longitude) == (GYM, Decimal("55.755800"), Decimal("37.617600"))
    assert audit_actions(gym.pk) == ["study_place.added"]


def test_a_place_id_that_is_no_number_or_too_large_is_not_a_server_error(client, personas):
    assert send(client, "patch", "/places/gym", {}, personas.operator_a).status_code == 422
    assert send(client, "patch", f"/places/{2**70}", {}, personas.operator_a).status_code == 404


# --- Who may ----------------------------------------------------------------------------------


def test_writes_without_a_token_are_401(client, personas, gym):
    assert (
        send(client, "post", f"/organizations/{personas.org_a.code}/places", {"address": "Где-то"}).status_code == 401
    )
    assert send(client, "patch", f"/places/{gym.pk}", {"name": "Чужое"}).status_code == 401
    assert send(client, "delete", f"/places/{gym.pk}", {}).status_code == 401
    assert StudyPlace.objects.get().name == "Спортзал школы № 5"


@pytest.mark.parametrize("who", ["operator_b", "teacher_a", "municipal_x", "regional", "family"])
def test_who_sees_the_organization_but_does_not_run_it_is_403(client, personas, gym, who):
    user = getattr(personas, who)
    create = send(client, "post", f"/organizations/{personas.org_a.code}/places", {"address": "Где-то"}, user)
    change = send(client, "patch", f"/places/{gym.pk}", {"name": "Чужое"}, user)
    remove = send(client, "delete", f"/places/{gym.pk}", {}, user)
    assert [r.status_code for r in (create, change, remove)] == [403, 403, 403]
    assert StudyPlace.objects.get().name == "Спортзал школы № 5"
    assert audit_actions(gym.pk) == ["study_place.added"]


def test_who_does_not_see_the_organization_gets_404(client, personas, closed_org):
    place = place_of(closed_org)
    create = send(
        client, "post", f"/organizations/{closed_org.code}/places", {"address": "Где-то"}, personas.operator_a
    )
    change = send(client, "patch", f"/places/{place.pk}", {"name": "Чужое"}, personas.operator_a)
    remove = send(client, "delete", f"/places/{place.pk}", {}, personas.operator_a)
    assert [r.status_code for r in (create, change, remove)] == [404, 404, 404]
    assert change.json() == {"detail": "Не найдено."}
    assert list(StudyPlace.objects.values_list("name", flat=True)) == [""]
    # The organization's own operator still runs it.
    own = send(client, "patch", f"/places/{place.pk}", {"name": "Корпус 2"}, personas.operator_b)
    assert own.status_code == 200


def test_the_places_are_documented_in_russian(client):
    document = client.get(f"{API}/openapi.json").json()
    paths = document["paths"]
    create = paths[f"{API}/organizations/{{code}}/places"]["post"]
    assert create["summary"] == "Добавить место занятий" and set(create["responses"]) >= {
        "201",
        "401",
        "403",
        "404",
        "422",
    }
    assert paths[f"{API}/places/{{place_id}}"]["delete"]["summary"] == "Удалить место занятий"
    schemas = document["components"]["schemas"]
    assert set(schemas["StudyPlaceIn"]["properties"]) == {"address", "name", "latitude", "longitude"}
    assert set(schemas["StudyPlaceOut"]["properties"]) == {
        "id",
        "name",
        "address",
        "latitude",
        "longitude",
        "map_url",
        "updated_at",
    }
    assert {"latitude", "longitude", "map_url"} <= set(schemas["GroupOut"]["properties"])
    assert "Широта" in schemas["StudyPlaceIn"]["properties"]["latitude"]["description"]
