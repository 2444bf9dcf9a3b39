"""Catalog search: one function serves the Navigator pages and the API.

PostgreSQL: the `russian` full-text configuration over a stored, weighted tsvector with a GIN
index; prefix matching so that derived forms still meet; typos corrected by trigram similarity
over the catalog's vocabulary («Возможно, вы искали…»). SQLite: the same semantics with
Snowball stems computed in Python and stored as text; typos by edit distance. Correct, slower.

Broad matches are never ranked with ts_rank (310 ms p95 at 100k programs, see README): results
are ordered by an indexed signal, with title matches first for text queries.
"""

import functools
import math
import re
import time
from collections.abc import Callable, Iterable, Sequence, Sized
from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import connection, models, transaction
from django.db.models import QuerySet
from django.db.models.functions import Length
from django.utils import timezone
from rapidfuzz import process
from rapidfuzz.distance import OSA

from catalog import postings, text
from catalog.models import (
    OFFERING_SEATS_SQL,
    Direction,
    Group,
    ModerationStatus,
    Organization,
    OvzCategory,
    Program,
    SearchTerm,
    StudyForm,
    UnitKind,
)
from catalog.on_map import PlacesMap, gather
from catalog.search_index import Bits, CatalogIndex, current_index, new_catalog_version
from core import latin, rawsql
from territory.models import Municipality

SORTS = {
    "relevance": "по релевантности",
    "popular": "сначала популярные",
    "title": "по названию",
    "new": "сначала новые",
    "age": "по возрасту",
    "near": "ближе к вам",  # with `near`
}
LEVELS = {"initial": "Стартовый", "basic": "Базовый", "advanced": "Продвинутый"}
FORMS = {
    StudyForm.FULL_TIME.value: "Очная",
    StudyForm.MIXED.value: "Очно-заочная",
    StudyForm.EXTRAMURAL.value: "Заочная",
    "distance": "С дистанционными технологиями",
}
FUNDING = {"free": "Бесплатно", "certificate": "По сертификату", "paid": "Платно"}
# How far from the family's place a program may be held, km (with `near`): a walk, a bus ride, the district.
WITHIN = {km: f"до {km} км" for km in ("1", "3", "5", "10", "25")}
WEEKDAYS = {str(d): name for d, name in enumerate(["Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс"])}
MAX_PAGE = 50  # deeper than 1 000 results nobody reads: the page asks to narrow the search


@dataclass(frozen=True)
class SearchParams:
    q: str = ""
    directions: tuple[str, ...] = ()
    age: int | None = None
    age_to: int | None = None  # with `age`, a range of ages: programs for a child of any of them
    municipality: str | None = None  # ОКТМО
    organization: str | None = None  # organization code
    forms: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()
    ovz: bool = False
    ovz_categories: tuple[str, ...] = ()  # codes of OvzCategory: adapted for children of any of them
    funding: tuple[str, ...] = ()
    free_seats: bool = False
    days: tuple[str, ...] = ()
    near: tuple[float, float] | None = None  # where the family is (latitude, longitude): distances, sort «near»
    within: str | None = None  # with `near`: held at most this many km from it (a key of WITHIN)
    sort: str = "relevance"
    page: int = 1
    page_size: int = 20

    @property
    def ages(self) -> tuple[int, ...]:
        """The ages searched for (none: any)."""
        if self.age is None:
            return ()
        return (self.age,) if self.age_to is None else tuple(range(self.age, self.age_to + 1))

    def without(self, **changes: Any) -> "SearchParams":
        data = asdict(self)
        data.update(changes)
        return SearchParams(**data)


def described(params: SearchParams) -> str:
    """The search in a few words, as its chips say it: «бокс · 10 лет · город Энск · Бесплатно»."""
    names = dict(municipalities())
    parts = [f"«{params.q}»"] if params.q else []
    parts += [Direction(value).label for value in params.directions]
    if params.age is not None:
        parts.append(f"{params.age}–{params.age_to} лет" if params.age_to is not None else f"{params.age} лет")
    if params.municipality:
        parts.append(names.get(params.municipality, params.municipality))
    if params.organization:
        organization = Organization.objects.filter(code=params.organization).values_list("short_name", flat=True)
        parts.append(organization.first() or params.organization)
    parts += [FORMS[value] for value in params.forms] + [LEVELS[value] for value in params.levels]
    categories = ovz_categories()
    if params.ovz:
        parts.append("Адаптирована для детей с ОВЗ")
    parts += [categories.get(code, code) for code in params.ovz_categories]
    parts += [FUNDING[value] for value in params.funding]
    if params.free_seats:
        parts.append("Есть свободные места")
    parts += [WEEKDAYS[day] for day in params.days]
    if params.near:
        parts.append(f"{WITHIN[params.within]} от вас" if params.within else "Рядом с вами")
    return " · ".join(parts) or "Все программы"


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class SearchResult:
    params: SearchParams
    programs: list[Program]
    total: int
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    corrected_query: str | None = None  # results are shown for this query instead of params.q
    suggestion: str | None = None  # «Возможно, вы искали…», when results exist but look thin
    # With an age: the groups of the page's programs for that age and their seats (program id →).
    seats_for_age: "dict[int, AgeSeats]" = field(default_factory=dict)
    # With `near`: how far from it each program of the page is held, km (program id →; none where not known).
    distances: dict[int, float] = field(default_factory=dict)
    # With `near`: the study place where the nearest group of a program of the page meets, by its name (or address),
    # when that is not its organization's address (program id →; see CatalogIndex.nearest_places).
    nearest_places: dict[int, str] = field(default_factory=dict)

    # On the map (`on_map`): the places of the first programs of the order, instead of a page; none otherwise.
    map: PlacesMap[Program] = field(default_factory=lambda: PlacesMap([], 0, 0))

    @property
    def page_count(self) -> int:
        return page_count(self.total, self.params.page_size)


