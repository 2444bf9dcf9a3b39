from django.apps import AppConfig


class FinanceConfig(AppConfig):
    name = "finance"
    verbose_name = "Персонифицированное финансирование"

    def ready(self) -> None:
        from finance import permissions, receivers  # noqa: F401  (scope rules, enrollment hooks)
