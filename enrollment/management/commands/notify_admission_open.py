"""`manage.py notify_admission_open`: run every few minutes (cron, systemd timer). Families waiting
for a program's admission get a letter once it opens."""

from typing import Any

from django.core.management.base import BaseCommand

from enrollment.watches import notify_open


class Command(BaseCommand):
    help = "Пишет семьям, которые ждут открытия записи на программу, что запись открылась."

    def handle(self, *args: Any, **options: Any) -> None:
        notified = notify_open()
        self.stdout.write(f"Отправлено писем об открытии записи: {notified}.")
