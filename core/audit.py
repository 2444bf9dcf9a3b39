"""Recording actions in the audit log and notifying people after the transaction commits."""

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import models, transaction

from core.bulk import insert_objects
from core.models import AuditEvent


def _event(actor: Any, action: str, obj: models.Model, data: dict[str, Any]) -> AuditEvent:
    return AuditEvent(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        data=data,
    )


def record(actor: Any, action: str, obj: models.Model, **data: Any) -> AuditEvent:
    event = _event(actor, action, obj, data)
    event.save()
    return event


def record_many(entries: Iterable[tuple[Any, str, models.Model, dict[str, Any]]]) -> list[AuditEvent]:
    """Several records in one statement, for a hot path that takes more than one step at once."""
    return list(insert_objects([_event(*entry) for entry in entries]))


def notify_after_commit(recipients: Iterable[str], subject: str, body: str) -> None:
    """Send an e-mail once the surrounding transaction has committed (never for a rollback)."""
    emails = sorted({email for email in recipients if email})
    if not emails:
        return
    transaction.on_commit(lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, emails, fail_silently=False))
