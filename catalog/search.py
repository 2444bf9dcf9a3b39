"""Catalog search: one function serves the Navigator pages and the API.

PostgreSQL: the `russian` full-text configuration over a stored, weighted tsvector with a GIN
index; prefix matching so that derived forms still meet; typos corrected by trigram similarity
over the catalog's vocabulary («Возможно, вы искали…»). SQLite: the same semantics with
Snowball stems computed in Python and stored as text; typos through difflib. Correct, slower.

Broad matches are never ranked with ts_rank (310 ms p95 at 100k programs, see README): results
are ordered by an indexed signal, with title matches first for text queries.
"""

import difflib
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection, models, transaction
from django.db.models import Count, F, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Length
from django.db.models.lookups import GreaterThan

from catalog import text
from catalog.models import Direction, ModerationStatus, Organization, Program, SearchTerm, StudyForm
from territory.models import Municipality

SORTS = {
    "relevance": "по релевантности",
    "popular": "сначала популярные",
    "title": "по названию",
    "new": "сначала новые",
    "age": "по возрасту",
}
LEVELS = {"initial": "Стартовый", "basic": "Базовый", "advanced": "Продвинутый"}
FORMS = {
    StudyForm.FULL_TIME.value: "Очная",
    StudyForm.MIXED.value: "Очно-заочная",
    StudyForm.EXTRAMURAL.value: "Заочная",
    "distance": "С дистанционными технологиями",
}
FUNDING = {"free": "Бесплатно", "certificate": "По сертификату", "paid": "Платно"}
WEEKDAYS = {str(d): name for d, name in enumerate(["Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс"])}
MAX_PAGE = 50  # deeper than 1 000 results nobody reads: the page asks to narrow the search
CATALOG_VERSION_KEY = "catalog:version"


