"""API: enrollment applications (заявки) of children to programs and groups, enrollment
campaigns with families' ranked choices, the attendance journal of a group, and a family's
watches of programs whose admission has not opened yet, and its «Избранное».

Only signed-in callers: a family sees its children's applications, an organization its
programs', a moderator those of the territory, all through core.scope. Applying, every status
change and transfer go through enrollment.services, choices through enrollment.campaigns, marks
through enrollment.journal, watches through enrollment.watches, «Избранное» through
enrollment.shortlist, with the token's user as the
actor; this module finds the objects a request names and maps results to schemas, nothing more.
"""

import datetime as dt
from datetime import date, datetime, time
from typing import Annotated, Any
from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpResponse
from ninja import Field, Header, Query, Router, Schema, Status
from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from accounts.api_auth import session_auth, token_auth
from catalog.api import ProgramRefOut
from catalog.models import Group, Program
from catalog.permissions import readable_program
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
    paginate,
)
from core.models import CODE_ALPHABET, CODE_RANDOM_LENGTH
from core.xlsx import XLSX_CONTENT_TYPE, xlsx_response
from enrollment import campaigns, journal, search_alerts, services, shortlist, watches
from enrollment.models import (
    AdmissionWatch,
    Application,
    ApplicationEvent,
    ApplicationStatus,
    Attendance,
    Campaign,
    CampaignChoice,
    CampaignKind,
    CampaignStatus,
    Lesson,
    SavedProgram,
    SearchAlert,
)
from people.models import Child
from territory.api import MunicipalityRefOut

# A bearer token, or a signed-in session; anonymous callers get 401.
SIGNED_IN = [token_auth, session_auth]

router = Router(auth=SIGNED_IN, tags=["Заявки"])

CAMPAIGNS, JOURNAL, WATCHES = ["Приёмные кампании"], ["Журнал посещаемости"], ["Ожидание открытия записи"]
SAVED, SEARCH_ALERTS = ["Избранное"], ["Подписки на новые программы"]
READ_ERRORS = {401: ErrorOut}
SCOPED_READ_ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, **INVALID}
PROGRAM_CODE_PATTERN = rf"^{Program.CODE_PREFIX}-[{CODE_ALPHABET}]{{{CODE_RANDOM_LENGTH}}}$"
GROUP_NOT_FOUND = "Группа не найдена."
# The system's own transitions (expiry of an invitation) are not requested through the API.
ACTIONS = {name: t.label for name, t in services.TRANSITIONS.items() if t.by != "system"}


# --- Schemas ----------------------------------------------------------------------------------


class ChildRefOut(Schema):
    uuid: UUID = Field(description="UUID ребёнка")
    first_name: str = Field(description="Имя")
    last_name: str = Field(description="Фамилия")


class GroupRefOut(Schema):
    code: str = Field(description="Код группы")
    name: str = Field(description="Название группы")


class ApplicationEventOut(Schema):
    created_at: datetime = Field(description="Время события")
    from_status: str = Field(description="Статус до события; пусто — заявка только что подана")
    to_status: str = Field(description="Статус после события")
    reason: str = Field(description="Причина, которую видит семья")
    by_system: bool = Field(description="Действие выполнила система: очередь, истечение срока ответа")

    @staticmethod
    def resolve_by_system(event: ApplicationEvent) -> bool:
        return event.actor_id is None


class ApplicationOut(Schema):
    """Заявка в списке: кто, куда и в каком статусе."""

    code: str = Field(description="Код заявки, например AP-7K2M9Q")
    uuid: UUID = Field(description="UUID заявки")
    status: str = Field(description="; ".join(f"{value} — {label}" for value, label in ApplicationStatus.choices))
    status_label: str = Field(description="Статус по-русски")
    child: ChildRefOut = Field(description="Ребёнок")
    program: ProgramRefOut = Field(description="Программа")
    group: GroupRefOut | None = Field(description="Группа; пусто — любая группа программы")
    deadline: datetime | None = Field(description="Ответить на приглашение до")
    created_at: datetime = Field(description="Подана")
    updated_at: datetime = Field(description="Изменена")

    @staticmethod
    def resolve_status_label(application: Application) -> str:
        return ApplicationStatus(application.status).label


