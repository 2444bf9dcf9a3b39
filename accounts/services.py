"""Actions on accounts: registering a family, confirming the e-mail, API tokens (atomic, audited)."""

from typing import Any

from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.consent import CONSENT_VERSION
from accounts.models import ApiToken, Consent, Role, RoleAssignment, User
from core import audit, letters
from people.models import Guardian

CONFIRMATION_SALT = "opora.accounts.confirm-email"
CONFIRMATION_DAYS = 3
RESEND_MINUTES = 10


@transaction.atomic
def register_guardian(
    email: str,
    password: str,
    *,
    last_name: str,
    first_name: str,
    patronymic: str,
    phone: str,
    municipality: Any,
    ip_address: str | None,
    confirmation_url: Any,
) -> User:
    """A parent's account, inactive until the e-mail is confirmed, with the consent they gave.
    `confirmation_url(token)` builds the link sent by e-mail after commit."""
    user = User.objects.create_user(
        email=email,
        password=password,
        last_name=last_name,
        first_name=first_name,
        patronymic=patronymic,
        phone=phone,
        is_active=False,
    )
    RoleAssignment.objects.create(user=user, role=Role.GUARDIAN)
    Guardian.objects.create(
        user=user,
        last_name=last_name,
        first_name=first_name,
        patronymic=patronymic,
        phone=phone,
        municipality=municipality,
    )
    Consent.objects.create(user=user, text_version=CONSENT_VERSION, ip_address=ip_address)
    audit.record(None, "account.registered", user, consent=CONSENT_VERSION)
    _send_confirmation(user, confirmation_url)
    return user


def _send_confirmation(user: User, confirmation_url: Any) -> None:
    link = confirmation_url(signing.dumps(user.pk, salt=CONFIRMATION_SALT))
    letters.send_after_commit(
        [user.email],
        "Подтвердите адрес электронной почты",
        f"Здравствуйте, {user.first_name}!\n\nЧтобы завершить регистрацию в навигаторе, откройте ссылку "
        f"(она действует {CONFIRMATION_DAYS} дня):\n{link}",
    )


def resend_confirmation(user: User, confirmation_url: Any) -> bool:
    """The letter with the confirmation link again, for a parent who signs in before confirming;
    at most once in RESEND_MINUTES, whoever asks. Tells whether it was sent."""
    if user.is_active or not cache.add(f"accounts:confirmation-resent:{user.pk}", True, RESEND_MINUTES * 60):
        return False
    with transaction.atomic():
        audit.record(None, "account.confirmation_resent", user)
        _send_confirmation(user, confirmation_url)
    return True


@transaction.atomic
def confirm_email(token: str) -> User:
    """Activate the account the token was issued for; a bad or old token is a clear error."""
    try:
        pk = signing.loads(token, salt=CONFIRMATION_SALT, max_age=CONFIRMATION_DAYS * 24 * 3600)
    except signing.SignatureExpired:
        raise ValidationError("Срок действия ссылки истёк: зарегистрируйтесь заново.") from None
    except signing.BadSignature:
        raise ValidationError("Ссылка повреждена: скопируйте её из письма целиком.") from None
    user = User.objects.select_for_update().get(pk=pk)
    if not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
        audit.record(user, "account.confirmed", user)
    return user


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
