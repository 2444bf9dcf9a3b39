"""A family gives its child's СНИЛС or birth certificate later, on the child's page or through the API:
stored only when the record lacks it, never replacing one, and a СНИЛС another record holds is kept off
the family's record (the pair waits for the operator) — named only when it is the family's own child."""

import json
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from core.models import AuditEvent
from enrollment.views import SNILS_HELD_ELSEWHERE
from people import identity, registry, review, services
from people.models import Child, Guardian, MatchCandidate, MatchStatus

API = "/api/v1"
SNILS = "112-233-445 95"
CERTIFICATE = "II-АБ 123456"
OTHER_SNILS = "123-456-789 64"
INVALID_SNILS = "СНИЛС должен состоять из 11 цифр с верным контрольным числом (формат 123-456-789 01)."


def typed(municipality, first="Артём", birth=date(2015, 3, 14), last="Соловьёв", sex="m") -> Child:
    return Child(last_name=last, first_name=first, birth_date=birth, sex=sex, municipality=municipality)


def as_form(child: Child, **changes) -> dict:
    return {
        "last_name": child.last_name,
        "first_name": child.first_name,
        "birth_date": child.birth_date.isoformat(),
        "sex": child.sex,
        "municipality": child.municipality_id,
        **changes,
    }


@pytest.fixture
def own(personas) -> Child:
    """Артём, added by the family in its cabinet without his СНИЛС or birth certificate."""
    Guardian.objects.create(user=personas.family, last_name="Соловьёва", first_name="Анна")
    return services.add_child(personas.family, typed(personas.municipality_x)).child


@pytest.fixture
def theirs(personas) -> Child:
    """Another family's Софья, who holds the СНИЛС."""
    Guardian.objects.create(user=personas.other_family, last_name="Коновалова", first_name="Ольга")
    child = typed(personas.municipality_y, first="Софья", last="Коновалова", sex="f", birth=date(2012, 7, 1))
    return services.add_child(personas.other_family, child, snils=SNILS).child


def unchanged(child: Child) -> None:
    child.refresh_from_db()
    assert (child.snils_digest, child.snils_cipher, child.birth_certificate_digest) == ("", "", "")
    assert not AuditEvent.objects.filter(action__in=["child.identifiers_added", "child.updated"]).exists()


# --- The action ---------------------------------------------------------------------------------


def test_a_family_adds_the_snils_later_encrypted_digested_and_audited_without_the_value(personas, own):
    added = registry.add_identifiers(personas.family, own, snils=SNILS, birth_certificate=CERTIFICATE)
    assert (added.added, added.snils_held_elsewhere) == (["snils", "birth_certificate"], False)
    own.refresh_from_db()
    assert own.snils_digest == identity.snils_digest(SNILS) and "11223344595" not in own.snils_cipher
    assert identity.decrypt(own.snils_cipher) == SNILS
    assert own.birth_certificate_digest == identity.birth_certificate_digest(CERTIFICATE)
    assert identity.decrypt(own.birth_certificate_cipher) == CERTIFICATE
    event = AuditEvent.objects.get(action="child.identifiers_added")
    assert (event.actor, event.object_id) == (personas.family, str(own.pk))
    assert event.data == {"identifiers": ["snils", "birth_certificate"], "snils_held_elsewhere": False}
    assert not any(part in json.dumps(event.data, ensure_ascii=False) for part in ("112", "11223344595", "123456"))


def test_the_snils_added_later_keeps_an_organizations_entry_from_taking_the_familys_record(personas, own):
    registry.add_identifiers(personas.family, own, snils=SNILS)
    entered = registry.register_child(personas.operator_a, typed(personas.municipality_x, first="Тимур"), snils=SNILS)
    assert entered.created and entered.snils_held_elsewhere and entered.child.pk != own.pk
    assert MatchCandidate.objects.get(snils_held_elsewhere=True).second == entered.child


