"""Base models shared by every domain app, and the audit log."""

import secrets
import uuid
from collections.abc import Callable
from contextlib import nullcontext

from django.conf import settings
from django.db import IntegrityError, models, transaction

# Crockford's base32 without I, L, O, U: easy to read aloud and to type into a spreadsheet.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_RANDOM_LENGTH = 6
# 32⁶ ≈ 10⁹ codes: in a table of a million rows one new code in a thousand is taken already, so a
# taken code is drawn again (a regional allocation of 300 000 applications meets dozens).
CODE_ATTEMPTS = 5


def new_code(prefix: str) -> str:
    return prefix + "-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_RANDOM_LENGTH))


def code_pattern(prefix: str) -> str:
    """The regular expression of the codes `new_code` makes with this prefix (for request validation)."""
    return rf"^{prefix}-[{CODE_ALPHABET}]{{{CODE_RANDOM_LENGTH}}}$"


class TimestampedModel(models.Model):
    created_at = models.DateTimeField("создано", auto_now_add=True)
    updated_at = models.DateTimeField("изменено", auto_now=True, db_index=True)

    class Meta:
        abstract = True


class PublicEntity(TimestampedModel):
    """An entity exchanged with other systems: a UUID and a short code people type."""

    CODE_PREFIX = "X"

    uuid = models.UUIDField("UUID", default=uuid.uuid4, unique=True, editable=False)
    code = models.CharField("код", max_length=12, unique=True, editable=False)

    class Meta:
        abstract = True

    def save(self, *args: object, **kwargs: object) -> None:
        if self.code or not self._state.adding:
            super().save(*args, **kwargs)  # type: ignore[arg-type]
            return
        self.insert_with_code(lambda: super(PublicEntity, self).save(*args, **kwargs))  # type: ignore[arg-type]

    def insert_with_code(self, insert: Callable[[], object], *, one_statement: bool = False) -> None:
        """Run `insert` (which writes this new entity) with a fresh code, again with another code
        while the drawn one turns out to be taken; any other refusal is raised as it is. An insert
        of `one_statement` is atomic by itself: it takes a savepoint only inside a transaction."""
        for _ in range(CODE_ATTEMPTS):
            self.assign_code()
            alone = one_statement and not transaction.get_connection().in_atomic_block
            try:
                with nullcontext() if alone else transaction.atomic():
                    insert()
                return
            except IntegrityError:
                if not type(self)._base_manager.filter(code=self.code).exists():
                    raise  # another constraint refused the row
                self.code = ""
        raise IntegrityError(f"{self._meta.label}: не удалось подобрать свободный код")

    def assign_code(self) -> None:
        """A new code unless the entity has one (`save` does it; so do inserts that bypass it)."""
        if not self.code:
            self.code = new_code(self.CODE_PREFIX)


class AuditEvent(models.Model):
    """Who did what to which object, and when. Written by every action, never edited."""

    created_at = models.DateTimeField("время", auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="кто",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    action = models.CharField("действие", max_length=64, db_index=True)
    object_type = models.CharField("тип объекта", max_length=64)
    object_id = models.CharField("объект", max_length=64)
    data = models.JSONField("подробности", default=dict, blank=True)

    class Meta:
        verbose_name = "запись журнала"
        verbose_name_plural = "журнал действий"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.object_type}:{self.object_id}"
