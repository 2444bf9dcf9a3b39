"""An operator in Debian's Chromium: a group form that failed opens on the summary of its errors."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from catalog import services
from core.browser import SHOTS, sign_in
from core.testing import make_personas, make_program

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_failed_group_form_puts_the_focus_on_the_summary_whose_links_lead_to_the_rows(live_server, browser):
    personas = make_personas()
    program = make_program(personas.org_a, "Юный программист", status="draft", with_group=False, age_from=7, age_to=12)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, live_server.url, personas.operator_a.email)

    page.goto(f"{live_server.url}/office/programs/{program.code}/groups/new/")
    page.fill("#id_name", "Вторник")
    year = services.planned_academic_year(timezone.localdate())  # the form's default
    page.fill("#id_start_date", f"{year}-09-01")
    page.fill("#id_end_date", f"{year + 1}-05-31")
    page.fill("#id_capacity", "12")
    for row, (starts, ends) in enumerate((("15:00", "16:30"), ("15:30", "17:00"))):
        page.select_option(f"#id_schedule-{row}-weekday", "1")
        page.fill(f"#id_schedule-{row}-starts_at", starts)
        page.fill(f"#id_schedule-{row}-ends_at", ends)
    page.select_option("#id_financing-0-source", "budget")
    page.get_by_role("button", name="Сохранить").click()

    # The only mistakes are far down the page, in the timetable; the page opens on them all the same
    # (the focus moves once the page's scripts have run: wait for it).
    summary = page.locator("#form-errors")
    expect(summary).to_be_focused()
    assert "Занятия группы пересекаются: Вт 15:00–16:30 и Вт 15:30–17:00." in summary.inner_text()
    page.screenshot(path=str(SHOTS / "office-group-errors.png"), full_page=True)
    summary.get_by_role("link", name="Занятие 2, начало").click()
    assert page.url.endswith("#id_schedule-1-starts_at")
    assert page.locator("#id_schedule-1-starts_at").is_visible()
