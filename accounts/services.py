"""Actions on accounts: registering a family, confirming the e-mail, API tokens, access to an organization's office
(atomic, audited)."""

from collections.abc import Callable
from typing import Any, NamedTuple

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.consent import CONSENT_VERSION
from accounts.models import ORGANIZATION_ROLES, ApiToken, Consent, Role, RoleAssignment, User
from core import audit, letters
from people.models import Guardian, Teacher

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


# --- Access to an organization's office: its operators and teachers ------------------------------------

INVITATION_DAYS = settings.PASSWORD_RESET_TIMEOUT // (24 * 3600)
EMAIL_INVALID = "Введите адрес электронной почты, например ivanova@cdt-ensk.ru."
NAMES_NEEDED = "Укажите фамилию и имя: с этим адресом в навигаторе ещё никого нет, ему заводится учётная запись."
ACCESS_EXISTS = "У этого адреса уже есть доступ к организации: {role}."
ACCOUNT_OFF = (
    "Учётная запись с этим адресом не действует (не подтверждена владельцем или выключена): пригласить её нельзя, "
    "обратитесь к администратору навигатора."
)
TEACHER_CARD_TAKEN = "Этот адрес уже связан с другой карточкой педагога организации: «{name}»."
CARD_LINKED_ELSEWHERE = "Карточка педагога уже связана с учётной записью {email}: сначала закройте её доступ."
OWN_ACCESS = "Свой доступ отозвать нельзя: попросите другого оператора организации или муниципальный опорный центр."
ALREADY_SIGNED_IN = "Этот человек уже входил в навигатор: приглашение не нужно, пароль он восстановит сам."


class NewPerson(NamedTuple):
    """Who an invitation makes an account for, when the address has none yet."""

    last_name: str = ""
    first_name: str = ""
    patronymic: str = ""


def organization_roles(organization: Any) -> QuerySet[RoleAssignment]:
    """Who may work in the organization's office — its operators, then its teachers — each with their account."""
    return (
        RoleAssignment.objects.filter(organization=organization, role__in=ORGANIZATION_ROLES)
        .select_related("user")
        .order_by("role", "user__last_name", "user__first_name", "user__email")
    )


@transaction.atomic
def open_organization_access(
    actor: Any,
    organization: Any,
    role: str,
    email: str,
    absolute: Callable[[str], str],
    *,
    person: NewPerson | None = None,
    teacher: Teacher | None = None,
) -> RoleAssignment:
    """Give the person with this address `role` (an operator's or a teacher's) in the organization — the caller
    checked the right to change it — and tell them by letter after commit. An address new to the navigator gets an
    account, named as `person` (or as the teacher's card), without a password and a link to set one (valid
    INVITATION_DAYS; later, «Забыли пароль?»); an existing account signs in as before. With `teacher`, the teacher's
    card is linked to the account (one card in each organization): the teacher's groups and their journals are
    theirs. `absolute` turns a path into the address the letter links to."""
    address = " ".join((email or "").split()).lower()
    try:
        validate_email(address)
    except ValidationError:
        raise ValidationError({"email": EMAIL_INVALID}) from None
    user = User.objects.select_for_update().filter(email=address).first()
    created = user is None
    if user is None:
        if not any(person or ()) and teacher is not None:
            person = NewPerson(teacher.last_name, teacher.first_name, teacher.patronymic)
        names = NewPerson(*(" ".join(part.split()) for part in person or NewPerson()))
        if not names.last_name or not names.first_name:
            raise ValidationError({"last_name" if not names.last_name else "first_name": NAMES_NEEDED})
        user = User.objects.create_user(email=address, **names._asdict())
    elif not user.is_active:
        raise ValidationError({"email": ACCOUNT_OFF})
    if teacher is not None and teacher.user_id not in (None, user.pk):
        raise ValidationError({"teacher": CARD_LINKED_ELSEWHERE.format(email=teacher.user.email)})  # type: ignore[union-attr]
    if teacher is not None:
        linked = Teacher.objects.filter(user=user, organization=organization).exclude(pk=teacher.pk).first()
        if linked is not None:
            raise ValidationError({"email": TEACHER_CARD_TAKEN.format(name=linked.full_name)})
    assignment, new = RoleAssignment.objects.get_or_create(user=user, role=role, organization=organization)
    if not new and (teacher is None or teacher.user_id == user.pk):
        raise ValidationError({"email": ACCESS_EXISTS.format(role=assignment.get_role_display().lower())})
    if teacher is not None:
        teacher.user = user
        teacher.save(update_fields=["user", "updated_at"])
    audit.record(actor, "organization.access_opened", organization, email=address, role=role, new_account=created)
    _send_invitation(assignment, absolute, created)
    return assignment


