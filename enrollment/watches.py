"""A family waits for a program's admission to open instead of refreshing its page on enrollment
day: it asks once (`watch`), and when the program takes applications (or a campaign's choices) a
letter tells it so (`notify_open`, run by `manage.py notify_admission_open` from cron)."""

from datetime import datetime
from functools import partial
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from accounts.roles import principal_of
from catalog.models import ModerationStatus, Program
from core import audit, letters, scope
from enrollment import admission
from enrollment.models import AdmissionWatch

# The admission states in which a family can act now: a watch is for the others.
OPEN_STATES = frozenset({admission.APPLY, admission.QUEUE, admission.CAMPAIGN})
# Those in which the program page offers to wait: a published program that takes nothing yet.
WATCHABLE_STATES = frozenset({admission.LATER, admission.CLOSED, admission.NO_GROUPS})

ALREADY_OPEN = "Запись уже открыта — подайте заявку."
RETIRED = "Программа больше не проводится."
GUARDIANS_ONLY = "Ждать открытия записи могут родители (законные представители)."


def waiting_of(user: Any, now: datetime | None = None) -> list[AdmissionWatch]:
    """The parent's waiting watches, each with what its program's page says of its admission now
    (`admission.note`: «Приём заявок откроется 1 сентября в 10:00.»), the oldest first."""
    waiting = AdmissionWatch.objects.filter(user=user, notified_at=None).order_by("created_at", "pk")
    return admission.of_each_program(waiting, now or timezone.now())


def watch(actor: Any, program: Program, now: datetime | None = None) -> tuple[AdmissionWatch, bool]:
    """The parent's waiting watch of the program and whether this call created it: watching again
    returns the one waiting. Refused while the program takes applications (nothing to wait for) and
    once it is archived (nothing will open)."""
    if not principal_of(actor).is_guardian:
        raise PermissionDenied(GUARDIANS_ONLY)
    current = admission.with_current_groups(Program.objects.filter(pk=program.pk)).get()
    state = admission.of_program(current, now or timezone.now()).state
    if state in OPEN_STATES:
        raise ValidationError(ALREADY_OPEN)
    if state == admission.RETIRED:
        raise ValidationError(RETIRED)
    waiting = AdmissionWatch.objects.filter(user=actor, program=program, notified_at=None)
    create = partial(AdmissionWatch.objects.create, user=actor, program=program)
    return audit.created_once(actor, "admission_watch.created", waiting, create, program=program.code)


def stop_watching(actor: Any, watch: AdmissionWatch) -> None:
    """The parent no longer waits (or clears a notified watch from the list): the watch is deleted."""
    if not scope.can(actor, watch, "change"):
        raise PermissionDenied("Отменить ожидание может только тот, кто его оставил.")
    with transaction.atomic():
        audit.record(actor, "admission_watch.stopped", watch, program=watch.program.code)
        watch.delete()


def notify_open(now: datetime | None = None) -> int:
    """One letter for every waiting watch whose program takes applications (or a campaign's
    choices) at `now`, each watch marked notified; returns how many. The admission is computed once
    per program, over the published programs that have waiting watches (an archived or unpublished
    one takes nothing: its watches wait on, or end: `end_retired`)."""
    now = now or timezone.now()
    notified = 0
    for program in admission.with_current_groups(_waited_for(ModerationStatus.PUBLISHED)).iterator(chunk_size=500):
        found = admission.of_program(program, now)
        if found.state in OPEN_STATES:
            body = f"Открылась запись на программу «{program.title}» ({program.organization.short_name})."
            if found.note:  # a queue or a campaign: what the family does now
                body += f"\n{found.note}"
            notified += _tell(program, f"Открылась запись: «{program.title}»", body, now)
    return notified


def end_retired() -> int:
    """The waits for programs archived since, ended: nothing will open there. One letter to each family saying so
    (the program's page offers similar ones), each wait deleted, audited; returns how many."""
    ended = 0
    for program in _waited_for(ModerationStatus.ARCHIVED).iterator(chunk_size=500):
        body = (
            f"Программа «{program.title}» ({program.organization.short_name}) больше не проводится: запись на неё "
            "не откроется. На её странице — похожие программы."
        )
        ended += _tell(program, f"Запись не откроется: «{program.title}»", body, None)
    return ended


def _waited_for(status: str) -> "QuerySet[Program]":
    """The programs of this status that families wait for, with their organizations."""
    waited = AdmissionWatch.objects.filter(notified_at=None).values("program_id")
    return Program.objects.filter(pk__in=waited, status=status).select_related("organization").order_by("pk")


def _tell(program: Program, subject: str, body: str, notified_at: datetime | None) -> int:
    """The program's waiting watches told, one letter each, audited: marked notified at `notified_at`, or deleted
    (None: the wait ended). Their rows are locked in one transaction, so a second run of the command at the same
    time finds none and writes no second letter. Returns how many."""
    with transaction.atomic():
        waiting = list(
            AdmissionWatch.objects.select_for_update(of=("self",))
            .filter(program=program, notified_at=None)
            .select_related("user")
            .order_by("pk")
        )
        if not waiting:
            return 0
        told = AdmissionWatch.objects.filter(pk__in=[w.pk for w in waiting])
        ended = notified_at is None
        audit.record_many(
            [
                (None, "admission_watch.ended" if ended else "admission_watch.notified", w, {"program": program.code})
                for w in waiting
            ]
        )
        if ended:
            told.delete()
        else:
            told.update(notified_at=notified_at)
        page = reverse("navigator:program", args=[program.code])
        for watch in waiting:
            letters.send_after_commit([watch.user.email], subject, body, page)
    return len(waiting)
