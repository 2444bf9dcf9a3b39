"""The application state machine, its checks, seats and the queue, and who may do what."""

import uuid
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from catalog.models import Group, Program
from catalog.services import change_program_status, save_program
from core import scope
from core.models import AuditEvent
from core.testing import make_child, make_group, make_program
from enrollment import services
from enrollment.models import Application, ApplicationEvent
from enrollment.models import ApplicationStatus as S
from enrollment.services import TRANSITIONS, apply, change_status, expire_overdue, waitlist_position
from people.models import Child, Teacher

pytestmark = pytest.mark.django_db


def key() -> str:
    return uuid.uuid4().hex


def recorded_from_a_list(personas, group) -> Application:
    """A child of the persona family enrolled in the group from organization A's list (its operator the applicant)."""
    child = make_child(personas.family, "Ваня", age_on=group.start_date)
    return services.record_enrollment(
        personas.operator_a, child, group, enrolled_on=timezone.localdate(), left_on=None, key=key()
    )[0]


@pytest.fixture
def group(published_program) -> Group:
    return published_program.groups.get()


@pytest.fixture
def child(personas, group):
    return make_child(personas.family, age_on=group.start_date, age=9)


@pytest.fixture
def application(personas, child, published_program) -> Application:
    return apply(personas.family, child, published_program, None, key())


# Each status reached through the real transitions, from a new application.
PATHS = {
    S.NEW: [],
    S.REVIEWING: ["review"],
    S.INVITED: ["invite"],
    S.ENROLLED: ["invite", "enroll"],
    S.WAITLISTED: ["waitlist"],
    S.REJECTED: ["reject"],
    S.CANCELLED: ["cancel"],
    S.EXPIRED: ["invite", "expire"],
    S.EXPELLED: ["invite", "enroll", "expel"],
}


def actor_for(name: str, personas):
    return {"family": personas.family, "organization": personas.operator_a, "system": None}[TRANSITIONS[name].by]


def walk(application: Application, names: list[str], personas) -> Application:
    for name in names:
        application = change_status(actor_for(name, personas), application, name, reason="Причина")
    return application


def test_applying_creates_a_new_application_with_its_history(personas, child, published_program):
    application = apply(personas.family, child, published_program, None, "k-1")
    assert application.status == S.NEW and application.group is None
    assert list(application.events.values_list("from_status", "to_status")) == [("", S.NEW)]
    assert AuditEvent.objects.filter(action="application.new", object_id=str(application.pk)).exists()


def test_the_same_key_gives_the_same_application_and_a_reused_key_is_refused(personas, child, published_program, group):
    first = apply(personas.family, child, published_program, None, "double-click")
    assert apply(personas.family, child, published_program, None, "double-click") == first
    assert Application.objects.count() == 1
    with pytest.raises(ValidationError, match="уже использован"):
        apply(personas.family, child, published_program, group, "double-click")


@pytest.mark.parametrize(("status", "names"), PATHS.items())
def test_every_transition_is_allowed_exactly_from_its_sources(personas, child, published_program, status, names):
    for name, transition in TRANSITIONS.items():
        Application.objects.all().delete()
        Group.objects.update(seats_taken=0)
        application = walk(apply(personas.family, child, published_program, None, key()), names, personas)
        assert application.status == status
        actor = actor_for(name, personas)
        if status in transition.sources:
            changed = change_status(actor, application, name, reason="Причина")
            assert changed.status == transition.target, (status, name)
            assert changed.events.last().to_status == transition.target
        else:
            with pytest.raises(ValidationError, match="невозможно"):
                change_status(actor, application, name, reason="Причина")
            application.refresh_from_db()
            assert application.status == status, (status, name)


def test_seats_follow_statuses(personas, application, group):
    invited = change_status(personas.operator_a, application, "invite")
    group.refresh_from_db()
    assert invited.group == group and group.seats_taken == 1
    assert invited.deadline is not None and invited.deadline > timezone.now()
    change_status(personas.operator_a, invited, "enroll")
    change_status(personas.operator_a, invited, "expel", reason="Переезд в другой город")
    group.refresh_from_db()
    assert group.seats_taken == 0
    assert invited.events.last().reason == "Переезд в другой город"


