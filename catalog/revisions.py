"""The new revision of a published program: what families read waits for the moderator.

A published program keeps its approved content while its changes are moderated: families go on
finding it, reading what was checked and applying to its groups (an application needs a published
program, so taking it out of the catalog for a typo fix would close enrollment for days). The new
values of the moderated fields wait in its ProgramRevision, only those that differ from the
published ones, and reach the program when the moderator approves them.

Archived, a program is read as it was published, and its revision is kept as it was, moderated by
nobody (no moderation queue lists it): restored to the drafts, the program takes its values.

These helpers are called by the actions in catalog.services under the lock of the program's row,
which every change of a program or of its revision takes first.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Model
from django.utils import timezone

from catalog.models import ModerationStatus, Program, ProgramRevision
from core.fields import verbose_names

# What families read about a program and the moderator checks against the program document. The
# rest — its teachers and address, like a group's teacher, address and timetable — is operational:
# it changes at once.
MODERATED_FIELDS = (
    "title",
    "summary",
    "description",
    "goals",
    "results",
    "equipment",
    "program_type",
    "direction",
    "unit",
    "municipality",
    "level_initial",
    "level_basic",
    "level_advanced",
    "age_from",
    "age_to",
    "hours_total",
    "duration_months",
    "study_form",
    "uses_distance_learning",
    "is_network",
    "ovz_adapted",
    "disability_adapted",
    "is_free",
    "by_certificate",
    "is_paid",
    "price_per_month",
)
# Many-to-many: a revision keeps what is added and removed, so that a change made meanwhile by
# someone else (the certified register set by the certification) is not undone by approving it.
MODERATED_RELATIONS = ("ovz_categories", "registers")


def _field(name: str) -> Any:
    return Program._meta.get_field(name)


def _to_json(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value


def _ids(objects: Any) -> set[int]:
    return {obj.pk for obj in objects}


def _relation_ids(program: Program, name: str) -> set[int]:
    return set(getattr(program, name).values_list("pk", flat=True)) if program.pk else set()


def _with_change(current: set[int], change: dict[str, list[int]] | None) -> set[int]:
    if not change:
        return set(current)
    return (current | set(change.get("add", []))) - set(change.get("remove", []))


def of(program: Program) -> ProgramRevision | None:
    """The program's revision: a published program's pending one (`Program.pending_revision`), or
    the one an archived program keeps for its restoring."""
    if program.status not in (ModerationStatus.PUBLISHED, ModerationStatus.ARCHIVED):
        return None  # only those have one: no query
    try:
        return program.revision
    except ProgramRevision.DoesNotExist:
        return None


def pending_relations(program: Program, revision: ProgramRevision | None) -> dict[str, list[int]]:
    """The ids of the moderated many-to-many fields as the organization last wrote them."""
    values = revision.values if revision is not None else {}
    return {name: sorted(_with_change(_relation_ids(program, name), values.get(name))) for name in MODERATED_RELATIONS}


def editing_copy(program: Program) -> dict[str, list[int]]:
    """Put the pending values of the program's revision on the instance (in memory, not saved):
    what the organization goes on editing. Returns the pending many-to-many ids, to start a form
    with; without a revision, the program as it is."""
    revision = program.pending_revision
    if revision is None:
        return {}
    for attname, value in revision.values.items():
        if attname not in MODERATED_RELATIONS:
            setattr(program, attname, _field(attname).to_python(value))
    return pending_relations(program, revision)


def hold(
    program: Program, published: Program, relations: dict[str, Any], revision: ProgramRevision | None
) -> dict[str, Any]:
    """The moderated changes `program` makes to the `published` row, as a revision's values; the
    instance gets the published values back so that saving it changes only what is operational.
    `relations` maps a moderated many-to-many field to its chosen objects (None: left as written)."""
    values: dict[str, Any] = {}
    for name in MODERATED_FIELDS:
        field = _field(name)
        new, old = getattr(program, field.attname), getattr(published, field.attname)
        if new != old:
            values[field.attname] = _to_json(new)
            setattr(program, field.attname, old)
    pending = pending_relations(published, revision)
    for name in MODERATED_RELATIONS:
        chosen = relations.get(name)
        wanted = set(pending[name]) if chosen is None else _ids(chosen)
        current = _relation_ids(published, name)
        if wanted != current:
            values[name] = {"add": sorted(wanted - current), "remove": sorted(current - wanted)}
    return values


# What is said when changes no longer pass the rules (a rule or a unit changed since they were
# written), by who takes them in: the moderator deciding on changes sent to moderation, or the
# organization restoring its archived program, which can drop the changes it kept and restore the
# program as published.
MODERATOR_FAILED = "Изменения не проходят проверку: {errors} Верните их на доработку."
ORGANIZATION_FAILED = (
    "Изменения, сохранённые с программой в архиве, не проходят проверку: {errors} Программа осталась в "
    "архиве. Чтобы вернуть её в черновики, нажмите «Отменить изменения»: программа вернётся в опубликованной "
    "редакции, и нужные правки можно будет внести заново."
)


def apply(program: Program, revision: ProgramRevision, *, failed: str) -> list[str]:
    """Write the revision's values to the program (saved by the caller; many-to-many at once) and
    return the names of the changed fields. The program must still satisfy every rule with them;
    if it does not, `failed` (MODERATOR_FAILED or ORGANIZATION_FAILED) says so to whoever acts."""
    for attname, value in revision.values.items():
        if attname not in MODERATED_RELATIONS:
            setattr(program, attname, _field(attname).to_python(value))
    try:
        program.full_clean(exclude=["search_document"])
    except ValidationError as error:
        raise ValidationError(failed.format(errors=" ".join(error.messages))) from error
    for name in MODERATED_RELATIONS:
        change = revision.values.get(name)
        if change:
            manager = getattr(program, name)
            manager.remove(*change.get("remove", []))
            manager.add(*_field(name).related_model.objects.filter(pk__in=change.get("add", [])))
    return sorted(revision.values)


def mark_decided(program: Program) -> None:
    """The moderator decided on the program's changes: the program moves in `updated_at`, so that a
    client synchronizing by `updated_since` reads the decision — the values published, or the
    changes back with the remark (pending_changes). The organization's own steps with its changes
    leave it: what families read has not changed, and the organization knows what it did."""
    program.updated_at = timezone.now()
    Program.objects.filter(pk=program.pk).update(updated_at=program.updated_at)


def field_labels(names: list[str]) -> list[str]:
    """Russian names of program fields (attnames or names), for lists of what changed."""
    return verbose_names(Program, names)


@dataclass(frozen=True)
class ChangeRow:
    label: str
    published: str
    proposed: str


def _display(field: Any, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "да" if value else "нет"
    if field.is_relation:
        model: type[Model] = field.related_model
        found = model._default_manager.filter(pk__in=value if field.many_to_many else [value])
        return ", ".join(str(obj) for obj in found) or "—"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    return str(value)


def rows(program: Program, revision: ProgramRevision) -> list[ChangeRow]:
    """What the revision changes, field by field, in the form's order: published and proposed."""
    relations = pending_relations(program, revision)
    result = []
    for name in (*MODERATED_FIELDS, *MODERATED_RELATIONS):
        field = _field(name)
        if field.attname not in revision.values:
            continue
        if field.many_to_many:
            old: Any = sorted(_relation_ids(program, name))
            new: Any = relations[name]
        else:
            old, new = getattr(program, field.attname), field.to_python(revision.values[field.attname])
        result.append(ChangeRow(str(field.verbose_name).capitalize(), _display(field, old), _display(field, new)))
    return result
