"""A family in Debian's Chromium: search → filter → open a program → see its groups.

Screenshots land in artifacts/screenshots/ (git-ignored) so that a person can look at the pages.
"""

import re
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

from catalog.models import Organization, OvzCategory, StudyPlace
from catalog.services import save_study_place
from core.browser import SHOTS, serve_map_tiles, sign_in
from core.testing import make_group, make_organization, make_personas, make_program

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
    expect(page.locator(".program-card")).to_have_count(1)
    assert "funding=free" in page.url
    # The filters' counts follow the new search, and the checkbox just clicked keeps the focus.
    technical = page.locator("#filter-direction-technical").locator("xpath=ancestor::div[1]").locator(".count")
    expect(technical).to_have_text("1")
    expect(page.locator("#filter-funding-free")).to_be_focused()
    page.screenshot(path=str(SHOTS / "results.png"), full_page=True)

    page.click("text=Робототехника и конструирование")
    page.wait_for_url(f"**/programs/{catalog_for_browser.code}/")
    assert page.locator("h1").inner_text() == "Робототехника и конструирование"
    groups = page.locator("table.groups tbody tr")
    assert groups.count() == 2
    assert "Группа «Инженеры»" in page.locator("table.groups").inner_text()
    page.screenshot(path=str(SHOTS / "program.png"), full_page=True)


def test_a_program_is_shared_by_its_address(live_server, browser, catalog_for_browser):
    """Where the browser has no sharing sheet (a desktop's Chromium), «Поделиться» copies the program's address; without
    JavaScript the button is not offered."""
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    path = f"/programs/{catalog_for_browser.code}/"
    page.goto(live_server.url + path + "?direction=technical")
    assert page.evaluate("typeof navigator.share") == "undefined"
    page.get_by_role("button", name="Поделиться").click()
    expect(page.get_by_role("status").filter(has_text="Ссылка скопирована.")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == live_server.url + path
    context.close()
    plain = browser.new_context(java_script_enabled=False)
    page = plain.new_page()
    page.goto(live_server.url + path)
    expect(page.get_by_role("button", name="Поделиться")).to_be_hidden()
    plain.close()


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 500}, {"width": 390, "height": 600}])
def test_a_filter_ticked_low_on_the_page_stays_where_it_was(live_server, browser, catalog_for_browser, viewport):
    """htmx replaces the filters: the browser's scroll anchoring must not carry the page off (it
    jumped a screen and more down, leaving the checkbox out of sight)."""
    page = browser.new_page(viewport=viewport)
    page.goto(live_server.url + "/programs/?q=робототехника")
    if not page.locator("input[name=day][value='5']").is_visible():
        page.click(".filters summary")  # folded on a phone
    day = page.locator("input[name=day][value='5']")
    day.evaluate("box => box.scrollIntoView({block: 'center'})")
    before = day.evaluate("box => box.getBoundingClientRect().top")
    with page.expect_response(lambda r: "day=5" in r.url):
        day.check()
    page.wait_for_timeout(300)  # the swap settles
    after = page.locator("input[name=day][value='5']").evaluate("box => box.getBoundingClientRect().top")
    assert abs(after - before) < 5, (before, after)


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


