"""Actions on the catalog. Each one is atomic, writes the audit log and notifies after commit.

Views, the API, the demo loader and tests all call these; nothing else writes these tables.
Permission checks happen before (core.scope); these functions check the rules of the domain.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import time
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, Exists, OuterRef, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.utils import timezone

from accounts.models import Role, RoleAssignment
from catalog import search
from catalog.models import (
    FundingSource,
    Group,
    GroupFinancing,
    ModerationStatus,
    Program,
    ScheduleSlot,
)
from core import audit, rawsql

S = ModerationStatus

# Moderation state machine: action → (states it may start from, state it leads to).
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "submit": (frozenset({S.DRAFT, S.NEEDS_CHANGES}), S.MODERATING),
    "approve": (frozenset({S.MODERATING}), S.PUBLISHED),
    "return": (frozenset({S.MODERATING, S.PUBLISHED}), S.NEEDS_CHANGES),
    "archive": (frozenset({S.DRAFT, S.MODERATING, S.NEEDS_CHANGES, S.PUBLISHED}), S.ARCHIVED),
    "restore": (frozenset({S.ARCHIVED}), S.DRAFT),
}
TRANSITION_LABELS = {
    "submit": "Отправить на модерацию",
    "approve": "Опубликовать",
    "return": "Вернуть на доработку",
    "archive": "Перенести в архив",
    "restore": "Вернуть из архива в черновики",
}
# Which side acts: the organization's operators or the territory's moderators.
ORGANIZATION_TRANSITIONS = frozenset({"submit", "archive", "restore"})
MODERATOR_TRANSITIONS = frozenset({"approve", "return", "archive"})


@dataclass(frozen=True)
class Slot:
    weekday: int
    starts_at: time
    ends_at: time
    room: str = ""


@dataclass(frozen=True)
class Financing:
    source: str
    cost_per_month: Decimal


def _emails(role: str, **scope: Any) -> list[str]:
    return list(
        RoleAssignment.objects.filter(role=role, user__is_active=True, **scope).values_list("user__email", flat=True)
    )


def _changed_fields(program: Program) -> list[str]:
    if program._state.adding:
        return []
    old: dict[str, Any] = dict(Program.objects.filter(pk=program.pk).values().first() or {})
    return sorted(
        f.attname
        for f in Program._meta.concrete_fields
        if f.attname in old
        and f.attname not in {"updated_at", "search_document"}
        and old[f.attname] != getattr(program, f.attname)
    )


@transaction.atomic
def save_program(
    actor: Any,
    program: Program,
    *,
    ovz_categories: Iterable[Any] | None = None,
    registers: Iterable[Any] | None = None,
    teachers: Iterable[Any] | None = None,
) -> Program:
    """Create or update a program of an organization (the caller checked the right to)."""
    creating = program._state.adding
    if not program.municipality_id:
        program.municipality_id = program.organization.municipality_id
    if not program.address:
        program.address = program.organization.address
    if not program.is_paid:
        program.price_per_month = None
    program.full_clean(exclude=["search_document"])
    changed = _changed_fields(program)
    program.save()
    if ovz_categories is not None:
        program.ovz_categories.set(ovz_categories)
    if registers is not None:
        program.registers.set(registers)
    if teachers is not None:
        foreign = [t for t in teachers if t.organization_id != program.organization_id]
        if foreign:
            raise ValidationError({"teachers": "Педагог должен работать в организации, которая реализует программу."})
        program.teachers.set(teachers)
    search.refresh_search_documents([program.pk])
    audit.record(actor, "program.created" if creating else "program.updated", program, fields=changed)
    if program.status == S.PUBLISHED:
        search.bump_catalog_version()
    return program


def allowed_transitions(program: Program) -> list[str]:
    return [name for name, (sources, _) in TRANSITIONS.items() if program.status in sources]


@transaction.atomic
def change_program_status(actor: Any, program: Program, transition: str, remark: str = "") -> Program:
    """Move a program through moderation: черновик → на модерации → опубликована → в архиве."""
    if transition not in TRANSITIONS:
        raise ValidationError(f"Неизвестное действие «{transition}».")
    locked = Program.objects.select_for_update().get(pk=program.pk)
    sources, target = TRANSITIONS[transition]
    if locked.status not in sources:
        raise ValidationError(
            f"Действие «{TRANSITION_LABELS[transition]}» невозможно: программа в статусе "
            f"«{locked.get_status_display()}»."
        )
    remark = remark.strip()
    if transition == "return" and not remark:
        raise ValidationError("Укажите, что нужно исправить: замечание обязательно при возврате на доработку.")
    if transition == "submit" and not locked.groups.filter(is_active=True).exists():
        raise ValidationError("Добавьте хотя бы одну группу: без групп семья не сможет записаться.")
    previous = locked.status
    locked.status = target
    if transition in {"approve", "return"}:
        locked.moderation_remark = remark
    if target == S.PUBLISHED:
        locked.published_at = timezone.now()
    locked.save(update_fields=["status", "moderation_remark", "published_at", "updated_at"])
    audit.record(actor, f"program.{transition}", locked, previous=previous, status=target, remark=remark)
    if S.PUBLISHED in (previous, target):
        search.bump_catalog_version()
    if target == S.PUBLISHED:
        search.add_search_terms([locked])
    _notify_status(locked, transition, remark)
    program.refresh_from_db()
    return program


def _notify_status(program: Program, transition: str, remark: str) -> None:
    subject = f"«{program.title}»: {program.get_status_display().lower()}"
    if transition == "submit":
        audit.notify_after_commit(
            _emails(Role.MUNICIPAL_OPERATOR, municipality_id=program.municipality_id),
            f"Программа на модерации: «{program.title}»",
            f"Организация «{program.organization.short_name}» отправила программу на модерацию.",
        )
        return
    body = f"Статус программы «{program.title}»: {program.get_status_display()}."
    if remark:
        body += f"\n\nЗамечание модератора: {remark}"
    audit.notify_after_commit(
        _emails(Role.ORGANIZATION_OPERATOR, organization_id=program.organization_id), subject, body
    )


@transaction.atomic
def save_group(
    actor: Any,
    group: Group,
    *,
    schedule: Sequence[Slot] | None = None,
    financing: Sequence[Financing] | None = None,
) -> Group:
    """Create or update a group with its timetable and financing sources."""
    program = Program.objects.select_for_update().get(pk=group.program_id)
    creating = group._state.adding
    if not group.address:
        group.address = program.address or program.organization.address
    if group.teacher is not None and group.teacher.organization_id != program.organization_id:
        raise ValidationError({"teacher": "Педагог должен работать в организации, которая реализует программу."})
    group.full_clean()
    if schedule is not None:
        check_schedule(schedule)
    if financing is not None:
        check_financing(program, financing)
    group.save()
    if schedule is not None:
        group.schedule.all().delete()
        ScheduleSlot.objects.bulk_create(
            ScheduleSlot(group=group, weekday=s.weekday, starts_at=s.starts_at, ends_at=s.ends_at, room=s.room)
            for s in schedule
        )
    if financing is not None:
        group.financing.all().delete()
        GroupFinancing.objects.bulk_create(
            GroupFinancing(group=group, source=f.source, cost_per_month=f.cost_per_month) for f in financing
        )
    refresh_program_groups([program.pk])
    audit.record(actor, "group.created" if creating else "group.updated", group, program=program.code)
    if program.status == S.PUBLISHED:
        search.bump_catalog_version()
    return group


def check_schedule(schedule: Sequence[Slot]) -> None:
    for slot in schedule:
        if not 0 <= slot.weekday <= 6:
            raise ValidationError({"schedule": "День недели указан неверно."})
        if slot.starts_at >= slot.ends_at:
            raise ValidationError(
                {"schedule": f"Занятие в {slot.starts_at:%H:%M} должно заканчиваться позже, чем начинается."}
            )


def check_financing(program: Program, financing: Sequence[Financing]) -> None:
    allowed = {
        FundingSource.BUDGET.value: program.is_free,
        FundingSource.CERTIFICATE.value: program.by_certificate,
        FundingSource.PAID.value: program.is_paid,
    }
    sources = [f.source for f in financing]
    if len(sources) != len(set(sources)):
        raise ValidationError({"financing": "Каждый источник финансирования указывается один раз."})
    for item in financing:
        if item.source not in allowed:
            raise ValidationError({"financing": f"Неизвестный источник финансирования «{item.source}»."})
        if not allowed[item.source]:
            label = FundingSource(item.source).label
            raise ValidationError({"financing": f"Источник «{label}» не указан в условиях программы."})
        if item.cost_per_month < 0:
            raise ValidationError({"financing": "Стоимость не может быть отрицательной."})


REFRESH_CHUNK = 500  # program ids per statement: SQLite takes at most 999 parameters


def refresh_program_groups(program_ids: Iterable[int] | None = None) -> None:
    """Recompute the denormalized weekdays and free seats of programs (all when None) from their
    groups, in set-based UPDATEs so that a whole catalog takes seconds."""
    if program_ids is None:
        _refresh_programs(Program.objects.all())
        return
    ids = list(program_ids)
    for start in range(0, len(ids), REFRESH_CHUNK):
        _refresh_programs(Program.objects.filter(pk__in=ids[start : start + REFRESH_CHUNK]))


def refresh_open_seats(program_id: int) -> None:
    """Recount one program's free seats after a seat moved (its timetable did not change): a fixed
    statement, since on enrollment day it follows every seat taken.

    Cards show the count as read with the page (their cache varies on it); the search index only
    knows whether a program has free seats, so the catalog changes for search only when one seat
    may have crossed zero — not at each of the thousands of seats taken on enrollment day."""
    sql, params = _free_seats()
    with rawsql.cursor() as cursor:
        cursor.execute(
            f"UPDATE catalog_program SET open_seats = ({sql}) WHERE id = %s RETURNING open_seats",  # noqa: S608
            [*params, program_id],
        )
        row = cursor.fetchone()
    if row is not None and row[0] <= 1:
        search.bump_catalog_version()


def _free_seats() -> tuple[str, list[Any]]:
    """SQL for the free seats of the program being updated (catalog_program) over its groups open
    for enrollment, and its parameters."""
    now = timezone.now()
    sql = (
        "SELECT COALESCE(SUM(g.capacity - g.seats_taken), 0) FROM catalog_group g "
        "WHERE g.program_id = catalog_program.id AND g.is_active AND NOT g.is_locked AND g.end_date >= %s "
        "AND (g.enrollment_closes_at IS NULL OR g.enrollment_closes_at > %s)"
    )
    return sql, [
        rawsql.param(Group._meta.get_field("end_date"), timezone.localdate(now)),
        rawsql.param(Group._meta.get_field("enrollment_closes_at"), now),
    ]


def _refresh_programs(programs: QuerySet[Program]) -> None:
    slots = ScheduleSlot.objects.filter(
        group__program=OuterRef("pk"), group__is_active=True, group__end_date__gte=timezone.localdate()
    )
    mask = sum(
        (Case(When(Exists(slots.filter(weekday=day)), then=Value(1 << day)), default=Value(0)) for day in range(7)),
        start=Value(0),
    )
    programs.update(open_seats=RawSQL(*_free_seats()), weekdays_mask=mask)  # noqa: S611  (our fixed SQL)
