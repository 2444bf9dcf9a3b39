"""Personified financing (ПФДО): certificates, registers, contracts and the ledger of their money.

Money is kept in whole kopecks (integers) wherever it is computed or moved; the rates people enter
(nominal, hourly cost, caps) are roubles with two decimals. The ledger is append-only: each
posting moves a positive amount from one account (debit) to another (credit), so every operation
balances by construction, and each account's cached balance is guarded by a check constraint
where it must never go below zero.
"""

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from core.models import PublicEntity, TimestampedModel


def rubles(kopecks: int) -> Decimal:
    return (Decimal(kopecks) / 100).quantize(Decimal("0.01"))


def kopecks(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


def first_day(day: date) -> date:
    return day.replace(day=1)


def months_between(start: date, end: date) -> int:
    """Calendar months from the month of `start` to the month of `end`, both counted."""
    return (end.year - start.year) * 12 + end.month - start.month + 1


class FinancingPeriod(TimestampedModel):
    """A municipality's financing period (usually the calendar or academic year) with its rules."""

    municipality = models.ForeignKey(
        "territory.Municipality", verbose_name="муниципалитет", on_delete=models.PROTECT, related_name="periods"
    )
    name = models.CharField("название", max_length=100)
    starts_on = models.DateField("начало")
    ends_on = models.DateField("окончание")
    # The reference portal's payer settings (pfdo.ru): how long a certificate stays ПФ without an
    # application, and how long a contract may wait for the provider and then for the family.
    downgrade_after_days = models.PositiveSmallIntegerField(
        "дней без заявки до возврата в сертификат учёта", default=30
    )
    refuse_requested_after_days = models.PositiveSmallIntegerField(
        "дней ожидания подтверждения договора организацией", default=5
    )
    refuse_confirmed_after_days = models.PositiveSmallIntegerField(
        "дней ожидания заключения договора семьёй", default=10
    )

    class Meta:
        verbose_name = "период финансирования"
        verbose_name_plural = "периоды финансирования"
        ordering = ["municipality", "-starts_on"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "starts_on"], name="period_unique_start"),
            models.CheckConstraint(
                name="period_ordered",
                violation_error_message="Период должен заканчиваться позже, чем начинается.",
                condition=Q(starts_on__lt=F("ends_on")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.municipality}: {self.name}"


class NominalKind(models.TextChoices):
    RUBLES = "rubles", "В рублях"
    HOURS = "hours", "В часах недельной нагрузки"


class CertificateGroup(TimestampedModel):
    """A category of certificates in a period: its nominal and the caps on how many are funded."""

    period = models.ForeignKey(
        FinancingPeriod, verbose_name="период", on_delete=models.PROTECT, related_name="certificate_groups"
    )
    name = models.CharField("название", max_length=200)
    age_from = models.PositiveSmallIntegerField("возраст с, лет", default=5)
    age_to = models.PositiveSmallIntegerField("возраст по, лет", default=17)
    nominal_kind = models.CharField("номинал", max_length=8, choices=NominalKind.choices, default=NominalKind.RUBLES)
    nominal = models.DecimalField(
        "номинал, ₽", max_digits=12, decimal_places=2, default=Decimal(0), validators=[MinValueValidator(0)]
    )
    weekly_hours = models.DecimalField(
        "часов в неделю", max_digits=5, decimal_places=2, default=Decimal(0), validators=[MinValueValidator(0)]
    )
    significant_extra_hours = models.DecimalField(
        "дополнительно часов на программы реестра значимых",
        max_digits=5,
        decimal_places=2,
        default=Decimal(0),
        validators=[MinValueValidator(0)],
    )
    max_certificates = models.PositiveIntegerField("сертификатов ПФ, не больше")
    max_nominal_total = models.DecimalField(
        "сумма номиналов, не больше (₽ или часов)",
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(0)],
    )
    # Kept with the caps, moved under the group's row lock; the database refuses going over.
    funded_count = models.PositiveIntegerField("сертификатов ПФ выдано", default=0, editable=False)
    funded_total = models.DecimalField(
        "сумма выданных номиналов", max_digits=14, decimal_places=2, default=Decimal(0), editable=False
    )

    class Meta:
        verbose_name = "группа сертификатов"
        verbose_name_plural = "группы сертификатов"
        ordering = ["period", "age_from", "name"]
        constraints = [
            models.CheckConstraint(
                name="certificate_group_count_within_cap",
                violation_error_message="Достигнуто наибольшее число сертификатов ПФ в группе.",
                condition=Q(funded_count__lte=F("max_certificates")),
            ),
            models.CheckConstraint(
                name="certificate_group_total_within_cap",
                violation_error_message="Достигнута наибольшая сумма номиналов в группе.",
                condition=Q(funded_total__lte=F("max_nominal_total")) & Q(funded_total__gte=0),
            ),
            models.CheckConstraint(name="certificate_group_ages_ordered", condition=Q(age_from__lte=F("age_to"))),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.period.name})"

    def clean(self) -> None:
        """The nominal of a group that has funded certificates stays as it was: the ledger and the
        caps counted them at that nominal (a new period gets a new group)."""
        if self.pk is None:
            return
        before = CertificateGroup.objects.filter(pk=self.pk).values(*NOMINAL_FIELDS).first()
        if before and self.funded_count and any(before[f] != getattr(self, f) for f in NOMINAL_FIELDS):
            raise ValidationError(
                f"По группе уже выданы сертификаты ПФ ({self.funded_count}): номинал менять нельзя. "
                "Создайте новую группу или новый период."
            )

    @property
    def nominal_value(self) -> Decimal:
        """What one certificate takes from the caps: roubles or weekly hours."""
        return (
            self.nominal
            if self.nominal_kind == NominalKind.RUBLES
            else self.weekly_hours + self.significant_extra_hours
        )


