"""System checks of a deployment (`manage.py check --deploy`)."""

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Warning


def site_url_is_set(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    if settings.SITE_URL:
        return []
    return [
        Warning(
            "OPORA_SITE_URL is not set: letters to families and staff go without a link to the page they are about.",
            hint="Set it to the address people open the site at, e.g. https://navigator.example.ru",
            id="opora.W001",
        )
    ]
