"""The Navigator's list of organizations: those with published programs, found by name, municipality, type, their
units («Кванториум», «Точка роста»…) and accessibility for children with ОВЗ, each filter's values counted.

An organization is in the list while the search index holds programs of it: the same catalog the search shows,
its programs counted there. A few thousand organizations are filtered and counted in the process, as arrays of
what the filters test (a name looked for word by word); what is read from the database is the page's twenty
rows, as they are now. The list is read again whenever the index is (a changed catalog: a program published or
archived, an organization's name, type, units, accessibility or municipality changed)."""

import bisect
import re
import threading
from dataclasses import dataclass, field
from typing import Annotated, Any

import numpy as np
from django.core.paginator import Page, Paginator
from django.db.models import Prefetch
from django.http import QueryDict
from ninja import Field

from catalog import text
from catalog.models import Organization, OrganizationKind, OrganizationUnit, StudyPlace, UnitKind
from catalog.on_map import PlacesMap, gather
from catalog.search import FacetValue, municipalities
from catalog.search_form import (
    NEAR_PATTERN,
    OKTMO_PATTERN,
    Q_MAX_LENGTH,
    NavigatorQuery,
    latitude_longitude,
    read_page_query,
)
from catalog.search_index import (
    CatalogIndex,
    FloatArray,
    arc_km,
    current_index,
    in_degrees,
    on_unit_sphere,
    points_on_sphere,
)
from core.api import OneOf
from core.models import code_pattern

SORTS = {"name": "по названию", "programs": "больше программ", "near": "ближе к вам"}
NAME_WORD = re.compile(r"[0-9a-zа-я]+")  # as catalog.text reads a query's words
INN = re.compile(r"\d{10}|\d{12}")
ORGANIZATION_CODE = re.compile(code_pattern(Organization.CODE_PREFIX), re.IGNORECASE)


@dataclass(frozen=True)
class Listed:
    """One organization as the list finds it."""

    pk: int
    code: str
    inn: str
    names: str  # short and full name, lower case, «ё» as «е»: what a query's words are looked for in
    programs: int  # published, in the search index
    short_name: str
    address: str


KINDS = [value for value, _ in OrganizationKind.choices]
UNITS = [value for value, _ in UnitKind.choices]


@dataclass
class Directory:
    """The organizations by name, and what the filters test as arrays of them, one row each."""

    index: CatalogIndex  # the index it was read for
    organizations: list[Listed]
    municipalities: list[str]  # ОКТМО codes, as `municipality` numbers them
    municipality: "np.ndarray[Any, np.dtype[np.int32]]"
    kind: "np.ndarray[Any, np.dtype[np.int32]]"  # by KINDS
    units: "np.ndarray[Any, np.dtype[np.bool_]]"  # organizations × UNITS
    accessible_for_ovz: "np.ndarray[Any, np.dtype[np.bool_]]"
    programs: "np.ndarray[Any, np.dtype[np.int32]]"
    # Where their groups meet, for «Рядом со мной»: each organization's own place and its study places with
    # coordinates, as points on the unit sphere; the organization each point is of (its position in the list); the
    # point's name on a card (a study place's name or address; "" for the organization's own address).
    points: FloatArray
    owners: "np.ndarray[Any, np.dtype[np.int64]]"
    place_names: list[str]
    # The words of their names, sorted (a query's stem finds the words it begins), and who has each one.
    vocabulary: list[str]
    holders: dict[str, list[int]]


@dataclass(frozen=True)
class DirectoryParams:
    q: str = ""
    municipality: str = ""
    kinds: tuple[str, ...] = ()
    units: tuple[str, ...] = ()
    ovz: bool = False
    near: tuple[float, float] | None = None  # where the family is (latitude, longitude)
    sort: str = "name"
    page: int = 1


@dataclass
class DirectoryResult:
    params: DirectoryParams
    page: "Page[int]"  # of positions in the directory's list
    # The page's, as they are now, each with `programs_published`; from `near`, `distance_km` (None: no place known)
    # and `nearest_place` (the study place that near, "" for the organization's own address).
    organizations: list[Organization]
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    # On the map (`on_map`): the places of the first organizations of the order, instead of a page; none otherwise.
    map: PlacesMap[Listed] = field(default_factory=lambda: PlacesMap([], 0, 0))

    @property
    def total(self) -> int:
        return self.page.paginator.count


