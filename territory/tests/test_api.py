"""The REST API of territories: municipalities with their regions and child population."""

import pytest

from core.testing import make_municipality
from territory.models import ChildPopulation

API = "/api/v1"


@pytest.fixture
def population(personas):
    x = personas.municipality_x
    ChildPopulation.objects.bulk_create(
        [ChildPopulation(municipality=x, year=2024, age=age, count=100 + age) for age in range(18)]
        + [ChildPopulation(municipality=x, year=2025, age=age, count=200 + age) for age in range(18)]
    )
    return x


def test_municipalities_are_listed_with_region_and_oktmo(client, personas):
    body = client.get(f"{API}/municipalities").json()
    assert body["total"] == 2 and body["page"] == 1 and body["page_count"] == 1
    assert [item["name"] for item in body["items"]] == ["Заречный район", "Энск"]
    first = body["items"][0]
    assert first["oktmo"] == personas.municipality_y.oktmo and first["uuid"] == str(personas.municipality_y.uuid)
    assert first["region"]["code"] == "99" and first["region"]["name"] == "Энская область"
    assert first["updated_at"] and first["region"]["updated_at"]


def test_municipalities_are_paginated_and_filtered_by_region(client, personas):
    make_municipality(personas.other_region, "Другой город")
    second_page = client.get(f"{API}/municipalities", {"page": 2, "page_size": 2}).json()
    assert second_page["total"] == 3 and second_page["page_count"] == 2
    assert [item["name"] for item in second_page["items"]] == ["Энск"]
    other = client.get(f"{API}/municipalities", {"region": personas.other_region.code}).json()
    assert [item["name"] for item in other["items"]] == ["Другой город"]


def test_municipality_list_rejects_bad_pages_in_russian(client, personas):
    response = client.get(f"{API}/municipalities", {"page": 0, "page_size": "много"})
    assert response.status_code == 422
    assert {error["loc"][-1]: error["msg"] for error in response.json()["detail"]} == {
        "page": "Значение должно быть не меньше 1.",
        "page_size": "Укажите целое число.",
    }


def test_municipality_list_does_not_query_per_row(client, personas, django_assert_max_num_queries):
    for n in range(10):
        make_municipality(personas.region, f"Посёлок {n}")
    with django_assert_max_num_queries(2):
        response = client.get(f"{API}/municipalities", {"page_size": 100})
    assert response.json()["total"] == 12


def test_municipality_shows_the_latest_child_population_by_age(client, population):
    body = client.get(f"{API}/municipalities/{population.oktmo}").json()
    assert body["oktmo"] == population.oktmo and body["region"]["code"] == "99"
    assert body["population_year"] == 2025
    assert body["population"][:2] == [{"age": 0, "count": 200}, {"age": 1, "count": 201}]
    assert len(body["population"]) == 18
    assert body["children_total"] == sum(200 + age for age in range(18))


def test_municipality_population_for_a_chosen_year(client, population):
    body = client.get(f"{API}/municipalities/{population.oktmo}", {"year": 2024}).json()
    assert body["population_year"] == 2024 and body["children_total"] == sum(100 + age for age in range(18))
    empty = client.get(f"{API}/municipalities/{population.oktmo}", {"year": 2010}).json()
    assert empty["population_year"] is None and empty["population"] == [] and empty["children_total"] == 0


def test_municipality_without_population_data_says_so(client, personas):
    body = client.get(f"{API}/municipalities/{personas.municipality_y.oktmo}").json()
    assert body["population_year"] is None and body["population"] == [] and body["children_total"] == 0


def test_unknown_municipality_is_404_and_bad_year_is_422(client, population):
    assert client.get(f"{API}/municipalities/00000000").json() == {"detail": "Не найдено."}
    response = client.get(f"{API}/municipalities/{population.oktmo}", {"year": 1990})
    assert response.status_code == 422
    assert [error["msg"] for error in response.json()["detail"]] == ["Значение должно быть не меньше 2000."]


def test_a_parameter_the_municipality_does_not_take_is_refused(client, population):
    """`yaer=2024` answered the latest year's population as if asked for it."""
    response = client.get(f"{API}/municipalities/{population.oktmo}", {"yaer": 2024})
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "loc": ["query", "yaer"],
            "msg": "Неизвестный параметр: допустимые перечислены в документации (/api/docs).",
            "type": "extra_forbidden",
        }
    ]
