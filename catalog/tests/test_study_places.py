"""Study places: where else an organization's groups meet. The rules of the actions, the office pages where an
organization's operator keeps them, and the group form that suggests their addresses."""

from datetime import date, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Role, RoleAssignment
from catalog import services
from catalog.forms import COORDINATES_FORMAT, COORDINATES_RANGE, parse_coordinates
from catalog.models import StudyPlace
from catalog.search_index import catalog_version
from core.browser import SHOTS, sign_in
from core.models import AuditEvent
from core.testing import enroll_child, make_group, make_organization, make_personas, make_program

SCHOOL_7 = "г. Энск, ул. Школьная, д. 7"
DUPLICATE = "У организации уже есть место занятий с этим адресом."


def add_place(organization: Any, address: str = SCHOOL_7, **fields: Any) -> StudyPlace:
    return services.save_study_place(None, StudyPlace(organization=organization, address=address, **fields))


def audited(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, object_type="catalog.studyplace"))


def content(response: Any) -> str:
    return response.content.decode()


@pytest.fixture
def school(personas) -> StudyPlace:
    """Organization A's gym in school № 7, on the map."""
    return add_place(personas.org_a, name="Спортзал школы № 7", latitude=Decimal("56.302"), longitude=Decimal("41"))


# The rules (services.save_study_place, remove_study_place).


def test_a_place_is_kept_with_its_address_written_as_groups_write_it_and_audited(
    personas, django_capture_on_commit_callbacks
):
    before = catalog_version()
    with django_capture_on_commit_callbacks(execute=True):
        place = services.save_study_place(
            personas.operator_a,
            StudyPlace(organization=personas.org_a, address="  г. Энск,  ул. Школьная,\tд. 7 ", name=" Корпус   2 "),
        )
    place.refresh_from_db()
    assert (place.address, place.name, place.latitude, place.longitude) == (SCHOOL_7, "Корпус 2", None, None)
    [event] = audited("study_place.added")
    assert (event.actor, event.object_id) == (personas.operator_a, str(place.pk))
    assert event.data["organization"] == personas.org_a.code
    assert catalog_version() != before  # the search finds its groups by distance at once


def test_the_organizations_own_address_is_not_a_study_place(personas):
    with pytest.raises(ValidationError) as refused:
        add_place(personas.org_a, f" {personas.org_a.address.replace(' ', '  ')} ")
    assert refused.value.message_dict == {"address": [services.OWN_ADDRESS]}
    assert not StudyPlace.objects.exists() and not audited("study_place.added")


@pytest.mark.parametrize(
    ("latitude", "longitude", "field"), [(Decimal("56.3"), None, "longitude"), (None, 44, "latitude")]
)
def test_a_lone_coordinate_is_refused(personas, latitude, longitude, field):
    with pytest.raises(ValidationError) as refused:
        add_place(personas.org_a, latitude=latitude, longitude=longitude)
    assert refused.value.message_dict == {field: [services.COORDINATES_TOGETHER]}
    assert not StudyPlace.objects.exists()


def test_a_second_place_at_the_same_address_is_refused_in_russian(personas, school):
    with pytest.raises(ValidationError) as refused:
        add_place(personas.org_a, SCHOOL_7.replace(" ", "  "), name="Ещё раз")
    assert DUPLICATE in refused.value.messages
    assert list(StudyPlace.objects.values_list("name", flat=True)) == ["Спортзал школы № 7"]
    # Another organization may meet at the same address: its place is its own.
    assert add_place(personas.org_b).organization == personas.org_b


def test_a_change_is_audited_by_its_fields_and_one_sent_as_it_was_writes_nothing(personas, school):
    school.latitude, school.longitude = Decimal("56.31"), Decimal("41.02")
    services.save_study_place(personas.operator_a, school)
    [event] = audited("study_place.changed")
    assert event.data["fields"] == ["latitude", "longitude"]
    stored_at = StudyPlace.objects.get().updated_at
    services.save_study_place(personas.operator_a, StudyPlace.objects.get())
    assert len(audited("study_place.changed")) == 1 and StudyPlace.objects.get().updated_at == stored_at


