"""The Navigator's catalog: organizations, their programs (ДООП) and groups.

Dictionaries and names follow the navigator ↔ Госуслуги exchange model (see README, «Обмен с
ЕПГУ»): program states, registers, ОВЗ categories, forms of study, financing sources per group.
"""

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from core import money
from core.dates import full_years, years_before
from core.fields import SearchDocumentField
from core.models import PublicEntity
from core.validators import validate_inn, validate_ogrn


class OrganizationKind(models.TextChoices):
    # EPGU typeOrg: additional, general, preschool, professional, higher, atypical.
    UDO = "udo", "Организация дополнительного образования"
    SCHOOL = "school", "Общеобразовательная организация"
    KINDERGARTEN = "kindergarten", "Дошкольная образовательная организация"
    COLLEGE = "college", "Профессиональная образовательная организация"
    UNIVERSITY = "university", "Образовательная организация высшего образования"
    NGO = "ngo", "Некоммерческая организация"
    ENTREPRENEUR = "entrepreneur", "Индивидуальный предприниматель"
    OTHER = "other", "Иная организация"


class Department(models.TextChoices):
    # EPGU departmentCode.
    EDUCATION = "education", "Образование"
    CULTURE = "culture", "Культура"
    SPORT = "sport", "Спорт"
    YOUTH = "youth", "Молодёжная политика"
    SOCIAL = "social", "Социальная защита"
    OTHER = "other", "Иное"


class Direction(models.TextChoices):
    # Six направленности (приказ № 629). EPGU ProgramFocuses codes in comments.
    TECHNICAL = "technical", "Техническая"  # tehnicheskoe
    NATURAL_SCIENCE = "natural_science", "Естественнонаучная"  # estestvennonauchnoe
    ARTS = "arts", "Художественная"  # hudozhestvennoe
    SPORT = "sport", "Физкультурно-спортивная"  # fizkulturno-sportivnoe
    TOURISM = "tourism", "Туристско-краеведческая"  # turistsko-kraevedcheskoe
    SOCIAL = "social", "Социально-гуманитарная"  # socialno-pedagogicheskoe


class ProgramType(models.TextChoices):
    # EPGU programType.
    GENERAL = "general", "Общеразвивающая"
    PREPROFESSIONAL = "preprof", "Предпрофессиональная"
    SPORT_TRAINING = "sport", "Спортивной подготовки"


class StudyForm(models.TextChoices):
    FULL_TIME = "full_time", "Очная"
    MIXED = "mixed", "Очно-заочная"
    EXTRAMURAL = "extramural", "Заочная"


class ModerationStatus(models.TextChoices):
    # EPGU state: initial, moderating, published, wait_for_editing, archive.
    DRAFT = "draft", "Черновик"
    MODERATING = "moderating", "На модерации"
    NEEDS_CHANGES = "needs_changes", "Ожидает правки"
    PUBLISHED = "published", "Опубликована"
    ARCHIVED = "archived", "В архиве"


# Before the first publication (and a revision's states): families have not seen it.
NOT_YET_PUBLISHED = (ModerationStatus.DRAFT, ModerationStatus.MODERATING, ModerationStatus.NEEDS_CHANGES)


class FundingSource(models.TextChoices):
    BUDGET = "budget", "Бесплатно (муниципальное задание)"
    CERTIFICATE = "certificate", "По сертификату ПФ"
    PAID = "paid", "Платно"


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Понедельник"
    TUESDAY = 1, "Вторник"
    WEDNESDAY = 2, "Среда"
    THURSDAY = 3, "Четверг"
    FRIDAY = 4, "Пятница"
    SATURDAY = 5, "Суббота"
    SUNDAY = 6, "Воскресенье"


WEEKDAY_SHORT = ["Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс"]


def weekday_numbers(mask: int) -> list[int]:
    """The days of a weekdays mask (bit d set: lessons on day d), 0 is Monday."""
    return [d for d in range(7) if mask & (1 << d)]


class UnitKind(models.TextChoices):
    KVANTORIUM = "kvantorium", "Детский технопарк «Кванториум»"
    MOBILE_KVANTORIUM = "mobile_kvantorium", "Мобильный технопарк «Кванториум»"
    IT_CUBE = "it_cube", "Центр цифрового образования «IT-куб»"
    TOCHKA_ROSTA = "tochka_rosta", "Центр «Точка роста»"
    SCHOOL_THEATRE = "school_theatre", "Школьный театр"
    SCHOOL_MUSEUM = "school_museum", "Школьный музей"
    SCHOOL_SPORT_CLUB = "school_sport_club", "Школьный спортивный клуб"
    ECO_CENTER = "eco_center", "Экостанция"
    OTHER = "other", "Иное структурное подразделение"


