"""Actions on the catalog. Each one is atomic, writes the audit log and notifies after commit.

Views, the API, the demo loader and tests all call these; nothing else writes these tables.
Permission checks happen before (core.scope); these functions check the rules of the domain.
"""

import calendar
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import astuple, dataclass
from datetime import date, datetime, time
from decimal import Decimal
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, Count, Exists, F, Model, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, RoleAssignment
from catalog import archiving, group_letters, places, revisions, search
from catalog.models import (
    MAX_PRICE_PER_MONTH,
    OFFERING_SEATS_SQL,
    PRICE_LIMIT_MESSAGE,
    WEEKDAY_SHORT,
    FundingSource,
    Group,
    GroupFinancing,
    ModerationStatus,
    Organization,
    Program,
    ProgramRevision,
    ScheduleSlot,
    StudyPlace,
    academic_year_label,
    offering_seats,
)
from core import audit, letters, rawsql
from core.models import AuditEvent
from core.typed import same_in_any_case

S = ModerationStatus

# Moderation state machine: action → (states it may start from, state it leads to).
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "submit": (frozenset({S.DRAFT, S.NEEDS_CHANGES}), S.MODERATING),
    "withdraw": (frozenset({S.MODERATING}), S.DRAFT),
    "approve": (frozenset({S.MODERATING}), S.PUBLISHED),
    "return": (frozenset({S.MODERATING, S.PUBLISHED}), S.NEEDS_CHANGES),
    "archive": (frozenset({S.DRAFT, S.MODERATING, S.NEEDS_CHANGES, S.PUBLISHED}), S.ARCHIVED),
    "restore": (frozenset({S.ARCHIVED}), S.DRAFT),
}
# The new revision of a published program (catalog.revisions) has a moderation of its own while
# the program stays published: action → (revision states it may start from, state it leads to;
# None when the revision is gone — its values published, or dropped).
REVISION_TRANSITIONS: dict[str, tuple[frozenset[str], str | None]] = {
    "submit_changes": (frozenset({S.DRAFT, S.NEEDS_CHANGES}), S.MODERATING),
    "withdraw_changes": (frozenset({S.MODERATING}), S.DRAFT),
    "approve_changes": (frozenset({S.MODERATING}), None),
    "return_changes": (frozenset({S.MODERATING}), S.NEEDS_CHANGES),
    "discard_changes": (frozenset({S.DRAFT, S.MODERATING, S.NEEDS_CHANGES}), None),
}
TRANSITION_LABELS = {
    "submit": "Отправить на модерацию",
    "withdraw": "Отозвать с модерации",
    "approve": "Опубликовать",
    "return": "Вернуть на доработку",
    "archive": "Перенести в архив",
    "restore": "Вернуть из архива в черновики",
    "submit_changes": "Отправить изменения на модерацию",
    "withdraw_changes": "Отозвать изменения с модерации",
    "approve_changes": "Опубликовать изменения",
    "return_changes": "Вернуть изменения на доработку",
    "discard_changes": "Отменить изменения",
}
# Which side acts: the organization's operators or the territory's moderators.
ORGANIZATION_TRANSITIONS = frozenset(
    {"submit", "withdraw", "archive", "restore", "submit_changes", "withdraw_changes", "discard_changes"}
)
MODERATOR_TRANSITIONS = frozenset({"approve", "return", "archive", "approve_changes", "return_changes"})
# What the moderator decides from the queue: on a program, or on the changes of a published one.
QUEUE_TRANSITIONS = ("approve", "return")
QUEUE_REVISION_TRANSITIONS = ("approve_changes", "return_changes")
# A program's columns its groups decide (`_group_facts`).
GROUP_FACTS = ("weekdays_mask", "open_seats", "current_groups", "closed_seats", "offering_groups")
# Kept by the actions, never by an edit: save_program takes them from the locked row.
STATE_FIELDS = (
    "status",
    "moderation_remark",
    "published_at",
    "submitted_at",
    *GROUP_FACTS,
    "popularity",
    "search_document",
)


@dataclass(frozen=True)
class Slot:
    weekday: int
    starts_at: time
    ends_at: time
    room: str = ""

    def __str__(self) -> str:
        day = WEEKDAY_SHORT[self.weekday] if 0 <= self.weekday <= 6 else "?"
        return f"{day} {self.starts_at:%H:%M}–{self.ends_at:%H:%M}"


@dataclass(frozen=True)
class Financing:
    source: str
    cost_per_month: Decimal


def role_emails(role: str, **scope: Any) -> list[str]:
    return list(
        RoleAssignment.objects.filter(role=role, user__is_active=True, **scope).values_list("user__email", flat=True)
    )


def _changed_fields(instance: Program | Group) -> list[str]:
    if instance._state.adding:
        return []
    model = type(instance)
    old: dict[str, Any] = dict(model._default_manager.filter(pk=instance.pk).values().first() or {})
    return sorted(
        f.attname
        for f in model._meta.concrete_fields
        if f.attname in old
        and f.attname not in {"updated_at", "search_document"}
        and old[f.attname] != getattr(instance, f.attname)
    )


