"""What a new application must know, read in one statement.

On the day enrollment opens thousands of families apply in the same minute, and each request
used to ask the database ten questions through the ORM. Here they are one fixed statement: the
program by its code, the child by its UUID, whether the applicant is the child's guardian, the
child's applications in work, the campaign the program takes applications through and the
program's current groups. The rules themselves stay in `services`.
"""

from dataclasses import dataclass
from datetime import datetime
from itertools import accumulate
from typing import Any
from uuid import UUID

from django.utils import timezone

from catalog.models import Group, Program
from core import rawsql
from enrollment.models import ACTIVE_STATUSES, Campaign
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
    opening of its campaigns not yet closed."""
    through = Campaign.programs.through._meta.db_table
    return (
        f"SELECT cp.campaign_id FROM {through} cp JOIN enrollment_campaign kk ON kk.id = cp.campaign_id "  # noqa: S608
        f"WHERE cp.program_id = {program} AND (kk.closes_at IS NULL OR kk.closes_at > {now}) "
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
WHERE p.code = %(program)s
ORDER BY g.start_date, g.id
"""  # noqa: S608  (names from our models; values are parameters)


@dataclass(frozen=True)
class ApplicationRequest:
    """The program (None if no program has the code), the child (None if unknown), what the rules
    need about them, and the program's current groups in the order seats are offered."""

    program: Program | None
    child: Child | None
    campaign: Campaign | None
    groups: list[Group]
    is_guardian: bool
    applied_to_program: bool
    in_work: int


def load(actor: Any, child_uuid: UUID, program_code: str, now: datetime) -> ApplicationRequest:
    actor_id = actor.pk if getattr(actor, "is_authenticated", False) else None
    rows = rawsql.select(
        _SQL,
        {
            "actor": actor_id,
            "child": rawsql.param(Child._meta.get_field("uuid"), child_uuid),
            "program": program_code,
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