NOMINAL_FIELDS = ("nominal_kind", "nominal", "weekly_hours", "significant_extra_hours")


class CertificateStatus(models.TextChoices):
    REQUESTED = "requested", "Заявление подано"
    ACCOUNTING = "accounting", "Сертификат учёта"
    FINANCING = "financing", "Сертификат ПФ"
    DECLINED = "declined", "В выдаче отказано"


class Certificate(PublicEntity):
    """A child's certificate of additional education: one per child, valid until 18."""

    CODE_PREFIX = "CE"

    child = models.OneToOneField(
        "people.Child", verbose_name="ребёнок", on_delete=models.PROTECT, related_name="certificate"
    )
    municipality = models.ForeignKey(
        "territory.Municipality", verbose_name="муниципалитет", on_delete=models.PROTECT, related_name="certificates"
    )
    number = models.CharField("номер", max_length=16, unique=True, null=True, blank=True, editable=False)
    status = models.CharField(
        "статус", max_length=12, choices=CertificateStatus.choices, default=CertificateStatus.REQUESTED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="заявитель", on_delete=models.PROTECT, related_name="+"
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="личность подтвердил",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    issued_on = models.DateField("выдан", null=True, blank=True)
    valid_until = models.DateField("действует до")
    # ПФ: the group (and so the period) whose nominal the certificate holds now.
    group = models.ForeignKey(
        CertificateGroup,
        verbose_name="группа сертификатов",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="certificates",
    )
    financing_since = models.DateTimeField("сертификат ПФ с", null=True, blank=True)
    last_activity_at = models.DateTimeField("последняя заявка по сертификату", null=True, blank=True)
    # The hours model: the weekly load the certificate pays for, and how much of it contracts use.
    weekly_hours = models.DecimalField("часов в неделю", max_digits=5, decimal_places=2, default=Decimal(0))
    weekly_hours_used = models.DecimalField("часов в неделю занято", max_digits=5, decimal_places=2, default=Decimal(0))
    significant_hours = models.DecimalField(
        "часов на программы реестра значимых", max_digits=5, decimal_places=2, default=Decimal(0)
    )
    significant_hours_used = models.DecimalField(
        "часов на программы реестра значимых занято", max_digits=5, decimal_places=2, default=Decimal(0)
    )

    class Meta:
        verbose_name = "сертификат"
        verbose_name_plural = "сертификаты"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                name="certificate_issued_has_number",
                violation_error_message="У выданного сертификата должен быть номер.",
                condition=~Q(status__in=["accounting", "financing"]) | Q(number__isnull=False),
            ),
            models.CheckConstraint(
                name="certificate_financing_has_group",
                violation_error_message="У сертификата ПФ должна быть группа сертификатов.",
                condition=~Q(status="financing") | Q(group__isnull=False),
            ),
            models.CheckConstraint(
                name="certificate_hours_within_allowance",
                violation_error_message="Часов недельной нагрузки на сертификате не хватает.",
                condition=Q(weekly_hours_used__gte=0)
                & Q(weekly_hours_used__lte=F("weekly_hours"))
                & Q(significant_hours_used__gte=0)
                & Q(significant_hours_used__lte=F("significant_hours")),
            ),
        ]
        indexes = [models.Index(fields=["municipality", "status"], name="certificate_territory_status")]

    def __str__(self) -> str:
        return f"Сертификат {self.number or self.code}"

    @property
    def is_issued(self) -> bool:
        return self.status in (CertificateStatus.ACCOUNTING, CertificateStatus.FINANCING)

    @property
    def hours_left(self) -> Decimal:
        return self.weekly_hours - self.weekly_hours_used

    @property
    def significant_hours_left(self) -> Decimal:
        return self.significant_hours - self.significant_hours_used