def test_a_snils_held_outside_the_family_is_not_stored_and_the_pair_waits_unnamed(personas, own, theirs):
    added = registry.add_identifiers(personas.family, own, snils=SNILS, birth_certificate=CERTIFICATE)
    assert (added.added, added.snils_held_elsewhere) == (["birth_certificate"], True)
    own.refresh_from_db()
    assert own.snils_digest == "" and own.snils_cipher == "" and own.birth_certificate_digest
    pair = MatchCandidate.objects.get()
    assert {pair.first_id, pair.second_id} == {own.pk, theirs.pk}
    assert pair.snils_held_elsewhere and pair.status == MatchStatus.PENDING
    event = AuditEvent.objects.get(action="child.identifiers_added")
    assert event.data == {"identifiers": ["birth_certificate"], "snils_held_elsewhere": True}
    assert str(theirs.pk) not in json.dumps(event.data)


def test_a_pair_already_waiting_learns_that_the_snils_is_held_elsewhere(personas, own, theirs):
    queued = MatchCandidate.objects.create(first=own, second=theirs, probability=0.8)  # by the details
    registry.add_identifiers(personas.family, own, snils=SNILS)
    queued.refresh_from_db()
    assert queued.snils_held_elsewhere and MatchCandidate.objects.count() == 1


def judged_apart(personas, own, theirs) -> MatchCandidate:
    """The pair of the two records, queued by their details and judged two children without the СНИЛС."""
    pair = MatchCandidate.objects.create(first=own, second=theirs, probability=0.8)
    return registry.decide(personas.regional, pair, same=False)  # of two municipalities: the region decides


def judged_apart_knowing_the_snils(personas, own, theirs, how: str) -> MatchCandidate:
    """The pair judged two children by an operator who knew the family gave its record the other's СНИЛС:
    the pair was queued for it, or reopened for it after a decision on the details."""
    if how == "reopened":
        judged_apart(personas, own, theirs)
    registry.add_identifiers(personas.family, own, snils=SNILS)
    pair = MatchCandidate.objects.get()
    assert (pair.status, pair.snils_held_elsewhere) == (MatchStatus.PENDING, True)
    return registry.decide(personas.regional, pair, same=False)


def test_a_pair_judged_two_children_is_reopened_when_the_family_gives_the_snils_again(personas, own, theirs):
    """The family is told the records will be checked: a pair decided before on its details waits again,
    why said."""
    pair = judged_apart(personas, own, theirs)
    added = registry.add_identifiers(personas.family, own, snils=SNILS)
    assert added.snils_held_elsewhere and added.added == []
    pair.refresh_from_db()
    assert (pair.status, pair.decided_at, pair.decided_by) == (MatchStatus.PENDING, None, None)
    assert pair.snils_held_elsewhere and MatchCandidate.objects.count() == 1
    assert list(review.to_decide(personas.regional)) == [pair]
    event = AuditEvent.objects.get(action="child.pair_reopened")
    assert event.actor is None and event.object_id == str(pair.pk)  # the system's doing: no one is named
    assert event.data["reason"] == registry.FAMILYS_SNILS_REOPENS
    assert (event.data["decided"], event.data["decided_by"]) == (MatchStatus.DISTINCT, personas.regional.pk)
    # The family's own record of it is as before: the kinds, never the other record.
    assert AuditEvent.objects.filter(action="child.identifiers_added").last().data == {
        "identifiers": [],
        "snils_held_elsewhere": True,
    }


@pytest.mark.parametrize("how", ["queued", "reopened"])
def test_a_snils_the_operator_judged_apart_is_refused_and_the_pair_stays_decided(personas, own, theirs, how):
    """Reopened again, the pair would come back to the operator each time the family types the СНИЛС (the
    form asks for it: it is not on the record), the family told each time that the records will be checked."""
    pair = judged_apart_knowing_the_snils(personas, own, theirs, how)
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as refused:
        registry.add_identifiers(personas.family, own, snils=SNILS, birth_certificate=CERTIFICATE)
    assert refused.value.message_dict == {"snils": [registry.SNILS_CHECKED]}
    assert "Софья" not in registry.SNILS_CHECKED and "Коновалова" not in registry.SNILS_CHECKED
    pair.refresh_from_db()
    assert (pair.status, pair.decided_by) == (MatchStatus.DISTINCT, personas.regional)
    assert MatchCandidate.objects.count() == 1 and not list(review.to_decide(personas.regional))
    assert AuditEvent.objects.count() == events  # no reopening, no identifiers added
    own.refresh_from_db()
    assert (own.snils_digest, own.snils_cipher, own.birth_certificate_digest) == ("", "", "")


