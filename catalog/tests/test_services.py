"""Rules of the catalog actions: moderation state machine, groups, derived fields, audit."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import timezone

from catalog import revisions, services
from catalog.models import (
    Group,
    GroupFinancing,
    ModerationStatus,
    OrganizationUnit,
    OvzCategory,
    Program,
    ProgramRegister,
    ProgramRevision,
    ScheduleSlot,
    UnitKind,
)
from catalog.search import SearchParams, search_programs
from core.dates import full_years
from core.models import AuditEvent
from core.testing import enroll_child, make_child, make_group, make_program
from enrollment import services as enrollment
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
    with pytest.raises(ValidationError, match="хотя бы одну действующую группу"):
        services.change_program_status(personas.operator_a, program, "submit")


def test_a_program_whose_groups_have_all_ended_cannot_be_submitted(personas):
    program = make_program(personas.org_a, status=S.DRAFT)
    Group.objects.filter(program=program).update(
        academic_year=2020, start_date=date(2020, 9, 1), end_date=date(2021, 5, 31)
    )
    with pytest.raises(ValidationError, match="действующую группу, занятия которой ещё не закончились"):
        services.change_program_status(personas.operator_a, program, "submit")
    program.refresh_from_db()
    assert program.status == S.DRAFT


@pytest.mark.parametrize(
    ("state", "transition", "then"), [(S.DRAFT, "submit", "Исправьте"), (S.MODERATING, "approve", "Верните")]
)
def test_a_program_its_groups_no_longer_fit_is_neither_submitted_nor_published(personas, state, transition, then):
    """Changes merged past the editing form (kept through the archive, returned by the moderator) may
    leave a group outside the program's ages: it goes no further until one of them is corrected."""
    program = make_program(personas.org_a, status=state, age_from=7, age_to=12)
    Group.objects.filter(program=program).update(age_from=7, age_to=12)
    Program.objects.filter(pk=program.pk).update(age_from=9)  # as a merged revision writes it
    program.refresh_from_db()
    actor = personas.operator_a if transition == "submit" else personas.municipal_x
    with pytest.raises(
        ValidationError, match=f"расходится со своими группами: .*сначала измените возраст группы. {then}"
    ):
        services.change_program_status(actor, program, transition)
    program.refresh_from_db()
    assert program.status == state
    Group.objects.filter(program=program).update(age_from=9)
    services.change_program_status(actor, program, transition)
    assert program.status != state


def test_ovz_categories_are_kept_only_for_a_program_adapted_for_ovz(personas):
    program = make_program(personas.org_a, status=S.DRAFT)
    categories = list(OvzCategory.objects.all()[:2])
    program.ovz_adapted = True
    services.save_program(personas.operator_a, program, ovz_categories=categories)
    assert program.ovz_categories.count() == 2
    program.ovz_adapted = False
    services.save_program(personas.operator_a, program, ovz_categories=categories)
    assert not program.ovz_categories.exists()


@pytest.mark.parametrize("name", ["enrollment_opens_at", "enrollment_closes_at"])
def test_applications_are_taken_no_later_than_the_groups_last_lesson(published_program, name):
    group = published_program.groups.get()
    setattr(group, name, timezone.make_aware(datetime.combine(group.end_date + timedelta(days=1), time(10))))
    with pytest.raises(ValidationError) as refused:
        services.check_group(published_program, group)
    assert refused.value.message_dict[name] == [
        f"Приём заявок должен {'начинаться' if name.endswith('opens_at') else 'заканчиваться'} не позже "
        f"последнего дня занятий ({group.end_date:%d.%m.%Y})."
    ]
    setattr(group, name, timezone.make_aware(datetime.combine(group.end_date, time(18))))
    if name == "enrollment_opens_at":
        group.enrollment_closes_at = None
    services.check_group(published_program, group)


def test_transitions_are_audited_and_notify_after_commit(
    personas, django_capture_on_commit_callbacks, mailoutbox, settings
):
    settings.SITE_URL = "https://navigator.example.ru"
    program = make_program(personas.org_a, status=S.DRAFT)
    with django_capture_on_commit_callbacks(execute=True):
        services.change_program_status(personas.operator_a, program, "submit")
    assert [m.to for m in mailoutbox] == [["municipal-x@opora.test"]]
    # Each letter links where its reader acts: the moderation queue, then the organization's program.
    assert mailoutbox[-1].body.endswith("Открыть в навигаторе: https://navigator.example.ru/office/moderation/")
    with django_capture_on_commit_callbacks(execute=True):
        services.change_program_status(personas.municipal_x, program, "approve")
    assert mailoutbox[-1].to == ["operator-a@opora.test"]
    assert mailoutbox[-1].body.endswith(f"https://navigator.example.ru/office/programs/{program.code}/")
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


