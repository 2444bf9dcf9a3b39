"""A program's groups carried over to the next academic year: every spring an organization makes again the groups it
had — the same names, teachers, timetables, rooms, ages, seats and ways of paying, on the same days of the next
year — instead of typing each one again. Each copy is a new group made by `services.save_group`, with its rules
(the teacher and the rooms free then, the program's duration and ages); the chosen groups are made all or none."""

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from catalog import services
from catalog.models import Group, Program, academic_year_label
from core.typed import same_in_any_case

ALREADY_THERE = "В программе уже есть группа «{name}» на {year} учебный год."
NOTHING_CHOSEN = "Выберите хотя бы одну группу."
NOT_OFFERED = "Таких действующих групп этого учебного года в программе нет:"


def _a_year_later(day: datetime.date) -> datetime.date:
    """The same day a year later; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


def _moment_a_year_later(moment: datetime.datetime | None) -> datetime.datetime | None:
    if moment is None:
        return None
    local = timezone.localtime(moment)
    return timezone.make_aware(
        datetime.datetime.combine(_a_year_later(local.date()), local.time().replace(tzinfo=None))
    )


@dataclass(frozen=True)
class Carried:
    """A group of the source year and what its copy would be; `there` names the group of the next year that already
    has its name, when one does."""

    group: Group
    copy: Group
    there: str = ""


def source_year(today: datetime.date | None = None) -> int:
    """The academic year whose groups are carried over: the one going on (in summer, the one just ended)."""
    return services.academic_year_of(today or timezone.localdate())


def carried(program: Program, year: int | None = None) -> list[Carried]:
    """The program's active groups of the academic year `year` (by default the one going on), each with its copy."""
    year = source_year() if year is None else year
    groups = list(
        program.groups.filter(academic_year=year, is_active=True)
        .select_related("teacher")
        .prefetch_related("schedule", "financing")
        .order_by("start_date", "name")
    )
    next_year = Group.objects.filter(program=program, academic_year=year + 1).only("name")
    return [
        Carried(group, _copy(group), getattr(same_in_any_case(next_year, "name", group.name), "name", ""))
        for group in groups
    ]


def _copy(group: Group) -> Group:
    return Group(
        program=group.program,
        name=group.name,
        teacher=group.teacher,
        address=group.address,
        academic_year=group.academic_year + 1,
        start_date=_a_year_later(group.start_date),
        end_date=_a_year_later(group.end_date),
        enrollment_opens_at=_moment_a_year_later(group.enrollment_opens_at),
        enrollment_closes_at=_moment_a_year_later(group.enrollment_closes_at),
        age_from=group.age_from,
        age_to=group.age_to,
        capacity=group.capacity,
        hours_per_year=group.hours_per_year,
    )


@transaction.atomic
def carry_over(actor: Any, program: Program, codes: Iterable[str], year: int | None = None) -> list[Group]:
    """Copies of the program's chosen groups (by code, among `carried`) for the next academic year, made by
    `services.save_group` — audited, the search told —, all or none: a refusal names the group it is about."""
    reason = services.editing_locked(program, groups=True)
    if reason:
        raise ValidationError(reason)
    wanted = {code.upper() for code in codes}
    if not wanted:
        raise ValidationError({"groups": NOTHING_CHOSEN})
    offered = {item.group.code: item for item in carried(program, year)}
    unknown = sorted(wanted - set(offered))
    if unknown:
        raise ValidationError(
            {"groups": f"Таких действующих групп этого учебного года в программе нет: {', '.join(unknown)}."}
        )
    chosen: Sequence[Carried] = [offered[code] for code in offered if code in wanted]
    made, errors = [], []
    for item in chosen:
        if item.there:
            errors.append(ALREADY_THERE.format(name=item.there, year=academic_year_label(item.copy.academic_year)))
            continue
        schedule = [services.Slot(s.weekday, s.starts_at, s.ends_at, s.room) for s in item.group.schedule.all()]
        financing = [services.Financing(f.source, f.cost_per_month) for f in item.group.financing.all()]
        try:
            with transaction.atomic():
                made.append(services.save_group(actor, item.copy, schedule=schedule, financing=financing))
        except ValidationError as error:
            errors.extend(f"«{item.group.name}»: {message}" for message in error.messages)
    if errors:
        raise ValidationError({"groups": errors})
    return made
