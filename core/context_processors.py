from typing import Any

from django.http import HttpRequest

from accounts.roles import principal_of

A11Y_COOKIE = "opora_a11y"


def site(request: HttpRequest) -> dict[str, Any]:
    """The visually-impaired mode flag and the signed-in person's scope, for every template."""
    return {
        "a11y_mode": request.COOKIES.get(A11Y_COOKIE) == "1",
        "principal": principal_of(getattr(request, "user", None)),
    }
