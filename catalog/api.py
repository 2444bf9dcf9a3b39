"""API: organizations (with their study places), programs and groups of the catalog.

Reads are scoped by core.scope and searched by catalog.search, exactly as on the Navigator's
pages. Writes go only through catalog.services, with the token's user as the actor; this module
maps requests to those calls and results to schemas, nothing more.
"""

from collections.abc import Callable
from datetime import time
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import CharField, Exists, Model, OuterRef, Prefetch, QuerySet, TextField, prefetch_related_objects
from django.utils import timezone
from ninja import Field, ModelSchema, PatchDict, Query, Router, Schema, Status
from pydantic import AwareDatetime, BaseModel, ConfigDict, field_validator
from pydantic_core import PydanticCustomError

from accounts.api_auth import PUBLIC, token_auth
from accounts.roles import principal_of
from accounts.services import NewPerson
from catalog import next_year, places, register, revisions, services
from catalog.directory import MAP_ORGANIZATIONS, OrganizationSearchQuery, find_organizations
from catalog.models import (
    Direction,
    FundingSource,
    Group,
    GroupFinancing,
    ModerationStatus,
    Organization,
    OrganizationKind,
    OrganizationUnit,
    OvzCategory,
    Program,
    ProgramRegister,
    ProgramType,
    ScheduleSlot,
    StudyForm,
    StudyPlace,
    UnitKind,
    Weekday,
    map_url,
    weekday_numbers,
)
from catalog.on_map import PlacesMap
from catalog.permissions import (
    listed_programs,
    permitted_transitions,
    readable_group,
    readable_program,
    shown_groups,
    shown_teachers,
)
from catalog.search import MAP_PROGRAMS, AgeSeats, search_programs
from catalog.search_form import OKTMO_PATTERN, ORGANIZATION_CODE_PATTERN, ProgramSearchQuery
from core import scope
from core.api import (
    INPUT,
    INVALID,
    NOT_FOUND,
    NULL_REFUSED,
    WRITE_ERRORS,
    Code,
    ErrorOut,
    OneOf,
    Page,
    PageQuery,
    QuerySchema,
    paginate,
    read_by_pydantic,
    refused_in_query,
)
from core.models import code_pattern
from core.typed import contains_typed
from enrollment import admission
from people.models import Teacher
from territory.api import MunicipalityRefOut
from territory.models import Municipality
from territory.permissions import governed_municipalities

router = Router(auth=PUBLIC)

ORGANIZATIONS, PROGRAMS, GROUPS = ["Организации"], ["Программы"], ["Группы"]


# Which side may take a moderation step, and the scope action that side needs.
# --- Schemas: references ----------------------------------------------------------------------


class OrganizationRefOut(ModelSchema):
    class Meta:
        model = Organization
        fields = ["code", "short_name"]


class ProgramRefOut(ModelSchema):
    class Meta:
        model = Program
        fields = ["code", "title"]


class TeacherOut(Schema):
    uuid: UUID = Field(description="UUID педагога")
    full_name: str = Field(description="Фамилия, имя, отчество")
    position: str = Field(description="Должность")


class DictionaryItemOut(Schema):
    code: str = Field(description="Код по справочнику")
    name: str = Field(description="Название")


# --- Schemas: organizations -------------------------------------------------------------------


class OrganizationOut(ModelSchema):
    """Организация, реализующая программы."""

    municipality: MunicipalityRefOut

    class Meta:
        model = Organization
        fields = [
            "uuid",
            "code",
            "short_name",
            "full_name",
            "kind",
            "department",
            "inn",
            "kpp",
            "ogrn",
            "address",
            "latitude",
            "longitude",
            "phone",
            "email",
            "website",
            "accessible_for_ovz",
            "is_active",
            "updated_at",
        ]


class UnitOut(ModelSchema):
    class Meta:
        model = OrganizationUnit
        fields = ["kind", "name", "address"]


class StudyPlaceOut(ModelSchema):
    """Место занятий: другой адрес организации, где занимаются её группы (второй корпус, арендованный
    спортзал, класс партнёра по сетевой форме). Группа с этим адресом видна на карте в этом месте."""

    map_url: str | None = Field(description="Место на Яндекс Картах; null — координаты не указаны")

    class Meta:
        model = StudyPlace
        fields = ["id", "name", "address", "latitude", "longitude", "updated_at"]

    @staticmethod
    def resolve_map_url(place: StudyPlace) -> str | None:
        return place.map_url or None


class OrganizationDetailOut(OrganizationOut, ModelSchema):
    """Организация со сведениями о лицензии, доступности, подразделениях и местах занятий."""

    units: list[UnitOut] = Field(description="Структурные подразделения: Кванториум, IT-куб, Точка роста…")
    study_places: list[StudyPlaceOut] = Field(
        description="Места занятий: другие адреса организации, где занимаются её группы (см. "
        "GET /organizations/{code}/places)"
    )

    class Meta:
        model = Organization
        fields = ["description", "accessibility_notes", "licence_number", "licence_date", "created_at"]


class OrganizationProfileIn(ModelSchema):
    """Что организация сообщает о себе семьям. Наименования, реквизиты, тип, адрес и координаты изменяет опорный
    центр её территории (PATCH /organizations/{code}/register) по документам организации."""

    model_config = INPUT

    class Meta:
        model = Organization
        fields = ["description", "phone", "email", "website", "accessible_for_ovz", "accessibility_notes"]


class UnitIn(Schema):
    model_config = INPUT

    kind: Annotated[str, OneOf(UnitKind.choices)] = Field(description="Вид подразделения")
    name: str = Field(min_length=1, max_length=200, description="Название: «Кванториум», «Театр „Маска“»")
    address: str = Field("", max_length=500, description="Адрес, если отличается от адреса организации")


class OrganizationRegisterIn(ModelSchema):
    """Что реестр территории хранит об организации: наименования, тип, реквизиты (ИНН и ОГРН проверяются по
    контрольным суммам), лицензия, адрес и координаты, контакты, подразделения. Описание и условия доступности
    организация меняет сама (PATCH /organizations/{code})."""

    model_config = INPUT

    municipality: str = Field(pattern=OKTMO_PATTERN, description="ОКТМО муниципалитета организации")
    latitude: Decimal | None = Field(None, description="Широта, градусы от −90 до 90 (WGS 84, как в Яндекс Картах)")
    longitude: Decimal | None = Field(None, description="Долгота, градусы от −180 до 180")
    units: list[UnitIn] = Field([], max_length=50, description="Структурные подразделения, все")

    class Meta:
        model = Organization
        fields = [name for name in register.REGISTER_FIELDS if name not in {"municipality", "latitude", "longitude"}]


class OperatorIn(Schema):
    model_config = INPUT

    email: str = Field(max_length=254, description="Адрес: логин оператора и куда придёт приглашение")
    last_name: str = Field("", max_length=150, description="Фамилия: нужна, если у адреса нет учётной записи")
    first_name: str = Field("", max_length=150, description="Имя: нужно, если у адреса нет учётной записи")
    patronymic: str = Field("", max_length=150, description="Отчество")


class OrganizationCreateIn(OrganizationRegisterIn):
    operator: OperatorIn | None = Field(None, description="Первый оператор организации: ему придёт приглашение")


