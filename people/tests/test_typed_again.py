"""A family adds a child it may already have, a detail mistyped: it is told which of its children that
may be and what to do, and adds the child only once it confirms it is another one. Other families'
children are never named."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from core.models import AuditEvent
from people import matching, registry, services
from people.models import Child, EntryChannel, Guardian, MatchCandidate

API = "/api/v1"
BORN = date(2015, 3, 14)
NAMED = "Артём, дата рождения 14.03.2015"


def typed(municipality, last="Соловьёв", first="Артём", birth=BORN) -> Child:
    return Child(
        last_name=last, first_name=first, patronymic="Игоревич", birth_date=birth, sex="m", municipality=municipality
    )


@pytest.fixture
def own(personas) -> Child:
    """Артём, added by the family in its cabinet."""
    Guardian.objects.create(user=personas.family, last_name="Соловьёва", first_name="Анна")
    return services.add_child(personas.family, typed(personas.municipality_x)).child


def next_day(personas) -> Child:
    """Born a day later, and the surname in its feminine form (one letter more)."""
    return typed(personas.municipality_x, last="Соловьёва", birth=date(2015, 3, 15))


def misspelt(personas) -> Child:
    """Born the same day, a letter wrong in the first name and in the surname, another municipality."""
    return typed(personas.municipality_y, last="Соховьёв", first="Архём")


def doubtful(child: Child, of: Child) -> Child:
    """`child`, after checking the engine is unsure of it: neither the same child nor another one.
    (One slip alone is a sure match: the family's record is returned, see below.)"""
    probability = matching.match_probability(registry.as_person(child), registry.as_person(of))
    assert matching.verdict(probability) == matching.Verdict.REVIEW, probability
    return child


def as_form(child: Child) -> dict:
    return {
        "last_name": child.last_name,
        "first_name": child.first_name,
        "patronymic": child.patronymic,
        "birth_date": child.birth_date.isoformat(),
        "sex": child.sex,
        "municipality": child.municipality.pk,
    }


def as_json(child: Child) -> dict:
    return {**as_form(child), "municipality": child.municipality.oktmo}


# --- The action ---------------------------------------------------------------------------------


@pytest.mark.parametrize("mistyped", [next_day, misspelt])
def test_a_child_the_family_may_have_is_refused_naming_it_and_nothing_is_saved(personas, own, mistyped):
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as refused:
        services.add_child(personas.family, doubtful(mistyped(personas), own))
    [message] = refused.value.message_dict["another_child"]
    assert NAMED in message
    assert "исправьте его данные в кабинете («Исправить данные»)" in message
    assert "подтвердите: «Это другой ребёнок»" in message
    assert list(Child.objects.all()) == [own]
    assert AuditEvent.objects.count() == events and not MatchCandidate.objects.exists()


def test_a_day_off_without_the_patronymic_is_asked_though_the_engine_says_another_child(personas, own):
    """The patronymic is optional: without it a birth date a day off makes «another child» to the engine
    (a regional registry's odds), but a family has no two children of one sex, named alike, born a day apart."""
    again = typed(personas.municipality_x, birth=date(2015, 3, 15))
    again.patronymic = ""
    probability = matching.match_probability(registry.as_person(again), registry.as_person(own))
    assert matching.verdict(probability) == matching.Verdict.DIFFERENT, probability
    with pytest.raises(ValidationError) as refused:
        services.add_child(personas.family, again)
    assert NAMED in refused.value.message_dict["another_child"][0]
    assert list(Child.objects.all()) == [own]
    # Confirmed, it is added: no pair waits, the engine being sure they are two children.
    assert services.add_child(personas.family, again, another_child=True).created
    assert Child.objects.count() == 2 and not MatchCandidate.objects.exists()


def test_twins_and_a_brother_and_sister_are_added_without_a_question(personas, own):
    """Twins are named apart; a sister born a day later with a name a letter apart is of the other sex."""
    twin = typed(personas.municipality_x, first="Матвей")
    assert services.add_child(personas.family, twin).created
    sister = typed(personas.municipality_x, first="Артёма", birth=date(2015, 3, 15))
    sister.sex, sister.patronymic = "f", "Игоревна"
    assert services.add_child(personas.family, sister).created
    assert Child.objects.filter(guardians__user=personas.family).count() == 3


def test_a_confirmed_other_child_is_added_and_the_pair_waits_for_the_operator(personas, own):
    added = services.add_child(personas.family, doubtful(next_day(personas), own), another_child=True)
    assert added.created and added.child != own
    assert set(added.child.guardians.values_list("user", flat=True)) == {personas.family.pk}
    pair = MatchCandidate.objects.get()
    assert {pair.first_id, pair.second_id} == {own.pk, added.child.pk}
    assert set(AuditEvent.objects.filter(object_id=str(added.child.pk)).values_list("action", flat=True)) == {
        "child.registered",
        "child.added",
    }


@pytest.mark.parametrize("another_child", [False, True])
def test_a_sure_match_still_returns_the_familys_own_record(personas, own, another_child):
    """A letter wrong in the first name alone, or a day off with every name right: the same child."""
    for again in (
        typed(personas.municipality_x, first="Артм"),
        typed(personas.municipality_x, birth=date(2015, 3, 15)),
    ):
        found = services.add_child(personas.family, again, another_child=another_child)
        assert (found.child, found.created, found.already_guardian) == (own, False, True)
    assert Child.objects.count() == 1 and not MatchCandidate.objects.exists()


def test_another_familys_child_is_never_named(personas, own):
    """The other family has exactly the child typed: the refusal names only this family's own."""
    Guardian.objects.create(user=personas.other_family, last_name="Гусева", first_name="Ольга")
    services.add_child(personas.other_family, next_day(personas))
    with pytest.raises(ValidationError) as refused:
        services.add_child(personas.family, doubtful(next_day(personas), own))
    [message] = refused.value.message_dict["another_child"]
    assert NAMED in message and "15.03.2015" not in message


def test_a_child_like_only_another_familys_is_added_without_a_word(personas, own):
    """Nothing is said of records outside the family: the pair waits for the municipal operator."""
    Guardian.objects.create(user=personas.other_family, last_name="Кузнецова", first_name="Ольга")
    theirs = services.add_child(personas.other_family, typed(personas.municipality_x, first="Марк")).child
    like_theirs = typed(personas.municipality_x, last="Соловьёва", first="Марк", birth=date(2015, 3, 15))
    added = services.add_child(personas.family, doubtful(like_theirs, theirs))
    assert added.created and added.child not in (own, theirs)
    assert MatchCandidate.objects.filter(first=theirs, second=added.child).exists()


# --- The cabinet ----------------------------------------------------------------------------------


def test_the_cabinet_names_the_child_links_its_card_and_adds_it_once_confirmed(client, personas, own):
    client.force_login(personas.family)
    url = reverse("family:child_new")
    assert 'name="another_child"' not in client.get(url).content.decode()  # asked only when it matters
    form = as_form(doubtful(next_day(personas), own))
    page = client.post(url, form)
    html = page.content.decode()
    assert page.status_code == 200 and NAMED in html
    assert 'name="another_child"' in html and "Это другой ребёнок" in html
    assert f'href="{reverse("family:child_edit", args=[own.uuid])}"' in html
    assert Child.objects.count() == 1

    response = client.post(url, {**form, "another_child": "on"}, follow=True)
    assert response.redirect_chain == [(reverse("family:cabinet"), 302)]
    assert "Артём добавлен." in response.content.decode()
    assert Child.objects.filter(guardians__user=personas.family).count() == 2


# --- The API ----------------------------------------------------------------------------------------


def test_the_api_refuses_with_the_field_to_confirm_and_adds_with_it(client, personas, own):
    client.force_login(personas.family)
    body = as_json(doubtful(misspelt(personas), own))
    refused = client.post(f"{API}/children", body, content_type="application/json")
    assert refused.status_code == 422
    [error] = refused.json()["detail"]
    assert error["loc"] == ["body", "another_child"] and NAMED in error["msg"]
    assert Child.objects.count() == 1

    added = client.post(f"{API}/children", {**body, "another_child": True}, content_type="application/json")
    assert added.status_code == 201, added.json()
    assert added.json()["known"] is False and added.json()["possible_duplicates"] == 0
    new = Child.objects.get(uuid=added.json()["child"]["uuid"])
    assert new.entered_via == EntryChannel.API and new.guardians.get().user == personas.family
    assert MatchCandidate.objects.filter(first=own, second=new).exists()