def _count(value: int) -> str:
    """10000 → «10 000»: a no-break space between thousands, as the pages write counts."""
    return f"{value:,}".replace(",", "\u00a0")


# Realistic maximums of what an organization enters, so that a typo (99 999 999 999 hours, 100 000
# seats) is refused instead of published. Each is a field validator (a Russian message next to the
# field) and a check constraint (the database refuses it too). The longest programs are the
# pre-professional ones in the arts and sport training: up to 8–10 years and several thousand
# hours. The demo (catalog.demo) stays well inside: 3–33 months, 8–792 hours, 8–25 seats, 1 200–4 500 ₽.
MAX_CHILD_AGE = 18
MAX_PROGRAM_HOURS = 10_000
MAX_PROGRAM_MONTHS = 120
MAX_GROUP_CAPACITY = 500
MAX_HOURS_PER_YEAR = 2_000  # 52 weeks of 38 hours: above the densest year of sport training
MAX_PRICE_PER_MONTH = Decimal(1_000_000)
HOURS_LIMIT_MESSAGE = f"Объём программы — не больше {_count(MAX_PROGRAM_HOURS)} часов."
MONTHS_LIMIT_MESSAGE = f"Срок освоения — не больше {MAX_PROGRAM_MONTHS} месяцев (10 лет)."
CAPACITY_LIMIT_MESSAGE = f"В группе — не больше {MAX_GROUP_CAPACITY} мест."
PRICE_LIMIT_MESSAGE = f"Стоимость — не больше {money.whole(MAX_PRICE_PER_MONTH)}\u00a0₽ в месяц."

inn_field_validators = [validate_inn]
kpp_validator = RegexValidator(r"^\d{9}$", "КПП состоит из 9 цифр.")


class Located(models.Model):
    """A place on the map: latitude and longitude in degrees (WGS 84, as Yandex Maps gives them)."""

    latitude = models.DecimalField(
        "широта",
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(-90)), MaxValueValidator(Decimal(90))],
    )
    longitude = models.DecimalField(
        "долгота",
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(-180)), MaxValueValidator(Decimal(180))],
    )

    class Meta:
        abstract = True

    @property
    def map_url(self) -> str:
        return map_url(self.latitude, self.longitude)


def map_url(latitude: Decimal | None, longitude: Decimal | None) -> str:
    """The place on Yandex Maps, the map families in Russia know; empty without coordinates."""
    if latitude is None or longitude is None:
        return ""
    return f"https://yandex.ru/maps/?pt={longitude},{latitude}&z=16&l=map"


COORDINATES_IN_RANGE = models.CheckConstraint(
    name="%(class)s_coordinates_in_range",
    violation_error_message="Широта — от −90 до 90, долгота — от −180 до 180.",
    condition=(Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90))
    & (Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180)),
)


class Organization(PublicEntity, Located):
    CODE_PREFIX = "OR"

    full_name = models.CharField("полное наименование", max_length=500)
    short_name = models.CharField("краткое наименование", max_length=200)
    kind = models.CharField("тип", max_length=32, choices=OrganizationKind.choices)
    department = models.CharField("ведомство", max_length=16, choices=Department.choices, default=Department.EDUCATION)
    inn = models.CharField("ИНН", max_length=12, validators=[validate_inn])
    kpp = models.CharField("КПП", max_length=9, blank=True, validators=[kpp_validator])
    ogrn = models.CharField("ОГРН", max_length=15, unique=True, validators=[validate_ogrn])
    licence_number = models.CharField("номер лицензии", max_length=64, blank=True)
    licence_date = models.DateField("дата лицензии", null=True, blank=True)
    municipality = models.ForeignKey(
        "territory.Municipality",
        verbose_name="муниципалитет",
        on_delete=models.PROTECT,
        related_name="organizations",
    )
    address = models.CharField("адрес", max_length=500)
    phone = models.CharField("телефон", max_length=64, blank=True)
    email = models.EmailField("электронная почта", blank=True)
    website = models.URLField("сайт", blank=True)
    description = models.TextField("об организации", blank=True)
    accessible_for_ovz = models.BooleanField("доступна для детей с ОВЗ", default=False)
    accessibility_notes = models.TextField(
        "условия доступности",
        blank=True,
        help_text="Пандус, лифт, тактильная плитка, адаптированные туалеты, сурдопереводчик…",
    )
    is_active = models.BooleanField("действует", default=True)

    class Meta:
        verbose_name = "организация"
        verbose_name_plural = "организации"
        ordering = ["short_name"]
        constraints = [
            models.CheckConstraint(
                name="organization_inn_digits",
                violation_error_message="ИНН состоит из 10 или 12 цифр.",
                condition=Q(inn__regex=r"^(\d{10}|\d{12})$"),
            ),
            models.CheckConstraint(
                name="organization_ogrn_digits",
                violation_error_message="ОГРН состоит из 13 или 15 цифр.",
                condition=Q(ogrn__regex=r"^(\d{13}|\d{15})$"),
            ),
            COORDINATES_IN_RANGE,
            models.UniqueConstraint(fields=["inn", "kpp"], name="organization_inn_kpp_unique"),
        ]
        indexes = [
            models.Index(fields=["municipality", "short_name"]),
            # The API's and the admin's lists page through all organizations by name.
            models.Index(fields=["short_name", "id"], name="organization_by_name"),
        ]

    def __str__(self) -> str:
        return self.short_name


