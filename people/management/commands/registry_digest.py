"""`manage.py registry_digest`: tell the operators of the registry how many possible duplicates were
queued for them the day before (one letter an operator). Run it from cron once a day."""

from datetime import date, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from people import review


class Command(BaseCommand):
    help = "Письма операторам о парах возможных дубликатов, добавленных в очередь за день."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--day", help="день ГГГГ-ММ-ДД (по умолчанию вчерашний)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            day = date.fromisoformat(options["day"]) if options["day"] else timezone.localdate() - timedelta(days=1)
        except ValueError:
            raise CommandError("День — в формате ГГГГ-ММ-ДД.") from None
        sent = review.send_digest(day)
        self.stdout.write(f"Писем о новых парах за {day:%d.%m.%Y}: {sent}.")
