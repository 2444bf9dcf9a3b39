"""Who may see and act on monitoring's objects."""

from django.db.models import Q

from accounts.roles import Principal
from core import scope
from monitoring.models import ImportBatch


def batch_rule(p: Principal, action: scope.Action) -> Q:
    """An organization's operator imports its lists, the municipal operator those of the
    municipality's organizations; the regional operator follows the region's imports read-only."""
    importers = Q(organization__in=p.operated_organization_ids) | Q(organization__municipality__in=p.municipality_ids)
    if action == "view":
        return importers | Q(organization__municipality__region__in=p.region_ids)
    return importers


scope.register(ImportBatch, batch_rule)
