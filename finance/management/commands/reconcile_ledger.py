"""Check every invariant of the certificate ledger; exit with status 1 on any difference."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from finance.reconcile import reconcile


class Command(BaseCommand):
    help = "Сверка журнала проводок: все инварианты, каждое расхождение."

    def handle(self, *args: Any, **options: Any) -> None:
        differences = reconcile()
        for difference in differences:
            self.stderr.write(str(difference))
        if differences:
            raise CommandError(f"Расхождений: {len(differences)}")
        self.stdout.write("Журнал сходится: расхождений нет.")
