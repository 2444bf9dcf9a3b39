"""The Navigator's list of organizations (`/organizations/`, catalog/directory.py): those with published programs,
found by name (words by their stems, where a word begins; numbers whole), ИНН or code, filtered by municipality,
type, units and accessibility, each filter's values counted with the other filters kept; the page, its htmx
fragment, its messages; the API's list (`/organizations/search`, `/organizations/map`) by the same function, and its
synchronizing list of organizations filtered by units and accessibility alike."""

from urllib.parse import urlencode

import pytest
from django.http import QueryDict
from django.urls import reverse

from catalog import directory, services
from catalog.models import Organization, OrganizationKind, OrganizationUnit, StudyPlace, UnitKind
from catalog.search_index import catalog_version
from catalog.tests.test_admin import admin_url, form_data
from core.testing import make_organization, make_program

pytestmark = pytest.mark.django_db


@pytest.fixture
def organizations(personas):
    """Радуга (X, УДО, «Кванториум», accessible, two programs), the station (Y, УДО, one program), school № 5 and
    kindergarten № 15 (X), a school without published programs, an inactive organization with one."""
    radiant, station = personas.org_a, personas.org_b
    radiant.accessible_for_ovz = True
    radiant.save()
    OrganizationUnit.objects.create(organization=radiant, kind=UnitKind.KVANTORIUM, name="Кванториум")
    make_program(radiant, "Робототехника")
    make_program(radiant, "Шахматы")
    make_program(station, "Авиамоделирование")
    school = make_organization(
        personas.municipality_x,
        "МБОУ СОШ № 5",
        kind=OrganizationKind.SCHOOL,
        full_name="Муниципальное бюджетное общеобразовательное учреждение «Средняя общеобразовательная школа № 5»",
    )
    OrganizationUnit.objects.create(organization=school, kind=UnitKind.TOCHKA_ROSTA, name="Точка роста")
    make_program(school, "Юный химик")
    kindergarten = make_organization(
        personas.municipality_x,
        "МБДОУ д/с № 15",
        kind=OrganizationKind.KINDERGARTEN,
        full_name="Муниципальное бюджетное дошкольное образовательное учреждение «Детский сад № 15»",
    )
    make_program(kindergarten, "Ритмика")
    quiet = make_organization(personas.municipality_x, "МБОУ СОШ № 7", kind=OrganizationKind.SCHOOL)
    make_program(quiet, "Черчение", status="draft")
    closed = make_organization(personas.municipality_x, "Закрытый клуб")
    make_program(closed, "Фехтование")
    # Closed with its program left published: the state before closing archived the programs (catalog.register).
    Organization.objects.filter(pk=closed.pk).update(is_active=False)
    return radiant, station, school, kindergarten


def found(**params) -> list[str]:
    result = directory.find_organizations(directory.DirectoryParams(**params), 20)
    return [organization.short_name for organization in result.organizations]


def counts(result: directory.DirectoryResult, facet: str) -> dict[str, int]:
    return {value.value: value.count for value in result.facets[facet]}


def test_the_list_holds_the_active_organizations_with_published_programs_by_name(organizations):
    assert found() == ["Дом творчества «Радуга»", "МБДОУ д/с № 15", "МБОУ СОШ № 5", "Станция юных техников"]


def test_programs_are_counted_as_the_search_shows_them_and_sort_the_list(organizations):
    result = directory.find_organizations(directory.DirectoryParams(sort="programs"), 20)
    assert [(o.short_name, o.programs_published) for o in result.organizations][:2] == [
        ("Дом творчества «Радуга»", 2),
        ("МБДОУ д/с № 15", 1),  # ties by name
    ]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("дома творчества", ["Дом творчества «Радуга»"]),  # words by their stems
        ("радуге", ["Дом творчества «Радуга»"]),
        ("школа 5", ["МБОУ СОШ № 5"]),  # not «дошкольное» (a word's middle), not «№ 15»
        ("школа", ["МБОУ СОШ № 5"]),
        ("сош", ["МБОУ СОШ № 5"]),
        ("15", ["МБДОУ д/с № 15"]),
        ("юных техник", ["Станция юных техников"]),
        ("Детский сад № 15", ["МБДОУ д/с № 15"]),  # the full name
        ("шахматы", []),  # programs are the search's: not the organizations' names
    ],
)
def test_a_name_is_found_by_its_words(organizations, q, expected):
    assert found(q=q) == expected


