"""Which territories a person monitors, and what they may change there.

A municipal operator sees the municipalities assigned to them; a regional operator (and a
methodologist, read-only) the region and all its municipalities; an administrator everything.
A territory is named in URLs by a short key: «r-<region code>» or «m-<ОКТМО>».
"""

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404

from accounts.roles import principal_of
from territory.models import Municipality, Region


@dataclass(frozen=True)
class Territory:
    key: str
    name: str
    region: Region
    municipality: Municipality | None
    municipality_ids: tuple[int, ...]

    @property
    def is_region(self) -> bool:
        return self.municipality is None


def territories_for(user: Any) -> list[Territory]:
    """Every territory the user may monitor: regions first, then their municipalities."""
    principal = principal_of(user)
    if principal.is_admin:
        regions = list(Region.objects.all())
    else:
        regions = list(Region.objects.filter(pk__in=principal.region_ids | principal.methodologist_region_ids))
    municipalities = list(
        Municipality.objects.filter(region__in=regions).select_related("region").order_by("region__name", "name")
    )
    own = Municipality.objects.filter(pk__in=principal.municipality_ids).exclude(region__in=regions)
    municipalities += list(own.select_related("region").order_by("name"))
    result = []
    for region in regions:
        ids = tuple(m.pk for m in municipalities if m.region_id == region.pk)
        result.append(Territory(f"r-{region.code}", region.name, region, None, ids))
    result += [Territory(f"m-{m.oktmo}", m.name, m.region, m, (m.pk,)) for m in municipalities]
    return result


def territory_for(user: Any, key: str | None) -> Territory:
    """The territory named by `key` (the first one when empty); 404 outside the user's scope."""
    return chosen(territories_for(user), key)


def chosen(territories: list[Territory], key: str | None) -> Territory:
    """The territory named by `key` among those the user monitors (403 if none, 404 if not there)."""
    if not territories:
        raise PermissionDenied
    if not key:
        return territories[0]
    for territory in territories:
        if territory.key == key:
            return territory
    raise Http404


def may_set_targets(user: Any, region: Region) -> bool:
    principal = principal_of(user)
    return principal.is_admin or region.pk in principal.region_ids


def may_see_children(user: Any) -> bool:
    """Lists of children (personal data) are for operators, not for the methodologist's analytics."""
    principal = principal_of(user)
    return principal.is_admin or bool(principal.region_ids or principal.municipality_ids)
