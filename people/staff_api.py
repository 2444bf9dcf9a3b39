"""API: an organization's teachers' cards and who works in its office — the office's «Педагоги и доступ».

The organization's operators add, change and remove teachers' cards (people.services) and open and close access to
the office by e-mail (accounts.services): a new address gets an account and a letter with a link to set its
password, the same actions as the pages.
"""

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from ninja import Field, PatchDict, Router, Schema, Status

from accounts import services as access
from accounts.api_auth import token_auth
from accounts.models import RoleAssignment
from catalog.models import Organization
from catalog.permissions import kept_teacher, staffed_organization
from core import scope
from core.api import INPUT, NOT_FOUND, WRITE_ERRORS, Code, ErrorOut
from people import services
from people.models import Teacher

router = Router(auth=token_auth, tags=["Педагоги и доступ"])
TEACHER_ROLE_ONLY = "Карточку педагога связывают только с доступом педагога (role: teacher)."


class TeacherIn(Schema):
    model_config = INPUT

    last_name: str = Field(min_length=1, max_length=100, description="Фамилия")
    first_name: str = Field(min_length=1, max_length=100, description="Имя")
    patronymic: str = Field("", max_length=100, description="Отчество")
    position: str = Field("Педагог дополнительного образования", min_length=1, max_length=200, description="Должность")
    qualification: str = Field("", max_length=100, description="Квалификационная категория")
    teaching_since: int | None = Field(None, description="Педагогический стаж с (год), от 1950 до нынешнего")
    about: str = Field("", max_length=5000, description="О педагоге: семьи читают это на странице программы")


class TeacherCreateIn(TeacherIn):
    email: str = Field(
        "",
        max_length=254,
        description="Адрес для входа (необязательно): педагогу придёт приглашение, в кабинете он увидит свои группы",
    )


class TeacherCardOut(Schema):
    uuid: UUID = Field(description="UUID педагога: его указывают в программах (teachers) и группах (teacher)")
    organization: str = Field(description="Код организации")
    last_name: str
    first_name: str
    patronymic: str
    full_name: str = Field(description="Фамилия, имя, отчество")
    position: str
    qualification: str
    teaching_since: int | None
    about: str
    account: str | None = Field(description="Адрес учётной записи педагога; null — педагог не входит в кабинет")

    @staticmethod
    def resolve_organization(teacher: Teacher) -> str:
        return teacher.organization.code

    @staticmethod
    def resolve_account(teacher: Teacher) -> str | None:
        return teacher.user.email if teacher.user else None


class AccessOut(Schema):
    id: int = Field(description="Номер доступа: по нему доступ закрывают")
    email: str = Field(description="Адрес учётной записи (логин)")
    full_name: str = Field(description="Имя из учётной записи")
    role: Literal["org_operator", "teacher"] = Field(description="org_operator — оператор, teacher — педагог")
    created_at: datetime = Field(description="Когда доступ открыт")
    last_login: datetime | None = Field(description="Последний вход; null — ещё не входил")
    invitation_pending: bool = Field(description="Пароль ещё не задан: приглашение можно отправить ещё раз")

    @staticmethod
    def resolve_email(role: RoleAssignment) -> str:
        return role.user.email

    @staticmethod
    def resolve_full_name(role: RoleAssignment) -> str:
        return role.user.display_name

    @staticmethod
    def resolve_last_login(role: RoleAssignment) -> datetime | None:
        return role.user.last_login

    @staticmethod
    def resolve_invitation_pending(role: RoleAssignment) -> bool:
        return role.user.last_login is None and not role.user.has_usable_password()


class AccessIn(Schema):
    model_config = INPUT

    email: str = Field(max_length=254, description="Адрес: логин и куда придёт приглашение")
    role: Literal["org_operator", "teacher"] = Field(description="org_operator — оператор, teacher — педагог")
    last_name: str = Field("", max_length=150, description="Фамилия: нужна, если у адреса ещё нет учётной записи")
    first_name: str = Field("", max_length=150, description="Имя: нужно, если у адреса ещё нет учётной записи")
    patronymic: str = Field("", max_length=150, description="Отчество")
    teacher: UUID | None = Field(None, description="UUID карточки педагога организации, связываемой с учётной записью")


def _card(teacher: Teacher) -> Teacher:
    return Teacher.objects.select_related("organization", "user").get(pk=teacher.pk)


