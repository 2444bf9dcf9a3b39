"""Pieces every API router shares: the parameters of a query string and the page of a list,
dictionary values, the shapes of error answers and pydantic's messages in Russian."""

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from math import ceil
from typing import Annotated, Any, Generic, TypeVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest
from django.utils.datastructures import MultiValueDict
from ninja import Field, Schema
from ninja.errors import ValidationError as RequestValidationError
from ninja.parser import Parser
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    ValidationInfo,
    create_model,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

from core.templatetags.opora import ru_plural

MAX_PAGE_SIZE = 100
# What every request body takes: no field the schema does not name, text without surrounding spaces
# (a title of spaces is an empty title, refused as the office refuses it).
INPUT = ConfigDict(extra="forbid", str_strip_whitespace=True)

T = TypeVar("T")
M = TypeVar("M", bound=Model)


def upper_code(value: Any) -> Any:
    """A code as Opora writes it (core.models.CODE_ALPHABET is capitals): «pr-e94kc6» is PR-E94KC6."""
    return value.upper() if isinstance(value, str) else value


# The code of an object (PR-…, OR-…, GR-…) in a path, a query or a body: taken in any case.
Code = Annotated[str, BeforeValidator(upper_code)]


def read_by_pydantic(schema: type[BaseModel], **fields: Any) -> type[BaseModel]:
    """The schema's fields (with `fields` added or replaced) as a plain pydantic model, which reads an
    object's attributes itself: ninja's Schema reads each field through Python (its DjangoGetter),
    ~3 ms for a page of twenty programs of thirty fields. A field the schema resolves is given here."""
    unresolved = set(getattr(schema, "_ninja_resolvers", {})) - set(fields)
    assert not unresolved, f"{schema.__name__}: resolvers pydantic would not run: {sorted(unresolved)}"
    own = {name: (field.annotation, field) for name, field in schema.model_fields.items()}
    return create_model(
        schema.__name__,
        __config__=ConfigDict(from_attributes=True),
        __doc__=schema.__doc__,
        **{**own, **fields},
    )


class Page(Schema, Generic[T]):
    """Одна страница списка."""

    items: list[T] = Field(description="Записи этой страницы")
    total: int = Field(description="Всего записей, подходящих под условия")
    page: int = Field(description="Номер страницы, с 1")
    page_count: int = Field(description="Сколько страниц можно открыть (в поиске программ — не больше 50)")


class QuerySchema(Schema):
    """The parameters of a query string. One the schema does not take is refused (422 naming it), not
    ignored: a misspelt `updated_since` would otherwise hand a synchronizing client the whole list in
    another order, a misspelt `period` a report of every period."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _with_unknown_parameters(cls, data: Any, info: ValidationInfo) -> Any:
        # Ninja hands the schema only the parameters it declares; the rest of the query string is
        # added for `extra="forbid"` to name. Empty ones are no parameter (core.api.RequestParser), and
        # without a request (the Navigator's pages validate their own query) there is nothing to add.
        request = (info.context or {}).get("request")
        if request is None or not isinstance(data, dict):
            return data
        known = {field.alias or name for name, field in cls.model_fields.items()}
        unknown = {key: value for key, value in request.GET.items() if key not in known and value != ""}
        return {**unknown, **data}


class PageQuery(QuerySchema):
    """The parameters of a list."""

    page: int = Field(1, ge=1, description="Номер страницы, с 1")
    page_size: int = Field(20, ge=1, le=MAX_PAGE_SIZE, description=f"Записей на странице, не больше {MAX_PAGE_SIZE}")


@contextmanager
def named_in_query(parameter: str, message: str) -> Iterator[None]:
    """Around the lookup of the object the query string names in `parameter`: one the caller cannot
    find (Http404, unknown or outside scope alike) is that parameter's error, 422 with `message` at
    ["query", parameter] as ninja places its own, the way core.scope.get_named makes it a body
    field's: the request is wrong, not the address (404 stays for the URL's path). A 403 passes."""
    try:
        yield
    except Http404:
        raise RequestValidationError([{"loc": ("query", parameter), "msg": message, "type": "invalid"}]) from None


@contextmanager
def refused_in_query(parameter: str) -> Iterator[None]:
    """Around an action whose refusals are all of the value the query string gives in `parameter`: they are that
    parameter's 422, at ["query", parameter]."""
    try:
        yield
    except DjangoValidationError as error:
        raise RequestValidationError(
            [{"loc": ("query", parameter), "msg": message, "type": "invalid"} for message in error.messages]
        ) from None


