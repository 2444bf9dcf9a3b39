"""The registry of children: one record per real child.

Every child that enters Opora — added by a family, imported by an organization — goes through
`register_child`. A СНИЛС already in the registry means the same child, whatever the names say.
Otherwise the record is compared with the living records born on a nearby date
(people.matching): a sure match is merged at once, an uncertain one waits for a municipal
operator in the review queue. A merge moves everything that refers to the duplicate onto the
surviving record and remembers what it moved, so that it can be undone.

A parent adding a child is never handed a record outside the family by a match: a merge gives the
parent that child's applications, contracts and details, and a name with a birth date (or a СНИЛС)
is no proof of being its legal representative. The family's record is kept, and every record it
matches waits for the municipal operator, who checks the documents before merging. The other way
round too: a record a family entered is unverified, so an organization's entry matching it (by its
details or its СНИЛС) is not merged into it either — a parent who typed a child first would read the
organization's record of it — but waits for the same check.
"""

from dataclasses import dataclass, field
from typing import Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import ForeignObjectRel
from django.utils import timezone
from rapidfuzz.distance import OSA

from accounts.roles import principal_of
from catalog.models import Organization
from core import audit, latin, scope
from core.validators import normalize_snils
from people import identity, matching
from people.models import Child, ChildMerge, EntryChannel, Guardian, MatchCandidate, MatchStatus

# Fields a survivor takes from the duplicate when its own are empty (the duplicate knew more).
FILLABLE_FIELDS = (
    "patronymic",
    "snils_cipher",
    "snils_digest",
    "birth_certificate_cipher",
    "birth_certificate_digest",
    # What either record says of the child's needs stays said (the survivor is the older record).
    "has_ovz",
    "has_disability",
)


@dataclass
class Registration:
    """What registering a child ended in: the record to use from now on, and how it was found."""

    child: Child
    created: bool
    merged: ChildMerge | None = None
    review: list[MatchCandidate] = field(default_factory=list)
    already_guardian: bool = False  # the parent adding the child was already its legal representative
    snils_held_elsewhere: bool = False  # the parent's СНИЛС is another record's: kept there, the pair reviewed
    # The family's own record typed again: the identifiers typed with it that it lacked, now stored.
    identifiers_added: list[str] = field(default_factory=list)


class TypedAgainError(ValidationError):
    """A parent adds a child that may be one the family already has, with a detail mistyped: the
    family corrects that child's card, or confirms it is another child. Only the family's own record
    is ever named here; matches outside the family wait for the municipal operator unsaid."""

    def __init__(self, child: Child) -> None:
        self.child = child
        super().__init__(
            {
                "another_child": f"В вашем кабинете уже есть {child.first_name}, дата рождения "
                f"{child.birth_date:%d.%m.%Y}, — возможно, это тот же ребёнок. Если так, исправьте его данные "
                "в кабинете («Исправить данные»), а не добавляйте ребёнка снова. Если это другой ребёнок, "
                "подтвердите: «Это другой ребёнок»."
            }
        )


def set_identifiers(child: Child, *, snils: str = "", birth_certificate: str = "") -> None:
    """Validate and protect the identifiers typed for a child (not saved here)."""
    errors: dict[str, str] = {}
    if snils.strip():
        try:
            child.snils_digest = identity.snils_digest(snils)
            child.snils_cipher = identity.encrypt(identity.format_snils(normalize_snils(snils)))
        except ValidationError as error:
            errors["snils"] = error.messages[0]
    if birth_certificate.strip():
        try:
            child.birth_certificate_digest = identity.birth_certificate_digest(birth_certificate)
            child.birth_certificate_cipher = identity.encrypt(" ".join(birth_certificate.upper().split()))
        except ValidationError as error:
            errors["birth_certificate"] = error.messages[0]
    if errors:
        raise ValidationError(errors)


# Why a pair judged two children waits again (the audit log, the pair's page): not an operator's reason.
FAMILYS_SNILS_REOPENS = "Семья указала СНИЛС, который есть в другой записи."
SNILS_RECORDED = "СНИЛС уже указан; исправить его может опорный центр."
# The other record is not named: it is outside the family.
SNILS_CHECKED = (
    "Этот СНИЛС опорный центр уже сверил: он записан у другого ребёнка. Проверьте номер по документу или "
    "обратитесь в опорный центр."
)
BIRTH_CERTIFICATE_RECORDED = "Свидетельство о рождении уже указано; исправить его может опорный центр."


@dataclass
class IdentifiersAdded:
    """What a family's identifiers ended in: the kinds stored, and whether the СНИЛС was another record's."""

    added: list[str] = field(default_factory=list)  # "snils", "birth_certificate"
    snils_held_elsewhere: bool = False  # kept off the record, the pair queued, as register_child does


