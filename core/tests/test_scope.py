"""core.scope helpers that views share."""

import pytest

from catalog.models import Organization
from core import scope

pytestmark = pytest.mark.django_db


def test_single_tells_one_from_several_from_none(personas, django_assert_num_queries):
    mine = scope.restrict(Organization.objects.order_by("pk"), personas.operator_a, "change")
    with django_assert_num_queries(1):
        assert scope.single(mine) == (personas.org_a, False)
    assert scope.single(Organization.objects.all()) == (None, True)
    assert scope.single(scope.restrict(Organization.objects.all(), personas.family, "change")) == (None, False)
