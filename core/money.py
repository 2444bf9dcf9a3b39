"""Money as people read it: kopecks written as roubles the Russian way."""

from decimal import Decimal


def amount(kopecks: int | str) -> str:
    """Kopecks as a number of roubles for a column headed «₽»: 2700000 → «27 000,00»
    (narrow no-break spaces between thousands)."""
    whole, cents = divmod(abs(int(kopecks)), 100)
    sign = "−" if int(kopecks) < 0 else ""
    return f"{sign}{whole:,}".replace(",", "\u202f") + f",{cents:02d}"


def rub(kopecks: int | str) -> str:
    """Kopecks as roubles with the sign: 2700000 → «27 000,00 ₽»."""
    return f"{amount(kopecks)}\u00a0₽"


def whole(roubles: Decimal | int) -> str:
    """Roubles rounded to whole ones, thousands grouped as the pages group counts (Django's
    `intcomma` in Russian: a no-break space): Decimal("6000.00") → «6 000»."""
    return f"{Decimal(roubles):,.0f}".replace(",", "\u00a0")
