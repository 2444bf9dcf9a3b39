from django.contrib import admin

from monitoring.models import CareerLessonVisit, Target


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("indicator", "region", "municipality", "year", "percent", "source")
    list_filter = ("indicator", "year", "region")
    list_select_related = ("region", "municipality")
    autocomplete_fields = ("region", "municipality")
    readonly_fields = ("updated_by",)


@admin.register(CareerLessonVisit)
class CareerLessonVisitAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("held_on", "title", "child", "organization")
    list_filter = ("held_on",)
    search_fields = ("title", "child__last_name")
    list_select_related = ("child", "organization")
    raw_id_fields = ("child", "organization")
    show_full_result_count = False
