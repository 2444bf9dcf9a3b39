"""Enrollment actions: applying, and every status change of an application, in one place.

Each action is one transaction that writes the application's history and the audit log and
notifies the family after commit. Seats move with statuses: taking one is a conditional UPDATE
(`seats_taken < capacity`), so concurrent invitations can never oversell a group, and the
database's check constraint refuses a count above capacity whatever the code does.
"""

import functools
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.db.models.expressions import RawSQL
from django.urls import reverse
from django.utils import timezone

from catalog.models import Group, ModerationStatus, Program
from catalog.services import refresh_open_seats
from core import audit, letters, rawsql, scope
from core.bulk import insert_objects
from core.templatetags.opora import ages, ru_plural
from enrollment import intake
from enrollment.models import (
    ACTIVE_STATUSES,
    SEAT_STATUSES,
    Application,
    ApplicationEvent,
    ApplicationSource,
    Campaign,
    CampaignKind,
)
from enrollment.models import ApplicationStatus as S
from enrollment.signals import application_left
from people.models import Child

# Statuses in which an application has left (or never took) its place: a contract paid for it ends.
LEAVING_STATUSES = frozenset({S.EXPELLED, S.CANCELLED, S.REJECTED, S.EXPIRED})


@dataclass(frozen=True)
class Transition:
    label: str
    sources: frozenset[str]
    target: str
    by: str  # "organization", "family" or "system"
    needs_reason: bool = False


TRANSITIONS: dict[str, Transition] = {
    "review": Transition("Взять на рассмотрение", frozenset({S.NEW}), S.REVIEWING, "organization"),
    "invite": Transition("Пригласить", frozenset({S.NEW, S.REVIEWING, S.WAITLISTED}), S.INVITED, "organization"),
    "enroll": Transition("Зачислить", frozenset({S.INVITED}), S.ENROLLED, "organization"),
    "waitlist": Transition("Поставить в очередь", frozenset({S.NEW, S.REVIEWING}), S.WAITLISTED, "organization"),
    "reject": Transition(
        "Отказать", frozenset({S.NEW, S.REVIEWING, S.WAITLISTED, S.INVITED}), S.REJECTED, "organization", True
    ),
    "cancel": Transition(
        "Отменить заявку", frozenset({S.NEW, S.REVIEWING, S.WAITLISTED, S.INVITED}), S.CANCELLED, "family"
    ),
    "expire": Transition("Срок ответа истёк", frozenset({S.INVITED}), S.EXPIRED, "system"),
    # Both sides signed a contract for the place (finance): the invitation is answered by it.
    "enroll_by_contract": Transition("Зачислен по договору", frozenset({S.INVITED}), S.ENROLLED, "system"),
    "expel": Transition("Отчислить", frozenset({S.ENROLLED}), S.EXPELLED, "organization", True),
}


def _is_guardian_of(user: Any, child: Child) -> bool:
    if not (user and user.is_authenticated):
        return False
    if getattr(child, "_guardian_checked_for", None) == user.pk:  # apply() has just checked, in this request
        return True
    return child.guardians.filter(user=user).exists()


def campaign_of(program: Program, now: datetime) -> Campaign | None:
    """The campaign that decides how this program takes applications now, if any (the one
    `intake.load` reads with an application)."""
    at = rawsql.param(Campaign.opens_at.field, now)
    subquery = RawSQL(intake.campaign_subquery("%s", "%s"), [program.pk, at])  # noqa: S611  (values are parameters)
    return Campaign.objects.filter(pk=subquery).first()


def _check_campaign(campaign: Campaign | None, now: datetime) -> None:
    """Refuses an application the program's campaign does not take now: an error of the program."""
    if campaign is None:
        return
    opens = timezone.localtime(campaign.opens_at)
    if campaign.kind == CampaignKind.PREFERENCES:
        raise ValidationError(
            {
                "program": f"Запись на эту программу идёт через кампанию «{campaign.name}»: выберите группы по "
                f"порядку предпочтения до {timezone.localtime(campaign.closes_at):%d.%m.%Y %H:%M}, места "
                "распределят после."
                if campaign.opens_at <= now
                else f"Запись на эту программу откроется {opens:%d.%m.%Y в %H:%M} (кампания «{campaign.name}»)."
            }
        )
    if campaign.opens_at > now:
        raise ValidationError(
            {"program": f"Приём заявок откроется {opens:%d.%m.%Y в %H:%M} (кампания «{campaign.name}»)."}
        )


