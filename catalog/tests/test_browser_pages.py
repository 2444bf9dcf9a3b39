"""The program and organization pages in Debian's Chromium: nothing wider than a phone, and in the
version for the visually impaired everything as large as the text and black on white.

Screenshots land in artifacts/screenshots/ (git-ignored) so that a person can look at the pages.
"""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from catalog.services import change_program_status
from core.browser import SHOTS, sign_in
from core.testing import enroll_child, make_organization, make_personas, make_program

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
# Elements sticking out of the page or out of their card, and the page's own width.
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const out = [];
  for (const el of document.querySelectorAll('main *')) {
    const box = el.getBoundingClientRect();
    const card = el.parentElement.closest('.card');
    const edge = card ? card.getBoundingClientRect().right : width;
    if (box.width && box.right > edge + 1) out.push(el.tagName + ' ' + el.textContent.trim().slice(0, 30));
  }
  return {page: document.documentElement.scrollWidth, width, out};
}"""
SMALLEST_PRINT = """(selector) => Math.min(...[...document.querySelectorAll(selector)].map(
  el => parseFloat(getComputedStyle(el).fontSize)))"""


@pytest.fixture
def long_words(transactional_db):
    """An organization with the long e-mail and address of a real school, and its arts program."""
    personas = make_personas()
    organization = personas.org_a
    organization.email = "mbou-sosh-nomer-8-g-krasnorechensk-101@krasnorechensk.edu.example"
    organization.address = "399028, Энская обл., г. Краснореченск, ул. Краснознамённая, д. 118"
    organization.save()
    program = make_program(
        organization,
        "Ансамбль народных инструментов",
        direction="arts",
        is_paid=True,
        price_per_month=Decimal(6000),
        ovz_adapted=True,
        address="399129, Энская обл., Калиновский р-н, с. Калиновка, ул. Художественная, д. 5",
    )
    return organization, program


def _page(browser, live_server, viewport, a11y: str | None):
    """A page in the usual version (None) or in that for the visually impaired, with its settings' cookie."""
    context = browser.new_context(viewport=viewport)
    if a11y:
        context.add_cookies([{"name": "opora_a11y", "value": a11y, "url": live_server.url}])
    return context, context.new_page()


# The largest type, white on black, the widest spacing: the hardest for a phone's width.
LARGEST = "3.black.3.0"


