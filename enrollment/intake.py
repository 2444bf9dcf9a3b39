"""What a new application must know, read in one statement.

On the day enrollment opens thousands of families apply in the same minute, and each request
used to ask the database ten questions through the ORM. Here they are one fixed statement: the
program by its code, the child by its UUID, whether the applicant is the child's guardian, the
child's applications in work, the campaign the program takes applications through and the
program's current groups (only the one the family chose, if it chose one). The rules themselves
stay in `services`.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from itertools import accumulate
from typing import Any
from uuid import UUID

from django.db import connection
from django.utils import timezone

from catalog.models import Group, Program
from core import rawsql
from core.models import AuditEvent
from enrollment.models import ACTIVE_STATUSES, Application, ApplicationEvent, Campaign, CampaignStatus
from enrollment.models import ApplicationStatus as S
from people.models import Child, Guardian

PROGRAM_FIELDS = ("id", "code", "title", "status", "age_from", "age_to", "organization_id", "municipality_id")
CHILD_FIELDS = ("id", "uuid", "first_name", "last_name", "birth_date")
CAMPAIGN_FIELDS = ("id", "code", "name", "kind", "opens_at", "closes_at")
GROUP_FIELDS = (
    "id",
    "code",
    "name",
    "program_id",
    "capacity",
    "start_date",
    "end_date",
    "age_from",
    "age_to",
    "enrollment_opens_at",
    "enrollment_closes_at",
    "is_locked",
    "is_active",
)
IN_WORK_STATUSES = tuple(s for s in ACTIVE_STATUSES if s != S.ENROLLED)


def _statuses(statuses: tuple[str, ...]) -> str:
    return ", ".join(f"'{status}'" for status in statuses)  # our own constants, not input


def campaign_subquery(program: str, now: str) -> str:
    """SQL for the campaign deciding how `program` takes applications at `now`: the earliest
    opening of its campaigns not yet closed nor cancelled."""
    through = Campaign.programs.through._meta.db_table
    return (
        f"SELECT cp.campaign_id FROM {through} cp JOIN enrollment_campaign kk ON kk.id = cp.campaign_id "  # noqa: S608
        f"WHERE cp.program_id = {program} AND (kk.closes_at IS NULL OR kk.closes_at > {now}) "
        f"AND kk.status <> '{CampaignStatus.CANCELLED.value}' "
        "ORDER BY kk.opens_at, kk.id LIMIT 1"
    )


_program_columns = rawsql.fields(Program, PROGRAM_FIELDS)
_child_columns = rawsql.fields(Child, CHILD_FIELDS)
_campaign_columns = rawsql.fields(Campaign, CAMPAIGN_FIELDS)
_group_columns = rawsql.fields(Group, GROUP_FIELDS)
_COLUMNS: list[rawsql.Column] = [
    *_program_columns,
    *_child_columns,
    *_campaign_columns,
    *_group_columns,
    None,
    None,
    None,
]
# Where each model's columns end in a row.
_CUTS = tuple(accumulate(len(fields) for fields in (PROGRAM_FIELDS, CHILD_FIELDS, CAMPAIGN_FIELDS, GROUP_FIELDS)))
_load_program = rawsql.loader(Program, PROGRAM_FIELDS)
_load_child = rawsql.loader(Child, CHILD_FIELDS)
_load_campaign = rawsql.loader(Campaign, CAMPAIGN_FIELDS)
_load_group = rawsql.loader(Group, GROUP_FIELDS)
_GUARDIANS = Child.guardians.through._meta.db_table
_SQL = f"""
SELECT {rawsql.select_list("p", _program_columns)}, {rawsql.select_list("c", _child_columns)},
  {rawsql.select_list("k", _campaign_columns)}, {rawsql.select_list("g", _group_columns)},
  EXISTS (SELECT 1 FROM {_GUARDIANS} cg JOIN {Guardian._meta.db_table} gd ON gd.id = cg.guardian_id
          WHERE cg.child_id = c.id AND gd.user_id = %(actor)s),
  EXISTS (SELECT 1 FROM enrollment_application a
          WHERE a.child_id = c.id AND a.program_id = p.id AND a.status IN ({_statuses(ACTIVE_STATUSES)})),
  (SELECT COUNT(*) FROM enrollment_application a
   WHERE a.child_id = c.id AND a.status IN ({_statuses(IN_WORK_STATUSES)}))
FROM catalog_program p
LEFT JOIN people_child c ON c.uuid = %(child)s
LEFT JOIN enrollment_campaign k ON k.id = ({campaign_subquery("p.id", "%(now)s")})
LEFT JOIN catalog_group g ON g.program_id = p.id AND g.is_active AND g.end_date >= %(today)s
  AND (CAST(%(group)s AS varchar) IS NULL OR g.code = %(group)s)