def _check_application(
    child: Child, program: Program, group: Group | None, now: datetime, request: intake.ApplicationRequest
) -> list[Group]:
    """The rules a new application must satisfy, each with a message for the family, on the field of
    the request it is about (the program, the group, the child) where it is about one. Returns the
    groups a seat may be offered in: the one chosen, or those open for the child's age (a program's
    groups often split its ages)."""
    if program.status != ModerationStatus.PUBLISHED:
        raise ValidationError({"program": "Программа не опубликована: запись на неё закрыта."})
    _check_campaign(request.campaign, now)
    if group is not None and group.program_id != program.pk:
        raise ValidationError({"group": "Эта группа относится к другой программе."})
    open_groups = [g for g in request.groups if g.enrollment_open(now)]
    if group is not None and group not in open_groups:
        raise ValidationError({"group": "Приём заявок в эту группу сейчас закрыт."})
    if not open_groups:
        raise ValidationError({"program": "Приём заявок на программу сейчас закрыт."})
    candidates = [group] if group is not None else open_groups
    fitting = [g for g in candidates if g.takes_child_born(child.birth_date)]
    if not fitting:
        age = candidates[0].age_on_first_lesson(child.birth_date)
        said = f"На начало занятий ребёнку будет {ages(age, age)}"
        if group is not None:  # a chosen group may take a narrower age than its program: name its limit
            raise ValidationError({"group": f"{said}, а группа — для детей {ages(*group.ages)}."})
        if not program.age_from <= age <= program.age_to:
            raise ValidationError(
                {"program": f"{said}, а программа — для детей {ages(program.age_from, program.age_to)}."}
            )
        # The program's age, but no group taking applications now is for it (its group is closed or absent).
        taking = ", ".join(dict.fromkeys(ages(*g.ages) for g in candidates))
        raise ValidationError({"program": f"{said}, а заявки сейчас принимают группы для детей {taking}."})
    if request.applied_to_program:
        raise ValidationError("У ребёнка уже есть действующая заявка на эту программу.")
    limit = settings.OPORA_MAX_ACTIVE_APPLICATIONS
    if request.in_work >= limit:
        raise ValidationError(
            {
                "child": f"У ребёнка уже {limit} {ru_plural(limit, 'заявка,заявки,заявок')} в работе — это "
                "наибольшее число одновременных заявок."
            }
        )
    return fitting


@dataclass(frozen=True)
class Applied:
    """The result of applying: the application, whether this request created it and, if it did,
    the history written (so the answer needs no query for it)."""

    application: Application
    created: bool
    events: list[ApplicationEvent]


# The field an application's key of repetition is refused at: the API sends it in a header (opora.api).
IDEMPOTENCY_KEY = "idempotency_key"


def apply(actor: Any, child: Child, program: Program, group: Group | None, idempotency_key: str) -> Application:
    """A family's application. The same key from the same person returns the first application:
    a double click or a retried request never makes two."""
    return apply_once(actor, child, program, group, idempotency_key).application


def apply_once(actor: Any, child: Child, program: Program, group: Group | None, idempotency_key: str) -> Applied:
    """`apply`, telling whether the application is new."""
    # The caller has the program, so it may see it: a draft is refused by the rules, with the reason.
    code = group.code if group else None
    return apply_by_reference(actor, child.uuid, program.code, code, idempotency_key, program_seen=True)


