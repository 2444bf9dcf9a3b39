"""Dashboard, drill-down, targets and the monitoring API: who sees what, exports, bad input."""

import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from core.models import AuditEvent
from monitoring import indicators, statform
from monitoring.models import IndicatorCode, Target
from monitoring.tests.test_indicators import YEAR, data  # noqa: F401  (the hand-computed data set)

URL = "/office/monitoring/"
API = "/api/v1"


def key(municipality) -> str:
    return f"m-{municipality.oktmo}"


@pytest.fixture
def region_target(personas):
    return Target.objects.create(
        indicator=IndicatorCode.COVERAGE, region=personas.region, year=YEAR, percent=Decimal("80.0")
    )


def test_the_dashboard_shows_indicators_against_targets(client, personas, data, region_target):  # noqa: F811
    client.force_login(personas.regional)
    response = client.get(URL, {"territory": "r-99", "year": YEAR})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Охват дополнительным образованием детей от 5 до 18 лет" in html
    assert "2,1 %" in html and "цель 80,0 %" in html and "не достигнута" in html
    assert "Сравнение муниципалитетов" in html and personas.municipality_y.name in html
    assert "Как считается" in html and "каждый ребёнок считается один раз" in html


def test_a_municipal_operator_sees_only_own_municipality(client, personas, data):  # noqa: F811
    client.force_login(personas.municipal_x)
    own = client.get(URL, {"year": YEAR})
    assert own.status_code == 200 and own.context["territory"].municipality == personas.municipality_x
    assert own.context["municipalities"] is None  # no comparison for a single municipality
    assert client.get(URL, {"territory": key(personas.municipality_y)}).status_code == 404
    assert client.get(URL, {"territory": "r-99"}).status_code == 404


@pytest.mark.parametrize("who", ["family", "operator_a", "teacher_a"])
def test_people_without_a_territory_have_no_dashboard(client, personas, who):
    client.force_login(getattr(personas, who))
    assert client.get(URL).status_code == 403


def test_another_region_is_not_found(client, personas):
    client.force_login(personas.other_regional)
    assert client.get(URL, {"territory": "r-99"}).status_code == 404


def test_every_table_exports_to_xlsx(client, personas, data):  # noqa: F811
    client.force_login(personas.regional)
    for table in ("indicators", "municipalities", "directions", "organization-kinds", "funding", "organizations"):
        response = client.get(URL, {"territory": "r-99", "year": YEAR, "table": table})
        assert response.status_code == 200, table
        sheet = load_workbook(io.BytesIO(response.content)).active
        assert sheet["A1"].value, table
    directions = load_workbook(
        io.BytesIO(client.get(URL, {"territory": "r-99", "year": YEAR, "table": "directions"}).content)
    ).active
    rows = {row[0]: row[1] for row in directions.iter_rows(values_only=True) if row[0] and row[1] is not None}
    assert rows["Художественная"] == 2 and rows["Техническая"] == 2
    assert client.get(URL, {"territory": "r-99", "table": "nope"}).status_code == 404
    assert client.get(URL, {"year": "abc"}).status_code == 404


def test_organization_drill_down_and_children_list(client, personas, data):  # noqa: F811
    client.force_login(personas.municipal_x)
    url = f"{URL}organizations/{personas.org_a.code}/"
    page = client.get(url, {"year": YEAR})
    assert page.status_code == 200 and "Робототехника" in page.content.decode()
    assert not AuditEvent.objects.filter(action="monitoring.children_viewed").exists()
    listed = client.get(url, {"year": YEAR, "children": 1})
    assert "Первый" in listed.content.decode()
    assert AuditEvent.objects.filter(action="monitoring.children_viewed", actor=personas.municipal_x).count() == 1
    client.force_login(personas.municipal_y)
    assert client.get(url).status_code == 404  # another municipality's organization
    client.force_login(personas.methodologist)
    assert client.get(url, {"year": YEAR}).status_code == 200
    assert client.get(url, {"year": YEAR, "children": 1}).status_code == 403  # analytics, not personal data