@pytest.mark.parametrize("a11y", [None, "1", LARGEST], ids=["normal", "a11y", "a11y-largest"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_program_organization_and_search_pages_never_scroll_sideways(live_server, browser, long_words, viewport, a11y):
    organization, program = long_words
    context, page = _page(browser, live_server, viewport, a11y)
    for name, path in (
        ("program", f"/programs/{program.code}/"),
        ("organization", f"/organizations/{organization.code}/"),
        ("search", "/programs/?q=ансамбль&age=7"),
        ("organizations", "/organizations/"),
    ):
        page.goto(live_server.url + path)
        found = page.evaluate(OVERFLOW)
        mode = {None: "normal", "1": "a11y"}.get(a11y, "a11y-largest")
        page.screenshot(path=str(SHOTS / f"test-{name}-{viewport['width']}-{mode}.png"), full_page=True)
        assert found["page"] <= found["width"], (name, found)
        assert not found["out"], (name, found["out"])
    context.close()


def test_in_the_version_for_the_visually_impaired_small_print_is_as_large_as_the_text(live_server, browser, long_words):
    organization, _ = long_words
    context, page = _page(browser, live_server, PHONE, a11y="1")
    page.goto(live_server.url + f"/organizations/{organization.code}/")
    text = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert text == 22
    for selector in (".badge", ".program-card .meta span", ".breadcrumbs li", ".seats-ok"):
        assert page.evaluate(SMALLEST_PRINT, selector) >= text, selector
    badge = page.locator(".badge.paid").first
    colours = badge.evaluate("el => [getComputedStyle(el).color, getComputedStyle(el).backgroundColor]")
    assert colours == ["rgb(0, 0, 0)", "rgb(255, 255, 255)"]
    page.goto(live_server.url + "/programs/")
    assert page.evaluate(SMALLEST_PRINT, ".filters .count") >= text
    box = page.locator("input[type=checkbox]").first.bounding_box()
    assert box is not None and box["width"] >= text
    context.close()


def test_at_large_type_tables_become_cards_columns_one_and_the_settings_fold(live_server, browser, long_words):
    _, program = long_words
    path = f"/programs/{program.code}/"
    columns = "getComputedStyle(document.querySelector('.program-head')).gridTemplateColumns.split(' ').length"
    header = "getComputedStyle(document.querySelector('.groups thead')).display"
    # Counted in letters: at large type a desktop has a tablet's room (one column, the groups as cards).
    # The settings stay open where there are 50 letters of room (22px on a desktop), not at the largest type.
    for a11y, column_count, cards, settings_open in (
        (None, 2, False, None),
        ("1", 1, True, True),
        (LARGEST, 1, True, False),
    ):
        context, page = _page(browser, live_server, DESKTOP, a11y)
        page.goto(live_server.url + path)
        assert (page.evaluate(header) == "none") is cards, a11y
        assert page.evaluate(columns) == column_count, a11y
        if settings_open is not None:
            page.wait_for_load_state()  # fold.js runs at DOMContentLoaded
            assert (page.locator(".a11y-panel details").get_attribute("open") is not None) is settings_open, a11y
        context.close()
    context, page = _page(browser, live_server, PHONE, "1")
    page.goto(live_server.url + path)
    panel = page.locator(".a11y-panel details")
    expect(panel).not_to_have_attribute("open", "")
    page.get_by_text("Настройки для слабовидящих").click()
    expect(page.get_by_role("link", name="А++ — очень крупный")).to_be_visible()
    context.close()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_call_to_apply_follows_the_summary_on_a_phone_and_stays_beside_the_texts_on_a_wide_screen(
    live_server, browser, long_words, viewport
):
    _, program = long_words
    program.description = "Играем на балалайке, домре и баяне. " * 40  # a long text, as many programs have
    program.goals = "Развитие музыкального слуха."
    program.save()
    context, page = _page(browser, live_server, viewport, None)
    page.goto(live_server.url + f"/programs/{program.code}/")
    summary = page.get_by_text(program.summary, exact=True).bounding_box()
    call = page.get_by_role("link", name="Войти и записать ребёнка").bounding_box()
    about = page.get_by_role("heading", name="О программе").bounding_box()
    facts = page.get_by_role("heading", name="Коротко").bounding_box()
    if viewport is PHONE:  # the facts and the call right after the summary, before the long texts
        assert summary["y"] < facts["y"] < call["y"] < about["y"], (summary, facts, call, about)
    else:  # in the column beside them, from the top
        assert call["x"] > about["x"] + about["width"] and facts["y"] < summary["y"], (facts, call, summary, about)
        page.mouse.wheel(0, 1200)  # and kept in sight while the family reads them
        expect(page.get_by_role("link", name="Войти и записать ребёнка")).to_be_in_viewport()
    page.screenshot(path=str(SHOTS / f"test-program-call-to-apply-{viewport['width']}.png"), full_page=True)
    context.close()


def test_an_archived_program_on_a_phone_says_it_is_no_longer_held_and_leads_to_similar_ones(live_server, browser):
    personas = make_personas()
    program = make_program(personas.org_a, "Ансамбль народных инструментов", direction="arts")
    similar = make_program(personas.org_a, "Хор «Родничок»", direction="arts")
    enroll_child(program, personas, "Маша")
    change_program_status(personas.operator_a, program, "archive")
    path = f"/programs/{program.code}/"
    for who in (None, personas.family):
        context, page = _page(browser, live_server, PHONE, None)
        if who is not None:  # from the cabinet, where the application says its program is archived
            sign_in(page, live_server.url, who.email, lands_on="/family/")
            expect(page.get_by_text("программа в архиве")).to_be_visible()
            page.screenshot(path=str(SHOTS / "test-archived-program-cabinet-390.png"), full_page=True)
            page.get_by_role("link", name=program.title).click()
            page.wait_for_url(f"**{path}")
        else:
            page.goto(live_server.url + path)
        name = "family" if who else "public"
        page.screenshot(path=str(SHOTS / f"test-archived-program-{name}-390.png"), full_page=True)
        found = page.evaluate(OVERFLOW)
        assert found["page"] <= found["width"] and not found["out"], (name, found)
        expect(page.get_by_role("heading", name="Программа больше не проводится")).to_be_visible()
        expect(page.locator("#groups")).to_have_count(1 if who else 0)
        expect(page.get_by_role("button", name="Подать заявку")).to_have_count(0)
        page.get_by_role("link", name="Найти похожие программы").click()
        expect(page.get_by_role("link", name=similar.title)).to_be_visible()  # searched by direction and place
        expect(page.get_by_role("link", name=program.title)).to_have_count(0)
        context.close()


def test_the_list_of_organizations_counts_again_as_a_filter_is_ticked(live_server, browser, long_words):
    organization, _ = long_words
    school = make_organization(organization.municipality, "МБОУ СОШ № 5", kind="school")
    make_program(school, "Юный химик")
    context, page = _page(browser, live_server, PHONE, None)
    page.goto(live_server.url + "/organizations/")
    expect(page.locator("#result-count")).to_have_text("2 организации")
    page.get_by_text("Фильтры", exact=True).click()
    page.get_by_role("checkbox", name="Общеобразовательная организация").check()
    expect(page.locator("#result-count")).to_have_text("1 организация")
    expect(page.locator(".show-results")).to_have_text("Показать 1 организацию")
    assert page.url.endswith("/organizations/?kind=school&sort=name")  # the address to share
    expect(page.locator(".result-list h3")).to_have_text(["МБОУ СОШ № 5"])
    page.screenshot(path=str(SHOTS / "organizations-phone.png"), full_page=True)
    context.close()


def test_the_list_of_organizations_shows_the_nearest_first_from_where_the_family_is(live_server, browser, long_words):
    organization, _ = long_words
    organization.latitude, organization.longitude = Decimal("56.31"), Decimal("41")
    organization.save()
    school = make_organization(
        organization.municipality, "МБОУ СОШ № 5", latitude=Decimal("56.301"), longitude=Decimal("41")
    )
    make_program(school, "Юный химик")
    context = browser.new_context(
        viewport=PHONE, geolocation={"latitude": 56.3, "longitude": 41.0}, permissions=["geolocation"]
    )
    page = context.new_page()
    page.goto(live_server.url + "/organizations/")
    expect(page.locator(".result-list h3").first).to_have_text(organization.short_name)  # by name
    page.get_by_role("button", name="Рядом со мной").click()
    expect(page.locator(".result-list h3")).to_have_text(["МБОУ СОШ № 5", organization.short_name])
    expect(page.locator(".result-list .distance")).to_have_text(["100 м от вас", "1,1 км от вас"])
    assert "near=56.300%2C41.000" in page.url and "sort=near" in page.url
    page.screenshot(path=str(SHOTS / "organizations-near-phone.png"), full_page=True)
    context.close()
