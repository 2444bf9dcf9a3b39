"""One building, however its address is written: a group or program saved at an address of its organization
written otherwise («ул. Ленина, д. 5» for «улица Ленина, 5») is kept as the organization's records write it, so
that it is on the map there and its rooms are that building's; a study place gathers what was written otherwise."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from catalog import services
from catalog.models import Group, Organization, Program, StudyPlace
from catalog.places import address_key, as_known, same_building
from catalog.tests.test_api import group_payload, send
from core.models import AuditEvent
from core.testing import make_group, make_program

GYM = "г. Энск, ул. Садовая, д. 5"
NAMES = frozenset({"энск", "энская"})  # the municipality's and the region's of the personas


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("г. Энск, ул. Ленина, д. 5, корп. 2", "Энск, Ленина 5к2"),
        ("607220, Энская обл., г.о. г. Энск, улица Ленина, дом 5, корпус 2", "ул. Ленина, д. 5, к. 2"),
        ("ул Ленина д5", "Ленина, 5"),
        ("пр-т Гагарина, 10/2", "проспект Гагарина 10 / 2"),
        ("ул. Садовая, 3, стр. 1", "Садовая 3 строение 1"),
        ("пос. Берёзовка, ул. Мира, 1", "поселок Березовка, Мира, 1"),
        ("ЛЕНИНА, 5А", "ленина 5 а"),
        ("пр. Мира, 3", "пр-кт Мира, 3"),  # «пр.»: a prospect or a passage, either agrees
        ("Школьный пер., 2", "пер. Школьный, 2"),
        ("пл. Ленина, 1", "площадь Ленина 1"),
    ],
)
def test_one_building_written_two_ways_is_one(one, other):
    assert same_building(address_key(one, NAMES), address_key(other, NAMES))
    assert same_building(address_key(other, NAMES), address_key(one, NAMES))


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("ул. Ленина, 5", "ул. Ленина, 5а"),  # a house's letter
        ("ул. Ленина, 5д", "ул. Ленина, д. 5"),  # «д» after the number is the letter, before it the house
        ("ул. Ленина, 5, корп. 2", "ул. Ленина, 5"),
        ("ул. Ленина, 5", "ул. Ленина, 15"),
        ("с. Ивановка, ул. Мира, 1", "ул. Мира, 1"),  # a settlement of the district is not the municipality
        ("ул. 8 Марта, 10", "ул. 10 Марта, 8"),
        ("ул. Ленина, 5", "пл. Ленина, 5"),  # the kind of street, when both say it
        ("Садовый пер., 4", "Садовый проезд, 4"),
        ("пр-д Мира, 3", "пр-т Мира, 3"),
        ("г. Энск", "Энская обл., Энск"),  # nothing but names: no building's
    ],
)
def test_two_buildings_are_two(one, other):
    assert not same_building(address_key(one, NAMES), address_key(other, NAMES))


@pytest.fixture
def gym(personas) -> StudyPlace:
    place = StudyPlace(organization=personas.org_a, address=GYM, latitude=Decimal("56.3"), longitude=Decimal("41"))
    return services.save_study_place(personas.operator_a, place)


def test_an_address_of_the_organization_written_otherwise_is_read_as_its_records_write_it(personas, gym):
    own = personas.org_a.address  # «г. Энск, ул. Ленина, д. N»
    assert as_known(personas.org_a, own.replace("г. Энск, ул. ", "Энская область, Энск, ")) == own
    assert as_known(personas.org_a, "Садовая улица, 5") == GYM
    assert as_known(personas.org_a, " ул.  Садовая,  5а ") == "ул. Садовая, 5а"  # another building: as given
    assert as_known(personas.org_b, "Садовая улица, 5") == "Садовая улица, 5"  # org A's place, not B's
    assert as_known(personas.org_a, "") == ""


def test_a_group_at_a_place_written_otherwise_is_kept_at_the_place(personas, gym):
    group = make_group(make_program(personas.org_a, status="draft", with_group=False), address="Энск, Садовая 5")
    group.refresh_from_db()
    assert group.address == GYM


def test_a_program_held_at_a_place_written_otherwise_is_kept_at_the_place(personas, gym):
    program = make_program(personas.org_a, status="draft", with_group=False, address="садовая ул., дом 5")
    program.refresh_from_db()
    assert program.address == GYM


def test_a_group_sent_by_the_api_at_a_place_written_otherwise_is_on_the_map_there(client, personas, gym):
    program = make_program(personas.org_a, status="draft", with_group=False)
    response = send(client, "post", "/groups", group_payload(program, address="ул Садовая д5"), personas.operator_a)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["address"] == GYM
    assert (body["latitude"], body["longitude"]) == ("56.300000", "41.000000")
    gym.refresh_from_db()
    assert body["map_url"] == gym.map_url


def test_a_new_place_gathers_the_programs_and_groups_written_there_otherwise(personas):
    held_there = make_program(personas.org_a, "Футбол", status="draft", with_group=False, address="Садовая, 5")
    group = make_group(held_there)
    written_otherwise = make_group(
        make_program(personas.org_a, "Шахматы", status="draft", with_group=False), address="ул. Садовая, дом 5"
    )
    next_door = make_group(
        make_program(personas.org_a, "Танцы", status="draft", with_group=False), address="Садовая, 7"
    )
    other_organization = make_group(
        make_program(personas.org_b, "Лепка", status="draft", with_group=False), address="Садовая, 5"
    )
    changed_at = written_otherwise.updated_at

    services.save_study_place(personas.operator_a, StudyPlace(organization=personas.org_a, address=GYM))

    for gathered in (held_there, group, written_otherwise):
        gathered.refresh_from_db()
        assert gathered.address == GYM
    assert written_otherwise.updated_at > changed_at  # synchronizing clients read it as changed
    for kept in (next_door, other_organization):
        address = kept.address
        kept.refresh_from_db()
        assert kept.address == address
    [event] = AuditEvent.objects.filter(action="study_place.added")
    assert (event.data["programs"], event.data["groups"]) == (1, 2)


def test_a_new_place_with_nothing_written_there_is_audited_without_numbers(personas):
    services.save_study_place(personas.operator_a, StudyPlace(organization=personas.org_a, address=GYM))
    [event] = AuditEvent.objects.filter(action="study_place.added")
    assert "groups" not in event.data and "programs" not in event.data


def test_the_organizations_own_address_written_otherwise_is_not_a_study_place(personas):
    written_otherwise = personas.org_a.address.replace("г. Энск, ул. ", "Энск, улица ").replace("д. ", "")
    with pytest.raises(ValidationError) as refused:
        services.save_study_place(
            personas.operator_a, StudyPlace(organization=personas.org_a, address=written_otherwise)
        )
    assert refused.value.message_dict == {"address": [services.OWN_ADDRESS]}
    assert not StudyPlace.objects.exists()


def test_a_square_of_the_streets_name_is_another_building(personas):
    """«пл. Ленина, д. N» beside the organization's «ул. Ленина, д. N»: a place of its own, and a group there is
    not moved to the organization's address."""
    square = personas.org_a.address.replace("ул. ", "пл. ")
    place = services.save_study_place(personas.operator_a, StudyPlace(organization=personas.org_a, address=square))
    assert place.address == square
    assert as_known(personas.org_a, square.replace("пл. ", "площадь ")) == square
    # Without the kind it could be either: the organization's own address is read first.
    assert as_known(personas.org_a, square.replace("пл. ", "")) == personas.org_a.address


