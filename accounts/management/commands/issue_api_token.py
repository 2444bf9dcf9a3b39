"""Issue an API token for a user; the raw token is printed once and never stored."""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import ApiToken, User
from accounts.services import issue_api_token


class Command(BaseCommand):
    help = "Выпустить токен API для пользователя. Токен печатается один раз: сохраните его."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True, help="Электронная почта пользователя")
        parser.add_argument("--name", required=True, help="Назначение токена, например «Выгрузка в РМЦ»")

    def handle(self, *args: Any, email: str, name: str, **options: Any) -> None:
        name = name.strip()
        try:
            ApiToken._meta.get_field("name").clean(name, None)
        except ValidationError as error:
            raise CommandError(f"Назначение токена: {' '.join(error.messages)}") from None
        user = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
        if user is None:
            raise CommandError(f"Действующий пользователь с почтой {email} не найден.")
        _, raw = issue_api_token(None, user, name)
        self.stderr.write(f"Токен «{name}» для {user.email} выпущен. Он показан один раз:")
        self.stdout.write(raw)
