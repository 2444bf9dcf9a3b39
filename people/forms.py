from typing import Any

from django import forms

from core.forms import russian_empty_choices
from people import registry
from people.models import Child
from people.services import CHILD_DETAILS, check_birth_date


def snils_field(label: str, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=20,
        help_text=help_text,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "placeholder": "123-456-789 01"}),
    )


def birth_certificate_field(label: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "II-АБ 123456"}),
    )


class ChildForm(forms.ModelForm):  # type: ignore[type-arg]
    # Not model fields: the registry keeps them only encrypted and as digests (people.identity).
    snils = snils_field(
        "СНИЛС", help_text="Необязательно. По СНИЛС ребёнок не будет учтён дважды, если его запишет и организация."
    )
    birth_certificate = birth_certificate_field("Свидетельство о рождении: серия и номер")
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


class IdentifiersCorrectionForm(forms.Form):
    """The operator's correction of a child's identifiers (people.registry.correct_identifiers): a number
    typed replaces the recorded one, a ticked box clears it, an empty field leaves it as it is. What is
    recorded now is said (recorded or not), its value never shown here."""

    snils = snils_field("Новый СНИЛС")
    clear_snils = forms.BooleanField(label="Удалить указанный СНИЛС", required=False)
    birth_certificate = birth_certificate_field("Новое свидетельство о рождении: серия и номер")
    clear_birth_certificate = forms.BooleanField(label="Удалить указанное свидетельство", required=False)
    reason = forms.CharField(
        label="Причина исправления",
        max_length=registry.CORRECTION_REASON_MAX,
        error_messages={"required": registry.CORRECTION_REASON_MISSING},
        help_text="Например: «сверено со свидетельством о рождении, в записи была опечатка». Записывается в журнал.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, child: Child, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind, recorded, missing in (
            (
                "snils",
                "Сейчас СНИЛС указан: новый номер заменит его. Оставьте поле пустым, чтобы не менять.",
                "Сейчас СНИЛС не указан: номер будет добавлен.",
            ),
            (
                "birth_certificate",
                "Сейчас свидетельство указано: новые серия и номер заменят их. Оставьте поле пустым, чтобы не менять.",
                "Сейчас свидетельство не указано: серия и номер будут добавлены.",
            ),
        ):
            if getattr(child, f"{kind}_digest"):
                self.fields[kind].help_text = recorded
            else:
                self.fields[kind].help_text = missing
                del self.fields[f"clear_{kind}"]  # nothing to clear

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for kind in registry.IDENTIFIER_KINDS:
            if cleaned.get(kind) and cleaned.get(f"clear_{kind}"):
                self.add_error(f"clear_{kind}", "Либо новый номер, либо удаление: выберите одно.")
        return cleaned

    def identifiers(self) -> dict[str, str | None]:
        """The action's arguments: "" clears, None leaves as it is."""
        return {
            kind: "" if self.cleaned_data.get(f"clear_{kind}") else (self.cleaned_data[kind] or None)
            for kind in registry.IDENTIFIER_KINDS
        }
