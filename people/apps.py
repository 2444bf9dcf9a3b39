from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "people"
    verbose_name = "Люди: дети, родители, педагоги"

    def ready(self) -> None:
        from people import permissions  # noqa: F401  (registers scope rules)
