"""Inserting many rows quickly: the demo and the benchmarks write 10⁵ rows at a time, the monthly
close of certificate contracts as many ledger rows.

Django's bulk_create prepares every value through its field and compiles SQL with a placeholder
per value, which at this size costs far more than the database's own work. Our rows are made by
our own code, so they go as they are, a whole batch per statement; the database's constraints
still check every row.
"""

import uuid
from collections.abc import Callable, Sequence
from datetime import date, datetime, time
from functools import cache
from typing import Any, TypeVar

from django.db import IntegrityError, connection, models
from django.db.models import Max, QuerySet

from core import rawsql
from core.models import CODE_ATTEMPTS, PublicEntity

Instance = TypeVar("Instance", bound=models.Model)


def _adapter(field: models.Field) -> Callable[[Any], Any] | None:  # type: ignore[type-arg]
    """How a value goes to SQLite (psycopg adapts Python values itself); None: as it is."""
    if connection.vendor == "postgresql":
        return None
    ops = connection.ops  # once: through the connection proxy each value would cost more than its adapting
    if isinstance(field, models.UUIDField):
        return lambda value: value.hex if isinstance(value, uuid.UUID) else value
    if isinstance(field, models.DateTimeField):
        return lambda value: ops.adapt_datetimefield_value(value) if isinstance(value, datetime) else value
    if isinstance(field, models.DateField):
        return lambda value: ops.adapt_datefield_value(value) if isinstance(value, date) else value
    if isinstance(field, models.TimeField):
        return lambda value: ops.adapt_timefield_value(value) if isinstance(value, time) else value
    return None


# PostgreSQL takes a whole batch as one array per column; SQLite takes a VALUES list, within its
# limit of 32 766 parameters per statement.
ROWS_PER_STATEMENT = {"postgresql": 50000}
SQLITE_PARAMETERS = 32000


def rows_source(columns: Sequence[str], types: Sequence[str], rows: Sequence[Sequence[Any]]) -> tuple[str, list[Any]]:
    """A derived table of `rows` with the named columns, for INSERT … SELECT and UPDATE … FROM.

    On PostgreSQL each column is one array parameter (unnest), so the statement has a handful of
    placeholders whatever the number of rows: the driver does not parse thousands of them and
    the server plans one statement. Elsewhere it is a VALUES list."""
    quote = connection.ops.quote_name
    names = ", ".join(quote(c) for c in columns)
    if connection.vendor == "postgresql":
        arrays = ", ".join(f"%s::{t}[]" for t in types)
        columns_as_arrays = [list(c) for c in zip(*rows, strict=True)]
        return f"(SELECT * FROM unnest({arrays}) AS source({names}))", columns_as_arrays  # noqa: S608  (names from models)
    row = f"({', '.join(['%s'] * len(columns))})"
    renamed = ", ".join(f"column{n} AS {quote(c)}" for n, c in enumerate(columns, start=1))
    values = ", ".join([row] * len(rows))
    return f"(SELECT {renamed} FROM (VALUES {values}))", [v for r in rows for v in r]  # noqa: S608


