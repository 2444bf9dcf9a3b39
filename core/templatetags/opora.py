import functools
import json
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django import template
from django.contrib.messages.storage.base import Message
from django.templatetags.static import static
from django.utils.formats import date_format, number_format
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from core import a11y, money

register = template.Library()

# A message a form shows beside itself (`messages.error(..., extra_tags=BESIDE_FORM)`): the page
# comes back scrolled to the form, where a refusal at the top of the page would not be seen.
BESIDE_FORM = "beside-form"


@register.filter
def at_top(messages: Iterable[Message]) -> list[Message]:
    """The messages shown above the page's content: all but those a form shows beside itself."""
    return [message for message in messages if BESIDE_FORM not in message.extra_tags]


@register.filter
def beside_form(messages: Iterable[Message]) -> list[Message]:
    return [message for message in messages if BESIDE_FORM in message.extra_tags]


@register.simple_tag
@functools.cache
def asset(path: str) -> str:
    """`{% static %}` looked up once per process: the manifest of hashed names does not change
    while the server runs, and every page asks for the same few files (~50 µs each)."""
    return static(path)


@register.simple_tag(takes_context=True)
def a11y_panel(
    context: template.Context, settings: a11y.A11ySettings, back: str
) -> list[tuple[a11y.Setting, list[a11y.PanelChoice]]]:
    """The settings of the version for the visually impaired with their links, which return to `back`."""
    return a11y.panel(settings, context["links"]["a11y"], back)


@register.filter
def ru_plural(number: int, forms: str) -> str:
    """Russian plural: 1 программа, 2 программы, 5 программ (forms: "one,few,many")."""
    one, few, many = forms.split(",")
    n = abs(int(number))
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


@register.filter
def rub(kopecks: int | str | None) -> str:
    """Kopecks as roubles: 2700000 → «27 000,00 ₽»."""
    if kopecks is None or kopecks == "":
        return ""
    return money.rub(kopecks)


@register.simple_tag
def ages(age_from: int, age_to: int) -> str:
    """An age range as families read it: «7 лет», «5–7 лет», «3–4 года», «1 год» (the noun agrees
    with the last number); a child's age under one (or before birth, from a mistyped date) is «меньше года»."""
    if age_to < 1:
        return "меньше года"
    span = f"{age_from}" if age_from == age_to else f"{age_from}–{age_to}"
    return f"{span} {ru_plural(age_to, 'год,года,лет')}"


@register.simple_tag
def date_span(start: date, end: date) -> str:
    """Dates from–to, the year written once when both share it: «1 сентября — 29 декабря 2026»,
    «1 сентября 2026 — 29 мая 2027»."""
    first = date_format(start, "j E" if start.year == end.year else "j E Y")
    return f"{first} — {date_format(end, 'j E Y')}"


@register.filter
def tel(phone: str) -> str:
    """A phone number as written for people, as a `tel:` URI wants it: «+7 (49136) 3-21-16» →
    «+74913632116»; a Russian number written with 8 or without the country code gets +7."""
    digits = "".join(c for c in phone if c.isdigit())
    if not phone.lstrip().startswith("+"):
        if len(digits) == 10:
            digits = f"7{digits}"
        elif len(digits) == 11 and digits[0] in "78":
            digits = f"7{digits[1:]}"
        else:
            return digits  # a local number: dialled as written
    return f"+{digits}"


@register.filter
def roubles(value: Decimal | int | None) -> str:
    """Whole roubles grouped like the pages' counts: Decimal("6000.00") → «6 000 ₽»."""
    return "" if value is None else f"{money.whole(value)}\u00a0₽"


@register.filter
def figure(value: object) -> object:
    """A number in a table written as the pages write counts, thousands grouped (28 691; 12,5);
    any other value (a name, an ИНН) as it is."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal | float):
        return value
    return number_format(value, force_grouping=True)


# What json_script escapes too: no text in the data can close the element or open a comment.
_JSON_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


@register.filter
def ld_json(data: dict[str, object]) -> SafeString:
    """schema.org data as a JSON-LD block for search engines (a data block: the Content-Security-Policy, which
    forbids inline scripts, does not apply to what is never run)."""
    text = json.dumps(data, ensure_ascii=False).translate(_JSON_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(text))  # noqa: S308 -- escaped above


@register.simple_tag(takes_context=True)
def absolute_url(context: template.Context, path: str) -> str:
    """The page's address with the site's scheme and host, as links shared outside the site need it."""
    return str(context["request"].build_absolute_uri(path))
