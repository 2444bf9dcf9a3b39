"""Choosing one organization among many for a page that works for one (a new program, an upload):
a search box and the first matches by name, each a link that puts its code in the address
(`?organization=code`). A select of every organization took 0.7–8 s for an administrator of 5 000."""

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from catalog.models import Organization
from core.typed import code_typed, contains_typed

CHOICES_SHOWN = 20  # more is a longer list to read than a word to add to the search


@dataclass(frozen=True)
class OrganizationChoice:
    query: str
    matches: list[Organization]  # the first CHOICES_SHOWN by name
    total: int


def organization_choice(organizations: QuerySet[Organization], query: str) -> OrganizationChoice:
    """The organizations whose name contains the query (or with this ИНН or code), by name."""
    query = query.strip()
    if query:
        organizations = organizations.filter(
            contains_typed("short_name", query) | contains_typed("full_name", query) | Q(inn=query) | code_typed(query)
        )
    first = organizations.select_related("municipality").only("code", "short_name", "inn", "municipality__name")
    matches = list(first.order_by("short_name", "pk")[:CHOICES_SHOWN])
    total = len(matches) if len(matches) < CHOICES_SHOWN else organizations.count()
    return OrganizationChoice(query, matches, total)
