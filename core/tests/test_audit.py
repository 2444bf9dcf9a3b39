"""Every action the code records in the audit log has its Russian name (core.audit.ACTION_LABELS)."""

import ast
from pathlib import Path

from django.conf import settings

from catalog.services import TRANSITION_LABELS
from core.audit import ACTION_LABELS, action_label
from enrollment.models import ApplicationStatus
from finance.models import CertificateStatus, CertificationStatus, ContractStatus, InvoiceKind

# The values an action built from a status takes (f"application.{target}"), by its object.
STATUSES = {
    "application": [s.value for s in ApplicationStatus],
    "contract": [s.value for s in ContractStatus],
    "certificate": [s.value for s in CertificateStatus],
    "certification": [CertificationStatus.CERTIFIED.value, CertificationStatus.DENIED.value],
    "invoice": [k.value for k in InvoiceKind],
    "program": list(TRANSITION_LABELS),
}


def _codes(node: ast.expr, where: str) -> set[str]:
    """The action codes an expression can give: a literal, either side of a conditional, or an
    f-string «object.{status}» with the values STATUSES lists."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _codes(node.body, where) | _codes(node.orelse, where)
    if isinstance(node, ast.JoinedStr) and isinstance(node.values[0], ast.Constant):
        subject = str(node.values[0].value).removesuffix(".")
        assert subject in STATUSES, f'{where}: say in STATUSES which values f"{subject}.{{…}}" takes'
        return {f"{subject}.{value}" for value in STATUSES[subject]}
    raise AssertionError(f"{where}: an action code the test cannot read: {ast.dump(node)}")


def recorded_actions() -> set[str]:
    """Every action code passed to audit.record, audit.created_once or audit.record_many in the project's code."""
    actions: set[str] = set()
    for path in Path(settings.BASE_DIR).rglob("*.py"):
        if set(path.relative_to(settings.BASE_DIR).parts) & {".venv", "node_modules", "tests", "migrations", "var"}:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            if not (isinstance(node.func.value, ast.Name) and node.func.value.id == "audit"):
                continue
            where = f"{path}:{node.lineno}"
            if node.func.attr in ("record", "created_once"):
                actions |= _codes(node.args[1], where)
            elif node.func.attr == "record_many":
                entries = [n for n in ast.walk(node.args[0]) if isinstance(n, ast.Tuple) and len(n.elts) == 4]
                assert entries, f"{where}: record_many of entries the test cannot read"
                for entry in entries:
                    actions |= _codes(entry.elts[1], where)
    return actions


def test_every_recorded_action_has_a_russian_name():
    actions = recorded_actions()
    assert {"program.created", "program.submit_changes", "application.enrolled", "demo.loaded"} <= actions
    assert actions - set(ACTION_LABELS) == set()
    assert set(ACTION_LABELS) - actions == set()  # and no name outlives its action


def test_an_unknown_action_shows_its_code():
    assert action_label("program.approve") == "Программа опубликована"
    assert action_label("legacy.thing") == "legacy.thing"