def apply_by_reference(
    actor: Any,
    child_uuid: UUID,
    program_code: str,
    group_code: str | None,
    idempotency_key: str,
    *,
    program_seen: bool = False,
) -> Applied:
    """`apply_once` for a request that names the child by UUID and the program and group by code;
    an unknown one, or a program outside the actor's scope, is an error on its field. Everything
    the rules need is read in one statement (`intake.load`). The key is looked up only when the
    request cannot make a new application: every repeat of an existing key either fails a rule
    (the first application is active) or hits the unique (applicant, key) constraint on insert."""
    if not idempotency_key or len(idempotency_key) > 64:
        raise ValidationError({IDEMPOTENCY_KEY: "Нужен ключ повтора длиной до 64 символов."})
    now = timezone.now()
    request = intake.load(actor, child_uuid, program_code, group_code, now)
    child, program = request.child, request.program
    hidden = not program_seen and program is not None and program.status != ModerationStatus.PUBLISHED
    if program is None or (hidden and not scope.can(actor, program, "view")):
        raise ValidationError({"program": "Программа не найдена."})
    if child is None:
        raise ValidationError({"child": "Ребёнок не найден."})
    group = _named_group(actor, request, group_code)
    try:
        if not request.is_guardian:
            raise PermissionDenied("Подать заявку может только законный представитель ребёнка.")
        seatable = _check_application(child, program, group, now, request)
    except (ValidationError, PermissionDenied):
        # A repeated request (or a parallel one with the same key) returns the first application.
        existing = _by_key(actor, idempotency_key)
        if existing is None:
            raise
        return Applied(_same_request(existing, child, program, group), False, [])
    child._guardian_checked_for = actor.pk  # type: ignore[attr-defined]
    try:
        application, events = _create(actor, child, program, group, idempotency_key, request, seatable, now)
    except IntegrityError:
        # A repeated request, or two identical requests raced: the first application is this one.
        existing = _by_key(actor, idempotency_key)
        if existing is None:
            raise ValidationError("У ребёнка уже есть действующая заявка на эту программу.") from None
        return Applied(_same_request(existing, child, program, group), False, [])
    return Applied(application, True, events)


def _named_group(actor: Any, request: intake.ApplicationRequest, code: str | None) -> Group | None:
    """The group the request names: one of the program's current groups, or (for the rules to
    refuse with a reason) another group the actor may see; unknown is an error on the field."""
    if not code:
        return None
    for group in request.groups:
        if group.code == code:
            return group
    found = scope.restrict(Group.objects.all(), actor).filter(code=code).first()
    if found is None:
        raise ValidationError({"group": "Группа не найдена."})
    return found


def _by_key(actor: Any, idempotency_key: str) -> Application | None:
    return Application.objects.filter(applicant=actor, idempotency_key=idempotency_key).first()


def _create(
    actor: Any,
    child: Child,
    program: Program,
    group: Group | None,
    idempotency_key: str,
    request: intake.ApplicationRequest,
    seatable: list[Group],
    now: datetime,
) -> tuple[Application, list[ApplicationEvent]]:
    """The new application with its history; in a first-come campaign (a preference campaign was
    refused above) a seat is taken at once by a conditional UPDATE, or the child queues. The
    application is inserted in its final status: the same rows as a NEW application moved on by
    the invite or waitlist transition, in fewer statements (one on PostgreSQL)."""
    application = Application(
        child=child, applicant=actor, program=program, group=group, idempotency_key=idempotency_key
    )
    first_come = request.campaign is not None
    candidates = seatable if first_come else []
    if first_come:
        application.status, application.waitlisted_at = S.WAITLISTED, now  # unless a seat is free
    deadline = now + timedelta(days=settings.OPORA_INVITATION_DAYS)
    if connection.vendor == "postgresql":
        intake.insert(application, candidates, deadline, intake.queue_groups(group, request.groups, child.birth_date))
        application.group = next((g for g in candidates if g.pk == application.group_id), group)
        events = _history(actor, application, group)
    else:
        with transaction.atomic():
            seat = _take_first_seat(candidates)
            if seat is not None:
                application.group, application.status = seat, S.INVITED
                application.deadline, application.waitlisted_at = deadline, None
            insert_objects([application])
            events = list(insert_objects(_history(actor, application, group)))
            audit.record_many(
                [
                    (
                        event.actor,
                        f"application.{event.to_status}",
                        application,
                        {"previous": event.from_status, "reason": ""},
                    )
                    for event in events
                ]
            )
    _notify(application, application.status)  # one letter with where the application stands
    if application.status == S.INVITED:  # a queued application changes no seat: nothing to recount
        _seats_changed(program.pk, application.group_id)
    return application, events


def _history(actor: Any, application: Application, chosen: Group | None) -> list[ApplicationEvent]:
    """The events of a new application: applied (by the family, for the group it chose) and, if a
    first-come campaign placed or queued it at once, that step (by the system)."""
    steps: list[tuple[Any, str, str, Group | None]] = [
        (actor if getattr(actor, "is_authenticated", False) else None, "", S.NEW, chosen)
    ]
    if application.status != S.NEW:
        steps.append((None, S.NEW, application.status, application.group))
    return [
        ApplicationEvent(
            application=application,
            created_at=application.created_at,
            actor=who,
            from_status=previous,
            to_status=target,
            group=at,
            reason="",
        )
        for who, previous, target, at in steps
    ]


