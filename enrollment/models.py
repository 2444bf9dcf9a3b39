"""Applications (заявки) of children to programs and groups, and the history of each.

A seat is held by an application that is invited (приглашение, with a deadline) or enrolled
(зачислен). The group's `seats_taken` counts them; it moves only together with the status, in
the same transaction, by a conditional UPDATE, and the database refuses a count above capacity.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.fields import CopiedForeignKey
from core.models import PublicEntity


class ApplicationStatus(models.TextChoices):
    NEW = "new", "Новая"
    REVIEWING = "reviewing", "На рассмотрении"
    INVITED = "invited", "Приглашение"
    ENROLLED = "enrolled", "Зачислен"
    WAITLISTED = "waitlisted", "В очереди"
    REJECTED = "rejected", "Отказ"
    CANCELLED = "cancelled", "Отменена семьёй"
    EXPIRED = "expired", "Истёк срок"
    EXPELLED = "expelled", "Отчислен"


class ApplicationSource(models.TextChoices):
    NAVIGATOR = "navigator", "Навигатор"
    IMPORT = "import", "Импорт списка организации"


S = ApplicationStatus
ACTIVE_STATUSES = (S.NEW, S.REVIEWING, S.INVITED, S.ENROLLED, S.WAITLISTED)
SEAT_STATUSES = (S.INVITED, S.ENROLLED)


class Application(PublicEntity):
    CODE_PREFIX = "AP"
    # The place in the queue read together with the write that queued this instance (the answer
    # to the family needs no second query); None: not known, ask `services.waitlist_position`.
    # It is the place as the write's snapshot saw the queue: two families queued in the same instant
    # may be told the same place; every later read counts again.
    known_waitlist_position: int | None = None

    child = models.ForeignKey(
        "people.Child", verbose_name="ребёнок", on_delete=models.PROTECT, related_name="applications"
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="заявитель", on_delete=models.PROTECT, related_name="applications"
    )
    program = models.ForeignKey(
        "catalog.Program", verbose_name="программа", on_delete=models.PROTECT, related_name="applications"
    )
    # The program's organization and municipality, copied: an organization's or a territory's
    # applications are listed along an index of their own, not through the programs (at regional
    # size PostgreSQL otherwise sorts every application and reads a program for each, 0.2–0.9 s).
    # enrollment.receivers keeps them when a program moves.
    organization = CopiedForeignKey(
        "catalog.Organization",
        verbose_name="организация",
        on_delete=models.PROTECT,
        related_name="+",
        copied_from="program",
        db_index=False,  # the indexes below start with it
    )
    municipality = CopiedForeignKey(
        "territory.Municipality",
        verbose_name="муниципалитет",
        on_delete=models.PROTECT,
        related_name="+",
        copied_from="program",
        db_index=False,
    )
    # Empty for "any group of this program" until a seat is given.
    group = models.ForeignKey(
        "catalog.Group",
        verbose_name="группа",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="applications",
    )
    status = models.CharField("статус", max_length=16, choices=ApplicationStatus.choices, default=S.NEW)
    deadline = models.DateTimeField("ответить на приглашение до", null=True, blank=True)
    waitlisted_at = models.DateTimeField("в очереди с", null=True, blank=True)
    reason = models.TextField("причина", blank=True)
    enrolled_on = models.DateField("дата зачисления", null=True, blank=True)
    left_on = models.DateField("дата отчисления", null=True, blank=True)
    source = models.CharField("откуда", max_length=16, choices=ApplicationSource.choices, default="navigator")
    # The same key from the same person is the same application: double clicks, retries, reconnects.
    idempotency_key = models.CharField("ключ повтора", max_length=64)

    class Meta:
        verbose_name = "заявка"
        verbose_name_plural = "заявки"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["applicant", "idempotency_key"], name="application_idempotency_key"),
            models.UniqueConstraint(
                fields=["child", "program"],
                condition=Q(status__in=ACTIVE_STATUSES),
                name="application_one_active_per_child_and_program",
                violation_error_message="У ребёнка уже есть действующая заявка на эту программу.",
            ),
            models.CheckConstraint(
                name="application_seat_has_group",
                violation_error_message="Приглашённый или зачисленный ребёнок должен быть в группе.",
                condition=~Q(status__in=SEAT_STATUSES) | Q(group__isnull=False),
            ),
            models.CheckConstraint(
                name="application_invitation_has_deadline",
                violation_error_message="У приглашения должен быть срок ответа.",
                condition=~Q(status=S.INVITED) | Q(deadline__isnull=False),
            ),
            models.CheckConstraint(
                name="application_enrollment_has_date",
                violation_error_message="У зачисления должна быть дата.",
                condition=~Q(status__in=(S.ENROLLED, S.EXPELLED)) | Q(enrolled_on__isnull=False),
            ),
            models.CheckConstraint(
                name="application_left_after_enrolled",
                violation_error_message="Дата отчисления раньше даты зачисления.",
                condition=Q(left_on__isnull=True)
                | Q(enrolled_on__isnull=True)
                | Q(left_on__gte=models.F("enrolled_on")),
            ),
            models.CheckConstraint(
                name="application_waitlist_has_time",
                violation_error_message="У заявки в очереди должно быть время постановки.",
                condition=~Q(status=S.WAITLISTED) | Q(waitlisted_at__isnull=False),
            ),
        ]
        indexes = [
            models.Index(fields=["group", "status", "waitlisted_at"], name="application_group_queue"),
            models.Index(fields=["program", "status", "waitlisted_at"], name="application_program_queue"),
            models.Index(fields=["child", "status"], name="application_child_status"),
            models.Index(fields=["status", "deadline"], name="application_deadline"),
            # Lists of an organization's, a municipality's and the region's applications, by date.
            models.Index(fields=["organization", "created_at", "id"], name="application_organization_list"),
            models.Index(fields=["municipality", "created_at", "id"], name="application_municipality_list"),
            models.Index(fields=["created_at", "id"], name="application_list"),
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.child} → {self.program}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class ApplicationEvent(models.Model):
    """One transition of an application: who, when, from which status to which, and why."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="events")
    created_at = models.DateTimeField("время", auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="кто",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Пусто — система (очередь, истечение срока).",
    )
    from_status = models.CharField("было", max_length=16, choices=ApplicationStatus.choices, blank=True)
    to_status = models.CharField("стало", max_length=16, choices=ApplicationStatus.choices)
    group = models.ForeignKey(
        "catalog.Group", verbose_name="группа", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField("причина", blank=True)

    class Meta:
        verbose_name = "событие заявки"
        verbose_name_plural = "история заявок"
        ordering = ["application", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.application_id}: {self.from_status or '—'} → {self.to_status}"


class CampaignKind(models.TextChoices):
    FIRST_COME = "first_come", "В порядке очереди"
    PREFERENCES = "preferences", "По выбору семей с распределением"


class CampaignStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Запланирована"
    ALLOCATING = "allocating", "Идёт распределение"
    ALLOCATED = "allocated", "Распределение завершено"
    CANCELLED = "cancelled", "Отменена"


class Campaign(PublicEntity):
    """An enrollment campaign of a municipality for a set of programs.

    First come: applications open at `opens_at` and each takes a free seat at once, in the order
    they arrive, or joins the queue. Preferences: until `closes_at` families rank up to
    `max_choices` groups per child; then deferred acceptance allocates the seats with the chosen
    priorities and a lottery whose seed is published."""

    CODE_PREFIX = "CA"

    municipality = models.ForeignKey(
        "territory.Municipality", verbose_name="муниципалитет", on_delete=models.PROTECT, related_name="campaigns"
    )
    name = models.CharField("название", max_length=200)
    kind = models.CharField("порядок приёма", max_length=16, choices=CampaignKind.choices)
    programs = models.ManyToManyField("catalog.Program", verbose_name="программы", related_name="campaigns")
    opens_at = models.DateTimeField("приём заявок с")
    closes_at = models.DateTimeField("приём заявок по", null=True, blank=True)
    max_choices = models.PositiveSmallIntegerField("групп в выборе ребёнка, не больше", default=3)
    priority_ovz = models.BooleanField("приоритет детям с ОВЗ", default=True)
    priority_siblings = models.BooleanField("приоритет братьям и сёстрам занимающихся в организации", default=True)
    priority_residents = models.BooleanField("приоритет жителям муниципалитета", default=True)
    status = models.CharField("статус", max_length=16, choices=CampaignStatus.choices, default=CampaignStatus.SCHEDULED)
    lottery_seed = models.BigIntegerField("зерно жребия", null=True, blank=True, help_text="Публикуется для проверки.")
    progress = models.PositiveSmallIntegerField("ход распределения, %", default=0)
    allocated_at = models.DateTimeField("распределено", null=True, blank=True)
    summary = models.JSONField("итоги", default=dict, blank=True)
    cancel_reason = models.CharField("причина отмены", max_length=500, blank=True)

    class Meta:
        verbose_name = "приёмная кампания"
        verbose_name_plural = "приёмные кампании"
        ordering = ["-opens_at"]
        constraints = [
            models.CheckConstraint(
                name="campaign_window_ordered",
                violation_error_message="Приём должен заканчиваться позже, чем начинается.",
                condition=Q(closes_at__isnull=True) | Q(opens_at__lt=models.F("closes_at")),
            ),
            models.CheckConstraint(
                name="campaign_preferences_close",
                violation_error_message="Для распределения по выбору семей укажите, когда закрывается приём.",
                condition=~Q(kind=CampaignKind.PREFERENCES) | Q(closes_at__isnull=False),
            ),
            models.CheckConstraint(
                name="campaign_max_choices_range",
                violation_error_message="Ребёнок может выбрать от 1 до 10 групп.",
                condition=Q(max_choices__gte=1, max_choices__lte=10),
            ),
            models.CheckConstraint(
                name="campaign_progress_percent",
                violation_error_message="Ход распределения — от 0 до 100 %%.",
                condition=Q(progress__lte=100),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def status_label(self) -> str:
        """The status as staff read it: before its allocation a campaign is also before, in or after
        its window of applications."""
        if self.status != CampaignStatus.SCHEDULED:
            return self.get_status_display()
        now = timezone.now()
        if now < self.opens_at:
            return str(CampaignStatus.SCHEDULED.label)
        if self.closes_at is None or now < self.closes_at:
            return "Идёт приём заявок"
        return "Приём завершён, ждёт распределения" if self.kind == CampaignKind.PREFERENCES else "Приём завершён"


class CampaignChoice(models.Model):
    """One ranked choice of a child in a preference campaign, and after the allocation its outcome."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="choices")
    child = models.ForeignKey("people.Child", verbose_name="ребёнок", on_delete=models.CASCADE, related_name="+")
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="заявитель", on_delete=models.PROTECT, related_name="+"
    )
    rank = models.PositiveSmallIntegerField("место в выборе")
    group = models.ForeignKey("catalog.Group", verbose_name="группа", on_delete=models.PROTECT, related_name="+")
    outcome = models.TextField("результат", blank=True)
    created_at = models.DateTimeField("выбрано", auto_now_add=True)

    class Meta:
        verbose_name = "выбор группы в кампании"
        verbose_name_plural = "выбор групп в кампаниях"
        ordering = ["campaign", "child", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "child", "rank"], name="campaign_choice_rank_unique"),
            models.UniqueConstraint(fields=["campaign", "child", "group"], name="campaign_choice_group_unique"),
            models.CheckConstraint(name="campaign_choice_rank_positive", condition=Q(rank__gte=1)),
        ]

    def __str__(self) -> str:
        return f"{self.child} — {self.rank}: {self.group}"


class Holiday(models.Model):
    """A day without lessons (public holidays, school breaks), skipped when lessons are generated:
    of one region (its breaks, its own holidays), or of every region (federal holidays)."""

    date = models.DateField("дата")
    name = models.CharField("название", max_length=200)
    region = models.ForeignKey(
        "territory.Region",
        verbose_name="регион",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="holidays",
        help_text="Пусто — нерабочий день всех регионов (федеральный праздник).",
    )

    class Meta:
        verbose_name = "нерабочий день"
        verbose_name_plural = "нерабочие дни"
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(
                fields=["date"], condition=Q(region__isnull=True), name="holiday_date_everywhere_unique"
            ),
            models.UniqueConstraint(
                fields=["region", "date"], condition=Q(region__isnull=False), name="holiday_region_date_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date:%d.%m.%Y} — {self.name}"


class Lesson(models.Model):
    """One lesson of a group, generated from its timetable."""

    group = models.ForeignKey("catalog.Group", verbose_name="группа", on_delete=models.CASCADE, related_name="lessons")
    date = models.DateField("дата")
    starts_at = models.TimeField("начало")
    ends_at = models.TimeField("окончание")
    is_cancelled = models.BooleanField("отменено", default=False)

    class Meta:
        verbose_name = "занятие"
        verbose_name_plural = "занятия"
        ordering = ["group", "date", "starts_at"]
        constraints = [
            models.UniqueConstraint(fields=["group", "date", "starts_at"], name="lesson_unique_per_group_time"),
            models.CheckConstraint(
                name="lesson_time_ordered",
                violation_error_message="Занятие должно заканчиваться позже, чем начинается.",
                condition=Q(starts_at__lt=models.F("ends_at")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.group} {self.date:%d.%m.%Y} {self.starts_at:%H:%M}"


class Attendance(models.Model):
    """Whether an enrolled child was at a lesson, as the teacher marked it."""

    lesson = models.ForeignKey(Lesson, verbose_name="занятие", on_delete=models.CASCADE, related_name="attendance")
    application = models.ForeignKey(
        Application, verbose_name="зачисление", on_delete=models.CASCADE, related_name="attendance"
    )
    present = models.BooleanField("присутствовал")
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="отметил", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    marked_at = models.DateTimeField("отмечено", auto_now=True)

    class Meta:
        verbose_name = "отметка посещаемости"
        verbose_name_plural = "посещаемость"
        constraints = [
            models.UniqueConstraint(fields=["lesson", "application"], name="attendance_once_per_lesson"),
        ]

    def __str__(self) -> str:
        return f"{self.lesson}: {'был' if self.present else 'не был'}"


class EnrollmentOrder(PublicEntity):
    """An order (приказ) of an organization enrolling children into a group: numbered per
    organization and year, signed on paper, kept here with the children it names."""

    CODE_PREFIX = "OD"

    organization = models.ForeignKey(
        "catalog.Organization", verbose_name="организация", on_delete=models.PROTECT, related_name="orders"
    )
    group = models.ForeignKey("catalog.Group", verbose_name="группа", on_delete=models.PROTECT, related_name="orders")
    year = models.PositiveSmallIntegerField("год")
    sequence = models.PositiveIntegerField("порядковый номер в году")
    date = models.DateField("дата приказа")
    applications = models.ManyToManyField(Application, verbose_name="зачисленные", related_name="orders")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="подготовил", null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "приказ о зачислении"
        verbose_name_plural = "приказы о зачислении"
        ordering = ["-date", "-sequence"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "year", "sequence"], name="order_number_unique"),
        ]

    def __str__(self) -> str:
        return f"Приказ № {self.number} от {self.date:%d.%m.%Y}"

    @property
    def number(self) -> str:
        return f"{self.sequence}-ДО"


class AdmissionWatch(models.Model):
    """A parent waits for a program's admission to open and gets one letter when it does
    (enrollment.watches), instead of refreshing the page on enrollment day. A notified watch stays
    as a record of the letter; watching again after it is a new watch."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="родитель", on_delete=models.CASCADE, related_name="admission_watches"
    )
    program = models.ForeignKey(
        "catalog.Program", verbose_name="программа", on_delete=models.CASCADE, related_name="admission_watches"
    )
    created_at = models.DateTimeField("ждёт с", auto_now_add=True)
    notified_at = models.DateTimeField("письмо отправлено", null=True, blank=True)

    class Meta:
        verbose_name = "ожидание открытия записи"
        verbose_name_plural = "ожидания открытия записи"
        ordering = ["-created_at", "-id"]
        constraints = [
            # Program first: the index also finds a program's waiting watches when its admission opens.
            models.UniqueConstraint(
                fields=["program", "user"], condition=Q(notified_at__isnull=True), name="admission_watch_one_waiting"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.program}"

    @property
    def waiting(self) -> bool:
        return self.notified_at is None


class SavedProgram(models.Model):
    """A program a parent keeps in «Избранное» to compare and come back to (enrollment.shortlist): on enrollment
    day the shortlist is at hand instead of a search made again. The parent's own; no organization reads it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="родитель", on_delete=models.CASCADE, related_name="saved_programs"
    )
    program = models.ForeignKey(
        "catalog.Program", verbose_name="программа", on_delete=models.CASCADE, related_name="saved_by"
    )
    created_at = models.DateTimeField("сохранена", auto_now_add=True)

    class Meta:
        verbose_name = "программа в избранном"
        verbose_name_plural = "избранное семей"
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "program"], name="saved_program_once")]

    def __str__(self) -> str:
        return f"{self.user} — {self.program}"


MAX_SEARCH_ALERTS = 20  # a parent's searches kept for letters: more would be a mailing list, not a search


class SearchAlert(models.Model):
    """«Сообщать о новых программах»: a parent's search kept so that a letter tells the parent of the programs
    published later that it finds (enrollment.search_alerts). Its query string is the search page's, without
    the page, order or view; it is read again at every check, as the page would read it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="родитель", on_delete=models.CASCADE, related_name="search_alerts"
    )
    query = models.CharField("поиск", max_length=2000, help_text="Параметры страницы поиска: q=бокс&age=10")
    created_at = models.DateTimeField("подписка с", auto_now_add=True)
    # The programs published up to this moment have been looked at: the next check looks at those published after.
    checked_at = models.DateTimeField("проверено до")
    # What the monitoring counts (what families wait for, where), written from the query when the alert is kept:
    # the search's words, normalized, and its municipality — or the parent's, when the search names none.
    words = models.CharField("слова поиска", max_length=200, blank=True)
    municipality = models.ForeignKey(
        "territory.Municipality",
        verbose_name="муниципалитет",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "подписка на поиск"
        verbose_name_plural = "подписки на поиск"
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "query"], name="search_alert_once")]
        indexes = [models.Index(fields=["municipality", "words"], name="search_alert_demand")]

    def __str__(self) -> str:
        return f"{self.user} — {self.query}"


class SearchAlertProgram(models.Model):
    """A program a search alert's letter told of: never told twice, however often it is published again."""

    alert = models.ForeignKey(SearchAlert, verbose_name="подписка", on_delete=models.CASCADE)
    program = models.ForeignKey("catalog.Program", verbose_name="программа", on_delete=models.CASCADE)
    told_at = models.DateTimeField("письмо")

    class Meta:
        verbose_name = "программа из письма подписки"
        verbose_name_plural = "программы из писем подписок"
        constraints = [models.UniqueConstraint(fields=["alert", "program"], name="search_alert_told_once")]

    def __str__(self) -> str:
        return f"{self.alert} — {self.program}"
