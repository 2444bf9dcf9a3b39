"""Dates as the rules of additional education count them."""

from datetime import date


def full_years(birth: date, day: date) -> int:
    """Full years on `day` of someone born on `birth`: the age that decides which programs and groups fit."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def years_before(day: date, years: int) -> date:
    """The same day `years` earlier; 29 February becomes the 28th in a common year."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)