def test_editing_a_program_refreshes_its_search_document_once_the_changes_are_published(published_program, personas):
    published_program.title = "Авиамоделирование"
    published_program.summary = "Модели самолётов своими руками."
    services.save_program(personas.operator_a, published_program)
    assert search_programs(SearchParams(q="авиамоделированием")).total == 0  # not before the moderator decides
    assert search_programs(SearchParams(q="конструирование")).total == 1
    services.change_program_status(personas.municipal_x, published_program, "approve_changes")
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
    existing = published_program.groups.get()
    group = Group(
        program=published_program,
        name="Платная группа",
        academic_year=existing.academic_year,
        start_date=existing.start_date,
        end_date=existing.end_date,
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


# A group against its program (the QA review: paid_program, for 7–12 years at 1 500 ₽ a month).


SEPTEMBER = date(2026, 9, 1)
TUESDAY_AT_FOUR = [services.Slot(1, time(16, 0), time(17, 30))]
PAID = [services.Financing("paid", Decimal(1500))]


def new_group(program: Program, **fields) -> Group:
    values = {
        "name": "Группа QA",
        "academic_year": 2026,
        "start_date": SEPTEMBER,
        "end_date": date(2027, 5, 31),
        "capacity": 12,
    }
    values.update(fields)
    return Group(program=program, **values)


def refused(program: Program, group: Group, schedule=TUESDAY_AT_FOUR, financing=PAID) -> dict[str, list[str]]:
    """The errors save_group answers with, by field; and that nothing was written."""
    with pytest.raises(ValidationError) as caught:
        services.save_group(None, group, schedule=schedule, financing=financing)
    assert not Group.objects.filter(program=program).exists()
    return caught.value.message_dict


def test_a_valid_group_of_the_paid_program_is_saved(paid_program):
    group = services.save_group(
        None, new_group(paid_program, age_from=8, age_to=10), schedule=TUESDAY_AT_FOUR, financing=PAID
    )
    assert group.pk and list(group.financing.values_list("source", "cost_per_month")) == [("paid", Decimal(1500))]


@pytest.mark.parametrize(
    ("age_from", "age_to", "fields"), [(3, 17, {"age_from", "age_to"}), (7, 13, {"age_to"}), (5, None, {"age_from"})]
)
def test_a_groups_ages_lie_within_its_programs(paid_program, age_from, age_to, fields):
    errors = refused(paid_program, new_group(paid_program, age_from=age_from, age_to=age_to))
    assert set(errors) == fields
    assert all(message == ["Возраст группы — в пределах возраста программы: 7–12 лет."] for message in errors.values())


def test_the_academic_year_is_the_one_the_lessons_start_in(paid_program):
    errors = refused(paid_program, new_group(paid_program, academic_year=2031))
    assert errors == {
        "academic_year": [
            "Учебный год не совпадает с датами: занятия начинаются 01.09.2026 — это 2026/27 учебный год, укажите 2026."
        ]
    }
    # A group starting in spring belongs to the academic year that began the September before.
    spring = new_group(paid_program, academic_year=2027, start_date=date(2027, 2, 1), end_date=date(2027, 5, 31))
    assert "укажите 2026" in refused(paid_program, spring)["academic_year"][0]


@pytest.mark.parametrize(
    ("day", "year"),
    [(date(2026, 9, 1), 2026), (date(2027, 8, 31), 2026), (date(2027, 1, 12), 2026), (date(2026, 8, 31), 2025)],
)
def test_academic_year_of_a_day(day, year):
    assert services.academic_year_of(day) == year


def test_new_groups_are_planned_for_the_coming_year_from_june():
    assert services.planned_academic_year(date(2027, 5, 31)) == 2026
    assert services.planned_academic_year(date(2027, 6, 1)) == 2027
    assert services.planned_academic_year(date(2026, 12, 3)) == 2026


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"capacity": 100_000}, "capacity", "В группе — не больше 500 мест."),
        ({"capacity": 501}, "capacity", "В группе — не больше 500 мест."),
        ({"hours_per_year": 145}, "hours_per_year", "Часов в год не может быть больше объёма всей программы: 144 ч."),
    ],
)
def test_a_group_has_realistic_seats_and_hours(paid_program, fields, field, message):
    assert refused(paid_program, new_group(paid_program, **fields)) == {field: [message]}


def test_yearly_hours_have_a_limit_even_in_a_long_program(paid_program):
    paid_program.hours_total = 10_000
    services.save_program(None, paid_program)
    errors = refused(paid_program, new_group(paid_program, hours_per_year=2001))
    assert errors == {"hours_per_year": ["Часов в год — не больше 2\u00a0000."]}


def test_the_largest_group_is_accepted(paid_program):
    group = services.save_group(
        None, new_group(paid_program, capacity=500, hours_per_year=144), schedule=[], financing=PAID
    )
    assert group.capacity == 500


def test_a_group_lasts_no_longer_than_its_program_and_a_month(paid_program):
    """01.09.2027–31.05.2030 for a nine-month program was saved: a mistyped year."""
    months = paid_program.duration_months
    assert months == 9
    assert refused(paid_program, new_group(paid_program, end_date=date(2029, 5, 31))) == {
        "end_date": ["Занятия группы длятся дольше программы (9 мес.): с 01.09.2026 — не позже 01.07.2027."]
    }
    group = services.save_group(None, new_group(paid_program, end_date=date(2027, 7, 1)), schedule=[], financing=PAID)
    assert group.end_date == date(2027, 7, 1)


def test_lessons_of_a_group_must_not_overlap_on_a_weekday(paid_program):
    overlapping = [services.Slot(1, time(15, 0), time(16, 30)), services.Slot(1, time(15, 30), time(17, 0))]
    assert refused(paid_program, new_group(paid_program), schedule=overlapping) == {
        "schedule": ["Занятия группы пересекаются: Вт 15:00–16:30 и Вт 15:30–17:00."]
    }


def test_lessons_that_touch_or_fall_on_other_days_are_fine(paid_program):
    schedule = [
        services.Slot(1, time(15, 0), time(16, 30)),
        services.Slot(1, time(16, 30), time(17, 0)),
        services.Slot(3, time(15, 30), time(17, 0)),
    ]
    group = services.save_group(None, new_group(paid_program), schedule=schedule, financing=PAID)
    assert group.schedule.count() == 3


def test_a_teacher_or_a_room_takes_one_group_at_a_time(paid_program, personas):
    """Two groups booked Анна Петрова on Tuesdays at four: the second is refused, naming the first;
    so is a room of the organization at the same address. Touching lessons, another room, other dates,
    an archived group and the group's own lessons (edited) are fine."""
    teacher = Teacher.objects.create(organization=personas.org_a, last_name="Петрова", first_name="Анна")
    room_12 = [services.Slot(1, time(16, 0), time(17, 30), "Каб. 12")]
    first = services.save_group(
        None, new_group(paid_program, name="Первая", teacher=teacher), schedule=room_12, financing=PAID
    )
    overlapping = [services.Slot(1, time(17, 0), time(18, 0))]
    with pytest.raises(ValidationError) as caught:
        services.save_group(
            None, new_group(paid_program, name="Вторая", teacher=teacher), schedule=overlapping, financing=PAID
        )
    assert caught.value.message_dict == {
        "schedule": [
            "Педагог Петрова Анна в это время ведёт другую группу — группа «Первая» программы "
            f"«{paid_program.title}»: Вт 16:00–17:30."
        ]
    }
    with pytest.raises(ValidationError, match=r"Кабинет «Каб\. 12» в это время занят: группа «Первая»"):
        services.save_group(
            None,
            new_group(paid_program, name="Вторая"),
            schedule=[services.Slot(1, time(15, 0), time(16, 30), "каб. 12")],
            financing=PAID,
        )
    assert Group.objects.filter(program=paid_program).count() == 1
    fine = [
        services.Slot(1, time(17, 30), time(18, 0), "Каб. 12"),  # touches
        services.Slot(1, time(16, 0), time(17, 0), "Каб. 14"),  # another room, another teacher
    ]
    services.save_group(None, new_group(paid_program, name="Вторая"), schedule=fine, financing=PAID)
    spring = new_group(
        paid_program, name="Весенняя", teacher=teacher, start_date=date(2027, 6, 1), end_date=date(2027, 8, 31)
    )
    services.save_group(None, spring, schedule=room_12, financing=PAID)  # after the first has ended
    services.save_group(None, first, schedule=[*room_12, services.Slot(3, time(16, 0), time(17, 30))])  # its own
    Group.objects.filter(pk=first.pk).update(is_active=False)
    services.save_group(None, new_group(paid_program, name="Третья", teacher=teacher), schedule=room_12, financing=PAID)