_kept: Directory | None = None
_lock = threading.Lock()


def current_directory() -> Directory:
    """The organizations of the current search index (read again when the index is)."""
    global _kept
    index = current_index()
    kept = _kept
    if kept is not None and kept.index is index:
        return kept
    with _lock:
        if _kept is None or _kept.index is not index:
            _kept = _read(index)
        return _kept


def _read(index: CatalogIndex) -> Directory:
    counted = {code: len(ids) for code, ids in index.organizations.items()}
    units: dict[int, set[str]] = {}
    for organization_id, kind in OrganizationUnit.objects.filter(organization__is_active=True).values_list(
        "organization_id", "kind"
    ):
        units.setdefault(organization_id, set()).add(kind)
    fields = ("pk", "code", "inn", "short_name", "full_name", "kind", "municipality__oktmo", "accessible_for_ovz")
    rows = sorted(
        (
            (
                text.normalize(short),
                pk,
                code,
                inn,
                text.normalize(f"{short} {full}"),
                kind,
                oktmo,
                ovz,
                lat,
                lon,
                short,
                address,
            )
            for pk, code, inn, short, full, kind, oktmo, ovz, lat, lon, address in Organization.objects.filter(
                is_active=True
            ).values_list(*fields, "latitude", "longitude", "address")
            if code in counted
        ),
        key=lambda row: row[:2],  # by name
    )
    oktmos = sorted({row[6] for row in rows})
    holders: dict[str, list[int]] = {}
    for position, row in enumerate(rows):
        for word in dict.fromkeys(NAME_WORD.findall(row[4])):
            holders.setdefault(word, []).append(position)
    number = {oktmo: n for n, oktmo in enumerate(oktmos)}
    position_of = {row[1]: position for position, row in enumerate(rows)}
    places = [(position_of[row[1]], row[8], row[9], "") for row in rows if row[8] is not None and row[9] is not None]
    places += [
        (position_of[organization_id], latitude, longitude, name or address)
        for organization_id, latitude, longitude, name, address in StudyPlace.objects.filter(
            organization__is_active=True, latitude__isnull=False, longitude__isnull=False
        ).values_list("organization_id", "latitude", "longitude", "name", "address")
        if organization_id in position_of
    ]
    return Directory(
        index,
        [
            Listed(pk, code, inn, names, counted[code], short, address)
            for _, pk, code, inn, names, *_, short, address in rows
        ],
        oktmos,
        np.array([number[row[6]] for row in rows], dtype=np.int32),
        np.array([KINDS.index(row[5]) for row in rows], dtype=np.int32),
        np.array([[unit in units.get(row[1], ()) for unit in UNITS] for row in rows], dtype=bool).reshape(
            -1, len(UNITS)
        ),
        np.array([row[7] for row in rows], dtype=bool),
        np.array([counted[row[2]] for row in rows], dtype=np.int32),
        points_on_sphere([place[1] for place in places], [place[2] for place in places]).reshape(-1, 3),
        np.array([place[0] for place in places], dtype=np.int64),
        [place[3] for place in places],
        sorted(holders),
        holders,
    )


class OrganizationSearchQuery(NavigatorQuery):
    """What the list of organizations may ask: its page's parameters and the API's (/organizations/search)."""

    q: str = Field(
        "",
        max_length=Q_MAX_LENGTH,
        title="Название",
        description="Слова краткого или полного наименования, каждое — с начала слова, в любой форме («центра "
        "творчества» — «Центр детского творчества»), число — целиком («школа 5» — не «№ 15»); или ИНН, или код "
        "организации целиком",
    )
    municipality: str | None = Field(
        None, pattern=OKTMO_PATTERN, title="Муниципалитет", description="ОКТМО муниципалитета"
    )
    kind: list[Annotated[str, OneOf(OrganizationKind.choices)]] = Field(
        [], title="Тип организации", description="Тип организации, можно несколько"
    )
    unit: list[Annotated[str, OneOf(UnitKind.choices)]] = Field(
        [],
        title="Подразделения",
        description="Структурные подразделения («Кванториум», «Точка роста»…), можно несколько: организации хотя бы "
        "с одним из них",
    )
    ovz: bool = Field(False, title="Доступна для детей с ОВЗ", description="Только доступные для детей с ОВЗ")
    near: str | None = Field(
        None,
        json_schema_extra={"pattern": NEAR_PATTERN.pattern},
        examples=["55.751,37.618"],
        title="Местоположение",
        description="Где семья: «широта,долгота» в градусах (WGS 84). С ним у организаций — расстояние до "
        "ближайшего из их мест (адреса и мест занятий), а sort=near показывает ближайшие первыми",
    )
    sort: Annotated[str, OneOf(SORTS.items())] = Field(
        "name",
        title="Сортировка",
        description="Сортировка: по названию; больше программ — первыми; near — ближайшие к near первыми "
        "(организации, ни одно место которых неизвестно, — в конце)",
    )

    def to_params(self) -> "DirectoryParams":
        return DirectoryParams(
            q=" ".join(self.q.split()),
            municipality=self.municipality or "",
            kinds=tuple(dict.fromkeys(self.kind)),
            units=tuple(dict.fromkeys(self.unit)),
            ovz=self.ovz,
            near=None if self.near is None else latitude_longitude(self.near),
            sort=self.sort,
            page=self.page,
        )