class StudyPlaceIn(ModelSchema):
    """Место занятий. Координаты — обе или ни одной; без них группы по этому адресу на карте не видны.
    Адрес самой организации местом занятий не бывает: он на карте по её координатам."""

    model_config = INPUT

    address: str = Field(
        max_length=500,
        description="Адрес так, как он написан у групп, которые там занимаются (лишние пробелы убираются)",
    )
    latitude: Decimal | None = Field(None, description="Широта, градусы от −90 до 90 (WGS 84, как в Яндекс Картах)")
    longitude: Decimal | None = Field(None, description="Долгота, градусы от −180 до 180")

    class Meta:
        model = StudyPlace
        fields = ["name"]


class SyncQuery(PageQuery):
    updated_since: AwareDatetime | None = Field(
        None,
        description="Только изменённые с этого момента (ISO 8601 с часовым поясом, например 2025-09-01T00:00:00Z); "
        "для синхронизации — тогда список упорядочен по времени изменения",
    )


def page_for_sync(queryset: QuerySet[Any], query: SyncQuery, *ordering: str) -> dict[str, Any]:
    """A page of the list in `ordering`, or with `updated_since`, of the rows changed since, in the
    order they changed (a synchronizing client resumes where it stopped)."""
    if query.updated_since:
        return paginate(queryset.filter(updated_at__gte=query.updated_since).order_by("updated_at", "id"), query)
    return paginate(queryset.order_by(*ordering, "id"), query)


class OrganizationQuery(SyncQuery):
    municipality: str | None = Field(None, pattern=OKTMO_PATTERN, description="ОКТМО муниципалитета")
    kind: Annotated[str, OneOf(OrganizationKind.choices)] | None = Field(None, description="Тип организации")
    q: str = Field("", max_length=200, description="Часть краткого или полного наименования")
    unit: list[Annotated[str, OneOf(UnitKind.choices)]] = Field(
        [], description="Структурное подразделение («Кванториум», «Точка роста»…): организации хотя бы с одним из них"
    )
    ovz: bool | None = Field(None, description="Доступна (true) или не отмечена доступной (false) для детей с ОВЗ")


class GroupQuery(PageQuery):
    municipality: str | None = Field(None, pattern=OKTMO_PATTERN, description="ОКТМО муниципалитета программы")
    organization: Code | None = Field(
        None, pattern=ORGANIZATION_CODE_PATTERN, description="Код организации, например OR-7K2M9Q"
    )
    program: Code | None = Field(None, pattern=code_pattern(Program.CODE_PREFIX), description="Код программы")


# --- Schemas: groups --------------------------------------------------------------------------


class SlotOut(ModelSchema):
    class Meta:
        model = ScheduleSlot
        fields = ["weekday", "starts_at", "ends_at", "room"]


class FinancingOut(ModelSchema):
    class Meta:
        model = GroupFinancing
        fields = ["source", "cost_per_month"]


class GroupSummaryOut(ModelSchema):
    """Группа программы: сроки, места и расписание."""

    seats_left: int = Field(description="Свободных мест")
    schedule: list[SlotOut] = Field(description="Расписание: день недели (0 — понедельник), время, кабинет")

    class Meta:
        model = Group
        fields = [
            "uuid",
            "code",
            "name",
            "start_date",
            "end_date",
            "age_from",
            "age_to",
            "capacity",
            "is_locked",
            "enrollment_opens_at",
            "enrollment_closes_at",
            "updated_at",
        ]


def _degrees(value: float | None) -> Decimal | None:
    """A coordinate as places.with_place reads it (a float) in the model's six decimal places."""
    return None if value is None else Decimal(f"{value:.6f}")


class GroupOut(GroupSummaryOut, ModelSchema):
    """Группа: программа, педагог, адрес, место на карте, расписание, финансирование и места."""

    program: ProgramRefOut
    teacher: TeacherOut | None = Field(description="Педагог группы")
    financing: list[FinancingOut] = Field(description="Источники финансирования и стоимость")
    latitude: Decimal | None = Field(
        description="Широта места занятий, если оно известно: адрес группы — адрес организации или одно из её "
        "мест занятий с координатами (study_places); иначе null"
    )
    longitude: Decimal | None = Field(description="Долгота места занятий; null — место не известно")
    map_url: str | None = Field(description="Место занятий на Яндекс Картах; null — место не известно")

    class Meta:
        model = Group
        fields = ["address", "academic_year", "seats_taken", "hours_per_year", "is_active", "created_at"]

    # The place's coordinates come annotated on the group (_with_details): no query per group.
    @staticmethod
    def resolve_latitude(group: Group) -> Decimal | None:
        return _degrees(group.place_latitude)  # type: ignore[attr-defined]

    @staticmethod
    def resolve_longitude(group: Group) -> Decimal | None:
        return _degrees(group.place_longitude)  # type: ignore[attr-defined]

    @staticmethod
    def resolve_map_url(group: Group) -> str | None:
        return map_url(GroupOut.resolve_latitude(group), GroupOut.resolve_longitude(group)) or None


class SlotIn(Schema):
    model_config = INPUT

    weekday: Annotated[int, OneOf(Weekday.choices)]
    starts_at: time
    ends_at: time
    room: str = Field("", max_length=64, description="Кабинет; пустая строка — не указан")

    @field_validator("starts_at", "ends_at")
    @classmethod
    def _local_time(cls, moment: time) -> time:
        if moment.tzinfo is not None:  # a lesson is at the organization's local time: an offset means nothing
            raise PydanticCustomError("local_time", "Время занятия — местное, без часового пояса: например, 16:00.")
        return moment


class FinancingIn(Schema):
    model_config = INPUT

    source: Annotated[str, OneOf(FundingSource.choices)]
    cost_per_month: Decimal = Field(description="Стоимость в месяц, ₽; 0 — бесплатно")


class GroupFieldsIn(ModelSchema):
    """Поля группы. Расписание и финансирование заменяются целиком, если переданы."""

    model_config = INPUT

    address: str = Field("", description="Адрес занятий; по умолчанию — место реализации программы")
    teacher: UUID | None = Field(None, description="UUID педагога организации")
    schedule: list[SlotIn] | None = Field(None, description="Расписание: занятия по дням недели")
    financing: list[FinancingIn] | None = Field(
        None,
        description="Источники финансирования из условий программы; у новой группы — хотя бы один "
        "(без него создание — ошибка 422), при изменении — не передавайте, чтобы оставить прежние",
    )
    # With the time zone: a local time without one is a different instant in every region.
    enrollment_opens_at: AwareDatetime | None = Field(None, description="Приём заявок с (с часовым поясом)")
    enrollment_closes_at: AwareDatetime | None = Field(None, description="Приём заявок по (с часовым поясом)")

    class Meta:
        model = Group
        fields = [
            "name",
            "academic_year",
            "start_date",
            "end_date",
            "age_from",
            "age_to",
            "capacity",
            "hours_per_year",
            "is_locked",
            "is_active",
        ]


class GroupCreateIn(GroupFieldsIn):
    program: Code = Field(description="Код программы, например PR-7K2M9Q")


# --- Schemas: programs ------------------------------------------------------------------------

