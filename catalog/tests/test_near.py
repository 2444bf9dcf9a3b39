"""«Рядом со мной»: how far each program is held from the family, and the nearest first — index, page, API."""

import re
from decimal import Decimal

import pytest

from catalog import services
from catalog.models import StudyPlace
from catalog.search import SearchParams, search_programs
from catalog.templatetags.navigator import how_far
from core.testing import make_group, make_organization, make_program

pytestmark = pytest.mark.django_db

HOME = (56.30, 41.00)  # where the family is
# Organizations north of it: 0.01° of latitude is 1.11 km.
NEAR, MIDDLE, FAR = Decimal("56.305"), Decimal("56.320"), Decimal("56.400")


@pytest.fixture
def places(personas):
    """Programs of three organizations at known distances, one program held elsewhere, one of an organization
    without coordinates; the farthest organization's program is the most popular."""

    def organization(name, latitude):
        coordinates = {} if latitude is None else {"latitude": latitude, "longitude": Decimal("41.000")}
        return make_organization(personas.municipality_x, name, **coordinates)

    near, middle, far = (
        organization("Ближний ДДТ", NEAR),
        organization("Средний ЦДТ", MIDDLE),
        organization("Дальний", FAR),
    )
    unknown = organization("Без координат", None)
    return {
        "near": make_program(near, "Шахматы у дома", popularity=1),
        "near_too": make_program(near, "Шахматы у дома: турниры", popularity=5),
        "middle": make_program(middle, "Шахматы в центре", popularity=3),
        "far": make_program(far, "Шахматы далеко", popularity=100),
        "elsewhere": make_program(near, "Шахматы в школе № 7", address="г. Энск, ул. Школьная, 7", popularity=50),
        "unknown": make_program(unknown, "Шахматы без адреса на карте", popularity=60),
    }


def codes(result):
    return [p.code for p in result.programs]


def test_the_nearest_first_the_most_popular_first_among_equally_near_the_unknown_last(places):
    result = search_programs(SearchParams(q="шахматы", near=HOME, sort="near"))
    expected = ["near_too", "near", "middle", "far", "unknown", "elsewhere"]  # last two: by popularity
    assert codes(result) == [places[name].code for name in expected]
    km = {p.code: result.distances.get(p.pk) for p in result.programs}
    assert km[places["near"].code] == pytest.approx(0.556, abs=0.01)
    assert km[places["middle"].code] == pytest.approx(2.224, abs=0.01)
    assert km[places["far"].code] == pytest.approx(11.12, abs=0.02)
    # Held at another address than its organization's, or by an organization without coordinates: not known.
    assert km[places["elsewhere"].code] is None and km[places["unknown"].code] is None


def test_pages_of_the_nearest_first_neither_repeat_nor_skip(places):
    whole = codes(search_programs(SearchParams(q="шахматы", near=HOME, sort="near")))
    paged = [
        code
        for page in (1, 2, 3)
        for code in codes(search_programs(SearchParams(q="шахматы", near=HOME, sort="near", page=page, page_size=2)))
    ]
    assert paged == whole


def test_distances_without_the_nearest_first_and_none_without_a_place(places):
    by_popularity = search_programs(SearchParams(q="шахматы", near=HOME, sort="popular"))
    assert codes(by_popularity)[0] == places["far"].code  # the order asked for; the distances told still
    assert by_popularity.distances[places["far"].pk] == pytest.approx(11.12, abs=0.02)
    assert search_programs(SearchParams(q="шахматы", sort="popular")).distances == {}


@pytest.mark.parametrize(
    ("km", "said"),
    [(0.04, "до 100 м"), (0.349, "350 м"), (0.98, "1,0 км"), (1.26, "1,3 км"), (9.96, "10,0 км"), (12.4, "12 км")],
)
def test_a_distance_is_said_as_precisely_as_the_way_needs(km, said):
    assert how_far(km) == said