def test_on_a_phone_the_filters_lead_to_the_results_they_changed(live_server, browser, catalog_for_browser):
    """Below a panel of filters a screen and more tall, a ticked filter updates results out of sight:
    a button at the panel's foot, in sight, says how many and leads to them."""
    phone = browser.new_context(viewport={"width": 390, "height": 700}, is_mobile=True, has_touch=True)
    page = phone.new_page()
    page.goto(live_server.url + "/programs/")
    page.get_by_text("Фильтры", exact=True).click()
    show = page.locator(".show-results")
    assert show.is_visible()
    before = show.inner_text()
    page.get_by_role("checkbox", name="Физкультурно-спортивная").check()
    # Waited for until htmx has swapped the panel: the old button already reads «Показать N программ».
    expect(show).not_to_have_text(before)
    expect(show).to_have_text(re.compile(r"^Показать \d+ программ[уы]?$"))
    expect(show).to_be_in_viewport(ratio=1)  # in sight, though the panel runs on
    show.tap()
    assert page.get_by_role("checkbox", name="Физкультурно-спортивная").is_hidden()  # the panel folded
    top = page.locator(".result-head").evaluate("head => head.getBoundingClientRect().top")
    assert -1 < top < 100, top  # at the top, give or take the part of a pixel a scroll rounds
    page.screenshot(path=str(SHOTS / "filters-to-results-phone.png"))
    phone.close()
    desktop = browser.new_page(viewport={"width": 1280, "height": 900})
    desktop.goto(live_server.url + "/programs/")
    assert desktop.locator(".show-results").is_hidden()  # the results are beside the filters
    desktop.close()


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, {"width": 390, "height": 844}])
def test_near_me_shows_the_nearest_first_with_their_distances(live_server, browser, catalog_for_browser, viewport):
    robotics_there = catalog_for_browser.organization_id
    Organization.objects.filter(pk=robotics_there).update(latitude=Decimal("56.31"), longitude=Decimal("41"))
    Organization.objects.exclude(pk=robotics_there).update(latitude=Decimal("56.35"), longitude=Decimal("41"))
    # The address keeps the filters chosen and the age; the place and the order are the button's.
    context = browser.new_context(
        viewport=viewport, geolocation={"latitude": 56.3, "longitude": 41.0}, permissions=["geolocation"]
    )
    page = context.new_page()
    page.goto(live_server.url + "/programs/?funding=free&sort=title")
    page.get_by_role("button", name="Рядом со мной").click()
    page.wait_for_url("**near=**")
    assert "funding=free" in page.url and "sort=near" in page.url and "sort=title" not in page.url
    expect(page.locator("#sort")).to_have_value("near")
    distances = page.locator(".program-card .distance")
    expect(distances).to_have_text(["1,1 км от вас", "5,6 км от вас"])  # робототехника (free), then шахматы
    expect(page.get_by_role("link", name="Убрать фильтр Рядом с вами")).to_be_visible()
    width = "phone" if viewport["width"] < 500 else "desktop"
    # No screenshot before htmx swaps: Playwright leaves styles in the page that htmx's history copy re-parses,
    # which the Content-Security-Policy refuses.
    if width == "phone":
        page.get_by_text("Фильтры", exact=True).click()  # folded on a phone
    # A distance narrows the same search at once, counted for each choice.
    expect(page.locator("#within option[value='3']")).to_have_text("до 3 км (1)")
    with page.expect_response(lambda r: "within=3" in r.url):
        page.select_option("#within", "3")
    expect(distances).to_have_text(["1,1 км от вас"])
    assert "near=56.300" in page.url and "sort=near" in page.url
    page.screenshot(path=str(SHOTS / f"near-me-within-{width}.png"), full_page=True)
    context.close()
    # Where the browser may not tell the place, it says so and the search stays as it was.
    page = browser.new_page(viewport=viewport)
    page.goto(live_server.url + "/programs/?funding=free")
    page.get_by_role("button", name="Рядом со мной").click()
    expect(page.locator("#near-me-status")).to_contain_text("Браузер не разрешил определить местоположение")
    assert "near=" not in page.url
    page.close()


def test_near_me_from_the_home_page_searches_what_was_typed_from_where_the_family_is(
    live_server, browser, catalog_for_browser
):
    Organization.objects.update(latitude=Decimal("56.31"), longitude=Decimal("41"))
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        geolocation={"latitude": 56.3, "longitude": 41.0},
        permissions=["geolocation"],
    )
    page = context.new_page()
    page.goto(live_server.url + "/")
    page.fill("#home-q", "робототехника")
    page.get_by_role("button", name="Кружки рядом со мной").click()
    page.wait_for_url("**near=**")
    assert page.url == live_server.url + "/programs/?" + urlencode(
        {"q": "робототехника", "near": "56.300,41.000", "sort": "near"}
    )
    expect(page.locator(".program-card .distance")).to_have_text(["1,1 км от вас", "1,1 км от вас"])
    page.goto(live_server.url + "/")
    page.screenshot(path=str(SHOTS / "home-near-me-phone.png"))
    context.close()