def test_a_change_refused_changes_nothing(personas, school):
    to_own_address = StudyPlace.objects.get()
    to_own_address.address = personas.org_a.address
    half_a_point = StudyPlace.objects.get()
    half_a_point.longitude = None
    for refused in (to_own_address, half_a_point):
        with pytest.raises(ValidationError):
            services.save_study_place(personas.operator_a, refused)
    stored = StudyPlace.objects.get()
    assert (stored.address, stored.latitude, stored.longitude) == (SCHOOL_7, Decimal("56.302"), Decimal("41"))
    assert not audited("study_place.changed")


def test_a_place_removed_is_audited_and_its_groups_keep_their_address(personas, school):
    group = make_group(make_program(personas.org_a, status="draft", with_group=False), address=SCHOOL_7)
    services.remove_study_place(personas.operator_a, school)
    assert not StudyPlace.objects.exists()
    [event] = audited("study_place.removed")
    assert (event.actor, event.data["address"]) == (personas.operator_a, SCHOOL_7)
    group.refresh_from_db()
    assert group.address == SCHOOL_7


def booked(group, room: str = "каб. 12") -> None:
    """The group's lessons, Monday 16:00–17:30, in this room."""
    services.save_group(None, group, schedule=[services.Slot(0, time(16), time(17, 30), room)])


def test_a_place_removed_moves_its_current_groups_and_programs_where_chosen_and_the_families_are_told(
    personas, school, mailoutbox, django_capture_on_commit_callbacks
):
    program = make_program(personas.org_a, "Футбол", address=SCHOOL_7)  # published, its group there
    enroll_child(program, personas, "Маша")
    group = program.groups.get()
    ended = make_group(program, name="Прошлый год", start_date=date(2020, 9, 1), end_date=date(2021, 5, 31))
    other_place = add_place(personas.org_a, "г. Энск, ул. Садовая, д. 1", name="Стадион")
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.remove_study_place(personas.operator_a, school, move_to=other_place.address)
    group.refresh_from_db(), program.refresh_from_db(), ended.refresh_from_db()
    assert group.address == program.address == other_place.address
    assert ended.address == SCHOOL_7  # where it met
    [event] = audited("study_place.removed")
    assert event.data == {
        "organization": personas.org_a.code, "address": SCHOOL_7, "moved_to": other_place.address,
        "groups": 1, "programs": 1,
    }  # fmt: skip
    [letter] = mailoutbox
    assert letter.to == [personas.family.email]
    assert f"— Адрес занятий: было «{SCHOOL_7}», теперь «{other_place.address}»." in letter.body


def test_a_place_is_not_removed_when_a_group_would_take_a_room_taken_there(personas, school):
    at_home = make_group(make_program(personas.org_a, "Шахматы", status="draft", with_group=False))
    booked(at_home)
    in_school = make_group(make_program(personas.org_a, "Танцы", status="draft", with_group=False), address=SCHOOL_7)
    booked(in_school)
    with pytest.raises(ValidationError) as refused:
        services.remove_study_place(personas.operator_a, school, move_to=personas.org_a.address)
    [message] = refused.value.message_dict["move_to"]
    assert message.startswith(f"Группа «{in_school.name}»: ") and "каб. 12" in message
    assert StudyPlace.objects.exists() and not audited("study_place.removed")
    in_school.refresh_from_db()
    assert in_school.address == SCHOOL_7


def test_groups_are_moved_only_to_an_address_of_the_organization(personas, school):
    with pytest.raises(ValidationError) as refused:
        services.remove_study_place(personas.operator_a, school, move_to="г. Энск, ул. Новая, д. 1")
    assert refused.value.message_dict == {"move_to": [services.MOVE_TO_UNKNOWN]}
    assert StudyPlace.objects.exists()


# Coordinates pasted as Yandex Maps shows them.


@pytest.mark.parametrize(
    ("text", "point"),
    [
        ("56.326887, 44.005986", ("56.326887", "44.005986")),
        (" 56.326887,44.005986 ", ("56.326887", "44.005986")),
        ("56,326887, 44,005986", ("56.326887", "44.005986")),
        ("56,326887 44,005986", ("56.326887", "44.005986")),
        ("56.3268874999; 44.0059855", ("56.326887", "44.005986")),  # to the six decimals kept
        ("−33.8688, 151.2093", ("-33.868800", "151.209300")),
        ("56, 44", ("56", "44")),
    ],
)
def test_coordinates_are_read_as_yandex_maps_shows_them(text, point):
    assert parse_coordinates(text) == tuple(Decimal(n) for n in point)