@transaction.atomic
def save_program(
    actor: Any,
    program: Program,
    *,
    ovz_categories: Iterable[Any] | None = None,
    registers: Iterable[Any] | None = None,
    teachers: Iterable[Any] | None = None,
) -> Program:
    """Create or update a program of an organization (the caller checked the right to).

    The moderator decides on what they saw: while a program, or the new revision of a published
    one, is on moderation, nothing in it changes; nor in an archived one, read as it was published
    (`editing_locked`). A published program stays published with its approved content: the new
    values of what families read (catalog.revisions.MODERATED_FIELDS) go to its revision, which
    this same action sends to moderation — audited, the moderators told after commit — and which
    reaches the catalog when the moderator approves it; its teachers and address change at once.
    Families meanwhile keep finding the program, reading what was checked and applying to its
    groups. Callers that edit an existing program start from `revisions.editing_copy`, so that
    pending changes are kept.
    The status and the other STATE_FIELDS change only through `change_program_status`."""
    creating = program._state.adding
    published: Program | None = None
    if creating:
        check_organization_open(program.organization)
    else:
        current = Program.objects.select_for_update().get(pk=program.pk)
        reason = editing_locked(current)
        if reason:
            raise ValidationError(reason)
        for name in STATE_FIELDS:
            setattr(program, name, getattr(current, name))
        if current.status == S.PUBLISHED:
            published = current
    if not program.municipality_id:
        program.municipality_id = program.organization.municipality_id
    if program.address:
        program.address = places.as_known(program.organization, program.address)
    else:
        # Held in a unit of its own address (a Кванториум in its building), the program is there.
        program.address = (program.unit.address if program.unit else "") or program.organization.address
    if not program.is_paid:
        program.price_per_month = None
    if not program.ovz_adapted:
        ovz_categories = []  # categories describe an adaptation: without it, families would read a promise
    program.full_clean(exclude=["search_document"])
    if creating or program.title != current.title:
        check_title_free(program)
    if not creating:
        check_program_groups(program)
    held: dict[str, Any] = {}
    revision = None
    if published is not None:
        revision = published.pending_revision
        relations = {"ovz_categories": ovz_categories, "registers": registers}
        held = revisions.hold(program, published, relations, revision)
        ovz_categories = registers = None  # their changes, if any, are held
    if teachers is not None and any(t.organization_id != program.organization_id for t in teachers):
        raise ValidationError({"teachers": "Педагог должен работать в организации, которая реализует программу."})
    changed = _changed_fields(program)
    given = {"ovz_categories": ovz_categories, "registers": registers, "teachers": teachers}
    new_sets = {name: list(items) for name, items in given.items() if items is not None}
    if not creating:
        new_sets = {name: items for name, items in new_sets.items() if _relation_changes(program, name, items)}
    # Nothing changed (a form sent as it was, an API's empty PATCH, a published program's edits held for
    # moderation): no write, and `updated_at` stays — synchronizing clients read it as «changed».
    if creating or changed or new_sets:
        program.save()
        for name, items in new_sets.items():
            getattr(program, name).set(items)
        search.refresh_search_documents([program.pk])
        audit.record(actor, "program.created" if creating else "program.updated", program, fields=changed)
        if program.status == S.PUBLISHED:
            search.bump_catalog_version()
    if published is not None:
        _submit_revision(actor, program, revision, held)
    return program


def check_price(is_paid: bool, price: Decimal | None) -> None:
    """A paid program costs something, and only a paid one has a price: one given with «Платно»
    unticked is refused, not dropped without a word. The office form and the API check by it what
    they were sent; a price left from before, «Платно» since unticked, save_program drops."""
    if not is_paid:
        if price is not None:
            raise ValidationError(
                {"price_per_month": "Стоимость указывают для платной программы: отметьте «Платно» или очистите поле."}
            )
    elif price is None:
        raise ValidationError({"price_per_month": "Укажите стоимость в месяц: программа отмечена как платная."})
    elif price <= 0:
        raise ValidationError({"price_per_month": "Стоимость платной программы должна быть больше нуля."})


def _relation_changes(program: Program, name: str, items: Iterable[Any]) -> bool:
    return {item.pk for item in items} != set(getattr(program, name).values_list("pk", flat=True))


def check_title_free(program: Program) -> None:
    """A new or renamed program is not a second copy of one its organization runs (a form sent twice,
    the «Back» button): another of the same title is refused, unless that one is archived."""
    running = Program.objects.filter(organization_id=program.organization_id).exclude(status=S.ARCHIVED)
    running = running.exclude(pk=program.pk) if program.pk else running
    twin = same_in_any_case(running.only("code", "title"), "title", program.title)
    if twin is not None:
        message = (
            f"В организации уже есть программа «{twin.title}» ({twin.code}): откройте её или назовите новую иначе."
        )
        raise ValidationError({"title": message})


ARCHIVED_LOCKED = "Программа в архиве: чтобы изменить её, верните её из архива в черновики."
ARCHIVED_GROUPS_LOCKED = "Программа в архиве: чтобы изменить её группы, верните её из архива в черновики."


def editing_locked(program: Program, *, groups: bool = False) -> str:
    """Why the organization cannot change the program (or, with `groups`, create or change its
    groups) now, or "" when it can. An archived program is read as it left the catalog — whole by
    the families who applied, its facts by anyone (catalog.permissions.readable_program) — so it and
    its groups change only once it is restored to the drafts. What is on moderation
    the moderator first decides on; the organization may withdraw it to change it sooner. Groups are
    operational: they change while the program or its changes are moderated."""
    if program.status == S.ARCHIVED:
        return ARCHIVED_GROUPS_LOCKED if groups else ARCHIVED_LOCKED
    if groups:
        return ""
    if program.status == S.MODERATING:
        return (
            "Программа на модерации: изменить её можно после решения модератора. Если нужно исправить "
            "её сейчас, отзовите программу с модерации — она вернётся в черновики."
        )
    revision = program.pending_revision
    if revision is not None and revision.status == S.MODERATING:
        return (
            "Изменения программы на модерации: изменить её снова можно после решения модератора. Если "
            "нужно исправить их сейчас, отзовите изменения с модерации."
        )
    return ""


def _submit_revision(actor: Any, program: Program, revision: ProgramRevision | None, values: dict[str, Any]) -> None:
    """Send the changes of a published program to moderation (a step of save_program)."""
    if not values:  # everything is as published again: nothing to moderate
        if revision is not None:
            revision.delete()
            audit.record(
                actor,
                "program.discard_changes",
                program,
                previous=revision.status,
                status="",
                fields=sorted(revision.values),
                remark="",
            )
        return
    previous = revision.status if revision is not None else ""
    revision = revision or ProgramRevision(program=program)
    revision.values = values
    revision.status = S.MODERATING
    revision.author = actor if getattr(actor, "is_authenticated", False) else None
    revision.submitted_at = timezone.now()
    revision.save()
    fields = sorted(values)
    audit.record(actor, "program.submit_changes", program, previous=previous, status=S.MODERATING, fields=fields)
    _notify_status(program, "submit_changes", "", fields=fields)


def allowed_transitions(program: Program) -> list[str]:
    """The transitions the program's state allows (who may make them: catalog.permissions).
    While changes of a published program are on moderation the moderator decides on them first.
    The changes an archived program keeps wait for its restoring: they may only be dropped."""
    names = [name for name, (sources, _) in TRANSITIONS.items() if program.status in sources]
    if program.status == S.ARCHIVED:
        return [*names, "discard_changes"] if revisions.of(program) is not None else names
    revision = program.pending_revision
    if revision is None:
        return names
    if revision.status == S.MODERATING:
        names.remove("return")
    return names + [name for name, (sources, _) in REVISION_TRANSITIONS.items() if revision.status in sources]