def test_ticking_adapted_programs_offers_the_categories_of_children_with_ovz(live_server, browser, transactional_db):
    personas = make_personas()
    make_program(personas.org_a, "Жестовое пение", direction="arts", ovz_adapted=True, ovz_categories=("deaf",))
    make_program(personas.org_a, "Шахматы без границ", direction="sport", ovz_adapted=True, ovz_categories=("blind",))
    make_program(personas.org_a, "Робототехника")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(live_server.url + "/programs/")
    categories = page.locator("input[name=ovz_category]")
    expect(categories).to_have_count(0)
    with page.expect_response(lambda r: "ovz=1" in r.url):
        page.get_by_role("checkbox", name="Адаптирована для детей с ОВЗ").check()
    expect(categories).to_have_count(OvzCategory.objects.count())
    expect(page.locator(".program-card")).to_have_count(2)
    with page.expect_response(lambda r: "ovz_category=deaf" in r.url):
        page.get_by_role("checkbox", name="Глухие").check()
    expect(page.locator(".program-card")).to_have_count(1)
    expect(page.locator(".program-card")).to_contain_text("Жестовое пение")
    expect(page.get_by_role("link", name="Убрать фильтр Глухие")).to_be_visible()
    expect(page.locator("#filter-ovz_category-deaf")).to_be_focused()


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


def _search_requests(page) -> list[str]:
    """The addresses of the search requests htmx sends from now on."""
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if r.headers.get("hx-request") and "/programs/" in r.url else None)
    return sent


def _settled(page) -> None:
    """Long enough for a second, duplicate request to have left: a duplicate follows within milliseconds."""
    page.wait_for_timeout(400)