def test_the_refusal_holds_for_a_snils_taken_meanwhile_too(personas, own, theirs, monkeypatch):
    judged_apart_knowing_the_snils(personas, own, theirs, "queued")
    monkeypatch.setattr(registry, "_snils_holder", lambda child, digest: None)
    with pytest.raises(ValidationError) as refused:
        registry.add_identifiers(personas.family, own, snils=SNILS, birth_certificate=CERTIFICATE)
    assert refused.value.message_dict == {"snils": [registry.SNILS_CHECKED]}
    assert MatchCandidate.objects.get().status == MatchStatus.DISTINCT
    own.refresh_from_db()
    assert (own.snils_digest, own.birth_certificate_digest) == ("", "")


def test_another_snils_held_elsewhere_still_waits_for_the_operator(personas, own, theirs):
    """The decision was on the СНИЛС the other record holds: another one is another question."""
    checked = judged_apart_knowing_the_snils(personas, own, theirs, "queued")
    vera = typed(personas.municipality_y, first="Вера", last="Гусева", sex="f", birth=date(2011, 9, 9))
    hers = services.add_child(personas.other_family, vera, snils=OTHER_SNILS).child
    added = registry.add_identifiers(personas.family, own, snils=OTHER_SNILS)
    assert (added.added, added.snils_held_elsewhere) == ([], True)
    queued = MatchCandidate.objects.get(first=own, second=hers)
    assert (queued.status, queued.snils_held_elsewhere) == (MatchStatus.PENDING, True)
    checked.refresh_from_db()
    assert checked.status == MatchStatus.DISTINCT


def test_a_pair_already_waiting_is_not_reopened_again(personas, own, theirs):
    registry.add_identifiers(personas.family, own, snils=SNILS)
    registry.add_identifiers(personas.family, own, snils=SNILS)
    assert MatchCandidate.objects.get().status == MatchStatus.PENDING
    assert not AuditEvent.objects.filter(action="child.pair_reopened").exists()


def test_a_snils_of_the_familys_other_child_is_refused_naming_that_child(personas, own):
    sister = services.add_child(
        personas.family, typed(personas.municipality_x, first="Маша", sex="f", birth=date(2013, 5, 2)), snils=SNILS
    ).child
    with pytest.raises(ValidationError) as refused:
        registry.add_identifiers(personas.family, own, snils=SNILS, birth_certificate=CERTIFICATE)
    assert refused.value.message_dict == {
        "snils": [
            "Этот СНИЛС уже указан у вашего ребёнка: Маша, дата рождения 02.05.2013. "
            "Проверьте номер: у каждого ребёнка свой СНИЛС."
        ]
    }
    unchanged(own)
    assert not MatchCandidate.objects.exists() and sister.snils_digest


