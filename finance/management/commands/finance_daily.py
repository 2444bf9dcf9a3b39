"""The daily work of personified financing: refuse contracts that waited too long and return idle
ПФ certificates to accounting. Run it from cron once a day."""

from typing import Any

from django.core.management.base import BaseCommand

from finance.certificates import downgrade_idle
from finance.contracts import refuse_overdue


class Command(BaseCommand):
    help = "Отклонить просроченные договоры и вернуть неиспользуемые сертификаты ПФ в статус учёта."

    def handle(self, *args: Any, **options: Any) -> None:
        refused = refuse_overdue()
        downgraded = downgrade_idle()
        self.stdout.write(f"Отклонено договоров: {refused}; сертификатов возвращено в учёт: {downgraded}.")