@router.post(
    "/organizations/{code}/teachers",
    response={201: TeacherCardOut, **WRITE_ERRORS},
    summary="Добавить педагога",
)
def create_teacher(request: Any, code: Code, body: TeacherCreateIn) -> Status[Teacher]:
    """Добавляют операторы организации. С email педагог получает доступ к кабинету организации и письмо
    (новому адресу — со ссылкой, чтобы задать пароль); если это невозможно, карточка не сохраняется (422 у email)."""
    data = body.model_dump()
    invite = data.pop("email")
    teacher = Teacher(organization=staffed_organization(request.auth, code), **data)
    services.save_teacher(request.auth, teacher, invite=invite, absolute=request.build_absolute_uri)
    return Status(201, _card(teacher))


@router.patch("/teachers/{uuid}", response={200: TeacherCardOut, **WRITE_ERRORS}, summary="Изменить педагога")
def update_teacher(request: Any, uuid: UUID, body: PatchDict[TeacherIn]) -> Teacher:
    """Меняются только переданные поля; null принимается лишь в teaching_since."""
    teacher = kept_teacher(request.auth, uuid)
    for name, value in body.items():
        setattr(teacher, name, value)
    services.save_teacher(request.auth, teacher)
    return _card(teacher)


@router.delete("/teachers/{uuid}", response={204: None, **WRITE_ERRORS}, summary="Удалить педагога")
def delete_teacher(request: Any, uuid: UUID) -> Status[None]:
    """Педагога, который ведёт или вёл группы или указан в программах, удалить нельзя (422)."""
    services.remove_teacher(request.auth, kept_teacher(request.auth, uuid))
    return Status(204, None)


def _access_of(organization: Organization) -> QuerySet[RoleAssignment]:
    return access.organization_roles(organization).select_related("organization")


@router.get(
    "/organizations/{code}/staff",
    response={200: list[AccessOut], 401: ErrorOut, 403: ErrorOut, **NOT_FOUND},
    summary="Доступ к кабинету организации",
)
def list_access(request: Any, code: Code) -> QuerySet[RoleAssignment]:
    """Кто работает в кабинете организации: операторы, затем педагоги. Видят операторы организации и опорного
    центра её территории."""
    return access.organization_roles(staffed_organization(request.auth, code))


@router.post("/organizations/{code}/staff", response={201: AccessOut, **WRITE_ERRORS}, summary="Открыть доступ")
def open_access(request: Any, code: Code, body: AccessIn) -> Status[RoleAssignment]:
    """Открыть доступ оператору или педагогу по адресу почты; ему придёт письмо. Адресу без учётной записи она
    заводится (нужны фамилия и имя) с ссылкой, чтобы задать пароль. С teacher карточка педагога организации
    связывается с учётной записью: педагог видит свои группы и ведёт журнал."""
    organization = staffed_organization(request.auth, code)
    teacher = None
    if body.teacher is not None:
        if body.role != "teacher":
            raise ValidationError({"teacher": TEACHER_ROLE_ONLY})
        teacher = scope.get_named(
            organization.teachers.all(), request.auth, "teacher", "Педагог организации не найден.", uuid=body.teacher
        )
    opened = access.open_organization_access(
        request.auth,
        organization,
        body.role,
        body.email,
        request.build_absolute_uri,
        person=access.NewPerson(body.last_name, body.first_name, body.patronymic),
        teacher=teacher,
    )
    return Status(201, _access_of(organization).get(pk=opened.pk))


@router.delete(
    "/organizations/{code}/staff/{access_id}", response={204: None, **WRITE_ERRORS}, summary="Закрыть доступ"
)
def close_access(request: Any, code: Code, access_id: int) -> Status[None]:
    """Карточка педагога остаётся, но без учётной записи. Свой доступ оператор не закрывает (422)."""
    role = get_object_or_404(_access_of(staffed_organization(request.auth, code)), pk=access_id)
    access.close_organization_access(request.auth, role)
    return Status(204, None)


@router.post(
    "/organizations/{code}/staff/{access_id}/invitation",
    response={204: None, **WRITE_ERRORS},
    summary="Отправить приглашение ещё раз",
)
def resend_invitation(request: Any, code: Code, access_id: int) -> Status[None]:
    """С новой ссылкой, чтобы задать пароль, — тому, кто ещё не входил (иначе 422)."""
    role = get_object_or_404(_access_of(staffed_organization(request.auth, code)), pk=access_id)
    access.resend_invitation(request.auth, role, request.build_absolute_uri)
    return Status(204, None)
