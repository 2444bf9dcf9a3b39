from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from catalog.models import Group
from core.admin import ReadOnlyAdmin
from core.admin_site import ModelAdmin
from people.models import Child, ChildMerge, Guardian, MatchCandidate, Teacher

NAME_SEARCH = ("last_name", "first_name", "patronymic")
READ_ONLY_CHILD = (
    "Карточка ребёнка здесь только для просмотра: детей вносят в реестр и исправляют их данные семьи "
    "и опорный центр на страницах реестра (Кабинет → Реестр детей), с проверкой и записью в журнал."
)
NAMED_AT_MOST = 10  # groups and programs named in a refusal; the rest are counted


def _listed(names: list[str]) -> str:
    shown = ", ".join(f"«{name}»" for name in names[:NAMED_AT_MOST])
    return shown + (f" и ещё {len(names) - NAMED_AT_MOST}" if len(names) > NAMED_AT_MOST else "")


class TeacherForm(forms.ModelForm):  # type: ignore[type-arg]
    """A teacher who leads groups or teaches in programs of the organization stays with it: the
    groups and programs would be led by someone of another organization (catalog.services refuses
    such a teacher when a group or a program is saved)."""

    def clean(self) -> dict[str, Any]:
        super().clean()
        teacher, organization = self.instance, self.cleaned_data.get("organization")
        if teacher.pk is None or organization is None or organization.pk == teacher.organization_id:
            return self.cleaned_data
        groups = Group.objects.filter(teacher=teacher, program__organization_id=teacher.organization_id)
        group_names = [f"{name} ({code})" for name, code in groups.order_by("name").values_list("name", "code")]
        programs = teacher.programs.filter(organization_id=teacher.organization_id)
        program_names = [f"{title} ({code})" for title, code in programs.order_by("title").values_list("title", "code")]
        if group_names or program_names:
            where = []
            if group_names:
                where.append(f"ведёт группы {_listed(group_names)}")
            if program_names:
                where.append(f"указан в программах {_listed(program_names)}")
            self.add_error(
                "organization",
                f"Педагог {'; '.join(where)} своей организации. Сначала назначьте им другого педагога.",
            )
        return self.cleaned_data


@admin.register(Teacher)
class TeacherAdmin(ModelAdmin):
    form = TeacherForm
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
class ChildAdmin(ReadOnlyAdmin):
    """Read-only: a child enters the registry through people.registry (matched against the records
    already there, audited) and is corrected by the family or the registry's pages
    (people.services.update_child checks the birth date), never around them."""

    list_display = ("last_name", "first_name", "patronymic", "birth_date", "municipality", "has_ovz", "has_disability")
    list_filter = ("sex", "has_ovz", "has_disability")
    search_fields = NAME_SEARCH
    list_select_related = ("municipality",)
    autocomplete_fields = ("municipality", "guardians")
    show_full_result_count = False
    # Identifiers are never shown here: only the registry's audited reading decrypts them.
    exclude = ("snils_cipher", "birth_certificate_cipher")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Child]:
        return super().get_queryset(request).filter(merged_into__isnull=True)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        if request.method == "GET":
            self.message_user(request, READ_ONLY_CHILD, messages.INFO)
        return super().change_view(request, object_id, form_url, extra_context)


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
