from django.apps import AppConfig


class EnrollmentConfig(AppConfig):
    name = "enrollment"
    verbose_name = "Запись: заявки и зачисление"

    def ready(self) -> None:
        from enrollment import permissions, receivers  # noqa: F401  (scope rules, a program's moves)
