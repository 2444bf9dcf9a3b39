"""Actions on accounts: issuing and revoking API tokens (atomic, audited)."""

from typing import Any

from django.db import transaction

from accounts.models import ApiToken, User
from core import audit


@transaction.atomic
def issue_api_token(actor: Any, user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for `user`; the raw value is returned once and never stored."""
    token, raw = ApiToken.issue(user, name)
    audit.record(actor, "api_token.issued", token, name=token.name, prefix=token.prefix, user=user.email)
    return token, raw


@transaction.atomic
def revoke_api_token(actor: Any, token: ApiToken) -> None:
    audit.record(actor, "api_token.revoked", token, name=token.name, prefix=token.prefix, user=token.user.email)
    token.delete()
