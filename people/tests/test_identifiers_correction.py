"""The territory's operator corrects a child's СНИЛС or birth certificate from the documents: sets, replaces
or clears each, with a reason written to the audit log (never the values); a СНИЛС another record holds is
refused naming it as the pair pages would, the pair queued. Organizations and families may not."""

import json
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from core.models import AuditEvent
from core.testing import make_program
from enrollment.models import Application
from people import identity, registry
from people.models import Child, Guardian, MatchCandidate, MatchStatus

API = "/api/v1"
SNILS = "112-233-445 95"
NEW_SNILS = "987-654-321 83"
CERTIFICATE = "II-АБ 123456"
REASON = "Сверено со СНИЛС ребёнка, в записи была опечатка"
LONGEST = registry.CORRECTION_REASON_MAX
INVALID_SNILS = "СНИЛС должен состоять из 11 цифр с верным контрольным числом (формат 123-456-789 01)."
# No part of either number may show on a page or in an answer (three digits alone could match a token).
NUMBER_PARTS = ("112-233", "233-445", "445 95", "11223344595", "987-654", "654-321", "98765432183")


def enter(actor, municipality, first="Артём", last="Соловьёв", birth=date(2015, 3, 4), **identifiers) -> Child:
    child = Child(last_name=last, first_name=first, birth_date=birth, sex="m", municipality=municipality)
    return registry.register_child(actor, child, **identifiers).child


@pytest.fixture
def child(personas) -> Child:
    """Артём of municipality X, entered by organization A with his СНИЛС."""
    return enter(personas.operator_a, personas.municipality_x, snils=SNILS)


@pytest.fixture
def applied(personas, child) -> Child:
    """Артём applied to organization A: its operator sees his card, read-only."""
    program = make_program(personas.org_a, "Юный техник", actor=personas.operator_a, age_from=5, age_to=17)
    Application.objects.create(child=child, applicant=personas.family, program=program, idempotency_key="a")
    return child


def stored(child: Child) -> tuple[str, str, str, str]:
    child.refresh_from_db()
    return child.snils_digest, child.snils_cipher, child.birth_certificate_digest, child.birth_certificate_cipher


def corrections() -> int:
    return AuditEvent.objects.filter(action="child.identifiers_corrected").count()


# --- The action ---------------------------------------------------------------------------------


def test_the_operator_replaces_a_snils_encrypted_digested_and_audited_with_the_reason_not_the_value(personas, child):
    changes = registry.correct_identifiers(personas.municipal_x, child, snils=NEW_SNILS, reason=f"  {REASON}\n")
    assert changes == {"snils": "replaced"}
    child.refresh_from_db()
    assert child.snils_digest == identity.snils_digest(NEW_SNILS) and "98765432183" not in child.snils_cipher
    assert identity.decrypt(child.snils_cipher) == NEW_SNILS
    assert not Child.objects.filter(snils_digest=identity.snils_digest(SNILS)).exists()  # the old digest is gone
    event = AuditEvent.objects.get(action="child.identifiers_corrected")
    assert (event.actor, event.object_id) == (personas.municipal_x, str(child.pk))
    assert event.data == {"identifiers": {"snils": "replaced"}, "reason": REASON}
    assert not any(part in json.dumps(event.data, ensure_ascii=False) for part in NUMBER_PARTS)


def test_the_operator_clears_a_snils_and_another_record_may_then_hold_it(personas, child):
    changes = registry.correct_identifiers(personas.municipal_x, child, snils="", reason=REASON)
    assert changes == {"snils": "cleared"}
    assert stored(child)[:2] == ("", "")
    assert AuditEvent.objects.get(action="child.identifiers_corrected").data["identifiers"] == {"snils": "cleared"}
    other = enter(personas.operator_b, personas.municipality_y, first="Тимур", birth=date(2010, 1, 2), snils=SNILS)
    assert other.snils_digest == identity.snils_digest(SNILS)


def test_the_operator_adds_a_birth_certificate_and_leaves_the_snils_given_as_none(personas, child):
    snils_before = stored(child)[:2]
    changes = registry.correct_identifiers(personas.municipal_x, child, birth_certificate=CERTIFICATE, reason=REASON)
    assert changes == {"birth_certificate": "added"}
    assert stored(child)[:2] == snils_before
    assert identity.decrypt(child.birth_certificate_cipher) == CERTIFICATE
    assert child.birth_certificate_digest == identity.birth_certificate_digest(CERTIFICATE)


