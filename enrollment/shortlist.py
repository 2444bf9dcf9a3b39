"""A parent's «Избранное»: programs kept to compare and come back to, with how each takes applications now — on
enrollment day the shortlist is at hand instead of a search made again. The parent's own: no organization or
moderator reads it (enrollment.permissions)."""

from datetime import datetime
from functools import partial
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from accounts.roles import principal_of
from catalog.models import Program
from core import audit, scope
from enrollment import admission
from enrollment.models import SavedProgram

GUARDIANS_ONLY = "Сохранять программы в избранное могут родители (законные представители)."
NOT_YOURS = "Убрать программу из избранного может только тот, кто её сохранил."


def saved_of(user: Any, now: datetime | None = None) -> list[SavedProgram]:
    """The parent's saved programs, the latest saved first, each with `admission` (how it takes applications now:
    its note is what the program's page says)."""
    return admission.of_each_program(SavedProgram.objects.filter(user=user), now or timezone.now())


def saved(user: Any, program: Program) -> SavedProgram | None:
    """The parent's keeping of this program, if any (the program page's button)."""
    return SavedProgram.objects.filter(user=user, program=program).first()


def save(actor: Any, program: Program) -> tuple[SavedProgram, bool]:
    """The program in the parent's «Избранное», and whether this call put it there: saving it again returns the
    one kept. Any program the parent may read (the caller found it so), even one no longer held: it stays, marked
    so, until the parent removes it."""
    if not principal_of(actor).is_guardian:
        raise PermissionDenied(GUARDIANS_ONLY)
    kept = SavedProgram.objects.filter(user=actor, program=program)
    create = partial(SavedProgram.objects.create, user=actor, program=program)
    return audit.created_once(actor, "saved_program.added", kept, create, program=program.code)


def remove(actor: Any, kept: SavedProgram) -> None:
    """The program leaves the parent's «Избранное»."""
    if not scope.can(actor, kept, "change"):
        raise PermissionDenied(NOT_YOURS)
    with transaction.atomic():
        audit.record(actor, "saved_program.removed", kept, program=kept.program.code)
        kept.delete()