@dataclass(frozen=True)
class SearchParams:
    q: str = ""
    directions: tuple[str, ...] = ()
    age: int | None = None
    municipality: str | None = None  # ОКТМО
    organization: str | None = None  # organization code
    forms: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()
    ovz: bool = False
    funding: tuple[str, ...] = ()
    free_seats: bool = False
    days: tuple[str, ...] = ()
    sort: str = "relevance"
    page: int = 1
    page_size: int = 20

    def without(self, **changes: Any) -> "SearchParams":
        data = asdict(self)
        data.update(changes)
        return SearchParams(**data)


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

    @property
    def page_count(self) -> int:
        return min(MAX_PAGE, max(1, -(-self.total // self.params.page_size)))


# --- Indexing ---------------------------------------------------------------------------

_DIRECTION_LABEL_SQL = (
    "CASE p.direction " + " ".join(f"WHEN '{d.value}' THEN '{d.label}'" for d in Direction) + " ELSE '' END"
)

# Built only from the Direction constants above, never from input.
_PG_DOCUMENT_SQL = f"""
UPDATE catalog_program p SET search_document =
    setweight(to_tsvector('russian', replace(lower(p.title), 'ё', 'е')), 'A')
 || setweight(to_tsvector('russian', replace(lower(p.summary || ' ' || o.short_name || ' '
        || {_DIRECTION_LABEL_SQL}), 'ё', 'е')), 'B')
 || setweight(to_tsvector('russian', replace(lower(p.description || ' ' || p.goals), 'ё', 'е')), 'C')
FROM catalog_organization o
WHERE o.id = p.organization_id
"""  # noqa: S608


def _sqlite_document(program: Program) -> str:
    parts = [
        program.title,
        program.summary,
        program.organization.short_name,
        program.get_direction_display(),
        program.description,
        program.goals,
    ]
    # Leading and trailing spaces let a query stem match a word's start: LIKE '% stem%'.
    return " " + " ".join(dict.fromkeys(text.stems(" ".join(parts)))) + " "


def refresh_search_documents(program_ids: Iterable[int] | None = None) -> None:
    """Rebuild the search documents of the given programs (all when None)."""
    ids = None if program_ids is None else list(program_ids)
    if ids == []:
        return
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            if ids is None:
                cursor.execute(_PG_DOCUMENT_SQL)
            else:
                cursor.execute(_PG_DOCUMENT_SQL + " AND p.id = ANY(%s)", [ids])
        return
    queryset = Program.objects.select_related("organization").only(
        "title", "summary", "description", "goals", "direction", "organization__short_name"
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
    """Invalidate cached counts after the catalog changed (call inside the changing transaction)."""
    transaction.on_commit(_incr_version)


def _incr_version() -> None:
    try:
        cache.incr(CATALOG_VERSION_KEY)
    except ValueError:
        cache.set(CATALOG_VERSION_KEY, 1, None)


# --- Querying ---------------------------------------------------------------------------


class _TextMatch(models.Lookup):  # type: ignore[type-arg]
    """`search_document matches [words]`: every word must begin some indexed word."""

    lookup_name = "matches"
    prepare_rhs = False

    def get_prep_lookup(self) -> Any:
        return self.rhs

    def as_sql(self, compiler: Any, conn: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, conn)
        query_words: Sequence[str] = self.rhs
        if conn.vendor == "postgresql":
            tsquery = " & ".join(f"{w}:*" for w in query_words)
            return f"{lhs} @@ to_tsquery('russian', %s)", [*lhs_params, tsquery]
        clauses = " AND ".join([f"{lhs} LIKE %s"] * len(query_words))
        return f"({clauses})", [*lhs_params * len(query_words), *(f"% {text.stem(w)}%" for w in query_words)]


def _register_lookup() -> None:
    from core.fields import SearchDocumentField

    SearchDocumentField.register_lookup(_TextMatch)


_register_lookup()


def _title_match(query_words: Sequence[str]) -> models.Expression:
    """True when every word is in the title (weight A): such programs come first."""
    if connection.vendor == "postgresql":
        tsquery = " & ".join(f"{w}:*A" for w in query_words)
        return RawSQL("catalog_program.search_document @@ to_tsquery('russian', %s)", [tsquery], models.BooleanField())
    condition = Q()
    for w in query_words:
        condition &= Q(title__icontains=w[: max(3, len(text.stem(w)))])
    return models.Case(models.When(condition, then=True), default=False, output_field=models.BooleanField())


def published_programs() -> QuerySet[Program]:
    return Program.objects.filter(status=ModerationStatus.PUBLISHED)


def _filters(params: SearchParams, query_words: Sequence[str], skip: str = "") -> Q:
    """Every condition of the search, except the facet named by `skip`."""
    q = Q()
    if query_words:
        q &= Q(search_document__matches=list(query_words))
    if params.directions and skip != "direction":
        q &= Q(direction__in=params.directions)
    if params.age is not None:
        q &= Q(age_from__lte=params.age, age_to__gte=params.age)
    if params.municipality and skip != "municipality":
        q &= Q(municipality__oktmo=params.municipality)
    if params.organization:
        q &= Q(organization__code=params.organization)
    if params.forms and skip != "form":
        form_q = Q(study_form__in=[f for f in params.forms if f != "distance"])
        if "distance" in params.forms:
            form_q |= Q(uses_distance_learning=True)
        q &= form_q
    if params.levels and skip != "level":
        level_q = Q()
        for level in params.levels:
            level_q |= Q(**{f"level_{level}": True})
        q &= level_q
    if params.ovz and skip != "ovz":
        q &= Q(ovz_adapted=True)
    if params.funding and skip != "funding":
        funding_q = Q()
        for value in params.funding:
            funding_q |= Q(**{_FUNDING_FIELD[value]: True})
        q &= funding_q
    if params.free_seats and skip != "free_seats":
        q &= Q(open_seats__gt=0)
    if params.days and skip != "day":
        q &= _any_weekday(sum(1 << int(d) for d in params.days))
    return q


_FUNDING_FIELD = {"free": "is_free", "certificate": "by_certificate", "paid": "is_paid"}


def _any_weekday(mask: int) -> Q:
    """Some group meets on one of the days in `mask`: (weekdays_mask & mask) > 0."""
    return Q(GreaterThan(F("weekdays_mask").bitand(mask), 0))


def _facet_spec() -> dict[str, dict[str, Q]]:
    """Facet → value → condition, for every facet counted by conditional aggregation."""
    return {
        "direction": {d.value: Q(direction=d.value) for d in Direction},
        "form": {
            **{f: Q(study_form=f) for f in FORMS if f != "distance"},
            "distance": Q(uses_distance_learning=True),
        },
        "level": {lvl: Q(**{f"level_{lvl}": True}) for lvl in LEVELS},
        "funding": {value: Q(**{name: True}) for value, name in _FUNDING_FIELD.items()},
        "ovz": {"1": Q(ovz_adapted=True)},
        "free_seats": {"1": Q(open_seats__gt=0)},
        "day": {d: _any_weekday(1 << int(d)) for d in WEEKDAYS},
    }


_FACET_LABELS: dict[str, dict[str, str]] = {
    "direction": {d.value: str(d.label) for d in Direction},
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
        "free_seats": ["1"] if params.free_seats else [],
        "day": params.days,
        "municipality": [params.municipality] if params.municipality else [],
    }
    return set(chosen[facet])


def _count_facets(params: SearchParams, query_words: Sequence[str]) -> tuple[int, dict[str, list[FacetValue]]]:
    """Total and counts per filter value. A facet's counts ignore its own selection, so that
    choosing «Техническая» still shows how many programs the other directions have. Facets the
    family has not touched share one pass of conditional aggregation."""
    spec = _facet_spec()
    base = published_programs()
    groups: dict[str, list[str]] = {"": []}
    for facet in spec:
        groups.setdefault(facet if _selected(params, facet) else "", []).append(facet)
    counts: dict[str, dict[str, int]] = {}
    total = 0
    for skip, facet_names in groups.items():
        aggregates: dict[str, Any] = {}
        if skip == "":
            aggregates["total"] = Count("pk")
        for facet in facet_names:
            for value, condition in spec[facet].items():
                aggregates[f"{facet}__{value}"] = Count("pk", filter=condition)
        row = base.filter(_filters(params, query_words, skip=skip)).aggregate(**aggregates)
        total = row.pop("total", total)
        for key, n in row.items():
            facet, value = key.split("__", 1)
            counts.setdefault(facet, {})[value] = n
    municipality_counts = dict(
        base.filter(_filters(params, query_words, skip="municipality"))
        .values_list("municipality__oktmo")
        .annotate(n=Count("pk"))
        .values_list("municipality__oktmo", "n")
    )
    facets = {
        facet: [
            FacetValue(value, label, counts[facet].get(value, 0), value in _selected(params, facet))
            for value, label in _FACET_LABELS[facet].items()
        ]
        for facet in spec
    }
    facets["municipality"] = [
        FacetValue(m.oktmo, m.name, municipality_counts.get(m.oktmo, 0), m.oktmo == params.municipality)
        for m in municipalities()
    ]
    return total, facets


def municipalities() -> list[Municipality]:
    key = "catalog:municipalities"
    found = cache.get(key)
    if found is None:
        found = list(Municipality.objects.only("oktmo", "name").order_by("name"))
        cache.set(key, found, 300)
    return found


def _cached_counts(params: SearchParams, query_words: Sequence[str]) -> tuple[int, dict[str, list[FacetValue]]]:
    seconds = settings.OPORA_FACET_CACHE_SECONDS
    if seconds <= 0:
        return _count_facets(params, query_words)
    version = cache.get_or_set(CATALOG_VERSION_KEY, 1, None)
    identity = asdict(params.without(page=1, sort="relevance", q="", page_size=0))
    identity["words"] = list(query_words)
    digest = hashlib.sha1(json.dumps(identity, sort_keys=True).encode(), usedforsecurity=False).hexdigest()
    key = f"catalog:facets:{version}:{digest}"
    found = cache.get(key)
    if found is None:
        found = _count_facets(params, query_words)
        cache.set(key, found, seconds)
    return found


LIST_FIELDS = (
    "uuid",
    "code",
    "title",
    "summary",
    "direction",
    "age_from",
    "age_to",
    "study_form",
    "uses_distance_learning",
    "level_initial",
    "level_basic",
    "level_advanced",
    "ovz_adapted",
    "is_free",
    "by_certificate",
    "is_paid",
    "price_per_month",
    "weekdays_mask",
    "open_seats",
    "popularity",
    "published_at",
    "updated_at",
    "status",
    "hours_total",
    "duration_months",
    "is_network",
    "program_type",
    "disability_adapted",
    "organization__code",
    "organization__short_name",
    "municipality__name",
    "municipality__oktmo",
)


def _page(params: SearchParams, query_words: Sequence[str]) -> list[Program]:
    queryset = (
        published_programs()
        .filter(_filters(params, query_words))
        .select_related("organization", "municipality")
        .only(*LIST_FIELDS)
    )
    sort = params.sort if params.sort in SORTS else "relevance"
    if sort == "relevance" and query_words:
        queryset = queryset.annotate(title_hit=_title_match(query_words)).order_by("-title_hit", "-popularity", "id")
    elif sort == "title":
        queryset = queryset.order_by("title", "id")
    elif sort == "new":
        queryset = queryset.order_by("-published_at", "-id")
    elif sort == "age":
        queryset = queryset.order_by("age_from", "-popularity", "id")
    else:
        queryset = queryset.order_by("-popularity", "id")
    page = min(max(params.page, 1), MAX_PAGE)
    start = (page - 1) * params.page_size
    return list(queryset[start : start + params.page_size])


def correct_words(query_words: Sequence[str]) -> list[str]:
    """Replace words the catalog does not know by the closest known word."""
    known_stems = set(
        SearchTerm.objects.filter(stem__in=[text.stem(w) for w in query_words]).values_list("stem", flat=True)
    )
    corrected = []
    for word in query_words:
        if text.stem(word) in known_stems or word.isdigit() or len(word) < 3:
            corrected.append(word)
            continue
        corrected.append(_closest_term(word) or word)
    return corrected


def _closest_term(word: str) -> str | None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT word FROM catalog_searchterm WHERE word %% %s "
                "ORDER BY similarity(word, %s) DESC, frequency DESC LIMIT 1",
                [word, word],
            )
            row = cursor.fetchone()
        return row[0] if row else None
    candidates = list(
        SearchTerm.objects.annotate(size=Length("word"))
        .filter(size__gte=len(word) - 3, size__lte=len(word) + 3)
        .order_by("-frequency")
        .values_list("word", flat=True)
    )
    matches = difflib.get_close_matches(word, candidates, n=1, cutoff=0.75)
    return matches[0] if matches else None


def search_programs(params: SearchParams) -> SearchResult:
    """Published programs matching the params: one page, the total, facet counts, corrections."""
    query_words = text.query_words(params.q)
    programs = _page(params, query_words)
    total, facets = _cached_counts(params, query_words)
    result = SearchResult(params=params, programs=programs, total=total, facets=facets)
    if query_words and total < 3:
        corrected = correct_words(query_words)
        if corrected != list(query_words):
            corrected_query = " ".join(corrected)
            if total == 0:
                corrected_total, corrected_facets = _cached_counts(params, corrected)
                if corrected_total:
                    result.programs = _page(params, corrected)
                    result.total, result.facets = corrected_total, corrected_facets
                    result.corrected_query = corrected_query
            else:
                result.suggestion = corrected_query
    return result


def suggestion_counts() -> dict[str, int]:
    """Counts for the home page: programs, organizations, free seats."""
    version = cache.get_or_set(CATALOG_VERSION_KEY, 1, None)
    key = f"catalog:home:{version}"
    found = cache.get(key)
    if found is None:
        programs = published_programs()
        found = {
            "programs": programs.count(),
            "organizations": Organization.objects.filter(is_active=True, programs__status=ModerationStatus.PUBLISHED)
            .distinct()
            .count(),
            "free_seats": programs.aggregate(n=models.Sum("open_seats"))["n"] or 0,
            **{d.value: 0 for d in Direction},
            **dict(programs.values_list("direction").annotate(n=Count("pk")).values_list("direction", "n")),
        }
        cache.set(key, found, settings.OPORA_FACET_CACHE_SECONDS or 1)
    return found
