"""The territory clause of scope rules: a municipality's rows, or a region's."""

from collections.abc import Collection

from django.db.models import Q

from core import scope
from territory.models import Municipality


def in_territory(field: str, municipality_ids: Collection[int], region_ids: Collection[int] = ()) -> Q:
    """Rows whose municipality (`field`, the path to it) is one of `municipality_ids` or lies in one
    of `region_ids`. A region's municipalities are read and named by id: joined to the
    municipalities instead, PostgreSQL pairs each of the region's municipalities with every row it
    reads (a regional operator's applications filtered by a program: 186 → 41 ms at regional size)."""
    ids = set(municipality_ids)
    if region_ids:
        ids.update(Municipality.objects.filter(region__in=region_ids).order_by().values_list("pk", flat=True))
    return Q(**{f"{field}__in": ids}) if ids else scope.NOTHING