TAKE_SEAT_SQL = "UPDATE catalog_group SET seats_taken = seats_taken + 1 WHERE id = %s AND seats_taken < capacity"


def _take_first_seat(candidates: list[Group]) -> Group | None:
    """Hold a seat in the first candidate group that has one: a conditional UPDATE, so concurrent
    takers never oversell (a fixed statement: it runs for every seat on enrollment day)."""
    with rawsql.cursor() as cursor:
        for candidate in candidates:
            cursor.execute(TAKE_SEAT_SQL, [candidate.pk])
            if cursor.rowcount:
                return candidate
    return None


def place_by_allocation(child: Child, applicant: Any, group: Group, key: str, now: datetime) -> Application:
    """The application of a child who won a seat in a campaign's allocation, invited at once. A
    child who already applied to the program (before the campaign, say) has that application
    invited; one already holding a seat in it keeps that seat (one active application a program)."""
    application = Application.objects.filter(applicant=applicant, idempotency_key=key).first()
    if application is None:
        application = (
            Application.objects.select_for_update()
            .filter(child=child, program=group.program, status__in=ACTIVE_STATUSES)
            .first()
        )
    if application is None:
        application = Application.objects.create(
            child=child, applicant=applicant, program=group.program, group=group, idempotency_key=key
        )
        _record(None, application, "", S.NEW)
    if application.status in TRANSITIONS["invite"].sources:
        _apply_transition(None, application, TRANSITIONS["invite"], "", group, now)
    return application


def _same_request(existing: Application, child: Child, program: Program, group: Group | None) -> Application:
    # "Any group" named no group: the first application may since have been given a seat.
    if (existing.child_id, existing.program_id) != (child.pk, program.pk) or (
        group is not None and existing.group_id != group.pk
    ):
        raise ValidationError({IDEMPOTENCY_KEY: "Этот ключ повтора уже использован для другой заявки."})
    return existing


def allowed_transitions(application: Application) -> list[str]:
    return [name for name, t in TRANSITIONS.items() if application.status in t.sources]


def permitted_actions(user: Any, application: Application) -> list[str]:
    """The allowed transitions this person may make now: the family's as a guardian, the
    organization's with "change" scope; never the system's. Checked once per side."""
    sides: dict[str, bool] = {}
    permitted = []
    for name in allowed_transitions(application):
        transition = TRANSITIONS[name]
        if transition.by == "system":
            continue
        if transition.by not in sides:
            try:
                _check_actor(user, application, transition)
            except PermissionDenied:
                sides[transition.by] = False
            else:
                sides[transition.by] = True
        if sides[transition.by]:
            permitted.append(name)
    return permitted


def _check_actor(actor: Any, application: Application, transition: Transition) -> None:
    if transition.by == "system":
        if actor is not None:
            raise PermissionDenied("Это действие выполняет только система.")
    elif transition.by == "family":
        if not _is_guardian_of(actor, application.child):
            raise PermissionDenied("Отменить заявку может только законный представитель ребёнка.")
    elif not scope.can(actor, application, "change"):
        raise PermissionDenied("Решение по заявке принимает организация, которая ведёт программу.")


def change_status(
    actor: Any,
    application: Application,
    name: str,
    *,
    reason: str = "",
    group: Group | None = None,
    now: datetime | None = None,
    left_on: date | None = None,
) -> Application:
    """Move an application along one transition; seats and the queue follow. An expulsion takes
    effect on `left_on` (default: today), never in the future nor before the enrollment."""
    transition = TRANSITIONS.get(name)
    if transition is None:
        raise ValidationError(f"Неизвестное действие «{name}».")
    reason = reason.strip()
    if transition.needs_reason and not reason:
        raise ValidationError({"reason": "Укажите причину: её увидит семья."})
    _check_actor(actor, application, transition)
    now = now or timezone.now()
    with transaction.atomic():
        # The row lock makes two decisions on one application happen one after the other.
        current = Application.objects.select_for_update().get(pk=application.pk)
        if current.status not in transition.sources:
            raise ValidationError(
                f"Действие «{transition.label}» невозможно: заявка в статусе «{S(current.status).label}»."
            )
        if transition.target == S.EXPELLED:
            current.left_on = _check_left_on(current, left_on or timezone.localdate(now))
        _apply_transition(actor, current, transition, reason, group, now)
    application.refresh_from_db()
    return application


