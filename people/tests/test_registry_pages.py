"""Registry pages and API: owner, outsider, read-only; identifiers shown only on purpose."""

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from core.models import AuditEvent
from core.testing import make_program
from enrollment.models import Application
from people import registry
from people.models import Child, ChildMerge, Guardian, MatchCandidate, MatchStatus

SNILS = "112-233-445 95"
API = "/api/v1"


def enter(actor, municipality, first="Артём", **kw) -> Child:
    child = Child(
        last_name="Соловьёв",
        first_name=first,
        patronymic="Игоревич",
        birth_date=kw.pop("birth", date(2015, 3, 4)),
        sex="m",
        municipality=municipality,
    )
    return registry.register_child(actor, child, **kw).child


@pytest.fixture
def pair(personas):
    """Two records in municipality X the engine was unsure about."""
    first = enter(personas.operator_a, personas.municipality_x, snils=SNILS)
    second = Child.objects.create(
        last_name="Соловьёва",
        first_name="Артём",
        patronymic="Игоревич",
        birth_date=date(2015, 3, 5),
        sex="m",
        municipality=personas.municipality_x,
    )
    return MatchCandidate.objects.create(first=first, second=second, probability=0.77)


def test_registry_list_is_scoped(client, personas, pair):
    client.force_login(personas.municipal_x)
    page = client.get("/office/registry/")
    assert page.status_code == 200 and "Соловьёв Артём Игоревич" in page.content.decode()
    assert "Возможные дубликаты ждут решения: 1" in page.content.decode()
    assert client.get(f"/office/registry/{pair.first.uuid}/").status_code == 200
    viewed = AuditEvent.objects.get(action="child.viewed")  # staff reading a card is accounted for
    assert (viewed.actor, viewed.object_id) == (personas.municipal_x, str(pair.first.pk))
    client.force_login(personas.municipal_y)
    assert "Соловьёв" not in client.get("/office/registry/").content.decode()
    assert client.get(f"/office/registry/{pair.first.uuid}/").status_code == 404
    client.force_login(personas.family)
    assert client.get("/office/registry/").status_code == 403


def test_an_organization_sees_the_children_who_applied(client, personas, pair):
    client.force_login(personas.operator_b)
    assert client.get(f"/office/registry/{pair.first.uuid}/").status_code == 404
    program = make_program(personas.org_b, "Юный техник", actor=personas.operator_b, age_from=5, age_to=17)
    Application.objects.create(child=pair.first, applicant=personas.family, program=program, idempotency_key="a")
    card = client.get(f"/office/registry/{pair.first.uuid}/")
    assert card.status_code == 200 and "Юный техник" in card.content.decode()
    assert not card.context["may_moderate"]
    assert client.get("/office/registry/duplicates/").status_code == 403


def test_identifiers_are_shown_only_on_a_deliberate_audited_request(client, personas, pair):
    client.force_login(personas.municipal_x)
    card = client.get(f"/office/registry/{pair.first.uuid}/").content.decode()
    # No part of the number (three digits alone would also match a random code or token on the page).
    assert not any(part in card for part in ("112-233", "233-445", "445 95", "11223344595")) and "Показать" in card
    assert client.get(f"/office/registry/{pair.first.uuid}/identifiers/").status_code == 405
    shown = client.post(f"/office/registry/{pair.first.uuid}/identifiers/")
    assert "112-233-445 95" in shown.content.decode() and shown["Cache-Control"] == "no-store"
    assert AuditEvent.objects.filter(action="child.personal_data_viewed", actor=personas.municipal_x).count() == 1


def test_review_queue_merge_and_undo(client, personas, pair):
    client.force_login(personas.municipal_y)
    assert client.post(f"/office/registry/duplicates/{pair.pk}/", {"decision": "same"}).status_code == 404
    client.force_login(personas.municipal_x)
    queue = client.get("/office/registry/duplicates/")
    assert "0,77" in queue.content.decode()
    client.post(f"/office/registry/duplicates/{pair.pk}/", {"decision": "same"})
    merge = ChildMerge.objects.get()
    assert merge.survivor == pair.first and merge.absorbed == pair.second
    client.force_login(personas.municipal_y)
    assert client.post(f"/office/registry/merges/{merge.pk}/undo/").status_code == 404
    client.force_login(personas.municipal_x)
    client.post(f"/office/registry/merges/{merge.pk}/undo/")
    merge.refresh_from_db()
    pair.refresh_from_db()
    assert merge.undone_at is not None and pair.status == MatchStatus.DISTINCT


