"""The version for the visually impaired, as ГОСТ Р 52872-2019 asks of public sites: on or off, and
its settings — font size, colour scheme, spacing of letters and lines, images shown or not. They are
kept in one cookie, so every page (the office's too) is rendered in them by the server, without
JavaScript; the panel of every page in this version changes one setting per link."""

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import NamedTuple
from urllib.parse import urlencode

COOKIE = "opora_a11y"
COOKIE_MAX_AGE = 365 * 24 * 3600
SWITCHED_ON = "1"  # the cookie of the version with every setting as it comes


class Choice(NamedTuple):
    value: str
    shown: str  # what the panel's link shows
    spoken: str  # what it adds for a screen reader (the link's name begins with what it shows)


class Setting(NamedTuple):
    name: str  # the field of A11ySettings and the query parameter
    title: str
    choices: tuple[Choice, ...]

    def allows(self, value: str) -> bool:
        return any(choice.value == value for choice in self.choices)


# The colour schemes are those of ГОСТ Р 52872-2019 (each of its text on its background ≥ 7:1).
SETTINGS = (
    Setting(
        "size",
        "Размер шрифта",
        (Choice("1", "А", "обычный"), Choice("2", "А+", "крупный"), Choice("3", "А++", "очень крупный")),
    ),
    Setting(
        "scheme",
        "Цвета",
        (
            Choice("white", "Ц", "чёрным по белому"),
            Choice("black", "Ц", "белым по чёрному"),
            Choice("blue", "Ц", "тёмно-синим по голубому"),
            Choice("beige", "Ц", "коричневым по бежевому"),
        ),
    ),
    Setting(
        "spacing",
        "Интервал",
        (Choice("1", "обычный", ""), Choice("2", "увеличенный", ""), Choice("3", "большой", "")),
    ),
    Setting("images", "Изображения", (Choice("0", "скрыть", ""), Choice("1", "показать", ""))),
)
_BY_NAME = {setting.name: setting for setting in SETTINGS}


@dataclass(frozen=True)
class A11ySettings:
    size: str = "1"
    scheme: str = "white"
    spacing: str = "1"
    images: str = "0"

    @property
    def css_classes(self) -> str:
        """The classes of the page's root: `a11y`, and one for each setting not as it comes."""
        changed = [f"a11y-{f.name}-{value}" for f in fields(self) if (value := getattr(self, f.name)) != f.default]
        return " ".join(["a11y", *changed])

    @property
    def cookie_value(self) -> str:
        if self == A11ySettings():
            return SWITCHED_ON
        return ".".join(getattr(self, f.name) for f in fields(self))


def from_cookie(value: str | None) -> A11ySettings | None:
    """The settings the cookie keeps; None when the usual version is shown. A cookie this version
    does not write (an older one, or edited by hand) shows the version with its settings as they come."""
    if not value or value == "0":
        return None
    parts = value.split(".")
    if len(parts) != len(SETTINGS) or not all(
        setting.allows(part) for part, setting in zip(parts, SETTINGS, strict=True)
    ):
        return A11ySettings()
    return A11ySettings(*parts)


def requested(current: A11ySettings | None, query: Mapping[str, str]) -> A11ySettings | None:
    """What the switch's query asks for: off (`on=0`: None), or on with the settings it names
    changed; ValueError (its message in Russian) for a value there is no such choice for."""
    switch = query.get("on", "1")
    if switch not in ("0", "1"):
        raise ValueError(f"Версия для слабовидящих: нет такого значения «{switch[:20]}» (можно: 0, 1).")
    chosen = changed(current or A11ySettings(), query)
    return None if switch == "0" else chosen


def changed(settings: A11ySettings, query: Mapping[str, str]) -> A11ySettings:
    """The settings with those the query names set to its values; ValueError (its message in Russian)
    naming a value there is no such choice for, and nothing is changed."""
    values = {}
    for name, setting in _BY_NAME.items():
        if name not in query:
            continue
        value = query[name]
        if not setting.allows(value):
            allowed = ", ".join(choice.value for choice in setting.choices)
            raise ValueError(f"{setting.title}: нет такого значения «{value[:20]}» (можно: {allowed}).")
        values[name] = value
    return replace(settings, **values)


class PanelChoice(NamedTuple):
    choice: Choice
    url: str
    current: bool


def panel(settings: A11ySettings, switch_url: str, back: str) -> list[tuple[Setting, list[PanelChoice]]]:
    """Each setting with its choices: the link that sets it (and comes back to `back`), and whether
    it is the current one."""
    return [
        (
            setting,
            [
                PanelChoice(
                    choice,
                    f"{switch_url}?{urlencode({setting.name: choice.value, 'next': back})}",
                    getattr(settings, setting.name) == choice.value,
                )
                for choice in setting.choices
            ],
        )
        for setting in SETTINGS
    ]