def test_a_place_in_the_queue_counts_those_waiting_for_the_same_seats(personas):
    """Seats freed in a group go to those who chose it and to those who asked for «any group» with a
    child of its ages: ahead of a child are those of them queued earlier, not the whole program."""
    program = make_program(personas.org_a, "Шахматы", age_from=7, age_to=12)
    young = program.groups.get()
    Group.objects.filter(pk=young.pk).update(age_from=7, age_to=9, capacity=1, seats_taken=1)
    young.refresh_from_db()
    older = make_group(program, age_from=10, age_to=12, capacity=1)
    Group.objects.filter(pk=older.pk).update(seats_taken=1)

    def queued(name: str, age: int, group: Group | None) -> Application:
        child = make_child(personas.family, name, young.start_date, age=age)
        return change_status(personas.operator_a, apply(personas.family, child, program, group, key()), "waitlist")

    anya = queued("Аня", 8, None)
    borya = queued("Боря", 11, None)
    vika = queued("Вика", 8, young)
    gleb = queued("Глеб", 11, older)
    dasha = queued("Даша", 9, None)
    assert [waitlist_position(a) for a in (anya, borya, vika, gleb, dasha)] == [1, 1, 2, 2, 3]
    Group.objects.filter(pk=young.pk).update(seats_taken=0)
    services.offer_freed_seats(young, timezone.now())
    anya.refresh_from_db()
    assert (anya.status, anya.group) == (S.INVITED, young)  # the first of the young group's queue, as told
    assert [waitlist_position(Application.objects.get(pk=a.pk)) for a in (vika, dasha)] == [1, 2]


def test_a_full_group_refuses_an_invitation_and_the_queue_gets_the_freed_seat(personas, published_program, group):
    Group.objects.filter(pk=group.pk).update(capacity=1)
    first = apply(
        personas.family, make_child(personas.family, "Аня", group.start_date), published_program, group, key()
    )
    second = apply(
        personas.family, make_child(personas.family, "Ваня", group.start_date), published_program, None, key()
    )
    change_status(personas.operator_a, first, "invite")
    with pytest.raises(ValidationError, match=r"В группе «[^»]+» свободных мест нет"):
        change_status(personas.operator_a, second, "invite")
    second = change_status(personas.operator_a, second, "waitlist")
    assert waitlist_position(second) == 1
    change_status(personas.family, first, "cancel")
    second.refresh_from_db()
    assert second.status == S.INVITED and second.group == group  # offered automatically
    assert second.events.last().actor is None  # by the system
    group.refresh_from_db()
    assert group.seats_taken == 1


def test_a_freed_seat_goes_to_the_first_queued_child_the_group_takes(personas, published_program, group):
    low, high = published_program.age_from, published_program.age_to
    Group.objects.filter(pk=group.pk).update(capacity=1, age_from=low, age_to=low + 1)
    make_group(published_program, age_from=low + 2, age_to=high, capacity=1, seats_taken=1)
    start = group.start_date
    holder = apply(personas.family, make_child(personas.family, "Аня", start, low), published_program, group, key())
    change_status(personas.operator_a, holder, "invite")
    queued = [
        change_status(
            personas.operator_a,
            apply(personas.family, make_child(personas.family, name, start, age), published_program, None, key()),
            "waitlist",
        )
        for name, age in (("Петя", low + 3), ("Ваня", low + 1))
    ]
    change_status(personas.family, holder, "cancel")
    older, younger = (Application.objects.get(pk=a.pk) for a in queued)
    assert (older.status, younger.status, younger.group_id) == (S.WAITLISTED, S.INVITED, group.pk)


def test_an_invitation_without_a_group_takes_a_seat_in_one_for_the_childs_age(personas, published_program, group):
    low, high = published_program.age_from, published_program.age_to
    Group.objects.filter(pk=group.pk).update(age_from=low, age_to=low + 1)
    older = make_group(published_program, age_from=low + 2, age_to=high)
    application = apply(
        personas.family,
        make_child(personas.family, age_on=group.start_date, age=low + 2),
        published_program,
        None,
        key(),
    )
    assert change_status(personas.operator_a, application, "invite").group == older
    Group.objects.filter(pk=older.pk).update(age_to=low + 2)
    application = apply(
        personas.family, make_child(personas.family, "Петя", group.start_date, low + 2), published_program, None, key()
    )
    Group.objects.filter(pk=older.pk).update(age_from=high, age_to=high)  # the program's groups changed since
    with pytest.raises(ValidationError, match="Возраст ребёнка не подходит ни одной группе"):
        change_status(personas.operator_a, application, "invite")
    application.refresh_from_db()
    assert (application.status, application.group_id) == (S.NEW, None)