PROGRAM_LIST_FIELDS = [
    "uuid",
    "code",
    "title",
    "summary",
    "direction",
    "program_type",
    "age_from",
    "age_to",
    "hours_total",
    "duration_months",
    "study_form",
    "uses_distance_learning",
    "is_network",
    "level_initial",
    "level_basic",
    "level_advanced",
    "ovz_adapted",
    "disability_adapted",
    "is_free",
    "by_certificate",
    "is_paid",
    "price_per_month",
    "open_seats",
    "current_groups",
    "closed_seats",
    "offering_groups",
    "status",
    "published_at",
    "updated_at",
]


# What the list item reads: its fields, the weekdays mask and the references.
PROGRAM_LIST_COLUMNS = ("id", "organization_id", "municipality_id", "weekdays_mask", *PROGRAM_LIST_FIELDS)


WEEKDAYS = "Дни занятий групп: 0 — понедельник … 6 — воскресенье"


class ProgramListItemOut(ModelSchema):
    """Программа в списке результатов поиска."""

    organization: OrganizationRefOut
    municipality: MunicipalityRefOut
    weekdays: list[int] = Field(description=WEEKDAYS)

    class Meta:
        model = Program
        fields = PROGRAM_LIST_FIELDS

    @staticmethod
    def resolve_weekdays(program: Program) -> list[int]:
        return program.weekday_numbers


class PendingChangesOut(Schema):
    """Изменения опубликованной программы, ожидающие модерации. До решения модератора в программе —
    опубликованная редакция; следующий PATCH меняет эти изменения и снова отправляет их на модерацию."""

    status: str = Field(
        description="moderating — на модерации, needs_changes — возвращены на доработку, draft — отозваны"
    )
    fields: list[str] = Field(description="Поля, которые меняются")
    values: dict[str, Any] = Field(
        description="Новые значения полей (тексты, числа, даты, признаки); у ссылок и списков — только имя в fields"
    )
    remark: str = Field(description="Замечание модератора к изменениям")
    submitted_at: AwareDatetime | None = Field(description="Когда отправлены на модерацию")


class AdmissionOut(Schema):
    """Как программа принимает заявки сейчас — то же, что говорит её страница в Навигаторе."""

    state: str = Field(
        description=(
            f"{admission.APPLY} — есть свободные места, можно подать заявку; {admission.QUEUE} — мест нет, заявка "
            f"встанет в очередь; {admission.CAMPAIGN} — идёт кампания с выбором групп по предпочтению; "
            f"{admission.LATER} — приём ещё не открылся; {admission.CLOSED} — приём закрыт; {admission.NO_GROUPS} — "
            f"набор в группы не объявлен; {admission.RETIRED} — программа в архиве; {admission.UNPUBLISHED} — "
            "программа не опубликована или временно снята с публикации: запись не ведётся"
        )
    )
    note: str = Field(description="Пояснение для семьи: что будет или почему записаться сейчас нельзя")


class ProgramDetailOut(ProgramListItemOut, ModelSchema):
    """Программа со всеми сведениями и текущими группами."""

    unit: UnitOut | None = Field(description="Структурное подразделение")
    ovz_categories: list[DictionaryItemOut] = Field(description="Категории ОВЗ")
    registers: list[DictionaryItemOut] = Field(description="Реестры программ")
    teachers: list[TeacherOut] = Field(description="Педагоги")
    groups: list[GroupSummaryOut] = Field(
        description="Действующие группы; у программы в архиве — все её группы, новые первыми, и только тем, "
        "кому она видна целиком (см. GET /programs/{code})"
    )
    pending_changes: PendingChangesOut | None = Field(
        description="Изменения, ожидающие модерации; видны организации и модератору программы"
    )
    moderation_remark: str = Field(description="Замечание модератора; видно организации и модератору программы")
    admission: AdmissionOut = Field(description="Принимает ли программа заявки сейчас")

    class Meta:
        model = Program
        fields = ["description", "goals", "results", "equipment", "address", "created_at"]

    @staticmethod
    def resolve_moderation_remark(program: Program) -> str:
        return program.moderation_remark if getattr(program, "moderation_shown", False) else ""

    @staticmethod
    def resolve_pending_changes(program: Program) -> dict[str, Any] | None:
        revision = program.pending_revision
        if revision is None or not getattr(program, "moderation_shown", False):
            return None
        return {
            "status": revision.status,
            "fields": [name.removesuffix("_id") for name in sorted(revision.values)],
            # A reference is kept by its id, a list as ids added and removed: meaningless outside.
            "values": {
                name: value
                for name, value in sorted(revision.values.items())
                if not name.endswith("_id") and not isinstance(value, dict)
            },
            "remark": revision.remark,
            "submitted_at": revision.submitted_at,
        }


# A plain pydantic model, read from the facet value's attributes by pydantic itself: a search has
# ~70 of them, and a ninja Schema would read each field through Python (DjangoGetter).
class FacetValueOut(BaseModel):
    """Значение фильтра и число программ с ним."""

    model_config = ConfigDict(from_attributes=True)

    value: str = Field(description="Значение фильтра для запроса")
    label: str = Field(description="Подпись")
    count: int = Field(description="Сколько найдётся с этим значением (программ или организаций)")
    selected: bool = Field(description="Выбрано в запросе")


# The search's items as pydantic reads them (see read_by_pydantic); the same fields and names.
ProgramSearchItemOut = read_by_pydantic(
    ProgramListItemOut,
    organization=(read_by_pydantic(OrganizationRefOut), ...),
    municipality=(read_by_pydantic(MunicipalityRefOut), ...),
    weekdays=(list[int], Field(validation_alias="weekday_numbers", description=WEEKDAYS)),
)


class AgeSeatsOut(BaseModel):
    """Группы программы для возраста (диапазона возрастов) из запроса и свободные места в них."""

    open_seats: int = Field(description="Свободных мест в группах, принимающих заявки")
    closed_seats: int = Field(description="Свободных мест в группах, не принимающих заявки (приём закрыт)")
    current_groups: int = Field(description="Действующих групп для этого возраста (хотя бы одного из диапазона)")
    offering_groups: int = Field(
        description="Из них принимающих заявки (в том числе с приёмом, который откроется позже); "
        "когда свободных мест в них нет, можно встать в очередь"
    )
    weekdays: list[int] = Field(description=WEEKDAYS)


