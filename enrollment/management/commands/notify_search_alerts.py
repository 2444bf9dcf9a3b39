"""`manage.py notify_search_alerts`: run every hour or once a day (cron, systemd timer). Families subscribed to a
search get a letter of the programs published since that it finds."""

from typing import Any

from django.core.management.base import BaseCommand

from enrollment.search_alerts import notify_new_programs


class Command(BaseCommand):
    help = "Пишет семьям, подписанным на поиск, о новых программах, которые он находит."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"Отправлено писем о новых программах: {notify_new_programs()}.")
