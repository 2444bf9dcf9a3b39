"""API: children and the registry.

A family lists, adds and corrects its own children; staff list the children in their scope and enter
children into the registry (matched against it: the answer says whether the child was already
known). The territory's operators decide on possible duplicates, reopen decided ones and undo merges;
the operator of one record of a pair reads it as the pair's page shows it. Identifiers (СНИЛС, birth
certificate) are write-only except through the audited `identifiers` call; the territory's operators
correct them there too (PUT).
"""

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status

from accounts.roles import principal_of
from catalog.models import Organization
from core import scope
from core.api import INPUT, INVALID, NOT_FOUND, WRITE_ERRORS, ErrorOut, OneOf, Page, PageQuery, paginate
from enrollment.api import SIGNED_IN
from people import registry, review, services
from people.models import Child, ChildMerge, EntryChannel, MatchCandidate, MatchStatus
from people.permissions import require_registry_staff
from people.registry import CORRECTION_REASON_MAX, REOPEN_REASON_MAX
from territory.models import Municipality

router = Router(auth=SIGNED_IN, tags=["Дети и реестр"])
# Personal data: kept by no cache, the browser's own included (as the office page that shows identifiers).
PERSONAL = "no-store"


class ChildOut(Schema):
    uuid: UUID
    last_name: str
    first_name: str
    patronymic: str
    birth_date: date
    sex: str = Field(description="m — мужской, f — женский")
    municipality: str = Field(description="ОКТМО муниципалитета проживания")
    has_ovz: bool
    has_disability: bool
    has_snils: bool = Field(description="СНИЛС указан (сам номер — только через identifiers)")
    merged_into: UUID | None = Field(description="Запись — дубликат, объединённый с этой записью")

    @staticmethod
    def resolve_municipality(child: Child) -> str:
        return child.municipality.oktmo

    @staticmethod
    def resolve_has_snils(child: Child) -> bool:
        return bool(child.snils_digest)

    @staticmethod
    def resolve_merged_into(child: Child) -> UUID | None:
        return child.merged_into.uuid if child.merged_into else None


class ChildIn(Schema):
    model_config = INPUT

    last_name: str = Field(min_length=1, max_length=100)
    first_name: str = Field(min_length=1, max_length=100)
    patronymic: str = Field("", max_length=100)
    birth_date: date
    sex: Child.Sex
    municipality: str = Field(pattern=r"^\d{8}(\d{3})?$", description="ОКТМО муниципалитета проживания")
    has_ovz: bool = False
    has_disability: bool = False
    snils: str = Field("", max_length=20, description="СНИЛС; хранится зашифрованным")
    birth_certificate: str = Field("", max_length=40, description="Серия и номер свидетельства о рождении")
    another_child: bool = Field(
        False,
        description="Семья подтверждает, что это другой ребёнок, а не похожий на него ребёнок из её кабинета, "
        "названный в ответе 422 с полем another_child (например, близнец). Для сотрудников не действует",
    )


class ChildUpdateIn(Schema):
    """The details a family corrects and the identifiers it gives later; what is left out stays as it is.
    A recorded identifier is not replaced (people.registry.add_identifiers)."""

    model_config = INPUT

    last_name: str | None = Field(None, min_length=1, max_length=100)
    first_name: str | None = Field(None, min_length=1, max_length=100)
    patronymic: str | None = Field(None, max_length=100)
    birth_date: date | None = None
    sex: Child.Sex | None = None
    municipality: str | None = Field(None, pattern=r"^\d{8}(\d{3})?$", description="ОКТМО муниципалитета проживания")
    has_ovz: bool | None = None
    has_disability: bool | None = None
    snils: str = Field(
        "", max_length=20, description="СНИЛС, если в записи его нет (указанный не заменяется); хранится зашифрованным"
    )
    birth_certificate: str = Field(
        "", max_length=40, description="Серия и номер свидетельства о рождении, если в записи его нет"
    )


class ChildUpdatedOut(ChildOut):
    snils_held_elsewhere: bool = Field(
        description="СНИЛС уже указан в другой записи реестра: сохранён без него, опорный центр сверит записи"
    )