class ProgramSearchOut(Page[ProgramSearchItemOut]):  # type: ignore[valid-type]
    """Страница результатов поиска с фасетами, как в Навигаторе."""

    facets: dict[str, list[FacetValueOut]] = Field(
        description="Фасеты: direction, form, level, funding, ovz, free_seats, day, ovz_category (категории детей "
        "с ОВЗ), municipality; с near — within (сколько программ не дальше каждого расстояния)"
    )
    corrected_query: str | None = Field(
        description="Запрос, по которому показаны результаты, когда по заданному ничего не нашлось: с исправленными "
        "опечатками, в русской раскладке, русскими буквами, без лишних слов; пустая строка — слова запроса говорят "
        "лишь, для кого программа («для девочек»), и показаны все программы с заданными фильтрами"
    )
    suggestion: str | None = Field(
        description="«Возможно, вы искали…»: запрос с исправленными опечатками, когда результатов мало, или с более "
        "общим словом, когда слова запроса в каталоге нет и ничего не нашлось («бокс» — «борьба»)"
    )
    seats_for_age: dict[str, AgeSeatsOut] = Field(
        description="С возрастом в запросе: для каждой программы страницы (по коду) — её действующие группы для "
        "этого возраста (с age_to — хотя бы одного из диапазона) и свободные места в них, как на карточках Навигатора"
    )
    distances_km: dict[str, float | None] = Field(
        description="С near: для каждой программы страницы (по коду) — расстояние от near до ближайшего места её "
        "занятий, км по поверхности Земли, с точностью до 0,1; место занятий — адрес организации или её место "
        "занятий (/organizations/{code}/places) с координатами, где проводится программа или собирается её "
        "действующая группа; null — ни одно такое место не известно"
    )
    nearest_places: dict[str, str] = Field(
        description="С near: для программ страницы (по коду), ближайшая к near группа которых занимается не по "
        "адресу организации, а в одном из её мест занятий, — название этого места (или его адрес, если названия "
        "нет); программ, ближайшее место которых — адрес организации, здесь нет"
    )


class MapProgramOut(Schema):
    code: str
    title: str
    organization: str = Field(description="Краткое название организации")


class MapPlaceBaseOut(Schema):
    """Место на карте списка (программ или организаций)."""

    latitude: float
    longitude: float
    name: str = Field(description="Название места занятий организации или адрес")
    distance_km: float | None = Field(description="С near: расстояние от near, км, с точностью до 0,1")


class MapPlaceOut(MapPlaceBaseOut):
    programs: list[MapProgramOut] = Field(
        description="Программы поиска, которые проводятся здесь или группа которых здесь занимается, в порядке поиска"
    )


class ProgramsMapOut(Schema):
    """Найденные программы по местам занятий, как на карте Навигатора."""

    total: int = Field(description="Сколько программ нашлось")
    shown: int = Field(description=f"Места каких программ показаны: первых по порядку поиска, не больше {MAP_PROGRAMS}")
    unplaced: int = Field(description="Сколько из них без известного места занятий (их на карте нет)")
    places: list[MapPlaceOut] = Field(description="Места, сначала те, где программ больше")
    corrected_query: str | None = Field(description="Как в поиске программ (/programs)")


class OrganizationFoundOut(OrganizationOut):
    """Организация в списке организаций Навигатора."""

    units: list[UnitOut] = Field(description="Структурные подразделения: Кванториум, IT-куб, Точка роста…")
    programs_published: int = Field(
        description="Опубликованных программ: столько найдёт поиск программ с organization — её кодом"
    )
    distance_km: float | None = Field(
        description="С near: расстояние от near до ближайшего из мест организации (её адреса и мест занятий с "
        "координатами), км по поверхности Земли, с точностью до 0,1; null — без near или ни одно место не известно"
    )
    nearest_place: str | None = Field(
        description="С near: название (или адрес) места занятий, ближайшего к near; пустая строка — ближайшее место — "
        "адрес самой организации; null — без near или ни одно место не известно"
    )

    @staticmethod
    def resolve_distance_km(organization: Organization) -> float | None:
        return _km(getattr(organization, "distance_km", None))

    @staticmethod
    def resolve_nearest_place(organization: Organization) -> str | None:
        return None if getattr(organization, "distance_km", None) is None else organization.nearest_place  # type: ignore[attr-defined]


class OrganizationSearchOut(Page[OrganizationFoundOut]):
    """Страница списка организаций с фасетами, как в Навигаторе."""

    facets: dict[str, list[FacetValueOut]] = Field(
        description="Фасеты: municipality, kind, unit, ovz — сколько организаций найдётся с каждым значением "
        "(остальные фильтры сохранены)"
    )


class MapOrganizationOut(Schema):
    code: str
    short_name: str = Field(description="Краткое название")


class MapOrganizationPlaceOut(MapPlaceBaseOut):
    organizations: list[MapOrganizationOut] = Field(description="Организации списка здесь, в порядке списка")


class OrganizationsMapOut(Schema):
    """Найденные организации по их местам (адресам и местам занятий), как на карте Навигатора."""

    total: int = Field(description="Сколько организаций нашлось")
    shown: int = Field(
        description=f"Места каких организаций показаны: первых по порядку списка, не больше {MAP_ORGANIZATIONS}"
    )
    unplaced: int = Field(description="Сколько из них без известного места (их на карте нет)")
    places: list[MapOrganizationPlaceOut] = Field(
        description="Места, сначала те, где организаций больше; с near — ближайшие первыми"
    )


class ProgramFieldsIn(ModelSchema):
    """Поля программы, которые заполняет организация."""

    model_config = INPUT

    direction: Annotated[str, OneOf(Direction.choices)]
    program_type: Annotated[str, OneOf(ProgramType.choices)] = ProgramType.GENERAL
    study_form: Annotated[str, OneOf(StudyForm.choices)] = StudyForm.FULL_TIME
    municipality: str | None = Field(
        None, description="ОКТМО места реализации; если не указан при создании — муниципалитет организации"
    )
    ovz_categories: list[str] = Field([], description="Коды категорий ОВЗ (GET /dictionaries)")
    registers: list[str] = Field([], description="Коды реестров программ (GET /dictionaries)")
    teachers: list[UUID] = Field([], description="UUID педагогов организации")

    class Meta:
        model = Program
        fields = [
            "title",
            "summary",
            "description",
            "goals",
            "results",
            "equipment",
            "level_initial",
            "level_basic",
            "level_advanced",
            "age_from",
            "age_to",
            "hours_total",
            "duration_months",
            "uses_distance_learning",
            "is_network",
            "ovz_adapted",
            "disability_adapted",
            "is_free",
            "by_certificate",
            "is_paid",
            "price_per_month",
            "address",
        ]


class ProgramCreateIn(ProgramFieldsIn):
    organization: Code = Field(description="Код организации, например OR-7K2M9Q")


class CarryOverIn(Schema):
    model_config = INPUT

    groups: list[Code] = Field(
        min_length=1,
        max_length=500,
        description="Коды действующих групп программы текущего учебного года, которые создать заново на следующий.",
    )


class TransitionIn(Schema):
    model_config = INPUT

    transition: Annotated[str, OneOf(services.TRANSITION_LABELS.items())] = Field(
        description=(
            "Действие: submit, withdraw и restore — организация; approve и return — модератор; archive — обе "
            "стороны. Изменения опубликованной программы: submit_changes, withdraw_changes и discard_changes — "
            "организация; approve_changes и return_changes — модератор"
        )
    )
    remark: str = Field("", description="Замечание модератора; обязательно при возврате на доработку")


# --- Querysets ---------------------------------------------------------------------------------


def _with_details(groups: QuerySet[Group]) -> QuerySet[Group]:
    """The groups with what GroupOut reads: the place of each one's address in the same query."""
    groups = groups.select_related("program", "teacher").prefetch_related("schedule", "financing")
    return places.with_place(groups, "address", "program__organization")