class ApplicationDetailOut(ApplicationOut):
    """Заявка с историей, местом в очереди и действиями, доступными вызывающему."""

    waitlist_position: int | None = Field(description="Место в очереди, с 1; пусто — заявка не в очереди")
    reason: str = Field(description="Причина последнего решения: отказа, отчисления")
    left_on: date | None = Field(description="Дата отчисления; пусто — ребёнок не отчислен")
    events: list[ApplicationEventOut] = Field(description="История заявки, от подачи")
    allowed_actions: list[str] = Field(
        description="Действия, которые вызывающий может выполнить сейчас: "
        + "; ".join(f"{name} — {label}" for name, label in ACTIONS.items())
    )

    @staticmethod
    def resolve_waitlist_position(application: Application) -> int | None:
        return services.waitlist_position(application)

    @staticmethod
    def resolve_allowed_actions(application: Application, context: dict[str, Any]) -> list[str]:
        return services.permitted_actions(context["request"].auth, application)


class ApplicationQuery(PageQuery):
    status: Annotated[str, OneOf(ApplicationStatus.choices)] | None = Field(None, description="Статус заявки")
    program: Code | None = Field(None, pattern=PROGRAM_CODE_PATTERN, description="Код программы, например PR-7K2M9Q")


class ApplicationIn(Schema):
    model_config = INPUT

    child: UUID = Field(description="UUID ребёнка, законным представителем которого вы являетесь")
    program: Code = Field(description="Код программы, например PR-7K2M9Q")
    group: Code | None = Field(None, description="Код группы; пусто — в любую группу программы")


class ApplicationTransitionIn(Schema):
    model_config = INPUT

    action: Annotated[str, OneOf(ACTIONS.items())] = Field(
        description="Действие: cancel — семья; остальные — организация, которая ведёт программу"
    )
    reason: str = Field("", description="Причина; обязательна при отказе и отчислении")
    group: Code | None = Field(
        None, description="Код группы для приглашения; пусто — группа заявки или любая свободная"
    )
    left_on: date | None = Field(
        None,
        description="Дата отчисления, ГГГГ-ММ-ДД, только для expel; пусто — сегодня. "
        "Не в будущем и не раньше зачисления",
    )


class ApplicationTransferIn(Schema):
    model_config = INPUT

    group: Code = Field(min_length=1, description="Код группы той же программы, куда перевести ребёнка")
    reason: str = Field("", description="Причина перевода; пусто — «Перевод из группы …»")


# --- Querysets ---------------------------------------------------------------------------------


def _applications() -> QuerySet[Application]:
    return Application.objects.select_related("child", "program", "group").order_by("-created_at", "-id")


def _detail(user: Any, code: str) -> Application:
    return scope.get_in_scope(_applications().prefetch_related("events"), user, "view", code=code)


def _group(user: Any, code: str | None) -> Group | None:
    if not code:
        return None
    return scope.get_named(Group.objects.all(), user, "group", GROUP_NOT_FOUND, code=code)


def _application(user: Any, code: str) -> Application:
    return scope.get_in_scope(Application.objects.all(), user, "view", code=code)


# --- Endpoints ---------------------------------------------------------------------------------


@router.get("/applications", response={200: Page[ApplicationOut], **READ_ERRORS, **INVALID}, summary="Заявки")
def list_applications(request: Any, query: Query[ApplicationQuery]) -> dict[str, Any]:
    """Семья видит заявки своих детей, организация — на свои программы, муниципалитет — на программы своей
    территории. Сначала новые."""
    applications = scope.restrict(_applications(), request.auth, "view")
    if query.status:
        applications = applications.filter(status=query.status)
    if query.program:
        applications = applications.filter(program__code=query.program)
    return paginate(applications, query)


@router.get("/applications/{code}", response={200: ApplicationDetailOut, **READ_ERRORS, **NOT_FOUND}, summary="Заявка")
def get_application(request: Any, code: Code) -> Application:
    return _detail(request.auth, code)


