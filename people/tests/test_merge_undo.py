"""Undoing a merge puts back what the merge filled on the surviving record only while it still holds it:
a СНИЛС corrected by the operator or given by the family since stays. The duplicate comes back with its
own СНИЛС unless a living record holds it now: then without it, as a new record does, the pair marked."""

import json
from datetime import date

import pytest
from django.core.exceptions import ValidationError

from core.models import AuditEvent
from people import identity, registry, services
from people.models import Child, ChildMerge, Guardian, MatchCandidate, MatchStatus

SNILS = "112-233-445 95"
NEW_SNILS = "987-654-321 83"
CERTIFICATE = "II-АБ 123456"
REASON = "Сверено со СНИЛС ребёнка"
NUMBER_PARTS = ("112-233", "445 95", "11223344595", "987-654", "98765432183", "123456")


def stored(municipality, first="Артём", patronymic="", birth=date(2015, 3, 4), **identifiers) -> Child:
    child = Child(
        last_name="Соловьёв",
        first_name=first,
        patronymic=patronymic,
        birth_date=birth,
        sex="m",
        municipality=municipality,
    )
    registry.set_identifiers(child, **identifiers)
    child.save()
    return child


def identifiers(child: Child) -> tuple[str, str, str]:
    child.refresh_from_db()
    return child.patronymic, identity.decrypt(child.snils_cipher), identity.decrypt(child.birth_certificate_cipher)


@pytest.fixture
def merged(personas) -> tuple[Child, Child, ChildMerge]:
    """A record without a patronymic or identifiers, and its duplicate that had all three: merged, filled."""
    survivor = stored(personas.municipality_x)
    duplicate = stored(
        personas.municipality_x,
        patronymic="Игоревич",
        birth=date(2015, 3, 5),
        snils=SNILS,
        birth_certificate=CERTIFICATE,
    )
    merge = registry.merge_children(personas.municipal_x, survivor, duplicate, probability=0.9)
    assert identifiers(survivor) == ("Игоревич", SNILS, CERTIFICATE)
    return survivor, duplicate, merge


def undone_event() -> AuditEvent:
    return AuditEvent.objects.get(action="child.merge_undone")


def test_an_undo_with_nothing_changed_since_restores_both_records_as_they_were(personas, merged):
    survivor, duplicate, merge = merged
    undone = registry.undo_merge(personas.municipal_x, merge)
    assert (undone.absorbed, undone.kept, undone.snils_held_elsewhere) == (duplicate, [], "")
    assert identifiers(survivor) == ("", "", "")
    assert survivor.snils_digest == survivor.birth_certificate_digest == ""
    assert identifiers(duplicate) == ("Игоревич", SNILS, CERTIFICATE) and duplicate.merged_into is None
    assert duplicate.snils_digest == identity.snils_digest(SNILS)
    assert undone_event().data == {"absorbed": duplicate.pk, "kept": [], "snils_held_by": None}
    assert MatchCandidate.objects.get().status == MatchStatus.DISTINCT
    assert not MatchCandidate.objects.get().snils_held_elsewhere


def test_an_undo_keeps_the_snils_the_operator_corrected_since_and_says_so(personas, merged):
    survivor, duplicate, merge = merged
    registry.correct_identifiers(personas.municipal_x, survivor, snils=NEW_SNILS, reason=REASON)
    undone = registry.undo_merge(personas.municipal_x, merge)
    assert undone.kept == ["snils"] and undone.snils_held_elsewhere == ""
    # The correction stays; what the merge filled and nobody touched goes back.
    assert identifiers(survivor) == ("", NEW_SNILS, "")
    assert survivor.snils_digest == identity.snils_digest(NEW_SNILS)
    assert identifiers(duplicate) == ("Игоревич", SNILS, CERTIFICATE)
    event = undone_event()
    assert event.data == {"absorbed": duplicate.pk, "kept": ["snils"], "snils_held_by": None}
    assert not any(part in json.dumps(event.data, ensure_ascii=False) for part in NUMBER_PARTS)
    assert Child.objects.living().count() == 2


def test_an_undo_keeps_details_the_family_changed_since(personas):
    """Cleared by the operator, given anew by the family; the patronymic the family corrected stays too."""
    Guardian.objects.create(user=personas.family, last_name="Соловьёва", first_name="Анна")
    own = services.add_child(
        personas.family,
        Child(
            last_name="Соловьёв",
            first_name="Артём",
            birth_date=date(2015, 3, 4),
            sex="m",
            municipality=personas.municipality_x,
        ),
    ).child
    duplicate = stored(personas.municipality_x, patronymic="Игоревич", birth=date(2015, 3, 5), snils=SNILS)
    merge = registry.merge_children(personas.municipal_x, own, duplicate, probability=0.9)
    registry.correct_identifiers(personas.municipal_x, own, snils="", reason=REASON)
    registry.add_identifiers(personas.family, own, snils=NEW_SNILS)
    own.refresh_from_db()
    own.patronymic = "Игоревич-Петров"
    services.update_child(personas.family, own)
    undone = registry.undo_merge(personas.municipal_x, merge)
    assert undone.kept == ["patronymic", "snils"]
    assert identifiers(own) == ("Игоревич-Петров", NEW_SNILS, "")
    assert identifiers(duplicate) == ("Игоревич", SNILS, "")


