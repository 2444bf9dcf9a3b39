"""Enrollment orders (приказ о зачислении): numbered per organization and year, as a PDF."""

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from fpdf import FPDF

from catalog.models import Organization
from core import audit, scope
from enrollment.models import Application, EnrollmentOrder
from enrollment.models import ApplicationStatus as S


@transaction.atomic
def create_order(actor: Any, applications: Sequence[Application]) -> EnrollmentOrder:
    """One order for enrolled children of one group; the number is the next in the organization's year."""
    if not applications:
        raise ValidationError("Выберите зачисленных детей для приказа.")
    groups = {a.group_id for a in applications}
    if len(groups) != 1 or None in groups:
        raise ValidationError("В одном приказе — дети одной группы.")
    if any(a.status != S.ENROLLED for a in applications):
        raise ValidationError("В приказ включают только зачисленных детей.")
    if not all(scope.can(actor, a, "change") for a in applications):
        raise PermissionDenied("Приказ издаёт организация, которая ведёт программу.")
    group = applications[0].group
    assert group is not None  # checked above
    organization = Organization.objects.select_for_update().get(pk=group.program.organization_id)
    today = timezone.localdate()
    last = EnrollmentOrder.objects.filter(organization=organization, year=today.year).aggregate(n=Max("sequence"))["n"]
    order = EnrollmentOrder.objects.create(
        organization=organization, group=group, year=today.year, sequence=(last or 0) + 1, date=today, created_by=actor
    )
    order.applications.set(applications)
    audit.record(actor, "order.created", order, number=order.number, children=len(applications))
    return order


def order_pdf(order: EnrollmentOrder) -> bytes:
    pdf = FPDF(format="A4")
    fonts = settings.PDF_FONT_DIR
    pdf.add_font("DejaVu", "", str(fonts / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(fonts / "DejaVuSans-Bold.ttf"))
    pdf.set_margins(20, 20, 15)
    pdf.add_page()
    organization, group = order.organization, order.group
    pdf.set_font("DejaVu", "", 11)
    pdf.multi_cell(0, 6, organization.full_name, align="C")
    pdf.ln(8)
    pdf.set_font("DejaVu", "B", 14)
    pdf.cell(0, 8, "ПРИКАЗ", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 11)
    pdf.cell(
        0, 7, f"от {order.date:%d.%m.%Y}                                                № {order.number}", align="C"
    )
    pdf.ln(12)
    pdf.set_font("DejaVu", "B", 11)
    pdf.multi_cell(
        0, 6, f"О зачислении на обучение по дополнительной общеобразовательной программе «{group.program.title}»"
    )
    pdf.ln(4)
    pdf.set_font("DejaVu", "", 11)
    pdf.multi_cell(
        0,
        6,
        "На основании заявлений родителей (законных представителей) и в соответствии с правилами приёма "
        "на обучение по дополнительным общеобразовательным программам",
    )
    pdf.ln(3)
    pdf.set_font("DejaVu", "B", 11)
    pdf.cell(0, 7, "ПРИКАЗЫВАЮ:", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 11)
    start = max(group.start_date, order.date)
    pdf.multi_cell(0, 6, f"1. Зачислить с {start:%d.%m.%Y} в группу «{group.name}» следующих обучающихся:")
    applications = order.applications.select_related("child").order_by("child__last_name", "child__first_name")
    for n, application in enumerate(applications, start=1):
        child = application.child
        pdf.cell(0, 6, f"   {n}. {child.full_name}, {child.birth_date:%d.%m.%Y} г. р. (заявка {application.code})")
        pdf.ln(6)
    pdf.ln(3)
    pdf.multi_cell(0, 6, "2. Контроль за исполнением приказа оставляю за собой.")
    pdf.ln(16)
    pdf.cell(0, 6, "Руководитель ____________________ / ____________________ /")
    return bytes(pdf.output())