def test_what_the_record_already_says_changes_nothing_and_is_not_audited(personas, child):
    before = stored(child)
    assert registry.correct_identifiers(personas.municipal_x, child, snils="11223344595", reason=REASON) == {}
    assert stored(child) == before and corrections() == 0


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        (" \n ", registry.CORRECTION_REASON_MISSING),
        (
            "x" * (registry.CORRECTION_REASON_MAX + 1),
            f"Причина — не длиннее {registry.CORRECTION_REASON_MAX} символов.",
        ),
    ],
)
def test_a_reason_is_required_and_nothing_changes_without_one(personas, child, reason, message):
    before = stored(child)
    with pytest.raises(ValidationError) as refused:
        registry.correct_identifiers(personas.municipal_x, child, snils=NEW_SNILS, reason=reason)
    assert refused.value.message_dict == {"reason": [message]}
    assert stored(child) == before and corrections() == 0


def test_an_invalid_snils_is_refused_at_the_field_and_nothing_changes(personas, child):
    before = stored(child)
    with pytest.raises(ValidationError) as refused:
        registry.correct_identifiers(
            personas.municipal_x, child, snils="123-456-789 00", birth_certificate=CERTIFICATE, reason=""
        )
    assert refused.value.message_dict == {"snils": [INVALID_SNILS], "reason": [registry.CORRECTION_REASON_MISSING]}
    assert stored(child) == before and corrections() == 0  # the valid birth certificate is not kept either


def test_nothing_to_correct_is_said(personas, child):
    with pytest.raises(ValidationError) as refused:
        registry.correct_identifiers(personas.municipal_x, child, reason=REASON)
    assert refused.value.messages == ["Укажите, что исправить: СНИЛС, свидетельство о рождении или оба."]


def test_a_snils_another_record_holds_is_refused_naming_it_and_the_pair_is_queued(personas, child):
    other = enter(personas.operator_a, personas.municipality_x, first="Тимур", birth=date(2011, 6, 1))
    before = stored(other)
    with pytest.raises(ValidationError) as refused:
        registry.correct_identifiers(
            personas.municipal_x, other, snils=SNILS, birth_certificate=CERTIFICATE, reason=REASON
        )
    (message,) = refused.value.message_dict["snils"]
    assert message.startswith("Этот СНИЛС указан в другой записи реестра: Соловьёв Артём, 04.03.2015, Энск.")
    assert "очереди возможных дубликатов" in message
    assert stored(other) == before and corrections() == 0
    pair = MatchCandidate.objects.get()
    assert {pair.first_id, pair.second_id} == {child.pk, other.pk}
    assert pair.snils_held_elsewhere and pair.status == MatchStatus.PENDING


def test_a_holder_outside_the_operators_sight_is_named_by_its_municipality_only(personas, child):
    other = enter(personas.operator_b, personas.municipality_y, first="Тимур", birth=date(2011, 6, 1))
    with pytest.raises(ValidationError) as refused:
        registry.correct_identifiers(personas.municipal_y, other, snils=SNILS, reason=REASON)
    (message,) = refused.value.message_dict["snils"]
    assert "запись муниципалитета «Энск»" in message and "Соловьёв" not in message and "Артём" not in message
    with pytest.raises(ValidationError) as refused:  # the regional operator reads both records
        registry.correct_identifiers(personas.regional, other, snils=SNILS, reason=REASON)
    assert "Соловьёв Артём, 04.03.2015, Энск" in refused.value.message_dict["snils"][0]
    assert MatchCandidate.objects.count() == 1


def test_a_pair_judged_two_children_is_said_to_be_so(personas, child):
    other = enter(personas.operator_a, personas.municipality_x, first="Тимур", birth=date(2011, 6, 1))
    MatchCandidate.objects.create(first=child, second=other, probability=0.6, status=MatchStatus.DISTINCT)
    with pytest.raises(ValidationError) as refused:
        registry.correct_identifiers(personas.municipal_x, other, snils=SNILS, reason=REASON)
    assert "уже признаны разными детьми" in refused.value.message_dict["snils"][0]
    assert MatchCandidate.objects.get().status == MatchStatus.DISTINCT


def test_a_snils_taken_by_another_record_meanwhile_is_refused_as_held(personas, child, monkeypatch):
    """The check found no holder; the database's uniqueness refuses the write: said the same way."""
    other = enter(personas.operator_a, personas.municipality_x, first="Тимур", birth=date(2011, 6, 1))
    before = stored(other)
    monkeypatch.setattr(registry, "_snils_holder", lambda child, digest: None)
    with pytest.raises(ValidationError) as refused:
        registry.correct_identifiers(personas.municipal_x, other, snils=SNILS, reason=REASON)
    assert "Соловьёв Артём, 04.03.2015" in refused.value.message_dict["snils"][0]
    assert stored(other) == before and corrections() == 0
    assert other.snils_digest == ""  # the caller's copy too
    assert MatchCandidate.objects.get().snils_held_elsewhere