def test_api_children_for_a_family_and_for_staff(client, personas):
    child = {
        "last_name": "Петрова",
        "first_name": "Анна",
        "birth_date": "2016-05-20",
        "sex": "f",
        "municipality": personas.municipality_x.oktmo,
        "snils": SNILS,
    }
    client.force_login(personas.operator_a)
    entered = client.post(f"{API}/children", child, content_type="application/json")
    assert entered.status_code == 201 and entered.json()["known"] is False
    assert "snils" not in entered.json()["child"] and entered.json()["child"]["has_snils"] is True
    Guardian.objects.create(user=personas.family, last_name="Петрова", first_name="Мария")
    client.force_login(personas.family)
    added = client.post(f"{API}/children", {**child, "first_name": "Аня"}, content_type="application/json")
    # The same СНИЛС in the organization's record: no proof of being the child's representative. The
    # family gets its own record (without the СНИЛС, one living record per СНИЛС), the pair is reviewed.
    assert added.status_code == 201 and added.json()["known"] is False
    assert added.json()["snils_held_elsewhere"] is True and added.json()["possible_duplicates"] == 0
    family_child = added.json()["child"]
    assert family_child["uuid"] != entered.json()["child"]["uuid"] and family_child["has_snils"] is False
    assert [c["first_name"] for c in client.get(f"{API}/children").json()["items"]] == ["Аня"]
    assert client.get(f"{API}/children/{entered.json()['child']['uuid']}").status_code == 404
    own = client.get(f"{API}/children/{family_child['uuid']}")
    assert own.status_code == 200 and own["Cache-Control"] == "no-store"  # personal data
    assert not AuditEvent.objects.filter(action="child.viewed").exists()  # a family reading its own child
    # Typed again, the family's own record is found: nothing new, 200.
    again = client.post(f"{API}/children", {**child, "first_name": "Аня"}, content_type="application/json")
    assert again.status_code == 200 and again.json()["known"] is True
    assert again.json()["child"]["uuid"] == family_child["uuid"] and Child.objects.count() == 2
    client.force_login(personas.other_family)
    assert client.get(f"{API}/children").json()["items"] == []
    uuid = entered.json()["child"]["uuid"]
    assert client.get(f"{API}/children/{uuid}").status_code == 404
    assert client.post(f"{API}/children/{uuid}/identifiers").status_code == 404
    client.force_login(personas.operator_b)
    bad = client.post(f"{API}/children", {**child, "snils": "123"}, content_type="application/json")
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "snils"]
    assert Child.objects.count() == 2  # nothing was entered
    # Another organization enters the same СНИЛС: the registry's record, but only what it sent is shown.
    known = client.post(
        f"{API}/children", {**child, "first_name": "Аннушка", "has_ovz": False}, content_type="application/json"
    )
    assert known.status_code == 200 and known.json()["known"] is True
    assert known.json()["child"]["uuid"] == uuid and known.json()["child"]["first_name"] == "Аннушка"
    # By its details (no СНИЛС): merged into the record at once, and said as known — 200, not «Created».
    merged = client.post(f"{API}/children", {**child, "snils": ""}, content_type="application/json")
    assert merged.status_code == 200 and merged.json()["known"] is True and merged.json()["merged_automatically"]
    assert merged.json()["child"]["uuid"] == uuid


def test_a_family_never_takes_another_familys_child_by_its_name_and_birth_date(client, personas):
    """A sure match outside the family is not merged into it: the pair waits for the municipality."""
    theirs = Child.objects.create(
        last_name="Коновалова",
        first_name="Софья",
        patronymic="Руслановна",
        birth_date=date(2015, 12, 31),
        sex="f",
        municipality=personas.municipality_x,
        has_ovz=True,
    )
    theirs.guardians.add(Guardian.objects.create(user=personas.other_family, last_name="Коновалова", first_name="А"))
    Guardian.objects.create(user=personas.family, last_name="Петрова", first_name="Мария")
    client.force_login(personas.family)
    typed = {
        "last_name": "Коновалова",
        "first_name": "Софья",
        "patronymic": "Руслановна",
        "birth_date": "2015-12-31",
        "sex": "f",
        "municipality": personas.municipality_x.oktmo,
    }
    response = client.post(f"{API}/children", typed, content_type="application/json")
    body = response.json()
    assert response.status_code == 201 and body["known"] is False and body["merged_automatically"] is False
    assert body["child"]["uuid"] != str(theirs.uuid) and body["child"]["has_ovz"] is False
    assert body["possible_duplicates"] == 0  # the family is told nothing of other records; the pair waits
    pair = MatchCandidate.objects.get()
    assert {pair.first_id, pair.second_id} == {theirs.pk, Child.objects.get(uuid=body["child"]["uuid"]).pk}
    assert list(theirs.guardians.values_list("user", flat=True)) == [personas.other_family.pk]
    assert client.get(f"{API}/children/{theirs.uuid}").status_code == 404
    # The cabinet: the record made a moment ago, typed again, is the family's own.
    response = client.post(
        reverse("family:child_new"), {**typed, "municipality": personas.municipality_x.pk}, follow=True
    )
    assert "Софья уже есть в вашем кабинете" in response.content.decode()
    assert theirs.guardians.count() == 1 and Child.objects.filter(last_name="Коновалова").count() == 2


