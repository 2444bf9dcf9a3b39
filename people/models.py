"""Teachers, guardians and children, as far as the catalog needs them.

A child is one record per real child: the registry (people.registry) matches every new or
imported child against the existing ones and merges duplicates; identifiers are kept protected
(people.identity).
"""

import uuid
from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.dates import full_years
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
    # A teacher working in several organizations has a card in each, all linked to the one account.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="teacher_cards"
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
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organization"],
                condition=Q(user__isnull=False),
                name="teacher_one_card_per_account_in_organization",
                violation_error_message="Эта учётная запись уже связана с другой карточкой педагога организации.",
            )
        ]


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


class ChildQuerySet(models.QuerySet["Child"]):
    def living(self) -> "ChildQuerySet":
        """Records of real children: without the duplicates merged into others."""
        return self.filter(merged_into__isnull=True)


class EntryChannel(models.TextChoices):
    """How a record entered the registry: what the operator weighs deciding on a pair (a family's
    word, an organization's list of children it teaches, a system's exchange)."""

    CABINET = "cabinet", "Семья в личном кабинете"
    API = "api", "Через API"
    IMPORT = "import", "Список детей организации"
    STAFF = "staff", "Сотрудник"


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
    # Encrypted for display to authorized roles, digested for matching (people.identity).
    snils_cipher = models.TextField("СНИЛС (зашифрован)", blank=True, editable=False)
    snils_digest = models.CharField("СНИЛС (ключ сопоставления)", max_length=64, blank=True, editable=False)
    birth_certificate_cipher = models.TextField("свидетельство о рождении (зашифровано)", blank=True, editable=False)
    birth_certificate_digest = models.CharField(
        "свидетельство о рождении (ключ сопоставления)", max_length=64, blank=True, editable=False
    )
    # Who entered the record and how; created_at is when. "" for records entered before it was kept,
    # and for the bulk loaders' rows (the demo, the benchmarks), hence the database's default too.
    entered_via = models.CharField(
        "как внесена",
        max_length=16,
        choices=EntryChannel.choices,
        blank=True,
        default="",
        db_default="",
        editable=False,
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="кто внёс",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    entered_organization = models.ForeignKey(
        "catalog.Organization",
        verbose_name="от организации",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    # A duplicate merged into another record stays, empty, so that the merge can be undone.
    merged_into = models.ForeignKey(
        "self",
        verbose_name="объединён с",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="absorbed",
        editable=False,
    )

    objects = ChildQuerySet.as_manager()

    class Meta:
        verbose_name = "ребёнок"
        verbose_name_plural = "дети"
        ordering = ["last_name", "first_name"]
        indexes = [
            models.Index(fields=["municipality", "birth_date"]),
            models.Index(fields=["last_name", "first_name", "birth_date"]),
            models.Index(fields=["birth_date"], name="child_birth_date"),
        ]
        constraints = [
            models.CheckConstraint(name="child_sex_valid", condition=Q(sex__in=["m", "f"])),
            # One living record per СНИЛС: the database refuses a second one that matching missed.
            models.UniqueConstraint(
                fields=["snils_digest"],
                condition=~Q(snils_digest="") & Q(merged_into__isnull=True),
                name="child_one_record_per_snils",
                violation_error_message="Ребёнок с таким СНИЛС уже есть в реестре.",
            ),
            models.CheckConstraint(name="child_not_merged_into_itself", condition=~Q(merged_into=models.F("pk"))),
        ]

    def age_on(self, day: date) -> int:
        return full_years(self.birth_date, day)


class MatchStatus(models.TextChoices):
    PENDING = "pending", "Ждёт решения"
    MERGED = "merged", "Объединены"
    DISTINCT = "distinct", "Разные дети"


class MatchCandidate(models.Model):
    """A pair of records that may be one child: matching was not sure enough to merge them itself."""

    first = models.ForeignKey(Child, verbose_name="запись 1", on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Child, verbose_name="запись 2", on_delete=models.CASCADE, related_name="+")
    probability = models.FloatField("вероятность совпадения")
    # The СНИЛС typed for one record is the other's: kept there only, so the comparison cannot show it.
    snils_held_elsewhere = models.BooleanField("СНИЛС новой записи — у другой записи", default=False)
    status = models.CharField("решение", max_length=16, choices=MatchStatus.choices, default=MatchStatus.PENDING)
    created_at = models.DateTimeField("найдена", auto_now_add=True)
    decided_at = models.DateTimeField("решено", null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="кто решил",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "возможный дубликат"
        verbose_name_plural = "возможные дубликаты"
        ordering = ["-probability", "id"]
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="match_candidate_pair_once"),
            models.CheckConstraint(name="match_candidate_ordered", condition=Q(first__lt=models.F("second"))),
            models.CheckConstraint(
                name="match_candidate_probability", condition=Q(probability__gte=0, probability__lte=1)
            ),
        ]
        indexes = [models.Index(fields=["status", "-probability"], name="match_candidate_queue")]

    def __str__(self) -> str:
        return f"{self.first_id} ~ {self.second_id} ({self.probability:.2f})"


class ChildMerge(models.Model):
    """One merge of a duplicate into the surviving record, with what moved, so it can be undone."""

    survivor = models.ForeignKey(Child, verbose_name="остаётся", on_delete=models.PROTECT, related_name="merges")
    absorbed = models.ForeignKey(Child, verbose_name="дубликат", on_delete=models.PROTECT, related_name="+")
    probability = models.FloatField("вероятность совпадения", null=True, blank=True)
    automatic = models.BooleanField("автоматически", default=False)
    moved = models.JSONField("перенесено", default=dict)
    created_at = models.DateTimeField("объединено", auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="кто объединил",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    undone_at = models.DateTimeField("отменено", null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="кто отменил",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "объединение записей"
        verbose_name_plural = "объединения записей"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["absorbed"], condition=Q(undone_at__isnull=True), name="child_merge_absorbed_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.absorbed_id} → {self.survivor_id}"
