"""The review of a pair of records that may be one child: what the operator's decision rests on,
the queue's lists, and the daily letter to the operators about new pairs. The decisions themselves
(merge, keep apart, reopen) are people.registry's.

Privacy (README, «One record per child»): the page shows the operator each record's origin,
guardians and their contacts, applications and certificate, never the СНИЛС or birth certificate
(only the audited reading of a child's card shows them); a record outside the reader's scope (the
other municipality's, for its municipal operator) is named by its municipality only; and nothing of
the pair, its decision or the other record is ever told to a family.
"""

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, RoleAssignment, User
from core import letters, scope
from core.models import AuditEvent
from people import matching, registry
from people.models import Child, Guardian, MatchCandidate, MatchStatus


@dataclass
class Record:
    """One record of the pair as its reader may see it (`shown`: in the reader's scope)."""

    child: Child
    shown: bool
    guardians: list[Guardian] = field(default_factory=list)
    applications: list[Any] = field(default_factory=list)
    certificate: Any = None

    @property
    def entry(self) -> str:
        return self.child.get_entered_via_display() or "не записано (запись внесена до того, как это стали хранить)"


@dataclass(frozen=True)
class Row:
    """One field of the comparison: the two records' values and what the matching engine made of
    them. A СНИЛС is shown as given or not, never its value."""

    comparison: matching.FieldComparison
    first: Any
    second: Any


def _value(record: Record, key: str) -> Any:
    child = record.child
    if key == "municipality":
        return child.municipality.name
    if key == "snils":
        return "указан" if child.snils_digest else "не указан"
    if key == "sex":
        return child.get_sex_display()
    return getattr(child, key)


@dataclass
class Basis:
    """What a decision on the pair rests on."""

    pair: MatchCandidate
    first: Record
    second: Record
    rows: list[Row]
    probability_now: float  # of the records as they are now (the pair's own is of when it was queued)
    reasons: list[str]
    different_guardians: bool
    # Why the records cannot be merged now (applications to resolve first), "" if they can; only to who
    # reads both records, as the rows: it names the other record's applications.
    refusal: str
    reopenings: list[AuditEvent]
    may_decide: bool
    decider: str  # who decides, for a reader who may not


def _record(child: Child, shown: bool) -> Record:
    if not shown:
        return Record(child, shown)
    applications = list(
        child.applications.select_related("program", "group", "organization").order_by("-created_at")[:50]
    )
    try:
        certificate = child.certificate
    except ObjectDoesNotExist:
        certificate = None
    return Record(child, shown, list(child.guardians.select_related("user")), applications, certificate)


def basis(pair: MatchCandidate, user: Any) -> Basis:
    """The pair as `user` (who may see it: people.permissions) reads it before deciding."""
    children = {
        c.pk: c
        for c in Child.objects.filter(pk__in=[pair.first_id, pair.second_id]).select_related(
            "municipality__region", "entered_by", "entered_organization", "certificate"
        )
    }
    first, second = children[pair.first_id], children[pair.second_id]
    visible = readable_records([pair], user)
    one, other = _record(first, first.pk in visible), _record(second, second.pk in visible)
    family = {g.pk for g in one.guardians}, {g.pk for g in other.guardians}
    may_decide = scope.can(user, pair, "moderate")
    comparison = matching.compare(registry.as_person(first), registry.as_person(second))
    # Field by field only to who reads both: "the surname agrees" would name the other record's child.
    both = one.shown and other.shown
    return Basis(
        pair=pair,
        first=one,
        second=other,
        rows=[Row(field, _value(one, field.key), _value(other, field.key)) for field in comparison.fields]
        if both
        else [],
        probability_now=comparison.probability,
        reasons=reasons(pair, family),
        different_guardians=all(family) and family[0] != family[1],
        refusal=registry.merge_refusal(first, second) if both and pair.status == MatchStatus.PENDING else "",
        reopenings=list(
            AuditEvent.objects.filter(
                object_type=MatchCandidate._meta.label_lower, object_id=str(pair.pk), action="child.pair_reopened"
            ).select_related("actor")
        ),
        may_decide=may_decide,
        decider="" if may_decide else decider(first, second),
    )


