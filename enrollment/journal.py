"""The attendance journal: lessons generated from a group's timetable (holidays skipped), marked
by the teacher in one submit from a phone, and a monthly report per group as XLSX. A region's
holidays are kept by its regional operator, those of every region by the administrator; declaring
one removes the day's unmarked lessons there."""

import calendar
import io
from collections.abc import Container, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from accounts.roles import principal_of
from catalog.models import Group, Program, ScheduleSlot
from core import audit, scope
from enrollment.models import Application, Attendance, Holiday, Lesson
from enrollment.models import ApplicationStatus as S
from territory.models import Municipality, Region

MONTHS = (
    "январь", "февраль", "март", "апрель", "май", "июнь",
    "июль", "август", "сентябрь", "октябрь", "ноябрь", "декабрь",
)  # fmt: skip


def timetable(
    group: Group, days_off: Container[date], until: date | None = None
) -> Iterator[tuple[date, ScheduleSlot]]:
    """The lessons the group's timetable gives from its start date to `until` (default: its end
    date), days off skipped: each as its day and its slot of the timetable."""
    slots: dict[int, list[ScheduleSlot]] = {}
    for slot in group.schedule.all():
        slots.setdefault(slot.weekday, []).append(slot)
    last = min(until or group.end_date, group.end_date)
    day = group.start_date
    while day <= last:
        if day not in days_off:
            for slot in slots.get(day.weekday(), []):
                yield day, slot
        day += timedelta(days=1)


def generate_lessons(group: Group, until: date | None = None) -> int:
    """Create the group's lessons from its timetable up to `until` (default: its end date);
    existing lessons stay as they are. Returns how many were created."""
    days_off = set(
        holidays_of_group(group).filter(date__range=(group.start_date, group.end_date)).values_list("date", flat=True)
    )
    lessons = [
        Lesson(group=group, date=day, starts_at=slot.starts_at, ends_at=slot.ends_at)
        for day, slot in timetable(group, days_off, until)
    ]
    before = group.lessons.count()
    Lesson.objects.bulk_create(lessons, ignore_conflicts=True)
    return group.lessons.count() - before


def may_keep_journal(user: Any, group: Group) -> bool:
    """The group's teacher and the organization's operators keep its journal."""
    teacher = group.teacher
    return bool(teacher and teacher.user_id and teacher.user_id == getattr(user, "pk", None)) or scope.can(
        user, group, "change"
    )


def enrolled_by(day: date | F, via: str = "") -> Q:
    """Enrollments a lesson on `day` is for: those made by then (a lesson before a child's
    enrollment is not the child's: paid by attendance, a mark there would be paid). `via` is the
    path to the applications from the model queried, `day` may name its lesson's date."""
    return Q(**{f"{via}enrolled_on__isnull": True}) | Q(**{f"{via}enrolled_on__lte": day})


def enrolled(group: Group, on: date | None = None) -> list[Application]:
    """The group's enrolled children; `on` a lesson's date, those enrolled by then."""
    applications = Application.objects.filter(group=group, status=S.ENROLLED)
    if on is not None:
        applications = applications.filter(enrolled_by(on))
    return list(applications.select_related("child").order_by("child__last_name", "child__first_name"))


@transaction.atomic
def mark_attendance(actor: Any, lesson: Lesson, present: Iterable[int]) -> int:
    """Mark every enrolled child: those in `present` (application ids) were there, the rest were
    not. Returns how many marks were written."""
    if not may_keep_journal(actor, lesson.group):
        raise PermissionDenied("Журнал группы ведёт её педагог или оператор организации.")
    if lesson.date > timezone.localdate():
        raise ValidationError("Нельзя отметить занятие, которое ещё не прошло.")
    if lesson.is_cancelled:
        raise ValidationError("Занятие отменено: отмечать некого.")
    here = set(present)
    children = enrolled(lesson.group, on=lesson.date)
    unknown = here - {a.pk for a in children}
    if unknown:
        raise ValidationError({"present": "Отмечены дети, которые не были зачислены в группу на дату занятия."})
    for application in children:
        Attendance.objects.update_or_create(
            lesson=lesson,
            application=application,
            defaults={"present": application.pk in here, "marked_by": actor},
        )
    audit.record(actor, "journal.marked", lesson, present=len(here), total=len(children))
    return len(children)


