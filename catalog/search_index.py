"""An in-process index of the published catalog: one bitset per filter value.

Why: counts per filter value over a broad match (a town with 30 000 programs) cost 20–100 ms of
conditional aggregation in the database on every request, and no SQL index helps; intersecting
bitsets of 100 000 bits costs microseconds. The database still answers the text part of a query
(GIN) and returns the rows of the page, fresh; the index says which published programs pass the
filters, how many per filter value, and in which order.

Slots are the published programs in popularity order (most popular first), so the first set bits
of a bitset are the most popular matches. Each process keeps one index and rebuilds it in the
background when the catalog changed, at most once per OPORA_FACET_CACHE_SECONDS; with 0 (tests)
every search reads the database afresh.
"""

import re
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache

from catalog.models import ModerationStatus, Program

CATALOG_VERSION_KEY = "catalog:version"
MAX_AGE = 18
TEXT_CACHE_SIZE = 512  # text matches remembered per process: families search the same subjects
_NONZERO = re.compile(rb"[^\x00]")
_BYTE_BITS = tuple(tuple(bit for bit in range(8) if byte >> bit & 1) for byte in range(256))

# Facets counted from the index, with the bitset key of each value.
FUNDING_FIELDS = {"free": "is_free", "certificate": "by_certificate", "paid": "is_paid"}
LEVEL_FIELDS = {"initial": "level_initial", "basic": "level_basic", "advanced": "level_advanced"}


def catalog_version() -> str:
    """A token that changes whenever the published catalog changes (see bump in catalog.search)."""
    return str(cache.get_or_set(CATALOG_VERSION_KEY, lambda: uuid.uuid4().hex, None))


def new_catalog_version() -> None:
    cache.set(CATALOG_VERSION_KEY, uuid.uuid4().hex, None)