def test_only_the_regional_operator_sets_targets(client, personas):
    url = f"{URL}targets/"
    form = {"indicator": IndicatorCode.OVZ, "year": 2025, "percent": "72,5", "source": "Распоряжение № 1"}
    client.force_login(personas.municipal_x)
    assert client.get(url).status_code == 200
    assert client.post(url, form).status_code == 403
    client.force_login(personas.regional)
    client.post(f"{url}?territory=r-99", form)
    target = Target.objects.get()
    assert (target.percent, target.municipality, target.updated_by) == (Decimal("72.5"), None, personas.regional)
    assert AuditEvent.objects.filter(action="target.set").count() == 1
    response = client.post(f"{url}?territory=r-99", {**form, "percent": "сто"}, follow=True)
    assert "Значение не сохранено" in response.content.decode()
    response = client.post(f"{url}?territory=r-99", {**form, "percent": "120"}, follow=True)
    assert "от 0 до 100" in response.content.decode(), [str(m) for m in response.context["messages"]]
    assert Target.objects.get().percent == Decimal("72.5")


@pytest.mark.parametrize("percent", ["1e30", "NaN", "-Infinity", "72,55", "72.50001"])
def test_a_target_is_taken_as_written_or_refused(client, personas, percent):
    """A target is copied from a document: a huge, non-finite or over-precise value is refused with the
    format, never rounded (72,55 became 72,6 without a word) nor a server error (1e30 was a 500)."""
    url = f"{URL}targets/?territory=r-99"
    client.force_login(personas.regional)
    client.post(url, {"indicator": IndicatorCode.OVZ, "year": 2025, "percent": "72,5", "source": "Распоряжение № 1"})
    response = client.post(url, {"indicator": IndicatorCode.OVZ, "year": 2025, "percent": percent}, follow=True)
    assert "не больше одного знака после запятой" in response.content.decode()
    assert Target.objects.get().percent == Decimal("72.5")


def test_a_new_target_replaces_the_value_and_keeps_the_document_left_empty(client, personas):
    url = f"{URL}targets/?territory=r-99"
    client.force_login(personas.regional)
    form = {"indicator": IndicatorCode.COVERAGE, "year": 2027, "percent": "81", "source": "Концепция до 2030 года"}
    client.post(url, form)
    response = client.post(url, {**form, "percent": "80,5", "source": " "}, follow=True)
    assert "Целевое значение сохранено: Охват" in response.content.decode()
    assert "2027 год — 80,5 %" in response.content.decode()
    target = Target.objects.get()
    assert (target.percent, target.source) == (Decimal("80.5"), "Концепция до 2030 года")
    client.post(url, {**form, "source": "Распоряжение № 2"})
    assert Target.objects.get().source == "Распоряжение № 2"


def test_a_forged_municipality_of_a_target_is_not_found(client, personas):
    client.force_login(personas.regional)
    form = {"indicator": IndicatorCode.OVZ, "year": 2025, "percent": "70", "municipality": "abc"}
    assert client.post(f"{URL}targets/?territory=r-99", form).status_code == 404
    assert not Target.objects.exists()


def test_api_indicators_and_targets(client, personas, data, region_target):  # noqa: F811
    client.force_login(personas.regional)
    body = client.get(f"{API}/indicators", {"territory": "r-99", "year": YEAR}).json()
    coverage = next(i for i in body["indicators"] if i["code"] == "coverage")
    assert (coverage["numerator"], coverage["denominator"], coverage["value"], coverage["target"]) == (
        4,
        195,
        "2.1",
        "80.0",
    )
    by_oktmo = {m["oktmo"]: m for m in body["municipalities"]}
    assert by_oktmo[personas.municipality_x.oktmo]["covered"] == 3
    assert by_oktmo[personas.municipality_x.oktmo]["by_direction"]["arts"] == 2
    answer = client.put(
        f"{API}/targets?territory=r-99",
        {"indicator": "tech_science", "municipality": personas.municipality_y.oktmo, "year": 2026, "percent": "27"},
        content_type="application/json",
    )
    assert answer.status_code == 200 and answer.json()["municipality"] == personas.municipality_y.oktmo
    unknown = client.put(
        f"{API}/targets?territory=r-99",
        {"indicator": "tech_science", "municipality": "99999999", "year": 2026, "percent": "27"},
        content_type="application/json",
    )
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["loc"] == ["body", "municipality"]
    client.force_login(personas.municipal_y)
    outside = client.get(f"{API}/indicators", {"territory": "r-99"})
    assert outside.status_code == 422 and outside.json()["detail"] == [TERRITORY_NOT_FOUND]
    forbidden = client.put(
        f"{API}/targets",
        {"indicator": "tech_science", "year": 2026, "percent": "30"},
        content_type="application/json",
    )
    assert forbidden.status_code == 403
    assert client.get(f"{API}/indicators", {"territory": "x-1"}).status_code == 422


