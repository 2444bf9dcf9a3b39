"""Demo applications: the demo family's children and other families apply to the programs of the
demo organization, which has already invited, enrolled, queued and refused some of them.
Everything goes through enrollment.services, so seats, queues and histories are real.

The demo family waits for a program whose admission has not opened yet (create_watch), keeps three that
take applications in «Избранное» (create_saved) and is subscribed to two searches' new programs (create_search_alerts).

Then the attendance journals of the academic year so far: the days off, the past lessons of the
groups and the marks of their children, written in bulk (see fill_journals)."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    Min,
    OuterRef,
    Q,
    Value,
    When,
)
from django.db.models.functions import Cast

from accounts.models import Role, RoleAssignment, User
from catalog import services as catalog_services
from catalog.models import Group, ModerationStatus, Organization, Program
from core.bulk import insert_many, insert_selected
from enrollment import admission, journal, search_alerts, shortlist, watches
from enrollment.campaigns import submit_choices
from enrollment.models import (
    AdmissionWatch,
    Application,
    ApplicationStatus,
    Attendance,
    Campaign,
    CampaignKind,
    Holiday,
    Lesson,
    SavedProgram,
    SearchAlert,
)
from enrollment.services import apply, change_status
from people.models import Child
from territory.demo import DemoRandom

REFUSALS = (
    "Группа набрана, по возрасту ребёнок подходит в группу следующего года.",
    "Не представлены документы в срок.",
)


def create_applications(
    rng: DemoRandom, children: Sequence[Child], organization: Organization, operator: User, count: int
) -> list[Application]:
    """Up to `count` applications to `organization`'s programs; the first children (the demo
    family's) come first. Then the organization decides on part of them."""
    programs = list(organization.programs.filter(status=ModerationStatus.PUBLISHED).prefetch_related("groups"))
    if not programs:
        return []
    applications: list[Application] = []
    for child in children:
        if len(applications) >= count:
            break
        guardian = child.guardians.select_related("user").first()
        if guardian is None:
            continue
        for program in rng.sample(programs, min(3, len(programs))):
            try:
                applications.append(apply(guardian.user, child, program, None, rng.uuid4().hex))
                break
            except ValidationError:
                continue  # too young, too old, or enrollment closed: try another program
    for application in applications[2:]:  # the demo family's own two stay «Новая» to be decided live
        decision = rng.weighted((("invite", 0.35), ("enroll", 0.25), ("waitlist", 0.2), ("reject", 0.1), ("", 0.1)))
        try:
            if decision in ("invite", "enroll"):
                change_status(operator, application, "invite")
            if decision == "enroll":
                change_status(operator, application, "enroll")
            if decision in ("waitlist", "reject"):
                reason = rng.choice(REFUSALS) if decision == "reject" else ""
                change_status(operator, application, decision, reason=reason)
        except ValidationError:
            change_status(operator, application, "waitlist")  # the group is full: the queue
    return applications


def hand_groups_to_teacher(teacher: User, organization: Organization, count: int = 2) -> list[Group]:
    """The demo teacher leads the demo organization's groups with the most enrolled children that fit
    the teacher's week, so that the teacher's cabinet opens on real groups with a journal to fill."""
    candidates = (
        Group.objects.filter(program__organization=organization, applications__status=ApplicationStatus.ENROLLED)
        .annotate(enrolled=Count("applications"))
        .select_related("program")
        .prefetch_related("schedule")
        .order_by("-enrolled", "pk")
    )
    # A teacher takes one group at a time (catalog.services): a group meeting when one of the
    # teacher's own groups does would leave that one without a teacher.
    card = teacher.teacher_cards.get(organization=organization)
    taken = list(Group.objects.filter(teacher=card).prefetch_related("schedule"))
    groups: list[Group] = []
    for group in candidates:
        if not any(_meet_at_once(group, other) for other in taken if other.pk != group.pk):
            groups.append(group)
            taken.append(group)
        if len(groups) == count:
            break
    for group in groups:
        group.teacher = card
        group.save(update_fields=["teacher", "updated_at"])
        group.program.teachers.add(card)
    return groups


def _meet_at_once(one: Group, other: Group) -> bool:
    slots = [catalog_services.Slot(s.weekday, s.starts_at, s.ends_at) for g in (one, other) for s in g.schedule.all()]
    return catalog_services.find_overlap(slots) is not None


