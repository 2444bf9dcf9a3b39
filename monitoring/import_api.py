"""API: lists of children and their enrollments uploaded by organizations (monitoring.imports).

The same scope as the pages: an organization's operator uploads and applies its own lists, a
municipal operator those of the municipality's organizations, a regional operator reads the
region's history (403 on changes); a batch outside one's scope is 404, families get 403. An upload
is checked at once and changes nothing; applying runs in the background — poll the batch until
its status is `applied`.
"""

from datetime import datetime
from math import ceil
from typing import Any
from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from catalog.models import Organization
from core import scope
from core.api import INVALID, NOT_FOUND, WRITE_ERRORS, Code, ErrorOut, Page, PageQuery, ValidationErrorOut, paginate
from enrollment.api import SIGNED_IN
from monitoring import career_import, imports
from monitoring.models import ImportBatch, ImportStatus

router = Router(auth=SIGNED_IN, tags=["Загрузка списков детей"])
READ_ERRORS = {401: ErrorOut, 403: ErrorOut, **NOT_FOUND, **INVALID}


class ImportOut(Schema):
    code: str = Field(description="Код загрузки, например IM-7K2M9Q")
    uuid: UUID
    organization: str = Field(description="Код организации")
    organization_name: str = Field(description="Краткое наименование организации")
    file_name: str = Field(description="Имя загруженного файла")
    status: str = Field(description="; ".join(f"{value} — {label}" for value, label in ImportStatus.choices))
    rows_total: int = Field(description="Строк с данными в файле")
    rows_valid: int = Field(description="Строк без ошибок: их можно применить")
    errors_count: int = Field(description="Ошибок проверки (строка, столбец, причина)")
    failures_count: int = Field(description="Строк, не применённых при загрузке")
    progress: int = Field(description="Ход применения, %")
    outcome: dict[str, int] = Field(
        description="Итоги применения: " + "; ".join(f"{k} — {label}" for k, label in imports.OUTCOME_LABELS.items())
    )
    created_at: datetime
    updated_at: datetime
    applied_at: datetime | None = Field(description="Когда применение завершилось")

    @staticmethod
    def resolve_organization(batch: ImportBatch) -> str:
        return batch.organization.code

    @staticmethod
    def resolve_organization_name(batch: ImportBatch) -> str:
        return batch.organization.short_name

    @staticmethod
    def resolve_errors_count(batch: ImportBatch) -> int:
        return len(batch.errors)

    @staticmethod
    def resolve_failures_count(batch: ImportBatch) -> int:
        return len(batch.failures)


class ImportErrorOut(Schema):
    stage: str = Field(description="validation — найдена при проверке файла; apply — строка не применена")
    row: int | None = Field(description="Номер строки в файле; null — файл целиком")
    column: str = Field(description="Столбец; пусто — строка целиком")
    message: str = Field(description="Что не так")
    text: str = Field(description="Сообщение целиком: «Строка 7, «Дата рождения»: …»")


class ImportQuery(PageQuery):
    organization: Code | None = Field(None, max_length=12, description="Код организации")


def _importer(request: HttpRequest) -> Any:
    if not imports.may_use_imports(request.auth):  # type: ignore[attr-defined]
        raise PermissionDenied
    return request.auth  # type: ignore[attr-defined]


def _uploading_for(user: Any, code: str) -> Organization:
    """The organization an upload names (a field of the form, not the address: 422, not 404)."""
    found = imports.importable_organizations(user).filter(code=code).first()
    if found is None:
        raise ValidationError({"organization": "Организация не найдена среди тех, чьи списки вы загружаете."})
    return found


def _batches(user: Any) -> QuerySet[ImportBatch]:
    return scope.restrict(ImportBatch.objects.select_related("organization").defer("content"), user)


@router.get("/imports", response={200: Page[ImportOut], **READ_ERRORS}, summary="История загрузок списков детей")
def import_list(request, query: Query[ImportQuery]):  # type: ignore[no-untyped-def]
    batches = _batches(_importer(request))
    if query.organization:
        batches = batches.filter(organization__code=query.organization)
    return paginate(batches.order_by("-created_at", "-pk"), query)


