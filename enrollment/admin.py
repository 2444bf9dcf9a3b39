from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from core.admin import ReadOnlyAdmin
from core.admin_site import ModelAdmin
from enrollment import campaigns
from enrollment.models import (
    AdmissionWatch,
    Application,
    ApplicationEvent,
    Attendance,
    Campaign,
    CampaignChoice,
    EnrollmentOrder,
    Holiday,
    Lesson,
    SavedProgram,
    SearchAlert,
    SearchAlertProgram,
)


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
    list_filter = ("status", "municipality")
    search_fields = ("=code", "child__last_name", "program__title", "=program__code")
    list_select_related = ("child", "program", "group__program")
    raw_id_fields = ("child", "applicant", "program", "group")
    inlines = [ApplicationEventInline]


@admin.register(ApplicationEvent)
class ApplicationEventAdmin(ReadOnlyAdmin):
    list_display = ("application", "created_at", "actor", "from_status", "to_status")
    list_filter = ("to_status",)
    list_select_related = ("application__child", "application__program", "actor")
    search_fields = ("=application__code",)


class CampaignChoiceInline(admin.TabularInline):  # type: ignore[type-arg]
    model = CampaignChoice
    extra = 0
    can_delete = False
    fields = ("child", "rank", "group", "outcome")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Campaign)
class CampaignAdmin(ModelAdmin):
    """Campaigns are planned here as on the office's pages, through enrollment.campaigns (its rules:
    no change of the kind once open, no fewer choices than families made, no past dates, programs of
    the municipality, published, in one campaign at a time; audited); a campaign stays in its
    municipality. The allocation runs with `manage.py allocate_campaign CODE`."""

    list_display = ("code", "name", "municipality", "kind", "opens_at", "closes_at", "status", "progress")
    list_filter = ("kind", "status", "municipality")
    search_fields = ("=code", "name")
    autocomplete_fields = ("programs",)  # found by title or code: a region lists 100 000 of them
    readonly_fields = ("code", "status", "lottery_seed", "progress", "allocated_at", "summary", "cancel_reason")
    inlines = [CampaignChoiceInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Campaign | None = None) -> Any:
        return (*self.readonly_fields, "municipality") if obj is not None and obj.pk else self.readonly_fields

    def save_model(self, request: HttpRequest, obj: Campaign, form: Any, change: bool) -> None:
        """A rule broken is the action's ValidationError, shown on the form (core.admin_site)."""
        # A change passes what was changed: a time the page shows without its fractions of a second
        # is the campaign's own, not a new time in the past.
        plan = {
            name: form.cleaned_data[name]
            for name in campaigns.PLAN_FIELDS
            if name in form.cleaned_data and (not change or name in form.changed_data)
        }
        programs = form.cleaned_data.get("programs")
        if change:
            campaigns.update_campaign(request.user, obj, programs=programs, **plan)
        else:
            created = campaigns.plan_campaign(request.user, obj.municipality, programs=programs or (), **plan)
            obj.pk, obj.code = created.pk, created.code
            obj._state.adding = False

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Nothing left: the action has set the programs, and families' choices are read-only."""

    def construct_change_message(self, request: HttpRequest, form: Any, formsets: Any, add: bool = False) -> Any:
        return super().construct_change_message(request, form, (), add)  # the choices' rows saved nothing


@admin.register(CampaignChoice)
class CampaignChoiceAdmin(ReadOnlyAdmin):
    list_display = ("campaign", "child", "rank", "group", "outcome")
    list_select_related = ("campaign", "child", "group__program")
    search_fields = ("=campaign__code", "child__last_name")


@admin.register(Holiday)
class HolidayAdmin(ModelAdmin):
    list_display = ("date", "name", "region")
    list_filter = ("region",)
    date_hierarchy = "date"


@admin.register(Lesson)
class LessonAdmin(ModelAdmin):
    list_display = ("group", "date", "starts_at", "ends_at", "is_cancelled")
    list_filter = ("is_cancelled",)
    list_select_related = ("group__program",)
    search_fields = ("=group__code", "group__name")
    raw_id_fields = ("group",)


@admin.register(Attendance)
class AttendanceAdmin(ReadOnlyAdmin):
    list_display = ("lesson", "application", "present", "marked_by", "marked_at")
    # A lesson is named by its group and program, an enrollment by its child and program.
    list_select_related = ("lesson__group__program", "application__child", "application__program", "marked_by")


@admin.register(EnrollmentOrder)
class EnrollmentOrderAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "organization", "group", "date", "created_by")
    list_filter = ("year",)
    list_select_related = ("organization", "group__program", "created_by")
    search_fields = ("=code", "organization__short_name")


@admin.register(SavedProgram)
class SavedProgramAdmin(ReadOnlyAdmin):
    """Families keep and remove them themselves (enrollment.shortlist): the admin looks which programs are kept."""

    list_display = ("program", "user", "created_at")
    list_filter = ("program__municipality",)
    list_select_related = ("program", "user")
    search_fields = ("=program__code", "program__title", "=user__email")
    raw_id_fields = ("user", "program")


@admin.register(AdmissionWatch)
class AdmissionWatchAdmin(ReadOnlyAdmin):
    """Watches are left and stopped by the families (enrollment.watches), notified by
    `manage.py notify_admission_open`: the admin looks who waits for what."""

    list_display = ("program", "user", "created_at", "notified_at")
    list_filter = (("notified_at", admin.EmptyFieldListFilter), "program__municipality")
    list_select_related = ("program", "user")
    search_fields = ("=program__code", "program__title", "=user__email")
    raw_id_fields = ("user", "program")


@admin.register(SearchAlert)
class SearchAlertAdmin(ReadOnlyAdmin):
    """Families subscribe and unsubscribe themselves (enrollment.search_alerts), `manage.py notify_search_alerts`
    writes the letters: the admin looks who follows which search."""

    list_display = ("query", "user", "created_at", "checked_at")
    list_select_related = ("user",)
    search_fields = ("query", "=user__email")
    raw_id_fields = ("user",)


@admin.register(SearchAlertProgram)
class SearchAlertProgramAdmin(ReadOnlyAdmin):
    """Which programs a subscription's letters told of (each once)."""

    list_display = ("program", "alert", "told_at")
    list_select_related = ("program", "alert__user")
    search_fields = ("=program__code", "program__title", "=alert__user__email")
    raw_id_fields = ("alert", "program")