@transaction.atomic
def add_identifiers(actor: Any, child: Child, *, snils: str = "", birth_certificate: str = "") -> IdentifiersAdded:
    """A family gives identifiers its child's record lacks: skipped when the child was added, or a СНИЛС
    set aside then as another record's. One already recorded is not replaced (a family's word is no
    document: the operator corrects it). A СНИЛС another living record holds is refused naming the
    family's own child; outside the family it is kept off this record and the pair waits for the
    municipal operator, as `register_child` does, the other record never named — a pair judged two children
    before is reopened, for the family is told the records will be checked; unless the operator judged it so
    knowing this record was given that СНИЛС: then the СНИЛС is refused (`_snils_refusal`). The birth
    certificate is only kept (matching does not read it), so it is stored whenever the record has none."""
    if not scope.can(actor, child, "change"):  # the family's children: people.permissions
        raise PermissionDenied("СНИЛС и свидетельство о рождении указывает законный представитель ребёнка.")
    current = Child.objects.select_for_update().get(pk=child.pk)
    if current.merged_into_id:
        raise ValidationError("Эта запись объединена с другой записью ребёнка; обновите страницу.")
    typed = Child()
    errors: dict[str, str] = {}
    try:
        set_identifiers(typed, snils=snils, birth_certificate=birth_certificate)
    except ValidationError as error:
        errors = _first_messages(error)
    if snils.strip() and current.snils_digest:
        errors["snils"] = SNILS_RECORDED
    if birth_certificate.strip() and current.birth_certificate_digest:
        errors["birth_certificate"] = BIRTH_CERTIFICATE_RECORDED
    held_by = _snils_holder(current, typed.snils_digest) if "snils" not in errors and typed.snils_digest else None
    if held_by is not None and (refusal := _snils_refusal(actor, current, held_by)):
        errors["snils"] = refusal
    if errors:
        raise ValidationError(errors)
    result = IdentifiersAdded()
    if typed.snils_digest and held_by is None:
        child.snils_digest, child.snils_cipher = typed.snils_digest, typed.snils_cipher
        held_by = _saved_unless_held(child, ["snils_digest", "snils_cipher", "updated_at"])
        if held_by is None:
            result.added.append("snils")
        else:  # held elsewhere after all
            child.snils_digest, child.snils_cipher = "", ""
            if refusal := _snils_refusal(actor, current, held_by):
                raise ValidationError({"snils": refusal})
    if typed.birth_certificate_digest:
        child.birth_certificate_digest = typed.birth_certificate_digest
        child.birth_certificate_cipher = typed.birth_certificate_cipher
        child.save(update_fields=["birth_certificate_digest", "birth_certificate_cipher", "updated_at"])
        result.added.append("birth_certificate")
    if held_by is not None:
        _queue_pair(current, held_by, 1.0, snils_held_elsewhere=True, reopen=FAMILYS_SNILS_REOPENS)
        result.snils_held_elsewhere = True
    if result.added or result.snils_held_elsewhere:
        # The kinds, never the values: personal data.
        audit.record(
            actor,
            "child.identifiers_added",
            child,
            identifiers=result.added,
            snils_held_elsewhere=result.snils_held_elsewhere,
        )
    return result


CORRECTION_REASON_MAX = 500
CORRECTION_REASON_MISSING = "Укажите причину исправления: например, с каким документом сверено."
IDENTIFIER_KINDS = ("snils", "birth_certificate")
# What a correction did to each identifier it changed: the audit log and the answers say it, never the values.
Change = Literal["added", "replaced", "cleared"]


class _SnilsHeldElsewhereError(Exception):
    """The СНИЛС a correction gives is another living record's: nothing is changed (raised inside the
    transaction, it undoes it), and the pair is queued after it (`correct_identifiers`)."""

    def __init__(self, holder: Child, errors: dict[str, str]) -> None:
        self.holder, self.errors = holder, errors


def correct_identifiers(
    actor: Any, child: Child, *, snils: str | None = None, birth_certificate: str | None = None, reason: str
) -> dict[str, Change]:
    """The territory's operator sets, replaces or clears ("") a child's СНИЛС and birth certificate from the
    documents; None leaves one as it is. A family's word only fills what the record lacks (`add_identifiers`);
    this is who corrects what is recorded. Why goes to the audit log with what changed, never the values.
    Returns what changed ({} when the record already says the same). A СНИЛС another living record holds
    is refused at the field, that record named as the pair pages name it, and the pair is queued (kept
    though the correction is refused: the refusal points to it) — one record per СНИЛС, merged if one child."""
    if not scope.can(actor, child, "moderate"):  # the territory's operators: people.permissions
        raise PermissionDenied("СНИЛС и свидетельство о рождении исправляет опорный центр территории ребёнка.")
    try:
        return _correct_identifiers(actor, child, snils=snils, birth_certificate=birth_certificate, reason=reason)
    except _SnilsHeldElsewhereError as held:
        with transaction.atomic():
            pair = _queue_pair(child, held.holder, 1.0, snils_held_elsewhere=True)
        raise ValidationError({**held.errors, "snils": _held_elsewhere(actor, held.holder, pair)}) from None


