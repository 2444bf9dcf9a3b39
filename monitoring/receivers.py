"""The dashboards follow the registry: children merged or a merge undone by an operator recount them."""

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from monitoring.services import figures_changed
from people.models import ChildMerge


@receiver(post_save, sender=ChildMerge, dispatch_uid="monitoring.figures_follow_merges")
def recount_after_merge(sender: Any, instance: ChildMerge, **kwargs: Any) -> None:
    # Automatic merges come one by one with registrations and lists (a list recounts once, applied).
    if not instance.automatic:
        figures_changed()