def _program_detail(user: Any, code: str) -> Program:
    programs = Program.objects.select_related("organization", "municipality", "unit", "revision").prefetch_related(
        "ovz_categories", "registers"
    )
    program = readable_program(programs, user, code)
    prefetch_related_objects(
        [program],
        Prefetch("teachers", queryset=shown_teachers(program)),
        Prefetch("groups", queryset=shown_groups(program).prefetch_related("schedule")),
    )
    # The moderator's remarks and the changes under moderation are between the organization and its
    # moderator (the public page shows neither).
    program.moderation_shown = bool(permitted_transitions(user, program))  # type: ignore[attr-defined]
    program.admission = admission.of_program(program, timezone.now())  # type: ignore[attr-defined]
    return program


# --- Organizations ----------------------------------------------------------------------------


@router.get(
    "/organizations", response={200: Page[OrganizationOut], **INVALID}, tags=ORGANIZATIONS, summary="Организации"
)
def list_organizations(request: Any, query: Query[OrganizationQuery]) -> dict[str, Any]:
    organizations = scope.restrict(Organization.objects.select_related("municipality"), request.auth)
    if query.municipality:
        organizations = organizations.filter(municipality__oktmo=query.municipality)
    if query.kind:
        organizations = organizations.filter(kind=query.kind)
    if query.q:
        organizations = organizations.filter(
            contains_typed("short_name", query.q) | contains_typed("full_name", query.q)
        )
    if query.unit:
        organizations = organizations.filter(
            Exists(OrganizationUnit.objects.filter(organization=OuterRef("pk"), kind__in=query.unit))
        )
    if query.ovz is not None:
        organizations = organizations.filter(accessible_for_ovz=query.ovz)
    return page_for_sync(organizations, query, "short_name")


@router.get(
    "/organizations/search",
    response={200: OrganizationSearchOut, **INVALID},
    tags=ORGANIZATIONS,
    summary="Поиск организаций",
)
def search_organizations(request: Any, query: Query[OrganizationSearchQuery]) -> dict[str, Any]:
    """Список организаций Навигатора: действующие организации с опубликованными программами — тот же поиск по
    названию, ИНН или коду, те же фильтры, фасеты и порядок, что на странице «Организации». Для синхронизации
    справочника организаций — /organizations."""
    result = find_organizations(query.to_params(), query.page_size)
    return {
        "items": result.organizations,
        "total": result.total,
        "page": result.page.number,
        "page_count": result.page.paginator.num_pages,
        "facets": result.facets,
    }


@router.get(
    "/organizations/map",
    response={200: OrganizationsMapOut, **INVALID},
    tags=ORGANIZATIONS,
    summary="Организации на карте",
)
def organizations_map(request: Any, query: Query[OrganizationSearchQuery]) -> dict[str, Any]:
    """Тот же поиск, что /organizations/search (page не учитывается), — по местам организаций: их адресам и местам
    занятий с координатами; организация с несколькими местами — в каждом из них."""
    result = find_organizations(query.to_params(), query.page_size, on_map=True)
    return _places_out(
        result.total, result.map, "organizations", lambda o: {"code": o.code, "short_name": o.short_name}
    )


def _places_out(
    total: int, found: PlacesMap[Any], items: str, item_out: Callable[[Any], dict[str, Any]]
) -> dict[str, Any]:
    """A list's map as the API answers it: its places, each with the list's `items` there."""
    return {
        "total": total,
        "shown": found.shown,
        "unplaced": found.unplaced,
        "places": [
            {
                "latitude": place.latitude,
                "longitude": place.longitude,
                "name": place.name,
                items: [item_out(item) for item in place.items],
                "distance_km": _km(place.distance_km),
            }
            for place in found.places
        ],
    }


class OrganizationProgramsQuery(SyncQuery):
    status: Annotated[str, OneOf(ModerationStatus.choices)] | None = Field(None, description="Статус модерации")


class OrganizationProgramOut(ModelSchema):
    class Meta:
        model = Program
        fields = ["uuid", "code", "title", "status", "updated_at"]


@router.get(
    "/organizations/{code}/programs",
    response={200: Page[OrganizationProgramOut], **NOT_FOUND, **INVALID},
    tags=PROGRAMS,
    summary="Программы организации",
)
def organization_programs(request: Any, code: Code, query: Query[OrganizationProgramsQuery]) -> dict[str, Any]:
    """Программы организации, которые видит вызывающий: её операторам, модераторам её территории и
    администратору — в любом статусе (черновики, на модерации, в архиве); педагогу организации —
    опубликованные и те, которые он ведёт (указан среди педагогов программы или ведёт её группу), в любом
    статусе; остальным — опубликованные. С updated_since — ещё и программы, которые были опубликованы и с
    тех пор ушли из каталога (в архив, на доработку…), с их статусом: копию каталога нужно от них
    освободить. Страницы без ограничения глубины, в отличие от поиска (не больше 50 страниц): так
    синхронизируют каталог организации; подробности — GET /programs/{code}."""
    organization = scope.get_in_scope(Organization.objects.all(), request.auth, "view", code=code)
    programs = listed_programs(
        request.auth,
        Program.objects.filter(organization=organization),
        changes=query.updated_since is not None,
    )
    if query.status:
        programs = programs.filter(status=query.status)
    return page_for_sync(programs, query, "title")


@router.get(
    "/organizations/{code}",
    response={200: OrganizationDetailOut, **NOT_FOUND},
    tags=ORGANIZATIONS,
    summary="Организация",
)
def get_organization(request: Any, code: Code) -> Organization:
    return scope.get_in_scope(_organizations_in_detail(), request.auth, "view", code=code)


def _organizations_in_detail() -> QuerySet[Organization]:
    """With what OrganizationDetailOut reads."""
    return Organization.objects.select_related("municipality").prefetch_related("units", "study_places")


@router.patch(
    "/organizations/{code}",
    auth=token_auth,
    response={200: OrganizationDetailOut, **WRITE_ERRORS},
    tags=ORGANIZATIONS,
    summary="Изменить карточку организации",
)
def update_organization_profile(request: Any, code: Code, body: PatchDict[OrganizationProfileIn]) -> Organization:
    """Меняются только переданные поля (операторы организации). null в текстовом поле очищает его; адрес
    электронной почты и сайт проверяются, сайт — с протоколом (https://…)."""
    organization = scope.get_in_scope(_organizations_in_detail(), request.auth, "change", code=code)
    if body.get("accessible_for_ovz", False) is None:
        raise ValidationError({"accessible_for_ovz": NULL_REFUSED})
    _assign(organization, body)
    services.save_organization_profile(request.auth, organization)
    return organization


MUNICIPALITY_NOT_GOVERNED = "Муниципалитет с таким ОКТМО не найден в вашей территории."


def _register_entry(actor: Any, organization: Organization, data: dict[str, Any]) -> list[register.Unit] | None:
    """The organization with the register's fields sent (the municipality by its ОКТМО, among the caller's);
    the units sent, None when not sent."""
    units = data.pop("units", None)
    if "municipality" in data:
        oktmo = data.pop("municipality")
        municipality = governed_municipalities(actor).filter(oktmo=oktmo).first()
        if municipality is None:
            raise ValidationError({"municipality": MUNICIPALITY_NOT_GOVERNED})
        organization.municipality = municipality
    _assign(organization, data)
    return (
        None
        if units is None
        else [register.Unit(unit["kind"], unit["name"], unit.get("address", "")) for unit in units]
    )


