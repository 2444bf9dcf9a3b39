"""`manage.py notify_admission_open`: run every few minutes (cron, systemd timer). Families waiting
for a program's admission get a letter once it opens, or once the program is archived (their wait ends)."""

from typing import Any

from django.core.management.base import BaseCommand

from enrollment.watches import end_retired, notify_open


class Command(BaseCommand):
    help = "Пишет семьям, которые ждут открытия записи на программу, что запись открылась или не откроется."

    def handle(self, *args: Any, **options: Any) -> None:
        notified, ended = notify_open(), end_retired()
        self.stdout.write(f"Отправлено писем об открытии записи: {notified}.")
        self.stdout.write(f"Снято ожиданий программ, перенесённых в архив: {ended}.")
