"""`manage.py allocate_campaign CODE`: allocate the seats of a closed preference campaign."""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from enrollment.campaigns import allocate_campaign
from enrollment.models import Campaign


class Command(BaseCommand):
    help = "Распределяет места закрытой кампании по выбору семей (отложенное принятие, жребий с опубликованным зерном)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code", help="код кампании, например CA-7K2M9Q")

    def handle(self, *args: Any, **options: Any) -> None:
        campaign = Campaign.objects.filter(code=options["code"]).first()
        if campaign is None:
            raise CommandError(f"Кампании с кодом {options['code']} нет.")

        def report(percent: int) -> None:
            self.stdout.write(f"  распределено {percent} %")

        try:
            summary = allocate_campaign(campaign, report)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Готово: детей {summary['children']}, получили место {summary['assigned']}, "
                f"зерно жребия {summary['seed']}."
            )
        )
