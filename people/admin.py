from django.contrib import admin

from people.models import Child, Guardian, Teacher

NAME_SEARCH = ("last_name", "first_name", "patronymic")


@admin.register(Teacher)
class TeacherAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("last_name", "first_name", "patronymic", "organization", "position", "user")
    search_fields = (*NAME_SEARCH, "organization__short_name")
    list_select_related = ("organization", "user")
    autocomplete_fields = ("organization", "user")
    show_full_result_count = False


@admin.register(Guardian)
class GuardianAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("last_name", "first_name", "patronymic", "user", "phone", "municipality")
    search_fields = (*NAME_SEARCH, "user__email", "phone")
    list_select_related = ("user", "municipality")
    autocomplete_fields = ("user", "municipality")
    show_full_result_count = False


@admin.register(Child)
class ChildAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("last_name", "first_name", "patronymic", "birth_date", "municipality", "has_ovz", "has_disability")
    list_filter = ("sex", "has_ovz", "has_disability")
    search_fields = NAME_SEARCH
    list_select_related = ("municipality",)
    autocomplete_fields = ("municipality", "guardians")
    show_full_result_count = False
