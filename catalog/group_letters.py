"""What families are told when their child's group changes where, when or with whom it meets: a letter to each
guardian of a child enrolled in the group or waiting for it, saying what was and what is now.
Sent after commit by the action that changed the group (services.save_group, services.remove_study_place)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from django.urls import reverse

from catalog.models import FundingSource, Group, Program
from core import letters, money
from enrollment.models import ACTIVE_STATUSES, Application
from people.models import Teacher

# What a family plans its week by, in the order a letter says it.
TOLD_FIELDS = {
    "address": "Адрес занятий",
    "start_date": "Начало занятий",
    "end_date": "Окончание занятий",
    "teacher_id": "Педагог",
}
SCHEDULE = "Расписание"
PAYMENT = "Оплата"


class Lesson(Protocol):
    """A slot of a timetable (services.Slot)."""

    @property
    def weekday(self) -> int: ...

    @property
    def room(self) -> str: ...


class Payment(Protocol):
    """A financing source of a group with its cost (services.Financing)."""

    @property
    def source(self) -> str: ...

    @property
    def cost_per_month(self) -> Decimal: ...


@dataclass(frozen=True)
class Change:
    what: str
    before: str
    after: str


def changes(
    group: Group,
    changed: Sequence[str],
    timetables: tuple[Sequence[Lesson], Sequence[Lesson] | None],
    payments: tuple[Sequence[Payment], Sequence[Payment] | None],
) -> list[Change]:
    """What of the group as it is about to be saved a family would want to know changed: its changed fields (of
    `changed`, read from the database as stored), its timetable and its ways of paying (each as it was and as it
    will be; None: unchanged)."""
    told = [name for name in TOLD_FIELDS if name in changed]
    found: list[Change] = []
    if told:
        stored = Group.objects.filter(pk=group.pk).values(*told).get()
        found = [
            Change(TOLD_FIELDS[name], _said(name, stored[name]), _said(name, getattr(group, name))) for name in told
        ]
    slots_before, slots_after = timetables
    if slots_after is not None:
        found.append(Change(SCHEDULE, timetable(slots_before), timetable(slots_after)))
    paid_before, paid_after = payments
    if paid_after is not None:
        found.append(Change(PAYMENT, ways_of_paying(paid_before), ways_of_paying(paid_after)))
    return found


def timetable(slots: Sequence[Lesson]) -> str:
    """«Пн 15:00–16:30 (каб. 12); Ср 15:00–16:30», weekdays in order; «нет занятий» for none."""
    ordered = sorted(slots, key=lambda slot: (slot.weekday, str(slot)))
    return "; ".join(f"{slot} ({slot.room})" if slot.room else str(slot) for slot in ordered) or "нет занятий"


def ways_of_paying(payments: Sequence[Payment]) -> str:
    """«Бесплатно (муниципальное задание); По сертификату ПФ: 3 000 ₽ в месяц», as the program page says them."""
    said = [
        f"{FundingSource(payment.source).label}: {money.whole(payment.cost_per_month)} ₽ в месяц"
        if payment.cost_per_month
        else FundingSource(payment.source).label
        for payment in sorted(payments, key=lambda payment: (payment.source, payment.cost_per_month))
    ]
    return "; ".join(said) or "не указана"


def _said(name: str, value: Any) -> str:
    if value is None or value == "":
        return "не указан"
    if isinstance(value, date):
        return f"{value:%d.%m.%Y}"
    if name == "teacher_id":
        return str(Teacher.objects.get(pk=value))
    return str(value)


def tell_families(group: Group, program: Program, found: Sequence[Change]) -> int:
    """One letter to each guardian of a child in the group or waiting for it (an active application), after
    commit; how many were written to. Not to whoever filed the application: an organization's list makes its
    operator the applicant of the children it records."""
    if not found:
        return 0
    guardians = (
        Application.objects.filter(group=group, status__in=ACTIVE_STATUSES)
        .values_list("child__guardians__user__email", flat=True)
        .distinct()
        .order_by()
    )
    emails = sorted({email for email in guardians if email})
    body = "\n".join(
        [
            f"В группе «{group.name}» программы «{program.title}» ({program.organization.short_name}) изменилось "
            "следующее:",
            *(f"— {change.what}: было «{change.before}», теперь «{change.after}»." for change in found),
            "",
            "Если ребёнку так неудобно, свяжитесь с организацией: её телефон — на странице программы.",
        ]
    )
    subject = f"Группа «{group.name}»: изменения в занятиях"
    for email in emails:  # each family its own letter: one would show every family's address to the others
        letters.send_after_commit([email], subject, body, reverse("family:cabinet"))
    return len(emails)