@router.post(
    "/organizations",
    auth=token_auth,
    response={201: OrganizationDetailOut, **WRITE_ERRORS},
    tags=ORGANIZATIONS,
    summary="Внести организацию в реестр",
)
def create_organization(request: Any, body: OrganizationCreateIn) -> Status[Organization]:
    """Вносят операторы опорного центра муниципалитета или региона, в свою территорию. С operator первому
    оператору организации открывается доступ и приходит приглашение; если это невозможно, организация не
    сохраняется (422 у полей operator)."""
    if not principal_of(request.auth).moderates_anything:
        raise PermissionDenied
    data = body.model_dump(exclude_unset=True)
    operator = data.pop("operator", None) or {}
    organization = Organization()
    units = _register_entry(request.auth, organization, data)
    register.add_organization(
        request.auth,
        organization,
        units or [],
        operator=operator.get("email", ""),
        person=NewPerson(operator.get("last_name", ""), operator.get("first_name", ""), operator.get("patronymic", "")),
        absolute=request.build_absolute_uri,
        operator_errors_at="operator.",
    )
    return Status(201, _organizations_in_detail().get(pk=organization.pk))


@router.patch(
    "/organizations/{code}/register",
    auth=token_auth,
    response={200: OrganizationDetailOut, **WRITE_ERRORS},
    tags=ORGANIZATIONS,
    summary="Изменить организацию в реестре",
)
def update_organization_register(request: Any, code: Code, body: PatchDict[OrganizationRegisterIn]) -> Organization:
    """Меняются только переданные поля (операторы опорного центра территории организации); units — целиком:
    подразделение, которое называют программы, остаётся (422). Муниципалитет организации с программами не
    меняется."""
    organization = scope.get_in_scope(_organizations_in_detail(), request.auth, "moderate", code=code)
    units = _register_entry(request.auth, organization, dict(body))
    register.save_organization(request.auth, organization, units)
    return _organizations_in_detail().get(pk=organization.pk)


# --- Programs: reading ------------------------------------------------------------------------


@router.get("/programs", response={200: ProgramSearchOut, **INVALID}, tags=PROGRAMS, summary="Поиск программ")
def search(request: Any, query: Query[ProgramSearchQuery]) -> dict[str, Any]:
    """Те же фильтры, поиск, фасеты и исправление опечаток, что на страницах Навигатора."""
    result = search_programs(query.to_params(query.page_size), PROGRAM_LIST_COLUMNS)
    return {
        "items": result.programs,
        "total": result.total,
        "page": query.page,
        "page_count": result.page_count,
        "facets": result.facets,
        "corrected_query": result.corrected_query,
        "suggestion": result.suggestion,
        "seats_for_age": (
            {p.code: _age_seats_out(result.seats_for_age.get(p.pk, AgeSeats())) for p in result.programs}
            if result.params.age is not None
            else {}
        ),
        "distances_km": (
            {p.code: _km(result.distances.get(p.pk)) for p in result.programs} if result.params.near else {}
        ),
        "nearest_places": {
            p.code: result.nearest_places[p.pk] for p in result.programs if p.pk in result.nearest_places
        },
    }


@router.get("/programs/map", response={200: ProgramsMapOut, **INVALID}, tags=PROGRAMS, summary="Программы на карте")
def programs_map(request: Any, query: Query[ProgramSearchQuery]) -> dict[str, Any]:
    """Тот же поиск, что /programs (page не учитывается), — по местам занятий: адресу организации и её местам
    занятий с координатами, где проводится программа или собирается её действующая группа; программа с группами в
    нескольких местах — в каждом из них."""
    result = search_programs(query.to_params(query.page_size), on_map=True)
    out = _places_out(
        result.total,
        result.map,
        "programs",
        lambda p: {"code": p.code, "title": p.title, "organization": p.organization.short_name},
    )
    return {**out, "corrected_query": result.corrected_query}


def _km(distance: float | None) -> float | None:
    return None if distance is None else round(distance, 1)


def _age_seats_out(seats: AgeSeats) -> dict[str, Any]:
    return {**seats._asdict(), "weekdays": weekday_numbers(seats.weekdays_mask)}


class DictionariesOut(Schema):
    ovz_categories: list[DictionaryItemOut] = Field(
        description="Категории детей с ОВЗ: коды для ovz_categories программы и фильтра ovz_category"
    )
    registers: list[DictionaryItemOut] = Field(description="Реестры программ: коды для registers программы")


@router.get("/dictionaries", response=DictionariesOut, tags=PROGRAMS, summary="Справочники")
def dictionaries(request: Any) -> dict[str, Any]:
    """Справочники, которые ведёт навигатор (по модели обмена с ЕПГУ): их коды принимают программы и поиск.
    Значения полей с выбором (направленность, уровень, форма обучения…) перечислены в схемах полей."""
    return {
        "ovz_categories": OvzCategory.objects.values("code", "name"),
        "registers": ProgramRegister.objects.values("code", "name"),
    }


@router.get("/programs/{code}", response={200: ProgramDetailOut, **NOT_FOUND}, tags=PROGRAMS, summary="Программа")
def get_program(request: Any, code: Code) -> Program:
    """Опубликованная программа — всем; черновики и программы на модерации — в пределах полномочий.

    Программа в архиве (status — archived) записи не принимает и в поиске не находится, но по коду
    отвечает, как её страница в Навигаторе: целиком, с группами (и прошедшими тоже), — организации,
    её педагогам, модераторам её территории и семье, у ребёнка которой есть заявка на неё (в любом
    статусе); остальным, если программа была опубликована, — без описания (description, goals,
    results, equipment пусты), педагогов и групп; не публиковавшаяся — 404.

    Программа, которую вернули на доработку, снова отправили на модерацию или вернули из архива в
    черновики, снята с публикации: её читают целиком организация, её педагоги, модераторы её
    территории и семья, у ребёнка которой есть заявка на неё, а запись не ведётся (admission.state —
    unpublished); остальным — 404."""
    return _program_detail(request.auth, code)


@router.get(
    "/programs/{code}/groups",
    response={200: Page[GroupOut], **NOT_FOUND, **INVALID},
    tags=GROUPS,
    summary="Группы программы",
)
def list_program_groups(request: Any, code: Code, query: Query[PageQuery]) -> dict[str, Any]:
    """Группы, которые показывает GET /programs/{code}: действующие; у программы в архиве — все, тем,
    кому она видна целиком, а остальным — ни одной."""
    program = readable_program(Program.objects.all(), request.auth, code)
    return paginate(_with_details(shown_groups(program).filter(program=program)), query)


class TeacherQuery(PageQuery):
    organization: Code | None = Field(None, pattern=ORGANIZATION_CODE_PATTERN, description="Код организации")


class TeacherListItemOut(TeacherOut):
    organization: OrganizationRefOut = Field(description="Организация педагога")
    qualification: str = Field(description="Квалификационная категория")


