"""API: personified financing — certificates, contracts, the registers, the monthly close and reports.

A family requests its children's certificates and contracts and answers the provider's offer; a
provider confirms contracts, reports completeness and invoices; the municipal operator confirms
identities, certifies programs, keeps the register of providers and their agreements, closes
months and pays. Every object is found through core.scope (outside the caller's scope: 404 for the
URL's object, 422 at the body's field or the query parameter naming any other) and every change goes
through the finance services with the caller as the actor, which refuse in Russian (422) or with
403. Money is in kopecks, with the roubles as a string beside them.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from pydantic import BaseModel, model_validator

from accounts.api_auth import token_auth
from catalog.models import Group, Organization, Program
from core import scope
from core.api import (
    INPUT,
    INVALID,
    NOT_FOUND,
    WRITE_ERRORS,
    Code,
    ErrorOut,
    OneOf,
    Page,
    PageQuery,
    QuerySchema,
    named_in_query,
    paginate,
)
from enrollment.api import SIGNED_IN, ChildRefOut
from enrollment.models import Application
from finance import certificates, closing, contracts, registers, reports
from finance.models import (
    LIVE_CONTRACT,
    Agreement,
    Certificate,
    CertificateEvent,
    CertificateStatus,
    Certification,
    CertificationStatus,
    Contract,
    ContractEvent,
    ContractStatus,
    FinancingPeriod,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    PaymentOrder,
    Provider,
    ProviderStatus,
    first_day,
    rubles,
)
from people.models import Child

router = Router(auth=SIGNED_IN, tags=["Персонифицированное финансирование"])

READ_ERRORS = {401: ErrorOut, **INVALID}
DETAIL_ERRORS = {401: ErrorOut, **NOT_FOUND}
APPLICATION_NOT_FOUND = "Заявка не найдена."
PERIOD_NOT_FOUND = "Период не найден."


def _described(choices: list[tuple[str, str]]) -> str:
    return "; ".join(f"{value} — {label}" for value, label in choices)


# --- Schemas: pieces ---------------------------------------------------------------------------


class MoneyOut(BaseModel):  # plain pydantic: it is read from a number, not from an object
    kopecks: int = Field(description="Сумма в копейках")
    rubles: str = Field(description="Та же сумма в рублях, строкой с двумя знаками, например «30000.00»")

    @model_validator(mode="before")
    @classmethod
    def from_kopecks(cls, value: Any) -> Any:
        """A money field of a schema is read from the model's kopecks as they are."""
        return money(value) if isinstance(value, int) else value


def money(amount: int) -> dict[str, Any]:
    return {"kopecks": amount, "rubles": str(rubles(amount))}


class EventOut(Schema):
    created_at: datetime = Field(description="Время")
    from_status: str = Field(description="Статус до; пусто — запись только что создана")
    to_status: str = Field(description="Статус после")
    reason: str = Field(description="Причина, которую видит семья")
    by_system: bool = Field(description="Изменение сделала система (срок ожидания, закрытие месяца)")

    @staticmethod
    def resolve_by_system(event: CertificateEvent | ContractEvent) -> bool:
        return event.actor_id is None


# --- Certificates ------------------------------------------------------------------------------


class CertificateOut(Schema):
    """Сертификат дополнительного образования ребёнка."""

    uuid: UUID = Field(description="UUID сертификата")
    code: str = Field(description="Код заявления, например CE-7K2M9Q")
    number: str | None = Field(description="Номер сертификата; пусто — ещё не выдан")
    status: str = Field(description=_described(CertificateStatus.choices))
    status_label: str = Field(description="Статус по-русски")
    child: ChildRefOut = Field(description="Ребёнок")
    issued_on: date | None = Field(description="Выдан")
    valid_until: date = Field(description="Действует до (18 лет ребёнка)")
    updated_at: datetime = Field(description="Изменён")

    @staticmethod
    def resolve_status_label(certificate: Certificate) -> str:
        return CertificateStatus(certificate.status).label


NO_MONEY = reports.CertificateMoney(nominal=0, balance=0, reserved=0, spent=0)


def _held(certificate: Certificate) -> reports.CertificateMoney:
    """The certificate's money, read once per answer."""
    if not hasattr(certificate, "_held"):
        certificate._held = reports.certificate_money(certificate) or NO_MONEY  # type: ignore[attr-defined]
    return certificate._held  # type: ignore[attr-defined]


