"""Filters for what people type into search boxes of lists and names (not the catalog's full-text search)."""

from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.functions import Length


def contains_typed(field: str, query: str) -> Q:
    """Rows whose `field` contains the typed text in any case. PostgreSQL's ILIKE folds Cyrillic
    letters as well; SQLite's LIKE folds only Latin ones, so there the usual spellings of the query
    are tried too: as typed, in lower case, capitalized («радуга» finds «Радуга»)."""
    spellings = {query} if connection.vendor == "postgresql" else {query, query.lower(), query.capitalize()}
    matches = Q()
    for spelling in spellings:
        matches |= Q(**{f"{field}__icontains": spelling})
    return matches


def code_typed(query: str) -> Q:
    """Rows with the code typed, in any case: codes are kept in capitals and found whole by their
    unique index (`code__iexact` compares UPPER(code) and reads every row of the table)."""
    return Q(code=query.strip().upper())


def title_or_code(query: str) -> Q:
    """Rows whose title contains the text typed, or with this code."""
    return code_typed(query) | contains_typed("title", query)


def same_in_any_case(queryset: QuerySet[Any], field: str, text: str) -> Any | None:
    """The first row whose `field` is `text` in any case, Cyrillic included on every database:
    SQLite's LIKE and lower() fold Latin letters only, so rows of the same length are compared here."""
    folded = text.casefold()
    rows = queryset.annotate(typed_length=Length(field)).filter(typed_length=len(text))
    return next((row for row in rows if getattr(row, field).casefold() == folded), None)
