"""Targets of the indicators and the data the indicators need beyond enrollments.

What each indicator means and how it is computed lives in monitoring.indicators, in one place.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q


class IndicatorCode(models.TextChoices):
    COVERAGE = "coverage", "Охват дополнительным образованием детей 5–18 лет"
    TECH_SCIENCE = "tech_science", "Доля детей в программах технической и естественнонаучной направленности"
    OVZ = "ovz", "Охват детей с ОВЗ дополнительным образованием"
    CAREER_LESSONS = "career_lessons", "Участие в открытых онлайн-уроках по профориентации"


class Target(models.Model):
    """The value an indicator should reach in a year, for a region or one of its municipalities."""

    indicator = models.CharField("показатель", max_length=32, choices=IndicatorCode.choices)
    region = models.ForeignKey("territory.Region", verbose_name="регион", on_delete=models.CASCADE, related_name="+")
    # Empty: the target of the whole region.
    municipality = models.ForeignKey(
        "territory.Municipality",
        verbose_name="муниципалитет",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    year = models.PositiveSmallIntegerField("год")
    percent = models.DecimalField("целевое значение, %", max_digits=5, decimal_places=1)
    source = models.CharField(
        "основание", max_length=300, blank=True, help_text="Документ, которым утверждено значение."
    )
    updated_at = models.DateTimeField("изменено", auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="кто изменил",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "целевое значение"
        verbose_name_plural = "целевые значения показателей"
        ordering = ["indicator", "year"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "region", "year"],
                condition=Q(municipality__isnull=True),
                name="target_once_per_region_year",
                violation_error_message="Для региона на этот год значение уже задано.",
            ),
            models.UniqueConstraint(
                fields=["indicator", "municipality", "year"],
                condition=Q(municipality__isnull=False),
                name="target_once_per_municipality_year",
                violation_error_message="Для муниципалитета на этот год значение уже задано.",
            ),
            models.CheckConstraint(
                name="target_percent_range",
                violation_error_message="Целевое значение — от 0 до 100 %%.",
                condition=Q(percent__gte=0, percent__lte=100),
            ),
            models.CheckConstraint(
                name="target_year_sane",
                violation_error_message="Год указан неверно.",
                condition=Q(year__gte=2000, year__lte=2100),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_indicator_display()}, {self.year}: {self.percent} %"


class CareerLessonVisit(models.Model):
    """A child took part in an open career-guidance lesson («Проектория», «Шоу профессий»).
    Fed by import until the events module records them itself."""

    child = models.ForeignKey("people.Child", verbose_name="ребёнок", on_delete=models.PROTECT, related_name="+")
    held_on = models.DateField("дата урока")
    title = models.CharField("урок", max_length=300)
    organization = models.ForeignKey(
        "catalog.Organization", verbose_name="школа", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "участие в открытом уроке"
        verbose_name_plural = "участие в открытых уроках"
        ordering = ["-held_on"]
        constraints = [
            models.UniqueConstraint(fields=["child", "held_on", "title"], name="career_lesson_visit_once"),
        ]
        indexes = [models.Index(fields=["held_on", "child"], name="career_lesson_year")]

    def __str__(self) -> str:
        return f"{self.held_on}: {self.title}"
