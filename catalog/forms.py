"""Forms of the back office and the admin: programs, groups, their timetable and financing, study places.

The table constraints of Program and Group are checked here once more so that a person sees a
Russian message next to the field instead of a failed INSERT, one message a field. The domain
rules that live in catalog.services (a group against its program, the timetable, financing) are
called, not copied; a failed form lists every error, its rows' too, above it (`error_links`).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet, inlineformset_factory
from django.utils import timezone

from accounts.services import NewPerson
from catalog import register, services
from catalog.models import (
    MAX_CHILD_AGE,
    MAX_GROUP_CAPACITY,
    MAX_HOURS_PER_YEAR,
    MAX_PRICE_PER_MONTH,
    MAX_PROGRAM_HOURS,
    MAX_PROGRAM_MONTHS,
    FundingSource,
    Group,
    GroupFinancing,
    Organization,
    OrganizationUnit,
    Program,
    ScheduleSlot,
    StudyPlace,
    Weekday,
)
from core.forms import russian_empty_choices
from people.models import Teacher
from territory.permissions import governed_municipalities

WRONG_ORGANIZATION = "Педагог должен работать в организации, которая реализует программу."
AGE_INPUT = forms.NumberInput(attrs={"min": 0, "max": MAX_CHILD_AGE})
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MOMENT_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
TIME_INPUT = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")

# The program forms, fieldset by fieldset: the admin's, and the office's without the organization.
PROGRAM_SECTIONS = (
    ("Основное", ("organization", "title", "summary", "description", "goals", "results", "equipment")),
    ("Вид и направленность", ("program_type", "direction", "unit")),
    ("Уровень (хотя бы один)", ("level_initial", "level_basic", "level_advanced")),
    ("Возраст и объём", ("age_from", "age_to", "hours_total", "duration_months")),
    ("Форма и место", ("study_form", "uses_distance_learning", "is_network", "address")),
    ("Доступность", ("ovz_adapted", "ovz_categories", "disability_adapted")),
    ("Условия оплаты (хотя бы одно)", ("is_free", "by_certificate", "is_paid", "price_per_month")),
    ("Реестры и педагоги", ("registers", "teachers")),
)


def limit_choices(form: forms.BaseForm, name: str, queryset: QuerySet[Any]) -> None:
    """Offer only these rows in a model choice field (single or multiple)."""
    field = form.fields[name]
    if isinstance(field, forms.ModelChoiceField):
        field.queryset = queryset


POSITIVE_PROGRAM_FIELDS = {
    "hours_total": "Объём программы должен быть больше нуля.",
    "duration_months": "Срок освоения должен быть больше нуля.",
}


POSITIVE_GROUP_FIELDS = {
    "capacity": "В группе должно быть хотя бы одно место.",
    "hours_per_year": "Часов в год должно быть больше нуля.",
}


def say_below_zero_as_zero(form: forms.BaseForm, messages: dict[str, str]) -> None:
    """A number below zero is refused in the words zero is (the field's own «не меньше 0» would read
    as if zero were fine)."""
    for name, message in messages.items():
        if name in form.fields:
            form.fields[name].error_messages["min_value"] = message


def input_range(form: forms.BaseForm, limits: dict[str, tuple[Any, Any]]) -> None:
    """Tell the number inputs their range (min, max), as the rules check it: spin buttons and
    assistive technology know it before the form is sent."""
    for name, (low, high) in limits.items():
        if name in form.fields:
            form.fields[name].widget.attrs.update({"min": low, "max": high})


class ProgramRulesForm(forms.ModelForm):  # type: ignore[type-arg]
    """The rules of the program table (age, level, funding, price) as field errors in Russian."""

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        age_from, age_to = data.get("age_from"), data.get("age_to")
        if age_to is not None and age_to > MAX_CHILD_AGE:
            self.add_error("age_to", f"Навигатор — для детей: возраст не больше {MAX_CHILD_AGE} лет.")
        elif age_from is not None and age_to is not None and age_from > age_to:
            self.add_error("age_to", "Возраст «по» должен быть не меньше возраста «с».")
        for name, message in POSITIVE_PROGRAM_FIELDS.items():
            if data.get(name) == 0:
                self.add_error(name, message)
        self._require_one(
            data, ("level_initial", "level_basic", "level_advanced"), "Уровень", "Выберите хотя бы один уровень."
        )
        self._require_one(
            data,
            ("is_free", "by_certificate", "is_paid"),
            "Условия оплаты",
            "Укажите условия: бесплатно, по сертификату или платно (можно несколько).",
        )
        self._check_price(data)
        self._check_organization(data)
        if data.get("ovz_categories") and not data.get("ovz_adapted") and "ovz_adapted" in self.fields:
            self.add_error(
                "ovz_categories",
                "Категории указываются для программы, адаптированной для детей с ОВЗ: отметьте "
                "«Адаптирована для детей с ОВЗ» или снимите категории.",
            )
        return data

    def _check_price(self, data: dict[str, Any]) -> None:
        """The price's rule (services.check_price); a price the field itself refused (not a number, too
        many digits) keeps that one message."""
        if "price_per_month" not in self.fields or self.has_error("price_per_month"):
            return
        try:
            services.check_price(bool(data.get("is_paid")), data.get("price_per_month"))
        except ValidationError as error:
            self.add_error(None, error)

    def _require_one(self, data: dict[str, Any], names: tuple[str, ...], label: str, message: str) -> None:
        """None of these boxes ticked: the error is shown at the first, and named by the group's
        `label` in the summary (not as if that one box were required)."""
        if all(name in self.fields for name in names) and not any(data.get(name) for name in names):
            self.add_error(names[0], message)
            self.error_labels[names[0]] = label

    @functools.cached_property
    def error_labels(self) -> dict[str, str]:
        """Field name → the name its errors go by in the summary, where not the field's label."""
        return {}

    def _check_organization(self, data: dict[str, Any]) -> None:
        if "organization" in self.fields:
            organization = data.get("organization")
        else:
            organization = self.instance.organization if self.instance.organization_id else None
        if organization is None:
            return
        if any(t.organization_id != organization.pk for t in data.get("teachers") or ()):
            self.add_error("teachers", WRONG_ORGANIZATION)
        unit = data.get("unit")
        if unit is not None and unit.organization_id != organization.pk:
            self.add_error("unit", "Подразделение должно относиться к организации, которая реализует программу.")