@transaction.atomic
def change_program_status(actor: Any, program: Program, transition: str, remark: str = "") -> Program:
    """Move a program through moderation (TRANSITIONS: черновик → на модерации → опубликована →
    в архиве), or the new revision of a published program (REVISION_TRANSITIONS)."""
    if transition not in TRANSITION_LABELS:
        raise ValidationError(f"Неизвестное действие «{transition}».")
    locked = Program.objects.select_for_update().get(pk=program.pk)
    if transition in REVISION_TRANSITIONS:
        _change_revision(actor, locked, transition, remark.strip())
    else:
        _change_status(actor, locked, transition, remark.strip())
    program.refresh_from_db()
    return program


NO_REMARK = "Укажите, что нужно исправить: замечание обязательно при возврате на доработку."
ORGANIZATION_CLOSED = (
    "Организация «{name}» закрыта в реестре: её программы в архиве, новые не создаются и не публикуются. "
    "Если она снова работает, опорный центр отмечает это в реестре организаций."
)
CLOSED_REMARK = "Организация закрыта."


def check_organization_open(organization: Organization) -> None:
    """A closed organization (the register's «действует» unchecked) keeps its programs in the archive."""
    if not organization.is_active:
        raise ValidationError(ORGANIZATION_CLOSED.format(name=organization.short_name))


def archive_programs_of(actor: Any, organization: Organization) -> int:
    """Every program of an organization the register closes, into the archive as a moderator would move it (each
    audited, its operators told once by the register); how many were moved."""
    moved = 0
    for locked in Program.objects.select_for_update().filter(organization=organization).exclude(status=S.ARCHIVED):
        _change_status(actor, locked, "archive", CLOSED_REMARK, notify=False)
        moved += 1
    return moved


def _change_status(actor: Any, locked: Program, transition: str, remark: str, *, notify: bool = True) -> None:
    sources, target = TRANSITIONS[transition]
    if transition not in allowed_transitions(locked):
        if locked.status in sources:  # allowed by the status, not while changes are on moderation
            raise ValidationError(
                f"Действие «{TRANSITION_LABELS[transition]}» невозможно: сначала нужно решить, "
                "публиковать ли изменения программы, ожидающие модерации."
            )
        raise ValidationError(
            f"Действие «{TRANSITION_LABELS[transition]}» невозможно: программа в статусе "
            f"«{locked.get_status_display()}»."
        )
    if target != S.ARCHIVED:
        check_organization_open(locked.organization)
    if transition == "return" and not remark:
        raise ValidationError({"remark": NO_REMARK})
    if transition == "submit" and not locked.groups.current().exists():
        raise ValidationError(
            "Добавьте хотя бы одну действующую группу, занятия которой ещё не закончились: "
            "без неё семья не сможет записаться."
        )
    if transition in {"submit", "approve"}:
        # Changes merged without the editing form's checks (kept through the archive, returned by the
        # moderator) may no longer hold the program's groups: never published so.
        try:
            check_program_groups(locked)
        except ValidationError as error:
            then = "Исправьте программу или её группы." if transition == "submit" else "Верните её на доработку."
            raise ValidationError(
                "Программа расходится со своими группами: " + " ".join(error.messages) + f" {then}"
            ) from error
    previous = locked.status
    update = ["status", "moderation_remark", "published_at", "submitted_at", "updated_at"]
    merged: list[str] = []
    revision = revisions.of(locked)
    # Archived, the program stays as it was published — families who applied and the public read
    # it — and keeps its changes as they were. Back with the organization (returned, or restored
    # from the archive), it takes what the organization wrote last, moderated before it is
    # published again.
    if revision is not None and transition != "archive":
        # Restoring is the organization's step; returning the program with its changes, the moderator's.
        failed = revisions.ORGANIZATION_FAILED if transition == "restore" else revisions.MODERATOR_FAILED
        merged = revisions.apply(locked, revision, failed=failed)
        revision.delete()
        update += [Program._meta.get_field(name).name for name in merged if name not in revisions.MODERATED_RELATIONS]
    locked.status = target
    if transition in {"approve", "return", "archive"}:  # the archive's reason, if given, read as a remark
        locked.moderation_remark = remark
    if target == S.PUBLISHED:
        locked.published_at = timezone.now()
    if transition == "submit":
        locked.submitted_at = timezone.now()
    locked.save(update_fields=update)
    if merged:
        search.refresh_search_documents([locked.pk])
    details = {"merged_changes": merged} if merged else {}
    audit.record(actor, f"program.{transition}", locked, previous=previous, status=target, remark=remark, **details)
    if S.PUBLISHED in (previous, target):
        search.bump_catalog_version()
    if target == S.PUBLISHED:
        search.add_search_terms([locked])
    if notify:
        _notify_status(locked, transition, remark)


def _change_revision(actor: Any, locked: Program, transition: str, remark: str) -> None:
    sources, target = REVISION_TRANSITIONS[transition]
    label = TRANSITION_LABELS[transition]
    revision = revisions.of(locked)
    if revision is None:
        raise ValidationError(f"Действие «{label}» невозможно: у программы нет изменений, ожидающих публикации.")
    if locked.is_archived and transition not in allowed_transitions(locked):  # they wait for its restoring
        raise ValidationError(f"Действие «{label}» невозможно: программа в статусе «{locked.get_status_display()}».")
    if revision.status not in sources:
        raise ValidationError(f"Действие «{label}» невозможно: изменения в статусе «{revision.get_status_display()}».")
    if transition == "return_changes" and not remark:
        raise ValidationError({"remark": NO_REMARK})
    previous, fields = revision.status, sorted(revision.values)
    if transition == "approve_changes":
        revisions.apply(locked, revision, failed=revisions.MODERATOR_FAILED)
        try:  # its groups may have changed since the organization saved the changes
            check_program_groups(locked)
        except ValidationError as error:
            raise ValidationError(
                "Изменения расходятся с группами программы: " + " ".join(error.messages) + " Верните их на доработку."
            ) from error
        locked.moderation_remark = remark
        locked.save()
        revision.delete()
        search.refresh_search_documents([locked.pk])
        search.add_search_terms([locked])
        search.bump_catalog_version()
    elif target is None:
        revision.delete()
    else:
        revision.status = target
        if transition == "return_changes":
            revision.remark = remark
        if transition == "submit_changes":
            revision.submitted_at = timezone.now()
        revision.save()
    if transition in QUEUE_REVISION_TRANSITIONS:
        revisions.mark_decided(locked)
    audit.record(
        actor, f"program.{transition}", locked, previous=previous, status=target or "", fields=fields, remark=remark
    )
    _notify_status(locked, transition, remark, previous=previous, fields=fields)