def paginate(queryset: QuerySet[M], query: PageQuery) -> dict[str, Any]:
    """A page of an ordered queryset in the shape of `Page`: two queries, whatever the size."""
    total = queryset.count()
    start = (query.page - 1) * query.page_size
    return {
        # A page past the end is empty without asking the database: an offset past 2⁶³ is an error there.
        "items": list(queryset[start : start + query.page_size]) if start < total else [],
        "total": total,
        "page": query.page,
        "page_count": max(1, ceil(total / query.page_size)),
    }


class ErrorOut(Schema):
    """Ошибка: нет доступа, не найдено, нужен токен."""

    detail: str = Field(description="Что случилось")


class FieldErrorOut(Schema):
    loc: list[str | int] = Field(description="Где ошибка: часть запроса (body, query, path) и имя поля")
    msg: str = Field(description="Сообщение об ошибке")
    type: str = Field(description="Код ошибки")


class ValidationErrorOut(Schema):
    """Запрос не прошёл проверку (422)."""

    message: str = Field(description="Общее сообщение")
    detail: list[FieldErrorOut] = Field(description="Ошибки по полям")


NOT_FOUND = {404: ErrorOut}
INVALID = {422: ValidationErrorOut}
# What a change answers when it fails: a body it cannot read (400), no token (401), no right (403),
# nothing of that code in your scope (404), a body over the size taken (413), data that does not pass (422).
WRITE_ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, **NOT_FOUND, 413: ErrorOut, **INVALID}


class OneOf:
    """A value from a dictionary: an enum with labels in the schema, a Russian message otherwise. A
    dictionary kept in a table is given as the function reading it (keeping it in the process: it is
    asked at every check); the schema, made without the database, lists none of its values."""

    def __init__(self, choices: Iterable[tuple[Any, str]] | Callable[[], Mapping[Any, str]]) -> None:
        self.read = choices if callable(choices) else None
        self.choices: Mapping[Any, str] = {} if callable(choices) else dict(choices)

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_after_validator_function(self._check, handler(source))

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        json_schema = handler(schema)
        if self.read is None:
            json_schema["enum"] = list(self.choices)
            json_schema["description"] = "; ".join(f"{value} — {label}" for value, label in self.choices.items())
        return json_schema

    def _check(self, value: Any) -> Any:
        choices = self.choices if self.read is None else self.read()
        if value not in choices:
            expected = ", ".join(str(choice) for choice in choices)
            raise PydanticCustomError("choice", "Допустимые значения: {expected}.", {"expected": expected})
        return value