def test_the_familys_child_typed_again_takes_the_identifiers_typed_with_it(client, personas, own, theirs):
    """Typed again, the child is found in the cabinet; the СНИЛС and certificate typed with it are not
    dropped without a word: those its record lacks are stored, one held elsewhere is said so."""
    again = services.add_child(personas.family, typed(personas.municipality_x), birth_certificate=CERTIFICATE)
    assert (again.child, again.already_guardian, again.identifiers_added) == (own, True, ["birth_certificate"])
    own.refresh_from_db()
    assert identity.decrypt(own.birth_certificate_cipher) == CERTIFICATE
    # A СНИЛС another family's record holds: kept off the record, the pair waits, the page says so.
    client.force_login(personas.family)
    response = client.post(reverse("family:child_new"), as_form(own, snils=SNILS), follow=True)
    said = [str(m) for m in response.context["messages"]]
    assert "Артём уже есть в вашем кабинете: новая запись не нужна." in said and SNILS_HELD_ELSEWHERE in said
    own.refresh_from_db()
    assert own.snils_digest == "" and MatchCandidate.objects.filter(snils_held_elsewhere=True).count() == 1
    # A СНИЛС other than the one its record holds is refused at the field, naming the family's own child.
    Child.objects.filter(pk=own.pk).update(snils_digest="another-childs-digest")  # as an operator recorded it
    with pytest.raises(ValidationError) as refused:
        services.add_child(personas.family, typed(personas.municipality_x), snils=SNILS)
    assert refused.value.message_dict["snils"] == [
        "У ребёнка Артём в вашем кабинете указан другой СНИЛС. Если там он неверен, его исправит опорный центр."
    ]


def test_the_familys_child_typed_again_with_a_snils_judged_apart_is_refused(personas, own, theirs):
    """Typed again with the СНИЛС the operator judged another child's: refused as giving it later is, the
    typing undone whole (the record found, the certificate typed with it)."""
    judged_apart_knowing_the_snils(personas, own, theirs, "reopened")
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as refused:
        services.add_child(personas.family, typed(personas.municipality_x), snils=SNILS, birth_certificate=CERTIFICATE)
    assert refused.value.message_dict == {"snils": [registry.SNILS_CHECKED]}
    assert MatchCandidate.objects.get().status == MatchStatus.DISTINCT
    assert AuditEvent.objects.count() == events and set(Child.objects.all()) == {own, theirs}
    own.refresh_from_db()
    assert own.birth_certificate_digest == ""


def test_a_recorded_identifier_is_not_replaced_by_the_family(personas, own):
    registry.add_identifiers(personas.family, own, snils=SNILS, birth_certificate=CERTIFICATE)
    before = Child.objects.get(pk=own.pk)
    with pytest.raises(ValidationError) as refused:
        registry.add_identifiers(personas.family, own, snils="123-456-789 64", birth_certificate="III-ВГ 654321")
    assert refused.value.message_dict == {
        "snils": [registry.SNILS_RECORDED],
        "birth_certificate": [registry.BIRTH_CERTIFICATE_RECORDED],
    }
    after = Child.objects.get(pk=own.pk)
    assert (after.snils_cipher, after.birth_certificate_cipher) == (
        before.snils_cipher,
        before.birth_certificate_cipher,
    )
    assert AuditEvent.objects.filter(action="child.identifiers_added").count() == 1


def test_invalid_identifiers_say_what_adding_says_and_change_nothing(personas, own):
    with pytest.raises(ValidationError) as refused:
        registry.add_identifiers(personas.family, own, snils="123", birth_certificate="№")
    assert refused.value.message_dict["snils"] == [INVALID_SNILS]
    assert refused.value.message_dict["birth_certificate"][0].startswith("Серия и номер свидетельства о рождении")
    unchanged(own)


def test_only_the_childs_family_gives_its_identifiers(personas, own):
    for outsider in (personas.other_family, personas.municipal_x, personas.operator_a):
        with pytest.raises(PermissionDenied):
            registry.add_identifiers(outsider, own, snils=SNILS)
    unchanged(own)


def test_a_snils_taken_by_another_record_meanwhile_is_held_elsewhere(personas, own, theirs, monkeypatch):
    """The check found no holder; another record took the СНИЛС before the write: the database's
    uniqueness refuses it, and the pair is queued as if the check had seen it."""
    monkeypatch.setattr(registry, "_snils_holder", lambda child, digest: None)
    added = registry.add_identifiers(personas.family, own, snils=SNILS)
    assert (added.added, added.snils_held_elsewhere) == ([], True)
    own.refresh_from_db()
    assert own.snils_digest == ""
    assert MatchCandidate.objects.get().snils_held_elsewhere


