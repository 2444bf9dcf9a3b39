from typing import Any

from django import forms

from core.forms import russian_empty_choices
from people.models import Child
from people.services import CHILD_DETAILS, check_birth_date


class ChildForm(forms.ModelForm):  # type: ignore[type-arg]
    # Not model fields: the registry keeps them only encrypted and as digests (people.identity).
    snils = forms.CharField(
        label="СНИЛС",
        required=False,
        max_length=20,
        help_text="Необязательно. По СНИЛС ребёнок не будет учтён дважды, если его запишет и организация.",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "placeholder": "123-456-789 01"}),
    )
    birth_certificate = forms.CharField(
        label="Свидетельство о рождении: серия и номер",
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "II-АБ 123456"}),
    )
    # The page shows it once the registry took the child for one the family has (people.registry.TypedAgainError).
    another_child = forms.BooleanField(
        label="Это другой ребёнок",
        required=False,
        help_text="Не тот, что уже есть в кабинете: например, близнец.",
    )

    class Meta:
        model = Child
        fields = list(CHILD_DETAILS)
        widgets = {"birth_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}
        help_texts = {
            "has_ovz": "Есть заключение психолого-медико-педагогической комиссии.",
            "municipality": "Где ребёнок живёт: от этого зависят приоритеты при записи.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        russian_empty_choices(self)

    def clean_birth_date(self) -> Any:
        born = self.cleaned_data["birth_date"]
        check_birth_date(Child(birth_date=born))
        return born


class ChildDetailsForm(ChildForm):
    """The cabinet's form of a child already entered: its details, and the identifiers its record lacks
    (one recorded is said, not shown, and not replaced: people.registry.add_identifiers)."""

    another_child = None  # type: ignore[assignment]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.recorded: list[str] = []  # what the page says is recorded, its value never shown
        for name, label, recorded in (
            ("snils", "СНИЛС: не указан", "СНИЛС указан."),
            (
                "birth_certificate",
                "Свидетельство о рождении (серия и номер): не указано",
                "Свидетельство о рождении указано.",
            ),
        ):
            if getattr(self.instance, f"{name}_digest"):
                del self.fields[name]
                self.recorded.append(recorded)
            else:
                self.fields[name].label = label
