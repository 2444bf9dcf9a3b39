"""The search page's repeated parts, rendered in Python (and cards kept).

Facet controls: ~80 options per page would otherwise be the slowest part of rendering it; the
escaped constant parts of each option are kept, only the count and the selection change from page
to page. Result cards: twenty per page, ~250 µs each as a template; each is kept in the process
with what it shows (read fresh with the page) and rendered again when that changes. The sort
options and page links: the page's template loops, as nodes, cost more than the page's database
statement.
"""

import functools
import operator
from collections.abc import Iterable, Mapping, Sequence
from html import escape  # Django's own wraps it for lazy strings: three times slower, and these are str
from typing import Any

from django import template
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator

from catalog.models import WEEKDAY_SHORT, Program, weekday_numbers
from catalog.on_map import MapPlace
from catalog.search import CARD_FIELDS, DIRECTIONS, AgeSeats, FacetValue
from core.templatetags.opora import ages, ru_plural

register = template.Library()
PROGRAMS = "программа,программы,программ"
# What a filter's count counts: the search's programs, the list of organizations' organizations.
COUNTED = {"programs": PROGRAMS, "organizations": "организация,организации,организаций"}
SUMMARY_CHARS = 220
CODE_MARK = "PR-CODE"


# An option's HTML for its count and selection, kept: most recur from page to page (a town's
# directions, the days of the week, the many zeros), and a lookup costs a fifth of building one.
OPTIONS_KEPT = 16_384


@functools.lru_cache(maxsize=OPTIONS_KEPT)
def _checkbox(name: str, value: str, label: str, count: int, selected: bool, counted: str = PROGRAMS) -> str:
    """A labelled checkbox with the number of programs (or what else is `counted`) it would show. The id lets htmx
    give the focus back to the checkbox just clicked when the filters are swapped for their new counts."""
    return (
        f'<div class="option{"" if count or selected else " empty"}"><label><input type="checkbox" '
        f'id="filter-{escape(name)}-{escape(value)}" name="{escape(name)}" value="{escape(value)}"'
        f"{' checked' if selected else ''}> {escape(label)}</label>"
        f'<span class="count" aria-label="{count} {ru_plural(count, counted)}">{count}</span></div>'
    )


@register.simple_tag
def facet_checkboxes(values: Sequence[FacetValue], name: str, of: str = "programs") -> SafeString:
    """One labelled checkbox per value, with the number of programs (or organizations) it would show."""
    counted = COUNTED[of]
    return mark_safe("\n".join(_checkbox(name, v.value, v.label, v.count, v.selected, counted) for v in values))  # noqa: S308 -- escaped above


@functools.lru_cache(maxsize=OPTIONS_KEPT)
def _option(value: str, label: str, count: int, selected: bool) -> str:
    return f'<option value="{escape(value)}"{" selected" if selected else ""}>{escape(label)} ({count})</option>'


@register.simple_tag
def facet_select_options(values: Sequence[FacetValue]) -> SafeString:
    return mark_safe("".join(_option(v.value, v.label, v.count, v.selected) for v in values))  # noqa: S308 -- escaped above


FUNDING_BADGES = {"Бесплатно": "free", "По сертификату": "cert"}  # any other label is a price


def _funding_badges(program: Program) -> list[str]:
    return [
        f'<span class="badge {FUNDING_BADGES.get(label, "paid")}">{escape(label)}</span>'
        for label in program.funding_labels
    ]


@register.simple_tag
def funding_badges(program: Program) -> SafeString:
    """The program's ways of paying as the result cards show them: free, certificate, price."""
    return mark_safe("".join(_funding_badges(program)))  # noqa: S308 -- escaped above


CARDS_KEPT = 20_000
# program id → (what its card shows, the card before its days, the card between its days and its seats)
_cards: dict[int, tuple[tuple[Any, ...], str, str]] = {}
# What a card tells of its groups, which differs with the age searched for: days and seats, not kept.
GROUP_FIELDS = ("weekdays_mask", "open_seats", "current_groups", "offering_groups")
# Everything else a card shows, as read with the page: its program's columns and the two names.
_shown_fields = operator.attrgetter(
    *(name for name in CARD_FIELDS if name not in GROUP_FIELDS), "organization.short_name", "municipality.name"
)