def test_a_merged_record_is_not_corrected(personas, child):
    duplicate = Child.objects.create(
        last_name="Соловьёв", first_name="Артём", birth_date=date(2015, 3, 5), sex="m", municipality=child.municipality
    )
    registry.merge_children(personas.municipal_x, child, duplicate)
    with pytest.raises(ValidationError) as refused:
        registry.correct_identifiers(personas.municipal_x, duplicate, snils=NEW_SNILS, reason=REASON)
    assert "объединена с другой записью" in refused.value.messages[0]
    assert corrections() == 0


def test_the_regional_operator_and_the_administrator_correct_too(personas, child):
    assert registry.correct_identifiers(personas.regional, child, snils=NEW_SNILS, reason=REASON)
    assert registry.correct_identifiers(personas.admin, child, snils=SNILS, reason=REASON)
    assert corrections() == 2


def test_only_the_territorys_operators_correct(personas, applied):
    Guardian.objects.create(user=personas.family, last_name="Соловьёва", first_name="Анна").children.add(applied)
    before = stored(applied)
    for outsider in (
        personas.municipal_y,
        personas.other_regional,
        personas.operator_a,
        personas.operator_b,
        personas.family,
        personas.other_family,
    ):
        with pytest.raises(PermissionDenied):
            registry.correct_identifiers(outsider, applied, snils=NEW_SNILS, reason=REASON)
    assert stored(applied) == before and corrections() == 0


# --- The office page ----------------------------------------------------------------------------


def page_of(child: Child) -> str:
    return reverse("registry:correct_identifiers", args=[child.uuid])


def test_the_card_leads_the_territorys_operator_to_the_correction(client, personas, applied):
    client.force_login(personas.municipal_x)
    assert page_of(applied) in client.get(reverse("registry:child", args=[applied.uuid])).content.decode()
    client.force_login(personas.operator_a)  # reads the card of a child who applied, corrects nothing
    card = client.get(reverse("registry:child", args=[applied.uuid]))
    assert card.status_code == 200 and page_of(applied) not in card.content.decode()


def test_the_form_says_what_is_recorded_and_what_will_be_replaced_without_the_numbers(client, personas, child):
    client.force_login(personas.municipal_x)
    page = client.get(page_of(child))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Исправить СНИЛС или свидетельство" in html
    assert "Сейчас СНИЛС указан: новый номер заменит его." in html and 'name="clear_snils"' in html
    assert "Сейчас свидетельство не указано" in html and 'name="clear_birth_certificate"' not in html
    assert '<label for="id_reason">' in html and "csrfmiddlewaretoken" in html
    assert not any(part in html for part in NUMBER_PARTS)


def test_the_form_replaces_and_says_so_on_the_card(client, personas, child):
    client.force_login(personas.municipal_x)
    response = client.post(page_of(child), {"snils": NEW_SNILS, "reason": REASON}, follow=True)
    assert response.redirect_chain == [(reverse("registry:child", args=[child.uuid]), 302)]
    assert "СНИЛС заменён. Причина записана в журнал." in response.content.decode()
    assert stored(child)[0] == identity.snils_digest(NEW_SNILS)


def test_the_form_clears_with_its_box(client, personas, child):
    client.force_login(personas.municipal_x)
    response = client.post(page_of(child), {"clear_snils": "on", "reason": REASON}, follow=True)
    assert "СНИЛС удалён." in response.content.decode() and stored(child)[:2] == ("", "")


def test_the_form_shows_refusals_at_their_fields_and_changes_nothing(client, personas, child):
    client.force_login(personas.municipal_x)
    before = stored(child)
    for data, field, message in (
        ({"snils": "123", "reason": REASON}, "snils", INVALID_SNILS),
        ({"snils": NEW_SNILS, "reason": ""}, "reason", registry.CORRECTION_REASON_MISSING),
        ({"snils": NEW_SNILS, "clear_snils": "on", "reason": REASON}, "clear_snils", "Либо новый номер, либо удаление"),
    ):
        response = client.post(page_of(child), data)
        assert response.status_code == 400
        assert message in response.context["form"].errors[field][0]
        assert message in response.content.decode() and "Не сохранено" in response.content.decode()
    assert stored(child) == before and corrections() == 0


def test_the_form_refuses_a_snils_held_elsewhere_naming_the_record(client, personas, child):
    other = enter(personas.operator_a, personas.municipality_x, first="Тимур", birth=date(2011, 6, 1))
    client.force_login(personas.municipal_x)
    response = client.post(page_of(other), {"snils": SNILS, "reason": REASON})
    assert response.status_code == 400
    assert "Этот СНИЛС указан в другой записи реестра: Соловьёв Артём" in response.content.decode()
    assert stored(other)[0] == "" and MatchCandidate.objects.get().snils_held_elsewhere