@pytest.mark.parametrize(
    ("schedule", "pair"),
    [
        ([(1, 15, 0, 16, 30), (1, 15, 30, 17, 0)], (0, 1)),
        ([(1, 15, 30, 17, 0), (1, 15, 0, 16, 30)], (1, 0)),  # found whatever the order they come in
        ([(1, 10, 0, 18, 0), (1, 12, 0, 13, 0), (1, 14, 0, 15, 0)], (0, 1)),
        ([(1, 10, 0, 12, 0), (1, 11, 0, 11, 30), (1, 11, 45, 13, 0)], (0, 1)),
        ([(1, 10, 0, 11, 0), (2, 10, 30, 11, 30), (1, 11, 0, 12, 0)], None),
        ([(0, 9, 0, 10, 0), (0, 9, 0, 10, 0)], (0, 1)),
    ],
)
def test_find_overlap(schedule, pair):
    slots = [services.Slot(d, time(h1, m1), time(h2, m2)) for d, h1, m1, h2, m2 in schedule]
    assert services.find_overlap(slots) == pair


@pytest.mark.parametrize(
    ("financing", "message"),
    [
        (
            [services.Financing("paid", Decimal(0))],
            "Укажите стоимость в месяц больше нуля: источник «Платно» оплачивается.",
        ),
        (
            [services.Financing("paid", Decimal("1000000.01"))],
            "Стоимость — не больше 1\u00a0000\u00a0000\u00a0₽ в месяц.",
        ),
        ([], "Укажите хотя бы один источник финансирования: бесплатно, по сертификату или платно."),
    ],
)
def test_a_paid_source_costs_something_and_a_group_has_at_least_one(paid_program, financing, message):
    assert refused(paid_program, new_group(paid_program), financing=financing) == {"financing": [message]}


def test_a_free_source_has_no_cost(personas):
    program = make_program(personas.org_a, "Бесплатная", status=S.DRAFT, with_group=False)
    with pytest.raises(ValidationError, match="Бесплатный источник — без стоимости"):
        services.save_group(None, new_group(program), financing=[services.Financing("budget", Decimal(100))])
    group = services.save_group(None, new_group(program), financing=[services.Financing("budget", Decimal(0))])
    assert str(group.financing.get()) == "Бесплатно (муниципальное задание)"


def test_a_certificate_source_costs_something_too(personas):
    program = make_program(
        personas.org_a, "По сертификату", status=S.DRAFT, with_group=False, is_free=False, by_certificate=True
    )
    with pytest.raises(ValidationError, match="источник «По сертификату ПФ» оплачивается"):
        services.save_group(None, new_group(program), financing=[services.Financing("certificate", Decimal(0))])
    group = services.save_group(None, new_group(program), financing=[services.Financing("certificate", Decimal(3200))])
    assert str(group.financing.get()) == "По сертификату ПФ: 3\u00a0200\u00a0₽/мес"


def test_a_group_may_wait_for_its_timetable_but_not_for_its_financing(paid_program):
    """A timetable may come later (the Navigator shows «уточняется»); the price is needed to apply."""
    group = services.save_group(None, new_group(paid_program), schedule=[], financing=PAID)
    assert not group.schedule.exists()
    with pytest.raises(ValidationError, match="хотя бы один источник"):
        services.save_group(None, new_group(paid_program, name="Без условий"))  # the API may leave it out


def test_every_mistake_of_a_group_is_named_at_once(paid_program):
    """The QA review's group: ages 3–17, 2031 for dates of 2026/27, 100 000 seats, overlapping
    lessons and a paid source at 0 ₽ — one answer names them all, and nothing is saved."""
    group = new_group(paid_program, age_from=3, age_to=17, academic_year=2031, capacity=100_000)
    overlapping = [services.Slot(1, time(15, 0), time(16, 30)), services.Slot(1, time(15, 30), time(17, 0))]
    errors = refused(paid_program, group, schedule=overlapping, financing=[services.Financing("paid", Decimal(0))])
    assert set(errors) == {"age_from", "age_to", "academic_year", "capacity", "schedule", "financing"}
    assert not ScheduleSlot.objects.exists() and not GroupFinancing.objects.exists()


def test_an_existing_group_keeps_its_financing_when_none_is_given(published_program, personas):
    group = published_program.groups.get()
    group.capacity = 20
    services.save_group(personas.operator_a, group)
    assert group.financing.count() == 1


# A program against its groups.


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"age_from": 10}, "age_from", "принимает детей 8–10 лет: сначала измените возраст группы."),
        ({"age_to": 9}, "age_to", "принимает детей 8–10 лет: сначала измените возраст группы."),
        ({"hours_total": 100}, "hours_total", "занимается 120 ч в год: объём программы не может быть меньше."),
        (
            {"is_paid": False, "is_free": True},
            "is_paid",
            "принимает оплату «Платно»: сначала уберите этот источник у группы.",
        ),
    ],
)
def test_a_program_cannot_leave_its_current_groups_outside(paid_program, changes, field, message):
    group = services.save_group(
        None, new_group(paid_program, age_from=8, age_to=10, hours_per_year=120), schedule=[], financing=PAID
    )
    for name, value in changes.items():
        setattr(paid_program, name, value)
    with pytest.raises(ValidationError) as caught:
        services.save_program(None, paid_program)
    assert caught.value.message_dict == {field: [f"{group.name} ({group.code}) {message}"]}
    paid_program.refresh_from_db()
    assert (paid_program.age_from, paid_program.age_to, paid_program.hours_total, paid_program.is_paid) == (
        7,
        12,
        144,
        True,
    )