def test_no_coordinates_are_none():
    assert parse_coordinates("  ") is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("56.326887", COORDINATES_FORMAT),
        ("56.326887, 44.005986, 12", COORDINATES_FORMAT),
        ("ул. Ленина, 5", COORDINATES_FORMAT),
        ("56°19′37″ с. ш., 44°00′22″ в. д.", COORDINATES_FORMAT),
        ("96.3, 44.0", COORDINATES_RANGE),
        ("56.3, -190", COORDINATES_RANGE),
    ],
)
def test_what_is_not_a_point_is_refused_saying_how_to_write_one(text, message):
    with pytest.raises(ValidationError) as refused:
        parse_coordinates(text)
    assert refused.value.messages == [message]


# The office pages.


@pytest.fixture
def operator(client, personas):
    client.force_login(personas.operator_a)
    return client


def test_the_list_shows_the_organizations_own_address_and_its_places_with_their_groups(
    operator, personas, school, django_assert_max_num_queries
):
    personas.org_a.latitude, personas.org_a.longitude = Decimal("56.4"), Decimal("41")
    personas.org_a.save()
    add_place(personas.org_a, "г. Энск, ул. Садовая, д. 1")  # no coordinates yet
    program = make_program(personas.org_a, status="draft", with_group=False)
    make_group(program, address=SCHOOL_7)
    make_group(program, address=SCHOOL_7)
    make_group(program, address=SCHOOL_7, is_active=False)  # no longer meets
    ended = timezone.localdate() - timedelta(days=1)
    make_group(program, address=SCHOOL_7, start_date=ended - timedelta(days=100), end_date=ended)
    make_group(program)  # at the organization's own address
    make_group(
        make_program(personas.org_b, status="draft", with_group=False), address=SCHOOL_7
    )  # another organization's

    with django_assert_max_num_queries(6):
        page = content(operator.get(reverse("office:place_list")))
    own = page[page.index('id="own-heading"') : page.index('id="places-heading"')]
    assert personas.org_a.address in own and "56.400000, 41.000000" in own
    assert "https://yandex.ru/maps/?pt=41.000000,56.400000&amp;z=16&amp;l=map" in own
    assert "<dt>Групп сейчас</dt><dd>1</dd>" in own
    assert "исправляет муниципальный оператор или администратор" in own
    rows = page[page.index("<tbody>") :].split("<tr>")[1:]
    assert [SCHOOL_7 in row for row in rows] == [False, True]  # by address: «Садовая» first
    assert "не указаны" in rows[0] and '<td data-label="Групп сейчас">0</td>' in rows[0]
    assert "Спортзал школы № 7" in rows[1] and "56.302000, 41.000000" in rows[1]
    assert "https://yandex.ru/maps/?pt=41.000000,56.302000&amp;z=16&amp;l=map" in rows[1]
    assert '<td data-label="Групп сейчас">2</td>' in rows[1]
    assert reverse("office:place_edit", args=[school.pk]) in rows[1]
    assert reverse("office:place_remove", args=[school.pk]) in rows[1]
    assert f"{reverse('office:place_create')}?organization={personas.org_a.code}" in page


def test_the_office_home_leads_an_operator_to_the_places(operator, personas):
    assert f'href="{reverse("office:place_list")}">Места занятий</a>' in content(operator.get(reverse("office:home")))


def test_an_operator_adds_a_place_pasting_its_coordinates_from_yandex_maps(operator, personas):
    new = f"{reverse('office:place_create')}?organization={personas.org_a.code}"
    form = content(operator.get(new))
    assert "Координаты" in form and "в карточке места будут координаты" in form
    data = {"address": f" {SCHOOL_7} ", "name": "Спортзал", "coordinates": "56.326887, 44.005986"}
    response = operator.post(new, data)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('office:place_list')}?organization={personas.org_a.code}"
    place = StudyPlace.objects.get()
    assert (place.organization, place.address, place.name) == (personas.org_a, SCHOOL_7, "Спортзал")
    assert (place.latitude, place.longitude) == (Decimal("56.326887"), Decimal("44.005986"))
    assert audited("study_place.added")[0].actor == personas.operator_a
    assert "Место занятий сохранено: Спортзал (г. Энск, ул. Школьная, д. 7)." in content(
        operator.get(response["Location"])
    )


