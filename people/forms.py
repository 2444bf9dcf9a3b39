from django import forms

from people.models import Child


class ChildForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Child
        fields = [
            "last_name",
            "first_name",
            "patronymic",
            "birth_date",
            "sex",
            "municipality",
            "has_ovz",
            "has_disability",
        ]
        widgets = {"birth_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}
        help_texts = {
            "has_ovz": "Есть заключение психолого-медико-педагогической комиссии.",
            "municipality": "Где ребёнок живёт: от этого зависят приоритеты при записи.",
        }