@router.post(
    "/applications",
    auth=token_auth,
    response={200: ApplicationDetailOut, 201: ApplicationDetailOut, **WRITE_ERRORS},
    summary="Подать заявку",
)
def create_application(
    request: Any,
    body: ApplicationIn,
    idempotency_key: Annotated[
        str,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=64,
            description="Ключ повтора, 1–64 символа: повторный запрос с тем же ключом вернёт ту же заявку (200)",
        ),
    ],
) -> Status[Application]:
    """Подаёт законный представитель ребёнка. Новая заявка — 201; повтор с тем же ключом и теми же данными — 200
    и та же заявка."""
    user = request.auth
    # Any child: applying for someone else's is refused by services (403), not hidden.
    applied = services.apply_by_reference(user, body.child, body.program, body.group, idempotency_key)
    if not applied.created:
        return Status(200, _detail(user, applied.application.code))
    # The new application as the detail would read it: child, program, group and history are the
    # objects just written, so the answer needs no query for them.
    application = applied.application
    application._prefetched_objects_cache = {"events": applied.events}  # type: ignore[attr-defined]
    return Status(201, application)


@router.post(
    "/applications/{code}/transitions",
    auth=token_auth,
    response={200: ApplicationDetailOut, **WRITE_ERRORS},
    summary="Сменить статус заявки",
)
def transition_application(request: Any, code: Code, body: ApplicationTransitionIn) -> Application:
    """Организация рассматривает, приглашает, зачисляет, ставит в очередь, отказывает и отчисляет; семья
    отменяет заявку. Отказ и отчисление — с причиной."""
    user = request.auth
    application = _application(user, code)
    group = _group(user, body.group)
    if body.left_on is not None and body.action != "expel":
        raise ValidationError({"left_on": "Дату отчисления указывают только при отчислении (expel)."})
    services.change_status(user, application, body.action, reason=body.reason, group=group, left_on=body.left_on)
    return _detail(user, code)


@router.post(
    "/applications/{code}/transfer",
    auth=token_auth,
    response={200: ApplicationDetailOut, **WRITE_ERRORS},
    summary="Перевести в другую группу",
)
def transfer_application(request: Any, code: Code, body: ApplicationTransferIn) -> Application:
    """Организация, которая ведёт программу, переводит приглашённого или зачисленного ребёнка в другую группу
    той же программы. Место в новой группе занимается раньше, чем освобождается старое: в полную группу перевести
    нельзя, и тогда ничего не меняется. Освободившееся место предлагается следующему в очереди."""
    user = request.auth
    application = _application(user, code)
    group = scope.get_named(Group.objects.all(), user, "group", GROUP_NOT_FOUND, code=body.group)
    services.transfer(user, application, group, body.reason)
    return _detail(user, code)


# --- Campaigns ---------------------------------------------------------------------------------


class CampaignOut(Schema):
    """Приёмная кампания муниципалитета: сроки, порядок приёма, приоритеты и статус."""

    code: str = Field(description="Код кампании, например CA-7K2M9Q")
    uuid: UUID = Field(description="UUID кампании")
    name: str = Field(description="Название")
    kind: str = Field(description="; ".join(f"{value} — {label}" for value, label in CampaignKind.choices))
    kind_label: str = Field(description="Порядок приёма по-русски")
    municipality: MunicipalityRefOut = Field(description="Муниципалитет кампании")
    opens_at: datetime = Field(description="Приём заявок (выбора групп) с")
    closes_at: datetime | None = Field(description="Приём заявок по; пусто — без даты окончания (в порядке очереди)")
    max_choices: int = Field(description="Сколько групп, не больше, ребёнок может выбрать по порядку предпочтения")
    priority_ovz: bool = Field(description="Приоритет детям с ОВЗ")
    priority_siblings: bool = Field(description="Приоритет братьям и сёстрам занимающихся в организации")
    priority_residents: bool = Field(description="Приоритет жителям муниципалитета")
    status: str = Field(description="; ".join(f"{value} — {label}" for value, label in CampaignStatus.choices))
    status_label: str = Field(description="Статус по-русски")
    updated_at: datetime = Field(description="Изменена")

    @staticmethod
    def resolve_kind_label(campaign: Campaign) -> str:
        return CampaignKind(campaign.kind).label

    @staticmethod
    def resolve_status_label(campaign: Campaign) -> str:
        return CampaignStatus(campaign.status).label


class CampaignSummaryOut(Schema):
    children: int = Field(description="Детей, выбиравших группы")
    assigned: int = Field(description="Из них получили место")
    proposals: int = Field(description="Предложений в ходе отложенного принятия")