def insert_many(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Sequence[Sequence[Any]],
    returning: Sequence[str] = (),
) -> list[tuple[Any, ...]]:
    """Insert `rows` (values in the order of `fields`) in few statements; returns the `returning`
    columns of the new rows (nothing if none are asked for)."""
    if not rows:
        return []
    meta = model._meta
    columns = _columns(model, fields)
    adapters = [_adapter(column) for column in columns]
    if any(adapters):
        rows = [tuple(v if adapt is None else adapt(v) for adapt, v in zip(adapters, row, strict=True)) for row in rows]
    types = [column.db_type(connection) or "text" for column in columns]
    names = [column.column for column in columns]
    quote = connection.ops.quote_name
    returned = [field.column for name in returning if isinstance(field := meta.get_field(name), models.Field)]
    tail = f" RETURNING {', '.join(quote(c) for c in returned)}" if returning else ""
    size = ROWS_PER_STATEMENT.get(connection.vendor, SQLITE_PARAMETERS // len(columns))
    found: list[tuple[Any, ...]] = []
    with rawsql.cursor() as cursor:
        for start in range(0, len(rows), size):
            source, params = rows_source(names, types, rows[start : start + size])
            listed = ", ".join(quote(n) for n in names)
            # Names come from the model, values go as parameters.
            sql = f"INSERT INTO {quote(meta.db_table)} ({listed}) SELECT {listed} FROM {source} AS rows{tail}"  # noqa: S608
            cursor.execute(sql, params)
            if returning:
                found.extend(cursor.fetchall())
    return found


def insert_selected(model: type[models.Model], fields: Sequence[str], query: "QuerySet[Any, Any]") -> int:
    """Insert the rows a query selects (a values_list, its values in the order of `fields`) in one
    INSERT … SELECT: the database writes them without a trip through Python. Returns how many."""
    sql, params = query.query.sql_with_params()
    quote = connection.ops.quote_name
    listed = ", ".join(quote(column.column) for column in _columns(model, fields))
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {quote(model._meta.db_table)} ({listed}) {sql}", params)
        return cursor.rowcount


def _columns(model: type[models.Model], fields: Sequence[str]) -> list[models.Field]:  # type: ignore[type-arg]
    columns = [field for name in fields if isinstance(field := model._meta.get_field(name), models.Field)]
    if len(columns) != len(fields):
        raise ValueError(f"{model._meta.label}: вставлять можно только в поля таблицы")
    return columns


def insert_rows(model: type[models.Model], fields: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[int]:
    """Insert `rows` (values in the order of `fields`) and return their new primary keys in order.

    Only for a process that writes alone (demo loading, benchmark setup): the keys are read back
    as the ones above the previous maximum."""
    if not rows:
        return []
    meta = model._meta
    before = model._default_manager.aggregate(last=Max("pk"))["last"] or 0
    insert_many(model, fields, rows)
    keys = list(model._default_manager.filter(pk__gt=before).order_by("pk").values_list("pk", flat=True))
    if len(keys) != len(rows):
        raise RuntimeError(f"{meta.label}: вставлено {len(rows)} строк, найдено {len(keys)} — запись шла не в одиночку")
    return keys


def insert_objects(objects: Sequence[Instance]) -> Sequence[Instance]:
    """Insert a few new instances of one model in one statement and set their primary keys:
    bulk_create for a hot path, where compiling the ORM's INSERT costs more than the database's
    work. Values are prepared by their fields (auto_now, JSON, UUID) as `save()` would; no
    signals are sent. For a handful of rows: one parameter per value.

    A public entity whose random code is taken (one in a few thousand at a million rows) draws
    another: the row is skipped by ON CONFLICT and inserted again, instead of failing the request."""
    pending: list[models.Model] = list(objects)
    coded = [obj for obj in pending if isinstance(obj, PublicEntity)]
    for _ in range(CODE_ATTEMPTS):
        if not pending:
            return objects
        for entity in coded:
            entity.assign_code()
        fields, head, row, tail = _insert_statement(type(pending[0]), connection.vendor)
        params = [field.get_db_prep_save(field.pre_save(obj, True), connection) for obj in pending for field in fields]
        with rawsql.cursor() as cursor:
            cursor.execute(head + ", ".join([row] * len(pending)) + tail, params)
            inserted = cursor.fetchall()
        if coded:
            by_code = {code: key for key, code in inserted}
            keys = [by_code.get(entity.code) for entity in coded]
        else:
            keys = [key for (key,) in inserted]
        for obj, key in zip(pending, keys, strict=True):
            if key is not None:
                obj.pk = key
                obj._state.adding, obj._state.db = False, connection.alias
        pending = [obj for obj, key in zip(pending, keys, strict=True) if key is None]
        coded = [entity for entity in coded if entity.pk is None]
        for entity in coded:
            entity.code = ""  # taken: the next round draws another
    if pending:
        raise IntegrityError(f"{pending[0]._meta.label}: не удалось подобрать свободный код")
    return objects


@cache
def _insert_statement(model: type[models.Model], vendor: str) -> tuple[list[models.Field], str, str, str]:  # type: ignore[type-arg]
    """The model's fields but its key, and the parts of its INSERT … VALUES … RETURNING key."""
    meta = model._meta
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    quote = connection.ops.quote_name
    head = f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(field.column) for field in fields)}) VALUES "  # noqa: S608
    row = f"({', '.join(['%s'] * len(fields))})"
    if issubclass(model, PublicEntity):
        return fields, head, row, f" ON CONFLICT (code) DO NOTHING RETURNING {quote(meta.pk.column)}, code"
    return fields, head, row, f" RETURNING {quote(meta.pk.column)}"
