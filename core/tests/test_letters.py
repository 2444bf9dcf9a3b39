"""Letters leave after the commit from the process's sender thread: a slow or broken mail server
neither holds nor breaks the request, a failed letter is retried, then logged."""

import logging
import os
import smtplib
import subprocess
import sys
import time
from collections.abc import Callable

import pytest
from django.conf import settings
from django.core import checks, mail
from django.core.exceptions import ImproperlyConfigured
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.urls import reverse

from accounts.models import User
from accounts.tests.test_registration import FORM
from core import letters

pytestmark = pytest.mark.django_db


class BrokenServerBackend(BaseEmailBackend):
    """A mail server that refuses every letter."""

    def send_messages(self, email_messages):  # type: ignore[no-untyped-def]
        raise smtplib.SMTPServerDisconnected("Соединение с почтовым сервером разорвано")


def wait_for(condition: Callable[[], bool], seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


@pytest.fixture
def in_background(settings, mailoutbox):
    settings.OPORA_LETTERS_IN_BACKGROUND = True
    return mailoutbox


def test_a_letter_leaves_from_the_sender_thread_after_the_commit(in_background, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        letters.send_after_commit(["b@example.ru", "", "a@example.ru", "a@example.ru"], "Заявка", "Текст")
    assert letters.outbox().drain(5)
    [letter] = mail.outbox
    assert (letter.subject, letter.body, letter.to) == ("Заявка", "Текст", ["a@example.ru", "b@example.ru"])


def test_no_letter_for_a_change_rolled_back(in_background, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        letters.send_after_commit(["a@example.ru"], "Заявка", "Текст")
        raise RuntimeError("откат")
    assert letters.outbox().drain(5)
    assert mail.outbox == []


def test_a_broken_mail_server_does_not_break_the_page(
    in_background, settings, monkeypatch, caplog, client, personas, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "core.tests.test_letters.BrokenServerBackend"
    monkeypatch.setattr(letters, "RETRY_SECONDS", ())  # given up at once: no retry left for a later test
    form = {**FORM, "municipality": personas.municipality_x.pk}
    with caplog.at_level(logging.ERROR, logger="core.letters"):
        with django_capture_on_commit_callbacks(execute=True):  # the commit hands the letter over
            response = client.post(reverse("accounts:register"), form, follow=True)
        assert letters.outbox().drain(5)
    assert response.status_code == 200 and "Почти готово" in response.content.decode()
    assert User.objects.filter(email="mama@example.ru", is_active=False).exists()
    [error] = caplog.records
    assert (
        error.getMessage()
        == "Письмо «Подтвердите адрес электронной почты» для mama@example.ru не отправлено (попыток: 1)"
    )


def test_a_failed_letter_is_retried_then_logged(in_background, settings, monkeypatch, caplog):
    settings.EMAIL_BACKEND = "core.tests.test_letters.BrokenServerBackend"
    monkeypatch.setattr(letters, "RETRY_SECONDS", (0.01,))
    with caplog.at_level(logging.WARNING, logger="core.letters"):
        letters.outbox().put(letters.Letter(("a@example.ru",), "Договор", "Текст"))
        assert wait_for(lambda: any(r.levelno == logging.ERROR for r in caplog.records))
    warning, error = [r for r in caplog.records if r.name == "core.letters"]
    assert warning.levelno == logging.WARNING and "повтор через" in warning.getMessage()
    assert error.getMessage() == "Письмо «Договор» для a@example.ru не отправлено (попыток: 2)"
    assert error.exc_info is not None and isinstance(error.exc_info[1], smtplib.SMTPServerDisconnected)


def test_a_letter_fails_in_the_request_when_sent_at_once(settings, django_capture_on_commit_callbacks):
    """Tests send at the commit (OPORA_LETTERS_IN_BACKGROUND off): a failure is theirs to see."""
    settings.EMAIL_BACKEND = "core.tests.test_letters.BrokenServerBackend"
    with pytest.raises(smtplib.SMTPServerDisconnected), django_capture_on_commit_callbacks(execute=True):
        letters.send_after_commit(["a@example.ru"], "Заявка", "Текст")


def test_a_stopping_process_logs_every_letter_it_could_not_send(in_background, settings, monkeypatch, caplog):
    settings.EMAIL_BACKEND = "core.tests.test_letters.BrokenServerBackend"
    monkeypatch.setattr(letters, "RETRY_SECONDS", (3600,))  # the retry would come long after the exit
    box = letters.Outbox()  # a process of its own: its exit is simulated by close()
    with caplog.at_level(logging.WARNING, logger="core.letters"):
        box.put(letters.Letter(("a@example.ru",), "Приказ", "Текст"))
        assert box.drain(5) and wait_for(lambda: len(caplog.records) == 1)  # failed once, retry scheduled
        box.close()
    assert caplog.records[-1].getMessage() == (
        "Письмо «Приказ» для a@example.ru не отправлено: процесс остановлен до повторной попытки"
    )


@pytest.mark.parametrize(
    ("entry", "in_background"),
    [("import opora.wsgi", True), ("import opora.asgi", True), ("import django; django.setup()", False)],
)
def test_only_the_web_server_sends_in_the_background(entry, in_background):
    """A request must not wait for the mail server; a command (cron, the demo) ends once its letters are sent."""
    code = f"{entry}\nfrom django.conf import settings\nprint(settings.OPORA_LETTERS_IN_BACKGROUND)"
    environment = {k: v for k, v in os.environ.items() if k != "OPORA_LETTERS_IN_BACKGROUND"}
    environment["DJANGO_SETTINGS_MODULE"] = "opora.settings"
    found = subprocess.run(  # noqa: S603 -- this interpreter, a fixed program
        [sys.executable, "-c", code], env=environment, capture_output=True, text=True, check=True, cwd=settings.BASE_DIR
    )
    assert found.stdout.strip() == str(in_background)


def test_a_letter_links_its_page_at_the_configured_address(settings, django_capture_on_commit_callbacks):
    settings.SITE_URL = "https://navigator.example.ru"
    with django_capture_on_commit_callbacks(execute=True):
        letters.send_after_commit(["a@example.ru"], "Заявка", "Статус изменён.", "/family/#child-7")
        letters.send_after_commit(["b@example.ru"], "Заявка", "Статус изменён.")  # a letter about no page
    assert [m.body for m in mail.outbox] == [
        "Статус изменён.\n\nОткрыть в навигаторе: https://navigator.example.ru/family/#child-7",
        "Статус изменён.",
    ]
    # Without the site's address a letter goes without a link (never one to a guessed host),
    # and the deployment check says so.
    settings.SITE_URL = ""
    with django_capture_on_commit_callbacks(execute=True):
        letters.send_after_commit(["a@example.ru"], "Заявка", "Статус изменён.", "/family/")
    assert mail.outbox[-1].body == "Статус изменён."
    assert [m.id for m in checks.run_checks(include_deployment_checks=True) if m.id.startswith("opora.")] == [
        "opora.W001"
    ]
    settings.SITE_URL = "https://navigator.example.ru"
    assert not [m for m in checks.run_checks(include_deployment_checks=True) if m.id.startswith("opora.")]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://navigator.example.ru/", "https://navigator.example.ru"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("navigator.example.ru", None),
        ("ftp://navigator.example.ru", None),
        ("https://navigator.example.ru/navigator", None),
        ("https://", None),
    ],
)
def test_the_site_address_is_taken_as_written_or_refused(monkeypatch, value, expected):
    from opora.settings import _site_url

    monkeypatch.setenv("OPORA_SITE_URL", value)
    if expected is None:
        with pytest.raises(ImproperlyConfigured, match="OPORA_SITE_URL"):
            _site_url()
    else:
        assert _site_url() == expected