WHERE p.code = %(program)s
ORDER BY g.start_date, g.id
"""  # noqa: S608  (names from our models; values are parameters)


@dataclass(frozen=True)
class ApplicationRequest:
    """The program (None if no program has the code), the child (None if unknown), what the rules
    need about them, and the program's current groups in the order seats are offered: only the
    named one when the request names a group (empty if it is not one of them)."""

    program: Program | None
    child: Child | None
    campaign: Campaign | None
    groups: list[Group]
    is_guardian: bool
    applied_to_program: bool
    in_work: int


def load(actor: Any, child_uuid: UUID, program_code: str, group_code: str | None, now: datetime) -> ApplicationRequest:
    actor_id = actor.pk if getattr(actor, "is_authenticated", False) else None
    rows = rawsql.select(
        _SQL,
        {
            "actor": actor_id,
            "child": rawsql.param(Child._meta.get_field("uuid"), child_uuid),
            "program": program_code,
            "group": group_code or None,
            "now": rawsql.param(Campaign._meta.get_field("opens_at"), now),
            "today": rawsql.param(Group._meta.get_field("end_date"), timezone.localdate(now)),
        },
        _COLUMNS,
    )
    if not rows:
        return ApplicationRequest(None, None, None, [], False, False, 0)
    first = rows[0]
    cut = _CUTS
    program = _load_program(first[: cut[0]])
    child_values = first[cut[0] : cut[1]]
    child = _load_child(child_values) if child_values[0] is not None else None
    campaign_values = first[cut[1] : cut[2]]
    campaign = _load_campaign(campaign_values) if campaign_values[0] is not None else None
    groups = []
    for row in rows:
        if row[cut[2]] is None:
            continue  # the program has no current group
        group = _load_group(row[cut[2] : cut[3]])
        group.program = program  # known: its ages and the history need no query
        groups.append(group)
    is_guardian, applied, in_work = first[cut[3] :]
    return ApplicationRequest(program, child, campaign, groups, bool(is_guardian), bool(applied), int(in_work or 0))


# --- Writing it: one statement on PostgreSQL --------------------------------------------------
#
# The seat, the application in its final status, its history and its audit records are one
# statement with data-modifying WITH clauses: atomic by itself, one round trip, no BEGIN and
# COMMIT of their own. `services` writes the same rows step by step where WITH cannot modify
# data (SQLite).


def ahead_in_queue(groups: int, program: str, at: str, application: str) -> str:
    """SQL counting the applications queued ahead of one (`application` of `program`, queued `at`;
    earlier first, then by number) for the seats it waits for, those of its `groups`: a seat freed
    in a group goes to the first of those queued for that group or for any group of the program
    with a child of its ages (`services.offer_freed_seats`), so each of them is ahead. The groups'
    ids and the birth dates their ages take are parameters (`queue_parameters`)."""
    if not groups:
        return "SELECT 0"
    chosen = ", ".join(f"%(queue_group_{n})s" for n in range(groups))
    ages = " OR ".join(f"ch.birth_date BETWEEN %(born_from_{n})s AND %(born_to_{n})s" for n in range(groups))
    return (
        f"SELECT COUNT(*) FROM {Application._meta.db_table} a WHERE a.program_id = {program} "  # noqa: S608
        f"AND a.status = '{S.WAITLISTED}' "
        f"AND (a.waitlisted_at < {at} OR (a.waitlisted_at = {at} AND a.id < {application})) "
        f"AND (a.group_id IN ({chosen}) OR (a.group_id IS NULL AND EXISTS ("
        f"SELECT 1 FROM {Child._meta.db_table} ch WHERE ch.id = a.child_id AND ({ages}))))"
    )


def queue_groups(chosen: Group | None, groups: Iterable[Group], birth_date: date) -> list[Group]:
    """The groups whose freed seats a queued application waits for: the one chosen, or for «any
    group» those of the program's current `groups` taking the child's age."""
    return [chosen] if chosen is not None else [group for group in groups if group.takes_child_born(birth_date)]


def queue_parameters(groups: Sequence[Group]) -> dict[str, Any]:
    """The parameters of `ahead_in_queue` for these groups."""
    born = Child._meta.get_field("birth_date")
    parameters: dict[str, Any] = {}
    for n, group in enumerate(groups):
        earliest, latest = group.birth_dates()
        parameters |= {
            f"queue_group_{n}": group.pk,
            f"born_from_{n}": rawsql.param(born, earliest),
            f"born_to_{n}": rawsql.param(born, latest),
        }
    return parameters


_APPLICATION_FIELDS = [field for field in Application._meta.concrete_fields if not field.primary_key]
_SEATED = "seat.id IS NOT NULL"
# Columns the seat decides; the parameters hold the values for a child without a seat.
_DECIDED_BY_SEAT = {
    "group_id": "COALESCE(seat.id, {})",
    "status": f"CASE WHEN {_SEATED} THEN '{S.INVITED}' ELSE {{}} END",
    "deadline": f"CASE WHEN {_SEATED} THEN CAST(%(seated_deadline)s AS timestamptz) ELSE {{}} END",
    "waitlisted_at": f"CASE WHEN {_SEATED} THEN NULL ELSE {{}} END",
}


def _application_values() -> str:
    values = []
    for field in _APPLICATION_FIELDS:
        value = f"CAST(%({field.attname})s AS {field.db_type(connection)})"
        values.append(_DECIDED_BY_SEAT.get(field.attname, "{}").format(value))
    return ", ".join(values)


def _audit_row(actor: str, action: str, data: str) -> str:
    return (
        f"SELECT app.created_at, {actor}, {action}, '{Application._meta.label_lower}', "  # noqa: S608
        f"CAST(app.id AS varchar), {data} FROM app"
    )


@cache
def _insert_sql(queue_groups: int) -> str:
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in _APPLICATION_FIELDS)
    applicant = "CAST(%(applicant_id)s AS bigint)"
    moved_on = f"app.status <> '{S.NEW}'"  # a first-come campaign placed or queued it at once
    applied = _audit_row(applicant, f"'application.{S.NEW}'", """CAST('{"previous": "", "reason": ""}' AS jsonb)""")
    placed = _audit_row(
        "NULL", "'application.' || app.status", f"jsonb_build_object('previous', '{S.NEW}', 'reason', '')"
    )
    return f"""