@transaction.atomic
def _correct_identifiers(
    actor: Any, child: Child, *, snils: str | None, birth_certificate: str | None, reason: str
) -> dict[str, Change]:
    current = Child.objects.select_for_update().get(pk=child.pk)
    if current.merged_into_id:
        raise ValidationError("Эта запись объединена с другой записью ребёнка: исправляйте ту запись.")
    wanted = {"snils": snils, "birth_certificate": birth_certificate}
    given = {kind: value for kind, value in wanted.items() if value is not None}
    if not given:
        raise ValidationError("Укажите, что исправить: СНИЛС, свидетельство о рождении или оба.")
    typed = Child()
    errors: dict[str, str] = {}
    try:
        set_identifiers(typed, **given)
    except ValidationError as error:
        errors = _first_messages(error)
    try:
        reason = _reason(reason, CORRECTION_REASON_MISSING, CORRECTION_REASON_MAX)
    except ValidationError as error:
        errors.update(_first_messages(error))
    changes: dict[str, Change] = {}
    for kind in [kind for kind in given if kind not in errors]:
        # Compared as stored, in clear: a birth certificate written otherwise (letters, separators) is a change.
        old = identity.decrypt(getattr(current, f"{kind}_cipher"))
        new = identity.decrypt(getattr(typed, f"{kind}_cipher"))
        if old != new:
            changes[kind] = "cleared" if not new else "replaced" if old else "added"
    if changes.get("snils") in ("added", "replaced") and (held_by := _snils_holder(current, typed.snils_digest)):
        raise _SnilsHeldElsewhereError(held_by, errors)
    if errors:
        raise ValidationError(errors)
    if not changes:
        return changes
    fields = [f"{kind}_{part}" for kind in IDENTIFIER_KINDS if kind in changes for part in ("digest", "cipher")]
    for name in fields:
        setattr(current, name, getattr(typed, name))
    if (holder := _saved_unless_held(current, [*fields, "updated_at"])) is not None:
        raise _SnilsHeldElsewhereError(holder, errors)
    for name in (*fields, "updated_at"):  # the caller's copy says what is stored now
        setattr(child, name, getattr(current, name))
    audit.record(actor, "child.identifiers_corrected", child, identifiers=changes, reason=reason)
    return changes


def _held_elsewhere(actor: Any, holder: Child, pair: MatchCandidate) -> str:
    """The refusal of a СНИЛС another record holds: that record named to whoever may read it, as the pair
    pages name it (people.review), else by its municipality only; and where the pair is decided."""
    if scope.can(actor, holder, "view"):
        named = f"{holder.full_name}, {holder.birth_date:%d.%m.%Y}, {holder.municipality.name}"
    else:
        named = f"запись муниципалитета «{holder.municipality.name}»"
    if pair.status == MatchStatus.DISTINCT:
        then = (
            "Эти записи уже признаны разными детьми: проверьте номер. Если решение ошибочно, верните пару в очередь "
            "на её странице."
        )
    else:
        then = (
            "В реестре одна запись на СНИЛС: если это один ребёнок, записи объединяют в очереди возможных "
            "дубликатов — пара ждёт решения там; если СНИЛС ошибочен в той записи, сначала исправляют его в ней."
        )
    return f"Этот СНИЛС указан в другой записи реестра: {named}. {then}"


def _snils_holder(child: Child, digest: str) -> Child | None:
    return Child.objects.living().exclude(pk=child.pk).filter(snils_digest=digest).first()


def _saved_unless_held(record: Child, fields: list[str]) -> Child | None:
    """Save these fields of a record with a СНИЛС checked as free: None, or the living record that took the
    СНИЛС since the check (the database keeps one living record per СНИЛС), nothing saved."""
    try:
        with transaction.atomic():
            record.save(update_fields=fields)
    except IntegrityError:
        return Child.objects.living().exclude(pk=record.pk).get(snils_digest=record.snils_digest)
    return None


def _first_messages(error: ValidationError) -> dict[str, str]:
    """Field → its first message: one reason a field is refused, as the pages and the API show them."""
    return {name: messages[0] for name, messages in error.message_dict.items()}


