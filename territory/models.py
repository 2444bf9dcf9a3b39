"""Regions, municipalities (ОКТМО) and their child population: the denominator of coverage."""

import uuid

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from core.models import TimestampedModel

oktmo_validator = RegexValidator(r"^\d{8}(\d{3})?$", "Код ОКТМО состоит из 8 или 11 цифр.")


class Region(TimestampedModel):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.CharField("код субъекта", max_length=2, unique=True)
    name = models.CharField("название", max_length=200, unique=True)

    class Meta:
        verbose_name = "регион"
        verbose_name_plural = "регионы"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                name="region_code_two_digits",
                violation_error_message="Код субъекта — две цифры.",
                condition=Q(code__regex=r"^\d{2}$"),
            )
        ]

    def __str__(self) -> str:
        return self.name


class Municipality(TimestampedModel):
    class Kind(models.TextChoices):
        URBAN_DISTRICT = "urban_district", "Городской округ"
        MUNICIPAL_DISTRICT = "municipal_district", "Муниципальный район"
        MUNICIPAL_OKRUG = "municipal_okrug", "Муниципальный округ"
        CITY_DISTRICT = "city_district", "Внутригородской район"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="municipalities")
    oktmo = models.CharField("ОКТМО", max_length=11, unique=True, validators=[oktmo_validator])
    name = models.CharField("название", max_length=200)
    kind = models.CharField("вид", max_length=32, choices=Kind.choices, default=Kind.URBAN_DISTRICT)

    class Meta:
        verbose_name = "муниципальное образование"
        verbose_name_plural = "муниципальные образования"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                name="municipality_oktmo_digits",
                violation_error_message="Код ОКТМО состоит из 8 или 11 цифр.",
                condition=Q(oktmo__regex=r"^\d{8}(\d{3})?$"),
            ),
            models.UniqueConstraint(fields=["region", "name"], name="municipality_name_unique_in_region"),
        ]

    def __str__(self) -> str:
        return self.name


class ChildPopulation(models.Model):
    """Resident children of one single year of age in a municipality, as of 1 January of a year."""

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="population")
    year = models.PositiveSmallIntegerField("год")
    age = models.PositiveSmallIntegerField("возраст, полных лет")
    count = models.PositiveIntegerField("численность детей")

    class Meta:
        verbose_name = "численность детей"
        verbose_name_plural = "численность детей по возрастам"
        ordering = ["municipality", "year", "age"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "year", "age"], name="population_unique_cell"),
            models.CheckConstraint(
                name="population_age_of_child",
                violation_error_message="Возраст ребёнка — от 0 до 17 лет.",
                condition=Q(age__lte=17),
            ),
            models.CheckConstraint(
                name="population_year_sane",
                violation_error_message="Год указан неверно.",
                condition=Q(year__gte=2000, year__lte=2100),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.municipality}, {self.year}, {self.age} лет: {self.count}"


class Contingent(models.Model):
    """What a municipality knows of its children besides their number: those with ОВЗ aged 5–17
    (the denominator of the ОВЗ coverage indicator) and school pupils (of career-lesson
    participation), for a year."""

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="contingents")
    year = models.PositiveSmallIntegerField("год")
    children_with_ovz = models.PositiveIntegerField("дети с ОВЗ 5–17 лет", null=True, blank=True)
    school_pupils = models.PositiveIntegerField("обучающиеся общеобразовательных организаций", null=True, blank=True)

    class Meta:
        verbose_name = "контингент"
        verbose_name_plural = "контингент: дети с ОВЗ и школьники"
        ordering = ["municipality", "year"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "year"], name="contingent_unique_year"),
            models.CheckConstraint(
                name="contingent_year_sane",
                violation_error_message="Год указан неверно.",
                condition=Q(year__gte=2000, year__lte=2100),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.municipality}, {self.year}"
