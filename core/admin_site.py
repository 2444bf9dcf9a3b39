"""The admin site: Django's, with its name in Russian and suggestions that tell objects apart."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.db.models import Field, Model, QuerySet
from django.db.models.fields.related import RelatedField
from django.forms import Field as FormField
from django.http import HttpRequest, HttpResponse

from core.admin_search import IndexedSearchMixin


class LabelledAutocompleteView(AutocompleteJsonView):
    """Suggestions labelled by the model admin's `autocomplete_label(obj)` where it has one: a
    region has many «Робототехника» in different organizations, and a title alone cannot tell them apart."""

    def serialize_result(self, obj: Model, to_field_name: str) -> dict[str, Any]:
        result: dict[str, Any] = super().serialize_result(obj, to_field_name)  # type: ignore[misc]  # Django ≥ 3.2; the stubs lag
        label = getattr(self.model_admin, "autocomplete_label", None)
        return {**result, "text": label(obj)} if label else result


class ModelAdmin(IndexedSearchMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    """The project's model admin: Django's, searching table by table (core/admin_search.py), and
    naming a chosen object as its suggestions name it (`autocomplete_label` of the chosen model's
    admin, which reads `autocomplete_related` with it)."""

    autocomplete_related: tuple[str, ...] = ()

    class Media:
        css = {"all": ("css/admin.css",)}

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
        label = getattr(self._chosen_admin(db_field), "autocomplete_label", None)
        if label is not None and formfield is not None and db_field.name in self.get_autocomplete_fields(request):
            formfield.label_from_instance = label  # type: ignore[attr-defined]  # a model choice field
        return formfield


class OporaAdminSite(admin.AdminSite):
    site_header = "Опора — администрирование"
    site_title = "Опора"

    def autocomplete_view(self, request: HttpRequest) -> HttpResponse:
        return cast(HttpResponse, LabelledAutocompleteView.as_view(admin_site=self)(request))


class OporaAdminConfig(AdminConfig):
    default_site = "core.admin_site.OporaAdminSite"
