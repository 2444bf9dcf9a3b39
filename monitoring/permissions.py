"""Who may see and act on monitoring's objects."""

from django.db.models import Q

from accounts.roles import Principal
from core import scope
from monitoring.models import ImportBatch
from territory.permissions import in_territory


def batch_rule(p: Principal, action: scope.Action) -> Q:
    """An organization's operator imports its lists, the municipal operator those of the
    municipality's organizations; the regional operator follows the region's imports read-only."""
    own = Q(organization__in=p.operated_organization_ids)
    if action == "view":
        return own | in_territory("organization__municipality", p, p.region_ids)
    return own | in_territory("organization__municipality", p)


scope.register(ImportBatch, batch_rule)
