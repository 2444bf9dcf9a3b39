from typing import Any

from django.db import models


class SearchDocumentField(models.TextField):  # type: ignore[type-arg]
    """A program's search document: a `tsvector` on PostgreSQL, stemmed words on SQLite.

    The value is written only by `catalog.search.refresh_search_documents`, never by forms.
    """

    def db_type(self, connection: Any) -> str:
        return "tsvector" if connection.vendor == "postgresql" else "text"