def test_an_unanswered_invitation_expires_and_passes_the_seat_on(personas, published_program, group):
    Group.objects.filter(pk=group.pk).update(capacity=1)
    first = apply(
        personas.family, make_child(personas.family, "Аня", group.start_date), published_program, group, key()
    )
    second = apply(
        personas.family, make_child(personas.family, "Ваня", group.start_date), published_program, group, key()
    )
    change_status(personas.operator_a, first, "invite")
    change_status(personas.operator_a, second, "waitlist")
    assert expire_overdue(timezone.now()) == 0
    assert expire_overdue(timezone.now() + timedelta(days=4)) == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == S.EXPIRED and second.status == S.INVITED


def test_reasons_are_required_for_refusals_and_expulsions(personas, application):
    with pytest.raises(ValidationError, match="причину"):
        change_status(personas.operator_a, application, "reject", reason="  ")
    application.refresh_from_db()
    assert application.status == S.NEW


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("too_young", "ребёнку будет 4 года, а программа — для детей 7–14 лет"),
        ("newborn", "ребёнку будет меньше года, а программа — для детей 7–14 лет"),  # was «-1 год»
        ("closed", "закрыт"),
        ("duplicate", "уже есть действующая заявка"),
        ("limit", "наибольшее число"),
        ("draft", "не опубликована"),
    ],
)
def test_application_checks_explain_themselves(personas, published_program, group, settings, setup, message):
    child = make_child(personas.family, age_on=group.start_date, age=9)
    program = published_program
    if setup == "too_young":
        child = make_child(personas.family, "Тима", group.start_date, age=4)
    elif setup == "newborn":  # born after the group began
        child = make_child(personas.family, "Ника", group.start_date + timedelta(days=60), age=0)
    elif setup == "closed":
        Group.objects.filter(pk=group.pk).update(enrollment_closes_at=timezone.now() - timedelta(days=1))
    elif setup == "duplicate":
        apply(personas.family, child, program, None, key())
    elif setup == "limit":
        settings.OPORA_MAX_ACTIVE_APPLICATIONS = 1
        other = make_program(personas.org_a, "Шахматы")
        apply(personas.family, child, other, None, key())
    elif setup == "draft":
        program = make_program(personas.org_a, "Черновик", status="draft")
    before = Application.objects.count()
    with pytest.raises(ValidationError, match=message):
        apply(personas.family, child, program, None, key())
    assert Application.objects.count() == before


def test_only_the_guardian_applies_and_cancels_and_only_the_organization_decides(personas, child, published_program):
    with pytest.raises(PermissionDenied):
        apply(personas.other_family, child, published_program, None, key())
    application = apply(personas.family, child, published_program, None, key())
    with pytest.raises(PermissionDenied):
        change_status(personas.other_family, application, "cancel")
    for outsider in (personas.operator_b, personas.family, personas.municipal_x, personas.teacher_a):
        with pytest.raises(PermissionDenied):
            change_status(outsider, application, "invite")
    with pytest.raises(PermissionDenied):
        change_status(personas.operator_a, application, "expire")  # only the system expires
    application.refresh_from_db()
    assert application.status == S.NEW and ApplicationEvent.objects.filter(application=application).count() == 1


def test_who_sees_an_application(personas, application):
    visible = {
        persona: scope.restrict(Application.objects.all(), getattr(personas, persona)).exists()
        for persona in (
            "family",
            "other_family",
            "operator_a",
            "operator_b",
            "teacher_a",
            "municipal_x",
            "municipal_y",
            "regional",
            "other_regional",
        )
    }
    assert visible == {
        "family": True,
        "other_family": False,
        "operator_a": True,
        "operator_b": False,
        "teacher_a": False,  # the organization's, but in no group the teacher leads
        "municipal_x": True,
        "municipal_y": False,
        "regional": True,
        "other_regional": False,
    }
    group = application.program.groups.get()
    Group.objects.filter(pk=group.pk).update(
        teacher=Teacher.objects.create(
            organization=personas.org_a, user=personas.teacher_a, last_name="П", first_name="А"
        )
    )
    Application.objects.filter(pk=application.pk).update(group=group)
    assert scope.restrict(Application.objects.all(), personas.teacher_a).exists()
    assert scope.restrict(Child.objects.all(), personas.teacher_a).filter(pk=application.child_id).exists()


def test_a_territorys_applications_are_found_without_reading_programs(personas):
    """The operators' scope reads the application's own copies, along its indexes (see Application)."""
    for persona in (personas.operator_a, personas.teacher_a, personas.municipal_x, personas.regional):
        sql = str(scope.restrict(Application.objects.all(), persona, "office").query)
        assert "catalog_program" not in sql and "territory_municipality" not in sql, sql


