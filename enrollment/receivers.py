"""What enrollment does when other domains change: applications follow their program."""

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from catalog.models import Program
from enrollment.models import Application

MOVED = {"organization", "municipality"}


@receiver(post_save, sender=Program, dispatch_uid="enrollment.applications_follow_their_program")
def applications_follow_their_program(
    instance: Program, created: bool, raw: bool, update_fields: Any = None, **kwargs: Any
) -> None:
    """A program moved to another municipality (or organization): its applications' copies of them
    (Application.organization, .municipality) move with it, in the same transaction. Every save
    of a program asks: an edit form, a moderator approving changes, the admin."""
    if created or raw or (update_fields is not None and not MOVED & set(update_fields)):
        return
    Application.objects.filter(program=instance).exclude(
        organization_id=instance.organization_id, municipality_id=instance.municipality_id
    ).update(organization_id=instance.organization_id, municipality_id=instance.municipality_id)