class CertificateDetailOut(CertificateOut):
    """Сертификат с остатком, резервом по договорам, потраченным и историей."""

    group: str | None = Field(description="Группа сертификатов (номинал) сертификата ПФ; пусто — не ПФ")
    period: str | None = Field(description="Период финансирования сертификата ПФ")
    balance: MoneyOut = Field(description="Свободный остаток сертификата")
    reserved: MoneyOut = Field(description="Зарезервировано по договорам")
    spent: MoneyOut = Field(description="Списано в оплату исполнителям")
    weekly_hours_left: Decimal = Field(description="Свободных часов недельной нагрузки (номинал в часах)")
    significant_hours_left: Decimal = Field(description="Из них на программы реестра значимых")
    events: list[EventOut] = Field(description="История статусов")

    @staticmethod
    def resolve_group(certificate: Certificate) -> str | None:
        return certificate.group.name if certificate.group else None

    @staticmethod
    def resolve_period(certificate: Certificate) -> str | None:
        return certificate.group.period.name if certificate.group else None

    @staticmethod
    def resolve_balance(certificate: Certificate) -> int:
        return _held(certificate).balance

    @staticmethod
    def resolve_reserved(certificate: Certificate) -> int:
        return _held(certificate).reserved

    @staticmethod
    def resolve_spent(certificate: Certificate) -> int:
        return _held(certificate).spent

    @staticmethod
    def resolve_weekly_hours_left(certificate: Certificate) -> Decimal:
        return certificate.hours_left

    @staticmethod
    def resolve_significant_hours_left(certificate: Certificate) -> Decimal:
        return certificate.significant_hours_left


class CertificateIn(Schema):
    model_config = INPUT

    child: UUID = Field(description="UUID ребёнка, законным представителем которого вы являетесь")


class IdentityIn(Schema):
    model_config = INPUT

    accept: bool = Field(description="true — личность подтверждена, сертификат выдаётся; false — отказ")
    reason: str = Field("", max_length=1000, description="Причина отказа; обязательна при accept=false")


class CertificateQuery(PageQuery):
    status: Annotated[str, OneOf(CertificateStatus.choices)] | None = Field(None, description="Статус сертификата")


def _certificates() -> QuerySet[Certificate]:
    return Certificate.objects.select_related("child", "group__period").order_by("-created_at", "-pk")


def _certificate_detail(user: Any, uuid: UUID) -> Certificate:
    return scope.get_in_scope(_certificates().prefetch_related("events"), user, "view", uuid=uuid)


@router.get("/certificates", response={200: Page[CertificateOut], **READ_ERRORS}, summary="Сертификаты")
def list_certificates(request: Any, query: Query[CertificateQuery]) -> dict[str, Any]:
    """Семья видит сертификаты своих детей; организация — детей, подавших к ней заявки; оператор
    муниципалитета — сертификаты своей территории."""
    found = scope.restrict(_certificates(), request.auth, "view")
    if query.status:
        found = found.filter(status=query.status)
    return paginate(found, query)


@router.post(
    "/certificates",
    auth=token_auth,
    response={200: CertificateDetailOut, 201: CertificateDetailOut, **WRITE_ERRORS},
    summary="Запросить сертификат",
)
def request_certificate(request: Any, body: CertificateIn) -> Status[Certificate]:
    """Законный представитель запрашивает сертификат ребёнку: 201 — заявление подано; 200 — сертификат уже
    запрошен или выдан, возвращается он же. Личность ребёнка подтверждает организация или оператор."""
    user = request.auth
    child = scope.get_named(Child.objects.all(), user, "child", "Ребёнок не найден.", uuid=body.child)
    existed = Certificate.objects.filter(child=child).exclude(status=CertificateStatus.DECLINED).exists()
    certificate = certificates.request_certificate(user, child)
    return Status(200 if existed else 201, _certificate_detail(user, certificate.uuid))


@router.get(
    "/certificates/{uuid}", response={200: CertificateDetailOut, **DETAIL_ERRORS}, summary="Сертификат и его остаток"
)
def get_certificate(request: Any, uuid: UUID) -> Certificate:
    return _certificate_detail(request.auth, uuid)


@router.post(
    "/certificates/{uuid}/confirm",
    auth=token_auth,
    response={200: CertificateDetailOut, **WRITE_ERRORS},
    summary="Подтвердить личность ребёнка (выдать сертификат) или отказать",
)
def confirm_certificate(request: Any, uuid: UUID, body: IdentityIn) -> Certificate:
    """Организация, куда ребёнок подал заявку, или оператор муниципалитета проверили документы: сертификат
    выдаётся с номером как сертификат учёта, или в выдаче отказано с причиной."""
    user = request.auth
    certificate = scope.get_in_scope(Certificate.objects.all(), user, "change", uuid=uuid)
    certificates.confirm_identity(user, certificate, accept=body.accept, reason=body.reason)
    return _certificate_detail(user, uuid)


# --- Contracts ---------------------------------------------------------------------------------


