"""Who may see and act on certificates, contracts, registers and the money of a municipality."""

from django.db.models import Q

from accounts.roles import Principal
from core import scope
from enrollment.models import Application
from finance.models import (
    Agreement,
    Certificate,
    CertificateGroup,
    Certification,
    Contract,
    FinancingPeriod,
    Invoice,
    MonthClose,
    Provider,
)
from people.permissions import children_in_care
from territory.permissions import in_territory


def _territory(p: Principal, municipality: str, *, regional: bool = True) -> Q:
    return in_territory(municipality, p, p.region_ids if regional else frozenset())


def period_rule(p: Principal, action: scope.Action, prefix: str = "") -> Q:
    """The payer's settings: the municipal operator, and the regional operator who sets nominals."""
    return _territory(p, f"{prefix}municipality")


def certificate_group_rule(p: Principal, action: scope.Action) -> Q:
    return period_rule(p, action, "period__")


def agreement_rule(p: Principal, action: scope.Action) -> Q:
    own = Q(provider__organization__in=p.operated_organization_ids)
    return period_rule(p, action, "period__") | (own if action == "view" else scope.NOTHING)


def provider_rule(p: Principal, action: scope.Action) -> Q:
    """A provider's own operators invoice; the territory's operators keep the register."""
    own = Q(organization__in=p.operated_organization_ids)
    if action == "change":
        return own
    return own | _territory(p, "organization__municipality")


def certificate_rule(p: Principal, action: scope.Action) -> Q:
    """The family sees its children's certificates; the territory's operators and the organizations
    the child applied to see them and confirm the child's identity."""
    territory = _territory(p, "municipality")
    applied = (
        Q(child__in=Application.objects.filter(organization__in=p.operated_organization_ids).values("child_id"))
        if p.operated_organization_ids
        else scope.NOTHING
    )
    if action in ("change", "moderate"):
        return territory | applied
    return territory | applied | children_in_care(p, "child")


def contract_rule(p: Principal, action: scope.Action) -> Q:
    provider = Q(provider__organization__in=p.operated_organization_ids)
    if action == "change":
        return provider
    territory = _territory(p, "period__municipality")
    if action == "moderate":
        return territory
    return provider | territory | children_in_care(p, "certificate__child")


def certification_rule(p: Principal, action: scope.Action) -> Q:
    own = Q(program__organization__in=p.operated_organization_ids)
    if action == "change":
        return own
    territory = _territory(p, "program__municipality")
    if action == "moderate":
        return territory
    return own | Q(program__organization__in=p.teaching_organization_ids) | territory


def invoice_rule(p: Principal, action: scope.Action) -> Q:
    own = Q(provider__organization__in=p.operated_organization_ids)
    if action == "change":
        return own
    return own | _territory(p, "period__municipality")


def month_close_rule(p: Principal, action: scope.Action) -> Q:
    return period_rule(p, action, "period__")


scope.register(FinancingPeriod, period_rule)
scope.register(CertificateGroup, certificate_group_rule)
scope.register(Agreement, agreement_rule)
scope.register(Provider, provider_rule)
scope.register(Certificate, certificate_rule)
scope.register(Contract, contract_rule)
scope.register(Certification, certification_rule)
scope.register(Invoice, invoice_rule)
scope.register(MonthClose, month_close_rule)
