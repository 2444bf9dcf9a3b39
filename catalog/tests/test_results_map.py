"""«На карте»: the search's programs by the places they are held at — the index's places, the page, the browser."""

import re
from decimal import Decimal

import pytest
from django.http import QueryDict
from django.urls import reverse

from catalog import directory, search, services
from catalog.models import StudyPlace
from catalog.search import SearchParams, search_programs
from catalog.search_index import current_index
from core.testing import make_group, make_organization, make_program

pytestmark = pytest.mark.django_db

SCHOOL = "г. Энск, ул. Школьная, д. 7"


@pytest.fixture
def held(personas):
    """Two organizations in one building and one elsewhere; a program with a group at a school, one of an organization
    without coordinates."""

    def organization(name, latitude, address):
        coordinates = {} if latitude is None else {"latitude": Decimal(latitude), "longitude": Decimal("41.000")}
        return make_organization(personas.municipality_x, name, address=address, **coordinates)

    centre = organization("ЦДТ", "56.3050", "г. Энск, ул. Ленина, д. 1")
    music = organization("Музыкальная школа", "56.3050", "г. Энск, ул. Ленина, д. 1, корп. 2")
    far = organization("Станция туристов", "56.4000", "г. Энск, ул. Лесная, д. 9")
    unknown = organization("Без координат", None, "г. Энск, ул. Новая, д. 3")
    services.save_study_place(
        None,
        StudyPlace(
            organization=centre, address=SCHOOL, name="Спортзал школы № 7", latitude="56.3200", longitude="41.0100"
        ),
    )
    programs = {
        "chess": make_program(centre, "Шахматы", popularity=50),
        "choir": make_program(music, "Хор", popularity=40),
        "hike": make_program(far, "Шахматы в походе", popularity=30),
        "nowhere": make_program(unknown, "Шахматы без места", popularity=20),
    }
    make_group(programs["chess"], address=SCHOOL)  # one of its groups meets in the school
    return programs


def test_a_program_is_on_the_map_where_it_is_held_and_where_its_groups_meet(held):
    index = current_index()
    assert index.places_of(held["chess"].pk) == [
        (pytest.approx(56.305), pytest.approx(41.0), ""),  # its organization's own address
        (pytest.approx(56.32), pytest.approx(41.01), "Спортзал школы № 7"),
    ]
    assert index.places_of(held["nowhere"].pk) == []


def test_places_gather_the_programs_held_there_the_most_first(held):
    result = search_programs(SearchParams(), on_map=True)
    assert result.programs == [] and result.total == 4
    places = [(p.name, [program.title for program in p.items]) for p in result.map.places]
    assert places == [
        ("г. Энск, ул. Ленина, д. 1", ["Шахматы", "Хор"]),  # one building, two organizations, by popularity
        ("Спортзал школы № 7", ["Шахматы"]),
        ("г. Энск, ул. Лесная, д. 9", ["Шахматы в походе"]),
    ]
    assert (result.map.shown, result.map.unplaced) == (4, 1)


def test_the_map_takes_the_first_programs_of_the_order(held, monkeypatch):
    monkeypatch.setattr(search, "MAP_PROGRAMS", 2)
    result = search_programs(SearchParams(q="шахматы", sort="title"), on_map=True)
    # By title: «Шахматы», «Шахматы без места» (no place known) — «Шахматы в походе» is the third.
    assert (result.total, result.map.shown, result.map.unplaced) == (3, 2, 1)
    assert [(p.name, [program.title for program in p.items]) for p in result.map.places] == [
        ("г. Энск, ул. Ленина, д. 1", ["Шахматы"]),
        ("Спортзал школы № 7", ["Шахматы"]),
    ]


def _titles_by_place(html):
    return {
        name: re.findall(r'<a href="/(?:programs|organizations)/[^"]+">([^<]+)</a>', items)
        for name, items in re.findall(r'<li class="map-place"[^>]*><h3>([^<]+)</h3><ul>(.*?)</ul></li>', html)
    }


