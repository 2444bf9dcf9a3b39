"""Who calls the API: the holder of a bearer token, or whoever the session says.

Tokens are issued by `manage.py issue_api_token`; only their SHA-256 digest is stored.
Writes require a token. Reads are public, but a token or a signed-in session widens what the
caller sees (an operator sees their organization's drafts), through core.scope as everywhere.
"""

from datetime import timedelta
from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer

from accounts.models import ApiToken, User, hash_token

LAST_USE_PRECISION = timedelta(minutes=1)
"""A token's last use is written at most this often: not a write on every request of a busy client."""


class ApiTokenAuth(HttpBearer):
    """`Authorization: Bearer <token>`: the token's user, or 401 for a token that is unknown or revoked."""

    def authenticate(self, request: HttpRequest, token: str) -> User:
        found = ApiToken.objects.select_related("user").filter(digest=hash_token(token), user__is_active=True).first()
        if found is None:
            # A wrong token is an error even where none is required: never silently anonymous.
            raise AuthenticationError
        now = timezone.now()
        stale = now - LAST_USE_PRECISION
        if found.last_used_at is None or found.last_used_at < stale:
            # Conditional: of many parallel requests with one token, one writes.
            ApiToken.objects.filter(Q(last_used_at__isnull=True) | Q(last_used_at__lt=stale), pk=found.pk).update(
                last_used_at=now
            )
        return found.user


def session_or_anonymous(request: HttpRequest) -> Any:
    """No token: the signed-in user of the session, or AnonymousUser (always truthy)."""
    return request.user


token_auth = ApiTokenAuth()
PUBLIC = [token_auth, session_or_anonymous]