def monthly_report(group: Group, year: int, month: int) -> bytes:
    """The month's attendance of a group as an XLSX workbook: a row per child, a column per lesson."""
    first = date(year, month, 1)
    last = date(year, month, calendar.monthrange(year, month)[1])
    lessons = list(group.lessons.filter(date__range=(first, last), is_cancelled=False).order_by("date", "starts_at"))
    children = enrolled(group)
    marks = {
        (a.lesson_id, a.application_id): a.present
        for a in Attendance.objects.filter(lesson__in=lessons, application__in=children)
    }
    book = Workbook()
    sheet = book.active
    sheet.title = f"{month:02d}.{year}"
    sheet.append([f"{group.program.title} — {group.name}, {MONTHS[month - 1]} {year}"])
    sheet.append(["Ребёнок", *[f"{lesson.date:%d.%m}" for lesson in lessons], "Был", "Пропустил"])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
    for application in children:
        row = [marks.get((lesson.pk, application.pk)) for lesson in lessons]
        sheet.append(
            [
                application.child.full_name,
                *["+" if mark else "н" if mark is False else "" for mark in row],
                sum(1 for mark in row if mark),
                sum(1 for mark in row if mark is False),
            ]
        )
    sheet.column_dimensions["A"].width = 36
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def journal_group(user: Any, code: str) -> Group:
    """The group whose journal this person keeps: 404 when they may not see it, 403 when they see
    it but keep no journal of it. Pages and the API find a journal's group only through here."""
    group = scope.get_in_scope(Group.objects.select_related("program", "teacher"), user, "office", code=code)
    if not may_keep_journal(user, group):
        raise PermissionDenied("Журнал группы ведёт её педагог или оператор организации.")
    return group


# --- Holidays -----------------------------------------------------------------------------------

HOLIDAY_NAME_LENGTH = 200
NOT_YOURS = (
    "Нерабочие дни всех регионов отмечает администратор, дни региона — его региональный опорный центр: "
    "каникулы и праздники одного региона не трогают занятия другого."
)


def holiday_years() -> range:
    """The years days off are declared for: last year's (late corrections) to two years ahead."""
    this_year = timezone.localdate().year
    return range(this_year - 1, this_year + 3)


def where_off(holiday: Holiday) -> str:
    return "во всех регионах" if holiday.region is None else f"в регионе «{holiday.region.name}»"


def holidays_of_group(group: Group) -> QuerySet[Holiday]:
    """The days off of the group's region and those of every region."""
    return holidays_of_regions(Program.objects.filter(pk=group.program_id).values("municipality__region"))


def holidays_of_regions(regions: Iterable[int] | QuerySet[Any]) -> QuerySet[Holiday]:
    """The days off of these regions and those of every region."""
    return Holiday.objects.filter(Q(region__isnull=True) | Q(region__in=regions))


def holiday_regions(user: Any) -> list[Region | None]:
    """Where this person keeps days off: the administrator those of every region (None) and of each
    region; a regional operator those of his regions; nobody else any."""
    principal = principal_of(user)
    regions = Region.objects.order_by("name")
    if principal.is_admin:
        return [None, *regions]
    return list(regions.filter(pk__in=principal.region_ids))


def may_manage_holiday(user: Any, holiday: Holiday) -> bool:
    principal = principal_of(user)
    return principal.is_admin or (holiday.region_id is not None and holiday.region_id in principal.region_ids)


def visible_holidays(user: Any) -> QuerySet[Holiday]:
    """The days off a person of the office reads: those of every region and of the regions the
    person works in (an organization's, a municipality's, a region's); the administrator all."""
    principal = principal_of(user)
    if principal.is_admin:
        return Holiday.objects.select_related("region")
    organizations = principal.operated_organization_ids | principal.teaching_organization_ids
    regions = Municipality.objects.filter(
        Q(pk__in=principal.municipality_ids) | Q(organizations__in=organizations)
    ).values("region")
    own = Q(region__in=principal.region_ids | principal.methodologist_region_ids) | Q(region__in=regions)
    return Holiday.objects.filter(Q(region__isnull=True) | own).select_related("region")


