"""Users (who sign in by e-mail), their roles and API tokens in the admin."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.options import InlineModelAdmin
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group as PermissionGroup
from django.http import HttpRequest

from accounts.models import ORGANIZATION_ROLES, REGION_ROLES, ApiToken, Consent, Role, RoleAssignment, User
from core.admin import ReadOnlyAdmin
from core.admin_search import IndexedSearchMixin
from core.admin_site import ModelAdmin

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


@admin.register(User)
class UserAdmin(IndexedSearchMixin, DjangoUserAdmin):  # type: ignore[type-arg]
    form = UserChangeForm
    add_form = UserCreationForm
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Личные данные", {"fields": ("last_name", "first_name", "patronymic", "phone")}),
        ("Доступ", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Даты", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "usable_password", "password1", "password2")}),)
    list_display = ("email", "last_name", "first_name", "is_staff", "is_active")
    list_filter = ("is_staff", "is_superuser", "is_active", "roles__role")
    search_fields = ("email", "last_name", "first_name")
    ordering = ("email",)
    show_full_result_count = False

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
    """Tokens are issued by their owners (Кабинет → Токены API); here they are only seen and revoked."""

    list_display = ("name", "user", "prefix", "created_at", "last_used_at")
    search_fields = ("name", "=prefix", "user__email")
    list_select_related = ("user",)
    fields = ("user", "name", "prefix", "digest", "created_at", "last_used_at")
    deletable = True


@admin.register(Consent)
class ConsentAdmin(ReadOnlyAdmin):
    """Evidence of consent: given by the person when registering, never edited."""

    list_display = ("user", "text_version", "accepted_at", "ip_address")
    list_filter = ("text_version",)
    search_fields = ("user__email",)
    list_select_related = ("user",)
