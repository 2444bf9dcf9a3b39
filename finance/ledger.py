"""The ledger: accounts, operations and their postings, written in one place.

A posting moves a positive amount from one account to another, so an operation's legs always sum
to zero. Balances are cached on the accounts and moved by one set-based UPDATE per batch of
operations, in the same transaction as the postings; a guarded account (a certificate, a
contract's reserve) that would go below zero makes the database refuse the whole transaction.
Every operation has a key: posting it again returns the first one and writes nothing.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from core import bulk
from finance.models import Account, AccountKind, Operation, Posting

OPERATION_FIELDS = ("key", "kind", "created_at", "actor", "period", "certificate", "contract", "month", "memo")


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
    post_many(actor, [entry])
    return Operation.objects.get(key=entry.key)


def post_many(actor: Any, entries: Sequence[Entry]) -> int:
    """Write many operations at once: their rows inserted many per statement, and one UPDATE of
    the balances they touch. Entries whose key is already written are skipped; returns how many
    operations were written."""
    if not entries:
        return 0
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
            return 0
        now = timezone.now()
        actor_id = actor.pk if getattr(actor, "is_authenticated", False) else None
        try:
            with transaction.atomic():
                # The monthly close writes 10⁵ operations: their rows go a batch per statement.
                ids = dict(
                    bulk.insert_many(
                        Operation,
                        OPERATION_FIELDS,
                        [
                            (
                                e.key,
                                e.kind,
                                now,
                                actor_id,
                                e.period_id,
                                e.certificate_id,
                                e.contract_id,
                                e.month,
                                e.memo[:300],
                            )
                            for e in fresh
                        ],
                        returning=("key", "id"),
                    )
                )
                bulk.insert_many(
                    Posting,
                    ("operation", "debit", "credit", "amount"),
                    [(ids[e.key], m.debit_id, m.credit_id, m.amount) for e in fresh for m in e.moves],
                )
                _apply_balances(fresh)
        except IntegrityError as error:
            if "account_guarded_not_negative" in str(error):
                raise InsufficientFundsError(
                    "Недостаточно средств: операция сделала бы остаток отрицательным."
                ) from None
            raise
    return len(fresh)


def _apply_balances(entries: Sequence[Entry]) -> None:
    """Move the cached balances by the entries' moves: one statement, each account once with its
    net change. The check constraint refuses a guarded account going negative."""
    deltas: dict[int, int] = defaultdict(int)
    for entry in entries:
        for move in entry.moves:
            deltas[move.debit_id] -= move.amount
            deltas[move.credit_id] += move.amount
    changed = [(account, delta) for account, delta in deltas.items() if delta]
    if not changed:
        return
    table = Account._meta.db_table
    source, params = bulk.rows_source(("account_id", "amount"), ("bigint", "bigint"), changed)
    # The table name comes from the model and the values go as parameters.
    sql = f"""
        UPDATE {table} SET balance = {table}.balance + delta.amount
        FROM {source} AS delta WHERE {table}.id = delta.account_id
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def account_balance(account: Account) -> int:
    return Account.objects.values_list("balance", flat=True).get(pk=account.pk)