def _notify_status(
    program: Program, transition: str, remark: str, *, previous: str = "", fields: Sequence[str] = ()
) -> None:
    title, organization = program.title, program.organization.short_name
    changed = ", ".join(revisions.field_labels(list(fields)))
    to_moderators = {
        "submit": (
            f"Программа на модерации: «{title}»",
            f"Организация «{organization}» отправила программу на модерацию.",
        ),
        "submit_changes": (
            f"Изменения программы на модерации: «{title}»",
            f"Организация «{organization}» изменила опубликованную программу: {changed}. До вашего решения "
            "в навигаторе остаётся прежняя редакция.",
        ),
        "withdraw": (
            f"Программа отозвана с модерации: «{title}»",
            f"Организация «{organization}» отозвала программу с модерации, чтобы доработать её.",
        ),
        "withdraw_changes": (
            f"Изменения отозваны с модерации: «{title}»",
            f"Организация «{organization}» отозвала изменения программы с модерации, чтобы доработать их.",
        ),
        "discard_changes": (
            f"Изменения отменены: «{title}»",
            f"Организация «{organization}» отменила изменения программы: проверять их не нужно.",
        ),
    }
    if transition in to_moderators:
        if transition == "discard_changes" and previous != S.MODERATING:
            return  # nobody but the organization knew of them
        subject, body = to_moderators[transition]
        letters.send_after_commit(
            role_emails(Role.MUNICIPAL_OPERATOR, municipality_id=program.municipality_id),
            subject,
            body,
            reverse("office:moderation_queue"),
        )
        return
    if transition == "approve_changes":
        subject = f"«{title}»: изменения опубликованы"
        body = f"Изменения программы «{title}» проверены и опубликованы в навигаторе."
    elif transition == "return_changes":
        subject = f"«{title}»: изменения возвращены на доработку"
        body = f"Изменения программы «{title}» возвращены на доработку. В навигаторе остаётся опубликованная редакция."
    else:
        subject = f"«{title}»: {program.get_status_display().lower()}"
        body = f"Статус программы «{title}»: {program.get_status_display()}."
    if remark:
        body += f"\n\nЗамечание модератора: {remark}"
    letters.send_after_commit(
        role_emails(Role.ORGANIZATION_OPERATOR, organization_id=program.organization_id),
        subject,
        body,
        reverse("office:program_detail", args=[program.code]),
    )


# The audit records a program's history is read from (see core.audit.ACTION_LABELS for their names).
HISTORY_ACTIONS = ("program.created", *(f"program.{name}" for name in TRANSITION_LABELS))
HISTORY_LIMIT = 100


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    who: str
    action: str
    remark: str
    fields: list[str]


def program_history(program: Program) -> list[HistoryEntry]:
    """The program's way through moderation as the audit log recorded it, the latest first."""
    return history(program, HISTORY_ACTIONS, revisions.field_labels)


def history(obj: Model, actions: Iterable[str], field_labels: Callable[[list[str]], list[str]]) -> list[HistoryEntry]:
    """What the audit log recorded of `obj` among `actions`, the latest first (HISTORY_LIMIT of them): who, what —
    the fields changed named by `field_labels` —, and the remark or the person it concerned."""
    events = (
        AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk), action__in=list(actions))
        .select_related("actor")
        .order_by("-created_at", "-pk")[:HISTORY_LIMIT]
    )
    return [
        HistoryEntry(
            at=event.created_at,
            who=event.actor.display_name if event.actor is not None else "Система",
            action=audit.action_label(event.action),
            remark=str(event.data.get("remark") or event.data.get("email") or ""),
            fields=field_labels(list(event.data.get("fields") or [])),
        )
        for event in events
    ]


def check_program_groups(program: Program) -> None:
    """A changed program must still hold its current groups: their ages, yearly hours and financing
    sources stay within the program's (the same rules as check_group and check_financing, seen from
    the program). Past and inactive groups keep the conditions they had."""
    errors: dict[str, list[str]] = {}
    groups = Group.objects.current().filter(program=program).prefetch_related("financing").order_by("start_date", "pk")
    offered = _offered_sources(program)
    for group in groups:
        where = f"{group.name} ({group.code})"
        for value in (group.age_from, group.age_to):
            if value is not None and not program.age_from <= value <= program.age_to:
                field = "age_from" if value < program.age_from else "age_to"
                group.program = program  # the ages it takes when its own are not set, without a query
                low, high = group.ages
                errors.setdefault(field, []).append(
                    f"{where} принимает детей {low}–{high} лет: сначала измените возраст группы."
                )
                break
        if group.hours_per_year is not None and group.hours_per_year > program.hours_total:
            errors.setdefault("hours_total", []).append(
                f"{where} занимается {group.hours_per_year} ч в год: объём программы не может быть меньше."
            )
        for item in group.financing.all():
            if not offered.get(item.source, False):
                errors.setdefault(SOURCE_FLAGS[item.source], []).append(
                    f"{where} принимает оплату «{item.get_source_display()}»: сначала уберите этот источник у группы."
                )
    if errors:
        raise ValidationError(errors)


def academic_year_of(day: date) -> int:
    """The academic year a day belongs to, by the year it begins in: 1 September – 31 August."""
    return day.year if day.month >= 9 else day.year - 1


def planned_academic_year(today: date) -> int:
    """The academic year new groups are made for: from June on, the coming one."""
    return today.year if today.month >= 6 else today.year - 1


