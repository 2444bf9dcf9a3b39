"""Demo personified financing: a financing period in every demo municipality, the registers, a
few certified programs, certificates of part of the demo children and contracts in every status.

The story runs from the start of the academic year: certificates are requested and issued in
late August, children enrolled with contracts in September (under a clock set back to then), the
months already over are closed and the demo organization invoices and is paid. Everything goes
through the finance, catalog and enrollment services, so the ledger reconciles; the demo family's
child holds an issued certificate and an active contract, so the family sees a balance.
"""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_CEILING, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F, Prefetch

from accounts.models import Role, User
from catalog.models import FundingSource, Group, GroupFinancing, ModerationStatus, Organization, Program
from enrollment import services as enrollment_services
from enrollment.models import Application
from finance import certificates, closing, contracts, registers
from finance.models import (
    Certificate,
    CertificateGroup,
    Contract,
    ContractStatus,
    FinancingPeriod,
    InvoiceKind,
    NominalKind,
    Provider,
)
from finance.testing import frozen_clock
from people.models import Child
from territory.demo import DemoRandom
from territory.models import Municipality

CERTIFICATE_SHARE = 0.03  # of the demo children, at least MIN_CERTIFICATES
MIN_CERTIFICATES = 60
PROGRAMS_PER_ORGANIZATION = 2
ORGANIZATIONS_PER_MUNICIPALITY = 2
CONTRACTS_PER_GROUP = 3
MAX_CONTRACTS = 40
FAMILY_MONTHLY_COST = Decimal(2000)  # nine months of it leave a 30 000 ₽ nominal 12 000 ₽

# The fate of each contract after the demo family's (which is active), in turn.
STATUS_PLAN = (
    ContractStatus.ACTIVE,
    ContractStatus.TERMINATED,
    ContractStatus.ACTIVE,
    ContractStatus.REJECTED,
    ContractStatus.ACTIVE,
    ContractStatus.CREATED,
    ContractStatus.ACTIVE,
    ContractStatus.CONFIRMED,
)
NOMINAL_AGES = (5, 17)  # the certificate groups of the demo cover these ages
DECLINE_REASON = "Не представлено свидетельство о рождении ребёнка."
REJECT_REASON = "Группа занимается по выходным: семья выбрала другое время, договор не нужен."
EXPEL_REASON = "Семья переехала в другой город."


@dataclass
class FinanceDemo:
    periods: int = 0
    providers: int = 0
    certified: int = 0
    certificates: Counter[str] = field(default_factory=Counter)
    contracts: Counter[str] = field(default_factory=Counter)
    closed_months: int = 0
    invoices: int = 0


@dataclass
class _Offer:
    program: Program
    groups: list[Group]
    actor: User  # who acts for the organization


def _period_dates(today: date) -> tuple[date, date]:
    """The academic year that started last September (or starts this one)."""
    year = today.year if today.month >= 9 else today.year - 1
    return date(year, 9, 1), date(year + 1, 8, 31)