def test_a_snils_taken_meanwhile_by_the_familys_other_child_is_refused(personas, own, monkeypatch):
    services.add_child(
        personas.family, typed(personas.municipality_x, first="Маша", sex="f", birth=date(2013, 5, 2)), snils=SNILS
    )
    monkeypatch.setattr(registry, "_snils_holder", lambda child, digest: None)
    with pytest.raises(ValidationError) as refused:
        registry.add_identifiers(personas.family, own, snils=SNILS, birth_certificate=CERTIFICATE)
    assert "у вашего ребёнка: Маша" in refused.value.message_dict["snils"][0]
    unchanged(own)


# --- The cabinet's page -------------------------------------------------------------------------


def test_the_page_asks_for_what_is_missing_and_says_what_is_recorded(client, personas, own):
    client.force_login(personas.family)
    edit = reverse("family:child_edit", args=[own.uuid])
    page = client.get(edit).content.decode()
    assert "СНИЛС: не указан" in page and 'name="snils"' in page and 'name="birth_certificate"' in page
    response = client.post(edit, as_form(own, last_name="Соловьев", snils=SNILS), follow=True)
    assert "Данные ребёнка исправлены. СНИЛС сохранён." in response.content.decode()
    own.refresh_from_db()
    assert own.last_name == "Соловьев" and own.snils_digest == identity.snils_digest(SNILS)
    page = client.get(edit).content.decode()
    assert "СНИЛС указан." in page and 'name="snils"' not in page and 'name="birth_certificate"' in page
    assert not any(part in page for part in ("112-233", "233-445", "445 95", "11223344595"))
    response = client.post(edit, as_form(own, birth_certificate=CERTIFICATE), follow=True)
    assert "Свидетельство о рождении сохранено." in response.content.decode()
    page = client.get(edit).content.decode()
    assert "Свидетельство о рождении указано." in page and 'name="birth_certificate"' not in page


def test_the_page_tells_of_a_snils_held_elsewhere_without_naming_the_record(client, personas, own, theirs):
    client.force_login(personas.family)
    edit = reverse("family:child_edit", args=[own.uuid])
    response = client.post(edit, as_form(own, snils=SNILS), follow=True)
    html = response.content.decode()
    assert SNILS_HELD_ELSEWHERE in html and "Коновалова" not in html and "Софья" not in html
    own.refresh_from_db()
    assert own.snils_digest == "" and MatchCandidate.objects.get().snils_held_elsewhere
    assert 'name="snils"' in client.get(edit).content.decode()  # still not recorded: still asked


def test_what_the_family_is_told_holds_from_giving_the_snils_to_the_operators_second_look(
    client, personas, own, theirs
):
    """A pair judged two children on the details waits again once the family gives the СНИЛС the other
    record holds — «the centre will check» is true, and the operator's page of the pair says why it is
    back; judged two children again, the СНИЛС is refused at the field: the centre has checked it."""
    pair = judged_apart(personas, own, theirs)
    client.force_login(personas.family)
    edit = reverse("family:child_edit", args=[own.uuid])
    edited = client.post(edit, as_form(own, snils=SNILS), follow=True)
    html = edited.content.decode()
    assert SNILS_HELD_ELSEWHERE in html and "Софья" not in html and "Коновалова" not in html
    pair.refresh_from_db()
    assert pair.status == MatchStatus.PENDING
    client.force_login(personas.regional)
    page = client.get(f"/office/registry/duplicates/{pair.pk}/").content.decode()
    assert registry.FAMILYS_SNILS_REOPENS in page and "уже был у другой" in page
    assert "Это один ребёнок — объединить" in page
    # The operator is told what «разные дети» will mean to the family before choosing it.
    assert "семья больше указать не сможет" in page
    registry.decide(personas.regional, pair, same=False)

    client.force_login(personas.family)
    refused = client.post(edit, as_form(own, last_name="Соловьев", snils=SNILS))
    assert refused.status_code == 200
    assert refused.context["form"].errors["snils"] == [registry.SNILS_CHECKED]
    html = refused.content.decode()
    assert registry.SNILS_CHECKED in html and "Софья" not in html and "Коновалова" not in html
    pair.refresh_from_db()
    assert pair.status == MatchStatus.DISTINCT
    assert AuditEvent.objects.filter(action="child.pair_reopened").count() == 1
    own.refresh_from_db()
    assert (own.last_name, own.snils_digest) == ("Соловьёв", "")  # nothing saved with the refusal