def _months_after(day: date, months: int) -> date:
    """The same day `months` later (the month's last day if it has no such day)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def group_errors(program: Program, values: Mapping[str, Any]) -> dict[str, str]:
    """What is wrong with a group's fields against its program, by field: its ages lie within the
    program's, its academic year is the one its lessons start in, applications are taken no later
    than its last lesson, its yearly hours do not exceed the program's. Missing values (None) are
    not checked: the form or the model reports them."""
    errors: dict[str, str] = {}
    for name in ("age_from", "age_to"):
        value = values.get(name)
        if value is not None and not program.age_from <= value <= program.age_to:
            errors[name] = f"Возраст группы — в пределах возраста программы: {program.age_from}–{program.age_to} лет."
    year, start = values.get("academic_year"), values.get("start_date")
    if year is not None and start is not None and academic_year_of(start) != year:
        right = academic_year_of(start)
        errors["academic_year"] = (
            f"Учебный год не совпадает с датами: занятия начинаются {start:%d.%m.%Y} — "
            f"это {academic_year_label(right)} учебный год, укажите {right}."
        )
    end = values.get("end_date")
    # A month's slack for holidays; a longer group is a typo of a year (2030 for 2028).
    latest_end = _months_after(start, program.duration_months + 1) if start is not None else None
    if latest_end is not None and end is not None and end > latest_end:
        errors["end_date"] = (
            f"Занятия группы длятся дольше программы ({program.duration_months} мес.): "
            f"с {start:%d.%m.%Y} — не позже {latest_end:%d.%m.%Y}."
        )
    for name, verb in (("enrollment_opens_at", "начинаться"), ("enrollment_closes_at", "заканчиваться")):
        moment = values.get(name)
        if end is not None and moment is not None and timezone.localtime(moment).date() > end:
            errors[name] = f"Приём заявок должен {verb} не позже последнего дня занятий ({end:%d.%m.%Y})."
    hours = values.get("hours_per_year")
    if hours is not None and hours > program.hours_total:
        errors["hours_per_year"] = f"Часов в год не может быть больше объёма всей программы: {program.hours_total} ч."
    return errors


GROUP_RULE_FIELDS = (
    "age_from",
    "age_to",
    "academic_year",
    "start_date",
    "end_date",
    "enrollment_opens_at",
    "enrollment_closes_at",
    "hours_per_year",
)


def check_group(program: Program, group: Group) -> None:
    """The group's own rules (its fields and table constraints) and those against its program.
    A field that breaks a rule of the program is not checked again by the model: one message each."""
    errors: dict[str, Any] = group_errors(program, {name: getattr(group, name) for name in GROUP_RULE_FIELDS})
    try:
        group.full_clean(exclude=list(errors))
    except ValidationError as error:
        errors = error.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


def check_group_name_free(group: Group) -> None:
    """Families choose a group by its name: a program's groups of one academic year have different
    names (and a form sent twice makes no second group). Checked under the program's row lock."""
    same_year = Group.objects.filter(program_id=group.program_id, academic_year=group.academic_year)
    twin = same_in_any_case(same_year.exclude(pk=group.pk).only("name"), "name", group.name)
    if twin is not None:
        raise ValidationError(
            {"name": f"В программе уже есть группа «{twin.name}» на этот учебный год: назовите эту группу иначе."}
        )


@transaction.atomic
def save_group(
    actor: Any,
    group: Group,
    *,
    schedule: Sequence[Slot] | None = None,
    financing: Sequence[Financing] | None = None,
) -> Group:
    """Create or update a group with its timetable and financing sources. The timetable and the
    financing are replaced when given; a new group needs its financing (at least one source).
    An archived program's groups are read with it and are not changed (`editing_locked`), but for
    one step: switching off a group nobody is in (`_switch_off_archived_group`)."""
    program = Program.objects.select_for_update().get(pk=group.program_id)
    creating = group._state.adding
    reason = editing_locked(program, groups=True)
    if reason:
        if creating:
            raise ValidationError(reason)
        return _switch_off_archived_group(actor, program, group, reason, schedule, financing)
    # An address of the organization written otherwise is kept as its records write it: on the map there.
    group.address = (
        places.as_known(program.organization, group.address) or program.address or program.organization.address
    )
    if group.teacher is not None and group.teacher.organization_id != program.organization_id:
        raise ValidationError({"teacher": "Педагог должен работать в организации, которая реализует программу."})
    if financing is None and creating:
        financing = []
    # Every rule is checked, so that one answer names every mistake.
    checks: list[Callable[[], None]] = [partial(check_group, program, group), partial(check_group_name_free, group)]
    if schedule is not None:
        checks.append(partial(check_schedule, schedule))
    current_slots = [] if creating else [_slot(slot) for slot in group.schedule.all()]
    slots = schedule if schedule is not None else current_slots
    checks.append(partial(check_teacher_and_rooms_free, group, program.organization_id, slots))
    if financing is not None:
        checks.append(partial(check_financing, program, financing))
    errors: dict[str, Any] = {}
    for check in checks:
        try:
            check()
        except ValidationError as error:
            errors = error.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)
    told: list[group_letters.Change] = []
    if not creating:
        # What is sent as it is changes nothing: `updated_at` stays, nothing is audited (see save_program).
        changed, schedule, financing = _group_changes(group, current_slots, schedule, financing)
        if schedule is None and financing is None and not changed:
            return group
        if "is_active" in changed and not group.is_active:
            check_nobody_in(group)
        if group.is_active:
            paid_before = [Financing(f.source, f.cost_per_month) for f in group.financing.all()] if financing else []
            told = group_letters.changes(group, changed, (current_slots, schedule), (paid_before, financing))
    group.save()
    if schedule is not None:
        group.schedule.all().delete()
        ScheduleSlot.objects.bulk_create(
            ScheduleSlot(group=group, weekday=s.weekday, starts_at=s.starts_at, ends_at=s.ends_at, room=s.room)
            for s in schedule
        )
    if financing is not None:
        group.financing.all().delete()
        GroupFinancing.objects.bulk_create(
            GroupFinancing(group=group, source=f.source, cost_per_month=f.cost_per_month) for f in financing
        )
    refresh_program_groups([program.pk])
    families = group_letters.tell_families(group, program, told)
    audit.record(
        actor,
        "group.created" if creating else "group.updated",
        group,
        program=program.code,
        **({"families_told": families} if families else {}),
    )
    if program.status == S.PUBLISHED:
        search.bump_catalog_version()
    return group


def _group_changes(
    group: Group, current_slots: Sequence[Slot], schedule: Sequence[Slot] | None, financing: Sequence[Financing] | None
) -> tuple[list[str], Sequence[Slot] | None, Sequence[Financing] | None]:
    """What saving an existing group changes: its changed fields, and the timetable and financing
    given (None when not given or the same as now)."""
    if schedule is not None and sorted(map(astuple, schedule)) == sorted(map(astuple, current_slots)):
        schedule = None
    if financing is not None and sorted(map(astuple, financing)) == sorted(
        (f.source, f.cost_per_month) for f in group.financing.all()
    ):
        financing = None
    return _changed_fields(group), schedule, financing