class ProgramForm(ProgramRulesForm):
    """The office form of a program of the organization its instance already has."""

    class Meta:
        model = Program
        # The organization is the instance's, chosen before the form (the admin's form has the field).
        fields = [name for _, names in PROGRAM_SECTIONS for name in names if name != "organization"]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 3}),
            "description": forms.Textarea(attrs={"rows": 6}),
            "goals": forms.Textarea(attrs={"rows": 4}),
            "results": forms.Textarea(attrs={"rows": 4}),
            "equipment": forms.Textarea(attrs={"rows": 3}),
            "age_from": AGE_INPUT,
            "age_to": AGE_INPUT,
            "ovz_categories": forms.CheckboxSelectMultiple,
            "registers": forms.CheckboxSelectMultiple,
            "teachers": forms.CheckboxSelectMultiple,
        }
        help_texts = {
            "summary": "Одно-два предложения: их видят в результатах поиска.",
            "address": (
                "Если не указано, берётся адрес организации. Поле подсказывает адреса организации и её мест занятий: "
                "программа с таким адресом видна на карте, и семьи находят её по расстоянию («Рядом со мной»)."
            ),
            "price_per_month": "Только для платной программы.",
            "ovz_categories": "Для каких категорий детей с ОВЗ адаптирована программа.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The organization is chosen before the form (office_views.program_create): its own teachers
        # and units only, not those of every organization a regional administrator may edit.
        teachers = Teacher.objects.filter(organization_id=self.instance.organization_id)
        limit_choices(self, "teachers", teachers)
        limit_choices(self, "unit", OrganizationUnit.objects.filter(organization_id=self.instance.organization_id))
        if "address" in self.fields:
            self.address_suggestions = address_suggestions(self.instance.organization)
            self.fields["address"].widget.attrs["list"] = ADDRESS_SUGGESTIONS
        if not teachers.exists():
            self.fields[
                "teachers"
            ].help_text = "В организации пока нет педагогов: добавьте их на странице «Педагоги и доступ»."
        russian_empty_choices(self)
        say_below_zero_as_zero(self, POSITIVE_PROGRAM_FIELDS)
        input_range(
            self,
            {
                "hours_total": (1, MAX_PROGRAM_HOURS),
                "duration_months": (1, MAX_PROGRAM_MONTHS),
                "price_per_month": (0, MAX_PRICE_PER_MONTH),
            },
        )

    def sections(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(legend, [self[name] for name in names if name in self.fields]) for legend, names in PROGRAM_SECTIONS]


class GroupRulesForm(forms.ModelForm):  # type: ignore[type-arg]
    """The rules of the group table (dates, enrollment window, ages, seats) as field errors in Russian."""

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        for first, last, message in (
            ("start_date", "end_date", "Занятия должны заканчиваться не раньше, чем начинаются."),
            ("age_from", "age_to", "Возраст «по» должен быть не меньше возраста «с»."),
        ):
            if data.get(first) is not None and data.get(last) is not None and data[first] > data[last]:
                self.add_error(last, message)
        opens, closes = data.get("enrollment_opens_at"), data.get("enrollment_closes_at")
        if opens is not None and closes is not None and opens >= closes:
            self.add_error("enrollment_closes_at", "Приём заявок должен заканчиваться позже, чем начинается.")
        capacity, taken = data.get("capacity"), self.instance.seats_taken
        if capacity == 0:
            self.add_error("capacity", POSITIVE_GROUP_FIELDS["capacity"])
        elif capacity is not None and capacity < taken:
            self.add_error("capacity", f"Уже занято мест: {taken}. Вместимость не может быть меньше.")
        program = data.get("program") if "program" in self.fields else self.instance.program
        teacher = data.get("teacher")
        if program is not None and teacher is not None and teacher.organization_id != program.organization_id:
            self.add_error("teacher", WRONG_ORGANIZATION)
        if program is not None:
            for name, message in services.group_errors(program, data).items():
                if not self.has_error(name):
                    self.add_error(name if name in self.fields else None, message)
        return data


class GroupForm(GroupRulesForm):
    class Meta:
        model = Group
        fields = [
            "name",
            "teacher",
            "address",
            "academic_year",
            "start_date",
            "end_date",
            "enrollment_opens_at",
            "enrollment_closes_at",
            "age_from",
            "age_to",
            "capacity",
            "hours_per_year",
            "is_locked",
            "is_active",
        ]
        widgets = {
            "start_date": DATE_INPUT,
            "end_date": DATE_INPUT,
            "enrollment_opens_at": MOMENT_INPUT,
            "enrollment_closes_at": MOMENT_INPUT,
            "age_from": AGE_INPUT,
            "age_to": AGE_INPUT,
        }
        help_texts = {
            "address": (
                "Если не указан, берётся место реализации программы. Поле подсказывает адреса организации и её "
                "мест занятий: группа с таким адресом видна на карте, и семьи находят её по расстоянию "
                "(«Рядом со мной»). Другой адрес на карте не показывается — добавьте его в «Места занятий» кабинета."
            ),
            "academic_year": "Год, в котором начинается учебный год: 2025 для 2025/26 (с 1 сентября по 31 августа).",
            "is_locked": "Заявки в группу не принимаются.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["address"].required = False
        program = self.instance.program
        if self.instance._state.adding and self.instance.academic_year is None:
            # The instance's empty value is in self.initial and would hide a field's `initial`.
            self.initial["academic_year"] = services.planned_academic_year(timezone.localdate())
        self.fields["age_from"].help_text = (
            f"Если группа уже, чем программа: в пределах {program.age_from}–{program.age_to} лет. "
            "Если не указан — как в программе."
        )
        limit_choices(self, "teacher", Teacher.objects.filter(organization_id=program.organization_id))
        self.address_suggestions = address_suggestions(program.organization)
        self.fields["address"].widget.attrs["list"] = ADDRESS_SUGGESTIONS
        russian_empty_choices(self)
        say_below_zero_as_zero(self, POSITIVE_GROUP_FIELDS)
        ages = (program.age_from, program.age_to)
        input_range(
            self,
            {
                "age_from": ages,
                "age_to": ages,
                "capacity": (1, MAX_GROUP_CAPACITY),
                "hours_per_year": (1, min(MAX_HOURS_PER_YEAR, program.hours_total)),
            },
        )


ADDRESS_SUGGESTIONS = "address-suggestions"  # the id of the program's and group's forms' <datalist> of addresses


def address_suggestions(organization: Organization) -> list[tuple[str, str]]:
    """(address, what it is) of the addresses an organization's groups meet at on the map: its own and its study
    places', as the program and group forms suggest them (written alike, an address is placed: catalog.places)."""
    places = organization.study_places.order_by("address").values_list("address", "name")
    return [(organization.address, "Адрес организации"), *((a, name or "Место занятий") for a, name in places)]


class SlotForm(forms.ModelForm):  # type: ignore[type-arg]
    """One lesson of the weekly timetable; the timing rule is the one catalog.services enforces."""

    weekday = forms.TypedChoiceField(
        label="День недели", choices=[("", "— день —"), *Weekday.choices], coerce=int, empty_value=None
    )

    class Meta:
        model = ScheduleSlot
        fields = ["weekday", "starts_at", "ends_at", "room"]
        widgets = {"starts_at": TIME_INPUT, "ends_at": TIME_INPUT}

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if all(data.get(name) is not None for name in ("weekday", "starts_at", "ends_at")):
            try:
                services.check_schedule([services.Slot(data["weekday"], data["starts_at"], data["ends_at"])])
            except ValidationError as error:
                self.add_error("ends_at", error.messages)
        return data


class TimetableFormSet(BaseInlineFormSet):  # type: ignore[type-arg]
    """Lessons of one group do not overlap on the same weekday; the overlap is shown at the later one."""

    legend = "Расписание на неделю"
    row_label = "Занятие"

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        rows = _kept_forms(self)
        schedule = schedule_from(self)
        overlap = services.find_overlap(schedule)
        if overlap is not None:
            first, second = overlap
            rows[second].add_error("starts_at", services.overlap_message(schedule[first], schedule[second]))


class FinancingForm(forms.ModelForm):  # type: ignore[type-arg]
    """One financing source; its cost follows the rule of catalog.services (none when free)."""

    # Not required: a row left without a source (a spare one, or one whose source was taken away)
    # is no source of the group, whatever its cost says.
    source = forms.ChoiceField(label="Источник", choices=[("", "— источник —"), *FundingSource.choices], required=False)

    class Meta:
        model = GroupFinancing
        fields = ["source", "cost_per_month"]
        widgets = {"cost_per_month": forms.NumberInput(attrs={"min": 0, "step": "0.01"})}
        help_texts = {"cost_per_month": "Для бесплатного источника не указывается."}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cost_per_month"].required = False
        if self.instance._state.adding and "cost_per_month" not in (kwargs.get("initial") or {}):
            self.initial["cost_per_month"] = None  # a spare row shows an empty cost, not the model's 0
        input_range(self, {"cost_per_month": (0, MAX_PRICE_PER_MONTH)})

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        source = data.get("source")
        if not source and not self.has_error("source"):
            data["DELETE"] = True
        elif source and not self.has_error("cost_per_month"):
            cost = data.get("cost_per_month")
            message = services.financing_cost_error(source, Decimal(0) if cost is None else cost)
            if message is not None:
                self.add_error("cost_per_month", message)
            elif cost is None:
                data["cost_per_month"] = Decimal(0)
        return data


class FinancingFormSet(BaseInlineFormSet):  # type: ignore[type-arg]
    """The group's financing sources: at least one, among the program's conditions, each once."""

    legend = "Финансирование"
    row_label = "Источник"

    def validate_unique(self) -> None:
        """Each source once: `check_financing` says it in the rule's words (Django's own message
        names the field in English)."""

    def clean(self) -> None:
        super().clean()
        if any(self.errors) or getattr(self.instance, "program", None) is None:
            return
        try:
            services.check_financing(self.instance.program, financing_from(self))
        except ValidationError as error:
            raise ValidationError(error.messages) from None


ScheduleFormSet = inlineformset_factory(
    Group, ScheduleSlot, form=SlotForm, formset=TimetableFormSet, extra=2, can_delete=True, can_delete_extra=False
)
GroupFinancingFormSet = inlineformset_factory(
    Group,
    GroupFinancing,
    form=FinancingForm,
    formset=FinancingFormSet,
    extra=1,
    max_num=len(FundingSource),
    can_delete=True,
    can_delete_extra=False,
)


def _kept_forms(formset: forms.BaseFormSet[Any]) -> list[forms.BaseForm]:
    """Rows that remain: not deleted, not left blank."""
    return [form for form in formset.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")]


def _kept_rows(formset: forms.BaseFormSet[Any]) -> list[dict[str, Any]]:
    return [form.cleaned_data for form in _kept_forms(formset)]


def schedule_from(formset: forms.BaseFormSet[Any]) -> list[services.Slot]:
    return [
        services.Slot(row["weekday"], row["starts_at"], row["ends_at"], row.get("room") or "")
        for row in _kept_rows(formset)
    ]


def new_group_financing(program: Program) -> list[dict[str, Any]]:
    """The financing rows a new group starts with: one for each way its program is paid for, a paid
    one at the program's price (a certificate's cost is the operator's to enter)."""
    rows: list[dict[str, Any]] = []
    if program.is_free:
        rows.append({"source": FundingSource.BUDGET, "cost_per_month": None})
    if program.by_certificate:
        rows.append({"source": FundingSource.CERTIFICATE, "cost_per_month": None})
    if program.is_paid:
        rows.append({"source": FundingSource.PAID, "cost_per_month": program.price_per_month})
    return rows


def financing_from(formset: forms.BaseFormSet[Any]) -> list[services.Financing]:
    return [services.Financing(row["source"], row.get("cost_per_month") or Decimal(0)) for row in _kept_rows(formset)]


@dataclass(frozen=True)
class ErrorLink:
    """One line of the summary above a form that failed: where the error is and what it says."""

    anchor: str  # the id of the field, or of the fieldset of a row or a table of rows
    label: str
    message: str


def error_links(form: forms.BaseForm, *formsets: forms.BaseFormSet[Any]) -> list[ErrorLink]:
    """Every error of a form and of its formsets (rows of the timetable, financing sources) as links
    to where it is shown, in the order of the page. The form's non-field errors are not links:
    the summary shows them itself."""
    links = _field_links(form)
    for formset in formsets:
        prefix = formset.prefix or ""
        legend = getattr(formset, "legend", "")
        links += [ErrorLink(prefix, legend, str(message)) for message in formset.non_form_errors()]
        row_label = getattr(formset, "row_label", "Строка")
        for number, row in enumerate(formset.forms, start=1):
            where = f"{row_label} {number}"
            links += [ErrorLink(f"{prefix}-{number - 1}", where, str(message)) for message in row.non_field_errors()]
            links += _field_links(row, where)
    return links


def _field_links(form: forms.BaseForm, where: str = "") -> list[ErrorLink]:
    links = []
    for name in form.fields:  # in the order of the page, not of the checks
        if name not in form.errors:
            continue
        field = form[name]
        label = getattr(form, "error_labels", {}).get(name) or str(field.label)
        if where:  # «Занятие 2, начало»
            label = f"{where}, {label[:1].lower()}{label[1:]}"
        links += [ErrorLink(field.auto_id or name, label, str(message)) for message in form.errors[name]]
    return links


COORDINATES_HELP = (
    "Откройте Яндекс Карты, найдите здание и нажмите на него: в карточке места будут координаты вида "
    "«56.326887, 44.005986». Скопируйте их сюда целиком. Без координат место не видно на карте, "
    "и семьи не найдут его группы по расстоянию."
)
COORDINATES_FORMAT = (
    "Не удалось прочитать координаты. Вставьте их так, как их показывают Яндекс Карты: широта и долгота "
    "через запятую, например «56.326887, 44.005986»."
)
COORDINATES_RANGE = (
    "Таких координат нет: широта — от −90 до 90, долгота — от −180 до 180. Скопируйте координаты из "
    "Яндекс Карт ещё раз: сначала широта, потом долгота."
)
COORDINATE_STEP = Decimal("0.000001")  # the six decimals a study place keeps (about 10 cm)
_NUMBER = r"[-+−]?\d{1,3}(?:[.,]\d+)?"
# «56.326887, 44.005986» as Yandex Maps gives it; «56,326887 44,005986» or «56.3; 44.0» as a person may type it.
_COORDINATES = re.compile(rf"\s*({_NUMBER})\s*(?:[,;]\s*|\s+)({_NUMBER})\s*")


def parse_coordinates(text: str) -> tuple[Decimal, Decimal] | None:
    """(latitude, longitude) of a point written as Yandex Maps shows it, rounded to six decimals; None for
    nothing written."""
    if not text.strip():
        return None
    match = _COORDINATES.fullmatch(text)
    if match is None:
        raise ValidationError(COORDINATES_FORMAT, code="format")
    latitude, longitude = (
        Decimal(number.replace(",", ".").replace("−", "-")).quantize(COORDINATE_STEP) for number in match.groups()
    )
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise ValidationError(COORDINATES_RANGE, code="range")
    return latitude, longitude


def website_field() -> forms.URLField:
    """An organization's site, the scheme assumed when left out («cdt-ensk.ru»)."""
    return forms.URLField(
        label="Сайт", required=False, max_length=200, assume_scheme="https", help_text="Например, https://cdt-ensk.ru"
    )


class OrganizationProfileForm(forms.ModelForm):  # type: ignore[type-arg]
    """What the organization tells families of itself (services.PROFILE_FIELDS, whose rules are
    services.save_organization_profile's)."""

    website = website_field()

    class Meta:
        model = Organization
        fields = ["description", "phone", "email", "website", "accessible_for_ovz", "accessibility_notes"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 6}),
            "accessibility_notes": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {
            "description": "Что семьи прочтут на странице организации: чем она занимается, чем гордится.",
            "phone": "Телефон, по которому семьи могут узнать о записи.",
            "accessible_for_ovz": "Отметьте, если у здания есть доступная среда: семьи найдут организацию по фильтру.",
            "accessibility_notes": "Пандус, лифт, оборудованный туалет, тьютор, занятия для слабовидящих…",
        }


class LocatedForm(forms.ModelForm):  # type: ignore[type-arg]
    """A model form of a place on the map (models.Located): its coordinates in one field, pasted from Yandex Maps as
    they are shown there."""

    coordinates = forms.CharField(label="Координаты", required=False, max_length=100, help_text=COORDINATES_HELP)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        place = self.instance
        if place.latitude is not None and place.longitude is not None:
            self.initial.setdefault("coordinates", f"{place.latitude}, {place.longitude}")

    def clean_coordinates(self) -> tuple[Decimal | None, Decimal | None]:
        return parse_coordinates(self.cleaned_data["coordinates"]) or (None, None)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if "coordinates" in data:  # the model's fields are set from the one the form has
            self.instance.latitude, self.instance.longitude = data["coordinates"]
        return data


class StudyPlaceForm(LocatedForm):
    """A study place of the organization its instance already has. The rules are services.save_study_place's."""

    class Meta:
        model = StudyPlace
        fields = ["address", "name"]
        help_texts = {
            "address": (
                "Группы и программы с этим адресом будут видны на карте, и семьи найдут их по расстоянию. "
                "Сокращения и знаки не важны: «ул. Ленина, д. 5» и «Ленина, 5» — один адрес."
            ),
        }


class RemovePlaceForm(forms.Form):
    """Where the groups meeting at a study place go when it is removed (services.remove_study_place): nowhere
    (their address stays, off the map), the organization's own address or another of its places."""

    move_to = forms.ChoiceField(label="Где теперь будут заниматься группы", widget=forms.RadioSelect, required=False)

    def __init__(self, place: StudyPlace, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        organization = place.organization
        others = organization.study_places.exclude(pk=place.pk).order_by("address")
        cast(forms.ChoiceField, self.fields["move_to"]).choices = [
            ("", "Там же: адрес групп не изменится, но они пропадут с карты"),
            (organization.address, f"По адресу организации: {organization.address}"),
            *((other.address, f"{other.name}: {other.address}" if other.name else other.address) for other in others),
        ]
        self.initial.setdefault("move_to", "")


class TeacherForm(forms.ModelForm):  # type: ignore[type-arg]
    """A teacher's card (people.services.save_teacher's rules) and, while it has no account, the address to invite
    the teacher by (accounts.services.open_organization_access's)."""

    email = forms.CharField(
        label="Электронная почта для входа",
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
        help_text="Необязательно. Педагогу придёт приглашение: в кабинете он увидит свои группы и будет вести журнал.",
    )

    class Meta:
        model = Teacher
        fields = ["last_name", "first_name", "patronymic", "position", "qualification", "teaching_since", "about"]
        widgets = {"about": forms.Textarea(attrs={"rows": 4})}
        help_texts = {
            "qualification": "Например, «Высшая квалификационная категория».",
            "teaching_since": "Год, с которого педагог преподаёт, например 2015.",
            "about": "Что семьи прочтут о педагоге на странице программы.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.user_id is not None:
            del self.fields["email"]  # linked: its access is on the staff page


class InviteOperatorForm(forms.Form):
    """Who gets an operator's access to the organization's office (accounts.services.open_organization_access)."""

    email = forms.CharField(
        label="Электронная почта", max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "off"})
    )
    last_name = forms.CharField(label="Фамилия", required=False, max_length=150)
    first_name = forms.CharField(label="Имя", required=False, max_length=150)
    patronymic = forms.CharField(label="Отчество", required=False, max_length=150)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].help_text = "Этот адрес станет логином. Приглашение придёт на него."
        self.fields["last_name"].help_text = "Фамилия и имя нужны, если у адреса ещё нет учётной записи в навигаторе."


class OrganizationRegisterForm(LocatedForm):
    """What the territory's register keeps of an organization (catalog.register's rules), in the municipalities the
    person keeps; a new organization may name its first operator, invited with it."""

    website = website_field()
    operator_email = forms.CharField(
        label="Электронная почта оператора",
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
        help_text="Необязательно. Оператору придёт приглашение: он будет вести программы и заявки организации.",
    )
    operator_last_name = forms.CharField(label="Фамилия оператора", required=False, max_length=150)
    operator_first_name = forms.CharField(label="Имя оператора", required=False, max_length=150)
    operator_patronymic = forms.CharField(label="Отчество оператора", required=False, max_length=150)

    OPERATOR_FIELDS = ("operator_email", "operator_last_name", "operator_first_name", "operator_patronymic")
    field_order = ("full_name", "short_name", "kind", "department", "inn", "kpp", "ogrn", "licence_number",
                   "licence_date", "municipality", "address", "coordinates")  # fmt: skip

    class Meta:
        model = Organization
        fields = [name for name in register.REGISTER_FIELDS if name not in {"latitude", "longitude"}]
        widgets = {"licence_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}
        help_texts = {
            "short_name": "Так организацию называют в навигаторе: в поиске, на карточках программ.",
            "inn": "10 цифр у организации, 12 — у индивидуального предпринимателя; проверяется по контрольной сумме.",
            "ogrn": "13 цифр (ОГРНИП — 15); проверяется по контрольной сумме.",
            "is_active": (
                "Снимите отметку, если организация закрылась: её программы уйдут в архив и пропадут из поиска. "
                "Пока в её группах учатся дети или ждут ответа заявки, закрыть её нельзя."
            ),
        }

    def __init__(self, user: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self, "municipality", governed_municipalities(user).order_by("name"))
        russian_empty_choices(self)
        if not self.instance._state.adding:
            for name in self.OPERATOR_FIELDS:
                del self.fields[name]  # colleagues are invited on the staff page
            if Program.objects.filter(organization=self.instance).exists():
                self.fields["municipality"].disabled = True
                self.fields["municipality"].help_text = register.MUNICIPALITY_FIXED

    def register_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name not in self.OPERATOR_FIELDS]

    def operator_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.OPERATOR_FIELDS if name in self.fields]

    def operator(self) -> tuple[str, NewPerson]:
        """The first operator's address and names as given ("" for none)."""
        data = self.cleaned_data
        person = NewPerson(data["operator_last_name"], data["operator_first_name"], data["operator_patronymic"])
        return data.get("operator_email", ""), person


class UnitForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = OrganizationUnit
        fields = ["kind", "name", "address"]
        labels = {"kind": "Вид подразделения"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        russian_empty_choices(self)


class BaseUnitFormSet(BaseInlineFormSet):  # type: ignore[type-arg]
    legend = "Структурные подразделения"
    row_label = "Подразделение"


UnitFormSet = inlineformset_factory(
    Organization,
    OrganizationUnit,
    form=UnitForm,
    formset=BaseUnitFormSet,
    extra=1,
    can_delete=True,
    can_delete_extra=False,
)


def units_from(formset: BaseInlineFormSet) -> list[register.Unit]:  # type: ignore[type-arg]
    """The units a valid formset keeps: those not marked for deletion, the empty extra form left out."""
    return [
        register.Unit(data["kind"], data["name"], data.get("address") or "", form.instance.pk)
        for form in formset.forms
        if (data := form.cleaned_data) and not data.get("DELETE")
    ]