class ContractOut(Schema):
    """Договор об образовании, оплачиваемый сертификатом."""

    uuid: UUID = Field(description="UUID договора")
    code: str = Field(description="Код договора, например DG-7K2M9Q")
    status: str = Field(description=_described(ContractStatus.choices))
    status_label: str = Field(description="Статус по-русски")
    payment_order: str = Field(description=_described(PaymentOrder.choices))
    child: ChildRefOut = Field(description="Ребёнок")
    certificate_number: str | None = Field(description="Номер сертификата")
    program: str = Field(description="Программа")
    group: str = Field(description="Код группы")
    provider: str = Field(description="Исполнитель")
    starts_on: date = Field(description="Начало обучения по договору")
    ends_on: date = Field(description="Окончание")
    months: int = Field(description="Месяцев")
    updated_at: datetime = Field(description="Изменён")

    @staticmethod
    def resolve_status_label(contract: Contract) -> str:
        return ContractStatus(contract.status).label

    @staticmethod
    def resolve_child(contract: Contract) -> Child:
        return contract.certificate.child

    @staticmethod
    def resolve_certificate_number(contract: Contract) -> str | None:
        return contract.certificate.number

    @staticmethod
    def resolve_program(contract: Contract) -> str:
        return contract.group.program.title

    @staticmethod
    def resolve_group(contract: Contract) -> str:
        return contract.group.code

    @staticmethod
    def resolve_provider(contract: Contract) -> str:
        return contract.provider.organization.short_name


class ContractDetailOut(ContractOut):
    """Договор со всеми суммами: кто сколько платит, сколько в резерве и сколько уже оплачено."""

    total_cost: MoneyOut = Field(description="Стоимость обучения по договору")
    certificate_total: MoneyOut = Field(description="Оплачивает сертификат")
    certificate_first_month: MoneyOut = Field(description="Сертификат: платёж за первый месяц")
    certificate_other_month: MoneyOut = Field(description="Сертификат: платёж за каждый следующий месяц")
    family_total: MoneyOut = Field(description="Доплата семьи")
    family_first_month: MoneyOut = Field(description="Семья: за первый месяц")
    family_other_month: MoneyOut = Field(description="Семья: за каждый следующий месяц")
    reserved: MoneyOut = Field(description="Остаётся в резерве по договору")
    charged: MoneyOut = Field(description="Списано исполнителю за закрытые месяцы")
    hours_covered: Decimal = Field(description="Часов недельной нагрузки, оплачиваемых сертификатом")
    reason: str = Field(description="Причина отклонения или расторжения")
    events: list[EventOut] = Field(description="История статусов")

    @staticmethod
    def resolve_reserved(contract: Contract) -> int:
        return contract.reserve_account.balance

    @staticmethod
    def resolve_charged(contract: Contract) -> int:
        return contracts.charged_total(contract)


class QuoteOut(Schema):
    """Предварительный расчёт договора: что оплатит сертификат и какова доплата семьи."""

    starts_on: date = Field(description="Начало обучения по договору")
    ends_on: date = Field(description="Окончание")
    months: int = Field(description="Месяцев")
    monthly_price: MoneyOut = Field(description="Стоимость месяца в группе")
    total_cost: MoneyOut = Field(description="Стоимость обучения")
    certificate_total: MoneyOut = Field(description="Оплатит сертификат")
    certificate_first_month: MoneyOut = Field(description="Сертификат: первый месяц")
    certificate_other_month: MoneyOut = Field(description="Сертификат: каждый следующий месяц")
    family_total: MoneyOut = Field(description="Доплата семьи")
    family_first_month: MoneyOut = Field(description="Семья: первый месяц")
    family_other_month: MoneyOut = Field(description="Семья: каждый следующий месяц")
    copayment_message: str = Field(description="Объяснение доплаты для семьи; пусто — доплаты нет")


class ContractQuery(PageQuery):
    status: Annotated[str, OneOf(ContractStatus.choices)] | None = Field(None, description="Статус договора")


class QuoteQuery(QuerySchema):
    application: UUID = Field(description="UUID заявки, по которой ребёнка пригласили или зачислили в группу")


class ContractIn(Schema):
    model_config = INPUT

    application: UUID = Field(description="UUID заявки: ребёнка пригласили или зачислили в группу")
    accept_copayment: bool = Field(
        False, description="Семья согласна на доплату, если сертификат покрывает не всю стоимость"
    )


class ConfirmContractIn(Schema):
    model_config = INPUT

    payment_order: Annotated[str, OneOf(PaymentOrder.choices)] = Field(PaymentOrder.FULL, description="Порядок оплаты")


class ReasonIn(Schema):
    model_config = INPUT

    reason: str = Field("", max_length=1000, description="Причина; организации обязательна, её увидит семья")


class TerminateIn(Schema):
    model_config = INPUT

    on: date | None = Field(
        None, description="День прекращения, ГГГГ-ММ-ДД; договор действует до конца этого месяца. Пусто — сегодня"
    )
    reason: str = Field(min_length=1, max_length=1000, description="Причина расторжения")


def _contracts() -> QuerySet[Contract]:
    return Contract.objects.select_related("certificate__child", "group__program", "provider__organization").order_by(
        "-created_at", "-pk"
    )