@router.post("/imports", response={201: ImportOut, **WRITE_ERRORS}, summary="Загрузить список (xlsx) и проверить")
def import_upload(request, organization: Form[Code], file: File[UploadedFile]):  # type: ignore[no-untyped-def]
    """Файл по шаблону (multipart/form-data: organization — код организации, file — .xlsx). Файл
    проверяется сразу; реестр и группы не меняются, пока загрузку не применят."""
    user = _importer(request)
    found = _uploading_for(user, organization)
    imports.refuse_too_big(file.size or 0)
    return Status(201, imports.upload(user, found, file.name or "", file.read()))


@router.get("/imports/{code}", response={200: ImportOut, **READ_ERRORS}, summary="Загрузка списка")
def import_detail(request, code: Code):  # type: ignore[no-untyped-def]
    return scope.get_in_scope(_batches(_importer(request)), request.auth, code=code)


@router.get(
    "/imports/{code}/errors",
    response={200: Page[ImportErrorOut], **READ_ERRORS},
    summary="Ошибки загрузки: проверки и применения",
)
def import_errors(request, code: Code, query: Query[PageQuery]):  # type: ignore[no-untyped-def]
    batch = scope.get_in_scope(_batches(_importer(request)), request.auth, code=code)
    items = [{**e, "stage": "validation", "text": imports.error_text(e)} for e in batch.errors]
    items += [{**e, "stage": "apply", "text": imports.error_text(e)} for e in batch.failures]
    start = (query.page - 1) * query.page_size
    return {
        "items": items[start : start + query.page_size],
        "total": len(items),
        "page": query.page,
        "page_count": max(1, ceil(len(items) / query.page_size)),
    }


@router.post(
    "/imports/{code}/apply",
    response={202: ImportOut, **WRITE_ERRORS},
    summary="Применить строки без ошибок (или продолжить прерванное применение)",
)
def import_apply(request, code: Code):  # type: ignore[no-untyped-def]
    """Строки с ошибками пропускаются. Применение идёт в фоне: статус `applying`, ход — `progress`."""
    batch = scope.get_in_scope(_batches(_importer(request)), request.auth, "change", code=code)
    return Status(202, imports.start_apply(request.auth, batch))


# --- Participants of open career-guidance lessons (monitoring.career_import) -----------------


class CareerLessonsOut(Schema):
    organization: str = Field(description="Код организации")
    rows: int = Field(description="Строк в файле")
    children_matched: int = Field(description="Детей найдено в реестре")
    children_created: int = Field(description="Новых детей внесено в реестр")
    visits_created: int = Field(description="Участий в уроках добавлено")
    visits_present: int = Field(description="Участий уже было в системе — не повторены")


class RowErrorOut(Schema):
    row: int | None = Field(description="Номер строки в файле; null — файл целиком")
    column: str = Field(description="Столбец; пусто — строка целиком")
    message: str = Field(description="Что не так")
    text: str = Field(description="Сообщение целиком: «Строка 7, «Дата урока»: …»")


class CareerLessonsErrorOut(ValidationErrorOut):
    """Файл не принят (422): ничего не записано; ошибки строк — в `errors`."""

    errors: list[RowErrorOut] = Field(default_factory=list, description="Ошибки строк файла")


@router.post(
    "/career-lessons",
    response={200: CareerLessonsOut, 401: ErrorOut, 403: ErrorOut, 422: CareerLessonsErrorOut},
    summary="Загрузить участников открытых уроков по профориентации (xlsx)",
)
def career_lessons_upload(request, organization: Form[Code], file: File[UploadedFile]):  # type: ignore[no-untyped-def]
    """Файл по шаблону страницы «Участники открытых уроков» (multipart/form-data: organization — код
    организации, file — .xlsx). Файл проверяется целиком: при любой ошибке ничего не записывается и
    возвращается 422 со списком ошибок строк; иначе дети вносятся в реестр (найденные не повторяются),
    участия — по одному на ребёнка, дату и урок. Повторная загрузка того же файла ничего не добавляет."""
    user = _importer(request)
    found = _uploading_for(user, organization)
    imports.refuse_too_big(file.size or 0)
    result = career_import.import_visits(user, found, file.name or "", file.read())
    if result.errors:
        rows = [{**e, "text": imports.error_text(e)} for e in result.errors]
        return Status(
            422,
            {
                "message": f"В файле ошибок: {len(rows)}. Ничего не записано.",
                "detail": [{"loc": ["body", "file"], "msg": e["text"], "type": "row"} for e in rows],
                "errors": rows,
            },
        )
    return {"organization": found.code, **result.outcome}