def test_an_inn_or_code_is_found_whole(organizations):
    school = organizations[2]
    assert found(q=school.inn) == ["МБОУ СОШ № 5"]
    assert found(q=school.inn[:-1]) == []
    assert found(q=school.code.lower()) == ["МБОУ СОШ № 5"]


def test_filters_narrow_and_each_value_counts_with_the_other_filters_kept(personas, organizations):
    x, y = personas.municipality_x.oktmo, personas.municipality_y.oktmo
    result = directory.find_organizations(directory.DirectoryParams(municipality=x, kinds=("udo", "school")), 20)
    assert [o.short_name for o in result.organizations] == ["Дом творчества «Радуга»", "МБОУ СОШ № 5"]
    assert counts(result, "municipality") == {x: 2, y: 1}  # the types kept: the kindergarten not counted
    assert counts(result, "kind") == {"udo": 1, "school": 1, "kindergarten": 1}  # the municipality kept
    assert counts(result, "unit") == {"kvantorium": 1, "tochka_rosta": 1}
    assert counts(result, "ovz") == {"on": 1}
    assert [value.value for value in result.facets["kind"] if value.selected] == ["udo", "school"]
    assert found(units=("kvantorium", "tochka_rosta")) == ["Дом творчества «Радуга»", "МБОУ СОШ № 5"]
    assert found(ovz=True) == ["Дом творчества «Радуга»"]
    assert found(ovz=True, municipality=y) == []


def test_an_organization_is_listed_once_its_first_program_is_published_and_leaves_with_its_last(personas):
    program = make_program(personas.org_a, "Черчение", status="draft")
    assert found() == []
    services.change_program_status(personas.operator_a, program, "submit")
    services.change_program_status(personas.municipal_x, program, "approve")
    assert found() == ["Дом творчества «Радуга»"]
    services.change_program_status(personas.operator_a, program, "archive")
    assert found() == []


