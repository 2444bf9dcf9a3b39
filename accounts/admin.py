"""Users (who sign in by e-mail), their roles and API tokens in the admin."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import InlineModelAdmin
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group as PermissionGroup
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts import services
from accounts.models import ORGANIZATION_ROLES, REGION_ROLES, ApiToken, Consent, Role, RoleAssignment, User
from core import audit
from core.admin import ReadOnlyAdmin
from core.admin_search import IndexedSearchMixin
from core.admin_site import FIELD_LABELS, AuditedAdminMixin, ModelAdmin

SCOPE_FIELDS = ("organization", "municipality", "region")

# Who may do what comes from role assignments, not Django's permission groups: listed, they would be
# a second, unused «Группы» next to the study groups.
admin.site.unregister(PermissionGroup)


def scope_field_of(role: str) -> str | None:
    """The one scope a role carries (the rule of the role_scope_matches_role constraint)."""
    if role in ORGANIZATION_ROLES:
        return "organization"
    if role == Role.MUNICIPAL_OPERATOR:
        return "municipality"
    if role in REGION_ROLES:
        return "region"
    return None


class RoleAssignmentForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = RoleAssignment
        fields = ("user", "role", *SCOPE_FIELDS)
        labels = {name: FIELD_LABELS[name].capitalize() for name in ("user", *SCOPE_FIELDS)}

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        role = data.get("role")
        if role is None:
            return data
        needed, label = scope_field_of(role), Role(role).label
        for name in SCOPE_FIELDS:
            if name == needed and not data.get(name):
                self.add_error(name, f"Для роли «{label}» укажите, где она действует.")
            elif name != needed and data.get(name):
                self.add_error(name, f"Для роли «{label}» это поле не заполняется.")
        return data


class RoleInline(admin.TabularInline):  # type: ignore[type-arg]
    model = RoleAssignment
    form = RoleAssignmentForm
    fields = ("role", *SCOPE_FIELDS)
    autocomplete_fields = SCOPE_FIELDS
    extra = 0


class UserCreationForm(auth_forms.AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)

    def clean_email(self) -> str:
        email: str = self.cleaned_data["email"].lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("Пользователь с такой почтой уже есть.")
        return email


class UserChangeForm(auth_forms.UserChangeForm):  # type: ignore[type-arg]
    class Meta:
        model = User
        fields = "__all__"

    def clean_email(self) -> str:
        """Signing in lower-cases the address: one written otherwise could never sign in, and a
        second account differing only in case would be the same person's (as the add form checks)."""
        email: str = self.cleaned_data["email"].lower()
        if User.objects.filter(email__iexact=email).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("Пользователь с такой почтой уже есть.")
        return email


def _set_active(request: HttpRequest, queryset: QuerySet[User], active: bool) -> int:
    """Switch the chosen accounts on or off, each switch in the audit log; the administrator's own
    account is never switched off here (nobody would be left to switch it on)."""
    with transaction.atomic():
        users = list(queryset.select_for_update().exclude(is_active=active).order_by("pk"))
        if not active:
            users = [user for user in users if user.pk != request.user.pk]
        User.objects.filter(pk__in=[user.pk for user in users]).update(is_active=active)
        audit.record_many(
            (request.user, "user.activated" if active else "user.deactivated", user, {}) for user in users
        )
    return len(users)


@admin.action(description="Включить выбранные учётные записи")
def activate_users(modeladmin: admin.ModelAdmin[User], request: HttpRequest, queryset: QuerySet[User]) -> None:
    done = _set_active(request, queryset, True)
    modeladmin.message_user(request, f"Включено учётных записей: {done}.", messages.SUCCESS)


@admin.action(description="Отключить выбранные учётные записи (вход станет невозможен)")
def deactivate_users(modeladmin: admin.ModelAdmin[User], request: HttpRequest, queryset: QuerySet[User]) -> None:
    if any(user.pk == request.user.pk for user in queryset.only("pk")):
        modeladmin.message_user(
            request, "Свою учётную запись отключить нельзя: она оставлена как есть.", messages.WARNING
        )
    done = _set_active(request, queryset, False)
    modeladmin.message_user(request, f"Отключено учётных записей: {done}.", messages.SUCCESS)


@admin.register(User)
class UserAdmin(AuditedAdminMixin, IndexedSearchMixin, DjangoUserAdmin):  # type: ignore[type-arg]
    form = UserChangeForm
    add_form = UserCreationForm
    # Who may do what comes from the roles below, not from Django's groups and permissions: those
    # fields would grant nothing here.
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Личные данные", {"fields": ("last_name", "first_name", "patronymic", "phone")}),
        ("Доступ", {"fields": ("is_active", "is_staff", "is_superuser")}),
        ("Даты", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "usable_password", "password1", "password2")}),)
    list_display = ("email", "last_name", "first_name", "is_staff", "is_active")
    list_filter = ("is_staff", "is_superuser", "is_active", "roles__role")
    search_fields = ("email", "last_name", "first_name")
    ordering = ("email",)
    show_full_result_count = False
    filter_horizontal = ()
    actions = [activate_users, deactivate_users]

    def get_inlines(self, request: HttpRequest, obj: Any | None) -> list[type[InlineModelAdmin[Any, Any]]]:
        return [RoleInline] if obj is not None else []


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(ModelAdmin):
    form = RoleAssignmentForm
    list_display = ("user", "role", *SCOPE_FIELDS, "created_at")
    list_filter = ("role",)
    search_fields = ("user__email", "user__last_name", "organization__short_name", "municipality__name", "region__name")
    list_select_related = ("user", *SCOPE_FIELDS)
    autocomplete_fields = ("user", *SCOPE_FIELDS)


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    """Tokens are issued by their owners (Кабинет → Токены API); here they are only seen and revoked,
    by accounts.services.revoke_api_token as in the office (audited as `api_token.revoked`)."""

    list_display = ("name", "user", "prefix", "created_at", "last_used_at")
    field_labels = {"created_at": "выпущен", "last_used_at": "использован последний раз"}
    search_fields = ("name", "=prefix", "user__email")
    list_select_related = ("user",)
    fields = ("owner", "name", "prefix", "issued", "last_used")
    readonly_fields = fields
    deletable = True
    deletion_audited = True

    @admin.display(description="пользователь")
    def owner(self, token: ApiToken) -> User:
        return token.user

    @admin.display(description="выпущен")
    def issued(self, token: ApiToken) -> Any:
        return token.created_at

    @admin.display(description="использован последний раз")
    def last_used(self, token: ApiToken) -> Any:
        return token.last_used_at

    def delete_model(self, request: HttpRequest, obj: ApiToken) -> None:
        services.revoke_api_token(request.user, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        for token in queryset.select_related("user"):
            services.revoke_api_token(request.user, token)


@admin.register(Consent)
class ConsentAdmin(ReadOnlyAdmin):
    """Evidence of consent: given by the person when registering, never edited."""

    list_display = ("user", "text_version", "accepted_at", "ip_address")
    list_filter = ("text_version",)
    search_fields = ("user__email",)
    list_select_related = ("user",)