def create_campaign(
    rng: DemoRandom, organization: Organization, children: Sequence[Child], now: datetime, count: int
) -> Campaign | None:
    """An open preference campaign of the capital for another organization's programs, with the
    ranked choices of up to `count` children: the municipal operator's page and the families' ranking."""
    programs = list(
        Program.objects.filter(organization=organization, status=ModerationStatus.PUBLISHED).order_by("pk")[:4]
    )
    if not programs:
        return None
    campaign = Campaign.objects.create(
        municipality=organization.municipality,
        name=f"Набор в «{organization.short_name}» на второе полугодие",
        kind=CampaignKind.PREFERENCES,
        opens_at=now - timedelta(days=2),
        closes_at=now + timedelta(days=7),
        max_choices=3,
    )
    campaign.programs.set(programs)
    groups = list(Group.objects.current().filter(program__in=programs))
    placed = 0
    for child in children:
        if placed >= count or not groups:
            break
        guardian = child.guardians.select_related("user").first()
        if guardian is None:
            continue
        try:
            submit_choices(guardian.user, campaign, child, rng.sample(groups, min(len(groups), rng.randint(1, 3))))
            placed += 1
        except ValidationError:
            continue  # an age that fits none of the chosen groups
    return campaign


WATCH_CANDIDATES = 20  # programs whose admission is computed to find one to wait for


def create_watch(family: User, now: datetime) -> AdmissionWatch | None:
    """The demo family waits for a program that takes no applications yet: one whose groups open
    later (the short courses of the second half-year open on 1 December) or, once every window of
    the year has opened, one whose admission is closed. The first by code: the same seed, the same."""
    current = Group.objects.current().filter(program=OuterRef("pk"), is_locked=False)
    candidates = admission.with_current_groups(
        Program.objects.filter(status=ModerationStatus.PUBLISHED)
        .filter(
            Exists(current.filter(enrollment_opens_at__gt=now)) | Exists(current.filter(enrollment_closes_at__lte=now))
        )
        .order_by("code")[:WATCH_CANDIDATES]
    )
    by_state: dict[str, Program] = {}
    for program in candidates:
        by_state.setdefault(admission.of_program(program, now).state, program)
    chosen = by_state.get(admission.LATER) or by_state.get(admission.CLOSED)
    return None if chosen is None else watches.watch(family, chosen, now)[0]


SAVED_PROGRAMS = 3


def create_saved(family: User, now: datetime) -> list[SavedProgram]:
    """The demo family keeps in «Избранное» programs that take applications now, none it applied to: the first by
    code, so that the same seed keeps the same."""
    open_now = (
        Group.objects.current().filter(program=OuterRef("pk"), is_locked=False).exclude(enrollment_opens_at__gt=now)
    )
    candidates = admission.with_current_groups(
        Program.objects.filter(status=ModerationStatus.PUBLISHED)
        .filter(Exists(open_now))
        .exclude(applications__applicant=family)
        .order_by("code")[:WATCH_CANDIDATES]
    )
    states = {program: admission.of_program(program, now).state for program in candidates}
    # Those with a free seat first: what a family shortlists before it applies.
    open_ones = [program for program, state in states.items() if state in (admission.APPLY, admission.QUEUE)]
    chosen = sorted(open_ones, key=lambda program: states[program] != admission.APPLY)[:SAVED_PROGRAMS]
    return [shortlist.save(family, program)[0] for program in chosen]


DEMAND = (("бокс", 7), ("робототехника", 4))  # searches other families of the town keep, and how many of them


def create_search_alerts(family: User, now: datetime) -> list[SearchAlert]:
    """The demo family follows two searches in its municipality: «бокс», which the demo catalog has no program for
    (a letter when one is published), and chess for its eldest child's age. Other families of its town keep
    «бокс» and «робототехника» too: the monitoring's «Что ищут семьи» has rows to show."""
    guardian = family.guardian
    where = guardian.municipality.oktmo if guardian.municipality else ""
    eldest = guardian.children.order_by("birth_date").first()
    age = f"&age={eldest.age_on(now.date())}" if eldest else ""
    kept = [search_alerts.keep(family, query, now)[0] for query in (f"q=бокс&municipality={where}", f"q=шахматы{age}")]
    neighbours = list(
        User.objects.filter(guardian__municipality=guardian.municipality)
        .filter(pk__in=RoleAssignment.objects.filter(role=Role.GUARDIAN).values("user"))
        .exclude(pk=family.pk)
        .order_by("pk")[: max(count for _, count in DEMAND)]
    )
    for words, count in DEMAND:
        kept += [search_alerts.keep(user, f"q={words}&municipality={where}", now)[0] for user in neighbours[:count]]
    return kept


# The federal days off of the Labour Code (art. 112) that fall in an academic year, as month, day
# and name. The yearly transfers of days off by the government's decree are left out.
DAYS_OFF = (
    (11, 4, "День народного единства"),
    *((1, day, "Новогодние каникулы") for day in (1, 2, 3, 4, 5, 6, 8)),
    (1, 7, "Рождество Христово"),
    (2, 23, "День защитника Отечества"),
    (3, 8, "Международный женский день"),
    (5, 1, "Праздник Весны и Труда"),
    (5, 9, "День Победы"),
)
# The journals are filled for about this many groups: all the demo organization's, then whole other
# organizations' in a random order. All 3 200 groups of the default demo (670 000 marks) would add
# more than a quarter to its loading time, and the catalog of 100 000 programs would write millions.
JOURNAL_GROUPS = 1200
# Absences: each child misses a share of lessons of its own, most a few in a hundred, one in twenty
# a third: (n, share) — the children whose number leaves a remainder below n when divided by 20 miss
# `share` lessons in 97, the rest MISSED_MOST.
MISSED_SHARES = ((10, 4), (16, 9), (19, 18))
MISSED_MOST = 32
ATTENDANCE_COLUMNS = ("lesson", "application", "present", "marked_by", "marked_at")


