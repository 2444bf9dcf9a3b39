"""Users sign in by e-mail; what they may do comes from their role assignments."""

import hashlib
import secrets
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models import Q


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra: Any) -> "User":
        if not email:
            raise ValueError("Нужен адрес электронной почты")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> "User":
        """Addresses are kept in small letters: «Mama@Mail.ru» signs in as the «mama@mail.ru» it registered."""
        return super().get_by_natural_key((username or "").strip().lower())


class User(AbstractUser):
    username = None  # type: ignore[assignment]
    email = models.EmailField("электронная почта", unique=True)
    patronymic = models.CharField("отчество", max_length=150, blank=True)
    phone = models.CharField("телефон", max_length=32, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects = UserManager()  # type: ignore[assignment,misc]

    class Meta:
        verbose_name = "пользователь"
        verbose_name_plural = "пользователи"

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        name = " ".join(p for p in (self.last_name, self.first_name, self.patronymic) if p)
        return name or self.email


class Role(models.TextChoices):
    GUARDIAN = "guardian", "Родитель (законный представитель)"
    TEACHER = "teacher", "Педагог"
    ORGANIZATION_OPERATOR = "org_operator", "Оператор организации"
    MUNICIPAL_OPERATOR = "municipal_operator", "Оператор МОЦ"
    REGIONAL_OPERATOR = "regional_operator", "Оператор РМЦ"
    METHODOLOGIST = "methodologist", "Методист"
    ADMINISTRATOR = "administrator", "Администратор"


ORGANIZATION_ROLES = (Role.TEACHER, Role.ORGANIZATION_OPERATOR)
REGION_ROLES = (Role.REGIONAL_OPERATOR, Role.METHODOLOGIST)


class RoleAssignment(models.Model):
    """One role of one user in one scope: an organization, a municipality or a region."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField("роль", max_length=32, choices=Role.choices)
    organization = models.ForeignKey(
        "catalog.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    municipality = models.ForeignKey(
        "territory.Municipality", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    region = models.ForeignKey("territory.Region", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "роль пользователя"
        verbose_name_plural = "роли пользователей"
        constraints = [
            # Each role carries exactly the scope it needs, and nothing else.
            models.CheckConstraint(
                name="role_scope_matches_role",
                condition=(
                    Q(
                        role__in=[r.value for r in ORGANIZATION_ROLES],
                        organization__isnull=False,
                        municipality__isnull=True,
                        region__isnull=True,
                    )
                    | Q(
                        role=Role.MUNICIPAL_OPERATOR,
                        organization__isnull=True,
                        municipality__isnull=False,
                        region__isnull=True,
                    )
                    | Q(
                        role__in=[r.value for r in REGION_ROLES],
                        organization__isnull=True,
                        municipality__isnull=True,
                        region__isnull=False,
                    )
                    | Q(
                        role__in=[Role.GUARDIAN, Role.ADMINISTRATOR],
                        organization__isnull=True,
                        municipality__isnull=True,
                        region__isnull=True,
                    )
                ),
            ),
            # One assignment per user, role and scope (partial indexes: SQLite lacks NULLS NOT DISTINCT).
            models.UniqueConstraint(
                fields=["user", "role", "organization"],
                condition=Q(organization__isnull=False),
                name="role_unique_in_organization",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "municipality"],
                condition=Q(municipality__isnull=False),
                name="role_unique_in_municipality",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "region"], condition=Q(region__isnull=False), name="role_unique_in_region"
            ),
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=Q(organization__isnull=True, municipality__isnull=True, region__isnull=True),
                name="role_unique_unscoped",
            ),
        ]

    def __str__(self) -> str:
        scope = self.organization or self.municipality or self.region or ""
        return f"{self.user}: {self.get_role_display()} {scope}".strip()


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token for the API. Only its digest is stored; the raw value is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField("назначение", max_length=100)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField("начало токена", max_length=8, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "токен API"
        verbose_name_plural = "токены API"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def issue(cls, user: User, name: str) -> tuple["ApiToken", str]:
        raw = "opora_" + secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, name=name, digest=hash_token(raw), prefix=raw[6:14])
        return token, raw


class Consent(models.Model):
    """A person's consent to the processing of personal data (152-ФЗ): which text, and when."""

    user = models.ForeignKey(User, verbose_name="кто", on_delete=models.CASCADE, related_name="consents")
    text_version = models.CharField("версия текста согласия", max_length=32)
    accepted_at = models.DateTimeField("дано", auto_now_add=True)
    ip_address = models.GenericIPAddressField("IP-адрес", null=True, blank=True)

    class Meta:
        verbose_name = "согласие на обработку персональных данных"
        verbose_name_plural = "согласия на обработку персональных данных"
        ordering = ["-accepted_at"]

    def __str__(self) -> str:
        return f"{self.user} — {self.text_version}"
