"""Where groups meet on the map. An address of an organization is placed by its coordinates when it is the
organization's own address (or a program says none), or one of its study places (`StudyPlace`); any other
address has no known place — never a guessed one (there is no geocoder here)."""

from collections.abc import Iterable
from typing import Any, NamedTuple

from django.db.models import Case, FloatField, OuterRef, Q, QuerySet, Subquery, When
from django.db.models.functions import Cast

from catalog.models import Located, Organization, StudyPlace


def normalized(address: str) -> str:
    """The address as kept: spaces collapsed, none at the ends (a place is found by its address written alike)."""
    return " ".join(address.split())


def places_at(organization: Organization, addresses: Iterable[str]) -> dict[str, Located]:
    """Each of these addresses that is the organization's own (or none) or one of its study places → that place,
    its coordinates known or not."""
    wanted = set(addresses)
    found: dict[str, Located] = dict.fromkeys(wanted & {"", organization.address}, organization)
    if others := wanted - found.keys():
        found.update({place.address: place for place in organization.study_places.filter(address__in=others)})
    return found


class Whereabouts(NamedTuple):
    address: str
    name: str  # of the study place at the address; empty for the organization's own or an unknown one
    map_url: str  # empty where the place is not known


def whereabouts(organization: Organization, addresses: Iterable[str]) -> list[Whereabouts]:
    """These addresses of the organization (once each, in their order), named and linked to the map where known."""
    ordered = list(dict.fromkeys(addresses))
    found = places_at(organization, ordered)
    return [
        Whereabouts(
            address,
            place.name if isinstance(place := found.get(address), StudyPlace) else "",
            place.map_url if place is not None else "",
        )
        for address in ordered
    ]


def with_place(queryset: QuerySet[Any], address: str, organization: str) -> QuerySet[Any]:
    """The rows annotated with the place of their field `address`, an address of the organization the path
    `organization` leads to: `place_latitude`, `place_longitude` as floats, NULL where it is not known. Read by
    subqueries of the organization and its study places, evaluated for the rows returned: a join to the
    organizations would be paid by every row a list sorts (the API's groups: +20–40 ms at regional size)."""
    own = Organization.objects.filter(pk=OuterRef(f"{organization}_id")).order_by()
    study_place = StudyPlace.objects.filter(
        organization_id=OuterRef(f"{organization}_id"), address=OuterRef(address)
    ).order_by()
    at_organization = Q(**{address: ""}) | Q(**{address: Subquery(own.values("address")[:1])})

    def coordinate(name: str) -> Case:
        return Case(
            When(at_organization, then=Cast(Subquery(own.values(name)[:1]), FloatField())),
            default=Cast(Subquery(study_place.values(name)[:1]), FloatField()),
        )

    return queryset.annotate(place_latitude=coordinate("latitude"), place_longitude=coordinate("longitude"))