class OrganizationUnit(models.Model):
    """A special unit inside an organization: Кванториум, IT-куб, Точка роста, школьный театр…"""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="units")
    kind = models.CharField("вид", max_length=32, choices=UnitKind.choices)
    name = models.CharField("название", max_length=200)
    address = models.CharField("адрес, если отличается", max_length=500, blank=True)

    class Meta:
        verbose_name = "структурное подразделение"
        verbose_name_plural = "структурные подразделения"
        ordering = ["organization", "name"]

    def __str__(self) -> str:
        return self.name


class StudyPlace(Located):
    """An address where an organization's groups meet other than its own: its other building, a school's
    gym it rents, a partner's classroom in the network form. A group held there (its address the place's)
    is shown on the map and found by its distance from a family, as one held at the organization."""

    organization = models.ForeignKey(
        Organization, verbose_name="организация", on_delete=models.CASCADE, related_name="study_places"
    )
    address = models.CharField("адрес", max_length=500)
    name = models.CharField(
        "название", max_length=200, blank=True, help_text="Как его называют семьи: «Спортзал школы № 5», «Корпус 2»."
    )
    updated_at = models.DateTimeField("изменено", auto_now=True)

    class Meta:
        verbose_name = "место занятий"
        verbose_name_plural = "места занятий"
        ordering = ["organization", "address"]
        constraints = [
            COORDINATES_IN_RANGE,
            models.UniqueConstraint(
                fields=["organization", "address"],
                name="study_place_address_unique",
                violation_error_message="У организации уже есть место занятий с этим адресом.",
            ),
            models.CheckConstraint(
                name="study_place_address_given",
                violation_error_message="Укажите адрес.",
                condition=~Q(address=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.address})" if self.name else self.address


class OvzCategory(models.Model):
    """ОВЗ categories as in the EPGU dictionary OvzTypes."""

    code = models.CharField("код", max_length=32, unique=True)
    name = models.CharField("категория", max_length=200)

    class Meta:
        verbose_name = "категория ОВЗ"
        verbose_name_plural = "категории ОВЗ"
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class ProgramRegister(models.Model):
    """Program registers (EPGU programRegistries): значимые, предпрофессиональные, сертифицированные…"""

    code = models.CharField("код", max_length=32, unique=True)
    name = models.CharField("реестр", max_length=200)

    class Meta:
        verbose_name = "реестр программ"
        verbose_name_plural = "реестры программ"
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Program(PublicEntity):
    """An additional general-education program (ДООП) of one organization."""

    CODE_PREFIX = "PR"

    organization = models.ForeignKey(
        Organization, verbose_name="организация", on_delete=models.PROTECT, related_name="programs"
    )
    # Where the program is delivered; the organization's municipality unless set otherwise.
    municipality = models.ForeignKey(
        "territory.Municipality",
        verbose_name="муниципалитет",
        on_delete=models.PROTECT,
        related_name="programs",
    )
    unit = models.ForeignKey(
        OrganizationUnit,
        verbose_name="подразделение",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="programs",
    )
    title = models.CharField("название", max_length=300)
    summary = models.CharField("кратко о программе", max_length=600)
    description = models.TextField("подробное описание", blank=True)
    goals = models.TextField("цель и задачи", blank=True)
    results = models.TextField("планируемые результаты", blank=True)
    equipment = models.TextField("материально-техническая база", blank=True)
    program_type = models.CharField(
        "вид программы", max_length=16, choices=ProgramType.choices, default=ProgramType.GENERAL
    )
    direction = models.CharField("направленность", max_length=32, choices=Direction.choices)
    level_initial = models.BooleanField("стартовый уровень", default=False)
    level_basic = models.BooleanField("базовый уровень", default=False)
    level_advanced = models.BooleanField("продвинутый уровень", default=False)
    age_from = models.PositiveSmallIntegerField("возраст с, лет")
    age_to = models.PositiveSmallIntegerField("возраст по, лет")
    hours_total = models.PositiveIntegerField(
        "объём, академических часов",
        validators=[MaxValueValidator(MAX_PROGRAM_HOURS, HOURS_LIMIT_MESSAGE)],
    )
    duration_months = models.PositiveSmallIntegerField(
        "срок освоения, месяцев",
        validators=[MaxValueValidator(MAX_PROGRAM_MONTHS, MONTHS_LIMIT_MESSAGE)],
    )
    study_form = models.CharField(
        "форма обучения", max_length=16, choices=StudyForm.choices, default=StudyForm.FULL_TIME
    )
    uses_distance_learning = models.BooleanField(
        "с применением дистанционных технологий и (или) электронного обучения", default=False
    )
    is_network = models.BooleanField("сетевая форма реализации", default=False)
    ovz_adapted = models.BooleanField("адаптирована для детей с ОВЗ", default=False)
    ovz_categories = models.ManyToManyField(
        OvzCategory, verbose_name="категории ОВЗ", blank=True, related_name="programs"
    )
    disability_adapted = models.BooleanField("адаптирована для детей-инвалидов", default=False)
    registers = models.ManyToManyField(ProgramRegister, verbose_name="реестры", blank=True, related_name="programs")
    is_free = models.BooleanField("бесплатно (муниципальное задание)", default=False)
    by_certificate = models.BooleanField("оплата сертификатом ПФ", default=False)
    is_paid = models.BooleanField("платно", default=False)
    price_per_month = models.DecimalField(
        "стоимость в месяц, ₽",
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(MAX_PRICE_PER_MONTH, PRICE_LIMIT_MESSAGE)],
    )
    address = models.CharField("место реализации", max_length=500, blank=True)
    teachers = models.ManyToManyField("people.Teacher", verbose_name="педагоги", blank=True, related_name="programs")
    status = models.CharField("статус", max_length=16, choices=ModerationStatus.choices, default=ModerationStatus.DRAFT)
    moderation_remark = models.TextField("замечание модератора", blank=True)
    published_at = models.DateTimeField("опубликована", null=True, blank=True)
    # Set by the «submit» transition: the moderation queue is served oldest first by it.
    submitted_at = models.DateTimeField("отправлена на модерацию", null=True, blank=True, editable=False)
    # Denormalized for fast filters: bit d set when some group meets on weekday d (0 = Monday).
    weekdays_mask = models.PositiveSmallIntegerField("дни занятий (маска)", default=0, editable=False)
    # Free seats over the groups open for enrollment; kept by catalog.services.refresh_program_groups.
    open_seats = models.PositiveIntegerField("свободных мест", default=0, editable=False)
    # Active groups not yet ended, open for enrollment or not: a card tells «Мест нет» from «Набор не
    # объявлен» by it; kept with open_seats.
    current_groups = models.PositiveSmallIntegerField("действующих групп", default=0, editable=False)
    # Free seats in current groups taking no applications now (closed or locked).
    closed_seats = models.PositiveIntegerField("свободных мест без приёма", default=0, editable=False)
    # Current groups taking applications (`offering_seats`, a window opening later included): with none,
    # a card says «Приём закрыт»; with some but no free seat, «Мест нет» (a family may join a queue).
    offering_groups = models.PositiveSmallIntegerField("групп, принимающих заявки", default=0, editable=False)
    popularity = models.PositiveIntegerField("популярность", default=0, editable=False)
    search_document = SearchDocumentField("поисковый документ", blank=True, default="", editable=False)

    class Meta:
        verbose_name = "программа"
        verbose_name_plural = "программы"
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(
                name="program_age_range",
                violation_error_message="Возраст «с» не больше возраста «по», и не старше 18 лет.",
                condition=Q(age_from__lte=F("age_to"), age_to__lte=18),
            ),
            models.CheckConstraint(
                name="program_has_level",
                violation_error_message="Отметьте хотя бы один уровень программы.",
                condition=Q(level_initial=True) | Q(level_basic=True) | Q(level_advanced=True),
            ),
            models.CheckConstraint(
                name="program_has_funding",
                violation_error_message="Укажите хотя бы один способ оплаты: бесплатно, по сертификату или платно.",
                condition=Q(is_free=True) | Q(by_certificate=True) | Q(is_paid=True),
            ),
            models.CheckConstraint(
                name="program_paid_has_price",
                violation_error_message="Для платной программы укажите стоимость в месяц больше нуля.",
                condition=Q(is_paid=False) | Q(price_per_month__isnull=False, price_per_month__gt=0),
            ),
            models.CheckConstraint(
                name="program_price_limit",
                violation_error_message=PRICE_LIMIT_MESSAGE,
                condition=Q(price_per_month__isnull=True) | Q(price_per_month__lte=MAX_PRICE_PER_MONTH),
            ),
            models.CheckConstraint(
                name="program_hours_positive",
                violation_error_message="Объём программы должен быть больше нуля часов.",
                condition=Q(hours_total__gt=0),
            ),
            models.CheckConstraint(
                name="program_hours_limit",
                violation_error_message=HOURS_LIMIT_MESSAGE,
                condition=Q(hours_total__lte=MAX_PROGRAM_HOURS),
            ),
            models.CheckConstraint(
                name="program_months_positive",
                violation_error_message="Срок освоения должен быть больше нуля месяцев.",
                condition=Q(duration_months__gt=0),
            ),
            models.CheckConstraint(
                name="program_months_limit",
                violation_error_message=MONTHS_LIMIT_MESSAGE,
                condition=Q(duration_months__lte=MAX_PROGRAM_MONTHS),
            ),
            models.CheckConstraint(
                name="program_weekdays_mask",
                violation_error_message="Неверные дни занятий.",
                condition=Q(weekdays_mask__lt=128),
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-popularity", "id"], name="program_status_popular"),
            models.Index(fields=["municipality", "status", "-popularity"], name="program_muni_popular"),
            models.Index(fields=["organization", "status"], name="program_org_status"),
            models.Index(fields=["direction", "status", "-popularity"], name="program_dir_popular"),
            # The home page's free seats: a sum over the index, not over the wide table (8 ms, not 140).
            models.Index(fields=["open_seats"], condition=Q(status="published"), name="program_published_seats"),
            # Who sees which program (catalog.permissions: published, or of one's municipality or organization)
            # read without the wide table: a region's current groups counted for the API in 55 ms, not 125.
            models.Index(fields=["status", "municipality", "organization", "id"], name="program_scope"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def levels_display(self) -> str:
        levels = [
            name
            for flag, name in (
                (self.level_initial, "стартовый"),
                (self.level_basic, "базовый"),
                (self.level_advanced, "продвинутый"),
            )
            if flag
        ]
        return "разноуровневая: " + ", ".join(levels) if len(levels) > 1 else levels[0] if levels else ""

    @property
    def form_display(self) -> str:
        form = self.get_study_form_display()
        if self.uses_distance_learning:
            form += " с применением дистанционных технологий"
        return form

    @property
    def weekdays(self) -> list[str]:
        return [WEEKDAY_SHORT[d] for d in self.weekday_numbers]

    @property
    def weekday_numbers(self) -> list[int]:
        """The days of its groups' lessons: 0 is Monday."""
        return weekday_numbers(self.weekdays_mask)

    @property
    def funding_labels(self) -> list[str]:
        labels = []
        if self.is_free:
            labels.append("Бесплатно")
        if self.by_certificate:
            labels.append("По сертификату")
        if self.is_paid:
            price = self.price_per_month
            labels.append(f"Платно, {money.whole(price)}\u00a0₽/мес" if price is not None else "Платно")
        return labels

    @property
    def is_public(self) -> bool:
        return self.status == ModerationStatus.PUBLISHED

    @property
    def is_archived(self) -> bool:
        return self.status == ModerationStatus.ARCHIVED

    @property
    def pending_revision(self) -> "ProgramRevision | None":
        """The new revision of a published program waiting for moderation, if there is one (a
        program returned for changes takes its revision's values; an archived one keeps its
        revision, waiting for nobody, until it is restored: catalog.revisions.of)."""
        if self.status != ModerationStatus.PUBLISHED:
            return None
        try:
            return self.revision
        except ProgramRevision.DoesNotExist:
            return None


class ProgramRevision(models.Model):
    """Changes to a published program that wait for the moderator (see catalog.services.save_program).

    Families keep seeing the approved program meanwhile: the new values live here, field by field
    (only those that differ from the published ones), and reach the program when the moderator
    approves them. One revision per program at a time; further edits update it. An archived
    program keeps its revision until it is restored to the drafts, which take its values."""

    program = models.OneToOneField(Program, verbose_name="программа", on_delete=models.CASCADE, related_name="revision")
    status = models.CharField(
        "статус",
        max_length=16,
        choices=[(s.value, s.label) for s in NOT_YET_PUBLISHED],
        default=ModerationStatus.MODERATING,
    )
    # Field attname → the new value as JSON; a many-to-many field → the sorted list of ids.
    values = models.JSONField("новые значения", default=dict)
    remark = models.TextField("замечание модератора", blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="автор",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    submitted_at = models.DateTimeField("отправлена на модерацию", null=True, blank=True)
    created_at = models.DateTimeField("создана", auto_now_add=True)
    updated_at = models.DateTimeField("изменена", auto_now=True)

    class Meta:
        verbose_name = "новая редакция программы"
        verbose_name_plural = "новые редакции программ"
        ordering = ["submitted_at", "pk"]
        constraints = [
            models.CheckConstraint(
                name="program_revision_status",
                violation_error_message="Новая редакция бывает черновиком, на модерации или ожидает правки.",
                condition=Q(status__in=["draft", "moderating", "needs_changes"]),
            ),
        ]
        indexes = [models.Index(fields=["status", "submitted_at"], name="program_revision_queue")]

    def __str__(self) -> str:
        return f"Новая редакция «{self.program}»"

    def changes_status(self) -> str:
        """The status said of «изменения» (plural): «на модерации», «ожидают правки»."""
        if self.status == ModerationStatus.NEEDS_CHANGES:
            return "ожидают правки"
        return str(self.get_status_display()).lower()


def offering_seats(now: datetime) -> Q:
    """Groups whose free seats the Navigator offers: still meeting, not locked, applications not
    yet closed (a window opening later counts: the seats are there). catalog.services counts a
    program's seats by the same rule in SQL of its own, the one statement of every seat taken."""
    return Q(is_active=True, is_locked=False, end_date__gte=timezone.localdate(now)) & (
        Q(enrollment_closes_at__isnull=True) | Q(enrollment_closes_at__gt=now)
    )


# The same for a current group `g` in SQL (fixed statements on hot paths), with `now` as its parameter.
OFFERING_SEATS_SQL = "NOT g.is_locked AND (g.enrollment_closes_at IS NULL OR g.enrollment_closes_at > %s)"


class GroupQuerySet(models.QuerySet["Group"]):
    def current(self) -> "GroupQuerySet":
        """Groups that still meet: active and not yet ended."""
        return self.filter(is_active=True, end_date__gte=timezone.localdate())


def academic_year_label(year: int) -> str:
    """2026 → «2026/27»: an academic year by the year it begins in."""
    return f"{year}/{(year + 1) % 100:02d}"


class Group(PublicEntity):
    """A study group of a program: teacher, place, timetable, seats and enrollment window."""

    CODE_PREFIX = "GR"

    objects = GroupQuerySet.as_manager()

    program = models.ForeignKey(Program, verbose_name="программа", on_delete=models.CASCADE, related_name="groups")
    name = models.CharField("название группы", max_length=200)
    teacher = models.ForeignKey(
        "people.Teacher",
        verbose_name="педагог",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="groups",
    )
    address = models.CharField("адрес занятий", max_length=500)
    academic_year = models.PositiveSmallIntegerField(
        "учебный год (год начала)", validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    start_date = models.DateField("начало занятий")
    end_date = models.DateField("окончание занятий")
    enrollment_opens_at = models.DateTimeField("приём заявок с", null=True, blank=True)
    enrollment_closes_at = models.DateTimeField("приём заявок по", null=True, blank=True)
    age_from = models.PositiveSmallIntegerField("возраст с, лет", null=True, blank=True)
    age_to = models.PositiveSmallIntegerField("возраст по, лет", null=True, blank=True)
    capacity = models.PositiveSmallIntegerField(
        "мест в группе",
        validators=[MaxValueValidator(MAX_GROUP_CAPACITY, CAPACITY_LIMIT_MESSAGE)],
    )
    # Maintained by the enrollment actions under a row lock; the check below is the last defence.
    seats_taken = models.PositiveSmallIntegerField("занято мест", default=0, editable=False)
    hours_per_year = models.PositiveIntegerField(
        "часов в год",
        null=True,
        blank=True,
        validators=[
            MinValueValidator(1, "Часов в год должно быть больше нуля."),
            MaxValueValidator(MAX_HOURS_PER_YEAR, f"Часов в год — не больше {_count(MAX_HOURS_PER_YEAR)}."),
        ],
    )
    is_locked = models.BooleanField("приём закрыт", default=False)
    is_active = models.BooleanField("действует", default=True)

    class Meta:
        verbose_name = "группа"
        verbose_name_plural = "группы"
        ordering = ["program", "start_date", "name"]
        constraints = [
            models.CheckConstraint(
                name="group_capacity_positive",
                violation_error_message="В группе должно быть хотя бы одно место.",
                condition=Q(capacity__gt=0),
            ),
            models.CheckConstraint(
                name="group_capacity_limit",
                violation_error_message=CAPACITY_LIMIT_MESSAGE,
                condition=Q(capacity__lte=MAX_GROUP_CAPACITY),
            ),
            models.CheckConstraint(
                name="group_hours_per_year_range",
                violation_error_message=f"Часов в год — от 1 до {_count(MAX_HOURS_PER_YEAR)}.",
                condition=Q(hours_per_year__isnull=True)
                | Q(hours_per_year__gt=0, hours_per_year__lte=MAX_HOURS_PER_YEAR),
            ),
            models.CheckConstraint(
                name="group_seats_within_capacity",
                violation_error_message="Занятых мест не может быть больше, чем мест в группе.",
                condition=Q(seats_taken__lte=F("capacity")),
            ),
            models.CheckConstraint(
                name="group_dates_ordered",
                violation_error_message="Окончание занятий не может быть раньше начала.",
                condition=Q(start_date__lte=F("end_date")),
            ),
            models.CheckConstraint(
                name="group_enrollment_window_ordered",
                violation_error_message="Приём заявок должен заканчиваться позже, чем начинается.",
                condition=Q(enrollment_opens_at__isnull=True)
                | Q(enrollment_closes_at__isnull=True)
                | Q(enrollment_opens_at__lt=F("enrollment_closes_at")),
            ),
            models.CheckConstraint(
                name="group_age_range",
                violation_error_message="Возраст «с» не может быть больше возраста «по».",
                condition=Q(age_from__isnull=True) | Q(age_to__isnull=True) | Q(age_from__lte=F("age_to")),
            ),
            models.CheckConstraint(
                name="group_age_of_a_child",
                violation_error_message=f"Возраст — не больше {MAX_CHILD_AGE} лет.",
                condition=(Q(age_from__isnull=True) | Q(age_from__lte=MAX_CHILD_AGE))
                & (Q(age_to__isnull=True) | Q(age_to__lte=MAX_CHILD_AGE)),
            ),
        ]
        indexes = [models.Index(fields=["program", "is_active"], name="group_program_active")]

    def __str__(self) -> str:
        return f"{self.name} ({self.program})"

    @property
    def seats_left(self) -> int:
        return self.capacity - self.seats_taken

    @property
    def ages(self) -> tuple[int, int]:
        """The ages the group takes: its own range, or its program's."""
        if self.age_from is not None and self.age_to is not None:
            return self.age_from, self.age_to
        program = self.program
        return (
            self.age_from if self.age_from is not None else program.age_from,
            self.age_to if self.age_to is not None else program.age_to,
        )

    def age_on_first_lesson(self, birth_date: date) -> int:
        """A child's full years on the group's first lesson: the age its range (`ages`) is for."""
        return full_years(birth_date, self.start_date)

    def birth_dates(self) -> tuple[date, date]:
        """The earliest and the latest birth date (both taken) of the children its ages take."""
        low, high = self.ages
        return years_before(self.start_date, high + 1) + timedelta(days=1), years_before(self.start_date, low)

    def takes_child_born(self, birth_date: date) -> bool:
        earliest, latest = self.birth_dates()
        return earliest <= birth_date <= latest

    def enrollment_open(self, now: datetime) -> bool:
        """Whether applications are accepted at `now` (seats aside)."""
        return (
            not self.is_locked
            and (self.enrollment_opens_at is None or self.enrollment_opens_at <= now)
            and (self.enrollment_closes_at is None or self.enrollment_closes_at > now)
        )

    @property
    def academic_year_display(self) -> str:
        return academic_year_label(self.academic_year)


class ScheduleSlot(models.Model):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="schedule")
    weekday = models.PositiveSmallIntegerField("день недели", choices=Weekday.choices)
    starts_at = models.TimeField("начало")
    ends_at = models.TimeField("окончание")
    room = models.CharField("кабинет", max_length=64, blank=True)

    class Meta:
        verbose_name = "занятие в расписании"
        verbose_name_plural = "расписание"
        ordering = ["weekday", "starts_at"]
        constraints = [
            models.CheckConstraint(
                name="slot_weekday_valid",
                violation_error_message="День недели указан неверно.",
                condition=Q(weekday__lte=6),
            ),
            models.CheckConstraint(
                name="slot_time_ordered",
                violation_error_message="Занятие должно заканчиваться позже, чем начинается.",
                condition=Q(starts_at__lt=F("ends_at")),
            ),
        ]

    def __str__(self) -> str:
        return f"{WEEKDAY_SHORT[self.weekday]} {self.starts_at:%H:%M}–{self.ends_at:%H:%M}"


class GroupFinancing(models.Model):
    """One financing source of a group with its own cost (EPGU financingSources[{source, cost}])."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="financing")
    source = models.CharField("источник", max_length=16, choices=FundingSource.choices)
    cost_per_month = models.DecimalField(
        "стоимость в месяц, ₽",
        max_digits=10,
        decimal_places=2,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(MAX_PRICE_PER_MONTH, PRICE_LIMIT_MESSAGE)],
    )

    class Meta:
        verbose_name = "источник финансирования"
        verbose_name_plural = "источники финансирования"
        constraints = [
            models.UniqueConstraint(fields=["group", "source"], name="group_financing_unique_source"),
            models.CheckConstraint(
                name="group_financing_cost_nonnegative",
                violation_error_message="Стоимость не может быть отрицательной.",
                condition=Q(cost_per_month__gte=0),
            ),
            models.CheckConstraint(
                name="group_financing_cost_by_source",
                violation_error_message="Бесплатный источник — без стоимости, платный — со стоимостью больше нуля.",
                condition=Q(source=FundingSource.BUDGET, cost_per_month=0)
                | (~Q(source=FundingSource.BUDGET) & Q(cost_per_month__gt=0)),
            ),
            models.CheckConstraint(
                name="group_financing_cost_limit",
                violation_error_message=PRICE_LIMIT_MESSAGE,
                condition=Q(cost_per_month__lte=MAX_PRICE_PER_MONTH),
            ),
        ]

    def __str__(self) -> str:
        """«Бесплатно (муниципальное задание)», «Платно: 1 500 ₽/мес»: a free source shows no cost."""
        if self.source == FundingSource.BUDGET:
            return self.get_source_display()
        return f"{self.get_source_display()}: {money.whole(self.cost_per_month)}\u00a0₽/мес"


MAX_LEXEME = 100  # longer tokens (links, codes) are not searched for


class SearchTerm(models.Model):
    """A word of the catalog's vocabulary, for correcting typos in queries."""

    word = models.CharField(max_length=64, unique=True)
    stem = models.CharField(max_length=64, db_index=True)
    frequency = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = "слово каталога"
        verbose_name_plural = "словарь поиска"

    def __str__(self) -> str:
        return self.word


class SearchPosting(models.Model):
    """The inverted index of search documents: programs containing a lexeme, as a bitmap over
    program ids (bit i of byte i // 8 is program i), and those having it in the title.

    The in-process search index reads a row per query word, so a word found in 30 000 programs
    costs one 12-kilobyte row instead of 30 000 heap visits. Kept by catalog.search.
    """

    lexeme = models.CharField("лексема", max_length=MAX_LEXEME, primary_key=True)
    programs = models.BinaryField("программы", default=b"")
    title_programs = models.BinaryField("программы со словом в названии", default=b"")

    class Meta:
        verbose_name = "слово поискового индекса"
        verbose_name_plural = "поисковый индекс"
        indexes = [models.Index(fields=["lexeme"], name="posting_lexeme_prefix", opclasses=["varchar_pattern_ops"])]

    def __str__(self) -> str:
        return self.lexeme