def _organization_of(assignment: RoleAssignment) -> Any:
    organization = assignment.organization
    assert organization is not None, "an organization's role (the database's role_scope_matches_role)"
    return organization


def _send_invitation(assignment: RoleAssignment, absolute: Callable[[str], str], created: bool) -> None:
    user, organization = assignment.user, _organization_of(assignment)
    if created:
        path = reverse(
            "accounts:password_reset_confirm",
            kwargs={
                "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                "token": default_token_generator.make_token(user),
            },
        )
        how = (
            f"Чтобы войти, задайте пароль по ссылке (она действует {INVITATION_DAYS} дн.):\n{absolute(path)}\n\n"
            f"Ваш логин — адрес этой почты, {user.email}. Если ссылка устареет, нажмите «Забыли пароль?» на странице "
            "входа."
        )
    else:
        how = f"Войдите со своим адресом и паролем: {absolute(reverse('accounts:login'))}"
    letters.send_after_commit(
        [user.email],
        f"Доступ к кабинету организации «{organization.short_name}»",
        f"Здравствуйте, {user.first_name or user.email}!\n\nВам открыт доступ к кабинету организации "
        f"«{organization.short_name}» в навигаторе дополнительного образования: "
        f"{assignment.get_role_display().lower()}.\n\n{how}",
    )


@transaction.atomic
def resend_invitation(actor: Any, assignment: RoleAssignment, absolute: Callable[[str], str]) -> None:
    """The invitation again, with a new link to set a password, for a person who has never signed in (the letter
    lost, the link expired)."""
    user = User.objects.select_for_update().get(pk=assignment.user_id)
    if user.last_login is not None or user.has_usable_password():
        raise ValidationError(ALREADY_SIGNED_IN)
    audit.record(actor, "organization.invitation_resent", _organization_of(assignment), email=user.email)
    _send_invitation(assignment, absolute, created=True)


@transaction.atomic
def close_organization_access(actor: Any, assignment: RoleAssignment) -> None:
    """Take the role away (the caller checked the right to change the organization); a teacher's card stays, no
    longer linked to the account. Not one's own operator's role: the organization would be left to others."""
    if assignment.user_id == getattr(actor, "pk", None) and assignment.role == Role.ORGANIZATION_OPERATOR:
        raise ValidationError(OWN_ACCESS)
    organization, user = _organization_of(assignment), assignment.user
    if assignment.role == Role.TEACHER:
        Teacher.objects.filter(organization=organization, user=user).update(user=None, updated_at=timezone.now())
    audit.record(actor, "organization.access_closed", organization, email=user.email, role=assignment.role)
    assignment.delete()
    letters.send_after_commit(
        [user.email],
        f"Доступ к кабинету организации «{organization.short_name}» закрыт",
        f"Здравствуйте, {user.first_name or user.email}!\n\nВаш доступ к кабинету организации "
        f"«{organization.short_name}» ({assignment.get_role_display().lower()}) закрыт. Если это ошибка, "
        "обратитесь к оператору организации.",
    )