class CampaignDetailOut(CampaignOut):
    """Кампания с программами, ходом распределения, опубликованным зерном жребия и итогами."""

    programs: list[ProgramRefOut] = Field(description="Программы кампании")
    progress: int = Field(description="Ход распределения, %")
    lottery_seed: str | None = Field(
        description="Зерно жребия, публикуется при начале распределения: по нему любой может повторить "
        "распределение. Строкой — число длиннее, чем точно передаёт JSON в JavaScript"
    )
    allocated_at: datetime | None = Field(description="Когда распределение завершено")
    cancel_reason: str = Field(description="Причина отмены (статус cancelled); пусто — кампания не отменена")
    summary: CampaignSummaryOut | None = Field(description="Итоги распределения; пусто — распределения ещё не было")
    can_change: bool = Field(description="Вызывающий управляет этой кампанией (муниципалитет кампании)")

    @staticmethod
    def resolve_programs(campaign: Campaign) -> list[Program]:
        return list(campaign.programs.order_by("title", "pk"))

    @staticmethod
    def resolve_lottery_seed(campaign: Campaign) -> str | None:
        return None if campaign.lottery_seed is None else str(campaign.lottery_seed)

    @staticmethod
    def resolve_summary(campaign: Campaign) -> dict[str, Any] | None:
        return campaign.summary if campaign.status == CampaignStatus.ALLOCATED else None

    @staticmethod
    def resolve_can_change(campaign: Campaign, context: dict[str, Any]) -> bool:
        return scope.can(context["request"].auth, campaign, "change")


class CampaignQuery(PageQuery):
    status: Annotated[str, OneOf(CampaignStatus.choices)] | None = Field(None, description="Статус кампании")
    kind: Annotated[str, OneOf(CampaignKind.choices)] | None = Field(None, description="Порядок приёма")
    municipality: str | None = Field(None, pattern=r"^\d{8}(\d{3})?$", description="ОКТМО муниципалитета")
    managed: bool = Field(False, description="Только кампании, которыми управляет вызывающий")


class CampaignChoiceOut(Schema):
    rank: int = Field(description="Место в выборе: 1 — самая желанная группа")
    group: GroupRefOut = Field(description="Группа")
    program: ProgramRefOut = Field(description="Программа группы")
    outcome: str = Field(
        description="Итог распределения по этой группе: «Место в группе» или почему нет (приоритет, проходной номер "
        "жребия); пусто — распределения ещё не было или до этой группы очередь не дошла"
    )
    seat: bool = Field(description="Распределение дало ребёнку место в этой группе")

    @staticmethod
    def resolve_program(choice: CampaignChoice) -> Program:
        return choice.group.program


def _at_most_choices(groups: list[Code]) -> list[Code]:
    if len(groups) > campaigns.MAX_CHOICES_LIMIT:
        raise PydanticCustomError(
            "too_many_choices", "Не больше {limit} групп.", {"limit": campaigns.MAX_CHOICES_LIMIT}
        )
    return groups


class ChoicesIn(Schema):
    model_config = INPUT

    groups: Annotated[list[Code], AfterValidator(_at_most_choices)] = Field(
        description="Коды групп по порядку предпочтения, первая — самая желанная; заменяют прежний выбор"
    )


class ChildChoicesOut(Schema):
    """Выбор групп ребёнка в кампании по порядку предпочтения и, после распределения, его итог по каждой."""

    campaign: str = Field(description="Код кампании")
    child: ChildRefOut = Field(description="Ребёнок")
    accepting: bool = Field(description="Выбор принимается сейчас: кампания по выбору семей, приём открыт")
    max_choices: int = Field(description="Сколько групп, не больше, можно выбрать")
    choices: list[CampaignChoiceOut] = Field(description="Выбранные группы, от самой желанной")
    application: ApplicationOut | None = Field(description="Заявка-приглашение, созданная распределением; пусто — нет")


def _campaigns() -> QuerySet[Campaign]:
    return Campaign.objects.select_related("municipality").order_by("-opens_at", "-id")


def _campaign(user: Any, code: str) -> Campaign:
    return scope.get_in_scope(_campaigns(), user, "view", code=code)


def _child(user: Any, uuid: UUID) -> Child:
    return scope.get_in_scope(Child.objects.all(), user, "view", uuid=uuid)