def test_groups_that_take_the_programs_ages_follow_it(paid_program):
    services.save_group(None, new_group(paid_program), schedule=[], financing=PAID)
    paid_program.age_from, paid_program.age_to = 9, 11
    services.save_program(None, paid_program)
    assert Group.objects.get(program=paid_program).ages == (9, 11)


def test_past_groups_do_not_hold_the_program_back(paid_program):
    old = new_group(
        paid_program, academic_year=2020, start_date=date(2020, 9, 1), end_date=date(2021, 5, 31), age_from=7, age_to=8
    )
    services.save_group(None, old, schedule=[], financing=PAID)
    paid_program.age_from = 10
    services.save_program(None, paid_program)
    paid_program.refresh_from_db()
    assert paid_program.age_from == 10


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"hours_total": 99_999_999_999}, "hours_total", "Объём программы — не больше 10\u00a0000 часов."),
        ({"duration_months": 121}, "duration_months", "Срок освоения — не больше 120 месяцев (10 лет)."),
        (
            {"price_per_month": Decimal(1_000_001)},
            "price_per_month",
            "Стоимость — не больше 1\u00a0000\u00a0000\u00a0₽ в месяц.",
        ),
    ],
)
def test_a_program_has_realistic_hours_months_and_price(paid_program, changes, field, message):
    for name, value in changes.items():
        setattr(paid_program, name, value)
    with pytest.raises(ValidationError) as caught:
        services.save_program(None, paid_program)
    assert caught.value.message_dict == {field: [message]}


def test_a_paid_program_costs_more_than_nothing(paid_program):
    paid_program.price_per_month = Decimal(0)
    with pytest.raises(ValidationError, match="стоимость в месяц больше нуля"):
        services.save_program(None, paid_program)


# Moderation of a published program's changes (the QA review: an edited summary was public at once).


def edit(actor, program: Program, **changes) -> Program:
    """Change a program as the office form does: from its pending values, through save_program."""
    program = Program.objects.get(pk=program.pk)
    revisions.editing_copy(program)
    relations = {name: changes.pop(name) for name in revisions.MODERATED_RELATIONS if name in changes}
    for name, value in changes.items():
        setattr(program, name, value)
    services.save_program(actor, program, **relations)
    return program


def test_editing_what_families_read_sends_the_changes_to_moderation_and_the_program_stays_published(
    personas, published_program, django_capture_on_commit_callbacks, mailoutbox
):
    approved = published_program.summary
    with django_capture_on_commit_callbacks(execute=True):
        edit(personas.operator_a, published_program, summary="Новое описание, которого модератор не видел.")
    published_program.refresh_from_db()
    assert published_program.status == S.PUBLISHED
    assert published_program.summary == approved  # families read what was checked
    revision = ProgramRevision.objects.get(program=published_program)
    assert revision.status == S.MODERATING
    assert revision.values == {"summary": "Новое описание, которого модератор не видел."}
    assert revision.author == personas.operator_a and revision.submitted_at is not None
    event = AuditEvent.objects.get(action="program.submit_changes", object_id=str(published_program.pk))
    assert event.actor == personas.operator_a and event.data["fields"] == ["summary"]
    assert [m.to for m in mailoutbox] == [["municipal-x@opora.test"]]
    assert "прежняя редакция" in mailoutbox[0].body


def test_approving_the_changes_publishes_them(
    personas, published_program, django_capture_on_commit_callbacks, mailoutbox
):
    edit(personas.operator_a, published_program, summary="Исправленное описание.", age_to=16)
    with django_capture_on_commit_callbacks(execute=True):
        services.change_program_status(personas.municipal_x, published_program, "approve_changes")
    assert published_program.status == S.PUBLISHED
    assert (published_program.summary, published_program.age_to) == ("Исправленное описание.", 16)
    assert not ProgramRevision.objects.exists()
    event = AuditEvent.objects.get(action="program.approve_changes")
    assert event.actor == personas.municipal_x and event.data["fields"] == ["age_to", "summary"]
    assert mailoutbox[-1].to == ["operator-a@opora.test"] and "опубликованы" in mailoutbox[-1].subject


def test_returned_changes_wait_for_the_organization_and_go_back_to_moderation_when_saved(personas, published_program):
    edit(personas.operator_a, published_program, summary="Черновая формулировка.", hours_total=72)
    with pytest.raises(ValidationError, match="замечание обязательно"):
        services.change_program_status(personas.municipal_x, published_program, "return_changes", remark=" ")
    services.change_program_status(personas.municipal_x, published_program, "return_changes", remark="Уточните объём")
    revision = ProgramRevision.objects.get()
    assert (revision.status, revision.remark) == (S.NEEDS_CHANGES, "Уточните объём")
    assert Program.objects.get(pk=published_program.pk).status == S.PUBLISHED
    edit(personas.operator_a, published_program, hours_total=108)  # the summary's change is kept
    revision.refresh_from_db()
    assert revision.status == S.MODERATING
    assert revision.values == {"summary": "Черновая формулировка.", "hours_total": 108}


def test_teachers_and_address_of_a_published_program_change_at_once(personas, published_program):
    teacher = Teacher.objects.create(organization=personas.org_a, last_name="Петрова", first_name="Анна")
    program = Program.objects.get(pk=published_program.pk)
    program.address = "г. Энск, ул. Мира, д. 3"
    services.save_program(personas.operator_a, program, teachers=[teacher])
    program.refresh_from_db()
    assert program.address == "г. Энск, ул. Мира, д. 3" and list(program.teachers.all()) == [teacher]
    assert not ProgramRevision.objects.exists()
    assert not AuditEvent.objects.filter(action="program.submit_changes").exists()


def test_saving_the_published_values_again_drops_the_revision(personas, published_program):
    approved = published_program.summary
    edit(personas.operator_a, published_program, summary="Другое описание.")
    services.change_program_status(personas.municipal_x, published_program, "return_changes", remark="Не нужно")
    edit(personas.operator_a, published_program, summary=approved)
    assert not ProgramRevision.objects.exists()
    assert AuditEvent.objects.filter(action="program.discard_changes").exists()


