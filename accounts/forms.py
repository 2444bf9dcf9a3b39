"""Signing in and recovering a password: Django's forms, with what a parent needs to be told."""

from collections.abc import Iterator
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse

from accounts import services
from accounts.models import User
from core import audit, letters


class SignInForm(AuthenticationForm):
    """A wrong address or password is one message (it does not tell which accounts exist); the right
    password of an account whose address is not confirmed yet says so and sends the link again."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Неверный адрес электронной почты или пароль.",
        "unconfirmed": "Адрес %(email)s ещё не подтверждён: откройте ссылку из письма. %(resent)s",
    }

    def clean(self) -> dict[str, Any]:
        try:
            return super().clean()
        except forms.ValidationError as error:
            if error.code == "invalid_login":
                self._refuse_if_unconfirmed()
            raise

    def _refuse_if_unconfirmed(self) -> None:
        try:
            user = User.objects.get_by_natural_key(self.cleaned_data.get("username"))
        except User.DoesNotExist:
            return
        request = self.request  # the login view always passes it: the link is built from its host
        if request is None or user.is_active or not user.check_password(self.cleaned_data.get("password") or ""):
            return
        resent = services.resend_confirmation(
            user, lambda token: request.build_absolute_uri(reverse("accounts:confirm", args=[token]))
        )
        note = "Мы отправили письмо ещё раз." if resent else "Письмо уже отправлено — проверьте и папку «Спам»."
        raise forms.ValidationError(
            self.error_messages["unconfirmed"], code="unconfirmed", params={"email": user.email, "resent": note}
        )


class PasswordRecoveryForm(PasswordResetForm):
    """Django's reset form, its letter sent like every other letter: after the request, by the queue. An account
    without a password yet — a member of staff invited who lost the invitation's link — gets the letter too: here
    nobody signs in any other way (Django leaves such accounts out for sign-in through another system)."""

    def get_users(self, email: str) -> Iterator[Any]:
        yield from User.objects.filter(email=" ".join(email.split()).lower(), is_active=True)

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        subject = "".join(render_to_string(subject_template_name, context).splitlines())
        letters.send_after_commit([to_email], subject, render_to_string(email_template_name, context))


class NewPasswordForm(SetPasswordForm):  # type: ignore[type-arg]
    """The new password from the recovery letter's link, saved with its audit record."""

    def save(self, commit: bool = True) -> Any:
        with transaction.atomic():
            user = super().save(commit)
            audit.record(user, "account.password_reset", user)
        return user