def test_the_form_needs_its_csrf_token(personas, child):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(personas.municipal_x)
    assert browser.post(page_of(child), {"snils": NEW_SNILS, "reason": REASON}).status_code == 403
    assert corrections() == 0


def test_the_page_is_refused_as_the_merges_are(client, personas, applied):
    Guardian.objects.create(user=personas.family, last_name="Соловьёва", first_name="Анна").children.add(applied)
    for user, status in (
        (personas.municipal_y, 404),  # another municipality's record: not found
        (personas.operator_b, 404),  # an organization the child never applied to
        (personas.operator_a, 403),  # sees the child who applied, read-only
        (personas.family, 403),  # the registry is staff's: the family uses its cabinet
        (personas.regional, 200),
    ):
        client.force_login(user)
        assert client.get(page_of(applied)).status_code == status, user
        if status != 200:
            assert client.post(page_of(applied), {"snils": NEW_SNILS, "reason": REASON}).status_code == status
    assert corrections() == 0


# --- The API ------------------------------------------------------------------------------------


def put(client, child: Child, **body):
    return client.put(f"{API}/children/{child.uuid}/identifiers", body, content_type="application/json")


def test_api_the_operator_replaces_and_clears(client, personas, child):
    client.force_login(personas.municipal_x)
    replaced = put(client, child, snils=NEW_SNILS, birth_certificate=CERTIFICATE, reason=REASON)
    assert replaced.status_code == 200 and replaced["Cache-Control"] == "no-store"
    answer = replaced.json()
    assert answer["corrected"] == {"snils": "replaced", "birth_certificate": "added"}
    assert (answer["has_snils"], answer["has_birth_certificate"], answer["uuid"]) == (True, True, str(child.uuid))
    assert not any(part in replaced.content.decode() for part in NUMBER_PARTS)
    assert stored(child)[0] == identity.snils_digest(NEW_SNILS)
    cleared = put(client, child, snils="", reason=REASON)
    assert cleared.json()["corrected"] == {"snils": "cleared"} and cleared.json()["has_snils"] is False
    assert stored(child)[:2] == ("", "") and child.birth_certificate_digest  # left out: left as it is
    assert put(client, child, snils="", reason=REASON).json()["corrected"] == {}


def test_api_refusals_are_at_the_field(client, personas, child):
    other = enter(personas.operator_a, personas.municipality_x, first="Тимур", birth=date(2011, 6, 1))
    client.force_login(personas.municipal_x)
    invalid = put(client, child, snils="123", reason=" ")
    assert invalid.status_code == 422
    assert invalid.json()["detail"] == [
        {"loc": ["body", "snils"], "msg": INVALID_SNILS, "type": "invalid"},
        {"loc": ["body", "reason"], "msg": registry.CORRECTION_REASON_MISSING, "type": "invalid"},
    ]
    missing = put(client, child, snils=NEW_SNILS)
    assert missing.status_code == 422 and missing.json()["detail"][0]["loc"] == ["body", "reason"]
    nothing = put(client, child, reason=REASON)
    assert nothing.status_code == 422 and nothing.json()["detail"][0]["loc"] == ["body"]
    held = put(client, other, snils=SNILS, reason=REASON)
    assert held.status_code == 422
    ((error),) = held.json()["detail"]
    assert error["loc"] == ["body", "snils"] and "Соловьёв Артём, 04.03.2015" in error["msg"]
    assert stored(child)[0] == identity.snils_digest(SNILS) and stored(other)[0] == "" and corrections() == 0


def test_api_scope_404_outside_403_read_only(client, personas, applied):
    Guardian.objects.create(user=personas.family, last_name="Соловьёва", first_name="Анна").children.add(applied)
    for user, status in (
        (personas.municipal_y, 404),
        (personas.other_family, 404),
        (personas.operator_b, 404),
        (personas.operator_a, 403),
        (personas.family, 403),  # its own child: it gives what is missing through PATCH, corrects nothing
    ):
        client.force_login(user)
        assert put(client, applied, snils=NEW_SNILS, reason=REASON).status_code == status, user
    assert corrections() == 0
    client.force_login(personas.regional)
    assert put(client, applied, snils=NEW_SNILS, reason=REASON).status_code == 200


def test_openapi_documents_the_correction_in_russian(client):
    document = client.get(f"{API}/openapi.json").json()
    operation = document["paths"][f"{API}/children/{{uuid}}/identifiers"]
    assert {"post", "put"} <= set(operation)
    assert operation["put"]["summary"] == "Исправить СНИЛС или свидетельство о рождении"
    assert "Причина обязательна" in operation["put"]["description"]
    given = document["components"]["schemas"]["IdentifiersCorrectionIn"]["properties"]
    assert "пустая строка — удалить" in given["snils"]["description"]
    assert "журнал" in given["reason"]["description"]