def test_a_program_on_moderation_cannot_be_changed_until_withdrawn(
    personas, django_capture_on_commit_callbacks, mailoutbox
):
    program = make_program(personas.org_a, "Шахматы", status=S.MODERATING)
    with pytest.raises(ValidationError, match="Программа на модерации"):
        edit(personas.operator_a, program, summary="Поправка после отправки.")
    program.refresh_from_db()
    assert program.summary != "Поправка после отправки."
    with django_capture_on_commit_callbacks(execute=True):
        services.change_program_status(personas.operator_a, program, "withdraw")
    assert program.status == S.DRAFT
    assert AuditEvent.objects.filter(action="program.withdraw", actor=personas.operator_a).exists()
    assert mailoutbox[-1].to == ["municipal-x@opora.test"] and "отозвана" in mailoutbox[-1].subject
    edit(personas.operator_a, program, summary="Поправка после отправки.")
    program.refresh_from_db()
    assert program.summary == "Поправка после отправки."


def test_changes_on_moderation_cannot_be_changed_until_withdrawn(personas, published_program):
    edit(personas.operator_a, published_program, summary="Первая правка.")
    with pytest.raises(ValidationError, match="Изменения программы на модерации"):
        edit(personas.operator_a, published_program, summary="Вторая правка.")
    services.change_program_status(personas.operator_a, published_program, "withdraw_changes")
    assert ProgramRevision.objects.get().status == S.DRAFT
    assert "withdraw_changes" not in services.allowed_transitions(Program.objects.get(pk=published_program.pk))
    edit(personas.operator_a, published_program, summary="Вторая правка.")
    revision = ProgramRevision.objects.get()
    assert (revision.status, revision.values) == (S.MODERATING, {"summary": "Вторая правка."})


def test_discarding_the_changes_leaves_the_published_program_as_it_was(personas, published_program):
    approved = published_program.summary
    edit(personas.operator_a, published_program, summary="Не та правка.")
    services.change_program_status(personas.operator_a, published_program, "discard_changes")
    assert published_program.summary == approved and published_program.status == S.PUBLISHED
    assert not ProgramRevision.objects.exists()
    with pytest.raises(ValidationError, match="нет изменений"):
        services.change_program_status(personas.municipal_x, published_program, "approve_changes")


@pytest.mark.parametrize("transition", list(services.REVISION_TRANSITIONS))
@pytest.mark.parametrize("state", [S.DRAFT, S.MODERATING, S.NEEDS_CHANGES])
def test_every_change_transition_is_allowed_exactly_from_its_states(personas, published_program, transition, state):
    edit(personas.operator_a, published_program, summary="Правка.")
    ProgramRevision.objects.update(status=state)
    sources, target = services.REVISION_TRANSITIONS[transition]
    assert (transition in services.allowed_transitions(Program.objects.get(pk=published_program.pk))) == (
        state in sources
    )
    if state in sources:
        services.change_program_status(personas.operator_a, published_program, transition, remark="Исправьте")
        assert list(ProgramRevision.objects.values_list("status", flat=True)) == ([target] if target else [])
    else:
        with pytest.raises(ValidationError, match="невозможно"):
            services.change_program_status(personas.operator_a, published_program, transition, remark="Исправьте")
        assert ProgramRevision.objects.get().status == state


def test_the_moderator_decides_on_the_changes_before_returning_the_program(personas, published_program):
    edit(personas.operator_a, published_program, summary="Правка.")
    assert "return" not in services.allowed_transitions(Program.objects.get(pk=published_program.pk))
    with pytest.raises(ValidationError, match="сначала нужно решить"):
        services.change_program_status(personas.municipal_x, published_program, "return", remark="Снимите")


def test_a_program_returned_for_changes_takes_its_pending_changes(personas, published_program):
    edit(personas.operator_a, published_program, summary="Последняя редакция организации.")
    services.change_program_status(personas.operator_a, published_program, "withdraw_changes")
    services.change_program_status(personas.municipal_x, published_program, "return", remark="Снимаем")
    assert published_program.status == S.NEEDS_CHANGES
    assert published_program.summary == "Последняя редакция организации."
    assert not ProgramRevision.objects.exists()
    event = AuditEvent.objects.get(action="program.return")
    assert event.data["merged_changes"] == ["summary"]


# An archived program is read as it was published (whole by the families who applied, its facts by
# anyone): it is not edited, and archiving publishes no unmoderated change.


def row(program: Program) -> dict:
    return Program.objects.filter(pk=program.pk).values().get()


@pytest.mark.parametrize("who", ["operator_a", "municipal_x"])
def test_archiving_keeps_the_published_text_and_the_changes_until_the_program_is_restored(
    personas, published_program, who
):
    approved = published_program.summary
    edit(personas.operator_a, published_program, summary="Правка, которую модератор не видел.", age_to=16)
    services.change_program_status(getattr(personas, who), published_program, "archive", remark="Не набрали")
    assert published_program.status == S.ARCHIVED
    assert (published_program.summary, published_program.age_to) == (approved, 14)
    revision = ProgramRevision.objects.get(program=published_program)  # kept as it was
    assert revision.status == S.MODERATING
    assert revision.values == {"summary": "Правка, которую модератор не видел.", "age_to": 16}
    assert "merged_changes" not in AuditEvent.objects.get(action="program.archive").data

    services.change_program_status(personas.operator_a, published_program, "restore")
    assert published_program.status == S.DRAFT
    assert (published_program.summary, published_program.age_to) == ("Правка, которую модератор не видел.", 16)
    assert not ProgramRevision.objects.exists()
    assert AuditEvent.objects.get(action="program.restore").data["merged_changes"] == ["age_to", "summary"]


@pytest.mark.parametrize("state", [S.DRAFT, S.MODERATING, S.NEEDS_CHANGES])
def test_the_changes_an_archived_program_keeps_are_neither_moderated_nor_sent_only_dropped(
    personas, published_program, state
):
    edit(personas.operator_a, published_program, summary="Правка.")
    ProgramRevision.objects.update(status=state)
    services.change_program_status(personas.operator_a, published_program, "archive")
    archived = Program.objects.get(pk=published_program.pk)
    assert services.allowed_transitions(archived) == ["restore", "discard_changes"]
    for transition, actor in [
        ("submit_changes", personas.operator_a),
        ("withdraw_changes", personas.operator_a),
        ("approve_changes", personas.municipal_x),
        ("return_changes", personas.municipal_x),
    ]:
        with pytest.raises(ValidationError, match="программа в статусе «В архиве»"):
            services.change_program_status(actor, archived, transition, remark="Исправьте")
        assert ProgramRevision.objects.get().status == state
    assert Program.objects.get(pk=published_program.pk).summary == published_program.summary

    services.change_program_status(personas.operator_a, archived, "discard_changes")
    assert not ProgramRevision.objects.exists()
    assert services.allowed_transitions(Program.objects.get(pk=archived.pk)) == ["restore"]
    services.change_program_status(personas.operator_a, archived, "restore")
    assert archived.summary == published_program.summary
    assert "merged_changes" not in AuditEvent.objects.get(action="program.restore").data


