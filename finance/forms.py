"""Forms of the back office's financing pages. They check what a person typed and say so in Russian
next to the field; the rules themselves (scope, statuses, limits) stay in the finance services."""

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet

from catalog.models import Group
from finance import contracts
from finance.models import FinancingPeriod, InvoiceKind, PaymentOrder, Provider, first_day, kopecks
from finance.registers import ModuleDraft

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MONTHS = (
    "январь",
    "февраль",
    "март",
    "апрель",
    "май",
    "июнь",
    "июль",
    "август",
    "сентябрь",
    "октябрь",
    "ноябрь",
    "декабрь",
)


def month_label(month: date) -> str:
    return f"{MONTHS[month.month - 1]} {month.year}"


def period_months(period: FinancingPeriod, until: date | None = None) -> list[date]:
    """The first days of the period's months, up to the month of `until` if given."""
    months, month = [], first_day(period.starts_on)
    while month <= period.ends_on and (until is None or month <= until):
        months.append(month)
        month = contracts.next_month(month)
    return months


class MonthField(forms.TypedChoiceField):
    """A month of the period, as «сентябрь 2026»; the value is its first day."""

    def __init__(self, months: Iterable[date], **kwargs: Any) -> None:
        choices = [(m.isoformat(), month_label(m)) for m in months]
        super().__init__(
            choices=choices,
            coerce=date.fromisoformat,
            error_messages={"invalid_choice": "Выберите месяц периода из списка."},
            **kwargs,
        )


class CertificateDecisionForm(forms.Form):
    # No decision is preselected: saving the form must not confirm an identity nobody checked.
    decision = forms.ChoiceField(
        label="Решение",
        choices=[("", "— выберите —"), ("confirm", "Личность подтверждена"), ("decline", "Отказать в выдаче")],
        error_messages={"required": "Выберите решение."},
    )
    reason = forms.CharField(label="Причина отказа", required=False, max_length=500)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "decline" and not (data.get("reason") or "").strip():
            self.add_error("reason", "Укажите причину отказа: её увидит семья.")
        return data


class ModuleForm(forms.Form):
    name = forms.CharField(label="Название модуля", max_length=200)
    months = forms.IntegerField(label="Месяцев", min_value=1, max_value=24)
    hours = forms.IntegerField(label="Часов всего", min_value=1)
    # localize: «350,50» as Russians write it (with a dot too); a text input, as a number input refuses a comma.
    weekly_hours = forms.DecimalField(
        label="Часов в неделю", min_value=Decimal("0.5"), max_digits=5, decimal_places=2, localize=True
    )
    price = forms.DecimalField(
        label="Цена модуля, ₽", min_value=Decimal(0), max_digits=12, decimal_places=2, localize=True
    )

    def draft(self) -> ModuleDraft:
        d = self.cleaned_data
        return ModuleDraft(d["name"], d["months"], d["hours"], d["weekly_hours"], d["price"])


ModuleFormSet = forms.formset_factory(ModuleForm, extra=2, min_num=1, validate_min=True, max_num=12, validate_max=True)
ModuleFormSet.error_messages = {  # type: ignore[attr-defined]
    **forms.BaseFormSet.default_error_messages,
    "too_few_forms": "Опишите хотя бы один модуль программы.",
    "too_many_forms": "Не больше 12 модулей.",
}


def module_drafts(formset: forms.BaseFormSet) -> list[ModuleDraft]:  # type: ignore[type-arg]
    """The filled rows of a valid module formset (an empty extra row has no cleaned data)."""
    return [form.draft() for form in formset.forms if form.cleaned_data]


class CertificationDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label="Решение", choices=[("certify", "Сертифицировать"), ("deny", "Отказать в сертификации")]
    )
    hourly_cost = forms.DecimalField(
        label="Нормативная стоимость часа, ₽",
        required=False,
        min_value=Decimal("0.01"),
        max_digits=10,
        decimal_places=2,
        localize=True,
    )
    remark = forms.CharField(label="Замечания", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "certify" and not data.get("hourly_cost"):
            self.add_error("hourly_cost", "Укажите нормативную стоимость часа.")
        if data.get("decision") == "deny" and not (data.get("remark") or "").strip():
            self.add_error("remark", "Укажите замечания: организация увидит, что исправить.")
        return data


class IncludeProviderForm(forms.Form):
    bank_account = forms.CharField(label="Расчётный счёт", required=False, max_length=20, help_text="20 цифр")
    bik = forms.CharField(label="БИК", required=False, max_length=9, help_text="9 цифр")


class AgreementForm(forms.Form):
    period = forms.ModelChoiceField(label="Период", queryset=FinancingPeriod.objects.none(), empty_label=None)
    provider = forms.ModelChoiceField(label="Исполнитель", queryset=Provider.objects.none(), empty_label=None)
    number = forms.CharField(label="Номер соглашения", max_length=64)
    signed_on = forms.DateField(label="Дата", widget=DATE_INPUT)

    def __init__(self, *args: Any, periods: QuerySet[Any], providers: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["period"].queryset = periods  # type: ignore[attr-defined]
        self.fields["provider"].queryset = providers  # type: ignore[attr-defined]


class ConfirmContractForm(forms.Form):
    payment_order = forms.ChoiceField(label="Порядок оплаты", choices=PaymentOrder.choices)


class RejectContractForm(forms.Form):
    reason = forms.CharField(
        label="Причина отказа",
        max_length=500,
        error_messages={"required": "Укажите причину: её увидит семья."},
    )


class TerminateContractForm(forms.Form):
    on = forms.DateField(label="Дата расторжения", widget=DATE_INPUT)
    reason = forms.CharField(
        label="Причина расторжения", max_length=500, error_messages={"required": "Укажите причину расторжения."}
    )


# The month page holds three forms, each with its «Месяц»: their ids differ, so each label names its own list.


class CloseMonthForm(forms.Form):
    def __init__(self, *args: Any, months: list[date], **kwargs: Any) -> None:
        super().__init__(*args, **{"auto_id": "close_%s", **kwargs})
        self.fields["month"] = MonthField(months, label="Месяц")


class CompletenessForm(forms.Form):
    group = forms.ModelChoiceField(label="Группа", queryset=Group.objects.none(), empty_label=None)
    percent = forms.IntegerField(label="Полнота оказания услуг, %", min_value=0, max_value=100, initial=100)

    def __init__(self, *args: Any, groups: QuerySet[Any], months: list[date], **kwargs: Any) -> None:
        super().__init__(*args, **{"auto_id": "completeness_%s", **kwargs})
        self.fields["group"].queryset = groups  # type: ignore[attr-defined]
        self.fields["month"] = MonthField(months, label="Месяц")
        self.order_fields(["group", "month", "percent"])


class InvoiceForm(forms.Form):
    provider = forms.ModelChoiceField(label="Исполнитель", queryset=Provider.objects.none(), empty_label=None)
    kind = forms.ChoiceField(label="Счёт", choices=InvoiceKind.choices)
    amount = forms.DecimalField(
        label="Сумма аванса, ₽",
        required=False,
        min_value=Decimal("0.01"),
        max_digits=14,
        decimal_places=2,
        localize=True,
        help_text="Пусто — наибольший аванс, 80 % суммы месяца по договорам. Окончательный счёт считается сам.",
    )

    def __init__(self, *args: Any, providers: QuerySet[Any], months: list[date], **kwargs: Any) -> None:
        super().__init__(*args, **{"auto_id": "invoice_%s", **kwargs})
        self.fields["provider"].queryset = providers  # type: ignore[attr-defined]
        self.fields["month"] = MonthField(months, label="Месяц")
        self.order_fields(["provider", "month", "kind", "amount"])

    def amount_kopecks(self) -> int | None:
        amount = self.cleaned_data.get("amount")
        if amount is None or self.cleaned_data.get("kind") != InvoiceKind.ADVANCE:
            return None
        return kopecks(amount)
