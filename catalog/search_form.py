"""Reading search parameters from a query string (pages) with Russian messages for bad input."""

from typing import Any

from django import forms
from django.http import QueryDict

from catalog.models import Direction
from catalog.search import FORMS, FUNDING, LEVELS, SORTS, WEEKDAYS, SearchParams


class ProgramSearchForm(forms.Form):
    q = forms.CharField(label="Что ищем", required=False, max_length=200)
    direction = forms.MultipleChoiceField(label="Направленность", required=False, choices=Direction.choices)
    age = forms.IntegerField(
        label="Возраст ребёнка",
        required=False,
        min_value=0,
        max_value=18,
        error_messages={
            "min_value": "Возраст — от 0 до 18 лет.",
            "max_value": "Возраст — от 0 до 18 лет.",
            "invalid": "Возраст укажите числом полных лет.",
        },
    )
    municipality = forms.RegexField(
        label="Муниципалитет",
        required=False,
        regex=r"^\d{8}(\d{3})?$",
        error_messages={"invalid": "Муниципалитет не найден."},
    )
    organization = forms.RegexField(
        label="Организация",
        required=False,
        regex=r"^OR-[0-9A-Z]{6}$",
        error_messages={"invalid": "Организация не найдена."},
    )
    form = forms.MultipleChoiceField(label="Форма обучения", required=False, choices=list(FORMS.items()))
    level = forms.MultipleChoiceField(label="Уровень", required=False, choices=list(LEVELS.items()))
    ovz = forms.BooleanField(label="Адаптирована для детей с ОВЗ", required=False)
    funding = forms.MultipleChoiceField(label="Оплата", required=False, choices=list(FUNDING.items()))
    free_seats = forms.BooleanField(label="Есть свободные места", required=False)
    day = forms.MultipleChoiceField(label="Дни занятий", required=False, choices=list(WEEKDAYS.items()))
    sort = forms.ChoiceField(label="Сортировка", required=False, choices=list(SORTS.items()))
    page = forms.IntegerField(required=False, min_value=1)

    def to_params(self, page_size: int) -> SearchParams:
        """The valid part of the query: a bad value is reported and ignored, never guessed."""
        data: dict[str, Any] = self.cleaned_data if self.is_valid() else self._valid_part()
        return SearchParams(
            q=(data.get("q") or "").strip(),
            directions=tuple(data.get("direction") or ()),
            age=data.get("age"),
            municipality=data.get("municipality") or None,
            organization=data.get("organization") or None,
            forms=tuple(data.get("form") or ()),
            levels=tuple(data.get("level") or ()),
            ovz=bool(data.get("ovz")),
            funding=tuple(data.get("funding") or ()),
            free_seats=bool(data.get("free_seats")),
            days=tuple(data.get("day") or ()),
            sort=data.get("sort") or "relevance",
            page=data.get("page") or 1,
            page_size=page_size,
        )

    def _valid_part(self) -> dict[str, Any]:
        return {name: value for name, value in self.cleaned_data.items() if name not in self.errors}


def params_from_query(query: QueryDict, page_size: int) -> tuple[SearchParams, list[str]]:
    form = ProgramSearchForm(query)
    params = form.to_params(page_size)
    errors = [f"{form.fields[name].label}: {msg}" for name, msgs in form.errors.items() for msg in msgs]
    return params, errors