def test_back_from_a_program_shows_the_whole_search_page(live_server, browser, catalog_for_browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(live_server.url + "/programs/?q=робототехника")
    with page.expect_response(lambda r: "funding=free" in r.url):
        page.check("input[name=funding][value=free]")
    expect(page.locator(".program-card")).to_have_count(1)
    page.click("text=Робототехника и конструирование")
    page.wait_for_url(f"**/programs/{catalog_for_browser.code}/")

    page.go_back()
    page.wait_for_url("**/programs/?*funding=free*")
    # The page, not the fragment the browser's cache kept for the same address.
    assert page.locator(".site-header").is_visible() and page.locator("#q").input_value() == "робототехника"
    assert page.locator("#filter-funding-free").is_checked() and page.locator(".program-card").count() == 1
    assert page.title() == "«робототехника» — Поиск программ — Опора"

    # Back within the page, when htmx's own history cache has lost the entry: it asks the server.
    with page.expect_response(lambda r: "funding=paid" in r.url):
        page.check("input[name=funding][value=paid]")
    expect(page.locator(".program-card")).to_have_count(2)
    page.evaluate("sessionStorage.removeItem('htmx-history-cache')")
    with page.expect_response(lambda r: r.request.headers.get("hx-history-restore-request") == "true"):
        page.go_back()
    expect(page.locator(".program-card")).to_have_count(1)
    assert page.locator(".site-header").count() == 1 and page.locator("#q").input_value() == "робототехника"


def test_one_action_sends_one_request_with_only_what_was_chosen(live_server, browser, catalog_for_browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(live_server.url + "/programs/")
    sent = _search_requests(page)

    page.fill("#q", "робототехника")
    with page.expect_response(lambda r: "q=" in r.url):
        page.press("#q", "Enter")
    _settled(page)
    assert len(sent) == 1
    # Neither the empty boxes nor the default sort fill the address bar.
    assert page.url == live_server.url + "/programs/?" + urlencode({"q": "робототехника"})
    assert page.title() == "«робототехника» — Поиск программ — Опора"

    # Typing an age and pressing «Найти»: the box's change on leaving it sends nothing of its own.
    page.fill("#age", "9")
    with page.expect_response(lambda r: "age=9" in r.url):
        page.click("#search-form .search-bar button[type=submit]")
    _settled(page)
    assert len(sent) == 2

    # A checkbox and a select search at once, once each.
    with page.expect_response(lambda r: "funding=paid" in r.url):
        page.check("input[name=funding][value=paid]")
    expect(page.locator(".program-card")).to_have_count(1)
    _settled(page)
    with page.expect_response(lambda r: "sort=title" in r.url):
        page.select_option("#sort", "title")
    _settled(page)
    assert len(sent) == 4
    assert page.url.endswith("&age=9&funding=paid&sort=title")
    # Stepping through the closed sort list with the keyboard searches once, for the option left on.
    page.focus("#sort")
    for key in ("ArrowDown", "ArrowUp", "ArrowUp"):  # title → new → title → popular
        page.keyboard.press(key)
    _settled(page)
    assert len(sent) == 4
    with page.expect_response(lambda r: "sort=popular" in r.url):
        page.keyboard.press("Tab")
    _settled(page)
    assert len(sent) == 5 and page.locator("#sort").input_value() == "popular"
    with page.expect_response(lambda r: "sort=title" in r.url):
        page.select_option("#sort", "title")  # and a choice by pointer searches at once, as before
    _settled(page)
    assert len(sent) == 6
    assert "=&" not in page.url and not page.url.endswith("=")

    # The live region is the count: it stays in place and says the new number.
    assert page.locator("[aria-live], [role=status]").evaluate_all("els => els.map(e => e.id)") == ["result-count"]
    assert page.locator("#result-count").inner_text() == "1 программа"


def test_long_queries_wrap_on_a_phone(live_server, browser, catalog_for_browser):
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = phone.new_page()
    long_word = "робототехника" * 4 + "ааааа"  # 57 letters
    for query in [long_word, " ".join([long_word] * 3)[:200]]:
        page.goto(live_server.url + "/programs/?q=" + query)
        assert page.locator(".chip").first.inner_text().startswith("«робототехника")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(SHOTS / "search-long-query-phone.png"), full_page=True)
    assert page.locator("#q").get_attribute("maxlength") == "200"
    page.goto(live_server.url + "/programs/?q=робототехника&age=abc")
    page.screenshot(path=str(SHOTS / "search-phone.png"), full_page=True)
    phone.close()
    desktop = browser.new_page(viewport={"width": 1280, "height": 900})
    desktop.goto(live_server.url + "/programs/?q=робототехника&direction=technical")
    desktop.screenshot(path=str(SHOTS / "search-desktop.png"), full_page=True)
    desktop.close()


def test_the_moderators_remark_stands_under_its_label_and_over_its_button_on_a_desktop(live_server, browser):

    personas = make_personas()
    make_program(personas.org_a, "Робототехника", status="moderating")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, live_server.url, personas.municipal_x.email)
    page.goto(live_server.url + "/office/moderation/")
    form = page.locator("form.transition-remark")
    label, remark = form.locator("label").bounding_box(), form.locator("textarea").bounding_box()
    button = form.get_by_role("button", name="Вернуть на доработку").bounding_box()
    assert label and remark and button
    assert label["y"] + label["height"] <= remark["y"] and remark["y"] + remark["height"] <= button["y"]
    assert label["x"] == remark["x"] == button["x"] and remark["width"] >= 400
    publish = page.get_by_role("button", name="Опубликовать").bounding_box()
    assert publish and publish["x"] == label["x"] and publish["y"] + publish["height"] <= label["y"]  # a row of its own
    page.screenshot(path=str(SHOTS / "office-moderation-queue.png"), full_page=True)


