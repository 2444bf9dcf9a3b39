"""A program's groups carried over to the next academic year: every spring an organization makes again the groups it
had — the same names, teachers, timetables, rooms, ages, seats and ways of paying, on the same days of the next
year — instead of typing each one again. Each copy is a new group made by `services.save_group`, with its rules
(the teacher and the rooms free then, the program's duration and ages); the chosen groups are made all or none."""

import datetime
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from catalog import services
from catalog.models import Group, ModerationStatus, Organization, Program, academic_year_label

ALREADY_THERE = "в программе уже есть группа «{name}» на {year} учебный год."
NOTHING_CHOSEN = "Выберите хотя бы одну группу."
NOT_OFFERED = "Таких действующих групп этого учебного года нет:"


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
    return _carried(Group.objects.filter(program=program), source_year() if year is None else year)


def carried_in(organization: Organization, year: int | None = None) -> list[Carried]:
    """The same for every program of the organization but the archived ones (their groups are not made), by
    program title."""
    groups = Group.objects.filter(program__organization=organization).exclude(program__status=ModerationStatus.ARCHIVED)
    return _carried(groups, source_year() if year is None else year)


def _carried(groups: QuerySet[Group], year: int) -> list[Carried]:
    chosen = list(
        groups.filter(academic_year=year, is_active=True)
        .select_related("teacher", "program")
        .prefetch_related("schedule", "financing")
        .order_by("program__title", "program_id", "start_date", "name")
    )
    names = groups.filter(academic_year=year + 1, program__in={group.program_id for group in chosen})
    taken = {(program, name.casefold()): name for program, name in names.values_list("program_id", "name")}
    return [Carried(group, _copy(group), taken.get((group.program_id, group.name.casefold()), "")) for group in chosen]


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
    return _make(actor, carried(program, year), codes, lambda group: f"«{group.name}»")


@transaction.atomic
def carry_over_in(actor: Any, organization: Organization, codes: Iterable[str], year: int | None = None) -> list[Group]:
    """The same across the organization's programs (`carried_in`), all or none: a refusal names the group and its
    program."""
    return _make(actor, carried_in(organization, year), codes, lambda group: f"«{group.name}» ({group.program.title})")


def _make(actor: Any, offered: Sequence[Carried], codes: Iterable[str], named: Callable[[Group], str]) -> list[Group]:
    wanted = {code.upper() for code in codes}
    if not wanted:
        raise ValidationError({"groups": NOTHING_CHOSEN})
    by_code = {item.group.code: item for item in offered}
    unknown = sorted(wanted - set(by_code))
    if unknown:
        raise ValidationError({"groups": f"{NOT_OFFERED} {', '.join(unknown)}."})
    made, errors = [], []
    for item in (by_code[code] for code in by_code if code in wanted):
        if item.there:
            year = academic_year_label(item.copy.academic_year)
            errors.append(f"{named(item.group)}: {ALREADY_THERE.format(name=item.there, year=year)}")
            continue
        schedule = [services.Slot(s.weekday, s.starts_at, s.ends_at, s.room) for s in item.group.schedule.all()]
        financing = [services.Financing(f.source, f.cost_per_month) for f in item.group.financing.all()]
        try:
            with transaction.atomic():
                made.append(services.save_group(actor, item.copy, schedule=schedule, financing=financing))
        except ValidationError as error:
            errors.extend(f"{named(item.group)}: {message}" for message in error.messages)
    if errors:
        raise ValidationError({"groups": errors})
    return made