def test_the_page_lists_the_places_and_keeps_the_map_as_filters_change(client, held):
    html = client.get(reverse("navigator:search"), {"q": "шахматы", "view": "map"}).content.decode()
    assert _titles_by_place(html) == {
        "г. Энск, ул. Ленина, д. 1": ["Шахматы"],
        "Спортзал школы № 7": ["Шахматы"],
        "г. Энск, ул. Лесная, д. 9": ["Шахматы в походе"],
    }
    assert 'data-latitude="56.32000" data-longitude="41.01000"' in html
    assert "3 адреса" in html and "1 программа без известного места занятий на карте нет" in html
    assert '<input type="hidden" name="view" value="map">' in html  # a changed filter keeps the map
    chess = "?q=%D1%88%D0%B0%D1%85%D0%BC%D0%B0%D1%82%D1%8B"
    assert f'<a href="{chess}&amp;view=map" aria-current="page">На карте</a>' in html
    assert f'<a href="{chess}">Списком</a>' in html
    assert 'class="program-card' not in html and 'class="pagination"' not in html
    listed = client.get(reverse("navigator:search"), {"q": "шахматы"}).content.decode()
    assert 'id="results-map"' not in listed and listed.count('class="card program-card"') == 3
    assert f'<a href="{chess}" aria-current="page">Списком</a>' in listed


