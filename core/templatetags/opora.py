from django import template

register = template.Library()


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
    """Kopecks as roubles: 2700000 → «27 000,00 ₽» (narrow no-break spaces between thousands)."""
    if kopecks is None or kopecks == "":
        return ""
    return f"{amount(kopecks)}\u00a0₽"


def amount(kopecks: int | str) -> str:
    """Kopecks as a number of roubles for a column headed «₽»: 2700000 → «27 000,00»."""
    whole, cents = divmod(abs(int(kopecks)), 100)
    sign = "−" if int(kopecks) < 0 else ""
    return f"{sign}{whole:,}".replace(",", "\u202f") + f",{cents:02d}"