def _snils_refusal(actor: Any, child: Child, holder: Child) -> str:
    """Why a family may not give its `child` the СНИЛС `holder` holds; "" when the pair is to wait for the
    operator instead. The family's own child holds it (named); or the operator judged the pair two children
    knowing this record was given the СНИЛС the other holds — the pair said so (`snils_held_elsewhere`, which
    a decided pair keeps as it was when decided): reopened for it again, the pair would come back to the
    operator each time the family types it, the family told each time that the records will be checked."""
    if refusal := _familys_own_snils(actor, holder):
        return refusal
    first, second = sorted((child.pk, holder.pk))
    checked = MatchCandidate.objects.filter(
        first_id=first, second_id=second, status=MatchStatus.DISTINCT, snils_held_elsewhere=True
    )
    return SNILS_CHECKED if checked.exists() else ""


def _familys_own_snils(actor: Any, holder: Child) -> str:
    """The refusal naming the family's own child that holds the СНИЛС; "" for a record outside the family,
    which is never named."""
    if not scope.can(actor, holder, "change"):
        return ""
    return (
        f"Этот СНИЛС уже указан у вашего ребёнка: {holder.first_name}, дата рождения {holder.birth_date:%d.%m.%Y}. "
        "Проверьте номер: у каждого ребёнка свой СНИЛС."
    )


def as_person(child: Child) -> matching.Person:
    return matching.Person(
        id=child.pk or 0,
        last_name=child.last_name,
        first_name=child.first_name,
        patronymic=child.patronymic,
        birth_date=child.birth_date,
        sex=child.sex,
        municipality_id=child.municipality_id,
        snils_digest=child.snils_digest,
    )


def scored_candidates(child: Child) -> list[tuple[Child, float]]:
    """Living records that may be this child, most likely first (pairs judged distinct excluded)."""
    nearby = Child.objects.living().filter(birth_date__in=matching.candidate_birth_dates(child.birth_date))
    distinct = set(
        MatchCandidate.objects.filter(status=MatchStatus.DISTINCT)
        .filter(models.Q(first=child) | models.Q(second=child))
        .values_list("first_id", "second_id")
    )
    me = as_person(child)
    scored = []
    for other in nearby.exclude(pk=child.pk):
        if (min(child.pk, other.pk), max(child.pk, other.pk)) in distinct:
            continue
        probability = matching.match_probability(me, as_person(other))
        if probability >= matching.REVIEW_AT:
            scored.append((other, probability))
    return sorted(scored, key=lambda pair: (-pair[1], pair[0].pk))


@transaction.atomic
def register_child(
    actor: Any,
    child: Child,
    *,
    snils: str = "",
    birth_certificate: str = "",
    guardian: Guardian | None = None,
    via: EntryChannel = EntryChannel.STAFF,
    organization: Organization | None = None,
    another_child: bool = False,
) -> Registration:
    """Enter a child into the registry: the existing record if it is the same child, else a new one.
    For a parent (`guardian`), the existing record only if it is already the family's (see above);
    a doubtful match among the family's own children is refused (`TypedAgainError`) unless the parent
    confirmed it is `another_child`. A new record keeps how it came (`via`, for `organization`) and
    who entered it."""
    set_identifiers(child, snils=snils, birth_certificate=birth_certificate)
    typed_snils = child.snils_digest  # set aside below when another record holds it
    child.entered_via, child.entered_by, child.entered_organization = via, _user(actor), organization
    child.full_clean(exclude=["merged_into"])
    held_by: Child | None = None
    if child.snils_digest:
        known = Child.objects.living().select_for_update().filter(snils_digest=child.snils_digest).first()
        if known is not None and _may_take(known, guardian, actor):
            audit.record(actor, "child.matched", known, by="snils")
            return Registration(child=known, created=False, already_guardian=guardian is not None)
        if known is not None:  # one living record per СНИЛС: the new one waits without it
            held_by = known
            child.snils_digest, child.snils_cipher = "", ""
    if guardian is not None and (own := _familys_own_record(child, guardian)) is not None:
        record, certain = own
        if certain:
            audit.record(actor, "child.matched", record, by="family")
            given = _typed_again_with(actor, record, typed_snils, snils, birth_certificate)
            return Registration(
                child=record,
                created=False,
                already_guardian=True,
                snils_held_elsewhere=given.snils_held_elsewhere,
                identifiers_added=given.added,
            )
        if not another_child:
            raise TypedAgainError(record)
    child.save()
    audit.record(actor, "child.registered", child)
    candidates = scored_candidates(child)
    # A parent's record is never merged by a match (see above): its pairs all wait for the check.
    sure = (
        [(o, p) for o, p in candidates if matching.verdict(p) == matching.Verdict.SAME and _may_take(o, None, actor)]
        if guardian is None
        else []
    )
    if sure:
        # The older record survives: documents and applications already refer to it.
        other, probability = sure[0]
        merge = merge_children(actor, other, child, probability=probability, automatic=True)
        return Registration(child=other, created=True, merged=merge)
    if held_by is not None and all(other != held_by for other, _ in candidates):
        candidates.insert(0, (held_by, 1.0))
    review = [_queue_pair(child, other, p, snils_held_elsewhere=other == held_by) for other, p in candidates]
    return Registration(child=child, created=True, review=review, snils_held_elsewhere=held_by is not None)


