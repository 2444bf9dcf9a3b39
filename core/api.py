"""Pieces every API router shares: the page of a list and the shapes of error answers."""

from math import ceil
from typing import Any, Generic, TypeVar

from django.db.models import Model, QuerySet
from ninja import Field, Schema

MAX_PAGE_SIZE = 100

T = TypeVar("T")
M = TypeVar("M", bound=Model)


class Page(Schema, Generic[T]):
    """Одна страница списка."""

    items: list[T] = Field(description="Записи этой страницы")
    total: int = Field(description="Всего записей, подходящих под условия")
    page: int = Field(description="Номер страницы, с 1")
    page_count: int = Field(description="Всего страниц")


class PageQuery(Schema):
    page: int = Field(1, ge=1, description="Номер страницы, с 1")
    page_size: int = Field(20, ge=1, le=MAX_PAGE_SIZE, description=f"Записей на странице, не больше {MAX_PAGE_SIZE}")


def paginate(queryset: QuerySet[M], query: PageQuery) -> dict[str, Any]:
    """A page of an ordered queryset in the shape of `Page`: two queries, whatever the size."""
    total = queryset.count()
    start = (query.page - 1) * query.page_size
    return {
        "items": list(queryset[start : start + query.page_size]),
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