class RegistrationOut(Schema):
    child: ChildOut
    known: bool = Field(description="Ребёнок уже был в реестре: возвращена существующая запись")
    merged_automatically: bool = Field(description="Новая запись совпала с существующей и объединена с ней")
    possible_duplicates: int = Field(
        description="Пар отправлено на проверку оператору (семье — всегда 0: о других записях реестра ей не сообщается)"
    )
    snils_held_elsewhere: bool = Field(
        description="СНИЛС уже указан в другой записи реестра: запись семьи создана без него, пара — на проверке"
    )


class ChildQuery(PageQuery):
    last_name: str | None = Field(None, max_length=100)
    first_name: str | None = Field(None, max_length=100)
    birth_date: date | None = None


class IdentifiersOut(Schema):
    snils: str = Field(description="СНИЛС; пусто — не указан")
    birth_certificate: str = Field(description="Свидетельство о рождении; пусто — не указано")


def _children(user) -> QuerySet[Child]:  # type: ignore[no-untyped-def]
    return scope.restrict(Child.objects.select_related("municipality", "merged_into"), user)


@router.get("/children", response={200: Page[ChildOut], 401: ErrorOut, **INVALID}, summary="Дети")
def child_list(request, query: Query[ChildQuery]):  # type: ignore[no-untyped-def]
    children = _children(request.auth).filter(merged_into__isnull=True)
    if query.last_name:
        children = children.filter(last_name__iexact=query.last_name.strip())
    if query.first_name:
        children = children.filter(first_name__iexact=query.first_name.strip())
    if query.birth_date:
        children = children.filter(birth_date=query.birth_date)
    return paginate(children.order_by("last_name", "first_name", "birth_date", "pk"), query)


@router.get("/children/{uuid}", response={200: ChildOut, 401: ErrorOut, **NOT_FOUND}, summary="Ребёнок")
def child_detail(request, uuid: UUID, response: HttpResponse):  # type: ignore[no-untyped-def]
    child = get_object_or_404(_children(request.auth), uuid=uuid)
    registry.record_reading(request.auth, child)
    response["Cache-Control"] = PERSONAL
    return child


@router.patch("/children/{uuid}", response={200: ChildUpdatedOut, **WRITE_ERRORS}, summary="Исправить данные ребёнка")
def child_update(request, uuid: UUID, body: ChildUpdateIn, response: HttpResponse):  # type: ignore[no-untyped-def]
    """Законный представитель исправляет данные своего ребёнка (ФИО, дату рождения, пол, муниципалитет,
    ОВЗ) и указывает СНИЛС и свидетельство о рождении, которых в записи нет; сотрудники видят ребёнка, но
    не меняют (403). Указанные раньше СНИЛС или свидетельство не заменяются (422 у поля: исправить их может
    опорный центр); 422 у snils — и если этот СНИЛС указан у другого ребёнка семьи или опорный центр уже сверил
    его с другой записью и признал детей разными. СНИЛС, указанный в другой записи реестра, не сохраняется
    (`snils_held_elsewhere`: true): записи сверит по документам опорный центр.
    При любой ошибке ничего не сохраняется."""
    child = scope.get_in_scope(
        _children(request.auth).filter(merged_into__isnull=True), request.auth, "change", uuid=uuid
    )
    values = body.dict(exclude_unset=True, exclude={"snils", "birth_certificate"})
    if "municipality" in values:
        municipality = Municipality.objects.filter(oktmo=values.pop("municipality") or "").first()
        if municipality is None:
            raise ValidationError({"municipality": "Муниципалитет с таким кодом ОКТМО не найден."})
        child.municipality = municipality
    for name, value in values.items():
        if value is None and name != "patronymic":
            raise ValidationError({name: "Поле нельзя очистить."})
        setattr(child, name, value if value is not None else "")
    _, identifiers = services.correct_child(
        request.auth, child, snils=body.snils, birth_certificate=body.birth_certificate
    )
    child.snils_held_elsewhere = identifiers.snils_held_elsewhere  # type: ignore[attr-defined]
    response["Cache-Control"] = PERSONAL
    return child