def test_the_page_shows_the_nearest_first_with_their_distances(client, places):
    page = client.get("/programs/", {"q": "шахматы", "near": "56.3,41.0", "sort": "near"}).content.decode()
    assert page.index("Шахматы у дома: турниры") < page.index("Шахматы в центре") < page.index("Шахматы далеко")
    assert '<span class="distance">550 м от вас</span>' in page
    assert '<span class="distance">2,2 км от вас</span>' in page
    assert '<option value="near" selected>ближе к вам</option>' in page
    assert 'name="near" value="56.30000,41.00000"' in page  # kept by the form for the next filter
    # The chip takes the place away, and with it the order by distance.
    assert 'href="?q=%D1%88%D0%B0%D1%85%D0%BC%D0%B0%D1%82%D1%8B" aria-label="Убрать фильтр Рядом с вами"' in page


def test_the_page_offers_the_nearest_first_only_with_a_place(client, places):
    page = client.get("/programs/", {"q": "шахматы"}).content.decode()
    assert 'value="near"' not in page
    assert 'id="near-me" hidden' in page  # shown by the script where the browser can tell the place
    assert "от вас" not in page


@pytest.mark.parametrize(
    ("near", "message"),
    [
        ("abc", "Местоположение: не удалось прочитать — нужны широта и долгота через запятую."),
        ("95,41", "Местоположение: широта — от −90 до 90, долгота — от −180 до 180."),
    ],
)
def test_a_bad_place_on_the_page_is_said_and_the_search_goes_on_without_it(client, places, near, message):
    response = client.get("/programs/", {"q": "шахматы", "near": near})
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    assert "от вас" not in page
    assert page.count('class="card program-card"') == len(places)


def test_the_nearest_first_without_a_place_on_the_page_is_said(client, places):
    page = client.get("/programs/", {"q": "шахматы", "sort": "near"}).content.decode()
    assert "Сортировка: чтобы показать ближайшие, нажмите «Рядом со мной»." in page
    assert page.count('class="card program-card"') == len(places)


def test_the_api_tells_the_distances_and_sorts_by_them(client, places):
    body = client.get("/api/v1/programs", {"q": "шахматы", "near": "56.3,41.0", "sort": "near"}).json()
    assert [item["code"] for item in body["items"]][:2] == [places["near_too"].code, places["near"].code]
    assert body["distances_km"][places["near"].code] == 0.6
    assert body["distances_km"][places["far"].code] == 11.1
    assert body["distances_km"][places["elsewhere"].code] is None
    assert client.get("/api/v1/programs", {"q": "шахматы"}).json()["distances_km"] == {}


@pytest.mark.parametrize(
    ("query", "field", "type_"),
    [
        ({"sort": "near"}, "sort", "near_without_place"),
        ({"near": "56,3;41"}, "near", "near_format"),
        ({"near": "56.3,181"}, "near", "near_range"),
    ],
)
def test_the_api_refuses_a_bad_place_naming_its_parameter(client, places, query, field, type_):
    response = client.get("/api/v1/programs", query)
    assert response.status_code == 422
    first = response.json()["detail"][0]
    assert (first["loc"], first["type"]) == (["query", field], type_)


def test_the_program_and_organization_pages_show_the_place_on_the_map(client, places):
    near = places["near"]
    link = "https://yandex.ru/maps/?pt=41.000000,56.305000&amp;z=16&amp;l=map"
    assert link in client.get(f"/organizations/{near.organization.code}/").content.decode()
    assert link in client.get(f"/programs/{near.code}/").content.decode()
    # Held at another address, the organization's place would mislead; without coordinates there is none.
    assert "Показать на карте" not in client.get(f"/programs/{places['elsewhere'].code}/").content.decode()
    assert "Показать на карте" not in client.get(f"/programs/{places['unknown'].code}/").content.decode()


def test_a_distance_leaves_the_programs_held_that_near_and_counts_each(places):
    # near 0.56 km, near_too 0.56, middle 2.2, far 11.1; elsewhere and unknown: no place.
    within = search_programs(SearchParams(q="шахматы", near=HOME, within="3", sort="near"))
    assert codes(within) == [places[name].code for name in ("near_too", "near", "middle")]
    assert [(v.value, v.count, v.selected) for v in within.facets["within"]] == [
        ("1", 2, False), ("3", 3, True), ("5", 3, False), ("10", 3, False), ("25", 4, False)
    ]  # fmt: skip
    # The other facets count within the distance chosen; without a place there is no such facet.
    assert {v.value: v.count for v in within.facets["direction"]}["technical"] == 3
    assert "within" not in search_programs(SearchParams(q="шахматы")).facets