def test_an_archived_program_is_not_edited_until_restored(personas, published_program):
    teacher = Teacher.objects.create(organization=personas.org_a, last_name="Петрова", first_name="Анна")
    services.change_program_status(personas.operator_a, published_program, "archive")
    before = (row(published_program), AuditEvent.objects.count())
    with pytest.raises(ValidationError) as caught:
        edit(personas.operator_a, published_program, summary="Правка после архива.", address="ул. Новая, 1")
    assert caught.value.messages == [services.ARCHIVED_LOCKED]
    program = Program.objects.get(pk=published_program.pk)
    with pytest.raises(ValidationError, match="Программа в архиве: чтобы изменить её, верните её из архива"):
        services.save_program(personas.operator_a, program, teachers=[teacher])
    assert (row(published_program), AuditEvent.objects.count()) == before
    assert not program.teachers.exists() and not ProgramRevision.objects.exists()

    services.change_program_status(personas.operator_a, published_program, "restore")
    edit(personas.operator_a, published_program, summary="Правка после архива.")
    assert Program.objects.get(pk=published_program.pk).summary == "Правка после архива."


def test_an_archived_programs_groups_are_neither_created_nor_changed(personas, published_program):
    group = published_program.groups.get()
    services.change_program_status(personas.operator_a, published_program, "archive")
    before = (row(published_program), Group.objects.filter(pk=group.pk).values().get(), AuditEvent.objects.count())
    with pytest.raises(ValidationError) as caught:
        make_group(published_program, actor=personas.operator_a, name="Новая группа")
    assert caught.value.messages == [services.ARCHIVED_GROUPS_LOCKED]
    group.capacity, group.is_active = 20, False
    with pytest.raises(ValidationError, match="Программа в архиве: чтобы изменить её группы"):
        services.save_group(personas.operator_a, group, schedule=[services.Slot(4, time(10), time(11))])
    assert (row(published_program), Group.objects.filter(pk=group.pk).values().get(), AuditEvent.objects.count()) == (
        before
    )
    assert published_program.groups.count() == 1
    assert list(group.schedule.values_list("weekday", flat=True).order_by("weekday")) == [0, 2]

    services.change_program_status(personas.operator_a, published_program, "restore")
    services.save_group(personas.operator_a, group)
    assert Group.objects.get(pk=group.pk).is_active is False


# The one change of an archived program's group: switched off, while nobody is in it, it stops
# booking its teacher and rooms; families who applied still read it.


def test_a_published_programs_group_with_a_child_in_it_is_not_switched_off(personas, published_program):
    """Its form may untick «действует» — once nobody is enrolled in it or waits for it; other changes go on."""
    application = enroll_child(published_program, personas, "Маша")
    group = published_program.groups.get()
    group.is_active = False
    with pytest.raises(ValidationError) as caught:
        services.save_group(personas.operator_a, group)
    assert caught.value.message_dict == {"is_active": [services.GROUP_IN_USE.format(name=group.name)]}
    group = Group.objects.get(pk=group.pk)
    group.capacity += 5
    services.save_group(personas.operator_a, group)  # anything else is saved as before
    enrollment.change_status(personas.operator_a, application, "expel", reason="Переезд")
    group = Group.objects.get(pk=group.pk)
    group.is_active = False
    services.save_group(personas.operator_a, group)
    assert Group.objects.get(pk=group.pk).is_active is False


def archived_group(personas, program: Program, teacher: Teacher | None = None) -> Group:
    """The program's one group (led by `teacher`), the program then archived."""
    group = program.groups.get()
    if teacher is not None:
        group.teacher = teacher
        services.save_group(personas.operator_a, group)
    services.change_program_status(personas.operator_a, program, "archive")
    return Group.objects.get(pk=group.pk)


def test_an_archived_programs_group_nobody_is_in_is_switched_off_and_frees_its_teacher(personas, published_program):
    teacher = Teacher.objects.create(organization=personas.org_a, last_name="Петрова", first_name="Анна")
    group = archived_group(personas, published_program, teacher)
    other = make_program(personas.org_a, "Шахматы", status=S.DRAFT, with_group=False)
    with pytest.raises(ValidationError, match="Педагог Петрова Анна в это время ведёт другую группу"):
        make_group(other, actor=personas.operator_a, teacher=teacher)

    group.is_active = False
    services.save_group(personas.operator_a, group)
    assert Group.objects.get(pk=group.pk).is_active is False
    event = AuditEvent.objects.filter(action="group.updated").latest("pk")
    assert (event.actor, event.object_id, event.data["fields"]) == (personas.operator_a, str(group.pk), ["is_active"])
    program = Program.objects.get(pk=published_program.pk)
    assert (program.status, program.current_groups, program.weekdays_mask) == (S.ARCHIVED, 0, 0)
    make_group(other, actor=personas.operator_a, teacher=teacher)  # the teacher is free now
    events = AuditEvent.objects.count()
    services.save_group(personas.operator_a, Group.objects.get(pk=group.pk))  # sent as it is: nothing
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize(
    "change",
    [
        {"capacity": 20},
        {"is_active": False, "capacity": 20},
        {"is_active": False, "name": "Новое имя"},
        {"is_active": False, "schedule": [services.Slot(4, time(10), time(11))]},
        {"is_active": False, "financing": [services.Financing("budget", Decimal(0)), PAID[0]]},
    ],
)
def test_an_archived_programs_group_takes_no_other_change_with_switching_off(personas, published_program, change):
    group = archived_group(personas, published_program)
    before = (Group.objects.filter(pk=group.pk).values().get(), AuditEvent.objects.count())
    sets = {name: change.pop(name) for name in ("schedule", "financing") if name in change}
    for name, value in change.items():
        setattr(group, name, value)
    with pytest.raises(ValidationError) as caught:
        services.save_group(personas.operator_a, group, **sets)
    assert caught.value.messages == [services.ARCHIVED_GROUPS_LOCKED]
    assert (Group.objects.filter(pk=group.pk).values().get(), AuditEvent.objects.count()) == before