@dataclass
class Journals:
    groups: int
    lessons: int
    marks: int


def create_holidays(today: date) -> int:
    """The federal days off of this academic year and the next, of every region (kept by the
    administrator): the journal's lessons skip them."""
    first = catalog_services.academic_year_of(today)
    holidays = [
        Holiday(date=date(year + (month < 9), month, day), name=name)
        for year in (first, first + 1)
        for month, day, name in DAYS_OFF
    ]
    Holiday.objects.bulk_create(holidays)
    return len(holidays)


def fill_journals(rng: DemoRandom, featured: Organization, today: date, limit: int = JOURNAL_GROUPS) -> Journals:
    """The journals of groups that began before today, as their teachers keep them: the lessons of
    the whole timetable, created at once as the journal's page does (the journal's own rule, days off
    skipped), and at every lesson until yesterday a mark for each child enrolled by its day. Today's
    lessons wait for the teacher. Every group of the featured organization (whose teacher signs in),
    elsewhere those with enrolled children."""
    taught = Group.objects.filter(
        Q(program__organization=featured)
        | Exists(Application.objects.filter(group=OuterRef("pk"), status=ApplicationStatus.ENROLLED)),
        start_date__lt=today,
    )
    by_organization: dict[int, list[int]] = defaultdict(list)
    for pk, organization in taught.order_by("pk").values_list("pk", "program__organization"):
        by_organization[organization].append(pk)
    others = sorted(set(by_organization) - {featured.pk})
    chosen: list[int] = []
    for organization in [featured.pk, *rng.sample(others, len(others))]:
        if len(chosen) >= limit:
            break
        chosen += by_organization.get(organization, [])
    days_off: dict[int, set[date]] = {}
    lessons = []
    groups = Group.objects.filter(pk__in=chosen).select_related("program__municipality").prefetch_related("schedule")
    for group in groups.order_by("pk"):
        region = group.program.municipality.region_id
        if region not in days_off:
            days_off[region] = set(journal.holidays_of_regions([region]).values_list("date", flat=True))
        lessons += [
            (group.pk, day, slot.starts_at, slot.ends_at, False)
            for day, slot in journal.timetable(group, days_off[region])
        ]
    insert_many(Lesson, ("group", "date", "starts_at", "ends_at", "is_cancelled"), lessons)
    return Journals(groups=len(chosen), lessons=len(lessons), marks=_mark(chosen, today))


def _mark(groups: Sequence[int], today: date) -> int:
    """Every child enrolled by the day of a past lesson of these groups marked at it, by the group's
    teacher on that day, in one INSERT … SELECT: hundreds of thousands of marks in a second. Who
    missed which lesson comes from the child's own share of misses and a hash of the lesson and the
    enrollment: numbered from the first of this demo (keys go on growing from one reset to the
    next), so the same seed gives the same journal."""
    if not groups:
        return 0
    via = "group__applications__"
    lesson, application, child = (
        F(path) - Value(first)
        for path, first in (
            ("pk", Lesson.objects.filter(group__in=groups).aggregate(first=Min("pk"))["first"]),
            (f"{via}pk", Application.objects.aggregate(first=Min("pk"))["first"]),
            (f"{via}child", Child.objects.aggregate(first=Min("pk"))["first"]),
        )
    )
    marks = (
        Lesson.objects.filter(Q(**{f"{via}status": ApplicationStatus.ENROLLED}) & journal.enrolled_by(F("date"), via))
        .filter(group__in=groups, date__lt=today)
        .annotate(
            kind=ExpressionWrapper(child % 20, output_field=IntegerField()),
            misses=Case(
                *(When(kind__lt=n, then=share) for n, share in MISSED_SHARES),
                default=MISSED_MOST,
                output_field=IntegerField(),
            ),
            # A step below 97 (a prime) from lesson to lesson: each child's draws run through all 97 values.
            draw=ExpressionWrapper(
                (lesson * (application % 89 + 3) + application * 11) % 97, output_field=IntegerField()
            ),
        )
        .order_by()
        .values_list(
            "pk",
            f"{via}pk",
            ExpressionWrapper(Q(draw__gte=F("misses")), output_field=BooleanField()),
            "group__teacher__user",
            Cast("date", DateTimeField()),
        )
    )
    return insert_selected(Attendance, ATTENDANCE_COLUMNS, marks)