WITH seat AS (
  UPDATE {Group._meta.db_table} g SET seats_taken = g.seats_taken + 1
  FROM (SELECT c.id FROM {Group._meta.db_table} c
        WHERE c.id = ANY(CAST(%(candidates)s AS bigint[])) AND c.seats_taken < c.capacity
        ORDER BY array_position(CAST(%(candidates)s AS bigint[]), c.id) LIMIT 1 FOR UPDATE) first_free
  WHERE g.id = first_free.id AND g.seats_taken < g.capacity
  RETURNING g.id
), app AS (
  INSERT INTO {Application._meta.db_table} ({columns})
  SELECT {_application_values()} FROM (SELECT 1) one LEFT JOIN seat ON true
  RETURNING id, created_at, program_id, group_id, status, deadline, waitlisted_at
), history AS (
  INSERT INTO {ApplicationEvent._meta.db_table}
    (application_id, created_at, actor_id, from_status, to_status, group_id, reason)
  SELECT app.id, app.created_at, {applicant}, '', '{S.NEW}', CAST(%(group_id)s AS bigint), '' FROM app
  UNION ALL
  SELECT app.id, app.created_at, NULL, '{S.NEW}', app.status, app.group_id, '' FROM app WHERE {moved_on}
), audit AS (
  INSERT INTO {AuditEvent._meta.db_table} (created_at, actor_id, action, object_type, object_id, data)
  {applied}
  UNION ALL
  {placed} WHERE {moved_on}
)
SELECT id, group_id, status, deadline, waitlisted_at,
  CASE WHEN status = '{S.WAITLISTED}'
    THEN 1 + ({ahead_in_queue(queue_groups, "app.program_id", "app.waitlisted_at", "app.id")}) END
FROM app
"""  # noqa: S608  (names from our models, constants from our code; values are parameters)


_RETURNED = [*rawsql.fields(Application, ("id", "group_id", "status", "deadline", "waitlisted_at")), None]


def insert(application: Application, candidates: list[Group], deadline: datetime, queue: list[Group]) -> None:
    """Write a new application as `services` prepared it (NEW, or WAITLISTED in a first-come
    campaign) on PostgreSQL; in a first-come campaign it takes a seat in the first of the
    `candidates` that has one, and is then INVITED with `deadline`. The history and the audit
    records are those of the transitions it went through. A queued application learns its place
    in the queue for the seats of `queue` (`queue_groups`) from the same statement."""
    prepared = {
        field.attname: field.get_db_prep_save(field.pre_save(application, True), connection)
        for field in _APPLICATION_FIELDS
    }

    def write() -> None:
        prepared["code"] = application.code
        params = {
            **prepared,
            "candidates": [group.pk for group in candidates],
            "seated_deadline": deadline,
            **queue_parameters(queue),
        }
        [row] = rawsql.select(_insert_sql(len(queue)), params, _RETURNED)
        (application.pk, application.group_id, application.status, application.deadline, application.waitlisted_at) = (
            row[:5]
        )
        application.known_waitlist_position = row[5]

    application.insert_with_code(write, one_statement=True)
    application._state.adding, application._state.db = False, connection.alias
