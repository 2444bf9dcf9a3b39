"""Targets of the indicators and the data the indicators need beyond enrollments.

What each indicator means and how it is computed lives in monitoring.indicators, in one place.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.models import PublicEntity


class IndicatorCode(models.TextChoices):
    COVERAGE = "coverage", "Охват дополнительным образованием детей от 5 до 18 лет"
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


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", "Загружен"
    VALIDATED = "validated", "Проверен"
    APPLYING = "applying", "Применяется"
    APPLIED = "applied", "Применён"
    FAILED = "failed", "Прерван"


# A list of a few thousand children is well under a megabyte; the cap keeps a stray file out of the table.
IMPORT_MAX_BYTES = 10 * 1024 * 1024


class ImportBatch(PublicEntity):
    """One uploaded list of children and their enrollments (monitoring.imports): the file as it
    came, what checking it found, and what applying it did to the registry and the enrollments."""

    CODE_PREFIX = "IM"

    organization = models.ForeignKey(
        "catalog.Organization", verbose_name="организация", on_delete=models.PROTECT, related_name="import_batches"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="загрузил", on_delete=models.PROTECT, related_name="+"
    )
    # Empty until someone confirms; stays empty when an administrator applies from the command line.
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="подтвердил",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    file_name = models.CharField("имя файла", max_length=255)
    # Kept until the list is applied (a stopped run resumes from it), then emptied: it holds СНИЛС in clear.
    content = models.BinaryField("файл", editable=False)
    file_size = models.PositiveIntegerField("размер файла, байт")
    # Kept after the file is emptied: the same file uploaded again is recognised as applied before.
    content_digest = models.CharField("SHA-256 файла", max_length=64, blank=True, editable=False)
    status = models.CharField("статус", max_length=16, choices=ImportStatus.choices, default=ImportStatus.UPLOADED)
    rows_total = models.PositiveIntegerField("строк в файле", default=0)
    rows_valid = models.PositiveIntegerField("строк без ошибок", default=0)
    # [{row, column, message}]: what checking found (row null: the file as a whole).
    errors = models.JSONField("ошибки проверки", default=list, blank=True)
    # [{row, column, message}]: rows that could not be applied (a full group, a conflicting application).
    failures = models.JSONField("ошибки применения", default=list, blank=True)
    progress = models.PositiveSmallIntegerField("ход применения, %", default=0)
    # The last file row applied: a run that stopped resumes after it.
    last_row = models.PositiveIntegerField("применено до строки", default=0)
    outcome = models.JSONField("итоги", default=dict, blank=True)
    applied_at = models.DateTimeField("применён", null=True, blank=True)

    class Meta:
        verbose_name = "загрузка списка детей"
        verbose_name_plural = "загрузки списков детей"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="import_batch_progress_percent",
                violation_error_message="Ход применения — от 0 до 100 %%.",
                condition=Q(progress__lte=100),
            ),
            models.CheckConstraint(
                name="import_batch_valid_within_total",
                violation_error_message="Строк без ошибок не может быть больше, чем строк в файле.",
                condition=Q(rows_valid__lte=models.F("rows_total")),
            ),
            models.CheckConstraint(
                name="import_batch_file_size",
                violation_error_message="Файл больше 10 МБ.",
                condition=Q(file_size__lte=IMPORT_MAX_BYTES),
            ),
            models.CheckConstraint(
                name="import_batch_applied_has_time",
                violation_error_message="У применённой загрузки должно быть время применения.",
                condition=Q(status=ImportStatus.APPLIED, applied_at__isnull=False)
                | (~Q(status=ImportStatus.APPLIED) & Q(applied_at__isnull=True)),
            ),
        ]
        indexes = [models.Index(fields=["organization", "-created_at"], name="import_batch_history")]

    def __str__(self) -> str:
        return f"{self.code}: {self.file_name}"
