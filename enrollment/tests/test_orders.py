"""Enrollment orders: numbered per organization and year, one group each, enrolled children only, as PDF."""

import re
import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from core.testing import make_child
from enrollment.models import EnrollmentOrder
from enrollment.orders import create_order, order_pdf
from enrollment.services import apply, change_status

pytestmark = pytest.mark.django_db


@pytest.fixture
def enrolled(personas, published_program):
    group = published_program.groups.get()
    applications = []
    for name in ("Аня", "Ваня"):
        application = apply(
            personas.family,
            make_child(personas.family, name, group.start_date),
            published_program,
            None,
            uuid.uuid4().hex,
        )
        change_status(personas.operator_a, application, "invite")
        applications.append(change_status(personas.operator_a, application, "enroll"))
    return applications


def test_orders_are_numbered_in_sequence_and_name_the_children(personas, enrolled):
    first = create_order(personas.operator_a, enrolled[:1])
    second = create_order(personas.operator_a, enrolled)
    assert (first.number, second.number) == ("1-ДО", "2-ДО")
    assert set(second.applications.all()) == set(enrolled)
    pdf = order_pdf(second)
    assert pdf.startswith(b"%PDF") and len(pdf) > 1000


def test_only_enrolled_children_of_one_group_by_their_organization(personas, enrolled, published_program):
    change_status(personas.operator_a, enrolled[1], "expel", reason="Переезд")
    enrolled[1].refresh_from_db()
    with pytest.raises(ValidationError, match="только зачисленных"):
        create_order(personas.operator_a, enrolled)
    with pytest.raises(ValidationError, match="Выберите"):
        create_order(personas.operator_a, [])
    with pytest.raises(PermissionDenied):
        create_order(personas.operator_b, enrolled[:1])
    assert not EnrollmentOrder.objects.exists()


def test_the_queue_prepares_an_order_and_serves_its_pdf_to_its_organization(client, personas, enrolled):
    client.force_login(personas.operator_a)
    response = client.post(
        reverse("office_applications:decide"),
        {"action": "order", "application": [a.code for a in enrolled]},
        follow=True,
    )
    link = re.search(r'href="(/office/applications/orders/[^"]+\.pdf)"', response.content.decode())
    assert link is not None
    pdf = client.get(link.group(1))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    client.force_login(personas.operator_b)
    assert client.get(link.group(1)).status_code == 404
