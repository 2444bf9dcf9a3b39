"""API: enrollment applications (заявки) of children to programs and groups.

Only signed-in callers: a family sees its children's applications, an organization its
programs', a moderator those of the territory, all through core.scope. Applying and every
status change go through enrollment.services with the token's user as the actor; this module
finds the objects a request names and maps results to schemas, nothing more.
"""

from datetime import datetime
from typing import Annotated, Any, TypeVar
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from ninja import Field, Header, Query, Router, Schema, Status
from ninja.security import django_auth
from pydantic import ConfigDict

from accounts.api_auth import token_auth
from catalog.api import OneOf, ProgramRefOut
from catalog.models import Group, Program
from core import scope
from core.api import INVALID, NOT_FOUND, ErrorOut, Page, PageQuery, ValidationErrorOut, paginate
from core.models import CODE_ALPHABET, CODE_RANDOM_LENGTH
from enrollment import services
from enrollment.models import Application, ApplicationEvent, ApplicationStatus
from people.models import Child

M = TypeVar("M", bound=Model)

# A bearer token, or a signed-in session; anonymous callers get 401.
SIGNED_IN = [token_auth, django_auth]

router = Router(auth=SIGNED_IN, tags=["Заявки"])

READ_ERRORS = {401: ErrorOut}
WRITE_ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut}
PROGRAM_CODE_PATTERN = rf"^{Program.CODE_PREFIX}-[{CODE_ALPHABET}]{{{CODE_RANDOM_LENGTH}}}$"
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
    program: str | None = Field(None, pattern=PROGRAM_CODE_PATTERN, description="Код программы, например PR-7K2M9Q")


class ApplicationIn(Schema):
    model_config = ConfigDict(extra="forbid")

    child: UUID = Field(description="UUID ребёнка, законным представителем которого вы являетесь")
    program: str = Field(description="Код программы, например PR-7K2M9Q")
    group: str | None = Field(None, description="Код группы; пусто — в любую группу программы")


class ApplicationTransitionIn(Schema):
    model_config = ConfigDict(extra="forbid")

    action: Annotated[str, OneOf(ACTIONS.items())] = Field(
        description="Действие: cancel — семья; остальные — организация, которая ведёт программу"
    )
    reason: str = Field("", description="Причина; обязательна при отказе и отчислении")
    group: str | None = Field(None, description="Код группы для приглашения; пусто — группа заявки или любая свободная")


# --- Querysets ---------------------------------------------------------------------------------


def _applications() -> QuerySet[Application]:
    return Application.objects.select_related("child", "program", "group").order_by("-created_at", "-id")


def _detail(user: Any, code: str) -> Application:
    return scope.get_in_scope(_applications().prefetch_related("events"), user, "view", code=code)


def _named(queryset: QuerySet[M], field: str, message: str, **lookup: Any) -> M:
    """The object a request names, or an error on that field."""
    found = queryset.filter(**lookup).first()
    if found is None:
        raise ValidationError({field: message})
    return found


def _group(user: Any, code: str | None) -> Group | None:
    if not code:
        return None
    return _named(scope.restrict(Group.objects.all(), user), "group", "Группа не найдена.", code=code)


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
def get_application(request: Any, code: str) -> Application:
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
    # Any child: applying for someone else's is refused by services.apply (403), not hidden.
    child = _named(Child.objects.all(), "child", "Ребёнок не найден.", uuid=body.child)
    program = _named(scope.restrict(Program.objects.all(), user), "program", "Программа не найдена.", code=body.program)
    group = _group(user, body.group)
    repeated = Application.objects.filter(applicant=user, idempotency_key=idempotency_key).exists()
    application = services.apply(user, child, program, group, idempotency_key)
    return Status(200 if repeated else 201, _detail(user, application.code))


@router.post(
    "/applications/{code}/transitions",
    auth=token_auth,
    response={200: ApplicationDetailOut, **WRITE_ERRORS},
    summary="Сменить статус заявки",
)
def transition_application(request: Any, code: str, body: ApplicationTransitionIn) -> Application:
    """Организация рассматривает, приглашает, зачисляет, ставит в очередь, отказывает и отчисляет; семья
    отменяет заявку. Отказ и отчисление — с причиной."""
    user = request.auth
    application = scope.get_in_scope(Application.objects.all(), user, "view", code=code)
    group = _group(user, body.group)
    services.change_status(user, application, body.action, reason=body.reason, group=group)
    return _detail(user, code)
