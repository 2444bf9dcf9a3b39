import functools
from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from accounts.roles import principal_of
from core import a11y

HEADER_LINKS = {
    "home": "navigator:home",
    "search": "navigator:search",
    "organizations": "navigator:organizations",
    "cabinet": "family:cabinet",
    "office": "office:home",
    "login": "accounts:login",
    "logout": "accounts:logout",
    "register": "accounts:register",
    "a11y": "navigator:a11y",
}


def site(request: HttpRequest) -> dict[str, Any]:
    """The version for the visually impaired (its settings, None for the usual one), the signed-in
    person's scope and the header's links, for every template."""
    settings = a11y.from_cookie(request.COOKIES.get(a11y.COOKIE))
    return {
        "a11y": settings,
        "a11y_mode": settings is not None,
        "principal": principal_of(getattr(request, "user", None)),
        "links": _header_links(),
    }


@functools.cache
def _header_links() -> dict[str, str]:
    # Every page shows them: reversed once per process (~40 µs each), not on every page.
    return {name: reverse(view) for name, view in HEADER_LINKS.items()}
