"""The review of a pair of records that may be one child: what the operator's decision rests on,
the queue's lists, and the daily letter to the operators about new pairs. The decisions themselves
(merge, keep apart, reopen) are people.registry's.

Privacy (README, «One record per child»): the page shows the operator each record's origin,
guardians and their contacts, applications and certificate, never the СНИЛС or birth certificate
(only the audited reading of a child's card shows them); a record outside the reader's scope (the
other municipality's, for its municipal operator) is named by its municipality only; and nothing of
the pair, its decision or the other record is ever told to a family.
"""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, RoleAssignment
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
    refusal: str  # why the records cannot be merged now (applications to resolve first), "" if they can
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
    return Basis(
        pair=pair,
        first=one,
        second=other,
        # Field by field only to who reads both: "the surname agrees" would name the other record's child.
        rows=[Row(field, _value(one, field.key), _value(other, field.key)) for field in comparison.fields]
        if one.shown and other.shown
        else [],
        probability_now=comparison.probability,
        reasons=reasons(pair, first, second),
        different_guardians=all(family) and family[0] != family[1],
        refusal=registry.merge_refusal(first, second) if pair.status == MatchStatus.PENDING else "",
        reopenings=list(
            AuditEvent.objects.filter(
                object_type=MatchCandidate._meta.label_lower, object_id=str(pair.pk), action="child.pair_reopened"
            ).select_related("actor")
        ),
        may_decide=may_decide,
        decider="" if may_decide else decider(first, second),
    )


def reasons(pair: MatchCandidate, first: Child, second: Child) -> list[str]:
    """Why the pair waits for a person rather than being merged or left alone (people.registry)."""
    said = []
    if pair.snils_held_elsewhere:
        said.append(
            "СНИЛС, указанный для одной записи, уже был у другой. В реестре одна запись на СНИЛС, поэтому "
            "новая запись сохранена без него, а пара ждёт проверки по документам — какой бы ни была "
            "вероятность по остальным полям."
        )
    guardians = [set(child.guardians.values_list("pk", flat=True)) for child in (first, second)]
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
    decidable = scope.restrict(MatchCandidate.objects.all(), user, "moderate").values("pk")
    return scope.restrict(registry.pending_review(), user, "view").exclude(pk__in=decidable)


def decided(user: Any) -> QuerySet[MatchCandidate]:
    """Decided pairs, the latest decision first, with who decided."""
    return (
        scope.restrict(MatchCandidate.objects.exclude(status=MatchStatus.PENDING), user, "view")
        .select_related("first__municipality", "second__municipality", "decided_by")
        .order_by("-decided_at", "-pk")
    )


# --- The daily letter -------------------------------------------------------------------------


def send_digest(day: date) -> int:
    """Tell the operators who decide on the pairs queued on `day` how many there are: one letter an
    operator, however many pairs and territories (run once a day: `manage.py registry_digest`).
    A pair of one municipality is its municipal operators'; of two, the regional operators'; of two
    regions, the administrators'. The letter names no child: a letter is no place for personal data.
    Returns the number of letters."""
    start = timezone.make_aware(datetime.combine(day, time.min))
    new = registry.pending_review().filter(created_at__gte=start, created_at__lt=start + timedelta(days=1))
    municipal: Counter[int] = Counter()
    regional: Counter[int] = Counter()
    across_regions = 0
    for first, second, first_region, second_region in new.values_list(
        "first__municipality", "second__municipality", "first__municipality__region", "second__municipality__region"
    ):
        if first == second:
            municipal[first] += 1
        elif first_region == second_region:
            regional[first_region] += 1
        else:
            across_regions += 1
    whose = Q(role=Role.MUNICIPAL_OPERATOR, municipality__in=list(municipal)) | Q(
        role=Role.REGIONAL_OPERATOR, region__in=list(regional)
    )
    if across_regions:
        whose |= Q(role=Role.ADMINISTRATOR)
    pairs: Counter[str] = Counter()
    for email, role, municipality, region in RoleAssignment.objects.filter(whose, user__is_active=True).values_list(
        "user__email", "role", "municipality", "region"
    ):
        if role == Role.MUNICIPAL_OPERATOR:
            pairs[email] += municipal[municipality]
        elif role == Role.REGIONAL_OPERATOR:
            pairs[email] += regional[region]
        else:
            pairs[email] += across_regions
    for email, count in pairs.items():
        letters.send_after_commit(
            [email],
            "Реестр детей: новые пары на проверке",
            f"За {day:%d.%m.%Y} в очередь возможных дубликатов добавлено пар: {count}. Сравните записи "
            "и решите, один ли это ребёнок.",
            reverse("registry:review_queue"),
        )
    return len(pairs)
