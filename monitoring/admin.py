from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from core.admin_site import ModelAdmin
from monitoring.models import CareerLessonVisit, ImportBatch, Target


@admin.register(Target)
class TargetAdmin(ModelAdmin):
    list_display = ("indicator", "region", "municipality", "year", "percent", "source")
    list_filter = ("indicator", "year", "region")
    list_select_related = ("region", "municipality")
    autocomplete_fields = ("region", "municipality")
    readonly_fields = ("updated_by",)


@admin.register(CareerLessonVisit)
class CareerLessonVisitAdmin(ModelAdmin):
    list_display = ("held_on", "title", "child", "organization")
    list_filter = ("held_on",)
    search_fields = ("title", "child__last_name")
    list_select_related = ("child", "organization")
    raw_id_fields = ("child", "organization")
    show_full_result_count = False


@admin.register(ImportBatch)
class ImportBatchAdmin(ModelAdmin):
    """Read-only: a batch changes only through monitoring.imports (the pages or `apply_import`)."""

    list_display = ("code", "file_name", "organization", "status", "rows_total", "rows_valid", "progress", "created_at")
    list_filter = ("status",)
    search_fields = ("=code", "file_name", "organization__short_name")
    list_select_related = ("organization",)
    exclude = ("content",)
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[ImportBatch]:
        return super().get_queryset(request).defer("content")  # up to 10 МБ a row

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ImportBatch | None = None) -> bool:
        return False
