"""The territory clause of scope rules: a municipality's rows, or a region's."""

from typing import Any

from django.db.models import Q, QuerySet

from accounts.roles import Principal, principal_of
from core import scope
from territory.models import Municipality


def in_territory(field: str, p: Principal, regions: frozenset[int] = frozenset()) -> Q:
    """Rows whose municipality (`field`, the path to it) is one of p's municipalities or lies in one
    of `regions` (those of p's regions the rule counts). A region's municipalities are read once a
    request and named by id: joined to the municipalities instead, PostgreSQL pairs each of the
    region's municipalities with every row it reads (a regional operator's applications filtered by
    a program: 186 → 41 ms at regional size)."""
    ids = set(p.municipality_ids)
    if regions:
        if regions not in p.region_municipalities:
            found = Municipality.objects.filter(region__in=regions).order_by().values_list("pk", flat=True)
            p.region_municipalities[regions] = frozenset(found)
        ids |= p.region_municipalities[regions]
    return Q(**{f"{field}__in": ids}) if ids else scope.NOTHING


def governed_municipalities(user: Any) -> QuerySet[Municipality]:
    """The municipalities whose organizations (and campaigns) the person keeps: a municipal operator's own, a
    regional operator's region's, every one for the administrator."""
    principal = principal_of(user)
    if principal.is_admin:
        return Municipality.objects.all()
    return Municipality.objects.filter(Q(pk__in=principal.municipality_ids) | Q(region__in=principal.region_ids))
