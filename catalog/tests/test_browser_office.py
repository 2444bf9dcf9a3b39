"""In Debian's Chromium: a group form that failed opens on the summary of its errors; a municipality registers an
organization, whose invited operator sets a password from the letter and adds a teacher."""

import re

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from catalog import services
from core.browser import SHOTS, sign_in
from core.testing import make_personas, make_program
from core.validators import inn_check_digits, ogrn_check_digit

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


def test_the_municipality_registers_an_organization_whose_invited_operator_sets_a_password_and_adds_a_teacher(
    live_server, browser
):
    personas = make_personas()
    municipal = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(municipal, live_server.url, personas.municipal_x.email)
    municipal.get_by_role("link", name="Организации территории").click()
    municipal.get_by_role("link", name="Добавить организацию").click()
    municipal.get_by_label("Полное наименование").fill("Муниципальное бюджетное учреждение «Дом науки»")
    municipal.get_by_label("Краткое наименование").fill("Дом науки")
    municipal.get_by_label("Тип").select_option(label="Организация дополнительного образования")
    municipal.get_by_label("ИНН").fill(inn_check_digits("770123456"))
    municipal.get_by_label("ОГРН").fill(ogrn_check_digit("102770012345"))
    municipal.get_by_label("Муниципалитет").select_option(label=personas.municipality_x.name)
    municipal.locator("#id_address").fill("г. Энск, ул. Мира, д. 3")
    municipal.locator("#id_units-0-kind").select_option(label="Центр цифрового образования «IT-куб»")
    municipal.locator("#id_units-0-name").fill("IT-куб")
    municipal.get_by_label("Электронная почта оператора").fill("orlova@example.ru")
    municipal.get_by_label("Фамилия оператора").fill("Орлова")
    municipal.get_by_label("Имя оператора").fill("Вера")
    municipal.get_by_role("button", name="Сохранить").click()
    expect(municipal.get_by_text("Организация сохранена в реестре: Дом науки.")).to_be_visible()
    municipal.screenshot(path=str(SHOTS / "office-register.png"), full_page=True)

    link = re.search(r"https?://\S+/accounts/password/\S+/", mail.outbox[-1].body)
    assert link is not None and mail.outbox[-1].to == ["orlova@example.ru"]
    operator = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    operator.goto(link.group(0))
    operator.locator("#id_new_password1").fill("dom-nauki-2026-parol")
    operator.locator("#id_new_password2").fill("dom-nauki-2026-parol")
    operator.get_by_role("button", name="Сохранить пароль").click()
    operator.wait_for_url("**/accounts/password/done/")
    operator.goto(live_server.url + "/accounts/login/")
    operator.get_by_label("Электронная почта").fill("orlova@example.ru")
    operator.get_by_label("Пароль").fill("dom-nauki-2026-parol")
    operator.get_by_role("button", name="Войти").click()
    operator.wait_for_url("**/office/")
    operator.get_by_role("link", name="Педагоги и доступ").click()
    operator.get_by_role("link", name="Добавить педагога").click()
    operator.get_by_label("Фамилия").fill("Петров")
    operator.locator("#id_first_name").fill("Илья")
    operator.get_by_role("button", name="Сохранить").click()
    expect(operator.get_by_text("Карточка педагога сохранена: Петров Илья.")).to_be_visible()
    expect(operator.get_by_role("link", name="Изменить : Петров Илья")).to_be_visible()
    operator.screenshot(path=str(SHOTS / "office-staff-phone.png"), full_page=True)
