"""Many people acting at once on PostgreSQL: the last seats are never sold twice (invitations, and
families rushing a first-come campaign), and a request repeated in parallel makes one application."""

import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection

from catalog.models import Group
from core.testing import make_campaign, make_child, make_group, make_personas, make_program
from enrollment.models import Application, CampaignKind
from enrollment.models import ApplicationStatus as S
from enrollment.services import apply, change_status, waitlist_position

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif("postgresql" not in settings.DATABASES["default"]["ENGINE"], reason="row locks need PostgreSQL"),
]


def run_at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    """Start every call at the same instant, each in its own thread and connection."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def worker(index: int) -> None:
        barrier.wait()
        try:
            results[index] = calls[index]()
        except Exception as error:
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def test_the_last_seats_are_never_oversold():
    personas = make_personas()
    program = make_program(personas.org_a, "Робототехника", actor=personas.operator_a)
    group = program.groups.get()
    Group.objects.filter(pk=group.pk).update(capacity=5)
    applications = [
        apply(personas.family, make_child(personas.family, f"Ребёнок {n}", group.start_date), program, None, f"k{n}")
        for n in range(12)
    ]
    results = run_at_once([lambda a=a: change_status(personas.operator_a, a, "invite").status for a in applications])
    outcomes = Counter("invited" if r == S.INVITED else type(r).__name__ for r in results)
    assert outcomes == {"invited": 5, "ValidationError": 7}, results
    assert all("свободных мест нет" in str(r) for r in results if isinstance(r, ValidationError))
    group.refresh_from_db()
    assert group.seats_taken == 5 == Application.objects.filter(status=S.INVITED, group=group).count()


def test_a_request_repeated_in_parallel_makes_one_application():
    personas = make_personas()
    program = make_program(personas.org_a, "Робототехника", actor=personas.operator_a)
    child = make_child(personas.family, age_on=program.groups.get().start_date)
    results = run_at_once([lambda: apply(personas.family, child, program, None, "same-key").pk for _ in range(8)])
    assert Application.objects.count() == 1
    assert set(results) == {Application.objects.get().pk}, results


def test_families_rushing_a_first_come_campaign_fill_every_seat_once():
    """Applying for "any group" at the opening instant: each group's seats go once, in the order of
    the groups, and everyone else queues."""
    personas = make_personas()
    program = make_program(personas.org_a, "Робототехника", actor=personas.operator_a)
    first = program.groups.get()
    Group.objects.filter(pk=first.pk).update(capacity=3)
    second = make_group(program, start_date=first.start_date + timedelta(days=1), capacity=3)
    make_campaign(personas.municipality_x, program, CampaignKind.FIRST_COME, -timedelta(seconds=1))
    children = [make_child(personas.family, f"Ребёнок {n}", first.start_date) for n in range(12)]
    results = run_at_once(
        [lambda c=c, n=n: apply(personas.family, c, program, None, f"rush-{n}").status for n, c in enumerate(children)]
    )
    assert Counter(results) == {S.INVITED: 6, S.WAITLISTED: 6}, results
    for group in (first, second):
        group.refresh_from_db()
        assert group.seats_taken == 3 == Application.objects.filter(status=S.INVITED, group=group).count()
    queued = Application.objects.filter(status=S.WAITLISTED)
    assert sorted(waitlist_position(a) for a in queued) == [1, 2, 3, 4, 5, 6]