def _typed_again_with(
    actor: Any, record: Child, typed_snils: str, snils: str, birth_certificate: str
) -> IdentifiersAdded:
    """The family's own record of a child typed again takes the identifiers typed with it that it lacks
    (`add_identifiers`); a СНИЛС other than the one it holds is refused, not dropped without a word."""
    if typed_snils and record.snils_digest and typed_snils != record.snils_digest:
        raise ValidationError(
            {
                "snils": f"У ребёнка {record.first_name} в вашем кабинете указан другой СНИЛС. Если там он неверен, "
                "его исправит опорный центр."
            }
        )
    missing = {
        "snils": snils if typed_snils and not record.snils_digest else "",
        "birth_certificate": birth_certificate if not record.birth_certificate_digest else "",
    }
    if not any(value.strip() for value in missing.values()):
        return IdentifiersAdded()
    return add_identifiers(actor, record, **missing)


def _may_take(record: Child, guardian: Guardian | None, actor: Any) -> bool:
    """Whether a match may hand over `record` without the municipal operator's check: to a parent, only
    the family's own record; to anyone else, a record no family entered or claimed, or one whose
    family showed the documents already — to the organization that enrolled the child (enrollment is
    done in person) or to the territory's operator, who is the check."""
    from enrollment.models import Application, ApplicationStatus

    if guardian is not None:
        return record.guardians.filter(pk=guardian.pk).exists()
    if not record.guardians.exists() or scope.can(actor, record, "moderate"):
        return True
    organizations = principal_of(actor).operated_organization_ids
    return Application.objects.filter(
        child=record, organization_id__in=organizations, status=ApplicationStatus.ENROLLED
    ).exists()


def _familys_own_record(child: Child, guardian: Guardian) -> tuple[Child, bool] | None:
    """The family's living record likeliest to be this child typed again, and whether the engine is sure
    of it; None when each of the family's children is another child. Among a family's few children the
    engine's prior (a regional registry) is too sceptical: a child of the same sex, named alike, born on a
    date a typo makes (a day off, day and month swapped) is worth the question even when the engine says
    «another child» («Артём» born a day later without a patronymic: 0.44) — a family has no two such."""
    me = as_person(child)
    own = Child.objects.living().filter(
        guardians=guardian, birth_date__in=matching.candidate_birth_dates(child.birth_date)
    )
    scored = [(matching.match_probability(me, as_person(other)), other) for other in own.order_by("pk")]
    for probability, other in sorted(scored, key=lambda pair: -pair[0]):  # stable: the oldest of equals
        verdict = matching.verdict(probability)
        if verdict != matching.Verdict.DIFFERENT or _named_alike(child, other):
            return other, verdict == matching.Verdict.SAME
    return None


def _named_alike(child: Child, other: Child) -> bool:
    """Of one sex, first names a typo apart («Артём», «Артем», «Арём»): not twins, who are named apart."""
    return child.sex == other.sex and OSA.distance(latin.key(child.first_name), latin.key(other.first_name)) <= 1


def _queue_pair(
    one: Child, other: Child, probability: float, *, snils_held_elsewhere: bool, reopen: str = ""
) -> MatchCandidate:
    """The pair waiting for the municipal operator, queued once. One judged two children stays so, unless
    `reopen` says why it waits again (a family's СНИЛС: it is told the records will be checked; one judged
    knowing that СНИЛС is refused before, `_snils_refusal`); an operator is told of the decision instead
    (`_held_elsewhere`). A new record's pairs are new: never judged."""
    first, second = sorted((one.pk, other.pk))
    candidate, created = MatchCandidate.objects.get_or_create(
        first_id=first,
        second_id=second,
        defaults={"probability": probability, "snils_held_elsewhere": snils_held_elsewhere},
    )
    if reopen and not created and candidate.status == MatchStatus.DISTINCT:
        candidate = MatchCandidate.objects.select_for_update().get(pk=candidate.pk)
        if candidate.status == MatchStatus.DISTINCT:  # both records live: the caller's and the holder
            _reopened(None, candidate, reopen)  # no one's name on the pair's page: the system's doing
    if snils_held_elsewhere and not created and not candidate.snils_held_elsewhere:
        # A pair queued by the details learns of the СНИЛС given later (add_identifiers): the operator's reason —
        # while it waits only: a decided pair keeps what its operator knew (`_snils_refusal` reads it).
        waiting = MatchCandidate.objects.filter(pk=candidate.pk, status=MatchStatus.PENDING)
        candidate.snils_held_elsewhere = waiting.update(snils_held_elsewhere=True) > 0
    return candidate


