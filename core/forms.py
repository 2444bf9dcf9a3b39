"""What every form of the site shares."""

from collections.abc import Iterable
from typing import Any, cast

from django import forms

CHOOSE = "— выберите —"
NOT_CHOSEN = "— не выбрано —"


def russian_empty_choices(form: forms.BaseForm) -> None:
    """The empty choice of every select in Russian instead of Django's «---------»: «— выберите —»
    where a value is required, «— не выбрано —» where none is a valid answer."""
    for field in form.fields.values():
        label = CHOOSE if field.required else NOT_CHOSEN
        if isinstance(field, forms.ModelChoiceField) and not isinstance(field, forms.ModelMultipleChoiceField):
            if field.empty_label is not None:
                field.empty_label = label
        elif isinstance(field, forms.ChoiceField) and not isinstance(field.widget, forms.RadioSelect):
            choices = cast(Iterable[tuple[Any, Any]], field.choices)
            field.choices = [("", label) if value == "" else (value, text) for value, text in choices]