NULL_REFUSED = "Обязательное поле: null не принимается."
# Pydantic's messages by error type; a type not listed keeps its own (custom types are Russian already).
PYDANTIC_MESSAGES = {
    "missing": "Обязательное поле.",
    "extra_forbidden": "Неизвестное поле.",
    "json_invalid": "Некорректный JSON.",
    "model_attributes_type": "Ожидается объект.",
    "dict_type": "Ожидается объект.",
    "list_type": "Ожидается список.",
    "string_type": "Ожидается строка.",
    "string_too_short": "Не короче {min_length} {min_length_noun}.",
    "string_too_long": "Не длиннее {max_length} {max_length_noun}.",
    "string_pattern_mismatch": "Значение не соответствует формату {pattern}.",
    "bool_type": "Укажите true или false.",
    "bool_parsing": "Укажите true или false.",
    "int_type": "Укажите целое число.",
    "int_parsing": "Укажите целое число.",
    "int_from_float": "Укажите целое число.",
    "decimal_type": "Укажите число.",
    "decimal_parsing": "Укажите число.",
    "decimal_max_digits": "Не больше {max_digits} цифр.",
    "decimal_max_places": "Не больше {decimal_places} знаков после запятой.",
    "greater_than": "Значение должно быть больше {gt}.",
    "greater_than_equal": "Значение должно быть не меньше {ge}.",
    "less_than": "Значение должно быть меньше {lt}.",
    "less_than_equal": "Значение должно быть не больше {le}.",
    "date_type": "Укажите дату в формате ГГГГ-ММ-ДД.",
    "date_parsing": "Укажите дату в формате ГГГГ-ММ-ДД.",
    "date_from_datetime_parsing": "Укажите дату в формате ГГГГ-ММ-ДД.",
    "time_type": "Укажите время в формате ЧЧ:ММ.",
    "time_parsing": "Укажите время в формате ЧЧ:ММ.",
    "datetime_type": "Укажите дату и время в формате ISO 8601, например 2025-09-01T00:00:00Z.",
    "datetime_parsing": "Укажите дату и время в формате ISO 8601, например 2025-09-01T00:00:00Z.",
    "datetime_from_date_parsing": "Укажите дату и время в формате ISO 8601, например 2025-09-01T00:00:00Z.",
    "timezone_aware": "Укажите часовой пояс, например 2025-09-01T00:00:00Z.",
    "uuid_type": "Укажите UUID.",
    "uuid_parsing": "Укажите UUID.",
    "finite_number": "Укажите конечное число.",
    "enum": "Допустимые значения: {expected}.",
    "literal_error": "Допустимые значения: {expected}.",
    "null_character": "Данные содержат запрещённый символ: ноль-байт.",
    "null": NULL_REFUSED,
}


def _carries_null_character(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_carries_null_character(k) or _carries_null_character(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_carries_null_character(item) for item in value)
    return False


NULL_CHARACTER = {"type": "null_character", "msg": PYDANTIC_MESSAGES["null_character"]}


class RequestParser(Parser):
    """JSON bodies and query strings as the pages read their forms: an empty query parameter is no
    filter (the search page's own form sends `age=` when the age is left empty), and a NUL character
    is refused anywhere (PostgreSQL keeps none in text; Django's forms refuse it the same way)."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        data = super().parse_body(request)
        if _carries_null_character(data):
            raise RequestValidationError([{"loc": ("body",), **NULL_CHARACTER}])
        return data

    def parse_querydict(
        self, data: MultiValueDict[str, Any], list_fields: list[str], request: HttpRequest
    ) -> dict[str, Any]:
        parsed = super().parse_querydict(data, list_fields, request)
        result: dict[str, Any] = {}
        for key, value in parsed.items():
            if _carries_null_character(value):
                raise RequestValidationError([{"loc": ("query", key), **NULL_CHARACTER}])
            kept = [v for v in value if v != ""] if isinstance(value, list) else value
            if kept != "" and kept != []:
                result[key] = kept
        return result


def russian_message(error: Mapping[str, Any]) -> str:
    """A pydantic error's message in Russian."""
    ctx = error.get("ctx", {})
    if error["type"].startswith("date") and "outside expected range" in str(ctx.get("error", "")):
        return "Такой даты нет в календаре: проверьте день и месяц."  # «2027-02-30» is written right
    template = PYDANTIC_MESSAGES.get(error["type"])
    context = {name: str(value).replace(" or ", " или ") for name, value in ctx.items()}
    for name in ("min_length", "max_length"):
        if isinstance(ctx.get(name), int):  # «не короче 1 символа», «не длиннее 200 символов»
            context[f"{name}_noun"] = ru_plural(ctx[name], "символа,символов,символов")
    return template.format(**context) if template else error["msg"]
