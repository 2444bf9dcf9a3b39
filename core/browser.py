"""Debian's Chromium driven by Playwright for browser tests; nothing downloads a browser.

Screenshots land in artifacts/screenshots/ (git-ignored) so that a person can look at the pages.
"""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connections

from core.testing import PASSWORD

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(settings.BASE_DIR) / "artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def sign_in(page: Any, base_url: str, email: str, lands_on: str = "/office/") -> None:
    """Sign in through the login form with the test password, and wait for the page it lands on,
    so that the next page is asked for signed in."""
    page.goto(base_url + "/accounts/login/")
    page.get_by_label("Электронная почта").fill(email)
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Войти").click()
    page.wait_for_url(f"**{lands_on}")


# A tile of the map: one grey pixel, answered for the tile server's address (a test machine has no Internet).
MAP_TILE = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c63b87bf7ee7f"
    "0008c90397affde77b0000000049454e44ae426082"
)


def serve_map_tiles(page: Any) -> list[str]:
    """Answer the map's tiles (OPORA_MAP_TILES) for this page or context with MAP_TILE; the addresses asked for."""
    asked: list[str] = []

    def tile(route: Any) -> None:
        asked.append(route.request.url)
        route.fulfill(status=200, content_type="image/png", body=MAP_TILE)

    origin = settings.OPORA_MAP_TILES.split("{", 1)[0]
    page.route(origin + "**", tile)
    return asked


class WatchedBrowser:
    """Chromium, whose pages report what the Content-Security-Policy refused and the errors of their
    scripts: every browser test fails on either, so a new inline style or script, or a script run twice
    (its declarations said again), cannot slip in unnoticed."""

    def __init__(self, chromium: Any) -> None:
        self.chromium = chromium
        self.violations: list[str] = []

    def new_page(self, **options: Any) -> Any:
        page = self.chromium.new_page(**options)
        self._watch(page)
        return page

    def new_context(self, **options: Any) -> Any:
        context = self.chromium.new_context(**options)
        context.on("page", self._watch)
        return context

    def _watch(self, page: Any) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.violations.append(f"{page.url}: {error}"))

    def _console(self, message: Any) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            self.violations.append(f"{message.location.get('url')}: {message.text}")


@pytest.fixture
def browser() -> Iterator[WatchedBrowser]:
    sync_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API runs an event loop in this thread, and the test's ORM calls happen while it runs.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        watched = WatchedBrowser(chromium)
        yield watched
        chromium.close()
        # While Playwright's loop runs, the test's ORM calls get connections of their own (asgiref sees an
        # async context): closed here, or PostgreSQL refuses to drop the test database at the end.
        connections.close_all()
    assert watched.violations == [], "refused or failed in the page: " + "; ".join(watched.violations)