GROUP_IN_USE = (
    "Группу «{name}» выключить нельзя: в ней есть зачисленные дети или заявки, ждущие решения. "
    "Сначала отчислите детей и решите заявки в разделе заявок."
)


def check_nobody_in(group: Group) -> None:
    """A group is switched off only without enrolled children or applications waiting for it: a child there
    would be in a group that no longer meets, an application would wait for one. Under the group's row lock:
    a seat taken meanwhile (`enrollment.services`) updates this row."""
    Group.objects.select_for_update().values_list("pk").get(pk=group.pk)
    if archiving.children_in([group.pk])[group.pk].any:
        raise ValidationError({"is_active": GROUP_IN_USE.format(name=group.name)})


def _switch_off_archived_group(
    actor: Any,
    program: Program,
    group: Group,
    reason: str,
    schedule: Sequence[Slot] | None,
    financing: Sequence[Financing] | None,
) -> Group:
    """The one change of an archived program's group (a step of save_group, the program's row
    locked): «действует» unticked, nothing else. Switched off, the group no longer books its teacher
    and rooms (`check_teacher_and_rooms_free`) nor counts among the current groups, while what the
    families who applied read of it — its name, dates, timetable and teacher — stays (`check_nobody_in`).
    Anything else waits for the restoring."""
    changed, schedule, financing = _group_changes(
        group, [_slot(slot) for slot in group.schedule.all()], schedule, financing
    )
    if not changed and schedule is None and financing is None:
        return group  # sent as it is
    if changed != ["is_active"] or group.is_active or schedule is not None or financing is not None:
        raise ValidationError(reason)
    check_nobody_in(group)
    group.save(update_fields=["is_active", "updated_at"])
    refresh_program_groups([program.pk])
    audit.record(actor, "group.updated", group, program=program.code, fields=changed)
    return group


def find_overlap(schedule: Sequence[Slot]) -> tuple[int, int] | None:
    """Indexes of two lessons that overlap on the same weekday (the earlier first), or None.
    Lessons that only touch (15:00–16:30 and 16:30–17:00) do not overlap."""
    order = sorted(range(len(schedule)), key=lambda i: (schedule[i].weekday, schedule[i].starts_at))
    latest: int | None = None  # the lesson of the day that ends last so far
    for index in order:
        slot = schedule[index]
        if latest is not None and schedule[latest].weekday == slot.weekday:
            if slot.starts_at < schedule[latest].ends_at:
                return latest, index
            if slot.ends_at > schedule[latest].ends_at:
                latest = index
        else:
            latest = index
    return None


def overlap_message(first: Slot, second: Slot) -> str:
    return f"Занятия группы пересекаются: {first} и {second}."


def check_schedule(schedule: Sequence[Slot]) -> None:
    for slot in schedule:
        if not 0 <= slot.weekday <= 6:
            raise ValidationError({"schedule": "День недели указан неверно."})
        if slot.starts_at >= slot.ends_at:
            raise ValidationError(
                {"schedule": f"Занятие в {slot.starts_at:%H:%M} должно заканчиваться позже, чем начинается."}
            )
    overlap = find_overlap(schedule)
    if overlap is not None:
        raise ValidationError({"schedule": overlap_message(schedule[overlap[0]], schedule[overlap[1]])})


def _slot(slot: ScheduleSlot) -> Slot:
    return Slot(slot.weekday, slot.starts_at, slot.ends_at, slot.room)


def check_teacher_and_rooms_free(group: Group, organization_id: int, schedule: Sequence[Slot]) -> None:
    """A teacher, and a room of the organization at the group's address, take one group at a time:
    a lesson of another active group over overlapping dates, on the same weekday at an overlapping
    time, with the same teacher or in the same room, is named (two groups booked one teacher twice)."""
    if not group.is_active or group.start_date is None or group.end_date is None or not schedule:
        return  # an inactive group books nobody; missing dates are the form's message
    whose = Q(group__teacher_id=group.teacher_id) if group.teacher_id is not None else Q()
    if any(slot.room.strip() for slot in schedule):
        whose |= Q(group__program__organization_id=organization_id, group__address=group.address) & ~Q(room="")
    if not whose:
        return  # neither a teacher nor a room to book
    at_once = Q()
    for slot in schedule:
        at_once |= Q(weekday=slot.weekday, starts_at__lt=slot.ends_at, ends_at__gt=slot.starts_at)
    lessons = (
        ScheduleSlot.objects.filter(at_once, whose, group__is_active=True)
        .filter(group__start_date__lte=group.end_date, group__end_date__gte=group.start_date)
        .exclude(group_id=group.pk)
        .select_related("group__program", "group__teacher")
        .order_by("weekday", "starts_at")
    )
    for other in lessons:
        for slot in schedule:
            if slot.weekday != other.weekday or not (slot.starts_at < other.ends_at and other.starts_at < slot.ends_at):
                continue
            where = f"группа «{other.group.name}» программы «{other.group.program.title}»: {other}"
            if group.teacher_id is not None and other.group.teacher_id == group.teacher_id:
                raise ValidationError(
                    {"schedule": f"Педагог {other.group.teacher} в это время ведёт другую группу — {where}."}
                )
            # Rooms are typed by hand: «Каб. 12» and «каб. 12» are one (SQLite folds Latin letters only).
            if slot.room.strip() and slot.room.strip().casefold() == other.room.strip().casefold():
                raise ValidationError({"schedule": f"Кабинет «{other.room}» в это время занят: {where}."})


# The program's condition that allows each financing source of its groups.
SOURCE_FLAGS = {
    FundingSource.BUDGET.value: "is_free",
    FundingSource.CERTIFICATE.value: "by_certificate",
    FundingSource.PAID.value: "is_paid",
}
NO_FINANCING = "Укажите хотя бы один источник финансирования: бесплатно, по сертификату или платно."


def _offered_sources(program: Program) -> dict[str, bool]:
    return {source: bool(getattr(program, flag)) for source, flag in SOURCE_FLAGS.items()}


def financing_cost_error(source: str, cost: Decimal) -> str | None:
    """What is wrong with a source's monthly cost: a free source has none, one that is paid for (by
    the family or by a certificate) costs more than nothing, and no more than the limit."""
    if source == FundingSource.BUDGET:
        return None if cost == 0 else "Бесплатный источник — без стоимости: укажите 0 или оставьте поле пустым."
    if cost <= 0:
        return f"Укажите стоимость в месяц больше нуля: источник «{FundingSource(source).label}» оплачивается."
    if cost > MAX_PRICE_PER_MONTH:
        return PRICE_LIMIT_MESSAGE
    return None