def test_a_place_may_be_added_without_coordinates(operator, personas):
    response = operator.post(reverse("office:place_create"), {"address": SCHOOL_7, "coordinates": ""})
    assert response.status_code == 302
    place = StudyPlace.objects.get()
    assert (place.latitude, place.longitude, place.name) == (None, None, "")


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"address": SCHOOL_7, "coordinates": "56.326887"}, "coordinates", COORDINATES_FORMAT),
        ({"address": SCHOOL_7, "coordinates": "44.005986, 256.326887"}, "coordinates", COORDINATES_RANGE),
        ({"address": "", "coordinates": "56.3, 44.0"}, "address", "Обязательное поле."),
    ],
)
def test_a_place_sent_wrong_is_not_added_and_the_form_says_why_at_the_field(operator, data, field, message):
    response = operator.post(reverse("office:place_create"), data)
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert "Не сохранено: исправьте ошибки" in content(response)
    assert not StudyPlace.objects.exists() and not audited("study_place.added")


def test_the_organizations_own_address_is_refused_on_the_page_at_the_address(operator, personas):
    response = operator.post(reverse("office:place_create"), {"address": personas.org_a.address})
    assert response.status_code == 200
    assert response.context["form"].errors["address"] == [services.OWN_ADDRESS]
    assert not StudyPlace.objects.exists()


def test_a_second_place_at_an_address_is_refused_on_the_page(operator, personas, school):
    response = operator.post(reverse("office:place_create"), {"address": SCHOOL_7, "name": "Ещё раз"})
    assert response.status_code == 200
    assert DUPLICATE in content(response)
    assert StudyPlace.objects.count() == 1


def test_an_operator_changes_a_place_and_its_coordinates(operator, personas, school):
    url = reverse("office:place_edit", args=[school.pk])
    form = operator.get(url)
    assert form.context["form"]["coordinates"].value() == "56.302000, 41.000000"
    assert "Место занятий: Спортзал школы № 7" in content(form)
    response = operator.post(url, {"address": SCHOOL_7, "name": "Спортзал", "coordinates": "56,31 41,02"})
    assert response.status_code == 302
    school.refresh_from_db()
    assert (school.name, school.latitude, school.longitude) == ("Спортзал", Decimal("56.31"), Decimal("41.02"))
    assert audited("study_place.changed")[0].data["fields"] == ["name", "latitude", "longitude"]
    # Coordinates taken away: the place stays, off the map.
    assert operator.post(url, {"address": SCHOOL_7, "name": "Спортзал", "coordinates": ""}).status_code == 302
    school.refresh_from_db()
    assert (school.latitude, school.longitude) == (None, None)


def test_a_corrected_address_takes_the_programs_and_groups_written_there_along(operator, personas, school):
    held_there = make_program(personas.org_a, "Футбол", status="draft", with_group=False, address=SCHOOL_7)
    group = make_group(held_there)  # the program's address
    elsewhere = make_group(make_program(personas.org_a, "Шахматы", status="draft", with_group=False))
    others = make_group(make_program(personas.org_b, "Танцы", status="draft", with_group=False), address=SCHOOL_7)
    page = content(operator.get(reverse("office:place_edit", args=[school.pk])))
    assert "Здесь сейчас занимаются групп: 1. Если исправить адрес, он изменится и у них" in page

    corrected = "г. Энск, ул. Школьная, д. 7, корп. 2"
    data = {"address": corrected, "name": "Спортзал школы № 7", "coordinates": "56.302, 41"}
    assert operator.post(reverse("office:place_edit", args=[school.pk]), data).status_code == 302
    for moved in (held_there, group):
        moved.refresh_from_db()
        assert moved.address == corrected
    for kept in (elsewhere, others):  # another address; another organization's group at the old one
        address = kept.address
        kept.refresh_from_db()
        assert kept.address == address
    assert audited("study_place.changed")[0].data == {
        "organization": personas.org_a.code, "fields": ["address"], "programs": 1, "groups": 1
    }  # fmt: skip


