"""Close a month of every financing period that contains it (or of one municipality)."""

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from finance.closing import close_month
from finance.models import FinancingPeriod, rubles


class Command(BaseCommand):
    help = "Закрыть месяц: списать ежемесячные платежи по действующим договорам."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("month", help="Месяц в виде ГГГГ-ММ")
        parser.add_argument("--oktmo", help="Только муниципалитет с этим кодом ОКТМО")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            year, month = (int(part) for part in options["month"].split("-"))
            first = date(year, month, 1)
        except ValueError:
            raise CommandError("Месяц указывают как ГГГГ-ММ, например 2026-10.") from None
        periods = FinancingPeriod.objects.filter(starts_on__lte=first.replace(day=28), ends_on__gte=first)
        if options["oktmo"]:
            periods = periods.filter(municipality__oktmo=options["oktmo"])
        if not periods:
            raise CommandError("Нет периода финансирования, в который входит этот месяц.")
        for period in periods.select_related("municipality"):
            record = close_month(None, period, first)
            self.stdout.write(
                f"{period}: договоров {record.contracts_charged}, списано {rubles(record.charged_total)} ₽, "
                f"возвращено {rubles(record.released_total)} ₽ (запусков: {record.runs})."
            )