def _contract_detail(user: Any, uuid: UUID) -> Contract:
    return scope.get_in_scope(_contracts().prefetch_related("events"), user, "view", uuid=uuid)


def _contract(user: Any, uuid: UUID, action: scope.Action = "view") -> Contract:
    return scope.get_in_scope(Contract.objects.all(), user, action, uuid=uuid)


def _quote_preview(application: Application) -> contracts.Quote:
    """What request_contract would offer now (contracts.preview: the nominal the certificate
    would be credited first counts)."""
    if application.group_id is None:
        raise ValidationError("Договор заключают, когда ребёнка пригласили или зачислили в группу.")
    certificate = Certificate.objects.select_related("group", "child").filter(child_id=application.child_id).first()
    if certificate is None or not certificate.is_issued:
        raise ValidationError("У ребёнка нет выданного сертификата: запросите его в личном кабинете.")
    group = Group.objects.select_related("program").get(pk=application.group_id)
    return contracts.preview(certificate, group, timezone.localdate())


@router.get("/contracts", response={200: Page[ContractOut], **READ_ERRORS}, summary="Договоры")
def list_contracts(request: Any, query: Query[ContractQuery]) -> dict[str, Any]:
    """Семья видит договоры своих детей, организация — свои как исполнителя, оператор муниципалитета — договоры
    своей территории. Сначала новые."""
    found = scope.restrict(_contracts(), request.auth, "view")
    if query.status:
        found = found.filter(status=query.status)
    return paginate(found, query)


@router.get(
    "/contracts/quote",
    response={200: QuoteOut, **READ_ERRORS},
    summary="Предварительный расчёт договора",
)
def quote_contract(request: Any, query: Query[QuoteQuery]) -> dict[str, Any]:
    """Что оплатит сертификат и какова доплата семьи, если запросить договор по заявке сейчас. Ничего не
    меняет."""
    with named_in_query("application", APPLICATION_NOT_FOUND):
        application = scope.get_in_scope(Application.objects.all(), request.auth, "view", uuid=query.application)
    offer = _quote_preview(application)
    cert_first, cert_other = offer.certificate_split
    family_first, family_other = offer.family_split
    return {
        "starts_on": offer.starts_on,
        "ends_on": offer.ends_on,
        "months": offer.months,
        "monthly_price": offer.monthly_price,
        "total_cost": offer.total_cost,
        "certificate_total": offer.certificate_total,
        "certificate_first_month": cert_first,
        "certificate_other_month": cert_other,
        "family_total": offer.family_total,
        "family_first_month": family_first,
        "family_other_month": family_other,
        "copayment_message": offer.copayment_message() if offer.family_total > 0 else "",
    }


@router.get("/contracts/{uuid}", response={200: ContractDetailOut, **DETAIL_ERRORS}, summary="Договор")
def get_contract(request: Any, uuid: UUID) -> Contract:
    return _contract_detail(request.auth, uuid)


@router.post(
    "/contracts",
    auth=token_auth,
    response={200: ContractDetailOut, 201: ContractDetailOut, **WRITE_ERRORS},
    summary="Запросить договор по сертификату",
)
def request_contract(request: Any, body: ContractIn) -> Status[Contract]:
    """Законный представитель просит оплатить место приглашённого или зачисленного ребёнка сертификатом:
    201 — договор создан, его часть стоимости зарезервирована на сертификате; 200 — по заявке уже есть
    договор, возвращается он. Если сертификат покрывает не всю стоимость, без accept_copayment=true
    запрос отклоняется (422) с объяснением доплаты."""
    user = request.auth
    application = scope.get_named(
        Application.objects.all(), user, "application", APPLICATION_NOT_FOUND, uuid=body.application
    )
    existed = application.contracts.filter(status__in=LIVE_CONTRACT).exists()
    contract = contracts.request_contract(user, application, accept_copayment=body.accept_copayment)
    return Status(200 if existed else 201, _contract_detail(user, contract.uuid))


@router.post(
    "/contracts/{uuid}/confirm",
    auth=token_auth,
    response={200: ContractDetailOut, **WRITE_ERRORS},
    summary="Подтвердить договор (исполнитель)",
)
def confirm_contract(request: Any, uuid: UUID, body: ConfirmContractIn) -> Contract:
    """Организация-исполнитель подтверждает запрос и предлагает семье договор; нужно действующее соглашение
    с уполномоченным органом на период."""
    user = request.auth
    contracts.confirm_contract(user, _contract(user, uuid, "change"), payment_order=body.payment_order)
    return _contract_detail(user, uuid)


@router.post(
    "/contracts/{uuid}/accept",
    auth=token_auth,
    response={200: ContractDetailOut, **WRITE_ERRORS},
    summary="Заключить договор (семья)",
)
def accept_contract(request: Any, uuid: UUID) -> Contract:
    """Законный представитель принимает подтверждённый договор: договор начинает действовать."""
    user = request.auth
    contracts.accept_contract(user, _contract(user, uuid))
    return _contract_detail(user, uuid)


