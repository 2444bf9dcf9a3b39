"""The admin's search at regional size.

Django's admin joins every relation a search field crosses and ORs the conditions over the join,
so PostgreSQL reads every row behind each relation: searching groups by their program's title read
all 100 000 programs (~800 ms a page, twice: the rows and their count). Here each field is matched in
the table it belongs to, where its index serves it, and the rows are found by the ids that matched;
the results are Django's (a test compares them for every list of the admin), and on SQLite a word typed
in small letters finds a name written with a capital, as on PostgreSQL.
"""

from typing import Any

from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest
from django.utils.text import smart_split, unescape_string_literal

from core.typed import contains_typed

# Django's prefixes of search fields; no prefix: the text anywhere in the field.
LOOKUPS = {"^": "istartswith", "@": "search"}
EXACT = "="


def matching_ids(model: type[Model], field: str, term: str) -> QuerySet[Any]:
    """Ids of the model's rows whose `field` (a search field of the admin: a path across relations,
    with Django's prefix) matches the term."""
    prefix = field[0] if field[0] in LOOKUPS or field[0] == EXACT else ""
    path = field.removeprefix(prefix)
    relation, _, rest = path.partition("__")
    if rest:
        related = model._meta.get_field(relation).related_model
        assert related is not None and not isinstance(related, str), f"{model.__name__}.{relation}"
        condition = Q(**{f"{relation}__in": matching_ids(related, prefix + rest, term)})
    elif prefix == EXACT:
        # Codes, ИНН, ОКТМО, keys: as typed or in capitals (codes are written in capitals), so that
        # their unique index finds them; Django's case-insensitive comparison reads the whole table.
        condition = Q(**{f"{path}__in": sorted({term, term.upper()})})
    elif prefix:
        condition = Q(**{f"{path}__{LOOKUPS[prefix]}": term})
    else:
        condition = contains_typed(path, term)  # «иванов» finds «Иванов» on SQLite too
    return model._base_manager.filter(condition).values("pk").order_by()


class IndexedSearchMixin:
    """Search each field in its own table; every word of the query must match one of the fields."""

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        fields = self.get_search_fields(request)  # type: ignore[attr-defined]
        if not (fields and search_term):
            return queryset, False
        for word in smart_split(search_term):
            if word.startswith(('"', "'")) and word[0] == word[-1]:
                word = unescape_string_literal(word)
            first, *others = (matching_ids(queryset.model, str(field), word) for field in fields)
            queryset = queryset.filter(pk__in=first.union(*others) if others else first)
        return queryset, False  # ids are unique: no row twice
