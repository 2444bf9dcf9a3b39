"""The ledger: accounts, operations and their postings, written in one place.

A posting moves a positive amount from one account to another, so an operation's legs always sum
to zero. Balances are cached on the accounts and moved by one set-based UPDATE per batch of
operations, in the same transaction as the postings; a guarded account (a certificate, a
contract's reserve) that would go below zero makes the database refuse the whole transaction.
Every operation has a key: posting it again returns the first one and writes nothing.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from finance.models import Account, AccountKind, Operation, Posting


@dataclass(frozen=True)
class Move:
    debit: Account | int
    credit: Account | int
    amount: int

    @property
    def debit_id(self) -> int:
        return self.debit if isinstance(self.debit, int) else self.debit.pk

    @property
    def credit_id(self) -> int:
        return self.credit if isinstance(self.credit, int) else self.credit.pk


@dataclass(frozen=True)
class Entry:
    """An operation to write: its key, kind, what it refers to and its moves."""

    key: str
    kind: str
    period_id: int
    moves: Sequence[Move]
    certificate_id: int | None = None
    contract_id: int | None = None
    month: date | None = None
    memo: str = ""


class InsufficientFundsError(ValidationError):
    pass


def budget_account(period_id: int) -> Account:
    account, _ = Account.objects.get_or_create(kind=AccountKind.BUDGET, period_id=period_id)
    return account


def certificate_account(period_id: int, certificate_id: int) -> Account:
    account, _ = Account.objects.get_or_create(
        kind=AccountKind.CERTIFICATE, period_id=period_id, certificate_id=certificate_id
    )
    return account


def provider_account(kind: str, period_id: int, provider_id: int) -> Account:
    account, _ = Account.objects.get_or_create(kind=kind, period_id=period_id, provider_id=provider_id)
    return account


def post(actor: Any, entry: Entry) -> Operation:
    """Write one operation (or return the one already written under its key)."""
    existing = Operation.objects.filter(key=entry.key).first()
    if existing is not None:
        return existing
    operations = post_many(actor, [entry])
    return operations[0] if operations else Operation.objects.get(key=entry.key)


def post_many(actor: Any, entries: Sequence[Entry]) -> list[Operation]:
    """Write many operations at once: one INSERT of operations, one of postings, one UPDATE of
    the balances they touch. Entries whose key is already written are skipped; the new
    operations are returned."""
    if not entries:
        return []
    for entry in entries:
        for move in entry.moves:
            if move.amount <= 0:
                raise ValueError(f"{entry.key}: проводка на неположительную сумму {move.amount}")
    keys = [e.key for e in entries]
    if len(set(keys)) != len(keys):
        raise ValueError("ключи операций повторяются")
    with transaction.atomic():
        known = set(Operation.objects.filter(key__in=keys).values_list("key", flat=True))
        fresh = [e for e in entries if e.key not in known]
        if not fresh:
            return []
        now = timezone.now()
        actor_id = actor.pk if getattr(actor, "is_authenticated", False) else None
        try:
            with transaction.atomic():
                operations = Operation.objects.bulk_create(
                    [
                        Operation(
                            key=e.key,
                            kind=e.kind,
                            created_at=now,
                            actor_id=actor_id,
                            period_id=e.period_id,
                            certificate_id=e.certificate_id,
                            contract_id=e.contract_id,
                            month=e.month,
                            memo=e.memo[:300],
                        )
                        for e in fresh
                    ]
                )
                Posting.objects.bulk_create(
                    [
                        Posting(operation=op, debit_id=m.debit_id, credit_id=m.credit_id, amount=m.amount)
                        for op, e in zip(operations, fresh, strict=True)
                        for m in e.moves
                    ],
                    batch_size=5000,
                )
                _apply_balances([op.pk for op in operations])
        except IntegrityError as error:
            if "account_guarded_not_negative" in str(error):
                raise InsufficientFundsError(
                    "Недостаточно средств: операция сделала бы остаток отрицательным."
                ) from None
            raise
    return operations


def _apply_balances(operation_ids: Iterable[int]) -> None:
    """Move the cached balances by the postings of these operations: one statement, each account
    once, with its net change. The check constraint refuses a guarded account going negative."""
    ids = list(operation_ids)
    if not ids:
        return
    placeholders = ", ".join(["%s"] * len(ids))
    posting = Posting._meta.db_table
    account = Account._meta.db_table
    # Table names come from the models and the values go as parameters.
    sql = f"""
        UPDATE {account} SET balance = {account}.balance + delta.amount
        FROM (
            SELECT account_id, SUM(amount) AS amount FROM (
                SELECT credit_id AS account_id, amount FROM {posting} WHERE operation_id IN ({placeholders})
                UNION ALL
                SELECT debit_id, -amount FROM {posting} WHERE operation_id IN ({placeholders})
            ) AS legs GROUP BY account_id
        ) AS delta
        WHERE {account}.id = delta.account_id
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, ids + ids)


def account_balance(account: Account) -> int:
    return Account.objects.values_list("balance", flat=True).get(pk=account.pk)