def _certificate_groups(rng: DemoRandom, period: FinancingPeriod, population: int) -> None:
    cap = max(500, population // 5)
    for name, age_from, age_to, nominal in (
        ("Дети 5–13 лет", 5, 13, Decimal(30000)),
        ("Подростки 14–17 лет", 14, 17, Decimal(36000)),
    ):
        CertificateGroup.objects.create(
            period=period,
            name=name,
            age_from=age_from,
            age_to=age_to,
            nominal_kind=NominalKind.RUBLES,
            nominal=nominal,
            max_certificates=cap,
            max_nominal_total=nominal * cap,
        )


def _modules(program: Program, price: Decimal) -> list[registers.ModuleDraft]:
    """One module a year of study (9 months at most), the hours shared out by months."""
    months_total = max(1, program.duration_months)
    weekly = max(Decimal("0.5"), (Decimal(program.hours_total) / (4 * months_total)).quantize(Decimal("0.01")))
    modules, left, year = [], months_total, 1
    while left > 0:
        months = min(9, left)
        hours = max(1, round(program.hours_total * months / months_total))
        name = "Основной курс" if months_total <= 9 else f"{year}-й год обучения"
        modules.append(
            registers.ModuleDraft(name, months=months, hours=hours, weekly_hours=weekly, price=price * months)
        )
        left -= months
        year += 1
    return modules


def _certify(rng: DemoRandom, offer: _Offer, moderator: User) -> bool:
    program = offer.program
    price = GroupFinancing.objects.filter(group=offer.groups[0], source=FundingSource.CERTIFICATE).values_list(
        "cost_per_month", flat=True
    )[0]
    modules = _modules(program, price)
    try:
        certification = registers.submit_for_certification(offer.actor, program, modules)
        # The normative cost of a month meets the price for most programs; some need a co-payment.
        factor = Decimal("1") if rng.chance(0.7) else Decimal("0.85")
        first = modules[0]
        hourly = (price * first.months / first.hours * factor).quantize(Decimal("0.1"), rounding=ROUND_CEILING)
        registers.decide_certification(moderator, certification, certify=True, hourly_cost=hourly)
    except (ValidationError, PermissionDenied):
        return False
    return True


def _offers(
    rng: DemoRandom, featured: Organization, operator: User, admin: User, start: date, end: date
) -> list[_Offer]:
    """Published certificate programs with this year's groups paid by certificates: all of the demo
    organization's but its last (left on certification), and a few of other organizations."""
    groups = Group.objects.filter(
        start_date__gte=start,
        start_date__lte=end,
        financing__source=FundingSource.CERTIFICATE,
    ).order_by("start_date", "pk")  # full ones too: the contracts below take only free seats, but the family's
    programs = (
        Program.objects.filter(status=ModerationStatus.PUBLISHED, by_certificate=True, groups__in=groups)
        .distinct()
        .select_related("organization")
        .prefetch_related(Prefetch("groups", queryset=groups, to_attr="open_groups"))
        .order_by("organization_id", "pk")
    )
    by_organization: dict[int, list[Program]] = {}
    for found in programs:
        by_organization.setdefault(found.organization_id, []).append(found)
    offers: list[_Offer] = []
    own = by_organization.pop(featured.pk, [])
    offers += [_Offer(p, list(getattr(p, "open_groups", [])), operator) for p in own]
    by_municipality: dict[int, list[list[Program]]] = {}
    for items in by_organization.values():
        by_municipality.setdefault(items[0].municipality_id, []).append(items)
    for municipality_id in sorted(by_municipality):
        organizations = by_municipality[municipality_id]
        for items in rng.sample(organizations, min(ORGANIZATIONS_PER_MUNICIPALITY, len(organizations))):
            for chosen in items[:PROGRAMS_PER_ORGANIZATION]:
                offers.append(_Offer(chosen, list(getattr(chosen, "open_groups", [])), admin))
    return offers


def _fits(child: Child, program: Program, group: Group, day: date, today: date) -> bool:
    """The child's age fits the group, and a certificate group, both then and now."""
    if not all(NOMINAL_AGES[0] <= child.age_on(d) <= NOMINAL_AGES[1] for d in (day, today)):
        return False
    return group.takes_child_born(child.birth_date) and child.municipality_id == program.municipality_id


def _open(group: Group, now: datetime) -> bool:
    opens, closes = group.enrollment_opens_at, group.enrollment_closes_at
    return (opens is None or opens <= now) and (closes is None or now < closes)


def _enroll(child: Child, guardian: User, offer: _Offer, group: Group, key: str) -> Application | None:
    try:
        application = enrollment_services.apply(guardian, child, offer.program, group, key)
        enrollment_services.change_status(offer.actor, application, "invite")
        return enrollment_services.change_status(offer.actor, application, "enroll")
    except (ValidationError, PermissionDenied):
        return None


def _one_request_waits_for(
    featured: Organization, family: User, planned: list[tuple[Application, User, _Offer, str]]
) -> None:
    """The demo organization's operator finds a contract to confirm: the last of its planned
    contracts (not the demo family's) becomes a fresh request if the plan gave it none."""
    own = [
        index
        for index, (_, applicant, offer, _) in enumerate(planned)
        if offer.program.organization_id == featured.pk and applicant != family
    ]
    if own and all(planned[i][3] != ContractStatus.CREATED for i in own):
        application, applicant, offer, _ = planned[own[-1]]
        planned[own[-1]] = (application, applicant, offer, ContractStatus.CREATED)


def create_finance(
    rng: DemoRandom, today: date, featured: Organization, accounts: dict[str, User], children: Sequence[Child]
) -> FinanceDemo:
    """The financing demo; `children` are the demo families' children, the demo family's first."""
    result = FinanceDemo()
    admin, municipal = accounts[Role.ADMINISTRATOR], accounts[Role.MUNICIPAL_OPERATOR]
    regional, operator = accounts[Role.REGIONAL_OPERATOR], accounts[Role.ORGANIZATION_OPERATOR]
    family = accounts[Role.GUARDIAN]
    start, end = _period_dates(today)

    def moderator(municipality_id: int) -> User:
        return municipal if municipality_id == featured.municipality_id else regional

    def back(day: date) -> date:  # a day of the story, never after today
        return min(day, today)

    # The payer's settings: a period with two certificate groups in every municipality.
    periods: dict[int, FinancingPeriod] = {}
    for municipality in Municipality.objects.order_by("pk"):
        periods[municipality.pk] = FinancingPeriod.objects.create(
            municipality=municipality, name=f"{start.year}/{end.year} учебный год", starts_on=start, ends_on=end
        )
        _certificate_groups(rng, periods[municipality.pk], Child.objects.filter(municipality=municipality).count())
    result.periods = len(periods)

    with frozen_clock(back(start - timedelta(days=10))) as clock:
        # The registers: programs certified, their organizations in the register, agreements signed.
        offers = [o for o in _offers(rng, featured, operator, admin, start, end) if o.groups]
        own = [o for o in offers if o.program.organization_id == featured.pk]
        pending = own[-1] if len(own) > 2 else None
        certified: list[_Offer] = []
        for offer in offers:
            if offer is pending:
                registers.submit_for_certification(
                    offer.actor, offer.program, _modules(offer.program, Decimal(3000))
                )  # waits for the municipal operator's decision in the demo
                continue
            if _certify(rng, offer, moderator(offer.program.municipality_id)):
                certified.append(offer)
        result.certified = len(certified)
        organizations = {o.program.organization_id: o.program.organization for o in certified}
        organizations.setdefault(featured.pk, featured)
        for number, organization in enumerate(sorted(organizations.values(), key=lambda o: o.pk), start=1):
            boss = moderator(organization.municipality_id)
            provider = registers.include_provider(
                boss, organization, bank_account=f"40701810{rng.randint(10**11, 10**12 - 1)}", bik="049999001"
            )
            registers.sign_agreement(
                boss,
                periods[organization.municipality_id],
                provider,
                number=f"{number}-ПФ/{start.year}",
                signed_on=back(start - timedelta(days=5)),
            )
        result.providers = len(organizations)

        # Certificates: the families ask, the territory's operator confirms.
        wanted = min(len(children), max(MIN_CERTIFICATES, int(len(children) * CERTIFICATE_SHARE)))
        chosen = list(children[:2]) + rng.sample(list(children[2:]), max(0, min(len(children) - 2, wanted - 2)))
        guardians: dict[int, User] = {}
        for child in chosen:
            guardian = child.guardians.select_related("user").first()
            if guardian is None or guardian.user is None:
                continue
            guardians[child.pk] = guardian.user
        issued: list[Child] = []
        for index, child in enumerate(c for c in chosen if c.pk in guardians):
            try:
                certificate = certificates.request_certificate(guardians[child.pk], child)
            except (ValidationError, PermissionDenied):
                continue  # 18 already
            family_child = index < 2 and guardians[child.pk] == family
            fate = "" if family_child else rng.weighted((("issue", 0.9), ("wait", 0.07), ("decline", 0.03)))
            if fate == "wait":
                continue
            certificates.confirm_identity(
                moderator(certificate.municipality_id),
                certificate,
                accept=fate != "decline",
                reason=DECLINE_REASON if fate == "decline" else "",
            )
            if fate != "decline":
                issued.append(child)
        result.certificates = Counter(Certificate.objects.values_list("status", flat=True))

        # Contracts: children with certificates enrolled into certified groups of their municipality.
        clock.set(back(start + timedelta(days=14)))
        day = clock.now.date()
        seats = Counter[int]()
        planned: list[tuple[Application, User, _Offer, str]] = []
        used: set[int] = set()
        family_done = False
        plan = iter(STATUS_PLAN * (MAX_CONTRACTS // len(STATUS_PLAN) + 1))
        ordered = [c for c in issued if guardians[c.pk] == family] + [c for c in issued if guardians[c.pk] != family]
        for child in ordered:
            if len(planned) >= MAX_CONTRACTS:
                break
            if child.pk in used or (guardians[child.pk] == family and family_done):
                continue
            ours = guardians[child.pk] == family
            fitting = (
                (offer, g)
                for offer in certified
                for g in offer.groups
                # The demo family's child is shown a contract whatever the seats (its group gets one more).
                if (ours or seats[g.pk] < min(CONTRACTS_PER_GROUP, g.capacity - g.seats_taken))
                and _open(g, clock.now)
                and g.end_date > today  # some contracts are requested today
                and _fits(child, offer.program, g, day, today)
            )
            for offer, group in fitting:
                if ours:
                    Group.objects.filter(pk=group.pk, seats_taken__gte=F("capacity")).update(capacity=F("capacity") + 1)
                    # ...and costs what leaves its certificate a balance to show.
                    GroupFinancing.objects.filter(
                        group=group, source=FundingSource.CERTIFICATE, cost_per_month__gt=FAMILY_MONTHLY_COST
                    ).update(cost_per_month=FAMILY_MONTHLY_COST)
                application = _enroll(child, guardians[child.pk], offer, group, rng.uuid4().hex)
                if application is None:
                    continue
                seats[group.pk] += 1
                used.add(child.pk)
                # The demo family's first child gets the active contract; its second keeps a certificate of accounting.
                family_done = family_done or guardians[child.pk] == family
                target: str = ContractStatus.ACTIVE if guardians[child.pk] == family else next(plan)
                planned.append((application, guardians[child.pk], offer, target))
                break
        _one_request_waits_for(featured, family, planned)
        for application, applicant, offer, target in planned:
            if target in (ContractStatus.CREATED, ContractStatus.CONFIRMED):
                continue  # requested these days, below
            contract = contracts.request_contract(applicant, application, accept_copayment=True)
            if target == ContractStatus.REJECTED:
                contracts.reject_contract(offer.actor, contract, REJECT_REASON)
                continue
            contracts.confirm_contract(offer.actor, contract)
            clock.now += timedelta(hours=3)
            contracts.accept_contract(applicant, contract)

    # Back to today: the family that moved leaves, fresh requests wait for the provider and the family.
    for application, applicant, offer, target in planned:
        if target == ContractStatus.TERMINATED:
            left_on = back(start + timedelta(days=50))
            enrollment_services.change_status(offer.actor, application, "expel", reason=EXPEL_REASON, left_on=left_on)
        elif target in (ContractStatus.CREATED, ContractStatus.CONFIRMED):
            contract = contracts.request_contract(applicant, application, accept_copayment=True)
            if target == ContractStatus.CONFIRMED:
                contracts.confirm_contract(offer.actor, contract)

    # The months already over are closed; the demo organization reports, invoices and is paid.
    first_open = today.replace(day=1)
    month = start
    months: list[date] = []
    while month < first_open:
        months.append(month)
        month = contracts.next_month(month)
    own_groups = Contract.objects.filter(provider__organization=featured).values_list("group_id", flat=True)
    if months and own_groups:
        closing.report_completeness(operator, next(iter(sorted(own_groups))), months[-1], 90)
    closed: set[int] = set()
    for period in periods.values():
        if not Contract.objects.filter(period=period).exists():
            continue
        for month in months:
            closing.close_month(moderator(period.municipality_id), period, month)
            result.closed_months += 1
        closed.add(period.pk)
    payee = Provider.objects.filter(organization=featured).first()
    own_period = periods[featured.municipality_id]
    # Invoices for the months closed; a demo where no contract fell to the organization has none.
    if payee is not None and own_period.pk in closed:
        for number, month in enumerate(months):
            invoice = closing.issue_invoice(operator, payee, own_period, month, InvoiceKind.FINAL)
            result.invoices += 1
            if number < len(months) - 1:
                closing.pay_invoice(municipal, invoice)
        if closing.expected_for_month(payee, own_period, first_open) > 0:
            closing.issue_invoice(operator, payee, own_period, first_open, InvoiceKind.ADVANCE)
            result.invoices += 1
    result.contracts = Counter(Contract.objects.values_list("status", flat=True))
    return result
