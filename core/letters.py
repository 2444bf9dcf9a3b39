"""Letters to families and staff, sent after the change they tell of has committed.

In the web server (opora/wsgi.py, opora/asgi.py) a thread of each process sends them, not the
request: an SMTP server answers in 0.1–1 s, and on enrollment day a request thread waiting for it
is a family waiting; a mail server that is down used to turn a committed application into an error
page. A failed letter is tried again (RETRY_SECONDS), then given up and logged with its subject and
recipients. Commands (cron, the demo), the shell and tests send at the commit: nobody waits on
them, and a command ends only when its letters are sent.

Not a table: that would be one more statement on every application (its hot path writes one),
for notifications whose facts the cabinet shows anyway. The price: letters queued in a worker that
crashes are lost; a worker that stops normally sends what it has queued for up to DRAIN_SECONDS and
logs every letter it could not send.
"""

import atexit
import heapq
import itertools
import logging
import os
import queue
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction

logger = logging.getLogger(__name__)

RETRY_SECONDS = (5, 60, 600)  # the wait after each failed attempt; after the last one the letter is given up
DRAIN_SECONDS = 10.0  # how long a stopping process keeps sending what it has queued


@dataclass(frozen=True)
class Letter:
    recipients: tuple[str, ...]
    subject: str
    body: str
    headers: tuple[tuple[str, str], ...] = ()

    def send(self) -> None:
        message = EmailMessage(
            self.subject, self.body, settings.DEFAULT_FROM_EMAIL, list(self.recipients), headers=dict(self.headers)
        )
        message.send(fail_silently=False)

    def give_up(self, why: str) -> None:
        logger.error("Письмо «%s» для %s не отправлено: %s", self.subject, ", ".join(self.recipients), why)


def send_after_commit(
    recipients: Iterable[str], subject: str, body: str, page: str = "", unsubscribe: str = ""
) -> None:
    """Send a letter once the surrounding transaction has committed (never for a rollback): by the
    process's sender thread in the web server (OPORA_LETTERS_IN_BACKGROUND), at the commit elsewhere.
    `page` is the site's path where the reader acts on it, linked at the end when the site's
    address is configured (OPORA_SITE_URL); so is `unsubscribe`, the path that stops letters of this
    kind without signing in — also in the headers mail services show as «Отписаться» (RFC 2369, and
    RFC 8058's one click: a POST to it)."""
    emails = tuple(sorted({email for email in recipients if email}))
    if not emails:
        return
    headers: tuple[tuple[str, str], ...] = ()
    if page and settings.SITE_URL:
        body += f"\n\nОткрыть в навигаторе: {settings.SITE_URL}{page}"
    if unsubscribe and settings.SITE_URL:
        body += f"\nОтписаться: {settings.SITE_URL}{unsubscribe}"
        headers = (
            ("List-Unsubscribe", f"<{settings.SITE_URL}{unsubscribe}>"),
            ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
        )
    letter = Letter(emails, subject, body, headers)
    if settings.OPORA_LETTERS_IN_BACKGROUND:
        transaction.on_commit(lambda: outbox().put(letter))
    else:
        transaction.on_commit(letter.send)


class Outbox:
    """Letters to send and the one thread that sends them, with the retries it has scheduled."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self._queue: queue.Queue[tuple[Letter, int]] = queue.Queue()
        self._retries: list[tuple[float, int, Letter, int]] = []  # a heap: (when, order, letter, attempt)
        self._order = itertools.count()
        threading.Thread(target=self._run, name="letters", daemon=True).start()

    def put(self, letter: Letter) -> None:
        self._queue.put((letter, 0))

    def drain(self, timeout: float = DRAIN_SECONDS) -> bool:
        """Wait until every queued letter has been tried (at most `timeout` seconds); whether it has."""
        waiter = threading.Thread(target=self._queue.join, daemon=True)
        waiter.start()
        waiter.join(timeout)
        return not waiter.is_alive()

    def close(self) -> None:
        """At the process's exit: send what is queued, then log every letter left unsent."""
        if not self.drain():
            while True:
                try:
                    letter, _ = self._queue.get_nowait()
                except queue.Empty:
                    break
                letter.give_up("процесс остановлен, письмо не успело уйти")
        for _, _, letter, _ in list(self._retries):
            letter.give_up("процесс остановлен до повторной попытки")

    def _run(self) -> None:
        while True:
            wait = max(0.0, self._retries[0][0] - time.monotonic()) if self._retries else None
            try:
                letter, attempt = self._queue.get(timeout=wait)
            except queue.Empty:  # a retry is due
                _, _, letter, attempt = heapq.heappop(self._retries)
                self._send(letter, attempt)
                continue
            try:
                self._send(letter, attempt)
            finally:
                self._queue.task_done()

    def _send(self, letter: Letter, attempt: int) -> None:
        try:
            letter.send()
        except Exception:
            if attempt >= len(RETRY_SECONDS):
                logger.exception(
                    "Письмо «%s» для %s не отправлено (попыток: %d)",
                    letter.subject,
                    ", ".join(letter.recipients),
                    attempt + 1,
                )
                return
            delay = RETRY_SECONDS[attempt]
            logger.warning("Письмо «%s» не отправлено, повтор через %s с", letter.subject, delay, exc_info=True)
            heapq.heappush(self._retries, (time.monotonic() + delay, next(self._order), letter, attempt + 1))


_outbox: Outbox | None = None
_lock = threading.Lock()


def outbox() -> Outbox:
    """This process's outbox, started on first use (a server's worker forked from a parent that
    had one starts its own: threads do not survive a fork)."""
    global _outbox
    with _lock:
        if _outbox is None or _outbox.pid != os.getpid():
            _outbox = Outbox()
            atexit.register(_outbox.close)
        return _outbox