def reasons(pair: MatchCandidate, guardians: tuple[set[int], set[int]]) -> list[str]:
    """Why the pair waits for a person rather than being merged or left alone (people.registry); the
    records' guardians (ids) as read for the page."""
    said = []
    if pair.snils_held_elsewhere:
        said.append(
            "СНИЛС, указанный для одной записи, уже был у другой. В реестре одна запись на СНИЛС, поэтому "
            "та запись, где его указали позже, сохранена без него, а пара ждёт проверки по документам — какой "
            "бы ни была вероятность по остальным полям."
        )
    if any(guardians) and guardians[0] != guardians[1]:
        said.append(
            "Одну из записей внесла семья, а другая — не этой семьи. Такие пары не объединяются "
            "автоматически при любой вероятности: имя, дата рождения или СНИЛС не доказывают, что человек — "
            "законный представитель ребёнка."
        )
    probability = _decimal(pair.probability)
    if matching.verdict(pair.probability) == matching.Verdict.REVIEW and not pair.snils_held_elsewhere:
        said.append(
            f"Вероятность совпадения {probability} — между порогом проверки {_decimal(matching.REVIEW_AT)} и "
            f"порогом автоматического объединения {_decimal(matching.AUTO_MERGE_AT)}: сопоставление не уверено, "
            "что это один ребёнок."
        )
    if not said:
        said.append(
            f"Не вероятность совпадения ({probability}): записи объединяли, а объединение отменили, "
            "или пару вернул в очередь оператор."
        )
    return said


def _decimal(value: float) -> str:
    return f"{value:.2f}".replace(".", ",")


def decider(first: Child, second: Child) -> str:
    """Who decides on a pair the reader only sees: the operator whose territory holds both records."""
    if first.municipality.region_id == second.municipality.region_id:
        return "Записи из разных муниципалитетов: решение по паре принимает региональный оператор."
    return "Записи из разных регионов: решение по паре принимает администратор."


# --- The queue's lists ------------------------------------------------------------------------


def readable_records(pairs: Iterable[MatchCandidate], user: Any) -> set[int]:
    """The pairs' records the user may read; the others are named by their municipality only."""
    ids = {pk for pair in pairs for pk in (pair.first_id, pair.second_id)}
    return set(scope.restrict(Child.objects.filter(pk__in=ids), user).values_list("pk", flat=True))


def pairs_of(child: Child, user: Any) -> list[tuple[MatchCandidate, Child]]:
    """The child's pending pairs the user sees (the territory's operators: people.permissions), each
    with its other record."""
    pairs = scope.restrict(registry.pending_review().filter(Q(first=child) | Q(second=child)), user)
    return [(pair, pair.second if pair.first_id == child.pk else pair.first) for pair in pairs]


def to_decide(user: Any) -> QuerySet[MatchCandidate]:
    return scope.restrict(registry.pending_review(), user, "moderate")


def decided_by_others(user: Any) -> QuerySet[MatchCandidate]:
    """Pending pairs the user sees but another operator decides (one record in the user's territory)."""
    return listed(user, MatchStatus.PENDING, may_decide=False)


def decided(user: Any) -> QuerySet[MatchCandidate]:
    """Decided pairs, the latest decision first, with who decided."""
    return (
        scope.restrict(MatchCandidate.objects.exclude(status=MatchStatus.PENDING), user, "view")
        .select_related("first__municipality", "second__municipality", "decided_by")
        .order_by("-decided_at", "-pk")
    )


def listed(user: Any, status: str, may_decide: bool | None = None) -> QuerySet[MatchCandidate]:
    """The pairs of that status the user sees (the queue's lists are cuts of it): those the user decides
    (`may_decide` True), those another operator does (False), or both (None)."""
    if status == MatchStatus.PENDING:
        pairs = scope.restrict(registry.pending_review(), user, "view")
    else:
        pairs = decided(user).filter(status=status)
    if may_decide is None:
        return pairs
    decidable = scope.restrict(MatchCandidate.objects.all(), user, "moderate").values("pk")
    return pairs.filter(pk__in=decidable) if may_decide else pairs.exclude(pk__in=decidable)


