"""Renders docs/preview/og-image.html into core/static/og-image.png (1200×630), the picture messengers and social
networks show beside a link to the Navigator (templates/_page_meta.html). Run by `make og-image` after changing it."""

from pathlib import Path

from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
TARGET = HERE.parent.parent / "core" / "static" / "og-image.png"

with sync_playwright() as playwright:
    browser = playwright.chromium.launch(executable_path="/usr/bin/chromium")
    page = browser.new_page(viewport={"width": 1200, "height": 630})
    page.goto((HERE / "og-image.html").as_uri())
    page.screenshot(path=str(TARGET))
    browser.close()
print(TARGET)