def test_a_duplicate_whose_snils_the_survivor_now_holds_comes_back_without_it(personas):
    """The survivor had its own СНИЛС; the operator since gave it the duplicate's (the duplicate, merged,
    held it no more). Two living records with one СНИЛС cannot be: the one that holds it keeps it."""
    survivor = stored(personas.municipality_x, snils=NEW_SNILS)
    duplicate = stored(personas.municipality_x, birth=date(2015, 3, 5), snils=SNILS)
    merge = registry.merge_children(personas.municipal_x, survivor, duplicate, probability=0.9)
    registry.correct_identifiers(personas.municipal_x, survivor, snils=SNILS, reason=REASON)
    undone = registry.undo_merge(personas.municipal_x, merge)
    assert identifiers(survivor) == ("", SNILS, "")
    duplicate.refresh_from_db()
    assert duplicate.merged_into is None and (duplicate.snils_digest, duplicate.snils_cipher) == ("", "")
    assert Child.objects.living().filter(snils_digest=identity.snils_digest(SNILS)).get() == survivor
    pair = MatchCandidate.objects.get()
    assert pair.status == MatchStatus.DISTINCT and pair.snils_held_elsewhere
    assert undone.snils_held_elsewhere.startswith("Запись-дубликат восстановлена без своего СНИЛС")
    assert "Соловьёв Артём, 04.03.2015, Энск" in undone.snils_held_elsewhere
    assert "уже признаны разными детьми" in undone.snils_held_elsewhere
    assert undone_event().data == {"absorbed": duplicate.pk, "kept": [], "snils_held_by": survivor.pk}


def test_a_duplicate_whose_snils_a_third_record_took_meanwhile_comes_back_without_it_the_pair_queued(personas):
    survivor = stored(personas.municipality_x, snils=NEW_SNILS)
    duplicate = stored(personas.municipality_x, birth=date(2015, 3, 5), snils=SNILS)
    merge = registry.merge_children(personas.municipal_x, survivor, duplicate, probability=0.9)
    # Merged, the duplicate held the СНИЛС no more: a new entry took it.
    third = registry.register_child(
        personas.operator_b,
        Child(
            last_name="Гусев",
            first_name="Марк",
            birth_date=date(2012, 1, 9),
            sex="m",
            municipality=personas.municipality_y,
        ),
        snils=SNILS,
    ).child
    assert third.snils_digest == identity.snils_digest(SNILS)
    undone = registry.undo_merge(personas.municipal_x, merge)
    duplicate.refresh_from_db()
    assert duplicate.merged_into is None and duplicate.snils_digest == ""
    assert identifiers(survivor) == ("", NEW_SNILS, "")
    held = MatchCandidate.objects.get(snils_held_elsewhere=True)
    assert {held.first_id, held.second_id} == {duplicate.pk, third.pk} and held.status == MatchStatus.PENDING
    assert MatchCandidate.objects.get(snils_held_elsewhere=False).status == MatchStatus.DISTINCT
    # The third record is out of the municipal operator's sight: named by its municipality only.
    assert "запись муниципалитета «Заречный район»" in undone.snils_held_elsewhere
    assert "Гусев" not in undone.snils_held_elsewhere
    assert undone_event().data["snils_held_by"] == third.pk


def test_a_snils_taken_since_the_check_is_held_elsewhere_all_the_same(personas, monkeypatch):
    """The check found no holder; the database's uniqueness refuses the revival: the duplicate gives way."""
    survivor = stored(personas.municipality_x, snils=NEW_SNILS)
    duplicate = stored(personas.municipality_x, birth=date(2015, 3, 5), snils=SNILS)
    merge = registry.merge_children(personas.municipal_x, survivor, duplicate, probability=0.9)
    registry.correct_identifiers(personas.municipal_x, survivor, snils=SNILS, reason=REASON)
    monkeypatch.setattr(registry, "_snils_holder", lambda child, digest: None)
    undone = registry.undo_merge(personas.municipal_x, merge)
    duplicate.refresh_from_db()
    assert duplicate.merged_into is None and duplicate.snils_digest == ""
    assert "восстановлена без своего СНИЛС" in undone.snils_held_elsewhere
    assert MatchCandidate.objects.get().snils_held_elsewhere


def test_an_undone_merge_is_not_undone_twice(personas, merged):
    _, _, merge = merged
    registry.undo_merge(personas.municipal_x, merge)
    with pytest.raises(ValidationError, match="уже отменено"):
        registry.undo_merge(personas.municipal_x, merge)


def test_the_card_says_what_the_undo_kept_and_why_the_duplicate_has_no_snils(client, personas):
    survivor = stored(personas.municipality_x, patronymic="", snils=NEW_SNILS)
    duplicate = stored(personas.municipality_x, patronymic="Игоревич", birth=date(2015, 3, 5), snils=SNILS)
    merge = registry.merge_children(personas.municipal_x, survivor, duplicate, probability=0.9)
    registry.correct_identifiers(personas.municipal_x, survivor, snils=SNILS, reason=REASON)
    survivor.refresh_from_db()
    Child.objects.filter(pk=survivor.pk).update(patronymic="Игоревич-Петров")  # changed since, say in the admin
    undo = f"/office/registry/merges/{merge.pk}/undo/"
    client.force_login(personas.municipal_y)
    assert client.post(undo).status_code == 404
    client.force_login(personas.municipal_x)
    page = client.post(undo, follow=True)
    html = page.content.decode()
    assert page.redirect_chain[-1][0] == f"/office/registry/{duplicate.uuid}/"
    assert "Объединение отменено: записи снова раздельные." in html
    assert "В оставшейся записи сохранено изменённое после объединения: отчество." in html
    assert "Запись-дубликат восстановлена без своего СНИЛС" in html
    assert not any(part in html for part in NUMBER_PARTS)