def decidable(pairs: Iterable[MatchCandidate], user: Any) -> set[int]:
    """Which of the pairs the user decides (the others the user only reads): one query for a page."""
    ids = [pair.pk for pair in pairs]
    return set(scope.restrict(MatchCandidate.objects.filter(pk__in=ids), user, "moderate").values_list("pk", flat=True))


# --- The daily letter -------------------------------------------------------------------------


def send_digest(day: date) -> int:
    """Tell the operators who decide on the pairs queued on `day` — or sent back to the queue by the
    system then (people.registry: a family's СНИЛС), which no operator asked for either — how many there
    are: one letter an operator, however many pairs and territories (run once a day: `manage.py
    registry_digest`).
    A pair of one municipality is its municipal operators'; of two, the regional operators'; of two
    regions, the administrators'. A territory with no active operator of its own hands its pairs one
    level up — a municipality's to its region's operators, a region's to the administrators, who
    decide there too — or nobody would hear of them. A pair counts once for each reader, however it
    reached them. The letter names no child: a letter is no place for personal data.
    Returns the number of letters."""
    start = timezone.make_aware(datetime.combine(day, time.min))
    that_day = Q(created_at__gte=start, created_at__lt=start + timedelta(days=1))
    reopened = AuditEvent.objects.filter(that_day, action="child.pair_reopened", actor__isnull=True)
    new = list(
        registry.pending_review()
        .filter(that_day | Q(pk__in=[int(pk) for pk in reopened.values_list("object_id", flat=True)]))
        .values_list(
            "first__municipality", "second__municipality", "first__municipality__region", "second__municipality__region"
        )
    )
    municipalities = {first for first, second, _, _ in new if first == second}
    regions = {region for _, _, region, other_region in new if region == other_region}
    municipal: defaultdict[int, set[str]] = defaultdict(set)
    regional: defaultdict[int, set[str]] = defaultdict(set)
    for email, municipality, region in RoleAssignment.objects.filter(
        Q(role=Role.MUNICIPAL_OPERATOR, municipality__in=municipalities)
        | Q(role=Role.REGIONAL_OPERATOR, region__in=regions),
        user__is_active=True,
    ).values_list("user__email", "municipality", "region"):
        if municipality:
            municipal[municipality].add(email)
        else:
            regional[region].add(email)

    @cache
    def administrators() -> frozenset[str]:
        # As accounts.roles counts them: an administrator's role, or a superuser's account.
        admins = User.objects.filter(Q(is_superuser=True) | Q(roles__role=Role.ADMINISTRATOR), is_active=True)
        return frozenset(admins.values_list("email", flat=True))

    pairs: Counter[str] = Counter()
    stood_in: Counter[str] = Counter()  # pairs of a territory without its own operator
    for first, second, first_region, second_region in new:
        readers: Collection[str]
        if first == second and first in municipal:
            readers, own = municipal[first], True
        elif first_region == second_region:
            readers = regional.get(first_region) or administrators()
            own = first != second and first_region in regional
        else:
            readers, own = administrators(), True
        pairs.update(readers)  # a set: each reader counts the pair once
        if not own:
            stood_in.update(readers)
    for email, count in pairs.items():
        body = f"За {day:%d.%m.%Y} в очередь возможных дубликатов добавлено пар: {count}."
        if stood_in[email]:
            body += (
                f" Из них {stood_in[email]} — из муниципалитетов или регионов, где нет своего оператора: "
                "решение по ним за вами."
            )
        letters.send_after_commit(
            [email],
            "Реестр детей: новые пары на проверке",
            f"{body} Сравните записи и решите, один ли это ребёнок.",
            reverse("registry:review_queue"),
        )
    return len(pairs)
