from django.apps import AppConfig
from django.core import checks


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Общее"

    def ready(self) -> None:
        from core.checks import site_url_is_set

        checks.register(site_url_is_set, deploy=True)
