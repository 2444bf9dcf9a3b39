"""Letters to families and staff, sent after the change they tell of has committed.

They are sent by a thread of the process, not by the request: an SMTP server answers in 0.1–1 s,
and on enrollment day a request thread waiting for it is a family waiting; a mail server that is
down used to turn a committed application into an error page. A failed letter is tried again
(RETRY_SECONDS) and, if it still fails, logged with its subject and recipients.

Not a table: that would be one more statement on every application (its hot path writes one),
for notifications whose facts the cabinet shows anyway. The price: letters queued in a process
that crashes are lost; a process that stops normally sends what it has queued first.
"""

import atexit
import logging
import os
import queue
import threading
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

logger = logging.getLogger(__name__)

RETRY_SECONDS = (5, 60, 600)  # the wait after each failed attempt; after the last one the letter is given up
DRAIN_SECONDS = 10.0  # how long a stopping process keeps sending what it has queued


@dataclass(frozen=True)
class Letter:
    recipients: tuple[str, ...]
    subject: str
    body: str

    def send(self) -> None:
        send_mail(self.subject, self.body, settings.DEFAULT_FROM_EMAIL, list(self.recipients), fail_silently=False)


def send_after_commit(recipients: Iterable[str], subject: str, body: str) -> None:
    """Send a letter once the surrounding transaction has committed (never for a rollback): by the
    process's sender thread, or at once when OPORA_LETTERS_IN_BACKGROUND is off (tests)."""
    emails = tuple(sorted({email for email in recipients if email}))
    if not emails:
        return
    letter = Letter(emails, subject, body)
    if settings.OPORA_LETTERS_IN_BACKGROUND:
        transaction.on_commit(lambda: outbox().put(letter))
    else:
        transaction.on_commit(letter.send)


class Outbox:
    """A queue of letters and the thread that sends them, one of each per process."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self._queue: queue.Queue[tuple[Letter, int]] = queue.Queue()
        threading.Thread(target=self._run, name="letters", daemon=True).start()

    def put(self, letter: Letter, attempt: int = 0) -> None:
        self._queue.put((letter, attempt))

    def drain(self, timeout: float = DRAIN_SECONDS) -> bool:
        """Wait until every queued letter has been tried (at most `timeout` seconds); whether it has.
        A retry still waiting for its time is not in the queue yet."""
        waiter = threading.Thread(target=self._queue.join, daemon=True)
        waiter.start()
        waiter.join(timeout)
        return not waiter.is_alive()

    def _run(self) -> None:
        while True:
            letter, attempt = self._queue.get()
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
            logger.warning(
                "Письмо «%s» не отправлено, повтор через %d с", letter.subject, RETRY_SECONDS[attempt], exc_info=True
            )
            retry = threading.Timer(RETRY_SECONDS[attempt], self.put, args=(letter, attempt + 1))
            retry.daemon = True
            retry.start()


_outbox: Outbox | None = None
_lock = threading.Lock()


def outbox() -> Outbox:
    """This process's outbox, started on first use (a server's worker forked from a parent that
    had one starts its own: threads do not survive a fork)."""
    global _outbox
    with _lock:
        if _outbox is None or _outbox.pid != os.getpid():
            _outbox = Outbox()
            atexit.register(_outbox.drain)
        return _outbox
