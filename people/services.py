"""Actions on people: a parent adds a child (atomic, audited)."""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from core import audit
from people.models import Child, Guardian

MAX_AGE = 18  # additional education of children: until the 18th birthday


@transaction.atomic
def add_child(actor: Any, child: Child) -> Child:
    """Save a new child of the signed-in parent, who becomes its legal representative."""
    guardian = Guardian.objects.filter(user=actor).first() if getattr(actor, "is_authenticated", False) else None
    if guardian is None:
        raise PermissionDenied("Добавить ребёнка может только родитель (законный представитель).")
    today = timezone.localdate()
    if child.birth_date > today:
        raise ValidationError({"birth_date": "Дата рождения не может быть в будущем."})
    if child.age_on(today) >= MAX_AGE:
        raise ValidationError({"birth_date": "Дополнительное образование детей — до 18 лет."})
    child.full_clean()
    child.save()
    child.guardians.add(guardian)
    audit.record(actor, "child.added", child)
    return child