def test_a_child_added_with_a_snils_held_elsewhere_and_judged_apart_is_refused_it_after(client, personas, theirs):
    """Added with a СНИЛС another record holds, the child's pair waits with that reason; judged two children,
    the family typing the СНИЛС again — on the child's page, or adding the child again — is told at the
    field that the centre has checked it."""
    Guardian.objects.create(user=personas.family, last_name="Соловьёва", first_name="Анна")
    client.force_login(personas.family)
    added = client.post(reverse("family:child_new"), as_form(typed(personas.municipality_x), snils=SNILS), follow=True)
    assert SNILS_HELD_ELSEWHERE in added.content.decode()
    own = Child.objects.get(guardians__user=personas.family)
    pair = MatchCandidate.objects.get()
    assert {pair.first_id, pair.second_id} == {own.pk, theirs.pk}
    assert (pair.status, pair.snils_held_elsewhere) == (MatchStatus.PENDING, True)
    registry.decide(personas.regional, pair, same=False)
    events = AuditEvent.objects.count()
    for url in (reverse("family:child_edit", args=[own.uuid]), reverse("family:child_new")):
        refused = client.post(url, as_form(own, snils=SNILS))
        assert refused.status_code == 200
        assert refused.context["form"].errors["snils"] == [registry.SNILS_CHECKED]
        assert "Софья" not in refused.content.decode()
    pair.refresh_from_db()
    assert pair.status == MatchStatus.DISTINCT and AuditEvent.objects.count() == events
    assert list(Child.objects.filter(guardians__user=personas.family)) == [own]


def test_the_page_refuses_at_the_field_and_saves_no_detail_either(client, personas, own):
    client.force_login(personas.family)
    edit = reverse("family:child_edit", args=[own.uuid])
    sister = typed(personas.municipality_x, first="Маша", sex="f", birth=date(2013, 5, 2))
    services.add_child(personas.family, sister, snils=SNILS)
    for snils, message in ((SNILS, "Этот СНИЛС уже указан у вашего ребёнка: Маша"), ("123", INVALID_SNILS)):
        response = client.post(edit, as_form(own, last_name="Соловьев", snils=snils))
        assert response.status_code == 200
        assert message in response.context["form"].errors["snils"][0]
        unchanged(own)
        assert own.last_name == "Соловьёв"


def test_another_familys_child_page_is_not_found(client, personas, own):
    client.force_login(personas.other_family)
    edit = reverse("family:child_edit", args=[own.uuid])
    assert client.get(edit).status_code == 404
    assert client.post(edit, as_form(own, snils=SNILS)).status_code == 404
    unchanged(own)


# --- The API ------------------------------------------------------------------------------------


def test_api_a_family_adds_identifiers_later(client, personas, own):
    client.force_login(personas.family)
    url = f"{API}/children/{own.uuid}"
    added = client.patch(url, {"snils": SNILS, "birth_certificate": CERTIFICATE}, content_type="application/json")
    assert added.status_code == 200 and added.json()["has_snils"] is True
    assert added.json()["snils_held_elsewhere"] is False and "snils" not in added.json()
    own.refresh_from_db()
    assert own.snils_digest == identity.snils_digest(SNILS) and own.birth_certificate_digest
    again = client.patch(url, {"snils": SNILS, "first_name": "Артемий"}, content_type="application/json")
    assert again.status_code == 422
    assert again.json()["detail"] == [{"loc": ["body", "snils"], "msg": registry.SNILS_RECORDED, "type": "invalid"}]
    own.refresh_from_db()
    assert own.first_name == "Артём"  # nothing saved with a refusal