@router.post(
    "/contracts/{uuid}/reject",
    auth=token_auth,
    response={200: ContractDetailOut, **WRITE_ERRORS},
    summary="Отклонить договор",
)
def reject_contract(request: Any, uuid: UUID, body: ReasonIn) -> Contract:
    """Семья или организация-исполнитель отклоняет ещё не заключённый договор; резерв возвращается на
    сертификат."""
    user = request.auth
    contracts.reject_contract(user, _contract(user, uuid), body.reason)
    return _contract_detail(user, uuid)


@router.post(
    "/contracts/{uuid}/terminate",
    auth=token_auth,
    response={200: ContractDetailOut, **WRITE_ERRORS},
    summary="Расторгнуть договор",
)
def terminate_contract(request: Any, uuid: UUID, body: TerminateIn) -> Contract:
    """Семья или организация-исполнитель расторгает действующий договор: он действует до конца месяца дня
    прекращения, этот месяц оплачивается по порядку оплаты, остальной резерв сразу возвращается."""
    user = request.auth
    contracts.terminate_contract(user, _contract(user, uuid), on=body.on, reason=body.reason)
    return _contract_detail(user, uuid)


# --- Provider: completeness and invoices -------------------------------------------------------


class CompletenessIn(Schema):
    model_config = INPUT

    group: UUID = Field(description="UUID группы")
    month: date = Field(description="Любой день месяца, ГГГГ-ММ-ДД")
    percent: int = Field(ge=0, le=100, description="Полнота оказания услуг, %")


class CompletenessOut(Schema):
    group: str = Field(description="Код группы")
    month: date = Field(description="Месяц (первое число)")
    percent: int = Field(description="Полнота оказания услуг, %")

    @staticmethod
    def resolve_group(report: Any) -> str:
        return report.group.code


class InvoiceOut(Schema):
    code: str = Field(description="Код счёта, например SC-7K2M9Q")
    uuid: UUID = Field(description="UUID счёта")
    provider: str = Field(description="Исполнитель")
    period: int = Field(description="Номер периода финансирования")
    month: date = Field(description="Месяц (первое число)")
    kind: str = Field(description=_described(InvoiceKind.choices))
    amount: MoneyOut = Field(description="Сумма")
    status: str = Field(description=_described(InvoiceStatus.choices))
    paid_at: datetime | None = Field(description="Оплачен")

    @staticmethod
    def resolve_provider(invoice: Invoice) -> str:
        return invoice.provider.organization.short_name

    @staticmethod
    def resolve_period(invoice: Invoice) -> int:
        return invoice.period_id


class InvoiceIn(Schema):
    model_config = INPUT

    period: int = Field(description="Номер периода финансирования, на который у исполнителя есть соглашение")
    month: date = Field(description="Любой день месяца, ГГГГ-ММ-ДД")
    kind: Annotated[str, OneOf(InvoiceKind.choices)] = Field(description="Вид счёта")
    amount: int | None = Field(
        None, ge=0, description="Сумма аванса в копейках (не больше 80 % месяца); пусто — наибольшая"
    )
    organization: UUID | None = Field(
        None, description="UUID организации-исполнителя, если вы ведёте несколько; пусто — единственная ваша"
    )


class InvoiceQuery(PageQuery):
    status: Annotated[str, OneOf(InvoiceStatus.choices)] | None = Field(None, description="Статус счёта")


@router.post(
    "/completeness",
    auth=token_auth,
    response={200: CompletenessOut, **WRITE_ERRORS},
    tags=["Исполнители услуг"],
    summary="Сообщить полноту оказания услуг за месяц",
)
def report_completeness(request: Any, body: CompletenessIn) -> Any:
    """Организация-исполнитель сообщает, насколько полно оказаны услуги группы за месяц; до закрытия месяца."""
    user = request.auth
    group = scope.get_named(Group.objects.all(), user, "group", "Группа не найдена.", uuid=body.group)
    report = closing.report_completeness(user, group.pk, body.month, body.percent)
    report.group = group
    return report


def _own_provider(user: Any, organization: UUID | None) -> Provider:
    providers = scope.restrict(Provider.objects.select_related("organization"), user, "change")
    if organization is not None:
        providers = providers.filter(organization__uuid=organization)
    only, several = scope.single(providers)
    if several:
        raise ValidationError({"organization": "Вы ведёте несколько организаций: укажите, от какой выставить счёт."})
    if only is None and organization is not None:
        raise ValidationError({"organization": "Организация не найдена среди исполнителей, которые вы ведёте."})
    if only is None:
        raise PermissionDenied
    return only


