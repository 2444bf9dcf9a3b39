"""Screenshots of the main pages for the README, taken from a running demo (`make demo`).

Usage: python bench/screenshots.py [base URL]; writes docs/screenshots/*.png.
"""

import sys
from pathlib import Path

from playwright.sync_api import Page, ViewportSize, sync_playwright

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
DESKTOP = ViewportSize(width=1280, height=900)
PHONE = ViewportSize(width=390, height=844)


def shot(page: Page, name: str, full_page: bool = False) -> None:
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=full_page)
    print(f"{name}.png  {page.url}")


def sign_in(page: Page, email: str) -> None:
    page.goto(BASE + "/accounts/login/")
    page.get_by_label("Электронная почта").fill(email)
    page.get_by_label("Пароль").fill("opora-demo")
    page.get_by_role("button", name="Войти").click()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page(viewport=DESKTOP, locale="ru-RU")
        page.goto(BASE + "/")
        shot(page, "home")
        page.goto(BASE + "/programs/?q=робототехника&direction=technical")
        shot(page, "results")
        page.locator(".program-card h3 a").first.click()
        page.wait_for_load_state()
        shot(page, "program", full_page=True)
        page.locator("a[href^='/organizations/']").first.click()
        page.wait_for_load_state()
        shot(page, "organization")
        page.goto(BASE + "/programs/?q=работотехника")
        shot(page, "typo")
        page.goto(BASE + "/organizations/?unit=kvantorium&unit=tochka_rosta")
        shot(page, "organizations")
        sign_in(page, "operator@demo.opora")
        page.goto(BASE + "/office/programs/")
        shot(page, "office-programs")
        page.goto(BASE + "/office/applications/")
        shot(page, "office-applications")
        family = browser.new_page(viewport=PHONE, locale="ru-RU", is_mobile=True)
        sign_in(family, "family@demo.opora")
        family.goto(BASE + "/family/")
        shot(family, "family-cabinet", full_page=True)
        family.locator("a[href*='/certificate/']").first.click()
        family.wait_for_load_state()
        shot(family, "family-certificate", full_page=True)
        phone = browser.new_page(viewport=PHONE, locale="ru-RU", is_mobile=True)
        phone.goto(BASE + "/programs/?q=футбол&age=9")
        shot(phone, "phone-results")
        office = browser.new_page(viewport=DESKTOP, locale="ru-RU")
        sign_in(office, "regional@demo.opora")
        office.goto(BASE + "/office/monitoring/")
        office.wait_for_timeout(500)  # the charts draw after the page has loaded
        shot(office, "monitoring", full_page=True)
        sign_in(office, "municipal@demo.opora")
        office.goto(BASE + "/office/registry/duplicates/")
        shot(office, "registry-duplicates")
        office.goto(BASE + "/office/finance/reports/")
        shot(office, "finance-reports", full_page=True)
        office.goto(BASE + "/office/organizations/?operators=none")
        shot(office, "office-register")
        browser.close()


if __name__ == "__main__":
    main()
