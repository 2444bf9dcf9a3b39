"""The territory clause of every scope rule."""

import pytest
from django.db.models import Q

from catalog.models import Program
from core import scope
from core.testing import make_municipality, make_program
from territory.permissions import in_territory

pytestmark = pytest.mark.django_db


def test_a_region_is_named_by_its_municipalities_and_the_clause_selects_their_rows(personas):
    elsewhere = make_municipality(personas.other_region, "Другой город")
    x, y = personas.municipality_x, personas.municipality_y
    assert in_territory("municipality", set(), {personas.region.pk}) == Q(municipality__in={x.pk, y.pk})
    assert in_territory("municipality", {elsewhere.pk}, {personas.region.pk}) == Q(
        municipality__in={x.pk, y.pk, elsewhere.pk}
    )
    assert in_territory("municipality", {x.pk}) == Q(municipality__in={x.pk})
    assert in_territory("municipality", set(), set()) == scope.NOTHING
    ours, theirs = make_program(personas.org_b, "Шахматы"), make_program(personas.org_a, "Робототехника")
    regional = Program.objects.filter(in_territory("municipality", set(), {personas.region.pk}))
    assert set(regional) == {ours, theirs}
    assert not Program.objects.filter(in_territory("municipality", set(), {personas.other_region.pk})).exists()
    assert "territory_municipality" not in str(regional.query)  # no join: the ids are in the statement
