"""`manage.py expire_invitations`: run every few minutes (cron, systemd timer). Invitations whose
deadline passed expire, and their seats go to the next children in the queue."""

from typing import Any

from django.core.management.base import BaseCommand

from enrollment.services import expire_overdue


class Command(BaseCommand):
    help = "Закрывает просроченные приглашения и передаёт места следующим в очереди."

    def handle(self, *args: Any, **options: Any) -> None:
        expired = expire_overdue()
        self.stdout.write(f"Просрочено приглашений: {expired}.")