def _card(program: Program, for_age: tuple[str, AgeSeats] | None, km: float | None = None, place: str = "") -> str:
    """The program's card, rendered again only when something it shows changed: other programs'
    changes (on enrollment day, every group that fills up) leave it as it is. The days and the
    seats, those of the groups for the age searched for when it is, and how far it is (and the study place
    that far, when it is not the organization's address) are not kept."""
    shown = _shown_fields(program)
    kept = _cards.get(program.pk)
    if kept is None or kept[0] != shown:
        if len(_cards) >= CARDS_KEPT:
            _cards.clear()  # all at once: simpler than least-recently-used, and a card renders in ~20 µs
        kept = _cards[program.pk] = (shown, *_render_card(program))
    days = program.weekdays_mask if for_age is None else for_age[1].weekdays_mask
    distance = "" if km is None else f'<span class="distance">{how_far(km)} от вас{_at(place)}</span>'
    return kept[1] + _days(days) + distance + kept[2] + _seats(program, for_age) + CARD_END


def _at(place: str) -> str:
    """«, Спортзал школы № 7»: the building that far, when it is not the organization's the card names."""
    return f", {escape(place)}" if place else ""


@register.filter
def how_far(km: float) -> str:
    """«до 100 м», «350 м», «1,2 км», «12 км»: as precise as a family needs to judge the way."""
    if km < 0.1:
        return "до 100 м"
    if km < 0.975:  # nearer to a kilometre it is «1,0 км»
        return f"{round(km * 20) * 50} м"
    if km < 10:
        return f"{km:.1f} км".replace(".", ",")
    return f"{km:.0f} км"


@functools.cache
def _days(mask: int) -> str:
    """The days of the lessons, the last of a card's facts (none for no group)."""
    return f"<span>{', '.join(WEEKDAY_SHORT[d] for d in weekday_numbers(mask))}</span>" if mask else ""


def _seats(program: Program, for_age: tuple[str, AgeSeats] | None) -> str:
    """Free seats over the groups taking applications (those for the ages searched for, «7 лет» or
    «5–7 лет», when they are); none: whether there are groups (for those ages), none of them taking
    applications, or all full (a family may join a queue), or the program has announced none yet."""
    if for_age is not None and (program.current_groups or for_age[1].current_groups):
        years, seats = for_age
        if seats.open_seats:
            return f'<span class="seats-ok">Свободных мест для {years}: {seats.open_seats}</span>'
        if not seats.current_groups:
            return f'<span class="seats-later">Для {years} групп нет</span>'
        if not seats.offering_groups:
            return f'<span class="seats-later">Для {years} приём закрыт</span>'
        return f'<span class="seats-none">Для {years} мест нет</span>'
    if program.open_seats:
        return f'<span class="seats-ok">Свободных мест: {program.open_seats}</span>'
    if not program.current_groups:
        return '<span class="seats-later">Набор не объявлен</span>'
    if not program.offering_groups:
        return '<span class="seats-later">Приём закрыт</span>'
    return '<span class="seats-none">Мест нет</span>'


CARD_END = "</div>\n</li>"


def _render_card(program: Program) -> tuple[str, str]:
    """The card up to its days (the last of its facts) and from them to its seats' badge (the last
    of its badges): see _card."""
    meta = [
        program.organization.short_name,
        program.municipality.name,
        DIRECTIONS[program.direction],
        ages(program.age_from, program.age_to),
    ]
    badges = _funding_badges(program)
    if program.ovz_adapted:
        badges.append('<span class="badge">Для детей с ОВЗ</span>')
    summary = program.summary
    if len(summary) > SUMMARY_CHARS:
        summary = Truncator(summary).chars(SUMMARY_CHARS)
    path_before, path_after = _page_path()
    link = f'<a href="{path_before}{escape(program.code)}{path_after}">{escape(program.title)}</a>'
    return (
        f'<li class="card program-card">\n  <h3>{link}</h3>\n'
        f'  <div class="meta">{"".join(f"<span>{escape(item)}</span>" for item in map(str, meta))}',
        f'</div>\n  <p>{escape(summary)}</p>\n  <div class="badges">{"".join(badges)}',
    )


