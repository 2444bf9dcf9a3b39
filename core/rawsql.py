"""Hand-written SELECTs on a hot path, read back the way the ORM reads a column.

Compiling an ORM query costs about a millisecond of Python; a request that must answer in a few
needs its reads as one fixed statement instead. Its columns still go through the converters the
ORM would use (SQLite keeps dates and UUIDs as text), so the values are the ORM's values.
"""

from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Any

from django.db import connection, models

Column = models.Field | None  # type: ignore[type-arg]
"""The model field a selected column holds; None for a computed value, taken as it is."""

Converter = Callable[[Any], Any]


@cache
def _converters(vendor: str, columns: tuple[Column, ...]) -> tuple[Converter | None, ...]:
    found: list[Converter | None] = []
    for field in columns:
        if field is None:
            found.append(None)
            continue
        col = field.get_col(field.model._meta.db_table)
        steps = [*connection.ops.get_db_converters(col), *col.get_db_converters(connection)]

        def convert(value: Any, steps: list[Any] = steps, col: Any = col) -> Any:
            for step in steps:
                value = step(value, col, connection)
            return value

        found.append(convert if steps else None)
    return tuple(found)


def select(sql: str, params: Mapping[str, Any], columns: Sequence[Column]) -> list[tuple[Any, ...]]:
    """The rows of `sql`, each column converted as its field's column would be."""
    converters = _converters(connection.vendor, tuple(columns))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not any(converters):
        return rows
    return [
        tuple(value if convert is None else convert(value) for convert, value in zip(converters, row, strict=True))
        for row in rows
    ]


def fields(model: type[models.Model], names: Sequence[str]) -> list[models.Field]:  # type: ignore[type-arg]
    """The model's fields of these attnames, in the model's field order: the order
    `Model.from_db(db, names, values)` takes values in."""
    found = [field for field in model._meta.concrete_fields if field.attname in names]
    if len(found) != len(names):
        raise LookupError(f"{model.__name__}: нет полей из {names}")
    return found


def select_list(alias: str, columns: Sequence[models.Field]) -> str:  # type: ignore[type-arg]
    """`alias.column, …` for these fields."""
    return ", ".join(f"{alias}.{field.column}" for field in columns)


def param(field: models.Field, value: Any) -> Any:  # type: ignore[type-arg]
    """A value as a query parameter compared with `field`'s column."""
    return field.get_db_prep_value(value, connection)
