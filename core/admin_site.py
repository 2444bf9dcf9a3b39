"""The admin site: Django's, with its name in Russian and suggestions that tell objects apart; every
add, change and deletion in it is written to the project's audit log, and a rule an action refuses
at saving is shown on the form instead of an error page."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any, cast

from django import forms
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, ValidationError
from django.db import IntegrityError
from django.db.models import Field, Model, QuerySet
from django.db.models.fields.related import RelatedField
from django.forms import Field as FormField
from django.http import HttpRequest, HttpResponse

from core.admin_search import IndexedSearchMixin

# Where a request carries what the admin learned while saving: the refusal to show on the form
# again, the names of the fields the form changed (for the audit log).
REFUSAL = "_opora_admin_refusal"
CHANGED = "_opora_admin_changed"


def refusal_of(error: ValidationError | IntegrityError) -> ValidationError:
    if isinstance(error, ValidationError):
        return error
    # A database rule no check of the form foresaw: refused all the same, nothing saved.
    return ValidationError(f"База данных отклонила сохранение, ничего не сохранено: {error}")


class RefusedForm(forms.ModelForm):  # type: ignore[type-arg]
    """The form sent again with the rule an action refused at saving, as the field's error (or the
    form's, for a rule of no field of the form)."""

    refusal: ValidationError

    def _post_clean(self) -> None:
        super()._post_clean()  # type: ignore[misc]
        if not hasattr(self.refusal, "error_dict"):
            self.add_error(None, self.refusal)
            return
        for name, errors in self.refusal.error_dict.items():
            # A rule of something the form has no field for (the timetable) is the form's: its
            # messages name what they are about.
            field = name if name in self.fields and name != NON_FIELD_ERRORS else None
            self.add_error(field, [message for error in errors for message in error.messages])


def note_changes(request: HttpRequest, form: forms.BaseForm, formsets: Iterable[Any] | None) -> None:
    """The names of what the form changed, for the audit record of the save: the form's fields and
    the rows' models of the inlines that changed."""
    changed: dict[str, Any] = {"fields": sorted(form.changed_data)}
    inlines = sorted({formset.model._meta.model_name for formset in formsets or () if formset.has_changed()})
    if inlines:
        changed["inlines"] = inlines
    setattr(request, CHANGED, changed)


class AuditedAdminMixin:
    """What every model admin of the project shares.

    Saving: the actions (services) check their rules when called, and a ValidationError (or a
    database constraint) they raise rolls the whole save back; the form is then validated again with
    the refusal as its errors, so the administrator reads the rule in Russian and nothing is saved.

    The audit log: each add, change and deletion made here is recorded (`admin.added`,
    `admin.changed`, `admin.deleted`) with the administrator, the object and the names of the fields
    changed — never their values, which may be personal data. An admin whose deletion is an action
    that records itself (revoking an API token) sets `deletion_audited = True`."""

    deletion_audited = False

    def changeform_view(
        self, request: HttpRequest, object_id: str | None = None, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        view = super().changeform_view  # type: ignore[misc]
        if request.method != "POST":
            return cast(HttpResponse, view(request, object_id, form_url, extra_context))
        try:
            return cast(HttpResponse, view(request, object_id, form_url, extra_context))  # atomic: rolled back
        except (ValidationError, IntegrityError) as error:
            setattr(request, REFUSAL, refusal_of(error))
        return cast(HttpResponse, view(request, object_id, form_url, extra_context))

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)  # type: ignore[misc]
        refusal = getattr(request, REFUSAL, None)
        if refusal is None:
            return form
        return type(form.__name__, (RefusedForm, form), {"refusal": refusal})

    def construct_change_message(
        self, request: HttpRequest, form: Any, formsets: Any, add: bool = False
    ) -> list[dict[str, Any]]:
        note_changes(request, form, formsets)
        return cast(list[dict[str, Any]], super().construct_change_message(request, form, formsets, add))  # type: ignore[misc]

    # core.audit reads the models: imported when the admin saves (this module is the admin's app config).

    def log_addition(self, request: HttpRequest, obj: Model, message: Any) -> Any:
        from core import audit

        audit.record(request.user, "admin.added", obj, **getattr(request, CHANGED, {}))
        return super().log_addition(request, obj, message)  # type: ignore[misc]

    def log_change(self, request: HttpRequest, obj: Model, message: Any) -> Any:
        from core import audit

        audit.record(request.user, "admin.changed", obj, **getattr(request, CHANGED, {}))
        return super().log_change(request, obj, message)  # type: ignore[misc]

    def log_deletions(self, request: HttpRequest, queryset: Iterable[Model]) -> Any:
        from core import audit

        objects = list(queryset)
        if not self.deletion_audited:
            audit.record_many((request.user, "admin.deleted", obj, {}) for obj in objects)
        return super().log_deletions(request, objects)  # type: ignore[misc]


