from django.contrib import admin

from core.admin import ReadOnlyAdmin
from core.admin_site import ModelAdmin
from people.models import Child, ChildMerge, Guardian, MatchCandidate, Teacher

NAME_SEARCH = ("last_name", "first_name", "patronymic")


@admin.register(Teacher)
class TeacherAdmin(ModelAdmin):
    list_display = ("last_name", "first_name", "patronymic", "organization", "position", "user")
    search_fields = (*NAME_SEARCH, "organization__short_name")
    list_select_related = ("organization", "user")
    autocomplete_fields = ("organization", "user")
    show_full_result_count = False


@admin.register(Guardian)
class GuardianAdmin(ModelAdmin):
    list_display = ("last_name", "first_name", "patronymic", "user", "phone", "municipality")
    search_fields = (*NAME_SEARCH, "user__email", "phone")
    list_select_related = ("user", "municipality")
    autocomplete_fields = ("user", "municipality")
    show_full_result_count = False


@admin.register(Child)
class ChildAdmin(ModelAdmin):
    list_display = ("last_name", "first_name", "patronymic", "birth_date", "municipality", "has_ovz", "has_disability")
    list_filter = ("sex", "has_ovz", "has_disability")
    search_fields = NAME_SEARCH
    list_select_related = ("municipality",)
    autocomplete_fields = ("municipality", "guardians")
    show_full_result_count = False
    # Identifiers are never shown here: only the registry's audited reading decrypts them.
    exclude = ("snils_cipher", "birth_certificate_cipher")

    def get_queryset(self, request):  # type: ignore[no-untyped-def]
        return super().get_queryset(request).filter(merged_into__isnull=True)


@admin.register(MatchCandidate)
class MatchCandidateAdmin(ReadOnlyAdmin):
    """Decisions go through the review queue (people.registry.decide), which merges for real."""

    list_display = ("first", "second", "probability", "status", "created_at", "decided_by")
    list_filter = ("status",)
    list_select_related = ("first", "second", "decided_by")
    raw_id_fields = ("first", "second")


@admin.register(ChildMerge)
class ChildMergeAdmin(ReadOnlyAdmin):
    """Merges and their undoing go through people.registry, which moves everything back and forth."""

    list_display = ("survivor", "absorbed", "automatic", "probability", "created_at", "undone_at")
    list_filter = ("automatic",)
    list_select_related = ("survivor", "absorbed")
    raw_id_fields = ("survivor", "absorbed")