def check_financing(program: Program, financing: Sequence[Financing]) -> None:
    """A group's financing: at least one source, each once, among the program's conditions, each
    with a cost that fits it."""
    if not financing:
        raise ValidationError({"financing": NO_FINANCING})
    allowed = _offered_sources(program)
    sources = [f.source for f in financing]
    if len(sources) != len(set(sources)):
        raise ValidationError({"financing": "Каждый источник финансирования указывается один раз."})
    for item in financing:
        if item.source not in allowed:
            raise ValidationError({"financing": f"Неизвестный источник финансирования «{item.source}»."})
        if not allowed[item.source]:
            label = FundingSource(item.source).label
            raise ValidationError({"financing": f"Источник «{label}» не указан в условиях программы."})
        message = financing_cost_error(item.source, item.cost_per_month)
        if message is not None:
            raise ValidationError({"financing": message})


REFRESH_CHUNK = 500  # program ids per statement: SQLite takes at most 999 parameters


def refresh_program_groups(program_ids: Iterable[int] | None = None) -> None:
    """Recompute the denormalized weekdays and free seats of programs (all when None) from their
    groups, in set-based UPDATEs so that a whole catalog takes seconds."""
    if program_ids is None:
        _refresh_programs(Program.objects.all())
        return
    ids = list(program_ids)
    for start in range(0, len(ids), REFRESH_CHUNK):
        _refresh_programs(Program.objects.filter(pk__in=ids[start : start + REFRESH_CHUNK]))


def refresh_open_seats(program_id: int, group_ids: Sequence[int | None] = ()) -> None:
    """Recount one program's free seats after a seat moved in these groups (its timetable did not
    change): a fixed statement, since on enrollment day it follows every seat taken.

    Cards show the count as read with the page (their seats are never kept); the search index only
    knows which groups have free seats, so the catalog changes for search only when the program's
    seats or a group's may have crossed zero — not at each of the thousands of seats taken on
    enrollment day. A seat moves in a group closed for applications too (a child leaves it)."""
    open_sql, open_params = _free_seats(taking_applications=True)
    closed_sql, closed_params = _free_seats(taking_applications=False)
    moved_in, moved_out = [*group_ids, None, None][:2]  # a seat moves within at most two groups
    with rawsql.cursor() as cursor:
        cursor.execute(
            f"UPDATE catalog_program SET open_seats = ({open_sql}), closed_seats = ({closed_sql}) "  # noqa: S608
            "WHERE id = %s RETURNING open_seats, "
            "(SELECT MIN(capacity - seats_taken) FROM catalog_group WHERE id = %s OR id = %s)",
            [*open_params, *closed_params, program_id, moved_in, moved_out],
        )
        row = cursor.fetchone()
    if row is not None and (row[0] <= 1 or (row[1] is not None and row[1] <= 1)):
        search.bump_catalog_version()


def _free_seats(*, taking_applications: bool) -> tuple[str, list[Any]]:
    """SQL for the free seats of the program being updated (catalog_program) over its current groups
    taking applications (as `models.offering_seats` says), or over those not taking them, and its
    parameters."""
    now = timezone.now()
    sql = (
        "SELECT COALESCE(SUM(g.capacity - g.seats_taken), 0) FROM catalog_group g "  # noqa: S608 -- our fixed SQL
        "WHERE g.program_id = catalog_program.id AND g.is_active AND g.end_date >= %s "
        f"AND {'' if taking_applications else 'NOT '}({OFFERING_SEATS_SQL})"
    )
    return sql, [
        rawsql.param(Group._meta.get_field("end_date"), timezone.localdate(now)),
        rawsql.param(Group._meta.get_field("enrollment_closes_at"), now),
    ]


