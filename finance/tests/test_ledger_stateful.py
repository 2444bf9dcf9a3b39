"""Random sequences of issue / enroll / expel / reject / close a month / close it again, with every
invariant of the ledger checked after each step (hypothesis stateful testing).

OPORA_LEDGER_FUZZ_EXAMPLES raises the number of sequences for a long run (default 10 × 30 steps).
"""

import os
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from enrollment import services as enrollment_services
from enrollment.models import ApplicationStatus
from finance import certificates, closing, contracts
from finance.contracts import next_month
from finance.models import LIVE_CONTRACT, Contract, ContractStatus, Posting
from finance.reconcile import reconcile
from finance.testing import enrolled, issued_certificate, make_certified_program

EXAMPLES = int(os.environ.get("OPORA_LEDGER_FUZZ_EXAMPLES", "10"))
LAST_MONTH = date(2027, 5, 1)


@pytest.mark.django_db
def test_ledger_invariants_hold_after_every_step(personas, period, cert_group, clock):
    cert_group.nominal = Decimal(20000)  # short enough that co-payments and refusals happen
    cert_group.max_certificates = 5
    cert_group.save()
    offers = [
        make_certified_program(
            personas.org_a,
            period,
            operator=personas.operator_a,
            moderator=personas.municipal_x,
            price=price,
            title=title,
        )
        for price, title in ((Decimal(1500), "Шахматы"), (Decimal(3500), "Робототехника"), (Decimal(800), "Хор"))
    ]

    def active_enrolled():
        return Contract.objects.filter(status=ContractStatus.ACTIVE, application__status=ApplicationStatus.ENROLLED)

    def invited_with_contract():
        return Contract.objects.filter(status__in=LIVE_CONTRACT, application__status=ApplicationStatus.INVITED)

    class Ledger(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            # Each sequence starts from the same database and leaves nothing behind.
            self.savepoint = transaction.atomic()
            self.savepoint.__enter__()
            clock.set(date(2026, 9, 1))
            self.certificates: list = []
            self.closed: list[date] = []
            self.keys = 0

        def teardown(self) -> None:
            transaction.set_rollback(True)
            self.savepoint.__exit__(None, None, None)

        @precondition(lambda self: len(self.certificates) < 6)
        @rule()
        def issue(self) -> None:
            self.certificates.append(
                issued_certificate(personas.family, personas.municipal_x, first_name=f"Ребёнок{len(self.certificates)}")
            )

        @precondition(lambda self: self.certificates)
        @rule(
            child=st.integers(0, 5),
            program=st.integers(0, len(offers) - 1),
            copay=st.booleans(),
            by_attendance=st.booleans(),
            stop_at=st.sampled_from(["created", "confirmed", "active"]),
            invited_only=st.booleans(),
        )
        def enroll(
            self, child: int, program: int, copay: bool, by_attendance: bool, stop_at: str, invited_only: bool
        ) -> None:
            certificate = self.certificates[child % len(self.certificates)]
            self.keys += 1
            group = offers[program].group
            try:
                if invited_only:
                    application = enrollment_services.apply(
                        personas.family, certificate.child, group.program, group, f"k{self.keys}"
                    )
                    application = enrollment_services.change_status(personas.operator_a, application, "invite")
                else:
                    application = enrolled(personas.family, personas.operator_a, certificate, group, f"k{self.keys}")
                contract = contracts.request_contract(personas.family, application, accept_copayment=copay)
                if stop_at != "created":
                    order = "attendance" if by_attendance else "full"
                    contracts.confirm_contract(personas.operator_a, contract, payment_order=order)
                if stop_at == "active":
                    contracts.accept_contract(personas.family, contract)
            except ValidationError:
                pass  # refused with a message: the invariants say nothing changed wrongly

        @precondition(lambda self: active_enrolled().exists())
        @rule(pick=st.integers(0, 100))
        def expel(self, pick: int) -> None:
            active = list(active_enrolled().order_by("pk"))
            application = active[pick % len(active)].application
            enrollment_services.change_status(personas.operator_a, application, "expel", reason="Переезд")

        @precondition(lambda self: Contract.objects.filter(status__in=LIVE_CONTRACT[:2]).exists())
        @rule(pick=st.integers(0, 100))
        def reject(self, pick: int) -> None:
            pending = list(Contract.objects.filter(status__in=LIVE_CONTRACT[:2]).order_by("pk"))
            contracts.reject_contract(personas.operator_a, pending[pick % len(pending)], "Нет мест")

        @precondition(lambda self: invited_with_contract().exists())
        @rule(pick=st.integers(0, 100))
        def family_cancels(self, pick: int) -> None:
            """The family withdraws an invited child: the application ends and so does its contract."""
            waiting = list(invited_with_contract().order_by("pk"))
            enrollment_services.change_status(personas.family, waiting[pick % len(waiting)].application, "cancel")

        @precondition(lambda self: (self.closed[-1] if self.closed else date(2026, 8, 1)) < LAST_MONTH)
        @rule()
        def close_next_month(self) -> None:
            month = next_month(self.closed[-1]) if self.closed else date(2026, 9, 1)
            clock.set(next_month(month))
            closing.close_month(personas.municipal_x, period, month)
            self.closed.append(month)
            contracts.refuse_overdue()
            certificates.downgrade_idle()

        @precondition(lambda self: self.closed)
        @rule(pick=st.integers(0, 100))
        def close_again(self, pick: int) -> None:
            before = Posting.objects.count()
            closing.close_month(personas.municipal_x, period, self.closed[pick % len(self.closed)])
            assert Posting.objects.count() == before

        @invariant()
        def ledger_reconciles(self) -> None:
            assert reconcile() == []

    run_state_machine_as_test(
        Ledger,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=30,
            deadline=None,
            # Each step is real database work: shrinking a failure would take minutes, and the
            # failing sequence is printed as it is.
            phases=[Phase.explicit, Phase.reuse, Phase.generate],
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