def test_a_switched_off_group_of_an_archived_program_is_not_switched_on_again(personas, published_program):
    group = archived_group(personas, published_program)
    group.is_active = False
    services.save_group(personas.operator_a, group)
    group.is_active = True
    with pytest.raises(ValidationError) as caught:
        services.save_group(personas.operator_a, group)
    assert caught.value.messages == [services.ARCHIVED_GROUPS_LOCKED]
    assert Group.objects.get(pk=group.pk).is_active is False


@pytest.mark.parametrize("who", ["enrolled", "waiting"])
def test_a_group_of_an_archived_program_with_a_child_in_it_or_waiting_is_not_switched_off(
    personas, published_program, who
):
    if who == "enrolled":
        application = enroll_child(published_program, personas, "Маша")
        step, reason = "expel", "Переезд"
    else:
        child = make_child(personas.family, "Петя")
        group = published_program.groups.get()
        application = enrollment.apply(personas.family, child, published_program, group, "key-wait")
        step, reason = "reject", "Программа закрыта"
    group = archived_group(personas, published_program)
    group.is_active = False
    with pytest.raises(ValidationError) as caught:
        services.save_group(personas.operator_a, group)
    assert caught.value.messages == [services.GROUP_IN_USE.format(name=group.name)]
    assert Group.objects.get(pk=group.pk).is_active is True

    enrollment.change_status(personas.operator_a, application, step, reason=reason)
    group = Group.objects.get(pk=group.pk)  # its seat freed
    group.is_active = False
    services.save_group(personas.operator_a, group)
    assert Group.objects.get(pk=group.pk).is_active is False


def test_the_groups_of_a_program_on_moderation_still_change(personas):
    program = make_program(personas.org_a, "Шахматы", status=S.MODERATING)
    make_group(program, actor=personas.operator_a, name="Вторая группа")
    assert program.groups.count() == 2


def test_many_to_many_changes_wait_too_and_a_register_added_meanwhile_stays(personas, published_program):
    category = OvzCategory.objects.order_by("pk").first()
    certified, _ = ProgramRegister.objects.get_or_create(code="certified", defaults={"name": "Сертифицированные"})
    edit(personas.operator_a, published_program, ovz_adapted=True, ovz_categories=[category])
    assert not published_program.ovz_categories.exists()
    assert revisions.editing_copy(Program.objects.get(pk=published_program.pk)) == {
        "ovz_categories": [category.pk],
        "registers": [],
    }
    published_program.registers.add(certified)  # the certification decides meanwhile
    services.change_program_status(personas.municipal_x, published_program, "approve_changes")
    assert published_program.ovz_adapted is True
    assert list(published_program.ovz_categories.all()) == [category]
    assert list(published_program.registers.all()) == [certified]


def test_the_status_and_moderation_fields_change_only_through_transitions(personas, draft_program):
    program = Program.objects.get(pk=draft_program.pk)
    program.status = S.PUBLISHED
    program.moderation_remark = "Само себе замечание"
    services.save_program(personas.operator_a, program)
    draft_program.refresh_from_db()
    assert (draft_program.status, draft_program.moderation_remark) == (S.DRAFT, "")


def test_submitting_records_when_and_editing_does_not_move_it(personas, draft_program):
    services.change_program_status(personas.operator_a, draft_program, "submit")
    submitted = draft_program.submitted_at
    assert submitted is not None
    services.change_program_status(personas.operator_a, draft_program, "withdraw")
    edit(personas.operator_a, draft_program, summary="Правка черновика.")
    draft_program.refresh_from_db()
    assert draft_program.submitted_at == submitted


def test_adding_a_group_to_a_published_program_needs_no_moderation(personas, published_program):
    make_group(published_program, actor=personas.operator_a, weekdays=(5,))
    published_program.refresh_from_db()
    assert published_program.status == S.PUBLISHED and published_program.groups.count() == 2
    assert "Сб" in published_program.weekdays
    assert not ProgramRevision.objects.exists()


def test_the_history_tells_who_did_what_and_why_the_latest_first(personas):
    program = make_program(personas.org_a, "Шахматы", status=S.DRAFT, actor=personas.operator_a)
    services.change_program_status(personas.operator_a, program, "submit")
    services.change_program_status(personas.municipal_x, program, "return", remark="Добавьте результаты")
    edit(personas.operator_a, program, results="Разряд по шахматам.")
    services.change_program_status(personas.operator_a, program, "submit")
    services.change_program_status(personas.municipal_x, program, "approve")
    edit(personas.operator_a, program, summary="Правка.")
    history = services.program_history(program)
    assert [(e.action, e.who) for e in history] == [
        ("Изменения отправлены на модерацию", "operator-a Тест"),
        ("Программа опубликована", "municipal-x Тест"),
        ("Программа отправлена на модерацию", "operator-a Тест"),
        ("Программа возвращена на доработку", "municipal-x Тест"),
        ("Программа отправлена на модерацию", "operator-a Тест"),
        ("Программа создана", "operator-a Тест"),
    ]
    assert history[3].remark == "Добавьте результаты"
    assert history[0].fields == ["кратко о программе"]


def changes_naming_a_unit_deleted_since(personas, program: Program) -> None:
    """The program's changes move it to a unit its organization then deletes: they no longer pass."""
    unit = OrganizationUnit.objects.create(organization=personas.org_a, kind=UnitKind.TOCHKA_ROSTA, name="Точка роста")
    edit(personas.operator_a, program, unit=unit, summary="Занятия в «Точке роста».")
    unit.delete()


def test_restoring_with_kept_changes_that_no_longer_pass_tells_the_organization_what_it_can_do(
    personas, published_program
):
    changes_naming_a_unit_deleted_since(personas, published_program)
    services.change_program_status(personas.operator_a, published_program, "archive")  # they are kept as they are
    with pytest.raises(ValidationError) as caught:
        services.change_program_status(personas.operator_a, published_program, "restore")
    [message] = caught.value.messages
    assert message.startswith("Изменения, сохранённые с программой в архиве, не проходят проверку: ")
    assert "Программа осталась в архиве" in message and "«Отменить изменения»" in message
    assert "Верните их на доработку" not in message
    assert Program.objects.get(pk=published_program.pk).status == S.ARCHIVED
    assert ProgramRevision.objects.get().values["summary"] == "Занятия в «Точке роста»."

    services.change_program_status(personas.operator_a, published_program, "discard_changes")
    services.change_program_status(personas.operator_a, published_program, "restore")
    assert (published_program.status, published_program.unit) == (S.DRAFT, None)