def _apply_transition(
    actor: Any, application: Application, transition: Transition, reason: str, group: Group | None, now: datetime
) -> None:
    previous, released = application.status, None
    if transition.target == S.INVITED:
        application.group = _take_seat(application, group)
        application.deadline = now + timedelta(days=settings.OPORA_INVITATION_DAYS)
    elif previous in SEAT_STATUSES and transition.target not in SEAT_STATUSES:
        released = application.group
        if released is not None:
            _release_seat(released.pk)
    if transition.target == S.WAITLISTED:
        application.waitlisted_at = now
    if transition.target == S.ENROLLED:
        application.enrolled_on = timezone.localdate(now)
    if transition.target != S.INVITED:
        application.deadline = None
    application.status = transition.target
    application.reason = reason or application.reason
    fields = ["status", "group", "deadline", "waitlisted_at", "reason", "enrolled_on", "left_on", "updated_at"]
    application.save(update_fields=fields)
    _record(actor, application, previous, transition.target, reason)
    if transition.target in LEAVING_STATUSES:
        application_left.send(sender=Application, application=application, status=transition.target)
    if released is not None:
        offer_freed_seats(released, now)
    _seats_changed(application.program_id, application.group_id, released.pk if released else None)


def _check_left_on(application: Application, left_on: date) -> date:
    if left_on > timezone.localdate():
        raise ValidationError({"left_on": "Дата отчисления не может быть в будущем."})
    if application.enrolled_on is not None and left_on < application.enrolled_on:
        raise ValidationError({"left_on": "Дата отчисления раньше даты зачисления."})
    return left_on


def _take_seat(application: Application, group: Group | None) -> Group:
    """Hold a seat in the chosen group, the application's group, or any current group of the
    program that takes the child's age (the organization's own choice of group is not second-guessed)."""
    choice = group or application.group
    if choice is not None and choice.program_id != application.program_id:
        raise ValidationError({"group": "Эта группа относится к другой программе."})
    if choice is not None:
        check_group_meets(choice)
        candidates = [choice]
    else:
        current = application.program.groups.current().order_by("start_date", "pk")
        candidates = [g for g in current if g.takes_child_born(application.child.birth_date)]
        if not candidates:
            raise ValidationError({"group": "Возраст ребёнка не подходит ни одной группе программы: выберите группу."})
    seat = _take_first_seat(candidates)
    if seat is None:
        full = ", ".join(f"«{g.name}»" for g in candidates)
        whose = "В группе" if len(candidates) == 1 else "В группах для возраста ребёнка"
        raise ValidationError({"group": f"{whose} {full} свободных мест нет — заявку можно поставить в очередь."})
    return seat


def check_group_meets(group: Group) -> None:
    """A seat is taken only in a group that still meets: not switched off, its lessons not over."""
    if not group.is_active:
        raise ValidationError({"group": f"Группа «{group.name}» не действует: в неё не приглашают и не переводят."})
    if group.end_date < timezone.localdate():
        raise ValidationError(
            {"group": f"Занятия группы «{group.name}» закончились: в неё не приглашают и не переводят."}
        )


def _release_seat(group_id: int) -> None:
    Group.objects.filter(pk=group_id, seats_taken__gt=0).update(seats_taken=F("seats_taken") - 1)


def _seats_changed(program_id: int, *group_ids: int | None) -> None:
    """Recount the program's free seats for the Navigator after commit (a seat moved in these
    groups): a display figure, so it need not hold the program's row lock inside every seat
    transaction on enrollment day."""
    transaction.on_commit(lambda: refresh_open_seats(program_id, group_ids))