MAP_PROGRAMS = 300  # a map shows the places of at most the first so many programs of the search's order


def page_count(total: int, page_size: int) -> int:
    """Pages of `total` results: at least one, at most MAX_PAGE."""
    return min(MAX_PAGE, max(1, -(-total // page_size)))


# --- Indexing ---------------------------------------------------------------------------

_DIRECTION_LABEL_SQL = (
    "CASE p.direction " + " ".join(f"WHEN '{d.value}' THEN '{d.label}'" for d in Direction) + " ELSE '' END"
)

# The organization's unit a program is held in, by its name and kind («кванториум», «точка роста», «школьный
# театр» find the unit's programs); the catch-all kind names nothing a family would type.
UNIT_KIND_WORDS = {kind.value: kind.label for kind in UnitKind if kind != UnitKind.OTHER}
_UNIT_KIND_SQL = (
    "CASE u.kind " + " ".join(f"WHEN '{k}' THEN '{label}'" for k, label in UNIT_KIND_WORDS.items()) + " ELSE '' END"
)
_UNIT_SQL = (
    f"COALESCE((SELECT u.name || ' ' || {_UNIT_KIND_SQL} FROM catalog_organizationunit u WHERE u.id = p.unit_id), '')"  # noqa: S608
)

# A program adapted for children with disabilities says so in its words («инвалид» finds it). The categories of
# children with ОВЗ it is adapted for are not words of it but a filter (`ovz_categories`): as words, they met
# ordinary queries («интеллектуальные игры», «развитие речи»); written into a query, they are the filter
# (text.filters_in_query).
DISABILITY_WORDS = "детей-инвалидов"
_DISABILITY_SQL = f"CASE WHEN p.disability_adapted THEN ' {DISABILITY_WORDS}' ELSE '' END"

# Numbers of the long texts (ages, hours, years: «детей 10–12 лет») are left out of the document: a
# query's number is a school's or a studio's («СОШ 12», «ДШИ № 3»), found in the title and the
# organization's name. Not a number inside a word («3D»).
_NUMBER_PG = r"\m\d+\M"
_NUMBER = re.compile(r"\b\d+\b")

# Built only from the Direction and UnitKind constants above, never from input.
_PG_DOCUMENT_SQL = f"""
UPDATE catalog_program p SET search_document =
    setweight(to_tsvector('russian', replace(lower(p.title), 'ё', 'е')), 'A')
 || setweight(to_tsvector('russian', replace(lower(p.summary || ' ' || o.short_name || ' '
        || {_DIRECTION_LABEL_SQL} || ' ' || {_UNIT_SQL}), 'ё', 'е')), 'B')
 || setweight(to_tsvector('russian', replace(lower(
        regexp_replace(p.description || ' ' || p.goals, '{_NUMBER_PG}', ' ', 'g')
        || {_DISABILITY_SQL}), 'ё', 'е')), 'C')
FROM catalog_organization o
WHERE o.id = p.organization_id
"""  # noqa: S608


def _sqlite_document(program: Program) -> str:
    parts = [
        program.title,
        program.summary,
        program.organization.short_name,
        program.get_direction_display(),
        *((program.unit.name, UNIT_KIND_WORDS.get(program.unit.kind, "")) if program.unit else ()),
        _NUMBER.sub(" ", f"{program.description} {program.goals}"),
        DISABILITY_WORDS if program.disability_adapted else "",
    ]
    # Leading and trailing spaces let a query stem match a word's start: LIKE '% stem%'.
    return " " + " ".join(dict.fromkeys(text.stems(" ".join(parts)))) + " "


def refresh_search_documents(program_ids: Iterable[int] | None = None) -> None:
    """Rebuild the search documents of the given programs (all when None) and their postings."""
    ids = None if program_ids is None else list(program_ids)
    if ids == []:
        return
    if ids is None:
        _write_documents(None)
        postings.rebuild_postings()
        return
    before = {pid: (lexemes, title) for pid, lexemes, title in postings.document_lexemes(ids)}
    _write_documents(ids)
    after = {pid: (lexemes, title) for pid, lexemes, title in postings.document_lexemes(ids)}
    postings.update_postings(before, after)


def refresh_organization_documents(organization_id: int) -> None:
    """Its programs' documents, which say the organization's short name and its units: after either changed."""
    programs = dict(Program.objects.filter(organization_id=organization_id).values_list("pk", "status"))
    refresh_search_documents(programs)
    if ModerationStatus.PUBLISHED in programs.values():
        bump_catalog_version()


def _write_documents(ids: list[int] | None) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            if ids is None:
                cursor.execute(_PG_DOCUMENT_SQL)
            else:
                cursor.execute(_PG_DOCUMENT_SQL + " AND p.id = ANY(%s)", [ids])
        return
    queryset = Program.objects.select_related("organization", "unit").only(
        "title",
        "summary",
        "description",
        "goals",
        "direction",
        "disability_adapted",
        "organization__short_name",
        "unit__name",
        "unit__kind",
    )
    if ids is not None:
        queryset = queryset.filter(pk__in=ids)
    batch = []
    for program in queryset.iterator(chunk_size=2000):
        program.search_document = _sqlite_document(program)
        batch.append(program)
        if len(batch) == 2000:
            Program.objects.bulk_update(batch, ["search_document"])
            batch = []
    Program.objects.bulk_update(batch, ["search_document"])


def _vocabulary(programs: Iterable[Program]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for program in programs:
        for word in set(text.words(f"{program.title} {program.summary}")):
            if len(word) >= 3 and not word.isdigit():
                counts[word] = counts.get(word, 0) + 1
    return counts


def add_search_terms(programs: Iterable[Program]) -> None:
    """Make the words of these programs known to the typo corrector."""
    counts = _vocabulary(programs)
    existing = set(SearchTerm.objects.filter(word__in=counts).values_list("word", flat=True))
    SearchTerm.objects.bulk_create(
        [SearchTerm(word=w, stem=text.stem(w), frequency=n) for w, n in counts.items() if w not in existing],
        ignore_conflicts=True,
    )


def rebuild_search_terms() -> int:
    """Recount the vocabulary of published programs from scratch; returns the number of words."""
    published = Program.objects.filter(status=ModerationStatus.PUBLISHED).only("title", "summary")
    counts = _vocabulary(published.iterator(chunk_size=5000))
    with transaction.atomic():
        SearchTerm.objects.all().delete()
        SearchTerm.objects.bulk_create(
            [SearchTerm(word=w, stem=text.stem(w), frequency=n) for w, n in counts.items()], batch_size=5000
        )
    return len(counts)


def bump_catalog_version() -> None:
    """Tell every process the catalog changed (call inside the changing transaction)."""
    transaction.on_commit(new_catalog_version)


# --- Querying ---------------------------------------------------------------------------


def published_programs() -> QuerySet[Program]:
    return Program.objects.filter(status=ModerationStatus.PUBLISHED)


def _matching(index: CatalogIndex, params: SearchParams, text_bits: int | None, skip: str = "") -> int:
    """Slots passing every condition of the search except the facet named by `skip`."""
    bits = index.everything if text_bits is None else text_bits & index.everything
    if params.directions and skip != "direction":
        bits &= Bits.any_of(index.get("direction", d) for d in params.directions)
    if params.age is not None:
        bits &= index.of_ages(params.ages)
    if params.municipality and skip != "municipality":
        bits &= index.get("municipality", params.municipality)
    if params.organization:
        bits &= index.organization(params.organization)
    for facet, chosen in (("form", params.forms), ("level", params.levels), ("funding", params.funding)):
        if chosen and skip != facet:
            bits &= Bits.any_of(index.get(facet, value) for value in chosen)
    if params.ovz and skip != "ovz":
        bits &= index.get("ovz", "1")
    if params.ovz_categories and skip != "ovz_category":  # each of them a subset of the adapted programs
        bits &= Bits.any_of(index.get("ovz_category", code) for code in params.ovz_categories)
    if params.within and params.near and skip != "within":
        bits &= index.within_km(params.near, (float(params.within),))[0]
    days = params.days if skip != "day" else ()
    free_seats = params.free_seats and skip != "free_seats"
    if days or free_seats:  # in one group, for the child's age when given
        bits &= index.with_group(params.ages, days, free_seats)
    return bits


DIRECTIONS = {d.value: str(d.label) for d in Direction}  # a dictionary lookup: get_direction_display() costs ~4 µs
_FACET_LABELS: dict[str, dict[str, str]] = {
    "direction": DIRECTIONS,
    "form": FORMS,
    "level": LEVELS,
    "funding": FUNDING,
    "ovz": {"1": "Адаптирована для детей с ОВЗ"},
    "free_seats": {"1": "Есть свободные места"},
    "day": WEEKDAYS,
}


def _selected(params: SearchParams, facet: str) -> set[str]:
    chosen: dict[str, Iterable[str]] = {
        "direction": params.directions,
        "form": params.forms,
        "level": params.levels,
        "funding": params.funding,
        "ovz": ["1"] if params.ovz else [],
        "ovz_category": params.ovz_categories,
        "free_seats": ["1"] if params.free_seats else [],
        "day": params.days,
        "municipality": [params.municipality] if params.municipality else [],
        "within": [params.within] if params.within else [],
    }
    return set(chosen[facet])


def _count_facets(index: CatalogIndex, params: SearchParams, text_bits: int | None) -> dict[str, list[FacetValue]]:
    """Counts per filter value. A facet's counts ignore its own selection, so that choosing
    «Техническая» still shows how many programs the other directions have."""
    matched = _matching(index, params, text_bits)
    counts = index.value_counts(matched)
    facets: dict[str, list[FacetValue]] = {}
    options = {
        **_FACET_LABELS,
        "ovz_category": ovz_categories(),
        "municipality": {m.oktmo: m.name for m in municipalities()},
    }
    for facet, labels in options.items():
        selected = _selected(params, facet)
        if facet in GROUP_FACETS and _in_one_group(params, facet):
            own = _group_facet_counts(index, params, _matching(index, params, text_bits, skip=facet), facet)
        elif selected:
            own = index.value_counts(_matching(index, params, text_bits, skip=facet), facet)
        else:
            own = counts
        facets[facet] = [
            FacetValue(value, label, own.get((facet, value), 0), value in selected) for value, label in labels.items()
        ]
    if params.near:  # how many each distance would leave: asked only from a place
        base = _matching(index, params, text_bits, skip="within") if params.within else matched
        radii = index.within_km(params.near, tuple(float(km) for km in WITHIN))
        facets["within"] = [
            FacetValue(km, label, (base & bits).bit_count(), km == params.within)
            for (km, label), bits in zip(WITHIN.items(), radii, strict=True)
        ]
    return facets


GROUP_FACETS = ("day", "free_seats")  # conditions a search asks of one group (with the child's age)


def _in_one_group(params: SearchParams, facet: str) -> bool:
    """Whether choosing a value of the facet would ask it of the same group as another condition:
    then its counts are not the index's plain ones (programs with a Saturday group)."""
    other = params.free_seats if facet == "day" else bool(params.days)
    return params.age is not None or other


def _group_facet_counts(index: CatalogIndex, params: SearchParams, base: int, facet: str) -> dict[tuple[str, str], int]:
    """Programs of `base` each value of the facet would leave, its condition met by the same group
    as the age and the other group facet's (a handful of bitsets: counted one by one)."""
    if facet == "day":
        return {
            ("day", day): (base & index.with_group(params.ages, (day,), params.free_seats)).bit_count()
            for day in WEEKDAYS
        }
    return {("free_seats", "1"): (base & index.with_group(params.ages, params.days, True)).bit_count()}


class AgeSeats(NamedTuple):
    """A program's current groups for the ages searched (their own ages, else the program's), those of them
    taking applications, their free seats, in groups taking applications and in the others, and
    the days of their lessons (a weekdays mask)."""

    open_seats: int = 0
    closed_seats: int = 0
    current_groups: int = 0
    offering_groups: int = 0
    weekdays_mask: int = 0


@functools.cache
def _age_seats_sql(count: int | None) -> str:
    """The statement of `age_seats` for `count` program ids, or (None) an array of them."""
    # The days as a mask: the sum of the distinct powers of two of the weekdays (a bitwise OR on both databases).
    return f"""
WITH ag AS (
  SELECT g.id, g.program_id, g.capacity - g.seats_taken AS free, ({OFFERING_SEATS_SQL}) AS offering
  FROM catalog_group g JOIN catalog_program p ON p.id = g.program_id
  WHERE {rawsql.among("g.program_id", count)} AND g.is_active AND g.end_date >= %s
    AND COALESCE(g.age_from, p.age_from) <= %s AND COALESCE(g.age_to, p.age_to) >= %s
), days AS (
  SELECT a.program_id, SUM(DISTINCT 1 << s.weekday) AS mask
  FROM ag a JOIN catalog_scheduleslot s ON s.group_id = a.id GROUP BY a.program_id
)
SELECT ag.program_id, COALESCE(SUM(CASE WHEN ag.offering THEN ag.free ELSE 0 END), 0),
  COALESCE(SUM(CASE WHEN ag.offering THEN 0 ELSE ag.free END), 0), COUNT(*),
  COALESCE(SUM(CASE WHEN ag.offering THEN 1 ELSE 0 END), 0), COALESCE(MAX(days.mask), 0)
FROM ag LEFT JOIN days ON days.program_id = ag.program_id GROUP BY ag.program_id
"""  # noqa: S608 -- our fixed SQL


def age_seats(program_ids: Sequence[int], ages: Sequence[int]) -> dict[int, AgeSeats]:
    """What the result cards of a search with the child's age (or ages) say of seats: those of the groups
    for a child of one of them, read with the page, fresh, as the rest of a card (a program's own figures
    count every age). A fixed statement: compiling it with the ORM cost more than running it."""
    now = timezone.now()
    closes = rawsql.param(Group._meta.get_field("enrollment_closes_at"), now)
    today = rawsql.param(Group._meta.get_field("end_date"), timezone.localdate(now))
    count, ids = rawsql.ids_given(program_ids)
    rows = rawsql.select(_age_seats_sql(count), [closes, *ids, today, max(ages), min(ages)], (None,) * 6)
    return {program: AgeSeats(*seats) for program, *seats in rows}


class MunicipalityOption(NamedTuple):
    oktmo: str
    name: str


Kept = TypeVar("Kept", bound=Sized)


def _kept_in_process(read: Callable[[], Kept]) -> Callable[[], Kept]:
    """A dictionary read on every search page and changed rarely, by law or by the administrator rather
    than by the minute: kept in the process as long as facet counts may be stale (read again while empty)."""
    kept: tuple[float, Kept] | None = None

    @functools.wraps(read)
    def kept_or_read() -> Kept:
        nonlocal kept
        if kept is None or time.monotonic() - kept[0] >= settings.OPORA_FACET_CACHE_SECONDS or not kept[1]:
            kept = (time.monotonic(), read())
        return kept[1]

    return kept_or_read


@_kept_in_process
def municipalities() -> list[MunicipalityOption]:
    """Municipalities for selectors."""
    return [MunicipalityOption(*row) for row in Municipality.objects.order_by("name").values_list("oktmo", "name")]


@_kept_in_process
def ovz_categories() -> dict[str, str]:
    """The categories of children with ОВЗ, code → name, in the dictionary's order: the search's filter."""
    return dict(OvzCategory.objects.values_list("code", "name"))


def _text_matches(index: CatalogIndex, query_words: Sequence[str]) -> tuple[int, int] | None:
    """(all matches, title matches) of the query's words, as bitsets; None for no words."""
    return index.text(query_words, postings.matches) if query_words else None


# A result card's columns: the program's, with its organization's and municipality's (the API's list
# item asks for its own). Read by one fixed statement (below), not the ORM: compiling the query and
# building half-deferred instances cost more Python than the statement's database time.
CARD_FIELDS = (
    "id",
    "code",
    "organization_id",
    "municipality_id",
    "title",
    "summary",
    "direction",
    "age_from",
    "age_to",
    "ovz_adapted",
    "is_free",
    "by_certificate",
    "is_paid",
    "price_per_month",
    "weekdays_mask",
    "open_seats",
    "current_groups",
    "offering_groups",
)
LIST_ORGANIZATION_FIELDS = ("id", "code", "short_name")
MAP_ORGANIZATION_FIELDS = (*LIST_ORGANIZATION_FIELDS, "address")  # the address names a place on the map
LIST_MUNICIPALITY_FIELDS = ("id", "oktmo", "name")


@dataclass(frozen=True)
class _ListStatement:
    sql: str
    columns: tuple[Any, ...]  # the field of each selected column, for its converters
    cuts: tuple[int, int]  # where the organization's and the municipality's columns start
    load_program: Callable[[Sequence[Any]], Program]
    load_organization: Callable[[Sequence[Any]], Organization]
    load_municipality: Callable[[Sequence[Any]], Municipality]


@functools.cache
def _list_statement(
    count: int | None, fields: tuple[str, ...], organization_fields: tuple[str, ...] = LIST_ORGANIZATION_FIELDS
) -> _ListStatement:
    """The statement reading these fields of published programs by id, with organization and
    municipality: of `count` ids, or (None) of an array of them (`rawsql.among`)."""
    program = rawsql.fields(Program, fields)
    organization = rawsql.fields(Organization, organization_fields)
    municipality = rawsql.fields(Municipality, LIST_MUNICIPALITY_FIELDS)
    sql = (
        f"SELECT {rawsql.select_list('p', program)}, {rawsql.select_list('o', organization)}, "  # noqa: S608
        f"{rawsql.select_list('m', municipality)} FROM catalog_program p "
        "JOIN catalog_organization o ON o.id = p.organization_id "
        "JOIN territory_municipality m ON m.id = p.municipality_id "
        f"WHERE p.status = %s AND {rawsql.among('p.id', count)}"
    )
    return _ListStatement(
        sql=sql,
        columns=(*program, *organization, *municipality),
        cuts=(len(program), len(program) + len(organization)),
        load_program=rawsql.loader(Program, fields),
        load_organization=rawsql.loader(Organization, organization_fields),
        load_municipality=rawsql.loader(Municipality, LIST_MUNICIPALITY_FIELDS),
    )


def list_programs(
    ids: Sequence[int],
    fields: tuple[str, ...] = CARD_FIELDS,
    organization_fields: tuple[str, ...] = LIST_ORGANIZATION_FIELDS,
) -> list[Program]:
    """Published programs of these ids in this order, with organization and municipality, built as
    the ORM builds them (other fields deferred); an id unpublished since is left out."""
    if not ids:
        return []
    count, id_params = rawsql.ids_given(ids)
    statement = _list_statement(count, fields, organization_fields)
    org_at, municipality_at = statement.cuts
    by_id = {}
    # A page often shows one municipality and few organizations: one instance of each.
    organizations: dict[int, Organization] = {}
    municipalities: dict[int, Municipality] = {}
    params = [ModerationStatus.PUBLISHED.value, *id_params]
    for row in rawsql.select(statement.sql, params, statement.columns):
        program = statement.load_program(row[:org_at])
        organization = organizations.get(program.organization_id)
        if organization is None:
            organization = organizations[program.organization_id] = statement.load_organization(
                row[org_at:municipality_at]
            )
        municipality = municipalities.get(program.municipality_id)
        if municipality is None:
            municipality = municipalities[program.municipality_id] = statement.load_municipality(row[municipality_at:])
        program._state.fields_cache["organization"] = organization
        program._state.fields_cache["municipality"] = municipality
        by_id[program.pk] = program
    return [by_id[pk] for pk in ids if pk in by_id]


def _page(
    index: CatalogIndex,
    params: SearchParams,
    bits: int,
    title_bits: int,
    fields: tuple[str, ...],
    organization_fields: tuple[str, ...] = LIST_ORGANIZATION_FIELDS,
) -> list[Program]:
    """The requested page of matches, rows read fresh from the database in the index's order."""
    sort = params.sort if params.sort in SORTS else "relevance"
    page = min(max(params.page, 1), MAX_PAGE)
    # By relevance: the programs with the words in their title first; among them and among the
    # rest, those with free seats (for the child's age) before the full ones, which are often the
    # most popular — a family is shown first what it can join.
    tiers: tuple[int, ...] = ()
    if sort == "relevance":
        free = index.with_group(params.ages, (), True)
        tiers = (title_bits & free, title_bits, free)
    ids = index.top(bits, sort, (page - 1) * params.page_size, params.page_size, tiers=tiers, near=params.near)
    return list_programs(ids, fields, organization_fields)


SIMILAR_SHOWN = 4


def similar_programs(program: Program) -> tuple[list[Program], dict[str, str]]:
    """What a family reading this program's page would compare it with: published programs of its direction, for a
    child of its ages, in its municipality — those with free seats first, as the search orders them —, itself left
    out; and the search page's query that lists them all. From the index: one read of the few rows shown."""
    one_age = program.age_to == program.age_from
    params = SearchParams(
        directions=(program.direction,),
        age=program.age_from,
        age_to=None if one_age else program.age_to,
        municipality=program.municipality.oktmo,
        page_size=SIMILAR_SHOWN,
    )
    index = current_index()
    found = _matches(index, params, ())
    others = found.bits & ~(1 << program.pk) if program.pk < index.size else found.bits
    query = {"direction": program.direction, "age": str(program.age_from)}
    query |= {} if one_age else {"age_to": str(program.age_to)}
    return _page(index, params, others, 0, CARD_FIELDS), query | {"municipality": program.municipality.oktmo}


def correct_words(query_words: Sequence[str]) -> list[str]:
    """Replace words the catalog does not know by the closest known word."""
    # A word of three letters is not corrected: one edit is a third of it («хоп» is not «хор»).
    doubtful = {n: word for n, word in enumerate(query_words) if len(word) >= 4 and not word.isdigit()}
    closest = _closest_terms(doubtful) if doubtful else {}
    return [closest.get(n) or word for n, word in enumerate(query_words)]


# For each query word whose stem the vocabulary lacks: the known words most similar to it (trigrams),
# the most similar and most frequent first, then those whose stem is at most two edits from its stem,
# the closest and most frequent first: trigrams miss two letters swapped near the start of a short word
# («фтубол» and «футбол» share 3 of 11), and words compare in their forms («хоравого» is three edits
# from «хоровое», one from its stem). An empty array when none is near.
_PG_CLOSEST_SQL = f"""
SELECT w.n, ARRAY(
    SELECT t.word FROM {SearchTerm._meta.db_table} t WHERE t.word %% w.word
    ORDER BY similarity(t.word, w.word) DESC, t.frequency DESC LIMIT %s
) || ARRAY(
    SELECT e.word FROM (
        SELECT t.word, t.frequency, levenshtein_less_equal(t.stem, w.stem, 2) AS edits
        FROM {SearchTerm._meta.db_table} t
        WHERE length(t.stem) BETWEEN length(w.stem) - 2 AND length(w.stem) + 2
    ) e
    WHERE e.edits <= 2 ORDER BY e.edits, e.frequency DESC LIMIT %s
)
FROM unnest(%s::int[], %s::text[], %s::text[]) AS w(n, word, stem)
WHERE NOT EXISTS (SELECT FROM {SearchTerm._meta.db_table} k WHERE k.stem = w.stem)
"""  # noqa: S608 -- the table's name, not input
CANDIDATES = 8  # of each kind


def _closest_terms(words: dict[int, str]) -> dict[int, str | None]:
    """Position → the closest known word (None: nothing close), for the words the catalog does not know."""
    stems = {n: text.stem(word) for n, word in words.items()}
    if connection.vendor == "postgresql":
        with rawsql.cursor() as cursor:
            cursor.execute(
                _PG_CLOSEST_SQL, [CANDIDATES, CANDIDATES, list(words), list(words.values()), list(stems.values())]
            )
            return {n: text.closest_word(words[n], [*candidates, *FAMILY_WORDS]) for n, candidates in cursor.fetchall()}
    known = set(SearchTerm.objects.filter(stem__in=stems.values()).values_list("stem", flat=True))
    return {n: _closest_sqlite_term(word) for n, word in words.items() if stems[n] not in known}


# Families' everyday words are corrected to as well as the catalog's («бассеин» — «бассейн», which
# then finds «плавание»): the catalog's vocabulary lacks them, being what programs are not called.
FAMILY_WORDS = tuple(text.RELATED_WORDS)


def _closest_sqlite_term(word: str) -> str | None:
    reach = text.typo_edits(word) + 1  # stems are compared: a form of the word may be a letter longer
    candidates = (
        SearchTerm.objects.annotate(size=Length("word"))
        .filter(size__gte=len(word) - reach, size__lte=len(word) + reach)
        .order_by("-frequency")
        .values_list("word", flat=True)
    )
    return text.closest_word(word, [*candidates, *FAMILY_WORDS])


class _Matches(NamedTuple):
    bits: int  # programs passing the text and every filter
    title_bits: int  # programs with the words in their title
    text_bits: int | None  # programs with the words (None: no words)


def _matches(index: CatalogIndex, params: SearchParams, query_words: Sequence[str]) -> _Matches:
    text_bits, title_bits = _text_matches(index, query_words) or (None, 0)
    return _Matches(_matching(index, params, text_bits), title_bits, text_bits)


def _in_titles(index: CatalogIndex, query_words: Sequence[str]) -> list[str]:
    """The words some program's title has (each word's matches are remembered by the index)."""
    return [word for word in query_words if index.text([word], postings.matches)[1]]


def _any_word_matches(index: CatalogIndex, params: SearchParams, query_words: Sequence[str]) -> _Matches:
    text_bits = title_bits = 0
    for word in query_words:
        bits, titles = index.text([word], postings.matches)
        text_bits, title_bits = text_bits | bits, title_bits | titles
    return _Matches(_matching(index, params, text_bits), title_bits, text_bits)


def _found(index: CatalogIndex, params: SearchParams) -> tuple[_Matches, str | None, str | None]:
    """What the search finds (its words read as the family meant them), the query shown instead of the one typed
    (see SearchResult.corrected_query) and the one offered («Возможно, вы искали…»)."""
    query_words = text.query_words(params.q)
    found = _matches(index, params, query_words)
    corrected_query = suggestion = None
    # Whether the words are in the catalog is asked of the text alone (`text_bits`), not of what the
    # filters leave: a word the catalog has is not «corrected» because the filters leave nothing, and a
    # search the filters empty still counts, in its facets, what another filter would show.
    # Typed with the layout not switched («hj,jnjnt[ybrf») or in Latin letters («shahmaty»): the Russian
    # it meant, shown instead.
    for read_as in (text.in_russian_layout, in_cyrillic) if query_words and not found.text_bits else ():
        russian = read_as(params.q)
        if russian and (instead := _matches(index, params, russian_words := text.query_words(russian))).text_bits:
            found, corrected_query, query_words = instead, russian, russian_words
            break
    if query_words and found.bits.bit_count() < 3:
        corrected = correct_words(query_words)
        instead = _matches(index, params, corrected) if corrected != list(query_words) else found
        if not found.text_bits and instead.text_bits and _typos_only(query_words, corrected):
            found, corrected_query = instead, " ".join(corrected)
        elif instead.bits.bit_count() > found.bits.bit_count():
            suggestion = " ".join(corrected)  # offered only where it finds more
        elif not found.text_bits and len(corrected) > 1:
            found, corrected_query = _fewer_words(index, params, query_words, corrected) or (found, None)
    if query_words and not found.bits and corrected_query is None and suggestion is None:
        suggestion = _wider(index, params, query_words)
    if query_words and not found.text_bits and corrected_query is None and _whom_only(query_words):
        # «кружок для девочек»: every word says whom a program is for, none what it teaches — and programs do not
        # say it: every program the filters leave, said so (an empty query shown instead).
        found, corrected_query = _matches(index, params, ()), ""
    return found, corrected_query, suggestion


def _wider(index: CatalogIndex, params: SearchParams, query_words: Sequence[str]) -> str | None:
    """For a query that finds nothing because the catalog lacks one of its words (no boxing in a small town), the
    query with that word's first wider word (text.topics: «бокс» — «борьба», «единоборства») that finds something, if
    any."""
    for at, word in enumerate(query_words):
        if index.text([word], postings.matches)[0]:
            continue  # the catalog has it: the filters or the other words leave nothing
        for topic in text.topics(word):
            wider = [*query_words[:at], topic, *query_words[at + 1 :]]
            if _matches(index, params, wider).bits:
                return " ".join(wider)
    return None


def programs_found(index: CatalogIndex, params: SearchParams, among: Iterable[int]) -> list[int]:
    """Of these programs (ids), in their order, those the search finds in this index: its page's words,
    corrections and filters, over the published programs the index holds."""
    bits = _found(index, params)[0].bits
    return [pid for pid in among if bits >> pid & 1]


def found_count(params: SearchParams) -> int:
    """How many published programs the search finds now (its page's total), without reading any."""
    return _found(current_index(), params)[0].bits.bit_count()


def search_programs(
    params: SearchParams,
    fields: tuple[str, ...] = CARD_FIELDS,
    *,
    last_page_past_end: bool = False,
    on_map: bool = False,
) -> SearchResult:
    """Published programs matching the params: one page (these fields of each program), the total,
    facet counts, corrections. A page and facets are made only for the matches shown. A page past
    the last is empty, or with `last_page_past_end` the last page (the result's params say which):
    a person following an old link wants results, a client paging through the API wants the end.
    `on_map`: instead of a page, the places of the first MAP_PROGRAMS matches in the search's order."""
    index = current_index()
    found, corrected_query, suggestion = _found(index, params)
    total = found.bits.bit_count()
    if last_page_past_end and params.page > (last := page_count(total, params.page_size)):
        params = params.without(page=last)
    programs_map: PlacesMap[Program] = PlacesMap([], 0, 0)
    if on_map:
        first = params.without(page=1, page_size=MAP_PROGRAMS)
        on_it = _page(index, first, found.bits, found.title_bits, MAP_FIELDS, MAP_ORGANIZATION_FIELDS)
        programs, programs_map = [], _map_of(index, on_it, params.near)
    else:
        programs = _page(index, params, found.bits, found.title_bits, fields)
    return SearchResult(
        params=params,
        programs=programs,
        map=programs_map,
        seats_for_age=age_seats([p.pk for p in programs], params.ages) if params.ages and programs else {},
        distances=_distances(index, [p.pk for p in programs], params.near) if params.near else {},
        nearest_places=index.nearest_places([p.pk for p in programs], params.near) if params.near else {},
        total=total,
        facets=_count_facets(index, params, found.text_bits),
        corrected_query=corrected_query,
        suggestion=suggestion,
    )


MAP_FIELDS = ("id", "code", "organization_id", "municipality_id", "title")


def _map_of(index: CatalogIndex, programs: list[Program], near: tuple[float, float] | None) -> PlacesMap[Program]:
    """The places of these programs, each with the programs held there or with a group there, in their order."""
    return gather(
        programs, lambda program: index.places_of(program.pk), lambda program: program.organization.address, near
    )


def _distances(index: CatalogIndex, ids: list[int], near: tuple[float, float]) -> dict[int, float]:
    """How far from `near` these programs are held, where it is known (see CatalogIndex.distances_km)."""
    found = index.distances_km(ids, near).tolist()
    return {pid: km for pid, km in zip(ids, found, strict=True) if not math.isnan(km)}


_LATIN_WORD = re.compile(r"[a-z']{3,}", re.IGNORECASE)
LATIN_ENDING = 3  # letters of an inflection in Latin: «shahmat-ami», «tanc-akh» (kh folded), «robototehnik-oi»


def in_cyrillic(query: str) -> str | None:
    """The query with each word typed in Latin letters read as the word of the catalog (or of families,
    `FAMILY_WORDS`) it spells, however transliterated («shahmaty», «robototehnika», «tantsy»): the same
    key (`core.latin`), a form of its stem («shahmatami»), or the nearest key within a typo. None: no
    such word. Asked, as the keyboard layout is, only of a query that finds nothing: words in Latin
    letters that programs use («python», «lego») are found as they are."""
    tokens = query.split()
    read = [_cyrillic_word(token) if _LATIN_WORD.fullmatch(token) else None for token in tokens]
    if not any(read):
        return None
    return " ".join(word or token for word, token in zip(read, tokens, strict=True))


def _cyrillic_word(typed: str) -> str | None:
    keys = _latin_vocabulary()
    key = latin.key(typed)
    if key in keys:
        return keys[key]
    for cut in range(len(key) - 1, max(len(key) - LATIN_ENDING, 4) - 1, -1):
        if (word := keys.get(key[:cut])) is not None:
            return word
    if len(key) < 4:  # one edit is a third of it
        return None
    nearest = process.extractOne(key, list(keys), scorer=OSA.distance, score_cutoff=text.typo_edits(key))
    return None if nearest is None else keys[nearest[0]]


@_kept_in_process
def _latin_vocabulary() -> dict[str, str]:
    """The key (`core.latin`) of each word the catalog has and of its stem → the word, the most frequent
    first: «shahmati» and «shahmat» → «шахматы»."""
    words = [*SearchTerm.objects.order_by("-frequency", "word").values_list("word", flat=True), *FAMILY_WORDS]
    keys: dict[str, str] = {}
    for word in words:
        keys.setdefault(latin.key(word), word)
    for word in words:
        keys.setdefault(latin.key(text.stem(word)), word)
    return keys


def _fewer_words(
    index: CatalogIndex, params: SearchParams, query_words: Sequence[str], corrected: Sequence[str]
) -> tuple[_Matches, str] | None:
    """No program has every word: (the matches, the query shown instead) of the fewest words left
    out — those the catalog lacks («плавание бассейне кит» — «плавание бассейне»), then those saying whom
    a program is for («плавание для малышей» — «плавание»); failing that, the programs with any of
    the words that titles use («бальные танцы» — «танцы», «футбол баскетбол» — «футбол или баскетбол»;
    not «домом» of «Дом творчества»). The words as typed first: «робототехника боровое» is robotics,
    not «хоровое» too."""
    known = [word for word in query_words if index.text([word], postings.matches)[0]]
    subjects = [word for word in known if text.stem(word) not in text.AUDIENCE_STEMS]
    for fewer in dict.fromkeys((tuple(known), tuple(subjects))):
        if 0 < len(fewer) < len(query_words) and (instead := _matches(index, params, fewer)).text_bits:
            return instead, " ".join(fewer)
    titled = _in_titles(index, query_words) or _in_titles(index, _typos_corrected(query_words, corrected))
    if titled and (instead := _any_word_matches(index, params, titled)).text_bits:
        return instead, " или ".join(titled)
    return None


def _whom_only(query_words: Sequence[str]) -> bool:
    return all(text.stem(word) in text.AUDIENCE_STEMS for word in query_words)


def _typos_corrected(typed: Sequence[str], corrected: Sequence[str]) -> list[str]:
    """The words corrected where they are typos, as typed where they are Russian words («летний» is not
    «летающие»)."""
    return [
        old if old != new and text.is_dictionary_word(old) else new for old, new in zip(typed, corrected, strict=True)
    ]


HOME_SHOWN = 4


@dataclass(frozen=True)
class Selection:
    """A few programs the home page shows under a heading, and the search page's query listing them all."""

    title: str
    programs: list[Program]
    query: dict[str, str]


# The home page's selections: what a child can still join, the most popular first; what is new in the catalog.
HOME_SELECTIONS = (
    ("Есть свободные места", SearchParams(free_seats=True, sort="popular"), {"free_seats": "1", "sort": "popular"}),
    ("Новые программы", SearchParams(sort="new"), {"sort": "new"}),
)


def home_selections(municipality: str | None = None) -> list[Selection]:
    """The home page's selections in one municipality (ОКТМО) or everywhere, a program shown in one of them
    only. From the index: the rows of all of them read in one statement."""
    index = current_index()
    shown: set[int] = set()
    chosen: list[tuple[str, dict[str, str], list[int]]] = []
    where = {"municipality": municipality} if municipality else {}
    for title, params, query in HOME_SELECTIONS:
        bits = _matching(index, params.without(municipality=municipality), None)
        ids = [pk for pk in index.top(bits, params.sort, 0, HOME_SHOWN + len(shown)) if pk not in shown]
        shown.update(ids[:HOME_SHOWN])
        chosen.append((title, query | where, ids[:HOME_SHOWN]))
    rows = {program.pk: program for program in list_programs(sorted(shown))}
    return [Selection(title, [rows[pk] for pk in ids if pk in rows], query) for title, query, ids in chosen if ids]


def _typos_only(typed: Sequence[str], corrected: Sequence[str]) -> bool:
    """Whether every word corrected is no Russian word: a word of the dictionary is what the family
    meant, and its correction is only offered («Возможно, вы искали…»), never shown instead."""
    return _typos_corrected(typed, corrected) == list(corrected)


def suggestion_counts() -> dict[str, int]:
    """Counts for the home page: programs, organizations, free seats, programs per direction. All
    but the seats come from the search index (counted over the whole table they took 1.3 s at 100 000
    programs, after every change of the catalog); the seats, which change without it, are summed
    over their partial index and kept for as long as facet counts may be stale."""
    index = current_index()
    return {
        "programs": index.everything.bit_count(),
        "organizations": index.active_organizations,
        "free_seats": _free_seats_total(),
        **direction_counts(),
    }


def direction_counts(municipality: str | None = None) -> dict[str, int]:
    """Published programs per direction, everywhere or in one municipality (ОКТМО): the home page's cards."""
    index = current_index()
    base = index.everything if municipality is None else index.bits.get(("municipality", municipality), 0)
    counts = index.value_counts(base, "direction")
    return {d.value: counts.get(("direction", d.value), 0) for d in Direction}


FREE_SEATS_KEY = "catalog:home:free-seats"


def _free_seats_total() -> int:
    found = cache.get(FREE_SEATS_KEY)
    if found is None:
        found = published_programs().aggregate(n=models.Sum("open_seats"))["n"] or 0
        if settings.OPORA_FACET_CACHE_SECONDS:
            cache.set(FREE_SEATS_KEY, found, settings.OPORA_FACET_CACHE_SECONDS)
    return int(found)
