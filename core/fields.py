from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models


class SearchDocumentField(models.TextField):  # type: ignore[type-arg]
    """A program's search document: a `tsvector` on PostgreSQL, stemmed words on SQLite.

    The value is written only by `catalog.search.refresh_search_documents`, never by forms.
    """

    def db_type(self, connection: Any) -> str:
        return "tsvector" if connection.vendor == "postgresql" else "text"


class CopiedForeignKey(models.ForeignKey):  # type: ignore[type-arg]
    """A foreign key copied from another one of the row's objects when the row is first written
    (`copied_from="program"`: the program's own key of the same name), so that lists filtered by
    it read along an index of this table instead of joining the other. Filled by `pre_save`,
    which every write path calls: `save()`, `core.bulk.insert_objects` and raw inserts built
    from fields. Whoever changes the source must update the copies (a receiver of its save)."""

    def __init__(self, *args: Any, copied_from: str, **kwargs: Any) -> None:
        self.copied_from = copied_from
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["copied_from"] = self.copied_from
        kwargs.pop("editable", None)
        return name, path, args, kwargs

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        if add or getattr(model_instance, self.attname) is None:
            source = getattr(model_instance, self.copied_from)
            setattr(model_instance, self.attname, getattr(source, self.attname))
        return getattr(model_instance, self.attname)


def verbose_names(
    model: type[models.Model], names: Iterable[str], others: Mapping[str, str] | None = None
) -> list[str]:
    """Russian names of a model's fields (names or attnames), for lists of what changed; a name that is no field
    (`others`, or one an old audit record keeps of a field gone since) as `others` say it or as it is."""
    labels = []
    for name in names:
        try:
            labels.append(str(getattr(model._meta.get_field(name), "verbose_name", name)))
        except FieldDoesNotExist:
            labels.append((others or {}).get(name, name))
    return labels
