"""«На карте»: what a list shows (the search's programs, the list's organizations) gathered by the places it is at."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

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


@dataclass(frozen=True)
class PlacesMap(Generic[Item]):
    places: list[MapPlace[Item]]  # those with the most first
    shown: int  # the items these places are of: the first of the list's order
    unplaced: int  # of them, those without a known place (not on the map)


def gather(
    items: Iterable[Item], places_of: Callable[[Item], list[tuple[float, float, str]]], address: Callable[[Item], str]
) -> PlacesMap[Item]:
    """The places of these items, each with the items there; `places_of` says where an item is (latitude and
    longitude in degrees, the place's name, "" for the address `address` gives)."""
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
    return PlacesMap(sorted(places.values(), key=lambda place: -len(place.items)), shown, unplaced)