def test_the_page_searches_filters_and_says_what_it_left_out(client, personas, organizations):
    url = reverse("navigator:organizations")
    page = client.get(url, {"q": "творчества", "kind": ["udo", "zoo"], "municipality": "11111111", "sort": "x"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "<strong>1</strong> организация" in html and "Дом творчества «Радуга»" in html
    errors = [
        "Муниципалитет: не найден.",
        "Тип организации: такого значения нет: «zoo».",
        "Сортировка: такого значения нет: «x».",
    ]
    assert [html.index(error) for error in errors] == sorted(html.index(error) for error in errors)
    # Chips take a filter away, the rest kept; the card leads to the organization and its programs.
    query = "q=%D1%82%D0%B2%D0%BE%D1%80%D1%87%D0%B5%D1%81%D1%82%D0%B2%D0%B0"
    assert (
        f'href="?{query}&amp;kind=zoo&amp;municipality=11111111&amp;sort=x" aria-label="Убрать фильтр Организация'
        in html
    )
    assert (
        'href="?kind=udo&amp;kind=zoo&amp;municipality=11111111&amp;sort=x" aria-label="Убрать фильтр «творчества»"'
        in html
    )
    radiant = organizations[0]
    assert f'href="{reverse("navigator:organization", args=[radiant.code])}"' in html
    assert f'href="/programs/?organization={radiant.code}">2 программы</a>' in html
    assert '<span class="badge">Кванториум</span>' in html and "Доступна для детей с ОВЗ" in html
    assert 'aria-label="1 организация"' in html  # a filter's count says what it counts


def test_htmx_gets_the_results_with_the_count_and_filters_out_of_band(client, organizations):
    response = client.get(reverse("navigator:organizations"), {"unit": "kvantorium"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<!doctype html>" not in html and "Vary" in response and "HX-Request" in response["Vary"]
    assert '<p id="result-count" hx-swap-oob="innerHTML"><strong>1</strong> организация' in html
    assert '<div id="filters" hx-swap-oob="true">' in html and "Показать 1 организацию" in html


def test_an_empty_list_offers_every_organization_and_pages_keep_the_query(client, personas, organizations):
    html = client.get(reverse("navigator:organizations"), {"q": "цирк"}).content.decode()
    assert "Ничего не нашлось" in html and 'href="/organizations/">Показать все организации' in html
    for n in range(25):
        make_program(make_organization(personas.municipality_y, f"Клуб «Юнга-{n:02}»"), "Парусный спорт")
    html = client.get(reverse("navigator:organizations"), {"q": "юнга", "page": "2"}).content.decode()
    assert "<strong>25</strong> организаций" in html and "Клуб «Юнга-24»" in html and "Юнга-00" not in html
    assert 'href="?q=%D1%8E%D0%BD%D0%B3%D0%B0&amp;page=1"' in html


def test_every_page_leads_to_the_list_and_an_organization_to_its_municipalitys(client, personas, organizations):
    url = reverse("navigator:organizations")
    home = client.get("/").content.decode()
    assert f'<a href="{url}">Организации</a>' in home  # the header's
    assert f'<a href="{url}"><strong>4</strong> организации</a>' in home  # the count of them, as the list counts
    radiant = client.get(reverse("navigator:organization", args=[personas.org_a.code])).content.decode()
    oktmo = personas.municipality_x.oktmo
    assert f'<li><a href="{url}?municipality={oktmo}">{personas.municipality_x.name}</a></li>' in radiant


def test_the_api_filters_organizations_by_units_and_accessibility(client, organizations):
    def names(**query) -> list[str]:
        response = client.get("/api/v1/organizations", query)
        assert response.status_code == 200, response.content
        return [organization["short_name"] for organization in response.json()["items"]]

    assert names(unit=["kvantorium", "tochka_rosta"]) == ["Дом творчества «Радуга»", "МБОУ СОШ № 5"]
    assert names(ovz="true") == ["Дом творчества «Радуга»"]
    assert "Дом творчества «Радуга»" not in names(ovz="false")
    refused = client.get("/api/v1/organizations", {"unit": "zoo"})
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["query", "unit", 0]


@pytest.mark.parametrize(
    ("field", "value"), [("kind", OrganizationKind.NGO), ("accessible_for_ovz", "on"), ("full_name", "АНО «Мечта»")]
)
def test_a_change_in_the_admin_the_list_filters_by_reaches_every_process(
    admin_client, personas, organizations, django_capture_on_commit_callbacks, field, value
):
    url = admin_url(Organization, "change", personas.org_b.pk)
    data = form_data(admin_client.get(url))
    before = catalog_version()
    with django_capture_on_commit_callbacks(execute=True):
        assert admin_client.post(url, {**data, field: value}).status_code == 302
    assert catalog_version() != before


def test_from_a_place_the_nearest_come_first_with_their_distances(client, personas, organizations):
    radiant, station, school, _ = organizations
    located = {radiant: ("56.3100", "41.0000"), school: ("56.3000", "41.0100"), station: ("56.5000", "41.0000")}
    for organization, (latitude, longitude) in located.items():
        Organization.objects.filter(pk=organization.pk).update(latitude=latitude, longitude=longitude)
    result = directory.find_organizations(directory.DirectoryParams(near=(56.3, 41.0), sort="near"), 20)
    # The kindergarten's place is not known: last, without a distance (never a guessed one).
    assert [(o.short_name, o.distance_km and round(o.distance_km, 1)) for o in result.organizations] == [
        ("МБОУ СОШ № 5", 0.6),
        ("Дом творчества «Радуга»", 1.1),
        ("Станция юных техников", 22.2),
        ("МБДОУ д/с № 15", None),
    ]
    # By name, each still with how far it is.
    by_name = directory.find_organizations(directory.DirectoryParams(near=(56.3, 41.0)), 20).organizations
    assert by_name[0].short_name == "Дом творчества «Радуга»" and by_name[0].distance_km > 1
    html = client.get(reverse("navigator:organizations"), {"near": "56.3,41.0", "sort": "near", "kind": "school"})
    html = html.content.decode()
    assert '<span class="distance">600 м от вас</span>' in html and '<option value="near" selected>' in html
    assert 'href="?kind=school" aria-label="Убрать фильтр Рядом с вами"' in html
    assert 'name="near" value="56.30000,41.00000"' in html  # kept by the form's next search


def test_nearest_first_asks_for_a_place_and_a_place_is_read_or_refused(client, organizations):
    url = reverse("navigator:organizations")
    html = client.get(url).content.decode()
    assert '<option value="near"' not in html and 'id="near-me" hidden' in html
    html = client.get(url, {"sort": "near", "near": "91,41"}).content.decode()
    assert "Местоположение: широта — от −90 до 90, долгота — от −180 до 180." in html
    assert "Сортировка: чтобы показать ближайшие, нажмите «Рядом со мной»." in html
    assert "<strong>4</strong> организации" in html
    html = client.get(url, {"near": "где-то"}).content.decode()
    assert "Местоположение: не удалось прочитать — нужны широта и долгота через запятую." in html


def test_an_organization_is_as_near_as_its_nearest_study_place_which_the_card_names(client, personas, organizations):
    radiant, station, *_ = organizations
    Organization.objects.filter(pk=radiant.pk).update(latitude="56.4000", longitude="41.0000")
    Organization.objects.filter(pk=station.pk).update(latitude="56.3100", longitude="41.0000")
    services.save_study_place(
        personas.operator_a,
        StudyPlace(organization=radiant, address="г. Энск, ул. Школьная, д. 7", latitude="56.3010", longitude="41"),
    )
    services.save_study_place(  # unnamed, and farther than the organization's own: its own address counts
        personas.operator_b,
        StudyPlace(organization=station, address="г. Энск, ул. Дальняя, д. 1", latitude="56.9", longitude="41"),
    )
    result = directory.find_organizations(directory.DirectoryParams(near=(56.3, 41.0), sort="near"), 20)
    shown = [(o.short_name, round(o.distance_km, 1), o.nearest_place) for o in result.organizations[:2]]
    assert shown == [
        ("Дом творчества «Радуга»", 0.1, "г. Энск, ул. Школьная, д. 7"),
        ("Станция юных техников", 1.1, ""),
    ]
    html = client.get(reverse("navigator:organizations"), {"near": "56.3,41.0", "sort": "near"}).content.decode()
    assert '<span class="distance">100 м от вас, г. Энск, ул. Школьная, д. 7</span>' in html


def api_search(client, path="/api/v1/organizations/search", **query):
    response = client.get(path, query)
    assert response.status_code == 200, response.content
    return response.json()


def test_the_api_lists_what_the_page_lists_in_its_order_with_the_counts(client, personas, organizations):
    radiant, _, school, _ = organizations
    answer = api_search(client, sort="programs", page_size=2)
    assert [o["short_name"] for o in answer["items"]] == ["Дом творчества «Радуга»", "МБДОУ д/с № 15"]
    assert [o["programs_published"] for o in answer["items"]] == [2, 1]
    assert (
        answer["total"] == 4
        and answer["page_count"] == 2
        and answer["items"][0]["units"] == [{"kind": "kvantorium", "name": "Кванториум", "address": ""}]
    )
    # Without a place, no distance.
    assert answer["items"][0]["distance_km"] is None and answer["items"][0]["nearest_place"] is None
    # The page's words, filters and counts: the same function.
    query = {"q": "школа 5", "municipality": personas.municipality_x.oktmo, "unit": ["tochka_rosta", "kvantorium"]}
    answer = api_search(client, **query)
    assert [o["code"] for o in answer["items"]] == [school.code]
    page = directory.find_organizations(directory.params_from_query(QueryDict(urlencode(query, doseq=True)))[0], 20)
    assert [o.code for o in page.organizations] == [school.code]
    assert {f: [(v["value"], v["count"], v["selected"]) for v in values] for f, values in answer["facets"].items()} == {
        f: [(v.value, v.count, v.selected) for v in values] for f, values in page.facets.items()
    }
    assert ("tochka_rosta", 1, True) in [(v["value"], v["count"], v["selected"]) for v in answer["facets"]["unit"]]
    assert [o["code"] for o in api_search(client, q=radiant.inn)["items"]] == [radiant.code]
    assert api_search(client, page=9)["page"] == 1  # past the last page: the last, as on the page


def test_the_api_from_a_place_gives_distances_and_the_nearest_study_place(client, personas, organizations):
    radiant, _, school, _ = organizations
    Organization.objects.filter(pk=radiant.pk).update(latitude="56.4000", longitude="41.0000")
    Organization.objects.filter(pk=school.pk).update(latitude="56.3000", longitude="41.0100")
    services.save_study_place(
        personas.operator_a,
        StudyPlace(
            organization=radiant,
            name="Спортзал",
            address="г. Энск, ул. Школьная, д. 7",
            latitude="56.3010",
            longitude="41",
        ),
    )
    items = api_search(client, near="56.3,41.0", sort="near")["items"]
    assert [(o["short_name"], o["distance_km"], o["nearest_place"]) for o in items] == [
        ("Дом творчества «Радуга»", 0.1, "Спортзал"),
        ("МБОУ СОШ № 5", 0.6, ""),
        ("МБДОУ д/с № 15", None, None),  # no place known: last, by name
        ("Станция юных техников", None, None),
    ]
    on_map = api_search(client, "/api/v1/organizations/map", near="56.3,41.0")
    assert on_map["total"] == on_map["shown"] == 4 and on_map["unplaced"] == 2
    assert [(p["name"], [o["code"] for o in p["organizations"]], p["distance_km"]) for p in on_map["places"]] == [
        ("Спортзал", [radiant.code], 0.1),
        (school.address, [school.code], 0.6),
        (radiant.address, [radiant.code], 11.1),
    ]
    kvantorium = api_search(client, "/api/v1/organizations/map", unit="kvantorium")
    assert kvantorium["total"] == 1 and [p["distance_km"] for p in kvantorium["places"]] == [None, None]


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"kind": ["udo", "zoo"]}, ["query", "kind", 1], "Допустимые значения: udo, school"),
        ({"sort": "near"}, ["query", "sort"], "Ближайшие первыми — только с местоположением, near."),
        ({"near": "91,41"}, ["query", "near"], "Широта — от −90 до 90, долгота — от −180 до 180."),
        ({"municipality": "99999999"}, ["query", "municipality"], "Муниципалитет не найден."),
        ({"q": "я" * 201}, ["query", "q"], "Не длиннее 200 символов."),
        ({"town": "Энск"}, ["query", "town"], "Неизвестный параметр"),
    ],
)
def test_the_api_refuses_a_bad_value_at_its_parameter(client, organizations, query, field, message):
    for path in ("/api/v1/organizations/search", "/api/v1/organizations/map"):
        response = client.get(path, query)
        assert response.status_code == 422, response.content
        [error] = response.json()["detail"]
        assert error["loc"] == field and error["msg"].startswith(message)
