"""Builders for tests: territories, organizations, programs and the personas who use them.

Everything is built through the real actions (catalog.services), so fixtures compose by state.
"""

import importlib
import itertools
from dataclasses import dataclass
from datetime import date, time, timedelta
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.forms import BaseForm, MultiWidget
from django.utils import timezone

from accounts.models import Role, RoleAssignment, User
from catalog import services
from catalog.models import Direction, Group, ModerationStatus, Organization, OrganizationKind, OvzCategory, Program
from core.validators import inn_check_digits, ogrn_check_digit
from territory.models import Municipality, Region

PASSWORD = "opora-test-pass-1"  # noqa: S105  (test accounts only)
_counter = itertools.count(1)


def make_region(name: str = "Энская область", code: str = "99") -> Region:
    return Region.objects.create(name=name, code=code)


def make_municipality(region: Region, name: str, oktmo: str | None = None) -> Municipality:
    n = next(_counter)
    return Municipality.objects.create(region=region, name=name, oktmo=oktmo or f"{region.code}{n:06d}")


def make_organization(municipality: Municipality, short_name: str, **fields: Any) -> Organization:
    n = next(_counter)
    defaults: dict[str, Any] = {
        "full_name": f"Муниципальное бюджетное учреждение дополнительного образования «{short_name}»",
        "kind": OrganizationKind.UDO,
        "inn": inn_check_digits(f"99{n:07d}"),
        "ogrn": ogrn_check_digit(f"1029900{n:05d}"),
        "address": f"г. Энск, ул. Ленина, д. {n}",
        "phone": "+7 (900) 000-00-00",
        "email": f"org{n}@example.ru",
    }
    defaults.update(fields)
    return Organization.objects.create(municipality=municipality, short_name=short_name, **defaults)


def make_user(email: str, role: str | None = None, **scope: Any) -> User:
    user = User.objects.create_user(email=email, password=PASSWORD, first_name="Тест", last_name=email.split("@")[0])
    if role:
        RoleAssignment.objects.create(user=user, role=role, **scope)
    return user


def make_program(
    organization: Organization,
    title: str = "Робототехника",
    *,
    status: str = ModerationStatus.PUBLISHED,
    actor: Any = None,
    with_group: bool = True,
    ovz_categories: tuple[str, ...] = (),
    **fields: Any,
) -> Program:
    """A program through the real actions; `ovz_categories` are codes of the categories of children with ОВЗ it is
    adapted for (with `ovz_adapted=True`)."""
    defaults: dict[str, Any] = {
        "summary": f"Программа «{title}» для детей и подростков.",
        "description": "Занятия в группах, проекты, соревнования.",
        "direction": Direction.TECHNICAL,
        "level_basic": True,
        "age_from": 7,
        "age_to": 14,
        "hours_total": 144,
        "duration_months": 9,
        "is_free": True,
    }
    defaults.update(fields)
    categories = OvzCategory.objects.filter(code__in=ovz_categories) if ovz_categories else None
    program = services.save_program(
        actor, Program(organization=organization, title=title, **defaults), ovz_categories=categories
    )
    if with_group:
        make_group(program, actor=actor)
    if status != ModerationStatus.DRAFT:
        services.change_program_status(actor, program, "submit")
        if status == ModerationStatus.PUBLISHED:
            services.change_program_status(actor, program, "approve")
        elif status == ModerationStatus.NEEDS_CHANGES:
            services.change_program_status(actor, program, "return", remark="Уточните описание")
        elif status == ModerationStatus.ARCHIVED:
            services.change_program_status(actor, program, "archive")
    program.refresh_from_db()
    return program


def make_group(
    program: Program, *, actor: Any = None, capacity: int = 15, weekdays: tuple[int, ...] = (0, 2), **fields: Any
) -> Group:
    today = timezone.localdate()
    start = date(today.year, 9, 1) if today.month < 9 else today + timedelta(days=7)
    defaults: dict[str, Any] = {
        "name": f"Группа {next(_counter)}",
        "start_date": start,
        "end_date": start + timedelta(days=270),
        "capacity": capacity,
    }
    defaults.update(fields)
    defaults.setdefault("academic_year", services.academic_year_of(defaults["start_date"]))
    # One source, the first the program offers: free, paid at its price, or by certificate.
    if program.is_free:
        financing = services.Financing("budget", Decimal(0))
    elif program.is_paid and program.price_per_month:
        financing = services.Financing("paid", program.price_per_month)
    else:
        financing = services.Financing("certificate", Decimal(3000))
    return services.save_group(
        actor,
        Group(program=program, **defaults),
        schedule=[services.Slot(d, time(16, 0), time(17, 30)) for d in weekdays],
        financing=[financing],
    )


def make_campaign(
    municipality: Municipality,
    program: Program,
    kind: str,
    opens_in: timedelta = timedelta(0),
    closes_in: timedelta | None = None,
) -> Any:
    """A campaign of `municipality` for `program` opening `opens_in` from now (negative: already open)."""
    from enrollment.models import Campaign

    now = timezone.now()
    created = Campaign.objects.create(
        municipality=municipality,
        name="Приём 2026",
        kind=kind,
        opens_at=now + opens_in,
        closes_at=now + closes_in if closes_in is not None else None,
        max_choices=2,
    )
    created.programs.add(program)
    return created


