from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = "Мониторинг"

    def ready(self) -> None:
        from monitoring import permissions, receivers  # noqa: F401  (scope rules, registry hooks)
