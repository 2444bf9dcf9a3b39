"""In Chromium, on a phone: the municipal operator opens a pair from the review queue, reads what the
decision rests on, keeps the records apart, finds the pair among the decided ones and reopens it."""

from datetime import date

import pytest

from core.browser import SHOTS, sign_in
from core.testing import make_personas, make_program
from enrollment.models import Application, ApplicationStatus
from people import registry, services
from people.models import Child, EntryChannel, Guardian, MatchCandidate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_review_of_a_pair_on_a_phone(live_server, browser):
    personas = make_personas()
    x = personas.municipality_x
    typed = {"last_name": "Соловьёв", "patronymic": "Игоревич", "birth_date": date(2015, 3, 4), "sex": "m"}
    registry.register_child(
        personas.operator_a,
        Child(first_name="Артём", municipality=x, **typed),
        via=EntryChannel.IMPORT,
        organization=personas.org_a,
    )
    Guardian.objects.create(user=personas.family, last_name="Соловьёва", first_name="Анна", phone="+7 900 111-22-33")
    services.add_child(personas.family, Child(first_name="Тёма", municipality=x, **typed))

    page = browser.new_page(viewport={"width": 390, "height": 844})
    sign_in(page, live_server.url, personas.municipal_x.email)
    page.goto(live_server.url + "/office/registry/duplicates/")
    page.get_by_role("link", name="Сравнить и решить").click()
    page.get_by_role("heading", name="Один ли это ребёнок?").wait_for()
    text = page.locator("main").inner_text()
    assert "Семья в личном кабинете" in text and "Список детей организации" in text and "+7 900 111-22-33" in text
    wide = page.evaluate("() => document.documentElement.scrollWidth")
    assert wide <= 390, f"the page is {wide}px wide on a 390px phone"
    page.screenshot(path=str(SHOTS / "registry-pair-phone.png"), full_page=True)

    page.get_by_role("button", name="Разные дети").click()
    page.get_by_text("Записи оставлены раздельными.").wait_for()
    page.get_by_role("link", name="Решённые").click()
    page.get_by_role("link", name="Открыть пару").click()
    page.get_by_label("Почему пару нужно рассмотреть снова").fill("Семья принесла свидетельство о рождении")
    page.get_by_role("button", name="Вернуть в очередь").click()
    page.get_by_text("Пара возвращена в очередь").wait_for()
    assert "Семья принесла свидетельство о рождении" in page.locator("main").inner_text()
    page.screenshot(path=str(SHOTS / "registry-pair-reopened.png"), full_page=True)


def test_a_blocked_merge_on_a_phone_says_why_in_place_of_the_button(live_server, browser):
    """The family applied to the group its child is enrolled in through the organization's record."""
    personas = make_personas()
    x = personas.municipality_x
    typed = {"last_name": "Соловьёв", "patronymic": "Игоревич", "birth_date": date(2015, 3, 4), "sex": "m"}
    listed = registry.register_child(
        personas.operator_a, Child(first_name="Артём", municipality=x, **typed), organization=personas.org_a
    ).child
    Guardian.objects.create(user=personas.family, last_name="Соловьёва", first_name="Анна")
    added = services.add_child(personas.family, Child(first_name="Тёма", municipality=x, **typed)).child
    robotics = make_program(personas.org_a, "Робототехника", actor=personas.operator_a, age_from=5, age_to=17)
    group = robotics.groups.get()
    enrolled = {"status": ApplicationStatus.ENROLLED, "enrolled_on": date(2025, 9, 1)}
    for child, key, state in ((listed, "org", enrolled), (added, "family", {})):
        Application.objects.create(
            child=child, applicant=personas.operator_a, program=robotics, group=group, idempotency_key=key, **state
        )

    page = browser.new_page(viewport={"width": 390, "height": 844})
    sign_in(page, live_server.url, personas.municipal_x.email)
    page.goto(f"{live_server.url}/office/registry/duplicates/{MatchCandidate.objects.get().pk}/")
    decision = page.locator("section", has=page.get_by_role("heading", name="Решение"))
    assert "Записи нельзя объединить" in decision.inner_text()
    assert page.get_by_role("button", name="Это один ребёнок — объединить").count() == 0
    assert page.get_by_role("button", name="Разные дети").is_visible()
    wide = page.evaluate("() => document.documentElement.scrollWidth")
    assert wide <= 390, f"the page is {wide}px wide on a 390px phone"
    decision.screenshot(path=str(SHOTS / "registry-pair-merge-refused-phone.png"))