def test_a_place_written_otherwise_than_one_the_organization_has_is_refused(personas, gym):
    with pytest.raises(ValidationError) as refused:
        services.save_study_place(personas.operator_a, StudyPlace(organization=personas.org_a, address="Садовая 5"))
    assert refused.value.message_dict == {"address": [services.PLACE_TAKEN]}
    assert StudyPlace.objects.count() == 1
    assert not Program.objects.exists() and not Group.objects.exists()


def test_the_organizations_own_address_is_kept_as_it_is_stored(personas):
    """The search places a group at its organization by equal addresses: a stored address with two spaces is
    the one a group at it gets, not a tidied copy that would differ."""
    Organization.objects.filter(pk=personas.org_a.pk).update(address="г. Энск,  ул. Ленина, д. 1")
    personas.org_a.refresh_from_db()
    assert as_known(personas.org_a, " г. Энск, ул. Ленина, д. 1") == "г. Энск,  ул. Ленина, д. 1"
    assert as_known(personas.org_a, "Энск, Ленина 1") == "г. Энск,  ул. Ленина, д. 1"


def test_an_address_without_a_street_or_house_is_not_taken_for_another(personas):
    """Nothing left of it to compare («г. Энск»): only the same text is the same place (the database's constraint)."""
    services.save_study_place(personas.operator_a, StudyPlace(organization=personas.org_a, address="г. Энск"))
    with pytest.raises(ValidationError) as refused:
        services.save_study_place(personas.operator_a, StudyPlace(organization=personas.org_a, address=""))
    assert "address" in refused.value.message_dict and services.PLACE_TAKEN not in refused.value.messages
    assert services.save_study_place(
        personas.operator_a, StudyPlace(organization=personas.org_a, address="Энская область")
    )