@router.post(
    "/children", response={200: RegistrationOut, 201: RegistrationOut, **WRITE_ERRORS}, summary="Добавить ребёнка"
)
def child_create(request, body: ChildIn):  # type: ignore[no-untyped-def]
    """Семья добавляет своего ребёнка; сотрудник организации или оператор вносит ребёнка в реестр.
    Запись сверяется с реестром: если ребёнок уже есть, возвращается существующая запись (200).
    Семье — только её собственная: совпадение с записью вне семьи проверяет опорный центр по документам.
    Если ребёнок похож на ребёнка из кабинета семьи, но не наверняка он, — 422 с полем another_child:
    исправьте данные того ребёнка или повторите запрос с another_child=true.
    Сотруднику запись вне его видимости возвращается такой, какой он её прислал (под кодом записи реестра)."""
    user = request.auth
    principal = principal_of(user)
    municipality = Municipality.objects.filter(oktmo=body.municipality).first()
    if municipality is None:
        raise ValidationError({"municipality": "Муниципалитет с таким кодом ОКТМО не найден."})
    fields = body.dict(exclude={"municipality", "snils", "birth_certificate", "another_child"})
    child = Child(municipality=municipality, **fields)
    for_family = principal.is_guardian and not principal.uses_office
    snils, certificate = body.snils, body.birth_certificate
    if for_family:
        registration = services.add_child(
            user,
            child,
            snils=snils,
            birth_certificate=certificate,
            via=EntryChannel.API,
            another_child=body.another_child,
        )
    elif principal.uses_office:
        # The organization the record comes from, when the caller works for one (a token of its system).
        only, _ = scope.single(Organization.objects.filter(pk__in=principal.operated_organization_ids))
        registration = registry.register_child(
            user, child, snils=snils, birth_certificate=certificate, via=EntryChannel.API, organization=only
        )
    else:
        raise PermissionDenied
    shown = registration.child
    if not scope.can(user, shown, "view"):
        # A name and a birth date do not open the registry's record (its ОВЗ, its other details).
        shown = Child(uuid=shown.uuid, municipality=municipality, snils_digest=child.snils_digest, **fields)
    return Status(
        201 if registration.created and registration.merged is None else 200,  # 200: the record existed
        {
            "child": shown,
            "known": not registration.created or registration.merged is not None,
            "merged_automatically": registration.merged is not None,
            "possible_duplicates": 0 if for_family else len(registration.review),
            "snils_held_elsewhere": registration.snils_held_elsewhere,
        },
    )


@router.post(
    "/children/{uuid}/identifiers",
    response={200: IdentifiersOut, 401: ErrorOut, **NOT_FOUND},
    summary="СНИЛС и свидетельство о рождении (просмотр записывается в журнал)",
)
def child_identifiers(request, uuid: UUID, response: HttpResponse):  # type: ignore[no-untyped-def]
    child = get_object_or_404(_children(request.auth), uuid=uuid)
    response["Cache-Control"] = PERSONAL
    return registry.reveal_identifiers(request.auth, child)


class IdentifiersCorrectionIn(Schema):
    """What the operator corrects: an identifier left out stays as it is, an empty string clears it."""

    model_config = INPUT

    snils: str | None = Field(
        None, max_length=20, description="Новый СНИЛС; пустая строка — удалить указанный; не передан — не менять"
    )
    birth_certificate: str | None = Field(
        None,
        max_length=40,
        description="Новые серия и номер свидетельства о рождении; пустая строка — удалить; не передано — не менять",
    )
    reason: str = Field(
        description=f"Причина исправления (записывается в журнал), до {CORRECTION_REASON_MAX} символов: например, "
        "с каким документом сверено"
    )


class IdentifiersCorrectedOut(ChildOut):
    has_birth_certificate: bool = Field(
        description="Свидетельство о рождении указано (сам номер — только через identifiers)"
    )
    corrected: dict[str, str] = Field(
        description="Что изменено: snils, birth_certificate → added (добавлен), replaced (заменён), cleared (удалён); "
        "пусто — в записи уже было указано то же самое"
    )

    @staticmethod
    def resolve_has_birth_certificate(child: Child) -> bool:
        return bool(child.birth_certificate_digest)


