"""Who calls the API: the holder of a bearer token, or whoever the session says.

Tokens are issued by `manage.py issue_api_token`; only their SHA-256 digest is stored.
Writes require a token. Reads are public, but a token or a signed-in session widens what the
caller sees (an operator sees their organization's drafts), through core.scope as everywhere.
"""

from datetime import timedelta
from typing import Any

from django.db import connection
from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer, SessionAuth

from accounts.models import ApiToken, RoleAssignment, User, hash_token
from accounts.roles import remember_principal
from core import rawsql

LAST_USE_PRECISION = timedelta(minutes=1)
"""A token's last use is written at most this often: not a write on every request of a busy client."""


_USER_FIELDS = tuple(field.attname for field in User._meta.concrete_fields)
_ROLE_FIELDS = ("role", "organization_id", "municipality_id", "region_id")
_USER_COLUMNS = rawsql.fields(User, _USER_FIELDS)
_ROLE_COLUMNS = rawsql.fields(RoleAssignment, _ROLE_FIELDS)  # in this order: remember_principal reads them so
_COLUMNS: list[rawsql.Column] = [*rawsql.fields(ApiToken, ("id", "last_used_at")), *_USER_COLUMNS, *_ROLE_COLUMNS]
_TOKENS, _USERS = ApiToken._meta.db_table, User._meta.db_table
_LAST_USED = ApiToken._meta.get_field("last_used_at")
_STALE = "(t.last_used_at IS NULL OR t.last_used_at < %(stale)s)"
# The token, its user and the user's roles in one fixed statement: every API write starts here.
_SQL = (
    f"SELECT t.id, t.last_used_at, {rawsql.select_list('u', _USER_COLUMNS)}, "  # noqa: S608
    f"{rawsql.select_list('r', _ROLE_COLUMNS)} "
    f"FROM {_TOKENS} t JOIN {_USERS} u ON u.id = t.user_id "
    f"LEFT JOIN {RoleAssignment._meta.db_table} r ON r.user_id = u.id "
    "WHERE t.digest = %(digest)s AND u.is_active"
)
# PostgreSQL writes the last use in the same statement (a data-modifying WITH): on enrollment day
# every family's first request would otherwise be two round trips and two commits.
_SQL_TOUCHING = (
    f"WITH touched AS (UPDATE {_TOKENS} AS t SET last_used_at = %(now)s "  # noqa: S608
    f"WHERE t.digest = %(digest)s AND {_STALE} "
    f"AND EXISTS (SELECT 1 FROM {_USERS} u WHERE u.id = t.user_id AND u.is_active)) " + _SQL
)
_TOUCH_SQL = f"UPDATE {_TOKENS} AS t SET last_used_at = %(now)s WHERE t.digest = %(digest)s AND {_STALE}"  # noqa: S608


class ApiTokenAuth(HttpBearer):
    """`Authorization: Bearer <token>`: the token's user, or 401 for a token that is unknown or revoked,
    and for an Authorization header of another scheme (a client sending `Token …` or a bare token
    would otherwise read the public catalog as a guest without a word)."""

    def __call__(self, request: HttpRequest) -> Any:
        header = request.headers.get(self.header)
        if header and header.split(" ")[0].lower() != self.openapi_scheme:
            raise AuthenticationError
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, token: str) -> User:
        now = timezone.now()
        # Written at most once per LAST_USE_PRECISION, and of many parallel requests with one token, by one.
        params = {
            "digest": hash_token(token),
            "now": rawsql.param(_LAST_USED, now),
            "stale": rawsql.param(_LAST_USED, now - LAST_USE_PRECISION),
        }
        touching = connection.vendor == "postgresql"
        rows = rawsql.select(_SQL_TOUCHING if touching else _SQL, params, _COLUMNS)
        if not rows:
            # A wrong token is an error even where none is required: never silently anonymous.
            raise AuthenticationError
        user = User.from_db(connection.alias, _USER_FIELDS, rows[0][2 : 2 + len(_USER_FIELDS)])
        remember_principal(user, [row[-4:] for row in rows if row[-4] is not None])
        last_used_at = rows[0][1]
        if not touching and (last_used_at is None or last_used_at < now - LAST_USE_PRECISION):
            with rawsql.cursor() as cursor:
                cursor.execute(_TOUCH_SQL, params)
        return user


def session_or_anonymous(request: HttpRequest) -> Any:
    """No token: the signed-in user of the session, or AnonymousUser (always truthy)."""
    return request.user


token_auth = ApiTokenAuth()


class SignedInSession(SessionAuth):
    """The signed-in user of the session (its CSRF token checked), or nobody: a caller without a
    session gets the API's 401 in Russian, not the CSRF check's 403 meant for a session's forms."""

    def __call__(self, request: HttpRequest) -> Any:
        return super().__call__(request) if request.user.is_authenticated else None


session_auth = SignedInSession()
PUBLIC = [token_auth, session_or_anonymous]
