import functools

from django import template
from django.templatetags.static import static

from core import money

register = template.Library()


@register.simple_tag
@functools.cache
def asset(path: str) -> str:
    """`{% static %}` looked up once per process: the manifest of hashed names does not change
    while the server runs, and every page asks for the same few files (~50 µs each)."""
    return static(path)


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