@router.get(
    "/teachers",
    auth=token_auth,
    response={200: Page[TeacherListItemOut], 401: ErrorOut, **INVALID},
    tags=ORGANIZATIONS,
    summary="Педагоги",
)
def list_teachers(request: Any, query: Query[TeacherQuery]) -> dict[str, Any]:
    """Педагоги организаций, которые видит вызывающий (своей организации, своей территории): их UUID
    указывают в программах (teachers) и группах (teacher)."""
    teachers = scope.restrict(Teacher.objects.select_related("organization"), request.auth)
    if query.organization:
        teachers = teachers.filter(organization__code=query.organization)
    return paginate(teachers.order_by("last_name", "first_name", "patronymic", "pk"), query)


@router.get("/groups", response={200: Page[GroupOut], **INVALID}, tags=GROUPS, summary="Группы")
def list_groups(request: Any, query: Query[GroupQuery]) -> dict[str, Any]:
    """Действующие группы программ, которые видит вызывающий (без токена — опубликованных), по программам."""
    groups = scope.restrict(Group.objects.current(), request.auth)
    if query.municipality:
        groups = groups.filter(program__municipality__oktmo=query.municipality)
    if query.organization:
        groups = groups.filter(program__organization__code=query.organization)
    if query.program:
        groups = groups.filter(program__code=query.program)
    return paginate(_with_details(groups.order_by("program_id", "start_date", "name", "id")), query)


@router.get("/groups/{code}", response={200: GroupOut, **NOT_FOUND}, tags=GROUPS, summary="Группа")
def get_group(request: Any, code: Code) -> Group:
    """Группа видна тому, кому её программа видна целиком (см. GET /programs/{code}): группа
    программы в архиве или снятой с публикации — её организации, педагогам, модераторам и семье, у
    ребёнка которой есть заявка на программу; остальным — 404."""
    return readable_group(_with_details(Group.objects.all()), request.auth, code)


# --- Programs and groups: writing -------------------------------------------------------------


PROGRAM_RELATIONS: dict[str, tuple[type[Model], str]] = {
    "ovz_categories": (OvzCategory, "code"),
    "registers": (ProgramRegister, "code"),
}


def _find(objects: type[Model] | QuerySet[Any], field: str, attribute: str, keys: list[Any]) -> list[Any]:
    """Objects (a model's, or among a queryset's) for the public keys a client sent, or an error on the
    field naming the unknown ones."""
    among = objects._default_manager.all() if isinstance(objects, type) else objects
    found = list(among.filter(**{f"{attribute}__in": keys}))
    unknown = {str(key) for key in keys} - {str(getattr(obj, attribute)) for obj in found}
    if unknown:
        raise ValidationError({field: f"Не найдены: {', '.join(sorted(unknown))}."})
    return found


def _teachers(organization_id: int, field: str, uuids: list[Any]) -> list[Teacher]:
    """The organization's teachers for the UUIDs a client sent. Another organization's is not found, in the
    words for a UUID nobody has: the answer does not tell that the teacher works elsewhere."""
    return _find(Teacher.objects.filter(organization_id=organization_id), field, "uuid", uuids)


def _save_program(actor: Any, program: Program, data: dict[str, Any]) -> Program:
    relations = {
        name: _find(model, name, attribute, data.pop(name) or [])
        for name, (model, attribute) in PROGRAM_RELATIONS.items()
        if name in data
    }
    if "teachers" in data:
        relations["teachers"] = _teachers(program.organization_id, "teachers", data.pop("teachers") or [])
    oktmo = data.pop("municipality", None)
    if oktmo:
        program.municipality = _find(Municipality, "municipality", "oktmo", [oktmo])[0]
    _assign(program, data)
    if "price_per_month" in data or data.get("is_paid"):
        # The office form's rule, on what was sent: a price of a program not paid is refused, not dropped.
        services.check_price(program.is_paid, program.price_per_month)
    return services.save_program(actor, program, **relations)


def _assign(obj: Model, data: dict[str, Any]) -> None:
    """Set the fields sent; null in a text field that may be left empty (blank, not null) is empty
    text. In a required one it is refused at once (NULL_REFUSED, as anywhere else): the actions read a name or an
    address (tidied, compared) before they check the fields, and would not say so."""
    refused = {}
    for name, value in data.items():
        field = obj._meta.get_field(name)
        if value is None and isinstance(field, CharField | TextField) and not field.null:
            if not field.blank:
                refused[name] = NULL_REFUSED
            value = ""
        setattr(obj, name, value)
    if refused:
        raise ValidationError(refused)


def _save_group(actor: Any, group: Group, data: dict[str, Any]) -> Group:
    schedule, financing = data.pop("schedule", None), data.pop("financing", None)
    if "teacher" in data:
        teacher = data.pop("teacher")
        group.teacher = _teachers(group.program.organization_id, "teacher", [teacher])[0] if teacher else None
    _assign(group, data)
    return services.save_group(
        actor,
        group,
        schedule=None if schedule is None else [services.Slot(**slot) for slot in schedule],
        financing=None if financing is None else [services.Financing(**item) for item in financing],
    )


@router.post(
    "/programs",
    auth=token_auth,
    response={201: ProgramDetailOut, **WRITE_ERRORS},
    tags=PROGRAMS,
    summary="Создать программу",
)
def create_program(request: Any, body: ProgramCreateIn) -> Status[Program]:
    """Создаёт черновик. Владелец токена должен быть оператором организации, указанной в теле запроса."""
    data = body.model_dump(exclude_unset=True)
    organization = scope.get_named(
        Organization.objects.all(),
        request.auth,
        "organization",
        "Организация не найдена.",
        "change",
        code=data.pop("organization"),
    )
    program = _save_program(request.auth, Program(organization=organization), data)
    return Status(201, _program_detail(request.auth, program.code))


@router.patch(
    "/programs/{code}",
    auth=token_auth,
    response={200: ProgramDetailOut, **WRITE_ERRORS},
    tags=PROGRAMS,
    summary="Изменить программу",
)
def update_program(request: Any, code: Code, body: PatchDict[ProgramFieldsIn]) -> Program:
    """Меняются только переданные поля; null в списке педагогов, категорий ОВЗ или реестров очищает его.

    У опубликованной программы изменения того, что видят семьи, уходят на модерацию (pending_changes),
    а до решения модератора в программе остаётся опубликованная редакция; педагоги и место реализации
    меняются сразу. Пока программа или её изменения на модерации, изменить её нельзя (422), как и
    программу в архиве: сначала её возвращают в черновики (transition restore)."""
    program = scope.get_in_scope(
        Program.objects.select_related("organization", "revision"), request.auth, "change", code=code
    )
    revisions.editing_copy(program)  # the next change starts from the pending one
    _save_program(request.auth, program, body)
    return _program_detail(request.auth, code)


@router.post(
    "/programs/{code}/transitions",
    auth=token_auth,
    response={200: ProgramDetailOut, **WRITE_ERRORS},
    tags=PROGRAMS,
    summary="Сменить статус программы",
)
def transition_program(request: Any, code: Code, body: TransitionIn) -> Program:
    """Модерация: организация отправляет и архивирует, модератор публикует и возвращает на доработку."""
    program = scope.get_in_scope(Program.objects.select_related("organization"), request.auth, "view", code=code)
    if body.transition not in permitted_transitions(request.auth, program):
        raise PermissionDenied
    services.change_program_status(request.auth, program, body.transition, body.remark)
    return _program_detail(request.auth, code)


