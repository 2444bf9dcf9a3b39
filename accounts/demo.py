"""Demo accounts: one person per role, all with the same password, printed by `load_demo`.

Every generated user has an address at EMAIL_DOMAIN, which is how `--reset` finds them again.
"""

import string
from dataclasses import dataclass

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX, make_password

from accounts.models import Role, RoleAssignment, User
from catalog.models import Organization
from people.demo import NameMaker, phone_mobile
from territory.demo import DemoRandom, Territory

DEMO_PASSWORD = "opora-demo"  # noqa: S105 — printed for everyone on purpose: it opens demo data only
EMAIL_DOMAIN = "demo.opora"
_SALT_ALPHABET = string.ascii_letters + string.digits


@dataclass
class DemoAccount:
    role: str
    email: str
    scope: str
    user: User


def _salt(rng: DemoRandom) -> str:
    return "".join(rng.choices(_SALT_ALPHABET, k=22))


def unusable_password(rng: DemoRandom) -> str:
    """A password value nobody can sign in with, drawn from the seed so that loads repeat."""
    return UNUSABLE_PASSWORD_PREFIX + "".join(rng.choices(_SALT_ALPHABET, k=40))


def create_demo_accounts(
    rng: DemoRandom, names: NameMaker, territory: Territory, organization: Organization
) -> dict[str, DemoAccount]:
    """Accounts keyed by role. The teacher and family accounts get their Teacher and Guardian
    from people.demo; here they are users with roles."""
    # One hash for all of them: the password is the same, and hashing is deliberately slow.
    password = make_password(DEMO_PASSWORD, salt=_salt(rng))
    capital = territory.capital.municipality
    region = territory.region
    # Role, e-mail, scope as printed, scope of the assignment, share of women in such posts.
    plan: list[tuple[str, str, str, dict[str, object], float]] = [
        (Role.ADMINISTRATOR, "admin", "вся система", {}, 0.3),
        (Role.REGIONAL_OPERATOR, "regional", region.name, {"region": region}, 0.7),
        (Role.METHODOLOGIST, "methodologist", region.name, {"region": region}, 0.8),
        (Role.MUNICIPAL_OPERATOR, "municipal", capital.name, {"municipality": capital}, 0.7),
        (Role.ORGANIZATION_OPERATOR, "operator", organization.short_name, {"organization": organization}, 0.7),
        (Role.TEACHER, "teacher", organization.short_name, {"organization": organization}, 1.0),
        (Role.GUARDIAN, "family", "свои дети", {}, 1.0),  # a mother: people.demo gives her two children
    ]
    accounts: dict[str, DemoAccount] = {}
    for role, local_part, scope_label, scope, female_share in plan:
        name = names.adult(female=rng.random() < female_share)
        email = f"{local_part}@{EMAIL_DOMAIN}"
        user = User.objects.create(
            email=email,
            password=password,
            first_name=name.first,
            last_name=name.last,
            patronymic=name.patronymic if role != Role.ADMINISTRATOR else "",
            phone=phone_mobile(rng),
            is_staff=role == Role.ADMINISTRATOR,
            is_superuser=role == Role.ADMINISTRATOR,
        )
        RoleAssignment.objects.create(user=user, role=role, **scope)
        accounts[role] = DemoAccount(role=Role(role).label, email=email, scope=scope_label, user=user)
    return accounts


def delete_demo_users() -> None:
    User.objects.filter(email__endswith="@" + EMAIL_DOMAIN).only("pk").delete()