@dataclass(frozen=True)
class HolidayAdded:
    holiday: Holiday
    removed: int  # lessons on that day without a single mark, removed
    kept: int  # lessons on that day with attendance marked, kept as they are


def _lessons_where(region: Region | None) -> QuerySet[Lesson]:
    lessons = Lesson.objects.all()
    return lessons if region is None else lessons.filter(group__program__municipality__region=region)


@transaction.atomic
def add_holiday(actor: Any, day: date, name: str, region: Region | None) -> HolidayAdded:
    """Declare a day without lessons in a region (None: in every region). Lessons already generated
    on it there go, unless attendance was marked at them: marks are never deleted, those lessons
    stay for the teacher to deal with."""
    if region not in holiday_regions(actor):
        raise PermissionDenied(NOT_YOURS)
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Укажите, что это за день: например, «День народного единства»."})
    if len(name) > HOLIDAY_NAME_LENGTH:
        raise ValidationError({"name": f"Название — не длиннее {HOLIDAY_NAME_LENGTH} символов."})
    years = holiday_years()
    if day.year not in years:  # 01.01.1900 was taken
        raise ValidationError({"date": f"Нерабочие дни отмечают на {years[0]}–{years[-1]} годы."})
    existing = Holiday.objects.filter(Q(region__isnull=True) | Q(region=region), date=day).first()
    if existing is not None:
        raise ValidationError({"date": f"{day:%d.%m.%Y} уже нерабочий день {where_off(existing)}: «{existing.name}»."})
    try:
        with transaction.atomic():
            holiday = Holiday.objects.create(date=day, name=name, region=region)
    except IntegrityError:  # the same day, added at this very moment by someone else
        raise ValidationError({"date": f"{day:%d.%m.%Y} уже нерабочий день."}) from None
    # Locked first: a mark being saved at one of them waits, and is not deleted with its lesson.
    on_day = Lesson.objects.filter(
        pk__in=list(_lessons_where(region).select_for_update().filter(date=day).values_list("pk", flat=True))
    )
    marked = Exists(Attendance.objects.filter(lesson=OuterRef("pk")))
    kept = on_day.filter(marked).count()
    removed, _ = on_day.exclude(marked).delete()
    audit.record(
        actor,
        "holiday.added",
        holiday,
        date=day.isoformat(),
        name=name,
        region=region.name if region else None,
        removed=removed,
        kept=kept,
    )
    return HolidayAdded(holiday=holiday, removed=removed, kept=kept)


@transaction.atomic
def remove_holiday(actor: Any, holiday: Holiday) -> int:
    """Make the day a working one again where it was off. Groups whose lessons are already generated
    get that day's lessons back from their timetable, unless the day is still off for them (a day
    off of every region and one of their region's); returns how many."""
    if not may_manage_holiday(actor, holiday):
        raise PermissionDenied(NOT_YOURS)
    day, region = holiday.date, holiday.region
    audit.record(
        actor,
        "holiday.removed",
        holiday,
        date=day.isoformat(),
        name=holiday.name,
        region=region.name if region else None,
    )
    holiday.delete()
    still_off = Holiday.objects.filter(date=day)  # what remains is of another scope
    if still_off.filter(region__isnull=True).exists():
        return 0
    slots = ScheduleSlot.objects.filter(
        Exists(Lesson.objects.filter(group=OuterRef("group"))),
        weekday=day.weekday(),
        group__start_date__lte=day,
        group__end_date__gte=day,
    ).exclude(group__program__municipality__region__in=still_off.values("region"))
    if region is not None:
        slots = slots.filter(group__program__municipality__region=region)
    before = Lesson.objects.filter(date=day).count()
    Lesson.objects.bulk_create(
        [Lesson(group_id=s.group_id, date=day, starts_at=s.starts_at, ends_at=s.ends_at) for s in slots],
        ignore_conflicts=True,
    )
    return Lesson.objects.filter(date=day).count() - before