class CertificateEvent(models.Model):
    """A status change of a certificate: who, when, why."""

    certificate = models.ForeignKey(Certificate, on_delete=models.CASCADE, related_name="events")
    created_at = models.DateTimeField("время", auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="кто", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_status = models.CharField("было", max_length=12, choices=CertificateStatus.choices, blank=True)
    to_status = models.CharField("стало", max_length=12, choices=CertificateStatus.choices)
    reason = models.TextField("причина", blank=True)

    class Meta:
        verbose_name = "изменение сертификата"
        verbose_name_plural = "история сертификатов"
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.certificate}: {self.from_status} → {self.to_status}"


class ProviderStatus(models.TextChoices):
    ACTIVE = "active", "В реестре"
    EXCLUDED = "excluded", "Исключён из реестра"


class Provider(TimestampedModel):
    """The register of providers (реестр исполнителей): organizations that may be paid by certificates."""

    organization = models.OneToOneField(
        "catalog.Organization", verbose_name="организация", on_delete=models.PROTECT, related_name="provider"
    )
    status = models.CharField("статус", max_length=12, choices=ProviderStatus.choices, default=ProviderStatus.ACTIVE)
    included_on = models.DateField("включён в реестр")
    bank_account = models.CharField("расчётный счёт", max_length=20, blank=True)
    bik = models.CharField("БИК", max_length=9, blank=True)

    class Meta:
        verbose_name = "исполнитель услуг"
        verbose_name_plural = "реестр исполнителей услуг"
        ordering = ["organization__short_name"]

    def __str__(self) -> str:
        return str(self.organization)


class Agreement(TimestampedModel):
    """An agreement (соглашение) of the payer (the municipality) with a provider for a period:
    without one, no contract of the provider can be confirmed."""

    period = models.ForeignKey(FinancingPeriod, verbose_name="период", on_delete=models.PROTECT, related_name="+")
    provider = models.ForeignKey(
        Provider, verbose_name="исполнитель", on_delete=models.PROTECT, related_name="agreements"
    )
    number = models.CharField("номер соглашения", max_length=64)
    signed_on = models.DateField("дата")
    is_active = models.BooleanField("действует", default=True)

    class Meta:
        verbose_name = "соглашение с исполнителем"
        verbose_name_plural = "соглашения с исполнителями"
        constraints = [models.UniqueConstraint(fields=["period", "provider"], name="agreement_one_per_period")]

    def __str__(self) -> str:
        return f"Соглашение № {self.number} ({self.provider})"


class CertificationStatus(models.TextChoices):
    PENDING = "pending", "На сертификации"
    CERTIFIED = "certified", "Сертифицирована"
    DENIED = "denied", "В сертификации отказано"