@router.post(
    "/invoices",
    auth=token_auth,
    response={201: InvoiceOut, **WRITE_ERRORS},
    tags=["Исполнители услуг"],
    summary="Выставить счёт за месяц",
)
def issue_invoice(request: Any, body: InvoiceIn) -> Status[Invoice]:
    """Аванс (не больше 80 % платежей месяца по договорам, до закрытия месяца) или окончательный счёт (после
    закрытия: списанное за месяц за вычетом аванса)."""
    user = request.auth
    provider = _own_provider(user, body.organization)
    period = FinancingPeriod.objects.filter(
        pk=body.period, pk__in=Agreement.objects.filter(provider=provider).values("period_id")
    ).first()
    if period is None:
        raise ValidationError({"period": "Период не найден: у организации нет соглашения на него."})
    invoice = closing.issue_invoice(user, provider, period, body.month, body.kind, body.amount)
    invoice.provider = provider
    return Status(201, invoice)


@router.get(
    "/invoices",
    response={200: Page[InvoiceOut], **READ_ERRORS},
    tags=["Исполнители услуг"],
    summary="Счета исполнителей",
)
def list_invoices(request: Any, query: Query[InvoiceQuery]) -> dict[str, Any]:
    """Организация видит свои счета, оператор муниципалитета — счета своей территории."""
    found = scope.restrict(
        Invoice.objects.select_related("provider__organization").order_by("-month", "-pk"), request.auth, "view"
    )
    if query.status:
        found = found.filter(status=query.status)
    return paginate(found, query)


@router.post(
    "/invoices/{code}/pay",
    auth=token_auth,
    response={200: InvoiceOut, **WRITE_ERRORS},
    tags=["Исполнители услуг"],
    summary="Оплатить счёт исполнителя",
)
def pay_invoice(request: Any, code: Code) -> Invoice:
    """Оператор муниципалитета проводит оплату: сумма переходит из «к оплате» в «оплачено». Повтор ничего не
    меняет."""
    user = request.auth
    invoice = scope.get_in_scope(Invoice.objects.select_related("provider__organization"), user, "view", code=code)
    return closing.pay_invoice(user, invoice)


# --- Operator: registers -----------------------------------------------------------------------


class ModuleIn(Schema):
    model_config = INPUT

    name: str = Field(min_length=1, max_length=200, description="Название модуля")
    months: int = Field(ge=1, le=24, description="Месяцев")
    hours: int = Field(ge=1, description="Часов")
    weekly_hours: Decimal = Field(gt=0, max_digits=5, decimal_places=2, description="Часов в неделю")
    price: Decimal = Field(ge=0, max_digits=12, decimal_places=2, description="Цена модуля у исполнителя, ₽")


class ModuleOut(Schema):
    order: int = Field(description="№ модуля")
    name: str = Field(description="Название")
    months: int = Field(description="Месяцев")
    hours: int = Field(description="Часов")
    weekly_hours: Decimal = Field(description="Часов в неделю")
    price: Decimal = Field(description="Цена модуля у исполнителя, ₽")
    normative_cost: Decimal = Field(description="Нормативная стоимость: стоимость часа × часы, ₽")


class CertificationOut(Schema):
    id: int = Field(description="Номер сертификации")
    program: str = Field(description="Код программы")
    program_title: str = Field(description="Программа")
    status: str = Field(description=_described(CertificationStatus.choices))
    hourly_cost: Decimal | None = Field(description="Нормативная стоимость часа, ₽")
    normative_cost: Decimal = Field(description="Нормативная стоимость программы, ₽")
    remark: str = Field(description="Замечания оператора")
    decided_at: datetime | None = Field(description="Решение принято")
    modules: list[ModuleOut] = Field(description="Модули программы")
    updated_at: datetime = Field(description="Изменена")

    @staticmethod
    def resolve_program(certification: Certification) -> str:
        return certification.program.code

    @staticmethod
    def resolve_program_title(certification: Certification) -> str:
        return certification.program.title


class CertificationIn(Schema):
    model_config = INPUT

    program: UUID = Field(description="UUID опубликованной программы вашей организации")
    modules: list[ModuleIn] = Field(min_length=1, description="Модули программы по порядку")


class CertificationDecisionIn(Schema):
    model_config = INPUT

    certify: bool = Field(description="true — сертифицировать; false — отказать с замечаниями")
    hourly_cost: Decimal | None = Field(
        None,
        gt=0,
        max_digits=10,
        decimal_places=2,
        description="Нормативная стоимость часа, ₽; обязательна при certify",
    )
    remark: str = Field("", max_length=2000, description="Замечания; обязательны при отказе")


class CertificationQuery(PageQuery):
    status: Annotated[str, OneOf(CertificationStatus.choices)] | None = Field(None, description="Статус")


class ProviderIn(Schema):
    model_config = INPUT

    organization: UUID = Field(description="UUID организации")
    bank_account: str = Field("", max_length=20, description="Расчётный счёт, 20 цифр")
    bik: str = Field("", max_length=9, description="БИК, 9 цифр")