@router.put(
    "/children/{uuid}/identifiers",
    response={200: IdentifiersCorrectedOut, **WRITE_ERRORS},
    summary="Исправить СНИЛС или свидетельство о рождении",
)
def correct_identifiers(request, uuid: UUID, body: IdentifiersCorrectionIn, response: HttpResponse):  # type: ignore[no-untyped-def]
    """Оператор территории ребёнка (муниципальный, региональный) или администратор исправляет по документам
    СНИЛС и свидетельство о рождении: новое значение заменяет указанное, пустая строка удаляет, не переданное
    остаётся как есть. Причина обязательна и записывается в журнал вместе с тем, что изменено, — без номеров.
    422 у поля: неверный СНИЛС или свидетельство, нет причины; у snils — и если этот СНИЛС указан в другой
    записи реестра (она названа, если доступна вам, иначе — её муниципалитет): пара записей ставится в очередь
    возможных дубликатов, где их объединяют, если это один ребёнок. 422 у body — не указано, что исправить,
    или запись объединена с другой. При любой ошибке ничего не меняется. Семья и сотрудники организации,
    которым ребёнок виден, — 403 (семья указывает недостающее через PATCH /children/{uuid}); вне видимости — 404."""
    child = get_object_or_404(_children(request.auth), uuid=uuid)
    child.corrected = registry.correct_identifiers(  # type: ignore[attr-defined]
        request.auth, child, snils=body.snils, birth_certificate=body.birth_certificate, reason=body.reason
    )
    response["Cache-Control"] = PERSONAL
    return child


HIDDEN = "null — запись вне вашей видимости (другого муниципалитета): о ней сказан только муниципалитет"


class DuplicateChildOut(Schema):
    uuid: UUID | None = Field(description=f"UUID записи; {HIDDEN}")
    full_name: str | None = Field(description=f"ФИО; {HIDDEN}")
    birth_date: date | None = Field(description=f"Дата рождения; {HIDDEN}")
    municipality: str = Field(description="ОКТМО муниципалитета проживания")


class DuplicateOut(Schema):
    id: int
    status: str = Field(description="; ".join(f"{value} — {label}" for value, label in MatchStatus.choices))
    probability: float = Field(description="Вероятность совпадения, когда пара встала в очередь")
    first: DuplicateChildOut = Field(description="Запись 1: остаётся при объединении")
    second: DuplicateChildOut = Field(description="Запись 2: объединяется с записью 1")
    may_decide: bool = Field(
        description="Решаете ли по паре вы; false — пара видна вам только для чтения (решение — 403)"
    )
    created_at: datetime
    decided_at: datetime | None


class DuplicateRecordOut(DuplicateChildOut):
    entered_via: str | None = Field(
        description="Как запись внесена в реестр: "
        + "; ".join(f"{value} — {label}" for value, label in EntryChannel.choices)
        + f"; пусто — не записано (запись старше учёта); {HIDDEN}"
    )
    entered_organization: str | None = Field(
        description="Код организации, которая внесла запись (своим списком или своей системой); null — не организация "
        "или запись вне вашей видимости"
    )


class DuplicateDetailOut(DuplicateOut):
    first: DuplicateRecordOut = Field(description="Запись 1: остаётся при объединении")
    second: DuplicateRecordOut = Field(description="Запись 2: объединяется с записью 1")
    reasons: list[str] = Field(description="Почему пара ждёт человека, а не объединена или оставлена автоматически")
    probability_now: float = Field(description="Вероятность совпадения по нынешним данным записей")
    different_guardians: bool = Field(
        description="У записей разные законные представители: объединение даст каждому доступ к данным другой записи "
        "(известно тому, кому доступны обе записи)"
    )
    merge_refusal: str = Field(
        description="Почему записи нельзя объединить сейчас — действующие заявки на одну программу, которые сначала "
        "нужно завершить; пусто — объединить можно (или пара решена, или вам доступна не каждая запись)"
    )
    decider: str = Field(description="Кто решает по паре, если не вы; пусто — решаете вы")