def _child_choices(campaign: Campaign, child: Child) -> dict[str, Any]:
    application = campaigns.allocation_application(campaign, child)
    choices = list(
        CampaignChoice.objects.filter(campaign=campaign, child=child).select_related("group__program").order_by("rank")
    )
    for choice in choices:
        choice.seat = application is not None and application.group_id == choice.group_id  # type: ignore[attr-defined]
    return {
        "campaign": campaign.code,
        "child": child,
        "accepting": campaigns.accepting_choices(campaign),
        "max_choices": campaign.max_choices,
        "choices": choices,
        "application": application,
    }


@router.get(
    "/campaigns", response={200: Page[CampaignOut], **READ_ERRORS, **INVALID}, tags=CAMPAIGNS, summary="Кампании"
)
def list_campaigns(request: Any, query: Query[CampaignQuery]) -> dict[str, Any]:
    """Когда и как открывается приём, знают все: список открыт любому вошедшему. С `managed=true` — только
    кампании, которыми управляет вызывающий (муниципалитет, регион). Сначала позже открывающиеся."""
    found = scope.restrict(_campaigns(), request.auth, "change" if query.managed else "view")
    if query.status:
        found = found.filter(status=query.status)
    if query.kind:
        found = found.filter(kind=query.kind)
    if query.municipality:
        found = found.filter(municipality__oktmo=query.municipality)
    return paginate(found, query)


@router.get(
    "/campaigns/{code}",
    response={200: CampaignDetailOut, **READ_ERRORS, **NOT_FOUND},
    tags=CAMPAIGNS,
    summary="Кампания",
)
def get_campaign(request: Any, code: Code) -> Campaign:
    """Сроки, программы и приоритеты кампании; после начала распределения — опубликованное зерно жребия и ход,
    после завершения — итоги."""
    return _campaign(request.auth, code)


@router.get(
    "/campaigns/{code}/children/{child}/choices",
    response={200: ChildChoicesOut, **SCOPED_READ_ERRORS},
    tags=CAMPAIGNS,
    summary="Выбор групп ребёнка",
)
def get_choices(request: Any, code: Code, child: UUID) -> dict[str, Any]:
    """Видят законные представители ребёнка и муниципалитет кампании. После распределения у каждой группы —
    итог: место или почему нет (приоритет, проходной номер жребия), как на странице семьи."""
    user = request.auth
    campaign, kid = _campaign(user, code), _child(user, child)
    if not campaigns.may_see_choices(user, campaign, kid):
        raise PermissionDenied
    return _child_choices(campaign, kid)


@router.put(
    "/campaigns/{code}/children/{child}/choices",
    auth=token_auth,
    response={200: ChildChoicesOut, **WRITE_ERRORS},
    tags=CAMPAIGNS,
    summary="Выбрать группы",
)
def put_choices(request: Any, code: Code, child: UUID, body: ChoicesIn) -> dict[str, Any]:
    """Законный представитель ребёнка выбирает группы кампании по порядку предпочтения, пока открыт приём;
    новый выбор заменяет прежний."""
    user = request.auth
    campaign, kid = _campaign(user, code), _child(user, child)
    found = {
        g.code: g for g in scope.restrict(Group.objects.select_related("program"), user).filter(code__in=body.groups)
    }
    unknown = [c for c in body.groups if c not in found]
    if unknown:
        raise ValidationError({"groups": f"Группы не найдены: {', '.join(unknown)}."})
    campaigns.submit_choices(user, campaign, kid, [found[c] for c in body.groups])
    return _child_choices(campaign, kid)


# --- Journal -----------------------------------------------------------------------------------


class LessonOut(Schema):
    id: int = Field(description="Номер занятия")
    date: dt.date = Field(description="Дата")  # the module's name: a field called `date` hides the type
    starts_at: time = Field(description="Начало")
    ends_at: time = Field(description="Окончание")
    is_cancelled: bool = Field(description="Занятие отменено")
    marked: int = Field(description="Детей отмечено")
    present: int = Field(description="Из них присутствовали")


class AttendanceRowOut(Schema):
    application: str = Field(description="Код заявки (зачисления) ребёнка")
    child: ChildRefOut = Field(description="Ребёнок")
    present: bool | None = Field(description="Был на занятии; пусто — не отмечен")


