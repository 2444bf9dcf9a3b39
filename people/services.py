"""Actions on people: a parent adds a child (atomic, audited, matched against the registry)."""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from core import audit
from people import registry
from people.models import Child, Guardian

MAX_AGE = 18  # additional education of children: until the 18th birthday


@transaction.atomic
def add_child(actor: Any, child: Child, *, snils: str = "", birth_certificate: str = "") -> registry.Registration:
    """Enter a child of the signed-in parent, who becomes its legal representative. If the registry
    already holds this child (entered by an organization, say), that record is the one returned."""
    guardian = Guardian.objects.filter(user=actor).first() if getattr(actor, "is_authenticated", False) else None
    if guardian is None:
        raise PermissionDenied("Добавить ребёнка может только родитель (законный представитель).")
    today = timezone.localdate()
    if child.birth_date > today:
        raise ValidationError({"birth_date": "Дата рождения не может быть в будущем."})
    if child.age_on(today) >= MAX_AGE:
        raise ValidationError({"birth_date": "Дополнительное образование детей — до 18 лет."})
    registration = registry.register_child(actor, child, snils=snils, birth_certificate=birth_certificate)
    registration.child.guardians.add(guardian)
    audit.record(actor, "child.added", registration.child)
    return registration
