"""The territory clause of every scope rule."""

import pytest
from django.db.models import Q

from accounts.roles import Principal
from catalog.models import Program
from core import scope
from core.testing import make_municipality, make_program
from territory.permissions import in_territory

pytestmark = pytest.mark.django_db


def operator_of(*municipalities: int) -> Principal:
    return Principal(is_authenticated=True, municipality_ids=frozenset(municipalities))


def test_a_region_is_named_by_its_municipalities_and_the_clause_selects_their_rows(personas):
    elsewhere = make_municipality(personas.other_region, "Другой город")
    x, y = personas.municipality_x, personas.municipality_y
    region, other_region = frozenset({personas.region.pk}), frozenset({personas.other_region.pk})
    assert in_territory("municipality", operator_of(), region) == Q(municipality__in={x.pk, y.pk})
    assert in_territory("municipality", operator_of(elsewhere.pk), region) == Q(
        municipality__in={x.pk, y.pk, elsewhere.pk}
    )
    assert in_territory("municipality", operator_of(x.pk)) == Q(municipality__in={x.pk})
    assert in_territory("municipality", operator_of()) == scope.NOTHING
    ours, theirs = make_program(personas.org_b, "Шахматы"), make_program(personas.org_a, "Робототехника")
    regional = Program.objects.filter(in_territory("municipality", operator_of(), region))
    assert set(regional) == {ours, theirs}
    assert not Program.objects.filter(in_territory("municipality", operator_of(), other_region)).exists()
    assert "territory_municipality" not in str(regional.query)  # no join: the ids are in the statement


def test_a_regions_municipalities_are_read_once_a_request(personas, django_assert_num_queries):
    regional = operator_of()
    region = frozenset({personas.region.pk})
    with django_assert_num_queries(1):
        first = in_territory("municipality", regional, region)
        assert in_territory("organization__municipality", regional, region) == Q(
            organization__municipality__in=first.children[0][1]
        )