def test_on_the_map_markers_gather_the_places_and_open_their_programs(live_server, browser):
    personas = make_personas()
    centre = make_organization(
        personas.municipality_x, "ЦДТ", address="г. Энск, ул. Ленина, д. 1", latitude=Decimal("56.3"), longitude=41
    )
    far = make_organization(
        personas.municipality_x, "Станция туристов", address="г. Энск, ул. Лесная, д. 9", latitude=57, longitude=42
    )
    chess = make_program(centre, "Шахматы", direction="sport")
    make_program(centre, "Робототехника")
    make_program(far, "Туризм", direction="tourism")
    make_group(chess, address="г. Энск, ул. Школьная, д. 7")  # no place known there: on the map at the centre only
    # The chess club's other group meets in a gym 200 m from the centre: near enough to be gathered with it.
    gym = StudyPlace(organization=centre, address="г. Энск, ул. Ленина, д. 3", name="Спортзал")
    gym.latitude, gym.longitude = Decimal("56.302"), Decimal("41.000")
    make_group(chess, address=save_study_place(None, gym).address)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    tiles = serve_map_tiles(page)
    page.goto(live_server.url + "/programs/")
    page.get_by_role("link", name="На карте").click()
    page.wait_for_url("**/programs/?view=map")
    markers = page.locator(".leaflet-marker-icon.map-marker")
    expect(markers).to_have_count(2)  # the centre and its gym gathered in one marker, the station in another
    # Two programs in the two places: the chess club, held in both, counted once.
    gathered = page.get_by_role("button", name="2 программы в 2 местах рядом: приблизить")
    expect(gathered).to_have_text(re.compile("^2"))
    assert tiles, "the map asked for no tile"
    gathered.click()  # zoomed in: each place its own marker
    expect(page.get_by_role("button", name="г. Энск, ул. Ленина, д. 1: 2 программы")).to_be_visible()
    expect(page.get_by_role("button", name="Спортзал: 1 программа")).to_be_visible()
    page.reload()  # the whole map again
    page.get_by_role("button", name="г. Энск, ул. Лесная, д. 9: 1 программа").click()
    popup = page.locator(".leaflet-popup-content")
    expect(popup.get_by_role("link", name="Туризм")).to_be_visible()
    page.screenshot(path=str(SHOTS / "results-map.png"))
    # A filter changed: htmx brings the results, the map is drawn again for them and stays a map.
    page.locator("#filter-direction-tourism").check()
    expect(page).to_have_url(re.compile(r"direction=tourism"))
    expect(page).to_have_url(re.compile(r"view=map"))
    expect(markers).to_have_count(1)
    expect(page.get_by_role("button", name="г. Энск, ул. Лесная, д. 9: 1 программа")).to_be_visible()
    page.get_by_role("link", name="Списком").click()
    expect(page.locator(".program-card")).to_have_count(1)
    expect(markers).to_have_count(0)


def test_on_the_map_from_a_place_the_family_sees_the_nearest_places_around_it(live_server, browser):
    personas = make_personas()
    for n in range(1, 8):  # centres 0.5–3.5 km north of the family, the farther the later
        centre = make_organization(
            personas.municipality_x,
            f"ЦДТ № {n}",
            address=f"г. Энск, ул. Садовая, д. {n}",
            latitude=Decimal("56.300") + Decimal("0.005") * n,
            longitude=41,
        )
        make_program(centre, f"Шахматы {n}")
    far = make_organization(
        personas.municipality_x, "Станция туристов", address="г. Энск, ул. Лесная, д. 9", latitude=57, longitude=42
    )
    make_program(far, "Туризм", direction="tourism")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    serve_map_tiles(page)
    page.goto(live_server.url + "/programs/?view=map&near=56.300,41.000")
    expect(page.locator(".map-marker-here")).to_be_in_viewport()
    nearest = page.get_by_role("button", name=re.compile(r"Садовая, д\. 1: 1 программа|рядом: приблизить"))
    expect(nearest.first).to_be_in_viewport()
    # The station, 100 km away, is a zoom away: not drawn around the family.
    expect(page.get_by_role("button", name=re.compile("Лесная"))).to_have_count(0)
    page.screenshot(path=str(SHOTS / "results-map-near.png"))