def test_the_page_offers_distances_from_a_place_and_the_chip_of_the_place_takes_them_away(client, places):
    query = {"q": "шахматы", "near": "56.3,41.0", "sort": "near", "within": "1"}
    page = client.get("/programs/", query).content.decode()
    assert '<option value="1" selected>до 1 км (2)</option>' in page
    assert page.count('class="card program-card"') == 2
    assert 'aria-label="Убрать фильтр до 1 км"' in page
    chip = re.search(r'href="([^"]*)" aria-label="Убрать фильтр Рядом с вами"', page)
    assert chip and chip.group(1) == "?q=%D1%88%D0%B0%D1%85%D0%BC%D0%B0%D1%82%D1%8B"
    assert 'id="within"' not in client.get("/programs/", {"q": "шахматы"}).content.decode()
    # A distance without a place (a link cut short) is said, and the search goes on without it.
    page = client.get("/programs/", {"q": "шахматы", "within": "3"}).content.decode()
    assert "Расстояние от вас: чтобы выбрать расстояние, нажмите «Рядом со мной»." in page
    assert page.count('class="card program-card"') == len(places)


def test_the_api_filters_by_distance_and_refuses_one_without_a_place(client, places):
    body = client.get("/api/v1/programs", {"q": "шахматы", "near": "56.3,41.0", "within": "3"}).json()
    assert body["total"] == 3
    assert [v["count"] for v in body["facets"]["within"]] == [2, 3, 3, 3, 4]
    response = client.get("/api/v1/programs", {"q": "шахматы", "within": "3"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "within"]
    assert client.get("/api/v1/programs", {"near": "56.3,41.0", "within": "2"}).status_code == 422  # not offered


SCHOOL_7 = "г. Энск, ул. Школьная, 7"


def study_place(organization, address, latitude, name=""):
    return services.save_study_place(
        None,
        StudyPlace(organization=organization, address=address, name=name, latitude=latitude, longitude=Decimal("41")),
    )


def test_a_program_held_at_a_study_place_is_as_far_as_it(places):
    # The organization (0.56 km away) holds the program in a school it names as its study place, 1.67 km away.
    study_place(places["elsewhere"].organization, SCHOOL_7, Decimal("56.315"), "Школа № 7")
    result = search_programs(SearchParams(q="шахматы", near=HOME, sort="near"))
    assert codes(result) == [places[n].code for n in ("near_too", "near", "elsewhere", "middle", "far", "unknown")]
    assert result.distances[places["elsewhere"].pk] == pytest.approx(1.668, abs=0.01)
    within = search_programs(SearchParams(q="шахматы", near=HOME, within="1"))
    assert places["elsewhere"].code not in codes(within)
    # Another organization's place at that address is not this organization's.
    study_place(places["middle"].organization, SCHOOL_7, Decimal("56.300"))
    again = search_programs(SearchParams(q="шахматы", near=HOME, sort="near"))
    assert again.distances[places["elsewhere"].pk] == pytest.approx(1.668, abs=0.01)
    # One of its groups meets at the organization itself, 0.56 km away: the program is that near.
    make_group(places["elsewhere"], name="В ДДТ", address=places["elsewhere"].organization.address)
    at_home = search_programs(SearchParams(q="шахматы", near=HOME, within="1"))
    assert at_home.distances[places["elsewhere"].pk] == pytest.approx(0.556, abs=0.01)


def test_a_program_is_as_near_as_its_nearest_group(places):
    far = places["far"]  # 11.1 km away, the most popular
    make_group(far, name="В своём здании")
    in_school = make_group(far, name="В школе", address=SCHOOL_7)
    assert search_programs(SearchParams(q="шахматы", near=HOME)).distances[far.pk] == pytest.approx(11.12, abs=0.02)
    study_place(far.organization, SCHOOL_7, Decimal("56.302"), "Школа № 7")  # 0.22 km from the family
    result = search_programs(SearchParams(q="шахматы", near=HOME, sort="near"))
    assert codes(result)[0] == far.code and result.distances[far.pk] == pytest.approx(0.222, abs=0.01)
    assert codes(search_programs(SearchParams(q="шахматы", near=HOME, within="1", sort="near")))[0] == far.code
    # A group no longer meeting there takes the program back where the rest of it is.
    in_school.is_active = False
    services.save_group(None, in_school, schedule=None, financing=None)
    assert search_programs(SearchParams(q="шахматы", near=HOME)).distances[far.pk] == pytest.approx(11.12, abs=0.02)


def test_an_address_without_a_known_place_adds_no_distance(places):
    near = places["near"]
    make_group(near, name="Выездная", address="д. Покровка, клуб")  # no place of that address
    assert search_programs(SearchParams(q="шахматы", near=HOME)).distances[near.pk] == pytest.approx(0.556, abs=0.01)


def test_the_pages_show_study_places_on_the_map(client, places):
    far = places["far"]
    study_place(far.organization, SCHOOL_7, Decimal("56.302"), "Школа № 7")
    make_group(far, name="В школе", address=SCHOOL_7)
    make_group(far, name="Дома")
    elsewhere = places["elsewhere"]
    study_place(elsewhere.organization, SCHOOL_7, Decimal("56.315"))
    school_link = "https://yandex.ru/maps/?pt=41.000000,56.302000&amp;z=16&amp;l=map"
    page = client.get(f"/programs/{far.code}/").content.decode()
    # Both addresses where its groups meet, named and on the map; each group's row says which.
    assert "<dt>Адреса</dt>" in page and f"Школа № 7<br>{SCHOOL_7}" in page
    assert "https://yandex.ru/maps/?pt=41.000000,56.400000" in page and page.count(school_link) == 2
    assert "(Яндекс Карты: В школе, откроется в новой вкладке)" in page
    held_elsewhere = client.get(f"/programs/{elsewhere.code}/").content.decode()  # no group: the program's address
    assert "<dt>Адрес</dt>" in held_elsewhere and "https://yandex.ru/maps/?pt=41.000000,56.315000" in held_elsewhere
    organization_page = client.get(f"/organizations/{far.organization.code}/").content.decode()
    assert "Где ещё проходят занятия" in organization_page and f"Школа № 7: {SCHOOL_7}" in organization_page
    assert school_link in organization_page


def test_the_card_names_the_study_place_its_nearest_group_meets_at(client, places):
    far, near = places["far"], places["near"]
    study_place(far.organization, SCHOOL_7, Decimal("56.302"), "Школа № 7")  # 0.22 km from the family
    make_group(far, name="В школе", address=SCHOOL_7)
    # The near organization's gym is farther than the organization itself: its card names no building.
    study_place(near.organization, "г. Энск, ул. Садовая, 1", Decimal("56.330"))
    make_group(near, name="В спортзале", address="г. Энск, ул. Садовая, 1")
    elsewhere = places["elsewhere"]  # held at its organization's other building, which has no name
    study_place(elsewhere.organization, SCHOOL_7.replace("Энск", "Энск "), Decimal("56.315"))
    elsewhere.refresh_from_db()
    result = search_programs(SearchParams(q="шахматы", near=HOME, sort="near"))
    assert result.nearest_places == {far.pk: "Школа № 7", elsewhere.pk: elsewhere.address}
    assert search_programs(SearchParams(q="шахматы")).nearest_places == {}  # without a place: none

    page = client.get("/programs/", {"q": "шахматы", "near": "56.300,41.000", "sort": "near"}).content.decode()
    assert '<span class="distance">200 м от вас, Школа № 7</span>' in page
    assert f'<span class="distance">1,7 км от вас, {elsewhere.address}</span>' in page
    assert '<span class="distance">550 м от вас</span>' in page  # the near ones, at their organization
    body = client.get("/api/v1/programs", {"q": "шахматы", "near": "56.300,41.000"}).json()
    assert body["nearest_places"] == {far.code: "Школа № 7", elsewhere.code: elsewhere.address}