TERRITORY_NOT_FOUND = {
    "loc": ["query", "territory"],
    "msg": "Территория не найдена среди доступных вам.",
    "type": "invalid",
}
TARGET = {"indicator": "tech_science", "year": 2026, "percent": "27"}


def put_target(client, query: str):
    return client.put(f"{API}/targets{query}", TARGET, content_type="application/json")


def test_api_a_territory_the_caller_does_not_monitor_is_the_parameters_error(client, personas):
    """Another region or an unknown one alike: the query is wrong (422 at `territory`), not the address
    (404). A territory monitored read-only stays 403 for a change, and nothing is written."""
    client.force_login(personas.regional)
    for territory in ("r-98", "m-00000000"):
        assert client.get(f"{API}/targets", {"territory": territory}).json()["detail"] == [TERRITORY_NOT_FOUND]
        refused = put_target(client, f"?territory={territory}")
        assert refused.status_code == 422 and refused.json()["detail"] == [TERRITORY_NOT_FOUND]
    client.force_login(personas.methodologist)
    assert client.get(f"{API}/targets", {"territory": "r-99"}).status_code == 200
    assert put_target(client, "?territory=r-99").status_code == 403
    client.force_login(personas.family)  # monitors nothing: the endpoint itself is not theirs
    assert client.get(f"{API}/indicators", {"territory": "r-98"}).status_code == 403
    assert not Target.objects.exists()


def test_api_a_parameter_the_monitoring_query_does_not_take_is_refused(client, personas):
    client.force_login(personas.regional)
    unknown = {
        "loc": ["query", "teritory"],
        "msg": "Неизвестный параметр: допустимые перечислены в документации (/api/docs).",
        "type": "extra_forbidden",
    }
    for response in (
        client.get(f"{API}/indicators", {"teritory": "r-99", "year": YEAR}),
        client.get(f"{API}/targets", {"teritory": "r-99"}),
        put_target(client, "?teritory=r-99"),
    ):
        assert response.status_code == 422 and response.json()["detail"] == [unknown]
    assert not Target.objects.exists()
    paths = client.get(f"{API}/openapi.json").json()["paths"]
    for method in ("get", "put"):
        assert "404" not in paths[f"{API}/targets"][method]["responses"]
    assert "404" not in paths[f"{API}/indicators"]["get"]["responses"]


def test_form_1dop_counts_children_on_31_december(client, personas, data):  # noqa: F811
    with CaptureQueriesContext(connection) as queries:
        facts = list(indicators.form_facts(YEAR, [personas.municipality_x.pk, personas.municipality_y.pk]))
    # A region's form reads every enrollment: in one statement, without sorting them.
    assert len(queries) == 1 and "ORDER BY" not in queries[0]["sql"]
    flags = {
        type(getattr(f, name)) for f in facts for name in ("has_ovz", "has_disability", "is_network", "is_distance")
    }
    assert flags == {bool} and {type(f.age) for f in facts} == {int}
    # Active on 31 December in the territory's organizations: c1 (two programs), c4, c5, c6 and c7
    # (expelled on the 31st itself); c2 left in March, c3 in 2024, c9 comes in 2026, c8 only applied.
    assert sorted({f.child_id for f in facts}) == sorted(data[k].pk for k in ("c1", "c4", "c5", "c6", "c7"))
    assert len(facts) == 6
    result = statform.compute_form(statform.load_layout(), facts)
    assert result.value("II", "01", 3) == 5
    client.force_login(personas.regional)
    response = client.get(f"{URL}form-1dop/", {"territory": "r-99", "year": YEAR})
    assert response.status_code == 200 and response["Content-Disposition"].endswith('2025.xlsx"')
    book = load_workbook(io.BytesIO(response.content))
    assert {"Раздел II", "Раздел III", "Контроль"} <= set(book.sheetnames)
    client.force_login(personas.family)
    assert client.get(f"{URL}form-1dop/").status_code == 403
