from django.contrib import admin

from core.admin import ReadOnlyAdmin
from enrollment.models import Application, ApplicationEvent


class ApplicationEventInline(admin.TabularInline):  # type: ignore[type-arg]
    model = ApplicationEvent
    extra = 0
    can_delete = False
    fields = ("created_at", "actor", "from_status", "to_status", "group", "reason")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Application)
class ApplicationAdmin(ReadOnlyAdmin):
    """Statuses change only through enrollment.services, so that seats and the queue follow."""

    list_display = ("code", "child", "program", "group", "status", "deadline", "created_at")
    list_filter = ("status", "program__municipality")
    search_fields = ("code", "child__last_name", "program__title", "program__code")
    list_select_related = ("child", "program", "group")
    raw_id_fields = ("child", "applicant", "program", "group")
    inlines = [ApplicationEventInline]


@admin.register(ApplicationEvent)
class ApplicationEventAdmin(ReadOnlyAdmin):
    list_display = ("application", "created_at", "actor", "from_status", "to_status")
    list_filter = ("to_status",)
    list_select_related = ("application", "actor")
    search_fields = ("application__code",)
