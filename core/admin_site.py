"""The admin site: Django's, with its name in Russian and suggestions that tell objects apart."""

from typing import Any, cast

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.db.models import Model
from django.http import HttpRequest, HttpResponse


class LabelledAutocompleteView(AutocompleteJsonView):
    """Suggestions labelled by the model admin's `autocomplete_label(obj)` where it has one: a
    region has many «Робототехника» in different organizations, and a title alone cannot tell them apart."""

    def serialize_result(self, obj: Model, to_field_name: str) -> dict[str, Any]:
        result: dict[str, Any] = super().serialize_result(obj, to_field_name)  # type: ignore[misc]  # Django ≥ 3.2; the stubs lag
        label = getattr(self.model_admin, "autocomplete_label", None)
        return {**result, "text": label(obj)} if label else result


class OporaAdminSite(admin.AdminSite):
    site_header = "Опора — администрирование"
    site_title = "Опора"

    def autocomplete_view(self, request: HttpRequest) -> HttpResponse:
        return cast(HttpResponse, LabelledAutocompleteView.as_view(admin_site=self)(request))


class OporaAdminConfig(AdminConfig):
    default_site = "core.admin_site.OporaAdminSite"