def test_a_change_sent_wrong_changes_nothing(operator, personas, school):
    url = reverse("office:place_edit", args=[school.pk])
    for data in (
        {"address": "г. Энск, ул. Новая, 1", "name": "Другое", "coordinates": "не знаю"},
        {"address": personas.org_a.address, "name": "Другое", "coordinates": "56.3, 44"},
    ):
        response = operator.post(url, data)
        assert response.status_code == 200
        assert "Место занятий: Спортзал школы № 7" in content(response)  # the heading says what is stored
    stored = StudyPlace.objects.get()
    assert (stored.address, stored.name, stored.latitude) == (SCHOOL_7, "Спортзал школы № 7", Decimal("56.302"))
    assert not audited("study_place.changed")


def test_an_operator_removes_a_place_after_a_confirmation_page(operator, personas, school):
    make_group(make_program(personas.org_a, status="draft", with_group=False), address=SCHOOL_7)
    url = reverse("office:place_remove", args=[school.pk])
    page = content(operator.get(url))
    assert "Удалить место занятий?" in page and "Групп с этим адресом сейчас: <strong>1</strong>" in page
    assert StudyPlace.objects.exists()  # the page alone removes nothing
    response = operator.post(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('office:place_list')}?organization={personas.org_a.code}"
    assert not StudyPlace.objects.exists() and len(audited("study_place.removed")) == 1


def test_the_removal_page_offers_the_organizations_addresses_for_its_groups(operator, personas, school):
    group = make_group(make_program(personas.org_a, status="draft", with_group=False), address=SCHOOL_7)
    url = reverse("office:place_remove", args=[school.pk])
    page = content(operator.get(url))
    assert "<legend>Где теперь будут заниматься группы" in page
    assert f"По адресу организации: {personas.org_a.address}" in page
    response = operator.post(url, {"move_to": personas.org_a.address}, follow=True)
    assert f"Группы теперь занимаются по адресу: {personas.org_a.address}." in content(response)
    group.refresh_from_db()
    assert group.address == personas.org_a.address and not StudyPlace.objects.exists()


def test_a_move_refused_is_said_on_the_removal_page_and_nothing_is_removed(operator, personas, school):
    booked(make_group(make_program(personas.org_a, "Шахматы", status="draft", with_group=False)))
    in_school = make_group(make_program(personas.org_a, "Танцы", status="draft", with_group=False), address=SCHOOL_7)
    booked(in_school)
    response = operator.post(reverse("office:place_remove", args=[school.pk]), {"move_to": personas.org_a.address})
    assert response.status_code == 200
    assert f"Группа «{in_school.name}»: " in content(response) and 'role="alert"' in content(response)
    assert StudyPlace.objects.exists()


# Who reaches what.


def place_urls(place: StudyPlace) -> list[str]:
    return [reverse("office:place_edit", args=[place.pk]), reverse("office:place_remove", args=[place.pk])]


def test_a_guest_is_sent_to_sign_in(client, school):
    for url in [reverse("office:place_list"), reverse("office:place_create"), *place_urls(school)]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("accounts:login") + "?next="), url
    assert client.post(place_urls(school)[1]).status_code == 302
    assert client.post(reverse("office:place_create"), {"address": "г. Энск, ул. Новая, 1"}).status_code == 302
    assert StudyPlace.objects.count() == 1


@pytest.mark.parametrize("persona", ["operator_b", "municipal_y", "other_regional"])
def test_another_organizations_place_is_not_found(client, personas, school, persona):
    client.force_login(getattr(personas, persona))
    for url in place_urls(school):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"address": "г. Энск, ул. Новая, 1"}).status_code == 404, url
    school.refresh_from_db()
    assert school.address == SCHOOL_7 and StudyPlace.objects.count() == 1


@pytest.mark.parametrize("persona", ["teacher_a", "municipal_x", "regional"])
def test_who_sees_the_organization_in_the_office_but_does_not_run_it_may_not_change_its_places(
    client, personas, school, persona
):
    client.force_login(getattr(personas, persona))
    for url in place_urls(school):
        assert client.get(url).status_code == 403, url
        assert client.post(url, {"address": "г. Энск, ул. Новая, 1"}).status_code == 403, url
    for url in (reverse("office:place_list"), reverse("office:place_create")):
        assert client.get(url).status_code == 403, url
    assert client.get(reverse("office:place_list"), {"organization": personas.org_a.code}).status_code == 403
    school.refresh_from_db()
    assert school.address == SCHOOL_7 and StudyPlace.objects.count() == 1


