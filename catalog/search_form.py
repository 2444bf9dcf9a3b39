"""What a catalog search may ask, one definition for the API and the Navigator's pages.

The API answers a bad value with 422; a page reports it in Russian and searches with the rest,
never guessing what was meant.
"""

import re
from functools import cache
from typing import Annotated, Any, TypeVar, get_origin

from django.http import QueryDict
from ninja import Field
from pydantic import ValidationError, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from catalog import text
from catalog.models import Direction, Organization
from catalog.search import (
    FORMS,
    FUNDING,
    LEVELS,
    MAX_PAGE,
    SORTS,
    WEEKDAYS,
    WITHIN,
    SearchParams,
    municipalities,
    ovz_categories,
)
from core.api import Code, OneOf, PageQuery, russian_message
from core.models import code_pattern
from territory.models import oktmo_validator

OKTMO_PATTERN = re.compile(oktmo_validator.regex).pattern
ORGANIZATION_CODE_PATTERN = code_pattern(Organization.CODE_PREFIX)


Q_MAX_LENGTH = 200
NEAR_PATTERN = re.compile(r"^-?\d{1,3}(\.\d{1,8})?,-?\d{1,3}(\.\d{1,8})?$")  # «55.751,37.618»: latitude, longitude


class NavigatorQuery(PageQuery):
    """What the Navigator's searches (programs, organizations) check alike: a municipality that exists, where the
    family is, and nearest first only from there. Each search names its own fields."""

    @field_validator("municipality", check_fields=False)
    @classmethod
    def _a_known_municipality(cls, oktmo: str | None) -> str | None:
        if oktmo is not None and all(option.oktmo != oktmo for option in municipalities()):
            raise PydanticCustomError("unknown_municipality", "Муниципалитет не найден.")
        return oktmo

    @field_validator("near", check_fields=False)
    @classmethod
    def _on_the_earth(cls, near: str | None) -> str | None:
        if near is not None:
            if not NEAR_PATTERN.match(near):
                raise PydanticCustomError(
                    "near_format", "Нужны широта и долгота в градусах через запятую, например 55.751,37.618."
                )
            latitude, longitude = latitude_longitude(near)
            if abs(latitude) > 90 or abs(longitude) > 180:
                raise PydanticCustomError("near_range", "Широта — от −90 до 90, долгота — от −180 до 180.")
        return near

    @field_validator("sort", check_fields=False)
    @classmethod
    def _near_with_a_place(cls, sort: str, info: ValidationInfo) -> str:
        if sort == "near" and info.data.get("near") is None:
            raise PydanticCustomError("near_without_place", "Ближайшие первыми — только с местоположением, near.")
        return sort


