from datetime import date

import pytest

from finance.testing import frozen_clock, make_certificate_group, make_certified_program, make_period

# The scenario of these tests: the period September 2026 – August 2027, a program certified at
# 200 ₽ an hour (144 hours over 9 months: 3 200 ₽ a month normative), a group from 1 September
# to 31 May at 3 000 ₽ a month, and a certificate group with a nominal of 30 000 ₽.
SEPTEMBER = date(2026, 9, 1)


@pytest.fixture
def clock():
    with frozen_clock(SEPTEMBER) as c:
        yield c


@pytest.fixture
def period(personas, clock):
    return make_period(personas.municipality_x, SEPTEMBER, date(2027, 8, 31))


@pytest.fixture
def cert_group(period):
    return make_certificate_group(period)


@pytest.fixture
def offer(personas, period, cert_group):
    return make_certified_program(personas.org_a, period, operator=personas.operator_a, moderator=personas.municipal_x)