class DuplicateQuery(PageQuery):
    status: Annotated[str, OneOf(MatchStatus.choices)] = Field(
        MatchStatus.PENDING, description="Какие пары: ждущие решения (по умолчанию) или решённые"
    )
    may_decide: bool | None = Field(
        None, description="true — только пары, по которым решаете вы; false — только те, что решает другой оператор"
    )


class DuplicateDecisionIn(Schema):
    model_config = INPUT

    same: bool = Field(description="true — один ребёнок (объединить), false — разные дети")


class DuplicateReopenIn(Schema):
    model_config = INPUT

    reason: str = Field(
        description=f"Почему пару нужно рассмотреть снова (записывается в журнал), до {REOPEN_REASON_MAX} символов"
    )


def _child_out(child: Child, shown: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "uuid": None,
        "full_name": None,
        "birth_date": None,
        "municipality": child.municipality.oktmo,
    }
    if shown:
        out.update(uuid=child.uuid, full_name=child.full_name, birth_date=child.birth_date)
    return out


def _pair_out(pair: MatchCandidate, first: dict[str, Any], second: dict[str, Any], may_decide: bool) -> dict[str, Any]:
    return {
        "id": pair.pk,
        "status": pair.status,
        "probability": pair.probability,
        "first": first,
        "second": second,
        "may_decide": may_decide,
        "created_at": pair.created_at,
        "decided_at": pair.decided_at,
    }


def _record_out(record: review.Record) -> dict[str, Any]:
    child = record.child
    entered = child.entered_organization if record.shown else None
    return {
        **_child_out(child, record.shown),
        "entered_via": child.entered_via if record.shown else None,
        "entered_organization": entered.code if entered else None,
    }


def _detail(user, pair: MatchCandidate) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    basis = review.basis(pair, user)
    return {
        **_pair_out(basis.pair, _record_out(basis.first), _record_out(basis.second), basis.may_decide),
        "reasons": basis.reasons,
        "probability_now": basis.probability_now,
        "different_guardians": basis.different_guardians,
        "merge_refusal": basis.refusal,
        "decider": basis.decider,
    }


def _pair(user, pk: int) -> MatchCandidate:  # type: ignore[no-untyped-def]
    """The pair as the pair's page finds it: a family is refused (403), a pair out of sight is 404."""
    require_registry_staff(user)
    pairs = MatchCandidate.objects.select_related("first__municipality", "second__municipality")
    return scope.get_in_scope(pairs, user, "view", pk=pk)


def _read_only(pair: MatchCandidate) -> Status[dict[str, str]]:
    return Status(403, {"detail": f"{review.decider(pair.first, pair.second)} Вам пара видна только для чтения."})


@router.get(
    "/registry/duplicates",
    response={200: Page[DuplicateOut], 401: ErrorOut, 403: ErrorOut, **INVALID},
    summary="Возможные дубликаты",
)
def duplicates(request, query: Query[DuplicateQuery]):  # type: ignore[no-untyped-def]
    """Пары записей реестра, которые могут быть одним ребёнком, — те, что видит оператор территории. По паре
    решает тот, кому доступны обе записи (`may_decide`): оператор муниципалитета, где живут оба, региональный —
    когда записи из двух муниципалитетов его региона, администратор — из двух регионов. Оператор муниципалитета
    одной из записей видит такую пару только для чтения: о записи другого муниципалитета сказан лишь ОКТМО.
    `status=pending` (по умолчанию) — ждущие решения, самые вероятные сначала; `merged`, `distinct` — решённые,
    последние решения сначала. Подробности пары — GET /registry/duplicates/{pk}. СНИЛС не возвращается.
    Семье и сотрудникам организаций очередь недоступна (403)."""
    user = request.auth
    require_registry_staff(user, queue=True)
    page = paginate(review.listed(user, query.status, query.may_decide), query)
    pairs = page["items"]
    readable, decidable = review.readable_records(pairs, user), review.decidable(pairs, user)
    page["items"] = [
        _pair_out(
            pair,
            _child_out(pair.first, pair.first_id in readable),
            _child_out(pair.second, pair.second_id in readable),
            pair.pk in decidable,
        )
        for pair in pairs
    ]
    return page