def params_from_query(query: QueryDict) -> tuple[DirectoryParams, list[str]]:
    """The valid part of the page's query string and a Russian message for each bad value (left out)."""
    asked, errors = read_page_query(OrganizationSearchQuery, query)
    return asked.to_params(), errors


def _named(found: Directory, q: str) -> "np.ndarray[Any, np.dtype[np.bool_]]":
    """Which organizations answer the query: its code or ИНН typed whole, or every word of the query in their
    names, by its stem at a word's beginning («центра творчества» finds «Центр детского творчества», «школа» is
    not in «дошкольное»), a number whole («5» is not «№ 15»)."""
    organizations = found.organizations
    typed = q.strip()
    if INN.fullmatch(typed):
        return np.array([organization.inn == typed for organization in organizations], dtype=bool)
    if ORGANIZATION_CODE.fullmatch(typed):
        return np.array([organization.code == typed.upper() for organization in organizations], dtype=bool)
    named = np.ones(len(organizations), dtype=bool)
    for word in text.words(q):
        having = np.zeros(len(organizations), dtype=bool)
        if word.isdigit():
            having[found.holders.get(word, [])] = True
        else:
            part = text.stem(word)
            at = bisect.bisect_left(found.vocabulary, part)
            while at < len(found.vocabulary) and found.vocabulary[at].startswith(part):
                having[found.holders[found.vocabulary[at]]] = True
                at += 1
        named &= having
    return named


MAP_ORGANIZATIONS = 500  # a map shows the places of at most the first so many organizations of the list's order


def find_organizations(params: DirectoryParams, page_size: int, *, on_map: bool = False) -> DirectoryResult:
    """The page of organizations the parameters ask for, and for each filter's values how many organizations
    choosing it would show (the other filters kept). `on_map`: instead of a page, the places of the first
    MAP_ORGANIZATIONS in the list's order."""
    found = current_directory()
    everyone = np.ones(len(found.organizations), dtype=bool)
    named = _named(found, params.q) if params.q else everyone
    chosen = [found.municipalities.index(params.municipality)] if params.municipality in found.municipalities else []
    masks = {
        "municipality": np.isin(found.municipality, chosen) if params.municipality else everyone,
        "kind": np.isin(found.kind, [KINDS.index(kind) for kind in params.kinds]) if params.kinds else everyone,
        "unit": found.units[:, [UNITS.index(unit) for unit in params.units]].any(axis=1) if params.units else everyone,
        "ovz": found.accessible_for_ovz if params.ovz else everyone,
    }

    def kept(but: str) -> "np.ndarray[Any, np.dtype[np.bool_]]":
        """Those the text and every filter but one let through: what that filter's values are counted over."""
        mask = named.copy()
        for facet, other in masks.items():
            if facet != but:
                mask &= other
        return mask

    shown = kept("") if params.q or any(mask is not everyone for mask in masks.values()) else everyone
    at = np.flatnonzero(shown)
    nearest = _nearest(found, params.near) if params.near else None
    if params.sort == "programs":
        at = at[np.argsort(-found.programs[at], kind="stable")]
    elif nearest is not None and params.sort == "near":
        at = at[np.argsort(nearest[0][at], kind="stable")]  # NaN (no known place) last
    page = Paginator(at.tolist(), page_size).get_page(params.page)
    by_municipality = np.bincount(found.municipality[kept("municipality")], minlength=len(found.municipalities))
    counts = {
        "municipality": dict(zip(found.municipalities, by_municipality.tolist(), strict=True)),
        "kind": dict(zip(KINDS, np.bincount(found.kind[kept("kind")], minlength=len(KINDS)).tolist(), strict=True)),
        "unit": dict(zip(UNITS, found.units[kept("unit")].sum(axis=0).tolist(), strict=True)),
        "ovz": {"on": int(found.accessible_for_ovz[kept("ovz")].sum())},
    }
    if on_map:
        first = at[:MAP_ORGANIZATIONS].tolist()
        places = _places(found, first)
        mapped = gather(
            [found.organizations[i] for i in first],
            lambda listed: places.get(listed.pk, []),
            lambda listed: listed.address,
            params.near,
        )
        return DirectoryResult(params, page, [], _facets(params, counts), mapped)
    listed = [found.organizations[i] for i in page.object_list]
    rows = _rows(listed)
    position = {organization.pk: i for organization, i in zip(listed, page.object_list, strict=True)}
    for row in rows:
        km = float(nearest[0][position[row.pk]]) if nearest is not None else np.nan
        known = not np.isnan(km)
        row.distance_km = km if known else None  # type: ignore[attr-defined]
        row.nearest_place = found.place_names[nearest[1][position[row.pk]]] if nearest and known else ""  # type: ignore[attr-defined]
    return DirectoryResult(params, page, rows, _facets(params, counts))