@router.post(
    "/groups", auth=token_auth, response={201: GroupOut, **WRITE_ERRORS}, tags=GROUPS, summary="Создать группу"
)
def create_group(request: Any, body: GroupCreateIn) -> Status[Group]:
    data = body.model_dump(exclude_unset=True)
    program = scope.get_named(
        Program.objects.all(), request.auth, "program", "Программа не найдена.", "change", code=data.pop("program")
    )
    group = _save_group(request.auth, Group(program=program), data)
    return Status(201, _with_details(Group.objects.all()).get(pk=group.pk))


@router.post(
    "/programs/{code}/groups/next-year",
    auth=token_auth,
    response={201: list[GroupOut], **WRITE_ERRORS},
    tags=GROUPS,
    summary="Перенести группы на следующий учебный год",
)
def carry_groups_over(request: Any, code: Code, body: CarryOverIn) -> Status[list[Group]]:
    """Выбранные группы текущего учебного года создаются заново на следующий: те же название, педагог, адрес,
    расписание с кабинетами, возраст, число мест, часы и финансирование, даты и приём заявок — на год позже.
    Все или ни одной (422 с причиной для каждой группы: такая группа на следующий год уже есть, педагог или
    кабинет заняты и т. п.). Нынешние группы не меняются."""
    program = scope.get_in_scope(Program.objects.select_related("organization"), request.auth, "change", code=code)
    return _carried_over(next_year.carry_over(request.auth, program, body.groups))


@router.post(
    "/organizations/{code}/groups/next-year",
    auth=token_auth,
    response={201: list[GroupOut], **WRITE_ERRORS},
    tags=GROUPS,
    summary="Перенести группы организации на следующий учебный год",
)
def carry_organization_groups_over(request: Any, code: Code, body: CarryOverIn) -> Status[list[Group]]:
    """То же для групп разных программ организации сразу (кроме программ в архиве), все или ни одной: причина
    отказа называет группу и её программу."""
    organization = scope.get_in_scope(Organization.objects.all(), request.auth, "change", code=code)
    return _carried_over(next_year.carry_over_in(request.auth, organization, body.groups))


def _carried_over(made: list[Group]) -> Status[list[Group]]:
    created = _with_details(Group.objects.filter(pk__in=[group.pk for group in made]))
    return Status(201, list(created.order_by("program__title", "start_date", "name")))


@router.patch(
    "/groups/{code}",
    auth=token_auth,
    response={200: GroupOut, **WRITE_ERRORS},
    tags=GROUPS,
    summary="Изменить группу",
)
def update_group(request: Any, code: Code, body: PatchDict[GroupFieldsIn]) -> Group:
    """Меняются только переданные поля; расписание и финансирование — целиком. Группы программы в
    архиве не меняются и не создаются (422): сначала программу возвращают в черновики. Можно лишь
    выключить такую группу (только is_active: false), если в ней нет зачисленных детей и ждущих заявок."""
    group = scope.get_in_scope(Group.objects.select_related("program"), request.auth, "change", code=code)
    _save_group(request.auth, group, body)
    return _with_details(Group.objects.all()).get(pk=group.pk)


# --- Study places -----------------------------------------------------------------------------


@router.get(
    "/organizations/{code}/places",
    response={200: Page[StudyPlaceOut], **NOT_FOUND, **INVALID},
    tags=ORGANIZATIONS,
    summary="Места занятий организации",
)
def list_study_places(request: Any, code: Code, query: Query[SyncQuery]) -> dict[str, Any]:
    """Другие адреса организации, где занимаются её группы, — тому, кому видна организация. Группа,
    адрес которой — адрес места с координатами, видна на карте в этом месте (latitude, longitude и
    map_url группы) и находится поиском рядом с семьёй. С updated_since — добавленные и изменённые с
    этого момента; удалённые в список не попадают: чтобы узнать о них, сверяйтесь со списком целиком."""
    organization = scope.get_in_scope(Organization.objects.all(), request.auth, "view", code=code)
    return page_for_sync(organization.study_places.all(), query, "address")


@router.post(
    "/organizations/{code}/places",
    auth=token_auth,
    response={201: StudyPlaceOut, **WRITE_ERRORS},
    tags=ORGANIZATIONS,
    summary="Добавить место занятий",
)
def create_study_place(request: Any, code: Code, body: StudyPlaceIn) -> Status[StudyPlace]:
    """Добавляют операторы организации. Адрес — тот, что указан у групп (поле address группы): по нему
    группа и находит своё место."""
    organization = scope.get_in_scope(Organization.objects.all(), request.auth, "change", code=code)
    place = _save_study_place(request.auth, StudyPlace(organization=organization), body.model_dump(exclude_unset=True))
    return Status(201, place)


def _place_to_change(user: Any, place_id: int) -> StudyPlace:
    return scope.get_in_scope(StudyPlace.objects.select_related("organization"), user, "change", pk=place_id)


def _save_study_place(actor: Any, place: StudyPlace, data: dict[str, Any]) -> StudyPlace:
    """The place with the fields sent, saved by the action and read back: its coordinates as kept (55.7558
    sent is 55.755800, in the link too)."""
    _assign(place, data)
    services.save_study_place(actor, place)
    return StudyPlace.objects.get(pk=place.pk)


@router.patch(
    "/places/{place_id}",
    auth=token_auth,
    response={200: StudyPlaceOut, **WRITE_ERRORS},
    tags=ORGANIZATIONS,
    summary="Изменить место занятий",
)
def update_study_place(request: Any, place_id: int, body: PatchDict[StudyPlaceIn]) -> StudyPlace:
    """Меняются только переданные поля; null в широте и долготе (в обеих сразу) убирает координаты, в
    названии — очищает его. Исправленный адрес получают и программы и группы организации, записанные по
    прежнему адресу (их updated_at меняется): они остаются на карте в этом месте."""
    return _save_study_place(request.auth, _place_to_change(request.auth, place_id), body)


class RemovePlaceQuery(QuerySchema):
    move_to: str = Field(
        "",
        max_length=500,
        description="Куда перенести группы и программы места: адрес самой организации или другого её места занятий",
    )


@router.delete(
    "/places/{place_id}",
    auth=token_auth,
    response={204: None, **WRITE_ERRORS},
    tags=ORGANIZATIONS,
    summary="Удалить место занятий",
)
def delete_study_place(request: Any, place_id: int, query: Query[RemovePlaceQuery]) -> Status[None]:
    """Без move_to группы по этому адресу остаются с ним, но без места на карте, и поиск рядом с семьёй их больше
    не находит. С move_to действующие группы места переносятся по этому адресу (занятость кабинетов проверяется
    там; семьи детей в группах и ждущих места получают письмо), как и программы, которые проводятся в этом месте:
    все или ни одна — отказ 422 у move_to называет группы и причины."""
    place = _place_to_change(request.auth, place_id)
    with refused_in_query("move_to"):
        services.remove_study_place(request.auth, place, query.move_to)
    return Status(204, None)