class LessonDetailOut(LessonOut):
    """Занятие и отметки каждого зачисленного в группу ребёнка."""

    attendance: list[AttendanceRowOut] = Field(description="Зачисленные дети и их отметки, по алфавиту")

    @staticmethod
    def resolve_attendance(lesson: Lesson) -> list[dict[str, Any]]:
        marks = dict(Attendance.objects.filter(lesson=lesson).values_list("application_id", "present"))
        return [
            {"application": a.code, "child": a.child, "present": marks.get(a.pk)}
            for a in journal.enrolled(lesson.group, on=lesson.date)
        ]


class LessonQuery(PageQuery):
    # Years as the monthly report takes them: a month of year 0 is none (the database cannot bound it).
    month: str | None = Field(None, pattern=r"^20\d\d-(0[1-9]|1[0-2])$", description="Месяц, ГГГГ-ММ, 2000–2099")


class AttendanceIn(Schema):
    model_config = INPUT

    present: list[Code] = Field(
        description="Коды заявок (зачислений) детей, которые были на занятии; остальные зачисленные — не были"
    )


class GeneratedOut(Schema):
    created: int = Field(description="Сколько занятий добавлено")


class ReportQuery(QuerySchema):
    year: int = Field(ge=2000, le=2100, description="Год")
    month: int = Field(ge=1, le=12, description="Месяц, 1–12")


def _lessons(group: Group) -> QuerySet[Lesson]:
    return group.lessons.annotate(
        marked=Count("attendance"), present=Count("attendance", filter=Q(attendance__present=True))
    ).order_by("date", "starts_at", "pk")


def _lesson(group: Group, lesson_id: int) -> Lesson:
    lesson = _lessons(group).select_related("group").filter(pk=lesson_id).first()
    if lesson is None:
        raise Http404
    return lesson


JOURNAL_ACCESS = (
    "Журнал ведут педагог группы и оператор её организации; группа, которую вызывающий не видит, — 404, "
    "видит, но журнал не ведёт — 403."
)


@router.get(
    "/groups/{code}/lessons",
    response={200: Page[LessonOut], **SCOPED_READ_ERRORS},
    tags=JOURNAL,
    summary="Занятия группы",
    description=f"Занятия, созданные по расписанию группы (нерабочие дни пропущены), по порядку. {JOURNAL_ACCESS}",
)
def list_lessons(request: Any, code: Code, query: Query[LessonQuery]) -> dict[str, Any]:
    lessons = _lessons(journal.journal_group(request.auth, code))
    if query.month:
        year, month = (int(part) for part in query.month.split("-"))
        lessons = lessons.filter(date__year=year, date__month=month)
    return paginate(lessons, query)


@router.post(
    "/groups/{code}/lessons/generate",
    auth=token_auth,
    response={200: GeneratedOut, **WRITE_ERRORS},
    tags=JOURNAL,
    summary="Создать занятия по расписанию",
    description="Создаёт занятия группы по её расписанию до конца периода, пропуская нерабочие дни; уже созданные "
    f"остаются как есть, повтор ничего не добавляет. {JOURNAL_ACCESS}",
)
def generate_lessons(request: Any, code: Code) -> dict[str, int]:
    return {"created": journal.generate_lessons(journal.journal_group(request.auth, code))}


@router.get(
    "/groups/{code}/lessons/{lesson_id}",
    response={200: LessonDetailOut, **SCOPED_READ_ERRORS},
    tags=JOURNAL,
    summary="Занятие и отметки",
    description=JOURNAL_ACCESS,
)
def get_lesson(request: Any, code: Code, lesson_id: int) -> Lesson:
    return _lesson(journal.journal_group(request.auth, code), lesson_id)


@router.put(
    "/groups/{code}/lessons/{lesson_id}/attendance",
    auth=token_auth,
    response={200: LessonDetailOut, **WRITE_ERRORS},
    tags=JOURNAL,
    summary="Отметить посещаемость",
    description="Отмечает всех зачисленных детей сразу: перечисленные были, остальные не были; повтор исправляет "
    f"отметки. Будущее и отменённое занятие отметить нельзя. {JOURNAL_ACCESS}",
)
def mark_lesson(request: Any, code: Code, lesson_id: int, body: AttendanceIn) -> Lesson:
    user = request.auth
    group = journal.journal_group(user, code)
    lesson = _lesson(group, lesson_id)
    enrolled = {a.code: a.pk for a in journal.enrolled(group, on=lesson.date)}
    unknown = [c for c in body.present if c not in enrolled]
    if unknown:
        raise ValidationError({"present": f"Не были зачислены в группу на дату занятия: {', '.join(unknown)}."})
    journal.mark_attendance(user, lesson, {enrolled[c] for c in body.present})
    return _lesson(group, lesson_id)