def test_an_application_carries_its_programs_organization_and_municipality_and_follows_it(
    personas, child, published_program, group
):
    """The copies that the territory's lists read: set by every way an application is written
    (a family's, an organization's list), moved when a moderator approves the program's move."""
    applied = apply(personas.family, child, published_program, None, key())
    listed = recorded_from_a_list(personas, group)
    other = make_program(personas.org_b, "Шахматы")  # another organization's, in the other municipality
    elsewhere = apply(personas.family, child, other, None, key())
    for application in (applied, listed):
        stored = Application.objects.get(pk=application.pk)
        assert (stored.organization, stored.municipality) == (personas.org_a, personas.municipality_x)
    stored = Application.objects.get(pk=elsewhere.pk)
    assert (stored.organization, stored.municipality) == (personas.org_b, personas.municipality_y)

    published_program.municipality = personas.municipality_y
    save_program(personas.operator_a, published_program)  # held for the moderator: nothing moves yet
    moved = Application.objects.filter(program=published_program)
    assert set(moved.values_list("municipality", flat=True)) == {personas.municipality_x.pk}
    change_program_status(personas.municipal_x, published_program, "approve_changes")
    assert set(moved.values_list("organization", "municipality")) == {(personas.org_a.pk, personas.municipality_y.pk)}
    assert Application.objects.get(pk=elsewhere.pk).organization == personas.org_b
    assert set(scope.restrict(Application.objects.all(), personas.municipal_y)) == {*moved, elsewhere}
    assert not scope.restrict(Application.objects.all(), personas.municipal_x).exists()


def test_a_guardian_sees_the_applications_of_the_children_still_in_their_care(personas, application):
    """By the child, not by who filed: a guardian whose link to the child is removed no longer sees them."""
    assert scope.restrict(Application.objects.all(), personas.family).get() == application
    application.child.guardians.clear()
    assert not scope.restrict(Application.objects.all(), personas.family).exists()


