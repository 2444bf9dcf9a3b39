"""Rules of the catalog actions: moderation state machine, groups, derived fields, audit."""

from datetime import time
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from catalog import services
from catalog.models import Group, ModerationStatus, Program
from catalog.search import SearchParams, search_programs
from core.models import AuditEvent
from core.testing import make_group, make_program
from people.models import Teacher

S = ModerationStatus
ALL_STATES = [s.value for s in S]


@pytest.mark.parametrize("transition", list(services.TRANSITIONS))
@pytest.mark.parametrize("state", ALL_STATES)
def test_every_transition_is_allowed_exactly_from_its_source_states(personas, transition, state):
    program = make_program(personas.org_a, "Шахматы", status=S.DRAFT)
    Program.objects.filter(pk=program.pk).update(status=state)
    program.refresh_from_db()
    sources, target = services.TRANSITIONS[transition]
    if state in sources:
        services.change_program_status(personas.operator_a, program, transition, remark="Исправьте описание")
        assert program.status == target
    else:
        with pytest.raises(ValidationError, match="невозможно"):
            services.change_program_status(personas.operator_a, program, transition, remark="x")
        program.refresh_from_db()
        assert program.status == state


def test_returning_a_program_requires_a_remark(personas):
    program = make_program(personas.org_a, status=S.MODERATING)
    with pytest.raises(ValidationError, match="замечание обязательно"):
        services.change_program_status(personas.municipal_x, program, "return", remark="  ")
    services.change_program_status(personas.municipal_x, program, "return", remark="Добавьте планируемые результаты")
    assert program.status == S.NEEDS_CHANGES
    assert program.moderation_remark == "Добавьте планируемые результаты"


def test_a_program_without_groups_cannot_be_submitted(personas):
    program = make_program(personas.org_a, status=S.DRAFT, with_group=False)
    with pytest.raises(ValidationError, match="хотя бы одну группу"):
        services.change_program_status(personas.operator_a, program, "submit")


def test_transitions_are_audited_and_notify_after_commit(personas, django_capture_on_commit_callbacks, mailoutbox):
    program = make_program(personas.org_a, status=S.DRAFT)
    with django_capture_on_commit_callbacks(execute=True):
        services.change_program_status(personas.operator_a, program, "submit")
    assert [m.to for m in mailoutbox] == [["municipal-x@opora.test"]]
    with django_capture_on_commit_callbacks(execute=True):
        services.change_program_status(personas.municipal_x, program, "approve")
    assert mailoutbox[-1].to == ["operator-a@opora.test"]
    actions = list(AuditEvent.objects.filter(object_id=str(program.pk)).values_list("action", "actor__email"))
    assert ("program.submit", "operator-a@opora.test") in actions
    assert ("program.approve", "municipal-x@opora.test") in actions


def test_only_published_programs_are_found_and_publishing_makes_them_findable(personas):
    program = make_program(personas.org_a, "Занимательная химия", status=S.MODERATING)
    assert search_programs(SearchParams(q="химия")).total == 0
    services.change_program_status(personas.municipal_x, program, "approve")
    assert [p.pk for p in search_programs(SearchParams(q="химии")).programs] == [program.pk]
    services.change_program_status(personas.operator_a, program, "archive")
    assert search_programs(SearchParams(q="химия")).total == 0


def test_editing_a_program_refreshes_its_search_document(published_program, personas):
    published_program.title = "Авиамоделирование"
    published_program.summary = "Модели самолётов своими руками."
    services.save_program(personas.operator_a, published_program)
    assert search_programs(SearchParams(q="авиамоделированием")).total == 1
    assert search_programs(SearchParams(q="конструирование")).total == 0


def test_group_schedule_and_seats_feed_the_programs_filters(published_program, personas):
    make_group(published_program, actor=personas.operator_a, capacity=10, weekdays=(5,))
    published_program.refresh_from_db()
    assert published_program.weekdays == ["Пн", "Ср", "Сб"]
    assert published_program.open_seats == 25
    Group.objects.filter(program=published_program).update(seats_taken=10)
    services.refresh_program_groups([published_program.pk])
    published_program.refresh_from_db()
    assert published_program.open_seats == 5  # (15 - 10) + (10 - 10)


def test_a_group_accepts_only_the_programs_funding_sources(published_program, personas):
    group = Group(
        program=published_program,
        name="Платная группа",
        academic_year=2026,
        start_date=published_program.groups.get().start_date,
        end_date=published_program.groups.get().end_date,
        capacity=12,
    )
    with pytest.raises(ValidationError, match="не указан в условиях программы"):
        services.save_group(personas.operator_a, group, financing=[services.Financing("paid", Decimal("2500"))])
    assert not Group.objects.filter(name="Платная группа").exists()


def test_a_group_slot_must_end_after_it_starts(published_program, personas):
    group = published_program.groups.get()
    with pytest.raises(ValidationError, match="заканчиваться позже"):
        services.save_group(personas.operator_a, group, schedule=[services.Slot(0, time(18, 0), time(17, 0))])


def test_teachers_must_belong_to_the_programs_organization(published_program, personas):
    stranger = Teacher.objects.create(organization=personas.org_b, last_name="Петров", first_name="Иван")
    with pytest.raises(ValidationError, match="Педагог должен работать"):
        services.save_program(personas.operator_a, published_program, teachers=[stranger])
    group = published_program.groups.get()
    group.teacher = stranger
    with pytest.raises(ValidationError, match="Педагог должен работать"):
        services.save_group(personas.operator_a, group)


def test_unpaid_program_drops_a_stale_price(published_program, personas):
    published_program.price_per_month = Decimal("3000")
    services.save_program(personas.operator_a, published_program)
    published_program.refresh_from_db()
    assert published_program.price_per_month is None