def test_changes_that_no_longer_pass_are_returned_by_the_moderator(personas, published_program):
    changes_naming_a_unit_deleted_since(personas, published_program)
    with pytest.raises(ValidationError) as caught:
        services.change_program_status(personas.municipal_x, published_program, "approve_changes")
    [message] = caught.value.messages
    assert message.startswith("Изменения не проходят проверку: ") and message.endswith("Верните их на доработку.")
    assert "Отменить изменения" not in message
    services.change_program_status(personas.municipal_x, published_program, "return_changes", remark="Подразделение")
    assert ProgramRevision.objects.get().status == S.NEEDS_CHANGES


def test_changes_that_no_longer_fit_the_groups_are_not_published(personas, published_program):
    edit(personas.operator_a, published_program, age_from=10)
    make_group(published_program, actor=personas.operator_a, age_from=7, age_to=9)  # fits the published 7–14
    with pytest.raises(ValidationError, match="расходятся с группами"):
        services.change_program_status(personas.municipal_x, published_program, "approve_changes")
    assert Program.objects.get(pk=published_program.pk).age_from == 7
    assert ProgramRevision.objects.get().status == S.MODERATING


@pytest.mark.parametrize("start", [date(2026, 9, 1), date(2028, 2, 29), date(2027, 2, 28), date(2027, 3, 1)])
def test_a_group_takes_the_children_whose_age_on_its_first_lesson_is_in_its_range(start):
    """The birth dates a group takes (queried for its queue) agree with the age counted day by day,
    leap days included."""
    group = Group(start_date=start, age_from=7, age_to=9)
    earliest, latest = group.birth_dates()
    for birth in (start - timedelta(days=n) for n in range(365 * 6, 365 * 11 + 3)):
        assert group.takes_child_born(birth) == (7 <= full_years(birth, start) <= 9), birth
    assert full_years(earliest, start) == 9 and full_years(earliest - timedelta(days=1), start) == 10
    assert full_years(latest, start) == 7 and full_years(latest + timedelta(days=1), start) == 6


def test_refresh_catalog_recounts_programs_whose_enrollment_closed_or_groups_ended(
    client, personas, published_program, django_capture_on_commit_callbacks
):
    from io import StringIO

    from django.core.management import call_command

    from catalog.search_index import catalog_version

    ended = make_program(personas.org_b, "Шахматы", direction="sport")
    untouched = make_program(personas.org_b, "Футбол", direction="sport")
    now = timezone.now()
    # Time passes: no action changes the groups, their figures go stale.
    Group.objects.filter(program=published_program).update(enrollment_closes_at=now - timedelta(minutes=1))
    yesterday = timezone.localdate() - timedelta(days=1)
    Group.objects.filter(program=ended).update(start_date=yesterday - timedelta(days=90), end_date=yesterday)
    assert Program.objects.get(pk=published_program.pk).open_seats == 15
    # A search index built now reads the groups themselves; the ones processes keep wait for the command.
    assert [p.title for p in search_programs(SearchParams(free_seats=True)).programs] == ["Футбол"]
    before, out = catalog_version(), StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("refresh_catalog", stdout=out)
    assert out.getvalue().strip() == "Пересчитано программ: 2."
    assert catalog_version() != before  # every process rebuilds its search index
    closed, gone, kept = (Program.objects.get(pk=p.pk) for p in (published_program, ended, untouched))
    assert (closed.open_seats, closed.closed_seats, closed.current_groups, closed.weekdays_mask) == (0, 15, 1, 0b101)
    assert (gone.open_seats, gone.closed_seats, gone.current_groups, gone.weekdays_mask) == (0, 0, 0, 0)
    assert (kept.open_seats, kept.closed_seats, kept.current_groups) == (15, 0, 1)
    assert (closed.offering_groups, gone.offering_groups, kept.offering_groups) == (0, 0, 1)
    cards = client.get("/programs/", {"sort": "title"}).content.decode()
    assert "Приём закрыт" in cards and "Набор не объявлен" in cards and "Свободных мест: 15" in cards
    Group.objects.filter(program=published_program).update(seats_taken=F("capacity"))
    services.refresh_program_groups([published_program.pk])
    # Closed and full: no queue either (its page says applications are closed).
    assert "Приём закрыт" in client.get("/programs/", {"q": "Робототехника"}).content.decode()
    Group.objects.filter(program=published_program).update(enrollment_closes_at=None)
    services.refresh_program_groups([published_program.pk])
    assert "Мест нет" in client.get("/programs/", {"q": "Робототехника"}).content.decode()  # open and full: a queue
    Group.objects.filter(program=published_program).update(enrollment_closes_at=now - timedelta(minutes=1))
    services.refresh_program_groups([published_program.pk])
    # A child leaves the closed group: the seat moved is recounted at once, as a seat taken is.
    Group.objects.filter(program=published_program).update(seats_taken=14)
    services.refresh_open_seats(published_program.pk)
    assert "Приём закрыт" in client.get("/programs/", {"q": "Робототехника"}).content.decode()
    before = catalog_version()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("refresh_catalog", stdout=out)
    assert out.getvalue().strip().endswith("Пересчитано программ: 0.") and catalog_version() == before


def test_the_group_facts_named_are_those_recounted(db):
    """The columns an edit never sets and the admin shows read-only are those the groups decide."""
    assert set(services._group_facts()) == set(services.GROUP_FACTS)


def test_a_program_without_an_address_is_held_at_its_units_or_else_at_its_organizations(personas):
    moving = OrganizationUnit.objects.create(
        organization=personas.org_a,
        kind=UnitKind.MOBILE_KVANTORIUM,
        name="Мобильный Кванториум",
        address="Выездные занятия",
    )
    inside = OrganizationUnit.objects.create(
        organization=personas.org_a, kind=UnitKind.TOCHKA_ROSTA, name="Точка роста"
    )
    assert make_program(personas.org_a, "Робототехника", unit=moving).address == "Выездные занятия"
    assert make_program(personas.org_a, "Химия", unit=inside).address == personas.org_a.address
    given = make_program(personas.org_a, "Физика", unit=moving, address="ул. Школьная, 1")
    assert given.address == "ул. Школьная, 1"