def _references() -> list[tuple[type[models.Model], str]]:
    """Every foreign key to a child, except the registry's own bookkeeping and the guardians' links."""
    own = {Child, ChildMerge, MatchCandidate, Child.guardians.through}
    return [
        (relation.related_model, relation.field.name)
        for relation in Child._meta.get_fields(include_hidden=True)
        if isinstance(relation, ForeignObjectRel)
        and (relation.one_to_many or relation.one_to_one)  # a certificate too: the child has one
        and isinstance(relation.related_model, type)
        and relation.related_model not in own
    ]


def _label(model: type[models.Model]) -> str:
    return model._meta.label_lower


@transaction.atomic
def merge_children(
    actor: Any, survivor: Child, absorbed: Child, *, probability: float | None = None, automatic: bool = False
) -> ChildMerge:
    """Make `absorbed` a duplicate of `survivor`: its applications, choices, guardians and missing
    details move to the survivor; what moved is kept for `undo_merge`."""
    if survivor.pk == absorbed.pk:
        raise ValidationError("Нельзя объединить запись с самой собой.")
    locked = {
        c.pk: c for c in Child.objects.select_for_update().filter(pk__in=[survivor.pk, absorbed.pk]).order_by("pk")
    }
    survivor, absorbed = locked[survivor.pk], locked[absorbed.pk]
    if survivor.merged_into_id or absorbed.merged_into_id:
        raise ValidationError("Одна из записей уже объединена с другой; обновите страницу.")
    if refusal := merge_refusal(survivor, absorbed):
        raise ValidationError(refusal)
    moved: dict[str, Any] = {"rows": {}, "fields": {}}
    for model, field_name in _references():
        rows = model._default_manager.filter(**{field_name: absorbed})
        ids = list(rows.values_list("pk", flat=True))
        if not ids:
            continue
        try:
            with transaction.atomic():
                rows.update(**{field_name: survivor})
        except IntegrityError:
            raise ValidationError(
                f"Записи нельзя объединить: у обеих есть «{model._meta.verbose_name_plural}», которые не могут "
                "принадлежать одному ребёнку (например, у каждой свой сертификат). Сначала завершите одну из них."
            ) from None
        moved["rows"][f"{_label(model)}.{field_name}"] = ids
    absorbed_guardians = set(absorbed.guardians.values_list("pk", flat=True))
    added = sorted(absorbed_guardians - set(survivor.guardians.values_list("pk", flat=True)))
    survivor.guardians.add(*added)
    absorbed.guardians.clear()
    moved["guardians"] = {"absorbed": sorted(absorbed_guardians), "added": added}
    for name in FILLABLE_FIELDS:
        if not getattr(survivor, name) and getattr(absorbed, name):
            moved["fields"][name] = getattr(survivor, name)
            setattr(survivor, name, getattr(absorbed, name))
    # The duplicate steps aside first: one living record per СНИЛС holds at every statement.
    absorbed.merged_into = survivor
    absorbed.save(update_fields=["merged_into", "updated_at"])
    survivor.save()
    merge = ChildMerge.objects.create(
        survivor=survivor,
        absorbed=absorbed,
        probability=probability,
        automatic=automatic,
        moved=moved,
        created_by=_user(actor),
    )
    first, second = sorted((survivor.pk, absorbed.pk))
    MatchCandidate.objects.filter(first_id=first, second_id=second).update(
        status=MatchStatus.MERGED, decided_at=timezone.now(), decided_by=_user(actor)
    )
    audit.record(actor, "child.merged", survivor, absorbed=absorbed.pk, automatic=automatic, probability=probability)
    return merge