def _nearest(found: Directory, near: tuple[float, float]) -> tuple[FloatArray, "np.ndarray[Any, np.dtype[np.int64]]"]:
    """For each organization, how far from `near` its nearest place is (NaN: none known) and which place it is."""
    km = arc_km(found.points @ on_unit_sphere(*np.radians(near)))
    # The places by organization, the nearest first: the first of each organization's is its nearest.
    order = np.lexsort((km, found.owners))
    first = order[np.r_[True, found.owners[order][1:] != found.owners[order][:-1]]] if len(order) else order
    nearest_km = np.full(len(found.organizations), np.nan)
    nearest_place = np.zeros(len(found.organizations), dtype=np.int64)
    nearest_km[found.owners[first]] = km[first]
    nearest_place[found.owners[first]] = first
    return nearest_km, nearest_place


def _places(found: Directory, positions: list[int]) -> dict[int, list[tuple[float, float, str]]]:
    """Where these organizations (positions in the list) are: their own places and study places with coordinates
    (latitude and longitude in degrees, the place's name, "" for the organization's own address), by pk."""
    places: dict[int, list[tuple[float, float, str]]] = {}
    for point in np.flatnonzero(np.isin(found.owners, positions)).tolist():
        owner = found.organizations[int(found.owners[point])]
        places.setdefault(owner.pk, []).append((*in_degrees(found.points[point]), found.place_names[point]))
    return places


def _rows(listed: list[Listed]) -> list[Organization]:
    """The page's organizations as they are now, in the list's order, each with its published programs."""
    rows = Organization.objects.select_related("municipality").prefetch_related(
        Prefetch("units", queryset=OrganizationUnit.objects.order_by("kind", "name"))
    )
    by_pk = rows.in_bulk([organization.pk for organization in listed])
    shown = []
    for organization in listed:
        if (row := by_pk.get(organization.pk)) is not None:  # not deleted since the list was read
            row.programs_published = organization.programs  # type: ignore[attr-defined]
            shown.append(row)
    return shown


def _facets(params: DirectoryParams, counts: dict[str, dict[str, int]]) -> dict[str, list[FacetValue]]:
    def values(facet: str, choices: list[tuple[str, str]], chosen: tuple[str, ...]) -> list[FacetValue]:
        return [
            FacetValue(value, label, counts[facet].get(value, 0), value in chosen)
            for value, label in choices
            if counts[facet].get(value) or value in chosen
        ]

    return {
        "municipality": values(
            "municipality",
            [(option.oktmo, option.name) for option in municipalities()],
            (params.municipality,),
        ),
        "kind": values("kind", OrganizationKind.choices, params.kinds),
        "unit": values("unit", UnitKind.choices, params.units),
        "ovz": [FacetValue("on", "Доступна для детей с ОВЗ", counts["ovz"].get("on", 0), params.ovz)],
    }
