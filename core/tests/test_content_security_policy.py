"""Every page says which scripts and styles may run: the site's own files only. The browser tests
fail on any refusal (core.browser); here the pages no other browser test opens: the admin and the
API's documentation."""

import pytest
from django.urls import reverse

from core.browser import SHOTS
from core.testing import PASSWORD, make_personas, make_program

POLICY = (
    "default-src 'self'; img-src 'self' data: https://tile.openstreetmap.org; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)  # images from elsewhere: the map's tiles only (OPORA_MAP_TILES)


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/programs/?q=робот", "/api/v1/programs", "/no-such-page/", "/accounts/login/"])
def test_pages_api_and_errors_carry_the_policy(client, url):
    response = client.get(url)
    assert response["Content-Security-Policy"] == POLICY
    assert "unsafe-inline" not in POLICY and "unsafe-eval" not in POLICY


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_admin_and_api_docs_run_under_the_policy(live_server, browser):
    personas = make_personas()
    program = make_program(personas.org_a, "Робототехника", actor=personas.operator_a)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(live_server.url + reverse("admin:login"))
    page.fill("#id_username", personas.admin.email)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")
    page.goto(live_server.url + reverse("admin:catalog_program_changelist"))
    page.locator("#changelist-search").wait_for()
    # Archiving a selection stops at a page that says what it means.
    page.check(f"input[name=_selected_action][value='{program.pk}']")
    page.select_option("select[name=action]", "program_archive")
    page.get_by_role("button", name="Выполнить").click()
    page.get_by_role("heading", name="Перенести программы в архив?").wait_for()
    page.screenshot(path=str(SHOTS / "admin-archive-confirmation.png"))
    page.get_by_role("link", name="Нет, вернуться").click()
    page.locator("#changelist-search").wait_for()
    page.goto(live_server.url + reverse("admin:catalog_program_add"))
    page.locator("#id_organization").wait_for()  # the autocomplete widget, by admin's scripts
    assert page.locator(".select2-container").count() >= 1
    page.goto(live_server.url + "/api/v1/docs")
    page.locator(".swagger-ui .info .title").wait_for()  # Swagger UI rendered the schema
    assert "Опора" in page.locator(".swagger-ui .info .title").inner_text()
    page.screenshot(path=str(SHOTS / "api-docs.png"))


@pytest.mark.django_db
def test_djangos_own_debug_pages_keep_their_inline_styles(client, settings):
    settings.DEBUG = True
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and "Content-Security-Policy" not in response
    assert client.get("/programs/")["Content-Security-Policy"] == POLICY