@functools.cache
def _page_path(page: str = "navigator:program") -> tuple[str, str]:
    """A program's (or an organization's) page's path before and after the code: reversed once, not for every card
    (40 µs each); a code needs no quoting."""
    before, _, after = reverse(page, args=[CODE_MARK]).partition(CODE_MARK)
    return before, after


@register.simple_tag
def program_cards(
    programs: Iterable[Program],
    ages: Sequence[int] = (),
    seats_for_age: Mapping[int, AgeSeats] | None = None,
    distances: Mapping[int, float] | None = None,
    nearest_places: Mapping[int, str] | None = None,
) -> SafeString:
    """The result cards of these programs (with organization and municipality), as list items; with
    the ages searched for, the seats a card tells are those of the groups for them; with the family's
    place, how far each is held from it (where that is known) and, when its nearest group meets at a study
    place, which."""
    seats = seats_for_age or {}
    far = distances or {}
    places = nearest_places or {}
    years = _years(ages[0], ages[-1]) if ages else ""
    return mark_safe(  # noqa: S308 -- escaped above
        "\n".join(
            _card(p, (years, seats.get(p.pk, AgeSeats())) if ages else None, far.get(p.pk), places.get(p.pk, ""))
            for p in programs
        )
    )


@register.simple_tag
def map_places(places: Iterable[MapPlace[Any]], of: str = "programs") -> SafeString:
    """A map's places as list items, each with what is there — the search's programs (title, organization) or the
    list's organizations (name, its programs): what the map's markers show, and the map itself without JavaScript
    or for a screen reader."""
    path_before, path_after = _page_path("navigator:program" if of == "programs" else "navigator:organization")
    entry = _program_entry if of == "programs" else _organization_entry
    items = []
    for place in places:
        entries = "".join(
            f'<li><a href="{path_before}{escape(code)}{path_after}">{escape(name)}</a>'
            f' <span class="muted">{escape(note)}</span></li>'
            for code, name, note in map(entry, place.items)
        )
        items.append(
            f'<li class="map-place" data-latitude="{place.latitude:.5f}" data-longitude="{place.longitude:.5f}">'
            f"<h3>{escape(place.name)}</h3>{_away(place.distance_km)}<ul>{entries}</ul></li>"
        )
    return mark_safe("\n".join(items))  # noqa: S308 -- escaped above


def _away(km: float | None) -> str:
    return "" if km is None else f'<p class="distance">{how_far(km)} от вас</p>'


def _program_entry(program: Program) -> tuple[str, str, str]:
    return program.code, program.title, program.organization.short_name


def _organization_entry(organization: Any) -> tuple[str, str, str]:
    """An organization of the list (catalog.directory.Listed): its name and how many programs it has."""
    return (
        organization.code,
        organization.short_name,
        f"{organization.programs} {ru_plural(organization.programs, PROGRAMS)}",
    )


def _years(youngest: int, oldest: int) -> str:
    """«для 7 лет», «для 5–7 лет»: the genitive the seats' badge says them in («для 1 года»)."""
    span = f"{youngest}" if youngest == oldest else f"{youngest}–{oldest}"
    return f"{span} {ru_plural(oldest, 'года,лет,лет')}"


@register.simple_tag
def sort_options(sorts: Mapping[str, str], chosen: str) -> SafeString:
    """The sort select's options, the chosen one selected."""
    return mark_safe(  # noqa: S308 -- escaped here
        "".join(
            f'<option value="{escape(value)}"{" selected" if value == chosen else ""}>{escape(label)}</option>'
            for value, label in sorts.items()
        )
    )


@register.simple_tag
def page_links(pages: Sequence[int | None], current: int, base_query: str) -> SafeString:
    """Links to the pages of results (None: a gap), the current one marked, each keeping the query."""
    link = f"?{escape(base_query)}&amp;page="
    items = []
    for n in pages:
        if n is None:
            items.append('<li><span aria-hidden="true">…</span></li>')
        elif n == current:
            items.append(f'<li><span aria-current="page">{n}</span></li>')
        else:
            items.append(f'<li><a href="{link}{n}">{n}</a></li>')
    return mark_safe("\n".join(items))  # noqa: S308 -- escaped here, or numbers