@router.get(
    "/registry/duplicates/{pk}",
    response={200: DuplicateDetailOut, 401: ErrorOut, 403: ErrorOut, **NOT_FOUND},
    summary="Пара возможных дубликатов",
)
def duplicate(request, pk: int, response: HttpResponse):  # type: ignore[no-untyped-def]
    """То, на чём основано решение: почему пара ждёт человека (`reasons`), как внесена каждая запись
    (`entered_via`, `entered_organization`), что мешает объединению (`merge_refusal`), кто решает (`decider`).
    Пару, где одна запись — вашей территории, а другая — соседней, вы видите только для чтения: о чужой
    записи сказан лишь муниципалитет, а отказ в объединении, называющий её заявки, не показывается. СНИЛС и
    свидетельство о рождении не возвращаются (только через /children/{uuid}/identifiers, с записью в журнал).
    Пара вне вашей видимости — 404; семье — 403."""
    pair = _pair(request.auth, pk)
    response["Cache-Control"] = PERSONAL
    return _detail(request.auth, pair)


@router.post("/registry/duplicates/{pk}", response={200: DuplicateDetailOut, **WRITE_ERRORS}, summary="Решить по паре")
def decide(request, pk: int, body: DuplicateDecisionIn):  # type: ignore[no-untyped-def]
    """Решение по паре, ждущей решения: `same: true` — один ребёнок (запись 2 объединяется с записью 1; отмена —
    POST /registry/merges/{pk}/undo), `false` — разные дети. Пару, которую вы видите только для чтения, решает
    оператор территории обеих записей: 403 с объяснением, кто решает. 422: пара уже решена или объединению
    мешают заявки (тот же текст, что `merge_refusal`). Вне видимости — 404."""
    pair = _pair(request.auth, pk)
    if not scope.can(request.auth, pair, "moderate"):
        return _read_only(pair)
    return _detail(request.auth, registry.decide(request.auth, pair, same=body.same))


@router.post(
    "/registry/duplicates/{pk}/reopen",
    response={200: DuplicateDetailOut, **WRITE_ERRORS},
    summary="Вернуть пару в очередь",
)
def reopen(request, pk: int, body: DuplicateReopenIn):  # type: ignore[no-untyped-def]
    """Решённую как «разные дети» пару (в том числе после отмены объединения) — снова на проверку: пришли
    документы, решение было ошибочным. Причина обязательна и вместе с прежним решением записывается в журнал.
    422 с `loc` ["body", "reason"] — причина пуста или длиннее допустимого; с `loc` ["body"] — пара и так ждёт
    решения, записи объединены (сначала отмените объединение) или одна из них с тех пор объединена с третьей.
    Только для чтения — 403, вне видимости — 404."""
    pair = _pair(request.auth, pk)
    if not scope.can(request.auth, pair, "moderate"):
        return _read_only(pair)
    return _detail(request.auth, registry.reopen(request.auth, pair, reason=body.reason))


class MergeOut(Schema):
    id: int
    survivor: UUID
    absorbed: UUID
    automatic: bool
    probability: float | None
    created_at: datetime
    undone_at: datetime | None

    @staticmethod
    def resolve_survivor(merge: ChildMerge) -> UUID:
        return merge.survivor.uuid

    @staticmethod
    def resolve_absorbed(merge: ChildMerge) -> UUID:
        return merge.absorbed.uuid


@router.post("/registry/merges/{pk}/undo", response={200: MergeOut, **WRITE_ERRORS}, summary="Отменить объединение")
def undo_merge(request, pk: int):  # type: ignore[no-untyped-def]
    visible = Child.objects.filter(scope.scope_filter(Child, request.auth, "view")).values("pk")
    merge = get_object_or_404(ChildMerge.objects.filter(survivor__in=visible), pk=pk)
    if not scope.can(request.auth, merge.survivor, "moderate"):
        raise PermissionDenied
    registry.undo_merge(request.auth, merge)
    merge.refresh_from_db()
    return merge
