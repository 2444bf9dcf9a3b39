"""The audit log in the admin (read-only) and the base for other read-only admin pages."""

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.apps import apps
from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import ValidationError
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from core.admin_site import ModelAdmin
from core.audit import ACTION_LABELS, action_label
from core.models import AuditEvent, PublicEntity


class ReadOnlyAdmin(ModelAdmin):
    """Rows written only by the system's actions: the admin looks, never edits."""

    show_full_result_count = False
    deletable = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.deletable and super().has_delete_permission(request, obj)


# What names an object in the log: its code, then the first of these it has. Plain columns only,
# read for a whole page at once; an object without them is named by its type and number.
NAME_FIELDS = ("title", "short_name", "name", "number", "email")


def _model_of(object_type: str) -> type[Model] | None:
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


def _describe(model: type[Model], obj: Model, columns: list[str]) -> str:
    code = str(getattr(obj, "code", "") or "") if "code" in columns else ""
    name = next((str(getattr(obj, f)) for f in NAME_FIELDS if f in columns and getattr(obj, f)), "")
    if name and code:
        return f"{code} «{name}»"
    return code or name or f"{model._meta.verbose_name} № {obj.pk}"


def describe_objects(events: Iterable[AuditEvent]) -> dict[tuple[str, str], tuple[str, str]]:
    """(type, id) of each event's object → (its name, the address of its admin page or ""), with one
    query per type of object; objects deleted since, or of a type no longer known, are left out."""
    ids: dict[str, set[str]] = defaultdict(set)
    for event in events:
        ids[event.object_type].add(event.object_id)
    found: dict[tuple[str, str], tuple[str, str]] = {}
    for object_type, keys in ids.items():
        model = _model_of(object_type)
        if model is None:
            continue
        columns = [
            f.name for f in model._meta.concrete_fields if f.name in ("code", *NAME_FIELDS) and not f.is_relation
        ]
        pks = []
        for key in keys:
            try:
                pks.append(model._meta.pk.to_python(key))
            except ValidationError:  # a malformed id names no object
                continue
        for obj in model._default_manager.filter(pk__in=pks).only("pk", *columns):
            try:
                url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[obj.pk])
            except NoReverseMatch:
                url = ""
            found[(object_type, str(obj.pk))] = (_describe(model, obj, columns), url)
    return found


class AuditChangeList(ChangeList):
    """Names the objects of a whole page of the log at once."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        names = describe_objects(self.result_list)
        for event in self.result_list:
            event.described = names.get((event.object_type, event.object_id))


class ActionFilter(admin.SimpleListFilter):
    title = "действие"
    parameter_name = "action"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return sorted(ACTION_LABELS.items(), key=lambda item: item[1])

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(action=self.value()) if self.value() else queryset


class ObjectTypeFilter(admin.SimpleListFilter):
    title = "тип объекта"
    parameter_name = "object_type"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        choices = []
        for model in apps.get_models():
            if model._meta.app_label in ("admin", "auth", "contenttypes", "sessions"):
                continue
            choices.append((model._meta.label_lower, str(model._meta.verbose_name).capitalize()))
        return sorted(choices, key=lambda item: item[1])

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(object_type=self.value()) if self.value() else queryset


def coded_objects(term: str) -> list[tuple[type[Model], Any]]:
    """The objects whose code (PR-0M1BVS, in any case) is the term: their model and id, found by the
    prefix's model and its unique code."""
    prefix, dash, _ = term.partition("-")
    if not (dash and prefix):
        return []
    found: list[tuple[type[Model], Any]] = []
    for model in apps.get_models():
        if issubclass(model, PublicEntity) and prefix.upper() == model.CODE_PREFIX:
            found += [(model, pk) for pk in model._base_manager.filter(code=term.upper()).values_list("pk", flat=True)]
    return found


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "action_name", "object_type_name", "object_name", "actor")
    list_filter = (ActionFilter, ObjectTypeFilter)
    search_fields = ("=object_id", "action", "actor__email")
    search_help_text = "Код объекта (например, PR-0M1BVS), номер объекта, код действия или почта того, кто действовал."
    date_hierarchy = "created_at"  # along the index of the time
    list_select_related = ("actor",)
    fields = ("created_at", "actor", "action_name", "action", "object_type_name", "object_name", "data")
    readonly_fields = fields

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        """An object's records are found by its code too, as people know the object by it."""
        found, duplicates = super().get_search_results(request, queryset, search_term)
        objects = coded_objects(search_term.strip())
        if objects:
            by_code = Q()
            for model, pk in objects:
                by_code |= Q(object_type=model._meta.label_lower, object_id=str(pk))
            found = found | queryset.filter(by_code)
        return found, duplicates

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return AuditChangeList

    @admin.display(description="действие", ordering="action")
    def action_name(self, event: AuditEvent) -> str:
        return action_label(event.action)

    @admin.display(description="тип объекта", ordering="object_type")
    def object_type_name(self, event: AuditEvent) -> str:
        model = _model_of(event.object_type)
        return str(model._meta.verbose_name).capitalize() if model is not None else event.object_type

    @admin.display(description="объект")
    def object_name(self, event: AuditEvent) -> str:
        described = getattr(event, "described", None)
        if not hasattr(event, "described"):  # the change page: one event, one query
            described = describe_objects([event]).get((event.object_type, event.object_id))
        if described is None:
            return f"№ {event.object_id}"
        name, url = described
        return format_html('<a href="{}">{}</a>', url, name) if url else name