def test_an_operator_of_several_organizations_chooses_one(client, personas):
    org_c = make_organization(personas.municipality_x, "Центр «Мир»")
    RoleAssignment.objects.create(user=personas.operator_a, role=Role.ORGANIZATION_OPERATOR, organization=org_c)
    client.force_login(personas.operator_a)
    for url in (reverse("office:place_list"), reverse("office:place_create")):
        choice = content(client.get(url))
        assert (
            f'href="?organization={org_c.code}"' in choice and f'href="?organization={personas.org_a.code}"' in choice
        )
    page = content(client.get(reverse("office:place_list"), {"organization": org_c.code}))
    assert org_c.address in page and "выбрать другую" in page
    new = f"{reverse('office:place_create')}?organization={org_c.code}"
    assert client.post(new, {"address": SCHOOL_7}).status_code == 302
    assert StudyPlace.objects.get().organization == org_c
    # Not theirs: the organization is public, the right to change its places is not.
    other = f"{reverse('office:place_create')}?organization={personas.org_b.code}"
    assert client.post(other, {"address": "г. Энск, ул. Новая, 1"}).status_code == 403
    assert StudyPlace.objects.count() == 1


# The program and group forms suggest the organization's addresses.


def test_the_program_and_group_forms_suggest_the_organizations_addresses(operator, personas, school):
    add_place(personas.org_a, "г. Энск, ул. Садовая, д. 1")
    add_place(personas.org_b, "г. Энск, ул. Чужая, д. 9")
    program = make_program(personas.org_a, status="draft")
    for url in (
        reverse("office:group_create", args=[program.code]),
        reverse("office:group_edit", args=[program.groups.get().code]),
        reverse("office:program_edit", args=[program.code]),
        reverse("office:program_create") + f"?organization={personas.org_a.code}",
    ):
        page = content(operator.get(url))
        assert 'list="address-suggestions"' in page
        datalist = page[page.index('<datalist id="address-suggestions">') : page.index("</datalist>")]
        assert datalist.split("<option")[1:] == [
            f' value="{personas.org_a.address}">Адрес организации</option>',
            ' value="г. Энск, ул. Садовая, д. 1">Место занятий</option>',
            f' value="{SCHOOL_7}">Спортзал школы № 7</option>',
        ]
        assert "с таким адресом видна на карте, и семьи находят её по расстоянию" in page


# In a browser: the pages on a phone and a desktop.


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_operator_adds_a_place_in_a_browser_on_a_phone_and_a_desktop(live_server, browser):
    personas = make_personas()
    add_place(personas.org_a, name="Спортзал школы № 7", latitude=Decimal("56.302"), longitude=Decimal("41"))
    devices = {"phone": ({"width": 390, "height": 844}, 1), "desktop": ({"width": 1280, "height": 900}, 2)}
    for device, (viewport, house) in devices.items():
        page = browser.new_page(viewport=viewport)
        sign_in(page, live_server.url, personas.operator_a.email)
        page.get_by_role("link", name="Места занятий").click()
        page.wait_for_url("**/office/places/")
        page.screenshot(path=str(SHOTS / f"office-places-{device}.png"), full_page=True)
        page.get_by_role("link", name="Добавить место занятий").click()
        page.get_by_label("Координаты").fill("56.32, 44")
        page.get_by_role("button", name="Сохранить").click()
        expect(page.locator("#form-errors")).to_be_focused()
        page.screenshot(path=str(SHOTS / f"office-place-form-{device}.png"), full_page=True)
        address = f"г. Энск, ул. Садовая, д. {house}"
        page.get_by_label("Адрес").fill(address)
        page.get_by_role("button", name="Сохранить").click()
        expect(page.locator('td[data-label="Адрес"]', has_text=address)).to_be_visible()
        page.close()
    assert StudyPlace.objects.filter(latitude=Decimal("56.32")).count() == 2