class ProviderOut(Schema):
    organization: UUID = Field(description="UUID организации")
    name: str = Field(description="Организация")
    status: str = Field(description=_described(ProviderStatus.choices))
    included_on: date = Field(description="Включена в реестр")

    @staticmethod
    def resolve_organization(provider: Provider) -> UUID:
        return provider.organization.uuid

    @staticmethod
    def resolve_name(provider: Provider) -> str:
        return provider.organization.short_name


class AgreementIn(Schema):
    model_config = INPUT

    period: int = Field(description="Номер периода финансирования")
    provider: UUID = Field(description="UUID организации из реестра исполнителей")
    number: str = Field(min_length=1, max_length=64, description="Номер соглашения")
    signed_on: date = Field(description="Дата соглашения")


class AgreementOut(Schema):
    period: int = Field(description="Номер периода финансирования")
    provider: UUID = Field(description="UUID организации-исполнителя")
    number: str = Field(description="Номер соглашения")
    signed_on: date = Field(description="Дата")
    is_active: bool = Field(description="Действует")

    @staticmethod
    def resolve_period(agreement: Agreement) -> int:
        return agreement.period_id

    @staticmethod
    def resolve_provider(agreement: Agreement) -> UUID:
        return agreement.provider.organization.uuid


OPERATOR = ["Оператор персонифицированного финансирования"]


def _certifications() -> QuerySet[Certification]:
    return Certification.objects.select_related("program").prefetch_related("modules").order_by("-updated_at", "-pk")


@router.get(
    "/certifications",
    response={200: Page[CertificationOut], **READ_ERRORS},
    tags=OPERATOR,
    summary="Реестр сертифицированных программ",
)
def list_certifications(request: Any, query: Query[CertificationQuery]) -> dict[str, Any]:
    """Организация видит сертификацию своих программ, оператор муниципалитета — программ своей территории."""
    found = scope.restrict(_certifications(), request.auth, "view")
    if query.status:
        found = found.filter(status=query.status)
    return paginate(found, query)


@router.post(
    "/certifications",
    auth=token_auth,
    response={200: CertificationOut, **WRITE_ERRORS},
    tags=OPERATOR,
    summary="Отправить программу на сертификацию",
)
def submit_certification(request: Any, body: CertificationIn) -> Certification:
    """Организация отправляет опубликованную программу, разбитую на модули; повторная отправка заменяет модули."""
    user = request.auth
    program = scope.get_named(Program.objects.all(), user, "program", "Программа не найдена.", uuid=body.program)
    drafts = [
        registers.ModuleDraft(m.name, months=m.months, hours=m.hours, weekly_hours=m.weekly_hours, price=m.price)
        for m in body.modules
    ]
    certification = registers.submit_for_certification(user, program, drafts)
    return _certifications().get(pk=certification.pk)


@router.post(
    "/certifications/{certification_id}/decision",
    auth=token_auth,
    response={200: CertificationOut, **WRITE_ERRORS},
    tags=OPERATOR,
    summary="Решение о сертификации",
)
def decide_certification(request: Any, certification_id: int, body: CertificationDecisionIn) -> Certification:
    """Оператор муниципалитета программы сертифицирует её по нормативной стоимости часа или отказывает
    с замечаниями."""
    user = request.auth
    certification = scope.get_in_scope(_certifications(), user, "view", pk=certification_id)
    registers.decide_certification(
        user, certification, certify=body.certify, hourly_cost=body.hourly_cost, remark=body.remark
    )
    return _certifications().get(pk=certification_id)


@router.post(
    "/providers",
    auth=token_auth,
    response={200: ProviderOut, **WRITE_ERRORS},
    tags=OPERATOR,
    summary="Включить организацию в реестр исполнителей",
)
def include_provider(request: Any, body: ProviderIn) -> Provider:
    """Оператор муниципалитета организации включает её в реестр исполнителей; повтор возвращает запись."""
    user = request.auth
    organization = scope.get_named(
        Organization.objects.all(), user, "organization", "Организация не найдена.", uuid=body.organization
    )
    provider = registers.include_provider(user, organization, bank_account=body.bank_account, bik=body.bik)
    provider.organization = organization
    return provider


@router.post(
    "/agreements",
    auth=token_auth,
    response={200: AgreementOut, **WRITE_ERRORS},
    tags=OPERATOR,
    summary="Заключить соглашение с исполнителем на период",
)
def sign_agreement(request: Any, body: AgreementIn) -> Agreement:
    """Без действующего соглашения на период исполнитель не может подтверждать договоры."""
    user = request.auth
    period = scope.get_named(FinancingPeriod.objects.all(), user, "period", PERIOD_NOT_FOUND, "change", pk=body.period)
    provider = scope.restrict(Provider.objects.select_related("organization"), user).filter(
        organization__uuid=body.provider
    )
    found = provider.first()
    if found is None:
        raise ValidationError({"provider": "Организация не найдена в реестре исполнителей."})
    return registers.sign_agreement(user, period, found, number=body.number, signed_on=body.signed_on)