def make_child(guardian_user: User, first_name: str = "Маша", age_on: date | None = None, age: int = 9) -> Any:
    """A child of `guardian_user` who is `age` full years old on `age_on` (default: today)."""
    from people.models import Child, Guardian

    day = age_on or timezone.localdate()
    guardian, _ = Guardian.objects.get_or_create(
        user=guardian_user, defaults={"last_name": guardian_user.last_name, "first_name": guardian_user.first_name}
    )
    child = Child.objects.create(
        last_name=guardian_user.last_name,
        first_name=first_name,
        birth_date=day.replace(year=day.year - age) - timedelta(days=30),
        sex=Child.Sex.FEMALE,
        municipality=Municipality.objects.order_by("pk")[0],
    )
    child.guardians.add(guardian)
    return child


@dataclass
class Personas:
    """Two of everything, so every test can check the owner, the outsider and the read-only."""

    region: Region
    other_region: Region
    municipality_x: Municipality
    municipality_y: Municipality
    org_a: Organization
    org_b: Organization
    family: User
    other_family: User
    teacher_a: User
    operator_a: User
    operator_b: User
    municipal_x: User
    municipal_y: User
    regional: User
    other_regional: User
    methodologist: User
    admin: User


def enroll_child(program: Program, personas: "Personas", name: str) -> Any:
    """A child of the persona family, enrolled in the program's one group through the actions."""
    from enrollment import services as enrollment

    child = make_child(personas.family, name)
    group = program.groups.get()
    application = enrollment.apply(personas.family, child, program, group, f"key-{name}")
    if application.status != "invited":
        application = enrollment.change_status(personas.operator_a, application, "invite", group=group)
    return enrollment.change_status(personas.operator_a, application, "enroll")


def archive_with_changes_that_fail(operator: User, program: Program) -> None:
    """Archive a published program with unmoderated changes kept aside that no longer pass: they name
    a unit deleted since (restoring merges them, and fails)."""
    from catalog.models import OrganizationUnit, UnitKind

    unit = OrganizationUnit.objects.create(
        organization=program.organization, kind=UnitKind.TOCHKA_ROSTA, name="Точка роста"
    )
    edited = Program.objects.get(pk=program.pk)
    edited.unit = unit
    services.save_program(operator, edited)
    services.change_program_status(operator, program, "archive")
    unit.delete()  # the changes name it still


def load_dictionaries() -> None:
    """The dictionaries migration catalog 0003 fills (ОВЗ categories, program registers): a transactional
    test's flush (browser tests, the live server's) empties them for the tests after it."""
    if not OvzCategory.objects.exists():
        migration = importlib.import_module("catalog.migrations.0003_dictionaries_and_search_indexes")
        migration.load_dictionaries(apps, None)


def make_personas() -> Personas:
    load_dictionaries()
    region = make_region()
    other_region = make_region("Другая область", "98")
    x = make_municipality(region, "Энск")
    y = make_municipality(region, "Заречный район")
    org_a = make_organization(x, "Дом творчества «Радуга»")
    org_b = make_organization(y, "Станция юных техников")
    admin = User.objects.create_superuser(email="admin@opora.test", password=PASSWORD)
    return Personas(
        region=region,
        other_region=other_region,
        municipality_x=x,
        municipality_y=y,
        org_a=org_a,
        org_b=org_b,
        family=make_user("family@opora.test", Role.GUARDIAN),
        other_family=make_user("other-family@opora.test", Role.GUARDIAN),
        teacher_a=make_user("teacher-a@opora.test", Role.TEACHER, organization=org_a),
        operator_a=make_user("operator-a@opora.test", Role.ORGANIZATION_OPERATOR, organization=org_a),
        operator_b=make_user("operator-b@opora.test", Role.ORGANIZATION_OPERATOR, organization=org_b),
        municipal_x=make_user("municipal-x@opora.test", Role.MUNICIPAL_OPERATOR, municipality=x),
        municipal_y=make_user("municipal-y@opora.test", Role.MUNICIPAL_OPERATOR, municipality=y),
        regional=make_user("regional@opora.test", Role.REGIONAL_OPERATOR, region=region),
        other_regional=make_user("other-regional@opora.test", Role.REGIONAL_OPERATOR, region=other_region),
        methodologist=make_user("methodologist@opora.test", Role.METHODOLOGIST, region=region),
        admin=admin,
    )


def as_sent(*forms: BaseForm) -> dict[str, Any]:
    """What a browser sends back of forms as they were shown: each field's value, a checkbox ticked as «on»."""
    data: dict[str, Any] = {}
    for form in forms:
        for bound in form:
            value = bound.field.prepare_value(bound.value())
            if value is None or value is False or value == "":
                continue
            if isinstance(bound.field.widget, MultiWidget):  # a date and a time
                for number, part in enumerate(bound.field.widget.decompress(value) or []):
                    data[f"{bound.html_name}_{number}"] = str(part)
            elif value is True:
                data[bound.html_name] = "on"
            elif isinstance(value, list | tuple):
                data[bound.html_name] = [str(v) for v in value]
            else:
                data[bound.html_name] = str(value)
    return data