class ProgramSearchQuery(NavigatorQuery):
    q: str = Field(
        "",
        max_length=Q_MAX_LENGTH,
        title="Что ищем",
        description="Что ищем: слова из названия, описания, организации; «7 лет» — возраст, «бесплатно» — условия",
    )
    direction: list[Annotated[str, OneOf(Direction.choices)]] = Field(
        [], title="Направленность", description="Направленность, можно несколько"
    )
    age: int | None = Field(
        None,
        ge=0,
        le=18,
        title="Возраст ребёнка",
        description="Возраст ребёнка, полных лет: программы для этого возраста, у которых есть группа для него "
        "(или группы ещё не объявлены)",
    )
    age_to: int | None = Field(
        None,
        ge=0,
        le=18,
        title="Возраст до",
        description="С age — диапазон возрастов, age–age_to полных лет: программы для ребёнка хотя бы одного из "
        "них («5–7 лет», «для подростков» в запросе — такой диапазон)",
    )
    municipality: str | None = Field(
        None, pattern=OKTMO_PATTERN, title="Муниципалитет", description="ОКТМО муниципалитета"
    )
    organization: Code | None = Field(
        None, pattern=ORGANIZATION_CODE_PATTERN, title="Организация", description="Код организации"
    )
    form: list[Annotated[str, OneOf(FORMS.items())]] = Field(
        [], title="Форма обучения", description="Форма обучения, можно несколько"
    )
    level: list[Annotated[str, OneOf(LEVELS.items())]] = Field(
        [], title="Уровень", description="Уровень, можно несколько"
    )
    ovz: bool = Field(False, title="Адаптирована для детей с ОВЗ", description="Только адаптированные для детей с ОВЗ")
    ovz_category: list[Annotated[str, OneOf(ovz_categories)]] = Field(
        [],
        title="Категория детей с ОВЗ",
        description="Категории детей с ОВЗ, можно несколько (коды — GET /dictionaries): только "
        "программы, адаптированные для детей хотя бы одной из них",
    )
    funding: list[Annotated[str, OneOf(FUNDING.items())]] = Field(
        [], title="Оплата", description="Оплата, можно несколько"
    )
    free_seats: bool = Field(
        False,
        title="Есть свободные места",
        description="Только программы с группой, где есть свободные места; с возрастом и днями занятий — в группе "
        "для этого возраста, занимающейся в эти дни",
    )
    day: list[Annotated[str, OneOf(WEEKDAYS.items())]] = Field(
        [],
        title="Дни занятий",
        description="Дни занятий, можно несколько: программы с группой, занимающейся в один из них (с возрастом — "
        "в группе для этого возраста)",
    )
    near: str | None = Field(
        None,
        json_schema_extra={"pattern": NEAR_PATTERN.pattern},
        examples=["55.751,37.618"],
        title="Местоположение",
        description="Где семья: «широта,долгота» в градусах (WGS 84), например 55.751,37.618. С ним у программ "
        "страницы — расстояние до места занятий (distances_km), а sort=near показывает ближайшие первыми",
    )
    within: Annotated[str, OneOf(WITHIN.items())] | None = Field(
        None,
        title="Расстояние от вас",
        description="С near: только программы, место занятий которых не дальше этого числа километров от near "
        "(программы с неизвестным местом не попадают); в фасете within — сколько программ осталось бы при каждом",
    )
    sort: Annotated[str, OneOf(SORTS.items())] = Field(
        "relevance",
        title="Сортировка",
        description="Сортировка. По релевантности: сначала программы со словами запроса в названии; среди них и "
        "среди остальных — сначала те, где есть свободные места (в группах для возраста из запроса), "
        "затем по популярности. near — ближайшие к near первыми (программы, место занятий которых неизвестно, — "
        "в конце)",
    )
    page: int = Field(1, ge=1, le=MAX_PAGE, title="Страница", description=f"Номер страницы, с 1 до {MAX_PAGE}")

    @field_validator("age_to")
    @classmethod
    def _after_age(cls, age_to: int | None, info: ValidationInfo) -> int | None:
        age = info.data.get("age")
        if age_to is not None and age is None:
            raise PydanticCustomError("age_range", "Диапазон возрастов задаётся с его началом, age.")
        if age_to is not None and age is not None and age_to < age:
            raise PydanticCustomError("age_range", "Конец диапазона возрастов меньше его начала, age.")
        return None if age_to == age else age_to

    @field_validator("within")
    @classmethod
    def _within_of_a_place(cls, within: str | None, info: ValidationInfo) -> str | None:
        if within is not None and info.data.get("near") is None:
            raise PydanticCustomError("near_without_place", "Расстояние — только с местоположением, near.")
        return within

    def to_params(self, page_size: int) -> SearchParams:
        """The search asked for; an age, a way of paying, ОВЗ or its categories written into the query is its filter,
        unless that filter is chosen already (the filter chosen wins); the query keeps the other words."""
        said = text.filters_in_query(self.q.strip())
        return SearchParams(
            q=said.rest,
            directions=tuple(self.direction),
            age=said.age if self.age is None else self.age,
            age_to=said.age_to if self.age is None else self.age_to,
            municipality=self.municipality,
            organization=self.organization,
            forms=tuple(self.form),
            levels=tuple(self.level),
            ovz=self.ovz or said.ovz or bool(said.ovz_categories),  # «для слабовидящих»: adapted, for them
            ovz_categories=tuple(self.ovz_category) or said.ovz_categories,
            funding=tuple(self.funding) or said.funding,
            free_seats=self.free_seats,
            days=tuple(self.day) or tuple(str(day) for day in said.days),
            near=None if self.near is None else latitude_longitude(self.near),
            within=self.within,
            sort=self.sort,
            page=self.page,
            page_size=page_size,
        )


