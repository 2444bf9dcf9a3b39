"""Contracts follow their enrollment: when an application leaves its seat, its contract ends."""

from typing import Any

from django.dispatch import receiver

from enrollment.models import Application
from enrollment.signals import application_left
from finance import contracts


@receiver(application_left, dispatch_uid="finance.contract_follows_enrollment")
def end_contract_with_enrollment(sender: Any, application: Application, status: str, **kwargs: Any) -> None:
    contracts.on_application_left(application, status, application.left_on)