def test_api_a_family_corrects_its_childs_details_and_staff_may_not(client, personas):
    Guardian.objects.create(user=personas.family, last_name="Петрова", first_name="Мария")
    child = {
        "last_name": "Петрова",
        "first_name": "Анна",
        "birth_date": "2016-05-20",
        "sex": "f",
        "municipality": personas.municipality_x.oktmo,
    }
    client.force_login(personas.family)
    uuid = client.post(f"{API}/children", child, content_type="application/json").json()["child"]["uuid"]
    url = f"{API}/children/{uuid}"
    fixed = client.patch(
        url, {"first_name": "Анастасия", "municipality": personas.municipality_y.oktmo}, content_type="application/json"
    )
    assert fixed.status_code == 200 and fixed["Cache-Control"] == "no-store"
    assert (fixed.json()["first_name"], fixed.json()["last_name"]) == ("Анастасия", "Петрова")  # the rest stays
    assert fixed.json()["municipality"] == personas.municipality_y.oktmo
    for body, field in (
        ({"birth_date": "2099-01-01"}, "birth_date"),
        ({"municipality": "99999999"}, "municipality"),
        ({"last_name": None}, "last_name"),
        ({"snils": "123"}, "snils"),  # identifiers given later are checked as on adding
    ):
        refused = client.patch(url, body, content_type="application/json")
        assert refused.status_code == 422 and refused.json()["detail"][0]["loc"][-1] == field, refused.json()
    assert Child.objects.get().first_name == "Анастасия"
    client.force_login(personas.other_family)
    assert client.patch(url, {"first_name": "Чужая"}, content_type="application/json").status_code == 404
    client.force_login(personas.municipal_y)  # sees the registry of its territory, does not change it
    assert client.patch(url, {"first_name": "Чужая"}, content_type="application/json").status_code == 403
    assert Child.objects.get().first_name == "Анастасия"


def test_api_duplicates_and_undo(client, personas, pair):
    client.force_login(personas.municipal_x)
    listed = client.get(f"{API}/registry/duplicates").json()
    assert [d["id"] for d in listed["items"]] == [pair.pk]
    decided = client.post(f"{API}/registry/duplicates/{pair.pk}", {"same": True}, content_type="application/json")
    assert decided.status_code == 200 and decided.json()["id"] == pair.pk
    merge = ChildMerge.objects.get()
    client.force_login(personas.operator_a)
    assert client.post(f"{API}/registry/merges/{merge.pk}/undo").status_code in (403, 404)
    client.force_login(personas.municipal_x)
    undone = client.post(f"{API}/registry/merges/{merge.pk}/undo")
    assert undone.status_code == 200 and undone.json()["undone_at"]
    client.force_login(personas.municipal_y)
    assert client.get(f"{API}/registry/duplicates").json()["items"] == []


def test_api_child_input_is_checked_field_by_field(client, personas):
    client.force_login(personas.operator_a)
    child = {"last_name": "Петрова", "first_name": "Анна", "birth_date": "2016-05-20", "sex": "f"}
    unknown = client.post(f"{API}/children", {**child, "municipality": "12345678"}, content_type="application/json")
    assert unknown.status_code == 422
    assert unknown.json()["detail"] == [
        {"loc": ["body", "municipality"], "msg": "Муниципалитет с таким кодом ОКТМО не найден.", "type": "invalid"}
    ]
    child["municipality"] = personas.municipality_x.oktmo
    for changes, message in (
        ({"last_name": "   "}, "Не короче 1 символа."),
        ({"nickname": "Аня"}, "Неизвестное поле."),
        ({"sex": "x"}, "Допустимые значения: 'm' или 'f'."),
        ({"first_name": "Ан\x00на"}, "Данные содержат запрещённый символ: ноль-байт."),
    ):
        refused = client.post(f"{API}/children", {**child, **changes}, content_type="application/json")
        assert refused.status_code == 422 and refused.json()["detail"][0]["msg"] == message, changes
    assert not Child.objects.exists()


def test_api_without_a_token_or_a_session_is_401_and_a_session_needs_its_csrf_token(personas):
    child = {"last_name": "Петрова", "first_name": "Анна", "birth_date": "2016-05-20", "sex": "f"}
    guest = Client(enforce_csrf_checks=True)
    response = guest.post(f"{API}/children", child, content_type="application/json")
    assert response.status_code == 401 and "токен API" in response.json()["detail"]
    guest.force_login(personas.operator_a)
    response = guest.post(f"{API}/children", child, content_type="application/json")
    assert response.status_code == 403 and "CSRF-токена" in response.json()["detail"]
    assert not Child.objects.exists()
