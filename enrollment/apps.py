from django.apps import AppConfig


class EnrollmentConfig(AppConfig):
    name = "enrollment"
    verbose_name = "Запись: заявки и зачисление"

    def ready(self) -> None:
        from enrollment import permissions  # noqa: F401  (registers scope rules)