def offer_freed_seats(group: Group, now: datetime) -> list[Application]:
    """Invite the next children in the queue while the group has free seats: those who asked
    for this group, or for any group of its program if the group takes their age, in the order
    they were queued."""
    offered: list[Application] = []
    for_any_group = Q(group__isnull=True, program_id=group.program_id, child__birth_date__range=group.birth_dates())
    while True:
        seats = Group.objects.filter(pk=group.pk).values_list("capacity", "seats_taken").get()
        if seats[1] >= seats[0]:
            return offered
        candidate = (
            Application.objects.select_for_update(of=("self",))
            .filter(Q(group=group) | for_any_group, status=S.WAITLISTED)
            .order_by("waitlisted_at", "pk")
            .first()
        )
        if candidate is None:
            return offered
        try:
            _apply_transition(None, candidate, TRANSITIONS["invite"], "", group, now)
        except ValidationError:
            return offered  # a concurrent invitation took the seat first
        offered.append(candidate)


def transfer(actor: Any, application: Application, group: Group, reason: str = "") -> Application:
    """Move an invited or enrolled child to another group of the same program: the new seat is
    taken before the old one is freed, so a full group refuses and nothing changes."""
    if not scope.can(actor, application, "change"):
        raise PermissionDenied("Переводить детей между группами может организация, которая ведёт программу.")
    with transaction.atomic():
        current = Application.objects.select_for_update().get(pk=application.pk)
        if current.status not in SEAT_STATUSES:
            raise ValidationError("Перевести можно только приглашённого или зачисленного ребёнка.")
        if group.program_id != current.program_id:
            raise ValidationError({"group": "Перевод возможен только в группу той же программы."})
        if group.pk == current.group_id:
            raise ValidationError({"group": "Ребёнок уже в этой группе."})
        check_group_meets(group)
        previous = current.group
        taken = Group.objects.filter(pk=group.pk, seats_taken__lt=F("capacity")).update(
            seats_taken=F("seats_taken") + 1
        )
        if not taken:
            raise ValidationError({"group": f"В группе «{group.name}» нет свободных мест."})
        if previous is not None:
            _release_seat(previous.pk)
        current.group = group
        current.save(update_fields=["group", "updated_at"])
        note = reason.strip() or (f"Перевод из группы «{previous.name}»" if previous else "Перевод")
        _record(actor, current, current.status, current.status, note)
        if previous is not None:
            offer_freed_seats(previous, timezone.now())
        _seats_changed(current.program_id, group.pk, previous.pk if previous else None)
    application.refresh_from_db()
    return application


def expire_overdue(now: datetime | None = None) -> int:
    """Expire invitations whose deadline passed; their seats go to the queue. Returns how many."""
    now = now or timezone.now()
    overdue = list(
        Application.objects.filter(status=S.INVITED, deadline__lt=now).order_by("deadline").values_list("pk", flat=True)
    )
    for pk in overdue:
        try:
            change_status(None, Application.objects.get(pk=pk), "expire", now=now)
        except ValidationError:
            continue  # answered or cancelled meanwhile
    return len(overdue)


def waitlist_position(application: Application) -> int | None:
    """1 for the first in the queue; None when the application is not waiting, or waits for «any
    group» and no current group takes the child's age (no seat will be offered to it). Ahead are
    those queued earlier for a seat it waits for (`intake.ahead_in_queue`): a fixed statement, as
    every answer to a queued family carries it."""
    if application.status != S.WAITLISTED or application.waitlisted_at is None:
        return None
    if application.known_waitlist_position is not None:
        return application.known_waitlist_position
    if application.group is not None:
        queue = [application.group]
    else:
        current = Group.objects.current().filter(program_id=application.program_id)
        queue = intake.queue_groups(None, current, application.child.birth_date)
    if not queue:
        return None
    params = {
        "program": application.program_id,
        "at": rawsql.param(Application.waitlisted_at.field, application.waitlisted_at),
        "id": application.pk,
        **intake.queue_parameters(queue),
    }
    [(ahead,)] = rawsql.select(_waitlist_ahead_sql(len(queue)), params, [None])
    return int(ahead) + 1


@functools.cache
def _waitlist_ahead_sql(groups: int) -> str:
    return intake.ahead_in_queue(groups, "%(program)s", "%(at)s", "%(id)s")


def _record(actor: Any, application: Application, previous: str, target: str, reason: str = "") -> None:
    ApplicationEvent.objects.create(
        application=application,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        from_status=previous,
        to_status=target,
        group=application.group,
        reason=reason,
    )
    audit.record(actor, f"application.{target}", application, previous=previous, reason=reason)
    _notify(application, target, reason)