def test_htmx_brings_the_map_of_the_changed_search(client, held):
    response = client.get(reverse("navigator:search"), {"view": "map", "q": "хор"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html and 'id="results-map"' in html
    assert _titles_by_place(html) == {"г. Энск, ул. Ленина, д. 1, корп. 2": ["Хор"]}  # its own organization's address
    assert '<input type="hidden" name="view" value="map">' in html


def test_found_programs_without_a_known_place_say_so_and_lead_to_the_list(client, held):
    html = client.get(reverse("navigator:search"), {"q": "без места", "view": "map"}).content.decode()
    assert "пока не отмечены на карте" in html and 'id="results-map"' not in html
    assert 'href="?q=%D0%B1%D0%B5%D0%B7+%D0%BC%D0%B5%D1%81%D1%82%D0%B0">Показать списком</a>' in html


def test_a_view_there_is_not_is_said_and_the_list_shown(client, held):
    html = client.get(reverse("navigator:search"), {"q": "шахматы", "view": "globe"}).content.decode()
    assert "Вид: такого значения нет: «globe»." in html
    assert html.count('class="card program-card"') == 3


def test_resetting_the_filters_keeps_the_map(client, held, personas):
    query = {"view": "map", "direction": "technical", "funding": "free", "municipality": personas.municipality_x.oktmo}
    html = client.get(reverse("navigator:search"), query).content.decode()
    assert 'class="chip chip-reset" href="?view=map"' in html


def test_the_api_answers_the_same_places(client, held):
    response = client.get("/api/v1/programs/map", {"q": "шахматы"})
    assert response.status_code == 200
    body = response.json()
    assert (body["total"], body["shown"], body["unplaced"], body["corrected_query"]) == (3, 3, 1, None)
    assert [
        (place["name"], place["latitude"], place["longitude"], [p["title"] for p in place["programs"]])
        for place in body["places"]
    ] == [
        ("г. Энск, ул. Ленина, д. 1", 56.305, 41.0, ["Шахматы"]),
        ("Спортзал школы № 7", 56.32, 41.01, ["Шахматы"]),
        ("г. Энск, ул. Лесная, д. 9", 56.4, 41.0, ["Шахматы в походе"]),
    ]
    assert body["places"][0]["programs"][0] == {
        "code": held["chess"].code,
        "title": "Шахматы",
        "organization": "ЦДТ",
    }
    assert [place["distance_km"] for place in body["places"]] == [None, None, None]
    # From where the family is, the nearest first, each with its distance.
    near = client.get("/api/v1/programs/map", {"q": "шахматы", "near": "56.32,41.01"}).json()["places"]
    assert [(place["name"], place["distance_km"]) for place in near] == [
        ("Спортзал школы № 7", 0.0),
        ("г. Энск, ул. Ленина, д. 1", 1.8),
        ("г. Энск, ул. Лесная, д. 9", 8.9),
    ]


def test_the_api_refuses_a_bad_filter_as_the_search_does(client, held):
    response = client.get("/api/v1/programs/map", {"sort": "near"})
    assert response.status_code == 422
    assert "near" in response.content.decode()
    assert client.get("/api/v1/programs/map", {"q": "шахмтаы"}).json()["corrected_query"] == "шахматы"


def test_the_list_of_organizations_on_the_map_gathers_them_by_building(client, held, monkeypatch):
    params, errors = directory.params_from_query(QueryDict("q=шахматы"))
    found = directory.find_organizations(params, 20, on_map=True)
    assert errors == [] and found.organizations == [] and found.total == 0  # «шахматы» names no organization
    params, _ = directory.params_from_query(QueryDict(""))
    found = directory.find_organizations(params, 20, on_map=True)
    assert [(place.name, [o.short_name for o in place.items]) for place in found.map.places] == [
        # One building: the two organizations by name; the centre's school as its study place.
        ("г. Энск, ул. Ленина, д. 1, корп. 2", ["Музыкальная школа", "ЦДТ"]),
        ("г. Энск, ул. Лесная, д. 9", ["Станция туристов"]),
        ("Спортзал школы № 7", ["ЦДТ"]),
    ]
    assert (found.total, found.map.shown, found.map.unplaced) == (4, 4, 1)  # «Без координат» has no place
    html = client.get(reverse("navigator:organizations"), {"view": "map", "sort": "programs"}).content.decode()
    assert _titles_by_place(html)["Спортзал школы № 7"] == ["ЦДТ"]
    assert '<span class="muted">1 программа</span>' in html
    assert 'data-items="организация,организации,организаций"' in html
    assert "1 организация без известного места занятий на карте нет — она есть в списке." in html
    assert '<a href="?sort=programs&amp;view=map" aria-current="page">На карте</a>' in html
    listed = client.get(reverse("navigator:organizations"), {"view": "list"}).content.decode()
    assert 'id="results-map"' not in listed and listed.count("organization-card") == 4
    monkeypatch.setattr(directory, "MAP_ORGANIZATIONS", 1)  # the first by name: «Без координат», not on the map
    html = client.get(reverse("navigator:organizations"), {"view": "map"}).content.decode()
    assert "Места найденных организаций пока не отмечены на карте." in html


def test_from_where_the_family_is_the_nearest_places_first_each_with_its_distance(client, held):
    # The family 1.1 km north of the school's gym: the gym, then the centre's building (1.7 km), the station.
    result = search_programs(SearchParams(near=(56.33, 41.01)), on_map=True)
    assert [(place.name, round(place.distance_km, 1)) for place in result.map.places] == [
        ("Спортзал школы № 7", 1.1),
        ("г. Энск, ул. Ленина, д. 1", 2.8),
        ("г. Энск, ул. Лесная, д. 9", 7.8),
    ]
    html = client.get(reverse("navigator:search"), {"view": "map", "near": "56.330,41.010"}).content.decode()
    assert '<h3>Спортзал школы № 7</h3><p class="distance">1,1 км от вас</p>' in html
    assert 'data-near="56.33000,41.01000"' in html
    html = client.get(reverse("navigator:organizations"), {"view": "map", "near": "56.330,41.010"}).content.decode()
    assert re.findall(r"<h3>([^<]+)</h3><p class=\"distance\">", html) == [
        "Спортзал школы № 7",
        "г. Энск, ул. Ленина, д. 1, корп. 2",
        "г. Энск, ул. Лесная, д. 9",
    ]
