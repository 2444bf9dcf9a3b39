"""The database itself refuses what the rules forbid, even when Python checks are bypassed."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from accounts.models import Role, RoleAssignment
from catalog.models import Group, GroupFinancing, Program, ScheduleSlot
from core.testing import make_user


def _refused(action):
    with pytest.raises(IntegrityError), transaction.atomic():
        action()


def test_group_seats_taken_never_exceed_capacity(published_program):
    group = published_program.groups.get()
    _refused(lambda: Group.objects.filter(pk=group.pk).update(seats_taken=group.capacity + 1))
    Group.objects.filter(pk=group.pk).update(seats_taken=group.capacity)  # exactly full is fine


def test_group_dates_and_capacity_are_checked(published_program):
    group = published_program.groups.get()
    _refused(lambda: Group.objects.filter(pk=group.pk).update(end_date=group.start_date.replace(year=2000)))
    _refused(lambda: Group.objects.filter(pk=group.pk).update(capacity=0))


@pytest.mark.parametrize(
    "changes",
    [
        {"age_from": 12, "age_to": 7},
        {"age_to": 25},
        {"level_initial": False, "level_basic": False, "level_advanced": False},
        {"is_free": False, "by_certificate": False, "is_paid": False},
        {"is_paid": True, "price_per_month": None},
        {"is_paid": True, "price_per_month": 0},
        {"is_paid": True, "price_per_month": Decimal("1000000.01")},
        {"hours_total": 0},
        {"hours_total": 10_001},
        {"duration_months": 121},
    ],
)
def test_program_rules_are_database_constraints(published_program, changes):
    _refused(lambda: Program.objects.filter(pk=published_program.pk).update(**changes))


def test_program_limits_admit_their_maximums(published_program):
    Program.objects.filter(pk=published_program.pk).update(
        hours_total=10_000, duration_months=120, is_paid=True, price_per_month=Decimal(1_000_000)
    )


@pytest.mark.parametrize(
    "changes",
    [
        {"capacity": 501},
        {"hours_per_year": 0},
        {"hours_per_year": 2001},
        {"age_to": 19},
        {"age_from": 19, "age_to": None},
    ],
)
def test_group_limits_are_database_constraints(published_program, changes):
    group = published_program.groups.get()
    _refused(lambda: Group.objects.filter(pk=group.pk).update(**changes))
    Group.objects.filter(pk=group.pk).update(capacity=500, hours_per_year=2000, age_from=18, age_to=18)


@pytest.mark.parametrize(
    ("source", "cost"),
    [("budget", Decimal(100)), ("paid", Decimal(0)), ("certificate", Decimal(0)), ("paid", Decimal("1000000.01"))],
)
def test_financing_costs_follow_their_source_in_the_database(published_program, source, cost):
    group = published_program.groups.get()
    GroupFinancing.objects.filter(group=group).delete()
    _refused(lambda: GroupFinancing.objects.create(group=group, source=source, cost_per_month=cost))
    GroupFinancing.objects.create(group=group, source=source, cost_per_month=0 if source == "budget" else 1500)


def test_schedule_slot_must_end_after_it_starts(published_program):
    slot = ScheduleSlot.objects.filter(group__program=published_program).first()
    _refused(lambda: ScheduleSlot.objects.filter(pk=slot.pk).update(ends_at=slot.starts_at))


def test_role_must_carry_exactly_its_scope(personas):
    user = make_user("nobody@opora.test")
    _refused(lambda: RoleAssignment.objects.create(user=user, role=Role.ORGANIZATION_OPERATOR))
    _refused(
        lambda: RoleAssignment.objects.create(
            user=user, role=Role.MUNICIPAL_OPERATOR, organization=personas.org_a, municipality=personas.municipality_x
        )
    )
    _refused(
        lambda: RoleAssignment.objects.create(
            user=personas.operator_a, role=Role.ORGANIZATION_OPERATOR, organization=personas.org_a
        )
    )


def test_inn_must_be_digits_in_the_database(personas):
    from catalog.models import Organization

    _refused(lambda: Organization.objects.filter(pk=personas.org_a.pk).update(inn="12345"))
