"""Fixed statements on a hot path: prepared once per connection, read back as the ORM reads.

Compiling an ORM query costs about a millisecond of Python, and PostgreSQL planning a statement
sent with its values inlined (Django's default, client-side binding) costs as much again. A request
that must answer in a few milliseconds sends fixed statements with server-side parameters instead:
psycopg prepares a statement the second time a connection runs it (`prepare_threshold` in the
settings), and the pooled connection keeps it. Selected columns go through the converters the ORM
would use (SQLite keeps dates and UUIDs as text), so the values are the ORM's values.
"""

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache
from typing import Any, TypeVar

from django.db import connection, models
from django.db.models import signals
from django.db.models.base import DEFERRED, ModelState

Column = models.Field | None  # type: ignore[type-arg]
"""The model field a selected column holds; None for a computed value, taken as it is."""

Converter = Callable[[Any], Any]
M = TypeVar("M", bound=models.Model)


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


@contextmanager
def cursor() -> Iterator[Any]:
    """A cursor for fixed statements: on PostgreSQL one binding parameters on the server, so that
    psycopg prepares what is run again and again; Django's wrappers (errors, query logging) as usual."""
    if connection.vendor != "postgresql":
        with connection.cursor() as plain:
            yield plain
        return
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        server_side = _preparing_cursor()(connection.connection)
    # Wrapped as connection.cursor() wraps its own: errors, query logging, execute wrappers.
    with connection._prepare_cursor(server_side) as wrapped:  # type: ignore[attr-defined]
        yield wrapped


@cache
def _preparing_cursor() -> type:
    import psycopg

    class PreparingCursor(psycopg.Cursor):
        """psycopg's cursor binding on the server, remembering a prepared statement it runs as it
        does one it does not: Django's query log reads it (psycopg 3.3 leaves it unset)."""

        def _send_query_prepared(self, name: bytes, pgq: Any, *, binary: bool | None = None) -> None:
            self._query = pgq
            super()._send_query_prepared(name, pgq, binary=binary)

    return PreparingCursor


def select(sql: str, params: Mapping[str, Any] | Sequence[Any], columns: Sequence[Column]) -> list[tuple[Any, ...]]:
    """The rows of `sql`, each column converted as its field's column would be."""
    converters = _converters(connection.vendor, tuple(columns))
    with cursor() as fixed:
        fixed.execute(sql, params)
        rows = fixed.fetchall()
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


def loader(model: type[M], names: Sequence[str]) -> Callable[[Sequence[Any]], M]:
    """Builds an instance from the values of these attnames in `fields` order, the other fields
    deferred, as `Model.from_db` does for `only()`. A deferred field is one missing from the
    instance's __dict__ (`Model.get_deferred_fields`), so the instance is given just the loaded
    values: `Model.__init__` walks every field of a wide model (a search page builds dozens of
    programs). A model that init signals are connected for is built through `__init__`."""
    attnames = [field.attname for field in fields(model, names)]
    position = {name: i for i, name in enumerate(attnames)}
    slots = [position.get(field.attname) for field in model._meta.concrete_fields]
    db = connection.alias

    @cache
    def init_signalled() -> bool:  # asked at the first load, once every app has connected its receivers
        return signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model)

    def load(values: Sequence[Any]) -> M:
        if init_signalled():
            instance = model(*[DEFERRED if i is None else values[i] for i in slots])
        else:
            instance = model.__new__(model)
            instance.__dict__.update(zip(attnames, values, strict=True))
            instance._state = ModelState()
        instance._state.adding = False
        instance._state.db = db
        return instance

    return load


def among(column: str, count: int | None) -> str:
    """`column` is one of the ids: of `count` parameters, or (None) of one array parameter, which
    PostgreSQL takes: one statement for every number of ids, and one parameter bound, not twenty."""
    return f"{column} = ANY(%s)" if count is None else f"{column} IN ({', '.join(['%s'] * count)})"


def ids_given(ids: Sequence[int]) -> tuple[int | None, list[Any]]:
    """The `count` of `among` for these ids, and the parameters that carry them."""
    if connection.vendor == "postgresql":
        return None, [list(ids)]
    return len(ids), list(ids)


def select_list(alias: str, columns: Sequence[models.Field]) -> str:  # type: ignore[type-arg]
    """`alias.column, …` for these fields."""
    return ", ".join(f"{alias}.{field.column}" for field in columns)


def param(field: models.Field, value: Any) -> Any:  # type: ignore[type-arg]
    """A value as a query parameter compared with `field`'s column."""
    return field.get_db_prep_value(value, connection)