# --- Operator: the monthly close, payments, reports --------------------------------------------


class CloseIn(Schema):
    model_config = INPUT

    month: date = Field(description="Любой день месяца, ГГГГ-ММ-ДД")


class MonthCloseOut(Schema):
    period: int = Field(description="Номер периода")
    month: date = Field(description="Месяц (первое число)")
    runs: int = Field(description="Сколько раз закрывали")
    contracts_charged: int = Field(description="Договоров списано")
    charged: MoneyOut = Field(description="Списано исполнителям")
    released: MoneyOut = Field(description="Возвращено на сертификаты")
    closed_at: datetime | None = Field(description="Закрыт")

    @staticmethod
    def resolve_period(record: Any) -> int:
        return int(record.period_id)

    @staticmethod
    def resolve_charged(record: Any) -> int:
        return int(record.charged_total)

    @staticmethod
    def resolve_released(record: Any) -> int:
        return int(record.released_total)


REPORT_KINDS = [("municipality", "По муниципалитетам"), ("provider", "По исполнителям"), ("program", "По программам")]


class ReportQuery(QuerySchema):
    kind: Annotated[str, OneOf(REPORT_KINDS)] = Field("municipality", description="Разрез отчёта")
    period: int | None = Field(None, description="Номер периода; пусто — все доступные периоды")


class MoneyRowOut(Schema):
    key: int = Field(description="Номер муниципалитета, исполнителя или программы")
    name: str = Field(description="Название")
    issued: int = Field(description="Номинал зачислен на сертификаты (за вычетом возвращённого), коп.")
    reserved: int = Field(description="Зарезервировано по договорам, коп.")
    spent: int = Field(description="Списано исполнителям, коп.")
    left: int = Field(description="Свободный остаток на сертификатах, коп.")
    contracts: int = Field(description="Договоров (кроме отклонённых)")


class ReportOut(Schema):
    kind: str = Field(description="Разрез отчёта")
    rows: list[MoneyRowOut] = Field(description="Строки, суммы в копейках")
    total: MoneyRowOut = Field(description="Итого")


class PaymentsQuery(QuerySchema):
    period: int = Field(description="Номер периода финансирования")
    month: date = Field(description="Любой день месяца, ГГГГ-ММ-ДД")


class PaymentLineOut(Schema):
    provider: str = Field(description="Исполнитель")
    contracts: int = Field(description="Договоров, списанных за месяц")
    charged: int = Field(description="Списано за месяц, коп.")
    advance: int = Field(description="Аванс, коп.")
    final: int = Field(description="Окончательный счёт, коп.")
    paid: int = Field(description="Оплачено, коп.")

    @staticmethod
    def resolve_provider(line: closing.PaymentLine) -> str:
        return line.provider.organization.short_name


@router.post(
    "/periods/{period_id}/close",
    auth=token_auth,
    response={200: MonthCloseOut, **WRITE_ERRORS},
    tags=OPERATOR,
    summary="Закрыть месяц",
)
def close_month(request: Any, period_id: int, body: CloseIn) -> Any:
    """Списывает ежемесячные платежи по действующим договорам периода; повторное закрытие ничего не меняет."""
    user = request.auth
    period = scope.get_in_scope(FinancingPeriod.objects.all(), user, "change", pk=period_id)
    return closing.close_month(user, period, body.month)


@router.get(
    "/finance/reports",
    response={200: ReportOut, **READ_ERRORS},
    tags=OPERATOR,
    summary="Отчёт о средствах сертификатов",
)
def money_report(request: Any, query: Query[ReportQuery]) -> dict[str, Any]:
    """Зачислено, зарезервировано, списано и осталось — по муниципалитетам, исполнителям или программам
    периодов, доступных вызывающему."""
    if query.period is None:
        periods = scope.restrict(FinancingPeriod.objects.all(), request.auth, "view")
    else:
        with named_in_query("period", PERIOD_NOT_FOUND):
            period = scope.get_in_scope(FinancingPeriod.objects.all(), request.auth, "view", pk=query.period)
        periods = FinancingPeriod.objects.filter(pk=period.pk)
    build = {"municipality": reports.by_municipality, "provider": reports.by_provider, "program": reports.by_program}
    rows = build[query.kind](periods)
    return {"kind": query.kind, "rows": rows, "total": reports.totals(rows)}


@router.get(
    "/finance/payments",
    response={200: list[PaymentLineOut], **READ_ERRORS},
    tags=OPERATOR,
    summary="Реестр платежей исполнителям за месяц",
)
def payments(request: Any, query: Query[PaymentsQuery]) -> list[closing.PaymentLine]:
    with named_in_query("period", PERIOD_NOT_FOUND):
        period = scope.get_in_scope(FinancingPeriod.objects.all(), request.auth, "view", pk=query.period)
    return closing.payments_register(period, first_day(query.month))
