"""A family in Debian's Chromium: search → filter → open a program → see its groups.

Screenshots land in artifacts/screenshots/ (git-ignored) so that a person can look at the pages.
"""

import pytest

from core.browser import SHOTS
from core.testing import make_group, make_personas, make_program

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def catalog_for_browser(transactional_db):
    personas = make_personas()
    robotics = make_program(
        personas.org_a, "Робототехника и конструирование", description="Собираем и программируем роботов."
    )
    make_group(robotics, name="Группа «Инженеры»", weekdays=(1, 3))
    make_program(personas.org_a, "Робототехника: соревнования", is_free=False, is_paid=True, price_per_month=2500)
    make_program(personas.org_b, "Шахматы", direction="sport")
    return robotics


def test_family_searches_filters_opens_a_program_and_sees_its_groups(live_server, browser, catalog_for_browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(live_server.url + "/")
    page.screenshot(path=str(SHOTS / "home.png"), full_page=True)

    page.fill("#home-q", "робототехнике")
    page.click("form[role=search] button[type=submit]")
    page.wait_for_url("**/programs/?*")
    assert page.locator(".program-card").count() == 2

    # A filter checkbox: htmx reloads the results in place and updates the address bar.
    with page.expect_response(lambda r: "funding=free" in r.url):
        page.check("input[name=funding][value=free]")
    page.wait_for_function("document.querySelectorAll('.program-card').length === 1")
    assert "funding=free" in page.url
    # The filters' counts follow the new search, and the checkbox just clicked keeps the focus.
    technical = page.locator("#filter-direction-technical").locator("xpath=ancestor::div[1]").locator(".count")
    assert technical.inner_text() == "1"
    assert page.evaluate("document.activeElement.id") == "filter-funding-free"
    page.screenshot(path=str(SHOTS / "results.png"), full_page=True)

    page.click("text=Робототехника и конструирование")
    page.wait_for_url(f"**/programs/{catalog_for_browser.code}/")
    assert page.locator("h1").inner_text() == "Робототехника и конструирование"
    groups = page.locator("table.groups tbody tr")
    assert groups.count() == 2
    assert "Группа «Инженеры»" in page.locator("table.groups").inner_text()
    page.screenshot(path=str(SHOTS / "program.png"), full_page=True)


def test_search_works_without_javascript_on_a_phone(live_server, browser, catalog_for_browser):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.goto(live_server.url + "/programs/?q=шахматам")
    assert page.locator(".program-card").count() == 1
    page.check("input[name=funding][value=free]")
    page.click("noscript button, #search-form button[type=submit]")
    assert "funding=free" in page.url
    page.screenshot(path=str(SHOTS / "results-phone.png"), full_page=True)
    page.goto(live_server.url + f"/programs/{catalog_for_browser.code}/")
    page.screenshot(path=str(SHOTS / "program-phone.png"), full_page=True)
    context.close()


def test_filters_fold_on_a_phone_and_stay_open_on_a_desktop(live_server, browser, catalog_for_browser):
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = phone.new_page()
    page.goto(live_server.url + "/programs/?q=шахматы")
    direction = page.get_by_role("checkbox", name="Физкультурно-спортивная")
    assert direction.is_hidden()  # results first: the filters are folded
    page.get_by_text("Фильтры", exact=True).click()
    assert direction.is_visible()
    page.screenshot(path=str(SHOTS / "filters-phone.png"), full_page=True)
    phone.close()
    desktop = browser.new_page(viewport={"width": 1280, "height": 900})
    desktop.goto(live_server.url + "/programs/?q=шахматы")
    assert desktop.get_by_role("checkbox", name="Физкультурно-спортивная").is_visible()
    desktop.close()


def test_keyboard_user_reaches_the_search_and_the_visually_impaired_version(live_server, browser, catalog_for_browser):
    page = browser.new_page()
    page.goto(live_server.url + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Перейти к содержимому"
    page.click("text=Версия для слабовидящих")
    assert "a11y" in page.locator("body").get_attribute("class")
    font_size = page.evaluate("getComputedStyle(document.body).fontSize")
    assert font_size == "22px"
    page.screenshot(path=str(SHOTS / "home-a11y.png"), full_page=True)
