"""Inserting generated rows quickly: the demo and the benchmarks write 10⁵ rows at a time.

Django's bulk_create prepares every value through its field and compiles SQL per batch, which
at this size costs far more than the database's own work. Data made by our generators is
already valid, so one prepared statement with executemany does the same job several times
faster. Validation still happens: the database's constraints check every row.
"""

import uuid
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from django.db import connection, models
from django.db.models import Max


def _adapter(field: models.Field) -> Callable[[Any], Any]:  # type: ignore[type-arg]
    if isinstance(field, models.UUIDField) and connection.vendor != "postgresql":
        return lambda value: value.hex if isinstance(value, uuid.UUID) else value
    if isinstance(field, models.DateTimeField):
        return lambda value: connection.ops.adapt_datetimefield_value(value) if isinstance(value, datetime) else value
    if isinstance(field, models.DateField):
        return lambda value: connection.ops.adapt_datefield_value(value) if isinstance(value, date) else value
    return lambda value: value


def insert_rows(model: type[models.Model], fields: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[int]:
    """Insert `rows` (values in the order of `fields`) and return their new primary keys in order.

    Only for a process that writes alone (demo loading, benchmark setup): the keys are read back
    as the ones above the previous maximum."""
    if not rows:
        return []
    meta = model._meta
    columns = [field for name in fields if isinstance(field := meta.get_field(name), models.Field)]
    adapters = [_adapter(column) for column in columns]
    if len(columns) != len(fields):
        raise ValueError(f"{meta.label}: вставлять можно только в поля таблицы")
    quote = connection.ops.quote_name
    # Names come from the model, values go as parameters.
    sql = f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(c.column) for c in columns)}) VALUES ({', '.join(['%s'] * len(columns))})"  # noqa: E501, S608
    before = model._default_manager.aggregate(last=Max("pk"))["last"] or 0
    with connection.cursor() as cursor:
        cursor.executemany(sql, [tuple(adapt(v) for adapt, v in zip(adapters, row, strict=True)) for row in rows])
    keys = list(model._default_manager.filter(pk__gt=before).order_by("pk").values_list("pk", flat=True))
    if len(keys) != len(rows):
        raise RuntimeError(f"{meta.label}: вставлено {len(rows)} строк, найдено {len(keys)} — запись шла не в одиночку")
    return keys
