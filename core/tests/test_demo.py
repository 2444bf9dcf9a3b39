"""The demo generator: sizes as asked, valid data, the same data from the same seed, safe reruns."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Exists, F, OuterRef
from django.urls import reverse
from django.utils import timezone

from accounts.demo import DEMO_PASSWORD
from accounts.models import Role, RoleAssignment, User
from catalog.demo import CHANGED_SUMMARY
from catalog.models import Direction, Group, ModerationStatus, Organization, OrganizationKind, Program
from catalog.search import SearchParams, search_programs
from catalog.services import academic_year_of, refresh_program_groups
from core.models import AuditEvent
from core.validators import is_valid_inn, is_valid_ogrn
from enrollment import admission, journal, search_alerts, shortlist, watches
from enrollment.models import AdmissionWatch, Application, ApplicationSource, Attendance, Campaign, Holiday, Lesson
from enrollment.models import ApplicationStatus as S
from finance.models import Contract
from finance.reconcile import reconcile
from finance.testing import frozen_clock
from people.models import Child, Guardian, Teacher
from territory.models import ChildPopulation, Municipality

SIZE = [
    "--municipalities",
    "3",
    "--organizations",
    "40",
    "--programs",
    "300",
    "--children",
    "60",
    "--registry-share",
    "0.05",
]

pytestmark = pytest.mark.django_db


def load(*extra: str) -> str:
    out = StringIO()
    call_command("load_demo", *SIZE, *extra, stdout=out)
    return out.getvalue()


def snapshot() -> list[tuple[str, str, str]]:
    return list(Program.objects.order_by("code").values_list("code", "title", "organization__short_name"))


def journals() -> list[tuple[object, ...]]:
    marks = Attendance.objects.values_list(
        "lesson__group__code", "lesson__date", "lesson__starts_at", "application__child__uuid", "present"
    )
    return sorted(marks)


def test_sizes_are_as_asked_and_registration_numbers_valid():
    output = load()
    assert Municipality.objects.count() == 3
    assert Organization.objects.count() == 40
    assert Program.objects.count() == 300
    families = Child.objects.filter(guardians__isnull=False).distinct()
    assert families.count() == 60
    assert ChildPopulation.objects.filter(age=10).count() == 3 * 5  # five years of population per municipality
    assert Teacher.objects.exists() and Guardian.objects.exists()
    for inn, ogrn, kind in Organization.objects.values_list("inn", "ogrn", "kind"):
        assert is_valid_inn(inn), inn
        assert is_valid_ogrn(ogrn), ogrn
        assert len(inn) == (12 if kind == OrganizationKind.ENTREPRENEUR else 10)
    assert "admin@demo.opora" in output and DEMO_PASSWORD in output
    assert AuditEvent.objects.filter(action="demo.loaded").count() == 1
    assert Contract.objects.exists() and reconcile() == []  # the financing demo, its ledger balanced


def test_catalog_is_searchable_and_consistent():
    load("--programs", "1200", "--organizations", "60")
    published = Program.objects.filter(status=ModerationStatus.PUBLISHED)
    assert set(published.values_list("direction", flat=True)) == set(Direction.values)
    assert not published.annotate(n=Count("groups")).filter(n=0).exists()
    assert not Group.objects.filter(seats_taken__gt=0).exclude(capacity__gte=1).exists()
    # Nobody is enrolled in a program families have never seen.
    never_published = [ModerationStatus.DRAFT, ModerationStatus.MODERATING, ModerationStatus.NEEDS_CHANGES]
    assert Group.objects.filter(program__status__in=never_published).exists()
    assert not Group.objects.filter(program__status__in=never_published, seats_taken__gt=0).exists()
    # The denormalized seats and weekdays are what a fresh recount gives.
    before = sorted(Program.objects.values_list("pk", "open_seats", "weekdays_mask"))
    refresh_program_groups()
    assert sorted(Program.objects.values_list("pk", "open_seats", "weekdays_mask")) == before
    assert Program.objects.filter(open_seats__gt=0).exists()
    # A real organization names a teacher for every group: one of its own, among the program's teachers.
    assert not Group.objects.filter(teacher__isnull=True).exists()
    assert not Group.objects.exclude(teacher__organization=F("program__organization")).exists()
    listed = Program.teachers.through.objects.filter(program=OuterRef("program"), teacher=OuterRef("teacher"))
    assert not Group.objects.exclude(Exists(listed)).exists()
    # The operator's edit of a published program waits for the moderator; families still read the approved text.
    changed = Program.objects.get(revision__status=ModerationStatus.MODERATING)
    assert changed.status == ModerationStatus.PUBLISHED
    assert changed.revision.values["summary"].endswith(CHANGED_SUMMARY)
    assert not changed.summary.endswith(CHANGED_SUMMARY)
    result = search_programs(SearchParams(q="робототехнике"))
    assert result.total > 0
    assert all("робот" in p.title.lower() or "робот" in p.summary.lower() for p in result.programs[:5])


def test_every_role_has_an_account_that_signs_in(client):
    load()
    roles = dict(RoleAssignment.objects.filter(user__email__endswith="@demo.opora").values_list("user__email", "role"))
    assert set(roles.values()) == set(Role.values)
    assert client.login(email="operator@demo.opora", password=DEMO_PASSWORD)
    operator_org = RoleAssignment.objects.get(user__email="operator@demo.opora").organization
    assert operator_org is not None
    statuses = set(operator_org.programs.values_list("status", flat=True))
    assert {ModerationStatus.PUBLISHED, ModerationStatus.MODERATING, ModerationStatus.NEEDS_CHANGES} <= statuses
    moderating = operator_org.programs.filter(status=ModerationStatus.MODERATING)
    assert not moderating.filter(submitted_at=None).exists()  # the queue shows when each was sent
    teacher = User.objects.get(email="teacher@demo.opora").teacher_cards.get()
    assert teacher.organization == operator_org
    # The teacher's cabinet opens on groups with enrolled children, whose journal is there to fill.
    assert Group.objects.filter(teacher=teacher, applications__status=S.ENROLLED).exists()
    assert Contract.objects.filter(provider__organization=operator_org, status="created").exists()  # to confirm
    family = User.objects.get(email="family@demo.opora").guardian
    assert family.children.count() == 2
    # The family waits for a program whose admission has not opened yet (enrollment.demo.create_watch).
    watched = AdmissionWatch.objects.get(user=family.user).program
    current = admission.with_current_groups(Program.objects.filter(pk=watched.pk)).get()
    assert admission.of_program(current, timezone.now()).state in watches.WATCHABLE_STATES
    # It keeps three programs that take applications in «Избранное» (enrollment.demo.create_saved).
    kept = shortlist.saved_of(family.user)
    assert len(kept) == 3 and all(saved.admission.takes_applications for saved in kept)
    # It follows two searches' new programs, one the demo catalog has nothing for (enrollment.demo).
    followed = search_alerts.alerts_of(family.user)
    assert sorted(alert.params.q for alert in followed) == ["бокс", "шахматы"]
    assert all(alert.params.municipality or alert.params.age for alert in followed)
    # Other families of its town keep «бокс» too: the monitoring's «Что ищут семьи» shows it, found nowhere.
    town = family.municipality
    wanted = {d.words: (d.families, d.found_now) for d in search_alerts.demand([town.pk])}
    assert wanted["бокс"] == (8, 0) and wanted["робототехника"][0] == 4 and wanted["робототехника"][1] > 0
    # The demo organization's queue shows decisions made through the real actions.
    queue = Application.objects.filter(program__organization=operator_org, source=ApplicationSource.NAVIGATOR)
    assert queue.exists()
    # Other organizations' navigator applications are only those of the financing demo's contracts.
    elsewhere = Application.objects.filter(source=ApplicationSource.NAVIGATOR).exclude(
        program__organization=operator_org
    )
    assert not elsewhere.filter(contracts__isnull=True).exists()
    assert {S.NEW, S.INVITED, S.ENROLLED} <= set(queue.values_list("status", flat=True))
    assert all(a.events.exists() for a in queue)
    campaign = Campaign.objects.get()  # another organization of the capital recruits by preferences
    assert campaign.programs.exclude(organization=operator_org).exists() and campaign.choices.exists()
    # Generated guardians cannot sign in: only the printed demo accounts can.
    other = Guardian.objects.exclude(pk=family.pk).first()
    assert other is not None and not other.user.has_usable_password()


def test_the_journals_are_kept_until_yesterday_from_each_childs_enrollment(client):
    """In the middle of an academic year the teacher opens journals kept since September: the
    timetable's lessons without the days off, every child marked from the day of enrollment."""
    year = academic_year_of(timezone.localdate())
    with frozen_clock(date(year, 11, 18)):
        load()
        today = timezone.localdate()
        days_off = set(Holiday.objects.filter(region=None).values_list("date", flat=True))
        assert {date(year, 11, 4), date(year + 1, 1, 1), date(year + 1, 5, 9)} <= days_off
        teacher = User.objects.get(email="teacher@demo.opora").teacher_cards.get()
        groups = Group.objects.filter(teacher=teacher, start_date__lt=today).prefetch_related("schedule")
        assert groups
        for group in groups:
            # The whole timetable, as the journal's own rule gives it: nothing to add, no day off.
            assert journal.generate_lessons(group) == 0
            lessons = list(group.lessons.all())
            assert lessons and not days_off & {lesson.date for lesson in lessons}
            for lesson in lessons:
                marked = set(lesson.attendance.values_list("application", flat=True))
                due = {a.pk for a in journal.enrolled(group, on=lesson.date)} if lesson.date < today else set()
                assert marked == due, lesson
        marks = Attendance.objects.all()
        assert 0.8 < marks.filter(present=True).count() / marks.count() < 0.97  # mostly there, some absent
        assert not marks.filter(application__enrolled_on__gt=F("lesson__date")).exists()
        assert not marks.exclude(application__status=S.ENROLLED).exists()
        assert not marks.exclude(application__group=F("lesson__group")).exists()
        held = Lesson.objects.filter(group__in=groups, attendance__isnull=False).latest("date", "starts_at")
        client.force_login(teacher.user)
        url = reverse("journal:group", args=[held.group.code]) + f"?month={held.date:%Y-%m}&lesson={held.pk}"
        page = client.get(url).content.decode()
        assert "отмечено" in page and " checked" in page


def test_same_seed_gives_same_catalog_and_rerun_needs_reset():
    load("--seed", "7")
    first, marks = snapshot(), journals()
    with pytest.raises(CommandError, match="--reset"):
        load("--seed", "7")
    assert snapshot() == first  # the refused run changed nothing
    load("--seed", "7", "--reset")
    assert snapshot() == first
    assert journals() == marks  # the same absences, though the keys went on growing
    load("--seed", "8", "--reset")
    assert snapshot() != first
    assert User.objects.filter(email="admin@demo.opora").count() == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--municipalities", "0"], "Муниципалитетов может быть"),
        (["--municipalities", "3", "--organizations", "4"], "вдвое больше"),
        (["--programs", "0"], "хотя бы одна программа"),
    ],
)
def test_bad_sizes_are_refused_in_russian(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("load_demo", *args, stdout=StringIO())
    assert not Organization.objects.exists()