def latitude_longitude(near: str) -> tuple[float, float]:
    latitude, longitude = near.split(",")
    return float(latitude), float(longitude)


# A page's own words where pydantic's would not help a family.
PAGE_MESSAGES = {
    ("age", "int_parsing"): "Возраст укажите числом полных лет.",
    ("age", "greater_than_equal"): "Возраст — от 0 до 18 лет.",
    ("age", "less_than_equal"): "Возраст — от 0 до 18 лет.",
    ("age_to", "int_parsing"): "Возраст укажите числом полных лет.",
    ("age_to", "greater_than_equal"): "Возраст — от 0 до 18 лет.",
    ("age_to", "less_than_equal"): "Возраст — от 0 до 18 лет.",
    ("age_to", "age_range"): "нужен и возраст «от», не больше возраста «до».",
    ("municipality", "string_pattern_mismatch"): "не найден.",
    ("municipality", "unknown_municipality"): "не найден.",
    ("organization", "string_pattern_mismatch"): "не найдена.",
    ("near", "near_format"): "не удалось прочитать — нужны широта и долгота через запятую.",
    ("near", "near_range"): "широта — от −90 до 90, долгота — от −180 до 180.",
    ("sort", "near_without_place"): "чтобы показать ближайшие, нажмите «Рядом со мной».",
    ("within", "near_without_place"): "чтобы выбрать расстояние, нажмите «Рядом со мной».",
}
# Filters that are on or off: whatever value switched one on («on», «1»), removing it removes the parameter.
SWITCHES = {name for name, field in ProgramSearchQuery.model_fields.items() if field.annotation is bool}


def params_from_query(query: QueryDict, page_size: int) -> tuple[SearchParams, list[str]]:
    """The search a page's query string asks for, and a Russian message for each bad value (ignored)."""
    asked, errors = read_page_query(ProgramSearchQuery, query)
    return asked.to_params(page_size), errors


Asked = TypeVar("Asked", bound=PageQuery)


@cache
def _read_by_page(schema: type[PageQuery]) -> tuple[dict[str, str], frozenset[str]]:
    """What a page reads of the schema (its page size is the site's), each parameter's title for its messages,
    and which are lists."""
    fields = {name: field for name, field in schema.model_fields.items() if name != "page_size"}
    lists = frozenset(name for name, field in fields.items() if get_origin(field.annotation) is list)
    return {name: field.title or name for name, field in fields.items()}, lists


def read_page_query(schema: type[Asked], query: QueryDict) -> tuple[Asked, list[str]]:
    """The valid part of a page's query string as the API's `schema` reads it, and a Russian message for each bad
    value (left out). An empty value is no value: a page's form sends `age=` when the box is left blank."""
    labels, lists = _read_by_page(schema)
    data: dict[str, Any] = {}
    for name in labels:
        values = [value for value in query.getlist(name) if value != ""]
        if values:
            data[name] = values if name in lists else values[-1]
    if "q" in data:
        data["q"] = data["q"][:Q_MAX_LENGTH]  # what a long query begins with: the rest rarely changes the results
    errors: list[str] = []
    while True:
        try:
            return schema.model_validate(data), errors
        except ValidationError as invalid:
            bad_items: dict[str, set[int]] = {}  # of a list, only the bad values are left out
            for error in invalid.errors():
                name, *item = (str(error["loc"][0]), *error["loc"][1:])
                message = PAGE_MESSAGES.get((name, error["type"]))
                if message is None:
                    # A dictionary's codes mean nothing to a family: name what it sent instead.
                    choice = error["type"] == "choice"
                    message = f"такого значения нет: «{error['input']}»." if choice else russian_message(error)
                if name != "page":  # a page number out of a link: the first page is the answer
                    errors.append(f"{labels[name]}: {message}")
                if name in lists and item and isinstance(item[0], int):
                    bad_items.setdefault(name, set()).add(item[0])
                elif data.pop(name, None) is None:
                    raise  # not a parameter's value: nothing to leave out
            for name, positions in bad_items.items():
                data[name] = [value for at, value in enumerate(data[name]) if at not in positions]
                if not data[name]:
                    del data[name]