@router.get(
    "/groups/{code}/report",
    response={**SCOPED_READ_ERRORS},
    tags=JOURNAL,
    summary="Отчёт о посещаемости за месяц (XLSX)",
    description=f"Строка на ребёнка, столбец на занятие: «+» был, «н» не был; итоги. {JOURNAL_ACCESS}",
    openapi_extra={
        "responses": {
            "200": {
                "description": "Книга Excel",
                "content": {XLSX_CONTENT_TYPE: {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def journal_report(request: Any, code: Code, query: Query[ReportQuery]) -> HttpResponse:
    group = journal.journal_group(request.auth, code)
    content = journal.monthly_report(group, query.year, query.month)
    return xlsx_response(content, f"journal-{group.code}-{query.year}-{query.month:02d}.xlsx")


# --- Watches ----------------------------------------------------------------------------------


class WatchOut(Schema):
    """Ожидание открытия записи на программу: когда запись откроется, родителю придёт одно письмо."""

    id: int = Field(description="Номер ожидания")
    program: ProgramRefOut = Field(description="Программа")
    created_at: datetime = Field(description="Ждёт с")
    notified_at: datetime | None = Field(description="Когда отправлено письмо об открытии записи; пусто — ещё ждёт")
    waiting: bool = Field(description="Ещё ждёт: запись пока не открылась")


def _watches() -> QuerySet[AdmissionWatch]:
    return AdmissionWatch.objects.select_related("program").order_by("-created_at", "-id")


@router.get(
    "/watches",
    response={200: Page[WatchOut], **READ_ERRORS, **INVALID},
    tags=WATCHES,
    summary="Ожидания открытия записи",
)
def list_watches(request: Any, query: Query[PageQuery]) -> dict[str, Any]:
    """Программы, открытия записи на которые ждёт вызывающий, и те, о чьём открытии письмо уже отправлено. Сначала
    новые."""
    # The caller's own, whoever calls: an administrator's scope would list every family's.
    return paginate(_watches().filter(user=request.auth), query)


@router.post(
    "/programs/{code}/watch",
    auth=token_auth,
    response={200: WatchOut, 201: WatchOut, **WRITE_ERRORS},
    tags=WATCHES,
    summary="Ждать открытия записи",
)
def watch_program(request: Any, code: Code) -> Status[AdmissionWatch]:
    """Родитель просит сообщить письмом, когда на программу откроется запись. Новое ожидание — 201; программа, которую
    вызывающий уже ждёт, — 200 и то же ожидание. Пока запись открыта или программа в архиве, ждать нечего — 422."""
    user = request.auth
    found, created = watches.watch(user, readable_program(Program.objects.all(), user, code))
    return Status(201 if created else 200, found)


@router.delete(
    "/watches/{watch_id}",
    auth=token_auth,
    response={204: None, **WRITE_ERRORS},
    tags=WATCHES,
    summary="Не ждать открытия записи",
)
def stop_watching(request: Any, watch_id: int) -> Status[None]:
    """Удаляет ожидание вызывающего: письма не будет (а отправленное уходит из списка). Чужое ожидание — 404."""
    user = request.auth
    watches.stop_watching(user, scope.get_in_scope(_watches(), user, "change", pk=watch_id))
    return Status(204, None)


# --- «Избранное» ------------------------------------------------------------------------------


class SavedProgramOut(Schema):
    """Программа в избранном родителя."""

    id: int = Field(description="Номер записи в избранном")
    program: ProgramRefOut = Field(description="Программа")
    created_at: datetime = Field(description="Когда сохранена")


def _saved() -> QuerySet[SavedProgram]:
    return SavedProgram.objects.select_related("program").order_by("-created_at", "-id")


@router.get(
    "/saved-programs",
    response={200: Page[SavedProgramOut], **READ_ERRORS, **INVALID},
    tags=SAVED,
    summary="Избранное",
)
def list_saved_programs(request: Any, query: Query[PageQuery]) -> dict[str, Any]:
    """Программы, которые вызывающий сохранил в избранное. Сначала сохранённые последними."""
    # The caller's own, whoever calls: an administrator's scope would list every family's.
    return paginate(_saved().filter(user=request.auth), query)


@router.post(
    "/programs/{code}/save",
    auth=token_auth,
    response={200: SavedProgramOut, 201: SavedProgramOut, **WRITE_ERRORS},
    tags=SAVED,
    summary="Сохранить программу в избранное",
)
def save_program(request: Any, code: Code) -> Status[SavedProgram]:
    """Новая запись — 201; программа, уже сохранённая вызывающим, — 200 и та же запись. Сохраняют родители."""
    user = request.auth
    found, created = shortlist.save(user, readable_program(Program.objects.all(), user, code))
    return Status(201 if created else 200, found)


@router.delete(
    "/saved-programs/{saved_id}",
    auth=token_auth,
    response={204: None, **WRITE_ERRORS},
    tags=SAVED,
    summary="Убрать программу из избранного",
)
def forget_saved_program(request: Any, saved_id: int) -> Status[None]:
    """Удаляет запись вызывающего из избранного. Чужая запись — 404."""
    user = request.auth
    shortlist.remove(user, scope.get_in_scope(_saved(), user, "change", pk=saved_id))
    return Status(204, None)


# --- Подписки на новые программы ------------------------------------------------------------


class SearchAlertOut(Schema):
    """Поиск, о новых программах которого родителю приходят письма."""

    id: int = Field(description="Номер подписки")
    query: str = Field(description="Параметры поиска, как у GET /programs, в одном порядке: age=10&q=%D0%B1…")
    description: str = Field(description="Поиск словами, как в личном кабинете: «бокс» · 10 лет · город Энск")
    created_at: datetime = Field(description="Когда подписался")
    checked_at: datetime = Field(description="Программы, опубликованные до этого момента, проверены")

    @staticmethod
    def resolve_description(alert: SearchAlert) -> str:
        return search_alerts.description(alert)


class SearchAlertIn(Schema):
    model_config = INPUT

    query: str = Field(
        max_length=2000,
        description="Параметры поиска, как у GET /programs (строка запроса без «?»): q=бокс&age=10&municipality=… "
        "Страница, размер страницы и сортировка не учитываются; нужен запрос или хотя бы один фильтр",
    )


@router.get(
    "/search-alerts",
    response={200: Page[SearchAlertOut], **READ_ERRORS, **INVALID},
    tags=SEARCH_ALERTS,
    summary="Подписки на новые программы",
)
def list_search_alerts(request: Any, query: Query[PageQuery]) -> dict[str, Any]:
    """Поиски вызывающего, о новых программах которых приходят письма. Сначала новые подписки."""
    # The caller's own, whoever calls: an administrator's scope would list every family's.
    return paginate(SearchAlert.objects.filter(user=request.auth), query)


@router.post(
    "/search-alerts",
    auth=token_auth,
    response={200: SearchAlertOut, 201: SearchAlertOut, **WRITE_ERRORS},
    tags=SEARCH_ALERTS,
    summary="Подписаться на новые программы",
)
def keep_search_alert(request: Any, body: SearchAlertIn) -> Status[SearchAlert]:
    """Родитель просит писать о программах, которые опубликуют позже и которые находит этот поиск (каждой — одно
    письмо). Новая подписка — 201; тот же поиск, на который вызывающий уже подписан (параметры в любом порядке), —
    200 и та же подписка. Подписываются родители, не больше чем на 20 поисков; поиск без запроса и фильтров или с
    неверным значением — 422 у поля query."""
    found, created = search_alerts.keep(request.auth, body.query)
    return Status(201 if created else 200, found)


@router.delete(
    "/search-alerts/{alert_id}",
    auth=token_auth,
    response={204: None, **WRITE_ERRORS},
    tags=SEARCH_ALERTS,
    summary="Отписаться от новых программ",
)
def forget_search_alert(request: Any, alert_id: int) -> Status[None]:
    """Удаляет подписку вызывающего: писем по этому поиску больше не будет. Чужая подписка — 404."""
    user = request.auth
    search_alerts.forget(user, scope.get_in_scope(SearchAlert.objects.all(), user, "change", pk=alert_id))
    return Status(204, None)