def merge_refusal(survivor: Child, absorbed: Child) -> str:
    """Why the two records cannot be merged now, naming the applications to resolve first; "" if they
    can. One child has one active application to a program at most (enrollment's constraint), and a
    family may apply to the group the organization's record is enrolled in while the pair waits."""
    from enrollment.models import ACTIVE_STATUSES, Application

    active = (
        Application.objects.filter(child__in=[survivor.pk, absorbed.pk], status__in=ACTIVE_STATUSES)
        .select_related("program__organization", "group")
        .order_by("program__title", "pk")
    )
    kept = {a.program_id: a for a in active if a.child_id == survivor.pk}
    conflicts = [(kept[a.program_id], a) for a in active if a.child_id == absorbed.pk and a.program_id in kept]
    if not conflicts:
        return ""

    def described(application: Any) -> str:
        group = f"группа «{application.group.name}»" if application.group else "любая группа"
        return f"заявка {application.code}, {group}, статус «{application.get_status_display()}»"

    named = " ".join(
        f"«{one.program.title}» ({one.program.organization.short_name}): у остающейся записи — {described(one)}; "
        f"у другой — {described(other)}."
        for one, other in conflicts
    )
    return (
        "Записи нельзя объединить: у обеих есть действующие заявки на одну программу, а у ребёнка она может "
        f"быть одна. {named} Сначала завершите одну заявку из каждой пары (семья отменяет, организация "
        "отказывает или отчисляет), затем объедините записи."
    )


@dataclass
class MergeUndone:
    """What undoing a merge ended in: the duplicate's record, alive again."""

    absorbed: Child
    # The details the merge filled on the survivor that were changed since (a correction, a family's СНИЛС):
    # kept as they are now. Kinds: "snils", "birth_certificate", or a field's name.
    kept: list[str] = field(default_factory=list)
    # Why the duplicate came back without its СНИЛС, naming the record that holds it; "" when it kept it.
    snils_held_elsewhere: str = ""


def _detail(name: str) -> str:
    """The detail a filled field belongs to: an identifier is its digest and cipher together."""
    return name.removesuffix("_digest").removesuffix("_cipher")


@transaction.atomic
def undo_merge(actor: Any, merge: ChildMerge) -> MergeUndone:
    """Separate the two records again, as they were but for what changed since; the pair is remembered as
    distinct. A detail the merge filled goes back only while the survivor still holds what the merge put
    there (the duplicate's own: nothing edits a merged record); one changed since stays. The duplicate
    gets its СНИЛС back unless a living record holds it now: it then comes back without it, as a new
    record does (`register_child`), the pair with the holder queued or, with the survivor, judged apart."""
    merge = ChildMerge.objects.select_for_update().get(pk=merge.pk)
    if merge.undone_at is not None:
        raise ValidationError("Это объединение уже отменено.")
    survivor = Child.objects.select_for_update().get(pk=merge.survivor_id)
    absorbed = Child.objects.select_for_update().get(pk=merge.absorbed_id)
    if survivor.merged_into_id:
        raise ValidationError(
            "Запись, которая осталась, потом сама объединена с другой: сначала отмените то объединение."
        )
    for key, ids in merge.moved.get("rows", {}).items():
        label, field_name = key.rsplit(".", 1)
        model = next(m for m, f in _references() if _label(m) == label and f == field_name)
        model._default_manager.filter(pk__in=ids, **{field_name: survivor}).update(**{field_name: absorbed})
    guardians = merge.moved.get("guardians", {})
    survivor.guardians.remove(*guardians.get("added", []))
    absorbed.guardians.add(*guardians.get("absorbed", []))
    filled = merge.moved.get("fields", {})
    kept = list(dict.fromkeys(_detail(name) for name in filled if getattr(survivor, name) != getattr(absorbed, name)))
    for name, value in filled.items():
        if _detail(name) not in kept:
            setattr(survivor, name, value)
    survivor.save()
    holder = _snils_holder(absorbed, absorbed.snils_digest) if absorbed.snils_digest else None
    absorbed.merged_into = None
    if holder is None:
        holder = _saved_unless_held(absorbed, ["merged_into", "updated_at"])
    if holder is not None:  # one living record per СНИЛС: the one that holds it keeps it
        absorbed.snils_digest, absorbed.snils_cipher = "", ""
        absorbed.save(update_fields=["merged_into", "snils_digest", "snils_cipher", "updated_at"])
    merge.undone_at, merge.undone_by = timezone.now(), _user(actor)
    merge.save(update_fields=["undone_at", "undone_by"])
    first, second = sorted((survivor.pk, absorbed.pk))
    pair, _ = MatchCandidate.objects.update_or_create(
        first_id=first,
        second_id=second,
        defaults={
            "status": MatchStatus.DISTINCT,
            "probability": merge.probability or 0.0,
            "decided_at": timezone.now(),
            "decided_by": _user(actor),
            # The survivor holds the duplicate's СНИЛС: the pair's page says why the duplicate has none.
            **({"snils_held_elsewhere": True} if holder == survivor else {}),
        },
    )
    result = MergeUndone(absorbed=absorbed, kept=kept)
    if holder is not None:
        if holder != survivor:
            pair = _queue_pair(absorbed, holder, 1.0, snils_held_elsewhere=True)
        result.snils_held_elsewhere = (
            "Запись-дубликат восстановлена без своего СНИЛС: в реестре одна живая запись на СНИЛС. "
            + _held_elsewhere(actor, holder, pair)
        )
    # The kinds, never the values: personal data.
    audit.record(
        actor,
        "child.merge_undone",
        survivor,
        absorbed=absorbed.pk,
        kept=kept,
        snils_held_by=holder.pk if holder is not None else None,
    )
    return result


