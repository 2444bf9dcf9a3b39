"""In Chromium: a family registers, confirms the e-mail, adds a child and applies; the organization
invites and enrolls; the family sees «Зачислен»; an expulsion is asked about before it is sent. A family subscribes
to a search that found nothing and unsubscribes in the cabinet."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from playwright.sync_api import expect

from core.browser import SHOTS, sign_in
from core.testing import make_personas, make_program
from enrollment.models import Application, ApplicationStatus, SearchAlert

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_from_registration_to_enrollment(live_server, browser):
    personas = make_personas()
    program = make_program(personas.org_a, "Робототехника", actor=personas.operator_a)
    start = program.groups.get().start_date
    birth = (start - timedelta(days=9 * 366)).isoformat()

    family = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    family.goto(live_server.url + f"/programs/{program.code}/")
    family.get_by_role("link", name="Войти и записать ребёнка").click()
    family.get_by_role("link", name="Зарегистрируйтесь").click()
    family.get_by_label("Электронная почта").fill("mama@example.ru")
    family.get_by_label("Фамилия").fill("Иванова")
    family.get_by_label("Имя").fill("Анна")
    family.get_by_label("Муниципалитет, где вы живёте").select_option(label="Энск")
    family.get_by_label("Пароль", exact=True).fill("ochen-dlinny-parol-42")
    family.get_by_label("Пароль ещё раз").fill("ochen-dlinny-parol-42")
    family.get_by_label("Я даю согласие").check()
    family.get_by_role("button", name="Зарегистрироваться").click()
    family.get_by_text("Почти готово").wait_for()
    link = re.search(r"https?://\S+/accounts/confirm/\S+/", mail.outbox[-1].body)
    assert link is not None
    family.goto(link.group(0))
    family.get_by_role("heading", name="Мои дети и заявки").wait_for()

    family.get_by_role("link", name="Добавить ребёнка").first.click()
    family.get_by_label("Имя").fill("Маша")
    family.get_by_label("Дата рождения").fill(birth)
    family.get_by_label("Пол").select_option(label="Женский")
    family.get_by_role("button", name="Сохранить").click()
    family.goto(live_server.url + f"/programs/{program.code}/")
    family.get_by_role("button", name="Подать заявку").click()
    family.get_by_text("Новая").first.wait_for()
    family.screenshot(path=str(SHOTS / "family-applied.png"), full_page=True)

    office = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(office, live_server.url, personas.operator_a.email)
    office.goto(live_server.url + "/office/applications/")
    for action in ("Пригласить", "Зачислить"):
        office.get_by_label(re.compile("выбрать заявку")).first.check()
        office.get_by_label("Действие").select_option(label=action)
        office.get_by_role("button", name="Выполнить").click()
        office.get_by_text(f"Выполнено «{action}»").wait_for()
    office.screenshot(path=str(SHOTS / "office-applications.png"), full_page=True)

    # Back to the family's tab: a tab behind another is not painted, and Chromium may refuse its screenshot.
    family.bring_to_front()
    family.goto(live_server.url + "/family/")
    assert family.get_by_text("Зачислен", exact=True).is_visible()
    family.screenshot(path=str(SHOTS / "family-enrolled.png"), full_page=True)

    # An expulsion asks first: declined, nothing is sent; confirmed, the child is expelled.
    office.goto(live_server.url + "/office/applications/")
    pick_all = office.get_by_label("Выбрать все заявки на странице")
    pick_all.check()  # and unticked again: «выбрать все» ticks every application of the page
    assert (
        office.locator('input[name="application"]:checked').count()
        == office.locator('input[name="application"]').count()
    )
    jump = office.get_by_role("link", name=re.compile("— к действиям"))
    expect(jump).to_have_text(f"Выбрано: {office.locator('input[name=application]').count()} — к действиям")
    pick_all.uncheck()
    assert office.locator('input[name="application"]:checked').count() == 0
    expect(jump).to_be_hidden()  # nothing ticked: nothing to lead to
    office.get_by_label(re.compile("выбрать заявку")).first.check()
    expect(jump).to_have_text("Выбрано: 1 — к действиям")
    jump.click()
    office.wait_for_url(re.compile("#bulk-actions$"))
    office.get_by_label("Действие").select_option(label="Отчислить")
    office.get_by_label(re.compile("Причина")).fill("Переезд")
    asked: list[str] = []
    office.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    office.get_by_role("button", name="Выполнить").click()
    assert asked and asked[0].startswith("Отчислить выбранных детей?")
    assert Application.objects.get().status == ApplicationStatus.ENROLLED
    office.once("dialog", lambda dialog: dialog.accept())
    office.get_by_role("button", name="Выполнить").click()
    office.get_by_text("Выполнено «Отчислить»").wait_for()
    assert Application.objects.get().status == ApplicationStatus.EXPELLED


def test_a_family_subscribes_under_a_search_that_found_nothing_and_unsubscribes_in_the_cabinet(live_server, browser):
    personas = make_personas()
    make_program(personas.org_a, "Шахматы", actor=personas.operator_a)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, live_server.url, personas.family.email, lands_on="/family/")
    page.goto(live_server.url + "/programs/?q=бокс")
    expect(page.get_by_role("heading", name="Ничего не нашлось")).to_be_visible()
    # Its button sits inside the search's form and posts through the form beside it, not the search.
    page.get_by_role("button", name="Сообщать о новых программах").click()
    expect(page.get_by_text(f"Готово: письма придут на {personas.family.email}.")).to_be_visible()
    page.screenshot(path=str(SHOTS / "test-search-alert-1280.png"), full_page=True)
    assert list(SearchAlert.objects.values_list("user", "query")) == [
        (personas.family.pk, "q=%D0%B1%D0%BE%D0%BA%D1%81")
    ]
    # Another filter is another search (htmx swaps the results and the offer with them).
    page.get_by_label("Бесплатно").check()
    expect(page.get_by_role("button", name="Сообщать о новых программах")).to_be_visible()
    expect(page.get_by_text("Вы подписаны")).to_have_count(0)
    page.goto(live_server.url + "/family/")
    page.get_by_role("button", name="Отписаться: «бокс»").click()
    expect(page.get_by_text("Письма о новых программах по этому поиску больше не придут.")).to_be_visible()
    assert not SearchAlert.objects.exists()