class LabelledAutocompleteView(AutocompleteJsonView):
    """Suggestions labelled by the model admin's `autocomplete_label(obj)` where it has one: a
    region has many «Робототехника» in different organizations, and a title alone cannot tell them apart."""

    def serialize_result(self, obj: Model, to_field_name: str) -> dict[str, Any]:
        result: dict[str, Any] = super().serialize_result(obj, to_field_name)  # type: ignore[misc]  # Django ≥ 3.2; the stubs lag
        label = getattr(self.model_admin, "autocomplete_label", None)
        return {**result, "text": label(obj)} if label else result


# Fields whose models name them in English (a verbose_name would need a migration): named in the
# admin's lists and forms here; an admin adds its own in `field_labels`.
FIELD_LABELS = {
    "pk": "№",
    "user": "пользователь",
    "organization": "организация",
    "municipality": "муниципалитет",
    "region": "регион",
    "group": "группа",
    "application": "заявка",
    "campaign": "кампания",
    "certificate": "сертификат",
    "certification": "сертификация",
    "contract": "договор",
    "provider": "исполнитель",
    "operation": "операция",
    "created_at": "создано",
}
CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)


def _column(name: str, label: str) -> Callable[[Model], Any]:
    @admin.display(description=label, ordering=name)
    def value(obj: Model) -> Any:
        return getattr(obj, name)

    value.__name__ = name  # the column's CSS class, as for the field
    return value


class ModelAdmin(AuditedAdminMixin, IndexedSearchMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    """The project's model admin: Django's, audited and refusing as the actions do (AuditedAdminMixin),
    searching table by table (core/admin_search.py), naming a chosen object as its suggestions name it
    (`autocomplete_label` of the chosen model's admin, which reads `autocomplete_related` with it), and
    naming in Russian the columns and fields the models name in English (FIELD_LABELS, `field_labels`)."""

    autocomplete_related: tuple[str, ...] = ()
    field_labels: dict[str, str] = {}

    class Media:
        css = {"all": ("css/admin.css",)}

    def __init__(self, model: type[Model], admin_site: admin.AdminSite) -> None:
        super().__init__(model, admin_site)
        self.list_display = tuple(self._named_column(name) for name in self.list_display)

    def _label_of(self, name: str) -> str | None:
        """The Russian name of a field the model names in English, or None."""
        label = self.field_labels.get(name) or FIELD_LABELS.get(name)
        if label is None:
            return None
        try:
            field = self.model._meta.pk if name == "pk" else self.model._meta.get_field(name)
        except FieldDoesNotExist:
            return None
        named = str(getattr(field, "verbose_name", ""))
        return None if name != "pk" and CYRILLIC.search(named) else label

    def _named_column(self, name: Any) -> Any:
        label = self._label_of(name) if isinstance(name, str) else None
        return _column(name, label) if label else name

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        if self.autocomplete_related:  # the suggestions' labels read them
            queryset = queryset.select_related(*self.autocomplete_related)
        return super().get_search_results(request, queryset, search_term)

    def _chosen_admin(self, db_field: Field[Any, Any]) -> Any:
        return self.admin_site._registry.get(db_field.related_model) if db_field.is_relation else None  # type: ignore[arg-type]

    def get_field_queryset(
        self, db: str | None, db_field: RelatedField[Any, Any], request: HttpRequest
    ) -> QuerySet[Any] | None:
        queryset = super().get_field_queryset(db, db_field, request)
        related = getattr(self._chosen_admin(db_field), "autocomplete_related", ())
        if not related:
            return queryset
        if queryset is None:
            queryset = db_field.remote_field.model._default_manager.using(db).all()
        return queryset.select_related(*related)

    def formfield_for_dbfield(self, db_field: Field[Any, Any], request: HttpRequest, **kwargs: Any) -> FormField | None:
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        label = self._label_of(db_field.name)
        if label is not None and formfield is not None:
            formfield.label = label.capitalize()
        chosen_label = getattr(self._chosen_admin(db_field), "autocomplete_label", None)
        if (
            chosen_label is not None
            and formfield is not None
            and db_field.name in self.get_autocomplete_fields(request)
        ):
            formfield.label_from_instance = chosen_label  # type: ignore[attr-defined]  # a model choice field
        return formfield


class OporaAdminSite(admin.AdminSite):
    site_header = "Опора — администрирование"
    site_title = "Опора"

    def autocomplete_view(self, request: HttpRequest) -> HttpResponse:
        return cast(HttpResponse, LabelledAutocompleteView.as_view(admin_site=self)(request))


class OporaAdminConfig(AdminConfig):
    default_site = "core.admin_site.OporaAdminSite"