@transaction.atomic
def decide(actor: Any, candidate: MatchCandidate, *, same: bool) -> MatchCandidate:
    """The operator's verdict on a pair from the review queue."""
    candidate = MatchCandidate.objects.select_for_update().get(pk=candidate.pk)
    if candidate.status != MatchStatus.PENDING:
        raise ValidationError("По этой паре уже принято решение.")
    if same:
        # The record created first survives: it is the one documents already refer to.
        merge_children(actor, candidate.first, candidate.second, probability=candidate.probability)
        candidate.refresh_from_db()
        return candidate
    candidate.status, candidate.decided_at, candidate.decided_by = MatchStatus.DISTINCT, timezone.now(), _user(actor)
    candidate.save(update_fields=["status", "decided_at", "decided_by"])
    audit.record(actor, "child.kept_apart", candidate.first, other=candidate.second_id)
    return candidate


REOPEN_REASON_MAX = 500


@transaction.atomic
def reopen(actor: Any, candidate: MatchCandidate, *, reason: str) -> MatchCandidate:
    """Return a pair judged two children (or whose merge was undone) to the review queue: a document
    came later, the decision was a mistake. Why, and what was decided before, go to the audit log."""
    reason = _reason(reason, "Укажите, почему пару нужно рассмотреть снова.", REOPEN_REASON_MAX)
    candidate = MatchCandidate.objects.select_for_update().select_related("first", "second").get(pk=candidate.pk)
    if candidate.status == MatchStatus.PENDING:
        raise ValidationError("Пара и так ждёт решения.")
    if candidate.status == MatchStatus.MERGED:
        raise ValidationError(
            "Записи объединены. Чтобы рассмотреть пару снова, отмените объединение в карточке ребёнка."
        )
    if candidate.first.merged_into_id or candidate.second.merged_into_id:
        raise ValidationError("Одна из записей с тех пор объединена с другой записью: эту пару не рассмотреть.")
    _reopened(actor, candidate, reason)
    return candidate


def _reopened(actor: Any, candidate: MatchCandidate, reason: str) -> None:
    """Back to the queue (the candidate locked, judged distinct, both records living), with the decision
    undone written to the audit log."""
    decided_at = candidate.decided_at.isoformat() if candidate.decided_at else None
    audit.record(
        actor,
        "child.pair_reopened",
        candidate,
        reason=reason,
        decided=candidate.status,
        decided_by=candidate.decided_by_id,
        decided_at=decided_at,
    )
    candidate.status, candidate.decided_at, candidate.decided_by = MatchStatus.PENDING, None, None
    candidate.save(update_fields=["status", "decided_at", "decided_by"])


def _reason(reason: str, missing: str, longest: int) -> str:
    """An operator's reason for the audit log, on one line; `missing` says what to write when there is none."""
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationError({"reason": missing})
    if len(reason) > longest:
        raise ValidationError({"reason": f"Причина — не длиннее {longest} символов."})
    return reason


def pending_review() -> "models.QuerySet[MatchCandidate]":
    """Pairs still waiting for a decision whose records are both alive."""
    return MatchCandidate.objects.filter(
        status=MatchStatus.PENDING, first__merged_into__isnull=True, second__merged_into__isnull=True
    ).select_related("first__municipality", "second__municipality")


def record_reading(actor: Any, child: Child) -> None:
    """A staff member opened a child's card (152-ФЗ: reads of personal data are accounted for);
    a family reading its own child is not staff work and is not recorded."""
    reader = _user(actor)
    if reader is None or not child.guardians.filter(user=reader).exists():
        audit.record(actor, "child.viewed", child)


def reveal_identifiers(actor: Any, child: Child) -> dict[str, str]:
    """The child's СНИЛС and birth certificate in clear, for a person allowed to see them; every
    reading is written to the audit log (152-ФЗ)."""
    audit.record(actor, "child.personal_data_viewed", child)
    return {
        "snils": identity.decrypt(child.snils_cipher),
        "birth_certificate": identity.decrypt(child.birth_certificate_cipher),
    }


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None
