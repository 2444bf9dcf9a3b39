"""`manage.py refresh_catalog`: run every few minutes (cron, systemd timer). Programs whose enrollment
windows closed or groups ended since their figures were counted are counted again, so that the
Navigator stops offering seats nobody can take."""

from typing import Any

from django.core.management.base import BaseCommand

from catalog.services import refresh_stale_programs


class Command(BaseCommand):
    help = "Пересчитывает свободные места и дни занятий программ, у которых закончился приём или группы."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"Пересчитано программ: {refresh_stale_programs()}.")