class Certification(TimestampedModel):
    """A program's certification: the municipal operator's decision and its normative cost."""

    program = models.OneToOneField(
        "catalog.Program", verbose_name="программа", on_delete=models.PROTECT, related_name="certification"
    )
    status = models.CharField(
        "статус", max_length=12, choices=CertificationStatus.choices, default=CertificationStatus.PENDING
    )
    hourly_cost = models.DecimalField(
        "нормативная стоимость часа, ₽",
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    remark = models.TextField("замечания", blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="подал", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="решение принял",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField("решение", null=True, blank=True)

    class Meta:
        verbose_name = "сертификация программы"
        verbose_name_plural = "реестр сертифицированных программ"
        ordering = ["-updated_at"]
        constraints = [
            models.CheckConstraint(
                name="certification_certified_has_cost",
                violation_error_message="У сертифицированной программы должна быть нормативная стоимость часа.",
                condition=~Q(status="certified") | Q(hourly_cost__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"{self.program}: {self.get_status_display()}"

    @property
    def normative_cost(self) -> Decimal:
        return sum((m.normative_cost for m in self.modules.all()), Decimal(0))


class ProgramModule(models.Model):
    """A part (year, module) of a certified program with its own hours, months and price."""

    certification = models.ForeignKey(Certification, on_delete=models.CASCADE, related_name="modules")
    order = models.PositiveSmallIntegerField("№ модуля", default=1)
    name = models.CharField("модуль", max_length=200)
    months = models.PositiveSmallIntegerField("месяцев", validators=[MinValueValidator(1), MaxValueValidator(24)])
    hours = models.PositiveIntegerField("часов", validators=[MinValueValidator(1)])
    weekly_hours = models.DecimalField(
        "часов в неделю", max_digits=5, decimal_places=2, validators=[MinValueValidator(Decimal("0.5"))]
    )
    price = models.DecimalField(
        "цена модуля у исполнителя, ₽", max_digits=12, decimal_places=2, validators=[MinValueValidator(0)]
    )

    class Meta:
        verbose_name = "модуль программы"
        verbose_name_plural = "модули программы"
        ordering = ["certification", "order"]
        constraints = [
            models.UniqueConstraint(fields=["certification", "order"], name="module_unique_order"),
            models.CheckConstraint(name="module_months_positive", condition=Q(months__gte=1) & Q(hours__gte=1)),
        ]

    def __str__(self) -> str:
        return f"{self.order}. {self.name}"

    @property
    def normative_cost(self) -> Decimal:
        """Cost per hour × hours (the reference portal rounds to roubles; we keep kopecks)."""
        hourly = self.certification.hourly_cost or Decimal(0)
        return (hourly * self.hours).quantize(Decimal("0.01"))


class PaymentOrder(models.TextChoices):
    FULL = "full", "За каждый месяц независимо от посещаемости"
    ATTENDANCE = "attendance", "Пропорционально посещённым занятиям"


class ContractStatus(models.TextChoices):
    CREATED = "created", "Создан, ожидает подтверждения"
    CONFIRMED = "confirmed", "Подтверждён, ожидает заключения"
    ACTIVE = "active", "Действует"
    TERMINATED = "terminated", "Расторгнут"
    REJECTED = "rejected", "Отклонён"


PENDING_CONTRACT = (ContractStatus.CREATED, ContractStatus.CONFIRMED)
LIVE_CONTRACT = (ContractStatus.CREATED, ContractStatus.CONFIRMED, ContractStatus.ACTIVE)


class Contract(PublicEntity):
    """A contract on education (договор об образовании) paid by a certificate.

    The amounts are fixed when it is created: the certificate's part and the family's co-payment,
    each split into the first month's and every other month's payment (the first month takes the
    rounding remainder). Their sum over the months is what the contract reserves."""

    CODE_PREFIX = "DG"

    certificate = models.ForeignKey(
        Certificate, verbose_name="сертификат", on_delete=models.PROTECT, related_name="contracts"
    )
    application = models.ForeignKey(
        "enrollment.Application", verbose_name="заявка", on_delete=models.PROTECT, related_name="contracts"
    )
    group = models.ForeignKey("catalog.Group", verbose_name="группа", on_delete=models.PROTECT, related_name="+")
    provider = models.ForeignKey(Provider, verbose_name="исполнитель", on_delete=models.PROTECT, related_name="+")
    period = models.ForeignKey(FinancingPeriod, verbose_name="период", on_delete=models.PROTECT, related_name="+")
    module = models.ForeignKey(ProgramModule, verbose_name="модуль", on_delete=models.PROTECT, related_name="+")
    status = models.CharField("статус", max_length=12, choices=ContractStatus.choices, default=ContractStatus.CREATED)
    payment_order = models.CharField(
        "порядок оплаты", max_length=12, choices=PaymentOrder.choices, default=PaymentOrder.FULL
    )
    starts_on = models.DateField("начало")
    ends_on = models.DateField("окончание")
    months = models.PositiveSmallIntegerField("месяцев")
    total_cost = models.BigIntegerField("стоимость обучения, коп.")
    certificate_total = models.BigIntegerField("оплачивает сертификат, коп.")
    certificate_first_month = models.BigIntegerField("сертификат: первый месяц, коп.")
    certificate_other_month = models.BigIntegerField("сертификат: остальные месяцы, коп.")
    family_total = models.BigIntegerField("доплата семьи, коп.")
    family_first_month = models.BigIntegerField("семья: первый месяц, коп.")
    family_other_month = models.BigIntegerField("семья: остальные месяцы, коп.")
    hours_covered = models.DecimalField("часов в неделю по сертификату", max_digits=5, decimal_places=2, default=0)
    significant_hours_covered = models.DecimalField(
        "из них часов реестра значимых", max_digits=5, decimal_places=2, default=0
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="заявитель", on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField("подтверждён", null=True, blank=True)
    concluded_at = models.DateTimeField("заключён", null=True, blank=True)
    ended_at = models.DateTimeField("прекращён", null=True, blank=True)
    reason = models.TextField("причина", blank=True)

    class Meta:
        verbose_name = "договор"
        verbose_name_plural = "договоры"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(status__in=LIVE_CONTRACT),
                name="contract_one_live_per_application",
                violation_error_message="По этой заявке уже есть договор.",
            ),
            models.CheckConstraint(
                name="contract_dates_ordered",
                violation_error_message="Договор должен заканчиваться не раньше, чем начинается.",
                condition=Q(starts_on__lte=F("ends_on")),
            ),
            models.CheckConstraint(
                name="contract_amounts_add_up",
                violation_error_message="Части стоимости договора не сходятся.",
                condition=Q(total_cost=F("certificate_total") + F("family_total"))
                & Q(certificate_total=F("certificate_first_month") + F("certificate_other_month") * (F("months") - 1))
                & Q(family_total=F("family_first_month") + F("family_other_month") * (F("months") - 1))
                & Q(certificate_other_month__gte=0)
                & Q(certificate_first_month__gte=0)
                & Q(family_other_month__gte=0)
                & Q(family_first_month__gte=0)
                & Q(months__gte=1),
            ),
        ]
        indexes = [
            models.Index(fields=["status", "period"], name="contract_status_period"),
            models.Index(fields=["provider", "status"], name="contract_provider_status"),
        ]

    def __str__(self) -> str:
        return f"Договор {self.code}"

    @property
    def months_in_force(self) -> int:
        """Months from the start to the end date: the agreed months, fewer once terminated early."""
        return months_between(self.starts_on, self.ends_on)

    def scheduled_payment(self, month: date) -> int:
        """The certificate's payment due for `month` (any day of it), in kopecks."""
        if not (first_day(self.starts_on) <= first_day(month) <= first_day(self.ends_on)):
            return 0
        return (
            self.certificate_first_month
            if first_day(month) == first_day(self.starts_on)
            else self.certificate_other_month
        )


class ContractEvent(models.Model):
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="events")
    created_at = models.DateTimeField("время", auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="кто", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_status = models.CharField("было", max_length=12, choices=ContractStatus.choices, blank=True)
    to_status = models.CharField("стало", max_length=12, choices=ContractStatus.choices)
    reason = models.TextField("причина", blank=True)

    class Meta:
        verbose_name = "изменение договора"
        verbose_name_plural = "история договоров"
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.contract}: {self.from_status} → {self.to_status}"


class AccountKind(models.TextChoices):
    BUDGET = "budget", "Бюджет муниципалитета на сертификаты"
    CERTIFICATE = "certificate", "Остаток сертификата"
    RESERVE = "reserve", "Резерв по договору"
    PAYABLE = "payable", "К оплате исполнителю"
    PAID = "paid", "Оплачено исполнителю"


# Accounts whose balance the database keeps at zero or above.
GUARDED_ACCOUNTS = (AccountKind.CERTIFICATE, AccountKind.RESERVE, AccountKind.PAID)


class Account(models.Model):
    """A ledger account. `balance` (credits − debits, kopecks) is a cache of its postings, moved in
    the same transaction as they are written and checked against them by reconciliation."""

    kind = models.CharField("вид", max_length=12, choices=AccountKind.choices)
    period = models.ForeignKey(FinancingPeriod, verbose_name="период", on_delete=models.PROTECT, related_name="+")
    certificate = models.ForeignKey(Certificate, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    contract = models.OneToOneField(
        Contract, null=True, blank=True, on_delete=models.PROTECT, related_name="reserve_account"
    )
    provider = models.ForeignKey(Provider, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    balance = models.BigIntegerField("остаток, коп.", default=0)

    class Meta:
        verbose_name = "счёт"
        verbose_name_plural = "счета"
        constraints = [
            models.CheckConstraint(
                name="account_guarded_not_negative",
                violation_error_message="Остаток счёта не может стать отрицательным.",
                condition=Q(balance__gte=0) | ~Q(kind__in=GUARDED_ACCOUNTS),
            ),
            models.CheckConstraint(
                name="account_owner_matches_kind",
                condition=(
                    Q(kind="budget", certificate__isnull=True, contract__isnull=True, provider__isnull=True)
                    | Q(kind="certificate", certificate__isnull=False, contract__isnull=True, provider__isnull=True)
                    | Q(kind="reserve", certificate__isnull=True, contract__isnull=False, provider__isnull=True)
                    | Q(
                        kind__in=["payable", "paid"],
                        certificate__isnull=True,
                        contract__isnull=True,
                        provider__isnull=False,
                    )
                ),
            ),
            models.UniqueConstraint(
                fields=["kind", "period"], condition=Q(kind="budget"), name="account_one_budget_per_period"
            ),
            models.UniqueConstraint(
                fields=["period", "certificate"], condition=Q(kind="certificate"), name="account_one_per_certificate"
            ),
            models.UniqueConstraint(
                fields=["kind", "period", "provider"],
                condition=Q(kind__in=["payable", "paid"]),
                name="account_one_per_provider",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class AppendOnlyQuerySet(models.QuerySet):  # type: ignore[type-arg]
    """The ledger's rows are never changed or deleted through the application (the database
    refuses it too; see migration 0002)."""

    def update(self, **kwargs: object) -> int:
        raise PermissionError("Журнал проводок только дополняется: изменять записи запрещено.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("Журнал проводок только дополняется: удалять записи запрещено.")


class AppendOnly(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise PermissionError("Журнал проводок только дополняется: изменять записи запрещено.")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise PermissionError("Журнал проводок только дополняется: удалять записи запрещено.")


class OperationKind(models.TextChoices):
    ISSUE = "issue", "Зачисление номинала"
    REVOKE = "revoke", "Возврат номинала в бюджет"
    RESERVE = "reserve", "Резерв по договору"
    RELEASE = "release", "Возврат резерва"
    CHARGE = "charge", "Списание за месяц"
    PAYMENT = "payment", "Оплата исполнителю"


class Operation(AppendOnly):
    """One business operation in the ledger; its key makes repeating it a no-op."""

    key = models.CharField("ключ операции", max_length=80)
    kind = models.CharField("вид", max_length=12, choices=OperationKind.choices)
    created_at = models.DateTimeField("время", auto_now_add=True)
    # Few indexes: the monthly close writes 10⁵ operations at once, and each index costs on every row.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="кто",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    period = models.ForeignKey(
        FinancingPeriod, verbose_name="период", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    certificate = models.ForeignKey(
        Certificate, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    contract = models.ForeignKey(Contract, null=True, blank=True, on_delete=models.PROTECT, related_name="operations")
    month = models.DateField("месяц", null=True, blank=True)
    memo = models.CharField("основание", max_length=300, blank=True)

    class Meta:
        verbose_name = "операция"
        verbose_name_plural = "операции"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["period", "kind", "month"], name="operation_period_kind_month")]
        constraints = [
            models.UniqueConstraint(fields=["key"], name="operation_key_unique"),
            # At most one charge of a contract per month, whatever the keys say.
            models.UniqueConstraint(
                fields=["contract", "month"], condition=Q(kind="charge"), name="operation_one_charge_per_month"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.key}"


class Posting(AppendOnly):
    """A movement of `amount` kopecks from the debit account to the credit account. Append-only:
    the database refuses to change or delete one; a mistake is corrected by a new operation."""

    operation = models.ForeignKey(Operation, on_delete=models.PROTECT, related_name="postings")
    debit = models.ForeignKey(Account, verbose_name="списано со счёта", on_delete=models.PROTECT, related_name="+")
    credit = models.ForeignKey(Account, verbose_name="зачислено на счёт", on_delete=models.PROTECT, related_name="+")
    amount = models.BigIntegerField("сумма, коп.")

    class Meta:
        verbose_name = "проводка"
        verbose_name_plural = "проводки"
        constraints = [
            models.CheckConstraint(name="posting_amount_positive", condition=Q(amount__gt=0)),
            models.CheckConstraint(name="posting_between_two_accounts", condition=~Q(debit=F("credit"))),
        ]

    def __str__(self) -> str:
        return f"{rubles(self.amount)} ₽: #{self.debit_id} → #{self.credit_id}"


class MonthClose(models.Model):
    """A month closed for a municipality's contracts: what the last run billed and released."""

    period = models.ForeignKey(FinancingPeriod, verbose_name="период", on_delete=models.PROTECT, related_name="+")
    month = models.DateField("месяц")
    closed_at = models.DateTimeField("закрыт", null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="закрыл",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    runs = models.PositiveIntegerField("запусков", default=0)
    contracts_charged = models.PositiveIntegerField("договоров списано", default=0)
    charged_total = models.BigIntegerField("списано, коп.", default=0)
    released_total = models.BigIntegerField("возвращено в сертификаты, коп.", default=0)

    class Meta:
        verbose_name = "закрытие месяца"
        verbose_name_plural = "закрытия месяцев"
        ordering = ["-month"]
        constraints = [
            models.UniqueConstraint(fields=["period", "month"], name="month_close_unique"),
            models.CheckConstraint(name="month_close_first_day", condition=Q(month__day=1)),
        ]

    def __str__(self) -> str:
        return f"{self.period}: {self.month:%m.%Y}"


class Completeness(models.Model):
    """The provider's report of how fully a group's services were provided in a month."""

    group = models.ForeignKey("catalog.Group", verbose_name="группа", on_delete=models.PROTECT, related_name="+")
    month = models.DateField("месяц")
    percent = models.PositiveSmallIntegerField(
        "полнота оказания услуг, %", validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="сообщил", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reported_at = models.DateTimeField("сообщено", auto_now=True)

    class Meta:
        verbose_name = "полнота оказания услуг"
        verbose_name_plural = "полнота оказания услуг"
        constraints = [
            models.UniqueConstraint(fields=["group", "month"], name="completeness_once_per_month"),
            models.CheckConstraint(name="completeness_percent_range", condition=Q(percent__lte=100)),
            models.CheckConstraint(name="completeness_first_day", condition=Q(month__day=1)),
        ]

    def __str__(self) -> str:
        return f"{self.group}: {self.month:%m.%Y} — {self.percent} %"


class InvoiceKind(models.TextChoices):
    ADVANCE = "advance", "Аванс"
    FINAL = "final", "Окончательный счёт"


class InvoiceStatus(models.TextChoices):
    ISSUED = "issued", "Выставлен"
    PAID = "paid", "Оплачен"


ADVANCE_SHARE = Decimal("0.8")


class Invoice(PublicEntity):
    """A provider's invoice to the payer for a month: an advance (≤ 80 %), then the final amount."""

    CODE_PREFIX = "SC"

    provider = models.ForeignKey(
        Provider, verbose_name="исполнитель", on_delete=models.PROTECT, related_name="invoices"
    )
    period = models.ForeignKey(FinancingPeriod, verbose_name="период", on_delete=models.PROTECT, related_name="+")
    month = models.DateField("месяц")
    kind = models.CharField("вид", max_length=8, choices=InvoiceKind.choices)
    amount = models.BigIntegerField("сумма, коп.")
    status = models.CharField("статус", max_length=8, choices=InvoiceStatus.choices, default=InvoiceStatus.ISSUED)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="выставил", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    paid_at = models.DateTimeField("оплачен", null=True, blank=True)

    class Meta:
        verbose_name = "счёт исполнителя"
        verbose_name_plural = "счета исполнителей"
        ordering = ["-month", "provider"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "period", "month", "kind"], name="invoice_once_per_kind"),
            models.CheckConstraint(name="invoice_amount_not_negative", condition=Q(amount__gte=0)),
            models.CheckConstraint(name="invoice_month_first_day", condition=Q(month__day=1)),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.code}"