class Bits:
    """Set-bit helpers for Python ints used as bitsets (bit i = slot i)."""

    @staticmethod
    def from_slots(slots: Iterable[int], size: int) -> int:
        buffer = bytearray((size + 7) // 8)
        for slot in slots:
            buffer[slot >> 3] |= 1 << (slot & 7)
        return int.from_bytes(buffer, "little")

    @staticmethod
    def slots(bits: int) -> Iterator[int]:
        """Set bits in ascending order; skips empty bytes at C speed."""
        data = bits.to_bytes((bits.bit_length() + 7) // 8, "little")
        for match in _NONZERO.finditer(data):
            base = match.start() * 8
            for bit in _BYTE_BITS[data[match.start()]]:
                yield base + bit

    @staticmethod
    def any_of(bitsets: Iterable[int]) -> int:
        result = 0
        for bits in bitsets:
            result |= bits
        return result


@dataclass
class CatalogIndex:
    version: str
    built_at: float
    ids: list[int]  # slot → program id
    slot_of: dict[int, int]
    everything: int
    bits: dict[tuple[str, str], int]
    organizations: dict[str, list[int]]  # organization code → slots
    orders: dict[str, list[int]]  # sort → slots in that order
    ranks: dict[str, list[int]]  # sort → rank of each slot
    text_cache: "OrderedDict[tuple[str, ...], tuple[int, int]]" = field(default_factory=OrderedDict)

    @property
    def size(self) -> int:
        return len(self.ids)

    def get(self, facet: str, value: str) -> int:
        return self.bits.get((facet, value), 0)

    def organization(self, code: str) -> int:
        return Bits.from_slots(self.organizations.get(code, ()), self.size)

    def from_ids(self, ids: Iterable[int]) -> int:
        """Programs published after the index was built have no slot yet and are left out."""
        slot_of = self.slot_of
        return Bits.from_slots((slot_of[i] for i in ids if i in slot_of), self.size)

    def text(self, words: Sequence[str], load: Callable[[], Iterable[tuple[int, bool]]]) -> tuple[int, int]:
        """(all matches, title matches) of query words; `load` gives (program id, in title) pairs."""
        key = tuple(words)
        found = self.text_cache.get(key)
        if found is None:
            pairs = list(load())
            found = (self.from_ids(i for i, _ in pairs), self.from_ids(i for i, in_title in pairs if in_title))
            self.text_cache[key] = found
            if len(self.text_cache) > TEXT_CACHE_SIZE:
                self.text_cache.popitem(last=False)
        else:
            self.text_cache.move_to_end(key)
        return found

    def top(self, bits: int, sort: str, start: int, count: int, first: int = 0) -> list[int]:
        """Slots `start`..`start + count` of `bits` in the given sort order; `first` (title
        matches) come before the rest when sorting by relevance."""
        if sort == "relevance" and first:
            ordered = _chain_limited(Bits.slots(bits & first), Bits.slots(bits & ~first), start + count)
            return ordered[start:]
        if sort not in self.orders:  # popularity: slot order
            return _take(Bits.slots(bits), start, count)
        matches = bits.bit_count()
        if matches * 20 < self.size:  # a narrow match: sort its slots by rank
            rank = self.ranks[sort]
            return sorted(Bits.slots(bits), key=rank.__getitem__)[start : start + count]
        data = bits.to_bytes((self.size + 7) // 8, "little")
        chosen = (slot for slot in self.orders[sort] if data[slot >> 3] >> (slot & 7) & 1)
        return _take(chosen, start, count)


def _take(slots: Iterator[int], start: int, count: int) -> list[int]:
    out = []
    for position, slot in enumerate(slots):
        if position >= start + count:
            break
        if position >= start:
            out.append(slot)
    return out


def _chain_limited(head: Iterator[int], tail: Iterator[int], limit: int) -> list[int]:
    out: list[int] = []
    for slots in (head, tail):
        for slot in slots:
            if len(out) >= limit:
                return out
            out.append(slot)
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
    "open_seats",
    "weekdays_mask",
    "age_from",
    "age_to",
    "municipality__oktmo",
    "organization__code",
    "title",
    "published_at",
)


def build_index(version: str) -> CatalogIndex:
    rows = list(
        Program.objects.filter(status=ModerationStatus.PUBLISHED)
        .order_by("-popularity", "id")
        .values_list(*INDEX_FIELDS)
    )
    size = len(rows)
    slots: dict[tuple[str, str], list[int]] = {}
    organizations: dict[str, list[int]] = {}
    age_from: list[list[int]] = [[] for _ in range(MAX_AGE + 1)]
    age_to: list[list[int]] = [[] for _ in range(MAX_AGE + 1)]

    def add(key: tuple[str, str], slot: int) -> None:
        slots.setdefault(key, []).append(slot)

    for slot, row in enumerate(rows):
        values = dict(zip(INDEX_FIELDS, row, strict=True))
        add(("direction", values["direction"]), slot)
        add(("form", values["study_form"]), slot)
        if values["uses_distance_learning"]:
            add(("form", "distance"), slot)
        for level, name in LEVEL_FIELDS.items():
            if values[name]:
                add(("level", level), slot)
        for funding, name in FUNDING_FIELDS.items():
            if values[name]:
                add(("funding", funding), slot)
        if values["ovz_adapted"]:
            add(("ovz", "1"), slot)
        if values["open_seats"] > 0:
            add(("free_seats", "1"), slot)
        mask = values["weekdays_mask"]
        for day in range(7):
            if mask >> day & 1:
                add(("day", str(day)), slot)
        add(("municipality", values["municipality__oktmo"]), slot)
        organizations.setdefault(values["organization__code"], []).append(slot)
        age_from[min(values["age_from"], MAX_AGE)].append(slot)
        age_to[min(values["age_to"], MAX_AGE)].append(slot)
    bits = {key: Bits.from_slots(found, size) for key, found in slots.items()}
    # A program suits age a when age_from <= a <= age_to: prefix unions of both ends.
    starts = [Bits.from_slots(found, size) for found in age_from]
    ends = [Bits.from_slots(found, size) for found in age_to]
    started, not_ended = 0, Bits.any_of(ends)
    for age in range(MAX_AGE + 1):
        started |= starts[age]
        bits[("age", str(age))] = started & not_ended
        not_ended &= ~ends[age]
    sort_keys: dict[str, Callable[[int], Any]] = {
        "title": lambda s: (rows[s][17].lower(), rows[s][0]),
        "new": lambda s: (-(rows[s][18].timestamp() if rows[s][18] else 0), -rows[s][0]),
        "age": lambda s: (rows[s][13], s),
    }
    orders = {name: sorted(range(size), key=key) for name, key in sort_keys.items()}
    ranks = {}
    for name, order in orders.items():
        rank = [0] * size
        for position, slot in enumerate(order):
            rank[slot] = position
        ranks[name] = rank
    ids = [row[0] for row in rows]
    return CatalogIndex(
        version=version,
        built_at=time.monotonic(),
        ids=ids,
        slot_of={pid: slot for slot, pid in enumerate(ids)},
        everything=(1 << size) - 1,
        bits=bits,
        organizations=organizations,
        orders=orders,
        ranks=ranks,
    )


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
        threading.Thread(target=_rebuild, args=(version,), daemon=True, name="catalog-index").start()
    return index


def _rebuild(version: str) -> None:
    global _index
    from django.db import connection

    try:
        _index = build_index(version)
    finally:
        connection.close()  # this thread's own connection
        _rebuilding.clear()
