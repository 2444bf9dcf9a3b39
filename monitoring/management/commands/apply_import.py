"""`manage.py apply_import IM-… | <номер>`: apply a checked list of children from the command line (a large
file), or resume one whose run stopped (the process died, or a failure interrupted it)."""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from monitoring import imports
from monitoring.models import ImportBatch


class Command(BaseCommand):
    help = "Применяет проверенный список детей или продолжает прерванное применение."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("batch", help="код загрузки (например IM-7K2M9Q) или её номер")

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["batch"]
        batch = ImportBatch.objects.filter(**{"pk": int(name)} if name.isdigit() else {"code": name.upper()}).first()
        if batch is None:
            raise CommandError(f"Загрузки {name} нет.")

        def report(percent: int) -> None:
            self.stdout.write(f"  применено {percent} %")

        try:
            outcome = imports.apply(None, batch, report)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        for key, label in imports.OUTCOME_LABELS.items():
            self.stdout.write(f"{label}: {outcome.get(key, 0)}")
        self.stdout.write(self.style.SUCCESS(f"Готово: список {batch.code} применён."))
