"""An in-process index of the published catalog: one bitset per filter value.

Why: counts per filter value over a broad match (a town with 30 000 programs) cost 20–100 ms of
conditional aggregation in the database on every request, and no SQL index helps; intersecting
bitsets of 100 000 bits costs microseconds. The database still answers the text part of a query
(GIN) and returns the rows of the page, fresh; the index says which published programs pass the
filters, how many per filter value, and in which order.

Bit i of a bitset is the program with id i; orders (popularity, title, date, age) are lists of
ids, and a page is the first ids of an order whose bits are set. Each process keeps one index and rebuilds it in the
background when the catalog changed, at most once per OPORA_FACET_CACHE_SECONDS; with 0 (tests)
every search reads the database afresh.
"""

import itertools
import math
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias, TypeVar

import numpy as np
from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import connections
from django.db.models import (
    BooleanField,
    Case,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Cast, Coalesce, NullIf, RowNumber
from django.utils import timezone

from catalog import text
from catalog.models import Group, ModerationStatus, Program, ScheduleSlot, offering_seats

IntArray: TypeAlias = "np.ndarray[Any, np.dtype[np.int64]]"
FloatArray: TypeAlias = "np.ndarray[Any, np.dtype[np.float64]]"

CATALOG_VERSION_KEY = "catalog:version"
VERSION_SECONDS = 1.0
MAX_AGE = 18
TEXT_CACHE_SIZE = 512  # text matches remembered per process: families search the same subjects
PLACES_KEPT = 64  # the radii of the places families searched from last, per process: a family changes filters there
EARTH_RADIUS_KM = 6371.0

# Facets counted from the index, with the bitset key of each value.
FUNDING_FIELDS = {"free": "is_free", "certificate": "by_certificate", "paid": "is_paid"}
LEVEL_FIELDS = {"initial": "level_initial", "basic": "level_basic", "advanced": "level_advanced"}
NOT_COUNTED = {"age"}  # a filter whose values are not counted on the page (every other bitset is a facet's value)


_version_read: tuple[float, str] = (0.0, "")  # (when this process read it, the version)


def catalog_version() -> str:
    """A token that changes whenever the published catalog changes (see bump in catalog.search).
    Every search page needs it and the shared cache is a round trip away (0.3–2 ms with a fresh
    Redis client each time), so a process rereads it at most once per VERSION_SECONDS (never
    longer than facet counts may be stale): other processes see a change within that time."""
    global _version_read
    read_at, version = _version_read
    now = time.monotonic()
    if version and now - read_at < min(VERSION_SECONDS, settings.OPORA_FACET_CACHE_SECONDS):
        return version
    version = str(cache.get_or_set(CATALOG_VERSION_KEY, lambda: uuid.uuid4().hex, None))
    _version_read = (now, version)
    return version


def new_catalog_version() -> None:
    global _version_read
    version = uuid.uuid4().hex
    cache.set(CATALOG_VERSION_KEY, version, None)
    _version_read = (time.monotonic(), version)


class Bits:
    """Helpers for Python ints used as bitsets of program ids (bit i = program i)."""

    @staticmethod
    def from_ids(ids: Iterable[int], size: int) -> int:
        buffer = bytearray((size + 7) // 8)
        for pid in ids:
            buffer[pid >> 3] |= 1 << (pid & 7)
        return int.from_bytes(buffer, "little")

    @staticmethod
    def id_array(bits: int, size: int) -> "np.ndarray[Any, np.dtype[np.int64]]":
        """The set bits, ascending, found by numpy: only the non-zero bytes are unpacked, or all at once when
        most bytes have a bit (a whole catalog's matches: 0.2 ms instead of 0.8 at 100 000 programs)."""
        data = np.frombuffer(bits.to_bytes((size + 7) // 8, "little"), dtype=np.uint8)
        nonzero = np.flatnonzero(data)
        if len(nonzero) * 3 > len(data):
            return np.flatnonzero(np.unpackbits(data, bitorder="little"))
        byte, bit = np.nonzero(np.unpackbits(data[nonzero][:, None], axis=1, bitorder="little"))
        return nonzero[byte] * 8 + bit

    @staticmethod
    def from_mask(mask: "np.ndarray[Any, np.dtype[np.bool_]]") -> int:
        """The bitset of the positions a boolean array sets."""
        return int.from_bytes(np.packbits(mask, bitorder="little").tobytes(), "little")

    @staticmethod
    def any_of(bitsets: Iterable[int]) -> int:
        result = 0
        for bits in bitsets:
            result |= bits
        return result


@dataclass(frozen=True)
class GroupPlaces:
    """The places of programs' groups meeting elsewhere than at their program's address, as points on the unit
    sphere: those of each program together, programs by id."""

    programs: IntArray  # the programs with such groups, ascending
    starts: IntArray  # where the points of each of them start
    points: FloatArray
    rows: IntArray  # by program id: its position among `programs`, -1 for none
    names: Sequence[str]  # of each point's place, as a family reads it: a study place's name or address; "": none

    @classmethod
    def of(cls, program_ids: IntArray, points: FloatArray, names: Sequence[str], size: int) -> "GroupPlaces":
        """From points, their places' names and their programs' ids, in the order of the ids."""
        programs, starts = np.unique(program_ids, return_index=True)
        rows = np.full(size, -1, dtype=np.int64)
        rows[programs] = np.arange(len(programs))
        return cls(programs, starts, points.reshape(-1, 3), rows, names)

    @classmethod
    def none(cls) -> "GroupPlaces":
        return cls.of(np.zeros(0, dtype=np.int64), np.zeros((0, 3)), (), 1)

    def nearness(self, here: FloatArray) -> FloatArray:
        """For each of `programs`, the greatest product of its points with `here` (its nearest group's)."""
        return np.fmax.reduceat(self.points @ here, self.starts) if len(self.programs) else np.zeros(0)

    def of_program(self, program_id: int) -> tuple[FloatArray, Sequence[str]]:
        """The program's points and their places' names (none for a program without such groups)."""
        row = int(self.rows[program_id]) if program_id < len(self.rows) else -1
        if row < 0:
            return self.points[:0], ()
        start = int(self.starts[row])
        end = int(self.starts[row + 1]) if row + 1 < len(self.starts) else len(self.points)
        return self.points[start:end], self.names[start:end]

    def nearest(self, program_id: int, here: FloatArray) -> tuple[float, str]:
        """The product with `here` of the program's nearest point here and its place's name; NaN and "" for a
        program without one."""
        points, names = self.of_program(program_id)
        if not len(points):
            return math.nan, ""
        products = points @ here
        best = int(np.argmax(products))
        return float(products[best]), names[best]


@dataclass
class CatalogIndex:
    """Bit i of every bitset is the program with id i."""

    version: str
    built_at: float
    size: int  # largest program id + 1
    everything: int  # published programs
    bits: dict[tuple[str, str], int]
    organizations: dict[str, list[int]]  # organization code → program ids
    orders: dict[str, list[int]]  # sort → published program ids in that order
    ranks: dict[str, "np.ndarray[Any, np.dtype[np.int32]]"]  # sort → position of each program id in that order
    active_organizations: int = 0  # active organizations with published programs
    # Programs with a current group passing the group's conditions together (see GroupKey).
    groups: "dict[GroupKey, int]" = field(default_factory=dict)
    text_cache: "OrderedDict[tuple[str, ...], tuple[int, int]]" = field(default_factory=OrderedDict)
    # Where each program is held, a point on the unit sphere (x, y, z; NaN: not known), by program id: the
    # nearer two places, the greater the product of their points (the cosine of the angle between them), so the
    # nearest are found by one product over the catalog, without trigonometry over every match (see build_index).
    places: FloatArray = field(default_factory=lambda: np.full((1, 3), np.nan))
    group_places: GroupPlaces = field(default_factory=GroupPlaces.none)
    radii_cache: "OrderedDict[tuple[tuple[float, float], tuple[float, ...]], list[int]]" = field(
        default_factory=OrderedDict
    )
    # The facet values' bitsets again, as rows of 64-bit words, to count them all in one numpy step.
    facet_rows: dict[str, dict[str, int]] = field(init=False)  # facet → value → row
    facet_matrix: "np.ndarray[Any, np.dtype[np.uint64]]" = field(init=False)

    def __post_init__(self) -> None:
        keys = sorted(key for key in self.bits if key[0] not in NOT_COUNTED)
        self.facet_rows = {}
        for row, (facet, value) in enumerate(keys):
            self.facet_rows.setdefault(facet, {})[value] = row
        self.facet_matrix = np.stack([self._words(self.bits[key]) for key in keys] or [self._words(0)])

    def _words(self, bits: int) -> "np.ndarray[Any, np.dtype[np.uint64]]":
        return np.frombuffer(bits.to_bytes((self.size + 63) // 64 * 8, "little"), dtype=np.uint64)

    def get(self, facet: str, value: str) -> int:
        return self.bits.get((facet, value), 0)

    def value_counts(self, base: int, facet: str | None = None) -> dict[tuple[str, str], int]:
        """How many programs of `base` have each value of the facet (of every facet when None);
        a value no published program has is left out. Python would intersect and count ~70
        bitsets one by one (~0.3 ms a page); numpy does it at once, over the words `base` sets."""
        rows = self.facet_rows if facet is None else {facet: self.facet_rows.get(facet, {})}
        numbers = [row for values in rows.values() for row in values.values()]
        if not numbers:
            return {}
        first = min(numbers)
        matrix = self.facet_matrix[first : max(numbers) + 1]  # a facet's rows are adjacent
        words = self._words(base)
        nonzero = np.flatnonzero(words)
        if len(nonzero) < len(words) // 2:
            matrix, words = matrix[:, nonzero], words[nonzero]
        counts = np.bitwise_count(matrix & words).sum(axis=1, dtype=np.int64).tolist()
        return {(name, value): counts[row - first] for name, values in rows.items() for value, row in values.items()}

    def of_ages(self, ages: Sequence[int]) -> int:
        """Programs for a child of one of these ages (see build_index)."""
        if len(ages) == 1:
            return self.get("age", str(ages[0]))
        return Bits.any_of(self.get("age", str(age)) for age in ages)

    def with_group(self, ages: Sequence[int], days: Sequence[str], free_seats: bool) -> int:
        """Programs with one current group for a child of one of `ages`, meeting on one of `days`, with
        free seats (each condition when given): a Saturday group for seven-year-olds and a full
        weekday group do not make a program «Сб, есть места» for a seven-year-old."""
        of_ages: list[int | None] = [min(age, MAX_AGE) for age in ages] or [None]
        on_days: list[int | None] = [int(day) for day in days] or [None]
        return Bits.any_of(self.groups.get((age, day, free_seats), 0) for age in of_ages for day in on_days)

    def organization(self, code: str) -> int:
        return Bits.from_ids(self.organizations.get(code, ()), self.size)

    def text(self, words: Sequence[str], load: Callable[[Sequence[str]], tuple[int, int]]) -> tuple[int, int]:
        """(all matches, title matches) of query words, remembered per index."""
        return _remembered(self.text_cache, tuple(words), lambda: load(words), TEXT_CACHE_SIZE)

    def distances_km(self, ids: "Sequence[int] | IntArray", point: tuple[float, float]) -> FloatArray:
        """How far from the point (latitude, longitude in degrees) each program is held, along the
        Earth's surface (a sphere's great circle) to its nearest group; NaN where no place of it is known."""
        return arc_km(self._nearness(on_unit_sphere(*np.radians(point)), np.asarray(ids, dtype=np.int64)))

    def nearest_places(self, ids: Sequence[int], point: tuple[float, float]) -> dict[int, str]:
        """For these programs (a page's), the name of the place their group nearest to the point (latitude,
        longitude in degrees) meets at, when it is one of their organization's study places — the building a
        family would go to; the others meet nearest at their organization's address, which the card names."""
        here = on_unit_sphere(*np.radians(point))
        found: dict[int, str] = {}
        for program_id in ids:
            nearness, name = self.group_places.nearest(program_id, here)
            own = float(self.places[program_id] @ here)
            if name and not own >= nearness:  # NaN: no own place known
                found[program_id] = name
        return found

    def places_of(self, program_id: int) -> list[tuple[float, float, str]]:
        """Where a program is held and its groups meet: (latitude, longitude in degrees, the place's name — a study
        place's, "" for its organization's own address), its own place first; none where no place is known."""
        points = [(self.places[program_id], "")] if not np.isnan(self.places[program_id][0]) else []
        points += zip(*self.group_places.of_program(program_id), strict=True)
        return [(*in_degrees(point), name) for point, name in points]

    def _nearness(self, here: FloatArray, ids: "IntArray | None" = None) -> FloatArray:
        """For each program (of `ids`, or every one by id), the product of `here` with the point of its nearest
        place, its own or a group's: the nearer, the greater (the cosine of the angle between them); NaN where no
        place of it is known."""
        # The product over the whole catalog at once costs less than picking many programs' points first.
        whole = ids is None or len(ids) * 8 >= self.size
        nearness = self.places @ here if whole else self.places[ids] @ here
        elsewhere = self.group_places
        if len(elsewhere.programs):
            nearest_group = elsewhere.nearness(here)
            if whole:
                at, rows = elsewhere.programs, np.arange(len(elsewhere.programs))
            else:
                rows = elsewhere.rows[ids]
                at = np.flatnonzero(rows >= 0)
                rows = rows[at]
            nearness[at] = np.fmax(nearness[at], nearest_group[rows])  # fmax: a known place beats NaN
        return nearness if ids is None or not whole else nearness[ids]

    def within_km(self, point: tuple[float, float], radii: tuple[float, ...]) -> list[int]:
        """For each radius, the programs held at most that far from the point (bitsets): one product over the
        catalog for them all, remembered for the places searched from last."""

        def radii_bits() -> list[int]:
            nearness = self._nearness(on_unit_sphere(*np.radians(point)))  # NaN (no place known) is never near
            return [Bits.from_mask(nearness >= np.cos(km / EARTH_RADIUS_KM)) for km in radii]

        return _remembered(self.radii_cache, (point, radii), radii_bits, PLACES_KEPT)

    def top(
        self,
        bits: int,
        sort: str,
        start: int,
        count: int,
        tiers: Sequence[int] = (),
        near: tuple[float, float] | None = None,
    ) -> list[int]:
        """Program ids `start`..`start + count` of `bits` in the given order; by relevance, the
        matches of each of `tiers` (bitsets) before the rest, tier by tier, each by popularity;
        «near», the nearest to the point `near` first (see _nearest)."""
        if sort == "near" and near is not None:
            return self._nearest(bits, near, start + count)[start:]
        if sort == "relevance" and any(tiers):
            ids: list[int] = []
            rest = bits
            for tier in tiers:
                ids += self._ordered(rest & tier, "popular", start + count - len(ids))
                rest &= ~tier
            ids += self._ordered(rest, "popular", start + count - len(ids))
            return ids[start : start + count]
        return self._ordered(bits, sort if sort in self.orders else "popular", start + count)[start:]

    def _nearest(self, bits: int, point: tuple[float, float], limit: int) -> list[int]:
        """The first `limit` programs of `bits` by distance from the point, the most popular first among
        those equally far; those whose place is not known last, by popularity."""
        if not bits or limit <= 0:
            return []
        ids = Bits.id_array(bits, self.size)
        nearness = self._nearness(on_unit_sphere(*np.radians(point)), ids)
        farness = -np.nan_to_num(nearness, nan=-2.0)  # a place not known: after every known one
        if len(ids) > limit:
            # The nearest `limit` and all as near as the last of them: the programs of one organization are equally
            # far, and the order among them (by popularity) must not depend on which the partition kept.
            chosen = farness <= np.partition(farness, limit - 1)[limit - 1]
            ids, farness = ids[chosen], farness[chosen]
        return ids[np.lexsort((self.ranks["popular"][ids], farness))][:limit].tolist()

    def _ordered(self, bits: int, sort: str, limit: int) -> list[int]:
        if not bits or limit <= 0:
            return []
        # Either sort the matches by rank (cost grows with their number) or walk the order until
        # `limit` matches are found (cost grows with the number of programs over the share matched).
        # Sorting costs ~30 µs + ~0.04 µs a match (numpy), walking ~0.15 µs a program passed over.
        count = bits.bit_count()
        order = self.orders[sort]
        if count * count < 4 * limit * len(order):  # a narrow match: its ranks, the smallest first
            ranks = self.ranks[sort][Bits.id_array(bits, self.size)]
            if len(ranks) > limit:
                ranks = np.partition(ranks, limit)[:limit]
            return [order[rank] for rank in np.sort(ranks).tolist()]
        data = bits.to_bytes((self.size + 7) // 8, "little")
        chosen = (pid for pid in self.orders[sort] if data[pid >> 3] >> (pid & 7) & 1)
        return _take(chosen, limit)


Key = TypeVar("Key")
Kept = TypeVar("Kept")


def _remembered(kept: "OrderedDict[Key, Kept]", key: Key, load: Callable[[], Kept], size: int) -> Kept:
    """What `kept` holds for the key, else `load()` kept there, the least recently used forgotten past `size`."""
    found = kept.get(key)
    if found is None:
        found = kept[key] = load()
        if len(kept) > size:
            kept.popitem(last=False)
    else:
        kept.move_to_end(key)
    return found


def _take(ids: Iterator[int], limit: int) -> list[int]:
    out: list[int] = []
    for pid in ids:
        if len(out) >= limit:
            break
        out.append(pid)
    return out


INDEX_FIELDS = (
    "id",
    "direction",
    "study_form",
    "uses_distance_learning",
    "level_initial",
    "level_basic",
    "level_advanced",
    "ovz_adapted",
    "is_free",
    "by_certificate",
    "is_paid",
    "age_from",
    "age_to",
    "municipality__oktmo",
    "organization__code",
    "organization__is_active",
    "title",
)
# The programs held at their organization's address (or saying none), whose place is the organization's.
HELD_AT_ORGANIZATION = ExpressionWrapper(Q(address="") | Q(address=F("organization__address")), BooleanField())
PLACE_COLUMNS = ("place_latitude", "place_longitude")


def _coordinates(path: str) -> dict[str, Cast]:
    """The latitude and longitude at `path` (a Located) as floats: the driver's Decimals cost ~0.1 s a rebuild."""
    return {
        column: Cast(f"{path}{name}", FloatField())
        for column, name in zip(PLACE_COLUMNS, ("latitude", "longitude"), strict=True)
    }


# A facet whose value is a column of the program: (facet, column).
VALUE_FACETS = (("direction", "direction"), ("form", "study_form"), ("municipality", "municipality__oktmo"))
# A facet value that a true column gives: (facet, value, column).
FLAG_FACETS = (
    ("form", "distance", "uses_distance_learning"),
    *(("level", level, name) for level, name in LEVEL_FIELDS.items()),
    *(("funding", funding, name) for funding, name in FUNDING_FIELDS.items()),
    ("ovz", "1", "ovz_adapted"),
)
# A group's conditions a search may ask of one group: the child's age (None: any), a weekday
# (0 = Monday; None: any), free seats open for applications (False: seats or not).
GroupKey: TypeAlias = tuple[int | None, int | None, bool]


def build_index(version: str) -> CatalogIndex:
    """The index of the published catalog as it is now. Column by column with numpy: a process
    rebuilds it in a background thread whenever the catalog changed, and a row-by-row loop held
    the interpreter for ~1.5 s at 100 000 programs, stalling that process's pages meanwhile."""
    # The database orders by date: parsing 100 000 aware datetimes costs more than the whole index.
    newest_first = Window(RowNumber(), order_by=[F("published_at").desc(nulls_last=True), F("popularity").desc(), "id"])
    columns = _columns(
        Program.objects.filter(status=ModerationStatus.PUBLISHED)
        .order_by("-popularity", "id")
        .annotate(newest_rank=newest_first, at_organization=HELD_AT_ORGANIZATION, **_coordinates("organization__")),
        (*INDEX_FIELDS, "newest_rank", "at_organization", *PLACE_COLUMNS),
    )
    ids = np.array(columns["id"], dtype=np.int64)
    size = int(ids.max()) + 1 if len(ids) else 1

    def bitset(chosen: IntArray) -> int:
        flags = np.zeros(size, dtype=bool)
        flags[chosen] = True
        return Bits.from_mask(flags)

    def flag(column: str) -> "np.ndarray[Any, np.dtype[np.bool_]]":
        return np.array(columns[column], dtype=bool)

    bits: dict[tuple[str, str], int] = {}
    for facet, column in VALUE_FACETS:
        for value, members in _groups(columns[column], ids).items():
            bits[(facet, value)] = bitset(members)
    chosen_by = [(facet, value, flag(column)) for facet, value, column in FLAG_FACETS]
    for facet, value, chosen in chosen_by:
        if chosen.any():  # a value no program has is not a key, as with the values of columns
            bits[(facet, value)] = bitset(ids[chosen])
    for code, members in _ovz_category_programs(ids[flag("ovz_adapted")]).items():
        bits[("ovz_category", code)] = bitset(members)
    age_from, age_to = np.array(columns["age_from"], dtype=np.int64), np.array(columns["age_to"], dtype=np.int64)
    groups = {key: bitset(members) for key, members in _group_programs(ids, (age_from, age_to), size).items()}
    # The days and free seats filters alone are facets: counted like the columns' values.
    facets = {(None, day, False): ("day", str(day)) for day in range(7)} | {(None, None, True): ("free_seats", "1")}
    bits.update({facet: groups[key] for key, facet in facets.items() if key in groups})
    # A program suits age a when age_from <= a <= age_to (ages above MAX_AGE count as MAX_AGE) and,
    # once it has current groups, one of them takes a child of that age: a family looks for a group.
    starts, ends = np.minimum(age_from, MAX_AGE), np.minimum(age_to, MAX_AGE)
    with_groups = groups.get((None, None, False), 0)
    for age in range(MAX_AGE + 1):
        of_age = groups.get((age, None, False), 0)
        bits[("age", str(age))] = bitset(ids[(starts <= age) & (ends >= age)]) & (~with_groups | of_age)
    # Rows come most popular first; the other orders keep that order among equals.
    popular = ids.tolist()
    titles = [text.normalize(title) for title in columns["title"]]
    newest = np.empty_like(ids)
    newest[np.array(columns["newest_rank"], dtype=np.int64) - 1] = ids
    orders = {
        "popular": popular,
        "title": [popular[i] for i in sorted(range(len(popular)), key=titles.__getitem__)],
        "new": newest.tolist(),
        "age": ids[np.argsort(age_from, kind="stable")].tolist(),
    }
    # A program is held at its address: its organization's place when it is the organization's own; the places of
    # its other addresses (a study place's, its groups' elsewhere) are read apart (_places_elsewhere). An address
    # without a known place is not on the map (never guessed).
    program_places = np.full((size, 3), np.nan)
    held_there = flag("at_organization")
    program_places[ids[held_there]] = _on_sphere(columns)[held_there]
    group_places = _places_elsewhere(size, ids[~held_there])
    ranks = {}
    for name, order in orders.items():
        rank = np.zeros(size, dtype=np.int32)
        rank[order] = np.arange(len(order), dtype=np.int32)
        ranks[name] = rank
    return CatalogIndex(
        version=version,
        built_at=time.monotonic(),
        size=size,
        everything=bitset(ids),
        bits=bits,
        organizations={code: members.tolist() for code, members in _groups(columns["organization__code"], ids).items()},
        active_organizations=len(
            set(itertools.compress(columns["organization__code"], columns["organization__is_active"]))
        ),
        orders=orders,
        ranks=ranks,
        groups=groups,
        places=program_places,
        group_places=group_places,
    )


def on_unit_sphere(latitude: Any, longitude: Any) -> FloatArray:
    """The point (x, y, z) of the unit sphere at this latitude and longitude (radians; scalars or arrays)."""
    return np.stack(
        [np.cos(latitude) * np.cos(longitude), np.cos(latitude) * np.sin(longitude), np.sin(latitude)], axis=-1
    )


def in_degrees(point: FloatArray) -> tuple[float, float]:
    """The latitude and longitude (degrees) of a point of the unit sphere."""
    x, y, z = (float(coordinate) for coordinate in point)
    return math.degrees(math.asin(min(max(z, -1.0), 1.0))), math.degrees(math.atan2(y, x))


def arc_km(nearness: FloatArray) -> FloatArray:
    """The distances along the Earth's surface between points of the unit sphere whose products are `nearness`."""
    # The straight line through the sphere between the two points (|a - b|² = 2 - 2 a·b), then the arc it cuts.
    chords = np.sqrt(np.maximum(2 - 2 * nearness, 0.0))
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(chords / 2, 1.0))


def points_on_sphere(latitudes: Sequence[Any], longitudes: Sequence[Any]) -> FloatArray:
    """The points of places (degrees; None: not known → NaN)."""
    return on_unit_sphere(
        np.radians(np.array(latitudes, dtype=np.float64)), np.radians(np.array(longitudes, dtype=np.float64))
    )


def _on_sphere(columns: dict[str, list[Any]]) -> FloatArray:
    """The points of the places in these columns (PLACE_COLUMNS, degrees; None: not known → NaN)."""
    return points_on_sphere(*(columns[name] for name in PLACE_COLUMNS))


def _places_elsewhere(size: int, held_elsewhere: IntArray) -> "GroupPlaces":
    """The places of published programs other than their organization's own address, at a study place of their
    organization: where the program is held, or where its current groups meet; and the organization's own place
    for the groups meeting there of a program held elsewhere. Each read from the few rows that have such a place
    (the study places; the programs held elsewhere) — a pass over every group took ~0.75 s at 160 000 groups."""
    today = timezone.localdate()
    at_study_place = {
        "organization__study_places__latitude__isnull": False,
        "organization__study_places__longitude__isnull": False,
    }
    programs = Program.objects.filter(status=ModerationStatus.PUBLISHED, pk__lt=size)
    held_at = programs.filter(organization__study_places__address=F("address"), **at_study_place)
    groups_at = programs.filter(
        organization__study_places__address=F("groups__address"),
        groups__is_active=True,
        groups__end_date__gte=today,
        **at_study_place,
    )
    at_organization = programs.filter(
        pk__in=held_elsewhere.tolist(),
        groups__address=F("organization__address"),
        groups__is_active=True,
        groups__end_date__gte=today,
        organization__latitude__isnull=False,
        organization__longitude__isnull=False,
    )
    # A study place by its name, or its address when it has none; the organization's own address by none.
    study_place_name = Coalesce(
        NullIf("organization__study_places__name", Value("")), "organization__study_places__address"
    )
    read: list[tuple[QuerySet[Program], str, Func | Value]] = [
        (held_at, "organization__study_places__", study_place_name),
        (groups_at, "organization__study_places__", study_place_name),
    ]
    if len(held_elsewhere):
        read.append((at_organization, "organization__", Value("")))
    columns = ("id", *PLACE_COLUMNS, "place_name")
    first, *rest = (
        found.annotate(**_coordinates(path), place_name=name).values_list(*columns).order_by()
        for found, path, name in read
    )
    found = _columns(first.union(*rest, all=True), columns)  # one statement
    program_ids = np.array(found["id"], dtype=np.int64)
    by_program = np.argsort(program_ids, kind="stable")
    names = [found["place_name"][row] for row in by_program.tolist()]
    return GroupPlaces.of(program_ids[by_program], _on_sphere(found)[by_program], names, size)


def _group_programs(ids: IntArray, ages: tuple[IntArray, IntArray], size: int) -> dict[GroupKey, IntArray]:
    """The programs of `ids` (their ages parallel) with a current group of each combination of
    conditions (GroupKey) that some group meets ((None, None, False): with a current group). A group
    without ages of its own takes its program's; free seats are those of a group offering them
    (`offering_seats`), as the program's count of them. The programs' rows are not joined: reading
    them again doubled the time."""
    columns = _columns(
        Group.objects.current()
        .order_by("id")
        .annotate(
            low=Coalesce("age_from", Value(-1)),
            high=Coalesce("age_to", Value(-1)),
            free=ExpressionWrapper(offering_seats(timezone.now()) & Q(seats_taken__lt=F("capacity")), BooleanField()),
        ),
        ("id", "program_id", "low", "high", "free"),
    )
    weekdays = _columns(
        ScheduleSlot.objects.values("group_id")
        .annotate(mask=Sum(Case(*(When(weekday=day, then=Value(1 << day)) for day in range(7))), distinct=True))
        .order_by("group_id"),
        ("group_id", "mask"),
    )
    group_ids = np.array(columns["id"], dtype=np.int64)
    masks = np.zeros(len(group_ids), dtype=np.int64)
    slotted = np.array(weekdays["group_id"], dtype=np.int64)
    at = np.minimum(np.searchsorted(group_ids, slotted), max(len(group_ids) - 1, 0))
    if len(group_ids):  # slots of groups no longer current are left out
        known = group_ids[at] == slotted
        masks[at[known]] = np.array(weekdays["mask"], dtype=np.int64)[known]
    published = np.zeros(size + 1, dtype=bool)  # the last: programs the index has not read (newer)
    published[ids] = True
    programs = np.minimum(np.array(columns["program_id"], dtype=np.int64), size)
    program_low, program_high = np.zeros(size + 1, dtype=np.int64), np.zeros(size + 1, dtype=np.int64)
    program_low[ids], program_high[ids] = ages
    low, high = np.array(columns["low"], dtype=np.int64), np.array(columns["high"], dtype=np.int64)
    low = np.minimum(np.where(low < 0, program_low[programs], low), MAX_AGE)
    high = np.minimum(np.where(high < 0, program_high[programs], high), MAX_AGE)
    free = np.array(columns["free"], dtype=bool)
    of_published = published[programs]
    found: dict[GroupKey, IntArray] = {}
    for age in (None, *range(MAX_AGE + 1)):
        of_age = of_published if age is None else of_published & (low <= age) & (high >= age)
        for day in (None, *range(7)):
            on_day = of_age if day is None else of_age & (masks >> day & 1).astype(bool)
            for free_seats in (False, True):
                chosen = on_day & free if free_seats else on_day
                if chosen.any():
                    found[(age, day, free_seats)] = programs[chosen]
    return found


def _ovz_category_programs(adapted: IntArray) -> dict[str, IntArray]:
    """The programs of `adapted` (published, adapted for children with ОВЗ) of each category they are
    adapted for, by its code; categories left on a program no longer adapted are not its. The links are
    read with their categories' codes alone and kept for those programs here: joined to the programs'
    table, whose rows are wide, the statement took ~130 ms at 100 000 programs."""
    columns = _columns(Program.ovz_categories.through.objects.order_by(), ("ovzcategory__code", "program_id"))
    programs = np.array(columns["program_id"], dtype=np.int64)
    read = np.isin(programs, adapted)
    return _groups(list(itertools.compress(columns["ovzcategory__code"], read)), programs[read])


FETCH_CHUNK = 2000


def _columns(queryset: "QuerySet[Any, Any]", names: Sequence[str]) -> dict[str, list[Any]]:
    """The values of these fields, column by column, as the database driver returns them (Django's
    per-row conversion doubled the time), a chunk of rows at a time: 100 000 row tuples alive at
    once cost the process a full garbage collection (~90 ms without a thread switch) while they
    are read, and transposing them at once as long again."""
    columns: list[list[Any]] = [[] for _ in names]
    sql, params = queryset.values_list(*names).query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(FETCH_CHUNK):
            for column, values in zip(columns, zip(*chunk, strict=True), strict=True):
                column.extend(values)
    return dict(zip(names, columns, strict=True))


def _groups(values: Sequence[str], ids: IntArray) -> dict[str, IntArray]:
    """The ids of each value (in their order), values in a column parallel to the ids."""
    if not values:
        return {}
    labels, inverse = np.unique(np.array(values, dtype=str), return_inverse=True)
    members = np.split(ids[np.argsort(inverse, kind="stable")], np.cumsum(np.bincount(inverse))[:-1])
    return dict(zip(labels.tolist(), members, strict=True))


_index: CatalogIndex | None = None
_lock = threading.Lock()
_rebuilding = threading.Event()


def current_index() -> CatalogIndex:
    """This process's index: built on first use, rebuilt in the background once it is older than
    OPORA_FACET_CACHE_SECONDS and the catalog changed (or the cache is not shared between
    processes, so changes elsewhere cannot be seen)."""
    global _index
    max_age = settings.OPORA_FACET_CACHE_SECONDS
    version = catalog_version()
    index = _index
    if max_age <= 0:
        return build_index(version)
    if index is None:
        with _lock:
            if _index is None:
                _index = build_index(version)
            return _index
    stale = time.monotonic() - index.built_at >= max_age
    changed = index.version != version or isinstance(caches["default"], LocMemCache)
    if stale and changed and not _rebuilding.is_set():
        _rebuilding.set()
        _in_background(lambda: _rebuild(version))
    return index


def build_in_background() -> threading.Thread:
    """Build this process's index before its first search needs it (~1.7 s at 100 000 programs): a
    server process starts this when it loads the application, so that the first family after a
    restart does not wait; a search arriving meanwhile waits only for the rest of the build."""
    return _in_background(current_index)


def _in_background(work: Callable[[], object]) -> threading.Thread:
    """Run `work` in a thread of its own, which closes its own database connection when done."""
    from django.db import connection

    def run() -> None:
        try:
            work()
        finally:
            connection.close()

    thread = threading.Thread(target=run, daemon=True, name="catalog-index")
    thread.start()
    return thread


def _rebuild(version: str) -> None:
    global _index
    try:
        _index = build_index(version)
    finally:
        _rebuilding.clear()
