"""The registry: protected identifiers, one record per child, merges and their undoing."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from core.models import AuditEvent
from core.testing import make_program
from core.validators import is_valid_snils, normalize_snils, snils_check_number
from enrollment.models import Application, ApplicationStatus
from finance import certificates
from finance.testing import frozen_clock, make_period
from people import identity, matching, registry
from people.models import Child, ChildMerge, Guardian, MatchCandidate, MatchStatus

SNILS = "112-233-445 95"
OTHER_SNILS = "123-456-789 " + snils_check_number("123456789")


def new_child(municipality, last="Соловьёв", first="Артём", patronymic="Игоревич", birth=date(2015, 3, 14), **kw):
    return Child(
        last_name=last,
        first_name=first,
        patronymic=patronymic,
        birth_date=birth,
        sex=kw.pop("sex", "m"),
        municipality=municipality,
        **kw,
    )


# --- Identifiers ------------------------------------------------------------------------------


def test_snils_checksum():
    assert is_valid_snils("11223344595")
    assert not is_valid_snils("11223344596")
    assert normalize_snils(SNILS) == "11223344595"
    with pytest.raises(ValidationError) as caught:
        normalize_snils("112-233-445 96")
    # The message explains the rule and never repeats the number.
    assert "контрольным" in caught.value.messages[0] and "445" not in caught.value.messages[0]


def test_identifiers_are_encrypted_and_digested(settings):
    token = identity.encrypt("112-233-445 95")
    assert "445" not in token and identity.decrypt(token) == "112-233-445 95"
    assert identity.snils_digest(SNILS) == identity.snils_digest("11223344595")
    assert "11223344595" not in identity.snils_digest(SNILS)
    # Cyrillic and Latin look-alikes in the series are one certificate.
    assert identity.birth_certificate_digest("II-АВ № 123456") == identity.birth_certificate_digest("ii-ab 123456")
    digest = identity.snils_digest(SNILS)
    settings.PERSONAL_DATA_KEY = "another key"
    assert identity.snils_digest(SNILS) != digest  # the digest is keyed: no table of all СНИЛС helps
    with pytest.raises(RuntimeError, match="OPORA_PERSONAL_DATA_KEY"):
        identity.decrypt(token)


def test_bad_identifiers_change_nothing(personas):
    before = Child.objects.count()
    with pytest.raises(ValidationError) as caught:
        registry.register_child(
            personas.operator_a, new_child(personas.municipality_x), snils="123", birth_certificate="!"
        )
    assert set(caught.value.message_dict) == {"snils", "birth_certificate"}
    assert Child.objects.count() == before


# --- One record per child ---------------------------------------------------------------------


def test_same_snils_is_the_same_child_whatever_the_name(personas):
    first = registry.register_child(personas.operator_a, new_child(personas.municipality_x), snils=SNILS)
    assert first.created and first.child.snils_digest
    again = registry.register_child(
        personas.operator_b, new_child(personas.municipality_y, last="Соловьева", first="Тёма"), snils="11223344595"
    )
    assert not again.created and again.child == first.child
    assert Child.objects.count() == 1
    assert AuditEvent.objects.filter(action="child.matched", object_id=str(first.child.pk)).exists()


def test_a_sure_match_is_merged_into_the_older_record(personas):
    x = personas.municipality_x
    older = registry.register_child(personas.operator_a, new_child(x)).child
    typed = new_child(x, last="Соловьев", first="Артем", patronymic="")  # ё→е, no patronymic
    assert matching.verdict(matching.match_probability(registry.as_person(older), registry.as_person(typed))) == (
        matching.Verdict.SAME
    )
    result = registry.register_child(personas.operator_b, typed, snils=SNILS)
    assert result.child == older and result.merged is not None and result.merged.automatic
    assert Child.objects.living().count() == 1
    older.refresh_from_db()
    assert older.snils_digest == identity.snils_digest(SNILS)  # the survivor learned the СНИЛС


def test_twins_are_never_merged(personas):
    x = personas.municipality_x
    artyom = registry.register_child(personas.operator_a, new_child(x)).child
    result = registry.register_child(personas.operator_a, new_child(x, first="Матвей"))
    assert result.created and result.merged is None and result.child != artyom
    assert Child.objects.living().count() == 2


def test_an_uncertain_pair_waits_for_review(personas):
    x = personas.municipality_x
    registry.register_child(personas.operator_a, new_child(x, birth=date(2015, 3, 4)))
    # A feminine surname for a boy and a birthday a day off: perhaps the same child, perhaps not.
    doubtful = new_child(x, last="Соловьёва", birth=date(2015, 3, 5))
    probability = matching.match_probability(registry.as_person(Child.objects.get()), registry.as_person(doubtful))
    assert matching.verdict(probability) == matching.Verdict.REVIEW
    result = registry.register_child(personas.operator_b, doubtful)
    assert result.created and result.merged is None and len(result.review) == 1
    assert list(registry.pending_review()) == result.review
    assert Child.objects.living().count() == 2


# --- Merge and undo ---------------------------------------------------------------------------


@pytest.fixture
def two_records(personas):
    """The same child entered twice and kept apart so far, each with an application and a parent."""
    x, op = personas.municipality_x, personas.operator_a
    first = new_child(x)
    first.save()
    second = new_child(x, last="Соловьёв-Каменский", first="Артемий", birth=date(2015, 3, 15))
    second.save()
    guardian = Guardian.objects.create(user=personas.family, last_name="Соловьёва", first_name="Анна")
    second.guardians.add(guardian)
    robotics = make_program(personas.org_a, "Робототехника", actor=op, age_from=5, age_to=17)
    chess = make_program(personas.org_a, "Шахматы", actor=op, age_from=5, age_to=17)
    for child, program in ((first, robotics), (second, chess)):
        Application.objects.create(
            child=child,
            applicant=op,
            program=program,
            group=program.groups.first(),
            status=ApplicationStatus.ENROLLED,
            enrolled_on=date(2025, 9, 1),
            idempotency_key=f"k{child.pk}",
        )
    return first, second, guardian, robotics


def test_merge_moves_everything_and_undo_restores_it(personas, two_records):
    first, second, guardian, _ = two_records
    merge = registry.merge_children(personas.municipal_x, first, second, probability=0.7)
    assert Application.objects.filter(child=first).count() == 2
    assert list(first.guardians.all()) == [guardian] and not second.guardians.exists()
    second.refresh_from_db()
    assert second.merged_into == first
    assert AuditEvent.objects.filter(action="child.merged").count() == 1

    registry.undo_merge(personas.municipal_x, merge)
    assert Application.objects.filter(child=first).count() == 1
    assert Application.objects.filter(child=second).count() == 1
    assert list(second.guardians.all()) == [guardian] and not first.guardians.exists()
    second.refresh_from_db()
    assert second.merged_into is None
    pair = MatchCandidate.objects.get()
    assert pair.status == MatchStatus.DISTINCT  # undone means: two children
    with pytest.raises(ValidationError, match="уже отменено"):
        registry.undo_merge(personas.municipal_x, ChildMerge.objects.get())


def test_a_merge_refused_for_two_applications_to_one_program_names_them_and_changes_nothing(personas, two_records):
    """The family applied to the group the organization's record is enrolled in while the pair waited:
    the operator is told which applications to resolve — program, group, status — not just «a rule»."""
    first, second, _, robotics = two_records
    group = robotics.groups.get()
    enrolled = Application.objects.get(child=first)
    applied = Application.objects.create(
        child=second,
        applicant=personas.family,
        program=robotics,
        group=group,
        status=ApplicationStatus.NEW,
        idempotency_key="dup",
    )
    with pytest.raises(ValidationError) as refused:
        registry.merge_children(personas.municipal_x, first, second)
    message = refused.value.messages[0]
    assert f"«Робототехника» ({personas.org_a.short_name})" in message
    assert f"у остающейся записи — заявка {enrolled.code}, группа «{group.name}», статус «Зачислен»" in message
    assert f"у другой — заявка {applied.code}, группа «{group.name}», статус «Новая»" in message
    assert "Шахматы" not in message  # the other record's application to another program is no conflict
    assert Application.objects.filter(child=second).count() == 2
    second.refresh_from_db()
    assert second.merged_into is None and not ChildMerge.objects.exists()


def test_review_decisions(personas, two_records):
    first, second, _, _ = two_records
    apart = MatchCandidate.objects.create(first=first, second=second, probability=0.7)
    registry.decide(personas.municipal_x, apart, same=False)
    apart.refresh_from_db()
    assert apart.status == MatchStatus.DISTINCT
    with pytest.raises(ValidationError, match="уже принято"):
        registry.decide(personas.municipal_x, apart, same=True)
    apart.status = MatchStatus.PENDING
    apart.save()
    registry.decide(personas.municipal_x, apart, same=True)
    second.refresh_from_db()
    assert second.merged_into == first


def test_reading_identifiers_is_audited(personas):
    child = registry.register_child(personas.operator_a, new_child(personas.municipality_x), snils=SNILS).child
    shown = registry.reveal_identifiers(personas.municipal_x, child)
    assert shown == {"snils": "112-233-445 95", "birth_certificate": ""}
    event = AuditEvent.objects.get(action="child.personal_data_viewed")
    assert event.actor == personas.municipal_x and "445" not in str(event.data)


def test_an_organizations_entry_is_not_merged_into_a_record_a_family_entered(personas):
    """A parent who typed a child first (any parent: nothing proves it) would read the organization's
    record of it, its applications and needs: the pair waits for the municipality, by details or СНИЛС."""
    x = personas.municipality_x
    guardian = Guardian.objects.create(user=personas.family, last_name="Соловьёва", first_name="Анна")
    claimed = registry.register_child(personas.family, new_child(x), snils=SNILS, guardian=guardian).child
    claimed.guardians.add(guardian)
    by_details = registry.register_child(personas.operator_a, new_child(x, last="Соловьев", first="Артем"))
    assert by_details.created and by_details.merged is None and by_details.child != claimed
    assert [(pair.first_id, pair.second_id) for pair in by_details.review] == [(claimed.pk, by_details.child.pk)]
    by_snils = registry.register_child(personas.operator_b, new_child(x, first="Тимур"), snils=SNILS)
    assert by_snils.created and by_snils.snils_held_elsewhere and by_snils.child.snils_digest == ""
    assert claimed.pk in {pair.first_id for pair in by_snils.review} | {pair.second_id for pair in by_snils.review}
    assert Child.objects.living().count() == 3


@pytest.fixture
def period(personas):
    with frozen_clock(date(2026, 9, 1)):
        yield make_period(personas.municipality_x, date(2026, 9, 1), date(2027, 8, 31))


def test_a_merge_keeps_the_needs_either_record_said_and_moves_the_certificate(personas, two_records, period):
    first, second, _, _ = two_records
    Child.objects.filter(pk=second.pk).update(has_ovz=True)
    certificate = certificates.request_certificate(personas.family, second)
    merge = registry.merge_children(personas.municipal_x, first, second, probability=0.9)
    first.refresh_from_db()
    certificate.refresh_from_db()
    # The family's certificate stayed on the record merged away: a second one was then issued.
    assert first.has_ovz and certificate.child_id == first.pk
    registry.undo_merge(personas.municipal_x, merge)
    first.refresh_from_db()
    certificate.refresh_from_db()
    assert not first.has_ovz and certificate.child_id == second.pk


def test_two_records_with_a_certificate_each_are_not_merged(personas, two_records, period):
    first, second, guardian, _ = two_records
    first.guardians.add(guardian)
    certificates.request_certificate(personas.family, first)
    certificates.request_certificate(personas.family, second)
    with pytest.raises(ValidationError, match="Записи нельзя объединить"):
        registry.merge_children(personas.municipal_x, first, second, probability=0.9)
    assert Child.objects.living().count() == 2