def _group_facts() -> dict[str, Any]:
    """The program's columns its groups decide, as expressions over them (see the Program model)."""
    today = timezone.localdate()
    slots = ScheduleSlot.objects.filter(
        group__program=OuterRef("pk"), group__is_active=True, group__end_date__gte=today
    )
    mask = sum(
        (Case(When(Exists(slots.filter(weekday=day)), then=Value(1 << day)), default=Value(0)) for day in range(7)),
        start=Value(0),
    )
    current = (
        Group.objects.current()
        .filter(program=OuterRef("pk"))
        .order_by()
        .values("program")
        .annotate(n=Count("pk"))
        .values("n")
    )
    offering = (
        Group.objects.filter(offering_seats(timezone.now()), program=OuterRef("pk"))
        .order_by()
        .values("program")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return {
        "open_seats": RawSQL(*_free_seats(taking_applications=True)),  # noqa: S611  (our fixed SQL)
        "weekdays_mask": mask,
        "current_groups": Coalesce(Subquery(current), 0),
        "closed_seats": RawSQL(*_free_seats(taking_applications=False)),  # noqa: S611
        "offering_groups": Coalesce(Subquery(offering), 0),
    }


def _refresh_programs(programs: QuerySet[Program]) -> None:
    programs.update(**_group_facts())


def refresh_stale_programs() -> int:
    """Recount the programs whose groups' facts changed with time alone — an enrollment window
    closed, a group ended — so that cards and the search stop offering them; run from cron
    (`manage.py refresh_catalog`). Only the programs whose figures differ are written, and the
    search catalog changes only if one did. Returns how many."""
    facts = _group_facts()
    differs = Q()
    for name in facts:
        differs |= ~Q(**{name: F(f"fresh_{name}")})
    fresh = Program.objects.annotate(**{f"fresh_{name}": expression for name, expression in facts.items()})
    stale = list(fresh.filter(differs).values_list("pk", flat=True))
    refresh_program_groups(stale)
    if stale:
        search.bump_catalog_version()
    return len(stale)


# --- Study places -------------------------------------------------------------------------

OWN_ADDRESS = "Это адрес самой организации: он уже на карте по её координатам."
# What families read of an organization and the organization keeps itself; its names, legal details, address and
# place, type and units are the territory's register's (catalog.register).
PROFILE_FIELDS = ("description", "phone", "email", "website", "accessible_for_ovz", "accessibility_notes")


def save_organization_profile(actor: Any, organization: Organization) -> list[str]:
    """Save what the organization tells families of itself (PROFILE_FIELDS; the caller checked the right to change
    the organization): checked field by field, written with `updated_at` and audited with the names of the fields
    changed; the list of organizations learns a changed accessibility with the search index. Returns the fields
    changed (none: nothing written)."""
    for name in ("description", "accessibility_notes"):
        setattr(organization, name, (getattr(organization, name) or "").strip())
    for name in ("phone", "email", "website"):
        setattr(organization, name, " ".join((getattr(organization, name) or "").split()))
    organization.clean_fields(exclude=[f.name for f in Organization._meta.fields if f.name not in PROFILE_FIELDS])
    stored = Organization.objects.filter(pk=organization.pk).values(*PROFILE_FIELDS).get()
    changed = [name for name in PROFILE_FIELDS if stored[name] != getattr(organization, name)]
    if not changed:
        return []
    with transaction.atomic():
        organization.save(update_fields=[*changed, "updated_at"])
        audit.record(actor, "organization.profile_changed", organization, fields=changed)
        if "accessible_for_ovz" in changed:
            search.bump_catalog_version()
    return changed


COORDINATES_TOGETHER = "Укажите широту и долготу вместе или не указывайте ни одну."
PLACE_TAKEN = "У организации уже есть место занятий с этим адресом."
PLACE_FIELDS = ("name", "address", "latitude", "longitude")


def save_study_place(actor: Any, place: StudyPlace) -> StudyPlace:
    """Add or change a place where the organization's groups meet (the caller checked the right to change the
    organization). Its address is kept as given (spaces collapsed); the organization's own address, however
    written (places.same_building), is not a study place — its place on the map is the organization's. The search
    finds the groups there by their distance once the index is renewed (after commit). The organization's programs
    and groups already written at the place otherwise («ул. Ленина, д. 5» for «улица Ленина, 5»), or at its
    previous address when it is corrected, are written as the place is (their `updated_at` moves, for
    synchronizing clients): they meet where they met, now on the map; the groups saved later are (save_group)."""
    creating = place._state.adding
    place.address = places.normalized(place.address or "")
    place.name = " ".join((place.name or "").split())
    names = places.territory_names(place.organization)
    key = places.address_key(place.address, names)
    if places.same_building(key, places.address_key(place.organization.address, names)):
        raise ValidationError({"address": OWN_ADDRESS})
    if (place.latitude is None) != (place.longitude is None):
        raise ValidationError({"latitude" if place.latitude is None else "longitude": COORDINATES_TOGETHER})
    others = StudyPlace.objects.filter(organization=place.organization_id).exclude(pk=place.pk)
    if any(
        places.same_building(key, places.address_key(other, names))
        for other in others.values_list("address", flat=True)
    ):
        raise ValidationError({"address": PLACE_TAKEN})
    place.full_clean(validate_constraints=False)  # checked above, by field; the database's stand behind
    stored = {} if creating else StudyPlace.objects.filter(pk=place.pk).values(*PLACE_FIELDS).get()
    changed = [name for name in PLACE_FIELDS if name in stored and stored[name] != getattr(place, name)]
    if not creating and not changed:
        return place  # sent as it was: no write, `updated_at` stays
    moved: dict[str, int] = {}
    with transaction.atomic():
        try:
            with transaction.atomic():
                place.save()
        except IntegrityError:  # the same address added by another request meanwhile
            raise ValidationError({"address": PLACE_TAKEN}) from None
        if creating or "address" in changed:
            moved = _gather_at(place, stored.get("address"), names)
        audit.record(
            actor,
            "study_place.added" if creating else "study_place.changed",
            place,
            organization=place.organization.code,
            fields=changed,
            **moved,
        )
        search.bump_catalog_version()
    return place


def _gather_at(place: StudyPlace, previous: str | None, names: frozenset[str]) -> dict[str, int]:
    """The organization's programs and groups at this place, written otherwise (places.same_building) or as its
    previous address, written as the place is now: they are on the map there. How many of each, where any."""
    key = places.address_key(place.address, names)
    programs = Program.objects.filter(organization=place.organization_id)
    groups = Group.objects.filter(program__organization=place.organization_id)
    # Each address once, from the database: an organization's groups of past years run to hundreds.
    written = {
        address
        for found in (programs, groups)
        for address in found.values_list("address", flat=True).distinct().order_by()
    }
    alike = [
        address
        for address in written
        if address != place.address
        and (address == previous or places.same_building(key, places.address_key(address, names)))
    ]
    if not alike:
        return {}
    along = {"address": place.address, "updated_at": timezone.now()}
    return {
        "programs": programs.filter(address__in=alike).update(**along),
        "groups": groups.filter(address__in=alike).update(**along),
    }


MOVE_TO_UNKNOWN = "Выберите адрес самой организации или другое её место занятий."


def remove_study_place(actor: Any, place: StudyPlace, move_to: str = "") -> None:
    """The organization no longer holds groups there: the place goes. With `move_to` (the organization's own
    address or another of its study places) its current groups move there — each through save_group: its
    rooms checked free at the new address, its families told — and so do the programs held there, all or none;
    without, they keep their address, off the map."""
    with transaction.atomic():
        moved = _move_away(actor, place, move_to) if move_to else {}
        audit.record(
            actor, "study_place.removed", place, organization=place.organization.code, address=place.address, **moved
        )
        place.delete()
        search.bump_catalog_version()


def _move_away(actor: Any, place: StudyPlace, move_to: str) -> dict[str, Any]:
    organization = place.organization
    elsewhere = organization.study_places.exclude(pk=place.pk).values_list("address", flat=True)
    if move_to not in {organization.address, *elsewhere}:
        raise ValidationError({"move_to": MOVE_TO_UNKNOWN})
    groups = (
        Group.objects.current()
        .filter(program__organization=organization, address=place.address)
        .exclude(program__status=S.ARCHIVED)  # read as they were; they meet no more
        .order_by("name", "pk")
    )
    refused: list[str] = []
    moved_groups = 0
    for group in groups:
        group.address = move_to
        try:
            save_group(actor, group)
        except ValidationError as error:
            refused += [f"Группа «{group.name}»: {message}" for message in error.messages]
        moved_groups += 1
    if refused:
        raise ValidationError({"move_to": refused})
    programs = Program.objects.filter(organization=organization, address=place.address).exclude(status=S.ARCHIVED)
    return {
        "moved_to": move_to,
        "groups": moved_groups,
        "programs": programs.update(address=move_to, updated_at=timezone.now()),
    }