def test_api_a_snils_held_elsewhere_is_said_and_not_stored(client, personas, own, theirs):
    client.force_login(personas.family)
    held = client.patch(f"{API}/children/{own.uuid}", {"snils": SNILS}, content_type="application/json")
    assert held.status_code == 200 and held.json()["snils_held_elsewhere"] is True
    assert held.json()["has_snils"] is False and str(theirs.uuid) not in held.content.decode()
    assert MatchCandidate.objects.get().snils_held_elsewhere


def test_api_a_snils_judged_apart_is_refused_at_the_field(client, personas, own, theirs):
    judged_apart_knowing_the_snils(personas, own, theirs, "reopened")
    events = AuditEvent.objects.count()
    client.force_login(personas.family)
    body = {"snils": SNILS, "first_name": "Артемий"}
    refused = client.patch(f"{API}/children/{own.uuid}", body, content_type="application/json")
    assert refused.status_code == 422
    assert refused.json()["detail"] == [{"loc": ["body", "snils"], "msg": registry.SNILS_CHECKED, "type": "invalid"}]
    again = {**as_form(own, snils=SNILS), "municipality": own.municipality.oktmo}
    typed_again = client.post(f"{API}/children", again, content_type="application/json")
    assert typed_again.status_code == 422
    assert typed_again.json()["detail"] == [
        {"loc": ["body", "snils"], "msg": registry.SNILS_CHECKED, "type": "invalid"}
    ]
    assert str(theirs.uuid) not in refused.content.decode() + typed_again.content.decode()
    own.refresh_from_db()
    assert (own.first_name, own.snils_digest) == ("Артём", "")  # nothing saved with a refusal
    assert MatchCandidate.objects.get().status == MatchStatus.DISTINCT and AuditEvent.objects.count() == events


def test_api_refusals_are_at_the_field_and_another_familys_child_is_not_found(client, personas, own):
    client.force_login(personas.family)
    url = f"{API}/children/{own.uuid}"
    invalid = client.patch(url, {"snils": "123", "birth_certificate": "№"}, content_type="application/json")
    assert invalid.status_code == 422
    assert {tuple(error["loc"]) for error in invalid.json()["detail"]} == {
        ("body", "snils"),
        ("body", "birth_certificate"),
    }
    client.force_login(personas.other_family)
    assert client.patch(url, {"snils": SNILS}, content_type="application/json").status_code == 404
    client.force_login(personas.municipal_x)  # sees the registry of its territory, does not change it
    assert client.patch(url, {"snils": SNILS}, content_type="application/json").status_code == 403
    unchanged(own)


def test_openapi_documents_the_identifiers_given_later_in_russian(client):
    schemas = client.get(f"{API}/openapi.json").json()["components"]["schemas"]
    given = schemas["ChildUpdateIn"]["properties"]
    assert "если в записи его нет" in given["snils"]["description"]
    assert "если в записи его нет" in given["birth_certificate"]["description"]
    assert "другой записи реестра" in schemas["ChildUpdatedOut"]["properties"]["snils_held_elsewhere"]["description"]


def test_the_pair_page_tells_the_operator_what_two_children_will_mean_for_the_familys_snils(
    client, personas, own, theirs
):
    pair = MatchCandidate.objects.create(first=own, second=theirs, probability=0.8)
    client.force_login(personas.regional)
    url = f"/office/registry/duplicates/{pair.pk}/"
    page = client.get(url).content.decode()
    assert "Разные дети" in page and "семья больше указать не сможет" not in page  # a pair of details alone
    registry.add_identifiers(personas.family, own, snils=SNILS)  # the waiting pair learns of the СНИЛС
    page = client.get(url).content.decode()
    assert "Разные дети" in page and "семья больше указать не сможет" in page
