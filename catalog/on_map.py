"""«На карте»: what a list shows (the search's programs, the list's organizations) gathered by the places it is at."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import numpy as np

from catalog.search_index import arc_km, on_unit_sphere, points_on_sphere

Item = TypeVar("Item")

# Places within ~1 m are one: a building however its groups' rows say it.
DIGITS = 5


@dataclass
class MapPlace(Generic[Item]):
    """A place on a map and what of the list is there, in the list's order."""

    latitude: float
    longitude: float
    name: str  # a study place's name, or the address
    items: list[Item] = field(default_factory=list)
    distance_km: float | None = None  # from where the family is, when it said so


@dataclass(frozen=True)
class PlacesMap(Generic[Item]):
    places: list[MapPlace[Item]]  # those with the most first
    shown: int  # the items these places are of: the first of the list's order
    unplaced: int  # of them, those without a known place (not on the map)


def gather(
    items: Iterable[Item],
    places_of: Callable[[Item], list[tuple[float, float, str]]],
    address: Callable[[Item], str],
    near: tuple[float, float] | None = None,
) -> PlacesMap[Item]:
    """The places of these items, each with the items there; `places_of` says where an item is (latitude and
    longitude in degrees, the place's name, "" for the address `address` gives). Those with the most items first;
    from where the family is (`near`), the nearest first, each with its distance."""
    places: dict[tuple[float, float], MapPlace[Item]] = {}
    shown = unplaced = 0
    for item in items:
        shown += 1
        found = places_of(item)
        unplaced += not found
        for latitude, longitude, name in found:
            at = (round(latitude, DIGITS), round(longitude, DIGITS))
            place = places.setdefault(at, MapPlace(*at, name or address(item)))
            if not place.items or place.items[-1] is not item:
                place.items.append(item)
    gathered = list(places.values())
    if near is None:
        return PlacesMap(sorted(gathered, key=lambda place: -len(place.items)), shown, unplaced)
    here = on_unit_sphere(*np.radians(near))
    points = points_on_sphere([p.latitude for p in gathered], [p.longitude for p in gathered]).reshape(-1, 3)
    for place, km in zip(gathered, arc_km(points @ here).tolist(), strict=True):
        place.distance_km = km
    return PlacesMap(sorted(gathered, key=lambda place: place.distance_km or 0.0), shown, unplaced)
