"""The catalog in the admin. Programs and groups are saved through catalog.services, like everywhere
else, so the search document, the denormalized weekdays and seats and the audit log stay right."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet
from django.forms import BaseFormSet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from catalog import archiving, register, revisions, search, services
from catalog.forms import (
    PROGRAM_SECTIONS,
    FinancingForm,
    FinancingFormSet,
    GroupRulesForm,
    ProgramRulesForm,
    SlotForm,
    TimetableFormSet,
    financing_from,
    schedule_from,
)
from catalog.models import (
    NOT_YET_PUBLISHED,
    FundingSource,
    Group,
    GroupFinancing,
    ModerationStatus,
    Organization,
    OrganizationUnit,
    OvzCategory,
    Program,
    ProgramRegister,
    ProgramRevision,
    ScheduleSlot,
    SearchPosting,
    SearchTerm,
    StudyPlace,
)
from core.admin import ReadOnlyAdmin
from core.admin_site import ModelAdmin, note_changes

SYSTEM_FIELDS = ("code", "uuid", "created_at", "updated_at")


class OptionalFieldsMixin:
    """Fields the admin may leave empty because catalog.services fills them in."""

    optional_fields: dict[str, str] = {}

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change, **kwargs)  # type: ignore[misc]
        for name, help_text in self.optional_fields.items():
            if name not in form.base_fields:
                continue  # read-only on this page
            form.base_fields[name].required = False
            form.base_fields[name].help_text = help_text
        return form


class LockedMixin:
    """What the actions refuse to change now (services.editing_locked: a program on moderation or in
    the archive, an archived program's group) opens read-only here too, saying why and what the
    organization may do."""

    def locked_reason(self, obj: Any) -> str:
        raise NotImplementedError

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and self.locked_reason(obj):
            return False
        return super().has_change_permission(request, obj)  # type: ignore[misc]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        if request.method == "GET":
            obj = self.get_object(request, object_id)  # type: ignore[attr-defined]
            reason = self.locked_reason(obj) if obj is not None else ""
            if reason:
                self.message_user(request, reason, messages.WARNING)  # type: ignore[attr-defined]
        return super().change_view(request, object_id, form_url, extra_context)  # type: ignore[misc]


class UnitInline(admin.TabularInline):  # type: ignore[type-arg]
    model = OrganizationUnit
    fields = ("kind", "name", "address")
    extra = 0


class StudyPlaceInline(admin.TabularInline):  # type: ignore[type-arg]
    model = StudyPlace
    fields = ("name", "address", "latitude", "longitude")
    extra = 0


@admin.register(Organization)
class OrganizationAdmin(ModelAdmin):
    list_display = ("short_name", "code", "inn", "kind", "municipality", "is_active")
    list_filter = ("is_active", "kind", "department", "municipality__region")
    search_fields = ("short_name", "full_name", "=inn", "=ogrn", "=code")
    list_select_related = ("municipality",)
    autocomplete_fields = ("municipality",)
    readonly_fields = SYSTEM_FIELDS
    inlines = (UnitInline, StudyPlaceInline)
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    show_full_result_count = False

    def get_readonly_fields(self, request: HttpRequest, obj: Organization | None = None) -> Any:
        # Closing an organization archives its programs, refused while children are in it: the register's step
        # (catalog.register), not a checkbox here.
        return self.readonly_fields if obj is None or obj.pk is None else (*self.readonly_fields, "is_active")

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        # Its programs' search documents say its short name and its units; the index, where it is.
        units_changed = any(formset.model is OrganizationUnit and formset.has_changed() for formset in formsets)
        if change:
            register.reindex(form.instance, [*form.changed_data, *(["units"] if units_changed else [])])

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not StudyPlace:
            super().save_formset(request, form, formset, change)
            return
        # The office's and the API's rules and audit (see StudyPlaceAdmin).
        for place in formset.save(commit=False):
            services.save_study_place(request.user, place)
        for place in formset.deleted_objects:
            services.remove_study_place(request.user, place)


@admin.register(StudyPlace)
class StudyPlaceAdmin(ModelAdmin):
    list_display = ("address", "name", "organization", "latitude", "longitude")
    list_filter = ("organization__municipality__region",)
    search_fields = ("address", "name", "organization__short_name", "=organization__code")
    list_select_related = ("organization",)
    autocomplete_fields = ("organization",)
    readonly_fields = ("updated_at",)
    show_full_result_count = False
    deletion_audited = True

    # The office's and the API's rules and audit; each change renews the search index («Рядом со мной»).

    def save_model(self, request: HttpRequest, obj: StudyPlace, form: Any, change: bool) -> None:
        services.save_study_place(request.user, obj)

    def delete_model(self, request: HttpRequest, obj: StudyPlace) -> None:
        services.remove_study_place(request.user, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[StudyPlace]) -> None:
        for place in queryset.select_related("organization"):
            services.remove_study_place(request.user, place)


@admin.register(OrganizationUnit)
class OrganizationUnitAdmin(ModelAdmin):
    list_display = ("name", "kind", "organization")
    list_filter = ("kind",)
    search_fields = ("name", "organization__short_name")
    list_select_related = ("organization",)
    autocomplete_fields = ("organization",)
    show_full_result_count = False

    # A unit's name and kind are in its programs' search documents («кванториум» finds them).

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        if change and form.has_changed():
            moved_from = form.initial.get("organization")
            for organization in {form.instance.organization_id, moved_from} - {None}:
                search.refresh_organization_documents(organization)

    def delete_model(self, request: HttpRequest, obj: OrganizationUnit) -> None:
        super().delete_model(request, obj)
        search.refresh_organization_documents(obj.organization_id)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[OrganizationUnit]) -> None:
        organizations = set(queryset.values_list("organization_id", flat=True))
        super().delete_queryset(request, queryset)
        for organization in organizations:
            search.refresh_organization_documents(organization)


class DictionaryAdmin(ModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")


admin.site.register([OvzCategory, ProgramRegister], DictionaryAdmin)


def _transition_action(
    transition: str,
) -> Callable[[admin.ModelAdmin[Program], HttpRequest, QuerySet[Program]], TemplateResponse | None]:
    label = services.TRANSITION_LABELS[transition]
    name = f"program_{transition}"

    @admin.action(description=f"{label} (выбранные программы)")
    def act(
        modeladmin: admin.ModelAdmin[Program], request: HttpRequest, queryset: QuerySet[Program]
    ) -> TemplateResponse | None:
        if transition == "archive" and request.POST.get("post") != "yes":
            return _archive_confirmation(modeladmin, request, queryset, name)
        done = 0
        for program in queryset.select_related("organization"):
            try:
                services.change_program_status(request.user, program, transition)
            except ValidationError as error:
                modeladmin.message_user(request, f"{program.code}: {' '.join(error.messages)}", messages.ERROR)
            else:
                done += 1
        modeladmin.message_user(request, f"{label}: выполнено для {done}.", messages.SUCCESS)
        return None

    act.__name__ = name
    return act


def _archive_confirmation(
    modeladmin: admin.ModelAdmin[Program], request: HttpRequest, queryset: QuerySet[Program], action: str
) -> TemplateResponse:
    """Archiving a selection is asked again, with what it means for each program's groups, enrolled
    children and waiting applications (as the office asks for one program)."""
    programs = list(queryset.select_related("organization").order_by("title"))
    found = archiving.consequences([program.pk for program in programs])
    totals = {
        field: sum(getattr(found[program.pk], field) for program in programs)
        for field in ("groups_total", "groups_active", "enrolled", "waiting")
    }
    return TemplateResponse(
        request,
        "admin/catalog/program/archive_selected_confirmation.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": "Перенести программы в архив?",
            "opts": modeladmin.model._meta,
            "media": modeladmin.media,
            "rows": [(program, found[program.pk]) for program in programs],
            "totals": totals,
            "action": action,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        },
    )


@admin.register(Program)
class ProgramAdmin(LockedMixin, OptionalFieldsMixin, ModelAdmin):
    form = ProgramRulesForm
    fieldsets = [
        (legend, {"fields": names})
        for legend, names in (
            *PROGRAM_SECTIONS,
            ("Модерация", ("municipality", "status", "moderation_remark", "submitted_at", "published_at")),
            (
                "Служебное",
                (*SYSTEM_FIELDS, *services.GROUP_FACTS, "popularity"),
            ),
        )
    ]
    optional_fields = {"municipality": "Если не указан, берётся муниципалитет организации."}
    readonly_fields = (
        *SYSTEM_FIELDS,
        "status",
        "moderation_remark",
        "submitted_at",
        "published_at",
        *services.GROUP_FACTS,
        "popularity",
    )
    list_display = ("title", "code", "organization", "municipality", "direction", "status", "open_seats", "updated_at")
    list_filter = (
        "status",
        "municipality",
        "direction",
        "program_type",
        "study_form",
        "ovz_adapted",
        "is_free",
        "by_certificate",
        "is_paid",
    )
    search_fields = ("=code", "title", "organization__short_name")
    list_select_related = ("organization", "municipality")
    autocomplete_fields = ("organization", "municipality", "unit", "teachers")
    filter_horizontal = ("ovz_categories", "registers")
    ordering = ("-updated_at",)
    show_full_result_count = False
    actions = [_transition_action(name) for name in ("submit", "approve", "archive", "restore")]

    # A group's or a campaign's program is named with its organization: a region has many «Робототехника».
    autocomplete_related = ("organization",)

    def autocomplete_label(self, program: Program) -> str:
        return f"{program.title} — {program.organization.short_name} ({program.code})"

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Programs are archived, not deleted: families' applications and the history refer to them."""
        return False

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Program | None:
        """A published program with changes is edited as its organization edits it: with its pending
        values (services.save_program sends them to moderation again)."""
        program = super().get_object(request, object_id, from_field)
        if program is not None:
            revisions.editing_copy(program)
        return program

    def locked_reason(self, obj: Program) -> str:
        return services.editing_locked(obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Program | None = None) -> Any:
        if obj is None or obj.pk is None:
            return self.readonly_fields
        # A program stays with its organization: its groups, teachers, applications and contracts
        # are the organization's.
        fields = (*self.readonly_fields, "organization")
        # Pending many-to-many changes cannot be shown in the form: they stay as the organization wrote them.
        if obj.pending_revision is not None:
            return (*fields, *revisions.MODERATED_RELATIONS)
        return fields

    def save_model(self, request: HttpRequest, obj: Program, form: Any, change: bool) -> None:
        services.save_program(
            request.user,
            obj,
            ovz_categories=form.cleaned_data.get("ovz_categories"),
            registers=form.cleaned_data.get("registers"),
            teachers=form.cleaned_data["teachers"],
        )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Nothing left: save_program has set the relations, and a program has no inlines."""


KEPT_IN_ARCHIVE = "хранятся с программой в архиве"
KEPT_IN_ARCHIVE_NOTE = (
    "Программа в архиве: её изменения хранятся такими, какими были при переносе в архив, модератор их "
    "не проверяет. Они войдут в программу, когда организация вернёт её в черновики."
)


class RevisionStateFilter(admin.SimpleListFilter):
    """A revision's status means what it says only while its program is published: an archived
    program keeps its revision as it was, «на модерации» too, waiting for nobody (catalog.revisions)."""

    title = "состояние"
    parameter_name = "state"
    ARCHIVED = "archived"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [*((status.value, status.label) for status in NOT_YET_PUBLISHED), (self.ARCHIVED, KEPT_IN_ARCHIVE)]

    def queryset(self, request: HttpRequest, queryset: QuerySet[ProgramRevision]) -> QuerySet[ProgramRevision]:
        if self.value() == self.ARCHIVED:
            return queryset.filter(program__status=ModerationStatus.ARCHIVED)
        if self.value():
            return queryset.filter(program__status=ModerationStatus.PUBLISHED, status=self.value())
        return queryset


@admin.register(ProgramRevision)
class ProgramRevisionAdmin(ReadOnlyAdmin):
    """Changes of published programs waiting for moderation, decided in the office, seen here; and
    those an archived program keeps, which nobody moderates."""

    list_display = ("program", "state", "submitted_at", "author")
    list_filter = (RevisionStateFilter,)
    search_fields = ("=program__code", "program__title")
    list_select_related = ("program", "author")

    @admin.display(description="состояние", ordering="status")
    def state(self, revision: ProgramRevision) -> str:
        return KEPT_IN_ARCHIVE if revision.program.is_archived else revision.changes_status()

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        revision = self.get_object(request, object_id)
        if revision is not None and revision.program.is_archived:
            self.message_user(request, KEPT_IN_ARCHIVE_NOTE, messages.WARNING)
        return super().change_view(request, object_id, form_url, extra_context)


class ScheduleInline(admin.TabularInline):  # type: ignore[type-arg]
    model = ScheduleSlot
    form = SlotForm
    formset = TimetableFormSet
    extra = 0


class FinancingInline(admin.TabularInline):  # type: ignore[type-arg]
    model = GroupFinancing
    form = FinancingForm
    formset = FinancingFormSet
    extra = 0
    max_num = len(FundingSource)


@admin.register(Group)
class GroupAdmin(LockedMixin, OptionalFieldsMixin, ModelAdmin):
    form = GroupRulesForm
    optional_fields = {"address": "Если не указан, берётся место реализации программы."}
    inlines = (ScheduleInline, FinancingInline)
    readonly_fields = (*SYSTEM_FIELDS, "seats_taken")
    list_display = ("name", "code", "program", "teacher", "start_date", "capacity", "seats_taken", "is_active")
    list_filter = ("is_active", "is_locked", "academic_year", "program__municipality")
    search_fields = ("=code", "name", "=program__code", "program__title")
    list_select_related = ("program", "teacher")
    autocomplete_fields = ("program", "teacher")
    # The model's order (by program, i.e. by its title) sorts the whole program table for each page of the list.
    ordering = ("-updated_at",)
    show_full_result_count = False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """A group stops with «действует» unticked; deleting would lose the seats and the history."""
        return False

    def locked_reason(self, obj: Group) -> str:
        return services.editing_locked(obj.program, groups=True)

    def get_readonly_fields(self, request: HttpRequest, obj: Group | None = None) -> Any:
        # A group stays in its program: its applications, enrolled children and contracts are the
        # program's organization's (a new group is made in the other program instead).
        return (*self.readonly_fields, "program") if obj is not None and obj.pk is not None else self.readonly_fields

    def save_model(self, request: HttpRequest, obj: Group, form: Any, change: bool) -> None:
        """The group is saved together with its timetable and financing, in save_related."""

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        by_model = {formset.model: formset for formset in formsets}
        services.save_group(
            request.user,
            form.instance,
            schedule=schedule_from(by_model[ScheduleSlot]),
            financing=financing_from(by_model[GroupFinancing]),
        )

    def construct_change_message(
        self, request: HttpRequest, form: Any, formsets: Iterable[BaseFormSet[Any]], add: bool = False
    ) -> list[dict[str, dict[str, list[str]]]]:
        # The inline formsets saved nothing (save_group replaced the rows): Django's message leaves
        # them out; the audit record names the ones changed.
        message = super().construct_change_message(request, form, (), add)
        note_changes(request, form, formsets)
        return message


@admin.register(ScheduleSlot)
class ScheduleSlotAdmin(ReadOnlyAdmin):
    """Read-only: the timetable is edited with its group, so the program's weekdays stay right."""

    list_display = ("group", "weekday", "starts_at", "ends_at", "room")
    list_filter = ("weekday",)
    search_fields = ("=group__code", "group__name")
    list_select_related = ("group__program",)
    ordering = ("-id",)  # the model's order (day, time) sorts every slot of the region for each page


@admin.register(GroupFinancing)
class GroupFinancingAdmin(ReadOnlyAdmin):
    """Read-only: financing is edited with its group, against the program's conditions."""

    list_display = ("group", "source", "cost_per_month")
    list_filter = ("source",)
    search_fields = ("=group__code", "group__name")
    list_select_related = ("group__program",)


@admin.register(SearchTerm)
class SearchTermAdmin(ModelAdmin):
    list_display = ("word", "stem", "frequency")
    field_labels = {"word": "слово", "stem": "основа", "frequency": "частота"}
    search_fields = ("^word",)
    ordering = ("-frequency",)
    show_full_result_count = False


@admin.register(SearchPosting)
class SearchPostingAdmin(ReadOnlyAdmin):
    """Kept by catalog.postings from the search documents; shown to check what a word finds."""

    list_display = ("lexeme", "program_count", "title_count")
    search_fields = ("^lexeme",)

    @admin.display(description="программ")
    def program_count(self, posting: SearchPosting) -> int:
        return int.from_bytes(posting.programs, "little").bit_count()

    @admin.display(description="в названии")
    def title_count(self, posting: SearchPosting) -> int:
        return int.from_bytes(posting.title_programs, "little").bit_count()