def _notify(application: Application, target: str, reason: str = "") -> None:
    if application.source == ApplicationSource.IMPORT:
        return  # its applicant is the operator who recorded the organization's list: the family never applied here
    label = S(target).label
    body = f"Заявка {application.code} ({application.program.title}): статус «{label}»."
    if reason:
        body += f"\nПричина: {reason}"
    if target == S.INVITED and application.deadline:
        # Enrollment is done in person: the family brings the documents, the organization enrolls. (Its
        # contacts are in the cabinet: reading them here would be a fourth statement on enrollment day.)
        body += (
            f"\nМесто за ребёнком до {timezone.localtime(application.deadline):%d.%m.%Y %H:%M}: придите в "
            "организацию с документами для зачисления (её телефон — в личном кабинете и на странице программы). "
            "Позже место перейдёт следующему."
        )
    letters.send_after_commit(
        [application.applicant.email],
        f"Заявка {application.code}: {label}",
        body,
        f"{reverse('family:cabinet')}#child-{application.child_id}",
    )


def record_enrollment(
    actor: Any,
    child: Child,
    group: Group,
    *,
    enrolled_on: date,
    left_on: date | None,
    key: str,
    applicant: Any = None,
) -> tuple[Application, bool]:
    """An enrollment that happened outside the Navigator, from an organization's list: the child is
    enrolled in the group (a seat taken, as every other enrollment takes one) or, with `left_on`,
    was enrolled and has left (no seat). Returns the application and whether it was created.

    Recording it again creates nothing: the same key, or the child's enrollment in the program
    from the same day, is returned as it is, and so is an enrollment the child already has in the
    program. The caller has checked that the actor may record enrollments of the organization
    (monitoring.imports, by the scope of its batch); `applicant` (default: the actor) is the
    person the application is filed under — the actor is None when the system applies a list."""
    applicant = applicant or actor
    if not key or len(key) > 64:
        raise ValidationError("Нужен ключ повтора длиной до 64 символов.")
    if enrolled_on > timezone.localdate():
        raise ValidationError({"enrolled_on": "Дата зачисления не может быть в будущем."})
    if left_on is not None:
        _check_left_on(Application(enrolled_on=enrolled_on), left_on)
    status = S.ENROLLED if left_on is None else S.EXPELLED
    with transaction.atomic():
        # The group's row lock makes two lists naming one child in it apply one after the other.
        group = Group.objects.select_for_update().select_related("program").get(pk=group.pk)
        mine = Application.objects.filter(child=child, program_id=group.program_id)
        known = mine.filter(
            Q(idempotency_key=key) | Q(enrolled_on=enrolled_on, status__in=(S.ENROLLED, S.EXPELLED))
        ).first()
        if known is not None:
            return known, False
        active = mine.filter(status__in=ACTIVE_STATUSES).first()
        if status == S.ENROLLED and active is not None:
            if active.status == S.ENROLLED:
                return active, False
            raise ValidationError(
                f"У ребёнка уже есть заявка {active.code} на эту программу в статусе «{S(active.status).label}»: "
                "зачислите его по этой заявке."
            )
        application = Application(
            child=child,
            applicant=applicant,
            program=group.program,
            group=group,
            status=status,
            enrolled_on=enrolled_on,
            left_on=left_on,
            source=ApplicationSource.IMPORT,
            idempotency_key=key,
        )
        if status == S.ENROLLED and group.seats_taken >= group.capacity:  # reliable: the row is locked
            raise ValidationError({"group": f"В группе «{group.name}» нет свободных мест (мест: {group.capacity})."})
        try:
            with transaction.atomic():
                if status == S.ENROLLED:
                    _take_seat(application, group)
                application.save()
        except IntegrityError:
            # A family's application to the program was accepted in between.
            raise ValidationError("У ребёнка уже есть действующая заявка на эту программу.") from None
        # Not _record: an imported enrollment is audited as imported, with its key (its letters _notify leaves out).
        ApplicationEvent.objects.create(
            application=application,
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            from_status="",
            to_status=status,
            group=group,
            reason=ApplicationSource.IMPORT.label,
        )
        audit.record(actor, "application.imported", application, status=status, key=key)
        if status == S.ENROLLED:
            _seats_changed(group.program_id, group.pk)
    return application, True
