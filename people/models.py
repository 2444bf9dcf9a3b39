"""Teachers, guardians and children, as far as the catalog needs them.

The registry issue extends children with protected identifiers and deduplication.
"""

import uuid
from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.models import TimestampedModel


class PersonName(models.Model):
    last_name = models.CharField("фамилия", max_length=100)
    first_name = models.CharField("имя", max_length=100)
    patronymic = models.CharField("отчество", max_length=100, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.last_name, self.first_name, self.patronymic) if p)

    @property
    def short_name(self) -> str:
        initials = "".join(f"{p[0]}." for p in (self.first_name, self.patronymic) if p)
        return f"{self.last_name} {initials}".strip()


class Teacher(PersonName, TimestampedModel):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="teacher"
    )
    organization = models.ForeignKey(
        "catalog.Organization", verbose_name="организация", on_delete=models.CASCADE, related_name="teachers"
    )
    position = models.CharField("должность", max_length=200, default="Педагог дополнительного образования")
    qualification = models.CharField("квалификационная категория", max_length=100, blank=True)
    teaching_since = models.PositiveSmallIntegerField("педагогический стаж с (год)", null=True, blank=True)
    about = models.TextField("о педагоге", blank=True)

    class Meta:
        verbose_name = "педагог"
        verbose_name_plural = "педагоги"
        ordering = ["last_name", "first_name"]
        indexes = [models.Index(fields=["organization", "last_name"])]


class Guardian(PersonName, TimestampedModel):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="guardian")
    phone = models.CharField("телефон", max_length=32, blank=True)
    municipality = models.ForeignKey(
        "territory.Municipality",
        verbose_name="муниципалитет",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "родитель (законный представитель)"
        verbose_name_plural = "родители (законные представители)"
        ordering = ["last_name", "first_name"]


class Child(PersonName, TimestampedModel):
    class Sex(models.TextChoices):
        MALE = "m", "Мужской"
        FEMALE = "f", "Женский"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    birth_date = models.DateField("дата рождения")
    sex = models.CharField("пол", max_length=1, choices=Sex.choices)
    municipality = models.ForeignKey(
        "territory.Municipality",
        verbose_name="муниципалитет проживания",
        on_delete=models.PROTECT,
        related_name="children",
    )
    has_ovz = models.BooleanField("ограниченные возможности здоровья (ОВЗ)", default=False)
    has_disability = models.BooleanField("инвалидность", default=False)
    guardians = models.ManyToManyField(
        Guardian, verbose_name="законные представители", blank=True, related_name="children"
    )

    class Meta:
        verbose_name = "ребёнок"
        verbose_name_plural = "дети"
        ordering = ["last_name", "first_name"]
        indexes = [
            models.Index(fields=["municipality", "birth_date"]),
            models.Index(fields=["last_name", "first_name", "birth_date"]),
        ]
        constraints = [models.CheckConstraint(name="child_sex_valid", condition=Q(sex__in=["m", "f"]))]

    def age_on(self, day: date) -> int:
        """Full years on `day`: the age that decides which programs and groups fit."""
        birth = self.birth_date
        return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