def test_the_database_refuses_an_oversold_group_and_a_seat_without_a_group(personas, application, group):
    with pytest.raises(IntegrityError), transaction.atomic():
        Group.objects.filter(pk=group.pk).update(seats_taken=F("capacity") + 1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Application.objects.filter(pk=application.pk).update(status=S.ENROLLED, group=None)


def test_a_group_of_another_program_is_refused(personas, child, published_program):
    other = make_program(personas.org_a, "Шахматы").groups.get()
    with pytest.raises(ValidationError, match="другой программе"):
        apply(personas.family, child, published_program, other, key())


def test_services_module_lists_every_status_in_some_path():
    targets = {t.target for t in services.TRANSITIONS.values()} | {S.NEW}
    assert targets == set(S.values) == set(PATHS)


def test_transfer_moves_the_seat_and_a_full_group_refuses(personas, application, published_program, group):
    other = make_group(published_program, capacity=1)
    invited = change_status(personas.operator_a, application, "invite", group=group)
    moved = services.transfer(personas.operator_a, invited, other)
    group.refresh_from_db()
    other.refresh_from_db()
    assert moved.group == other and moved.status == S.INVITED
    assert (group.seats_taken, other.seats_taken) == (0, 1)
    assert "Перевод из группы" in moved.events.last().reason
    with pytest.raises(ValidationError, match="уже в этой группе"):
        services.transfer(personas.operator_a, moved, other)
    second = apply(
        personas.family, make_child(personas.family, "Петя", group.start_date), published_program, None, key()
    )
    second = change_status(personas.operator_a, second, "invite", group=group)
    with pytest.raises(ValidationError, match="нет свободных мест"):
        services.transfer(personas.operator_a, second, other)
    second.refresh_from_db()
    assert second.group == group  # nothing changed
    with pytest.raises(PermissionDenied):
        services.transfer(personas.operator_b, second, other)


def test_no_seat_is_taken_in_a_group_switched_off_or_over(personas, application, published_program, group):
    """An application may name a group switched off (or ended) since: the organization invites into
    another, and a transfer goes only to a group that still meets."""
    Group.objects.filter(pk=group.pk).update(is_active=False)
    group.refresh_from_db()
    with pytest.raises(ValidationError, match=f"Группа «{group.name}» не действует"):
        change_status(personas.operator_a, application, "invite", group=group)
    application.refresh_from_db()
    assert application.status == S.NEW and group.seats_taken == 0
    other = make_group(published_program)
    invited = change_status(personas.operator_a, application, "invite", group=other)
    with pytest.raises(ValidationError, match="не действует"):
        services.transfer(personas.operator_a, invited, group)
    ended = make_group(published_program)
    yesterday = timezone.localdate() - timedelta(days=1)
    Group.objects.filter(pk=ended.pk).update(start_date=yesterday - timedelta(days=90), end_date=yesterday)
    ended.refresh_from_db()
    with pytest.raises(ValidationError, match=f"Занятия группы «{ended.name}» закончились"):
        services.transfer(personas.operator_a, invited, ended)
    invited.refresh_from_db()
    assert invited.group == other


def test_the_expiry_command_expires_overdue_invitations(personas, application):
    from io import StringIO

    from django.core.management import call_command

    invited = change_status(personas.operator_a, application, "invite")
    Application.objects.filter(pk=invited.pk).update(deadline=timezone.now() - timedelta(minutes=1))
    out = StringIO()
    call_command("expire_invitations", stdout=out)
    assert "Просрочено приглашений: 1" in out.getvalue()
    invited.refresh_from_db()
    assert invited.status == S.EXPIRED


def test_the_navigator_seat_count_follows_after_commit(
    personas, application, published_program, django_capture_on_commit_callbacks
):
    published_program.refresh_from_db()
    before = published_program.open_seats
    with django_capture_on_commit_callbacks(execute=True):
        change_status(personas.operator_a, application, "invite")
    published_program.refresh_from_db()
    assert published_program.open_seats == before - 1


def test_an_expulsion_has_a_date_not_in_the_future_nor_before_the_enrollment(personas, application):
    enrolled = change_status(personas.operator_a, change_status(personas.operator_a, application, "invite"), "enroll")
    today = timezone.localdate()
    with pytest.raises(ValidationError, match="в будущем"):
        change_status(personas.operator_a, enrolled, "expel", reason="Переезд", left_on=today + timedelta(days=1))
    with pytest.raises(ValidationError, match="раньше даты зачисления"):
        change_status(personas.operator_a, enrolled, "expel", reason="Переезд", left_on=today - timedelta(days=30))
    expelled = change_status(personas.operator_a, enrolled, "expel", reason="Переезд")
    assert expelled.status == S.EXPELLED and expelled.left_on == today


@pytest.mark.skipif("postgresql" not in settings.DATABASES["default"]["ENGINE"], reason="a PostgreSQL constraint")
def test_the_database_refuses_copies_that_differ_from_the_program(personas, application):
    """Checked at commit (deferred: a program's row moves before its applications): a statement that
    moves a program without its save, or changes a copy alone, cannot be committed."""

    def commit_check() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS application_copies_its_program IMMEDIATE")

    with pytest.raises(IntegrityError), transaction.atomic():
        Program.objects.filter(pk=application.program_id).update(municipality=personas.municipality_y)
        commit_check()
    with pytest.raises(IntegrityError), transaction.atomic():
        Application.objects.filter(pk=application.pk).update(organization=personas.org_b)
        commit_check()
    program = Program.objects.get(pk=application.program_id)
    program.municipality = personas.municipality_y
    program.save()  # its applications follow (enrollment.receivers)
    commit_check()
    assert Application.objects.get(pk=application.pk).municipality == personas.municipality_y


def test_a_child_of_the_programs_age_with_no_open_group_for_it_is_told_which_groups_take_applications(
    personas, published_program, group
):
    low = published_program.age_from
    Group.objects.filter(pk=group.pk).update(age_from=low, age_to=low + 1)
    older = make_child(personas.family, "Петя", group.start_date, low + 3)
    with pytest.raises(ValidationError) as refused:
        apply(personas.family, older, published_program, None, key())
    assert refused.value.messages == [
        f"На начало занятий ребёнку будет {low + 3} лет, "
        f"а заявки сейчас принимают группы для детей {low}–{low + 1} лет."
    ]


def test_an_enrollment_from_an_organizations_list_writes_no_letters_to_its_operator(
    personas, group, mailoutbox, django_capture_on_commit_callbacks
):
    """Its applicant is the operator who recorded the list: the expulsion of each child listed is not a letter to
    them (the family never applied here; the organization tells it). A family's own application is written to."""
    listed = recorded_from_a_list(personas, group)
    with django_capture_on_commit_callbacks(execute=True):
        change_status(personas.operator_a, listed, "expel", reason="Переезд")
    assert Application.objects.get(pk=listed.pk).status == S.EXPELLED and mailoutbox == []
    own = apply(
        personas.family, make_child(personas.family, "Маша", age_on=group.start_date), group.program, None, key()
    )
    with django_capture_on_commit_callbacks(execute=True):
        change_status(personas.operator_a, own, "review")
    assert [letter.to for letter in mailoutbox] == [[personas.family.email]]
