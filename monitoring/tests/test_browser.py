"""In Chromium: the regional operator reads the dashboard, its charts and definitions, narrows it
to a municipality, drills down to an organization and downloads a table."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from core.browser import SHOTS, sign_in
from core.testing import make_personas, make_program
from enrollment.models import Application, ApplicationStatus
from monitoring.models import IndicatorCode, Target
from people.models import Child
from territory.models import ChildPopulation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_dashboard_in_a_browser(live_server, browser):
    personas = make_personas()
    year = timezone.localdate().year
    x = personas.municipality_x
    for age in range(5, 18):
        ChildPopulation.objects.create(municipality=x, year=year, age=age, count=4)
    Target.objects.create(indicator=IndicatorCode.COVERAGE, region=personas.region, year=year, percent=Decimal(80))
    program = make_program(personas.org_a, "Робототехника", actor=personas.operator_a, age_from=5, age_to=17)
    for n in range(13):  # 13 of 52 children aged 5–17: 25 %
        child = Child.objects.create(
            last_name="Тестов", first_name=f"Ребёнок{n}", birth_date=date(year - 10, 3, 1), sex="m", municipality=x
        )
        Application.objects.create(
            child=child,
            applicant=personas.operator_a,
            program=program,
            group=program.groups.get(),
            status=ApplicationStatus.ENROLLED,
            enrolled_on=date(year, 1, 10),
            idempotency_key=f"b{n}",
        )

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, live_server.url, personas.regional.email)
    page.goto(live_server.url + "/office/")
    page.get_by_role("link", name="Мониторинг показателей").click()
    page.get_by_role("heading", name=f"Мониторинг: Энская область, {year}").wait_for()
    coverage = page.locator("article.indicator").first
    assert "25,0 %" in coverage.inner_text() and "цель 80,0 %" in coverage.inner_text()
    # Chart.js (served from node_modules) drew every trend chart. Its scripts are deferred, so they
    # have run by the load event; wait_for_function would poll with eval, which the CSP forbids.
    page.wait_for_load_state("load")
    drawn = "() => [...document.querySelectorAll('canvas.trend-chart')].filter((c) => Chart.getChart(c)).length"
    assert page.evaluate(drawn) == 4
    coverage.get_by_text("Как считается").click()
    assert "каждый ребёнок считается один раз" in coverage.inner_text()
    page.screenshot(path=str(SHOTS / "monitoring-dashboard.png"), full_page=True)

    page.get_by_label("Территория", exact=True).select_option(label="— Энск")
    page.get_by_role("button", name="Показать").click()
    page.get_by_role("heading", name=f"Мониторинг: Энск, {year}").wait_for()
    with page.expect_download() as download:
        page.locator("#table-directions").locator("..").get_by_role("link", name="Скачать XLSX").click()
    assert download.value.suggested_filename == f"directions-m-{x.oktmo}-{year}.xlsx"

    page.locator("#main").get_by_role("link", name="Организации").click()
    page.get_by_role("link", name=personas.org_a.short_name).click()
    page.get_by_role("link", name="Показать список").click()
    # A click does not wait for the page it opens; expect() retries until the list is there.
    expect(page.get_by_role("cell", name="Тестов Ребёнок0")).to_have_count(1)
