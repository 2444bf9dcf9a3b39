"""The contract on education (договор об образовании) as a PDF, for the family and the office."""

from django.conf import settings
from fpdf import FPDF

from core.templatetags.opora import rub
from finance.models import Contract, ContractStatus, PaymentOrder
from people.models import Guardian


def term_lines(contract: Contract) -> list[tuple[str, str]]:
    """The term as agreed, and, for a contract ended early, until when it is in force (its end date
    is the new one: the agreed months over the new dates read as if they had been agreed)."""
    if contract.months_in_force == contract.months:
        return [
            (
                "Срок обучения",
                f"с {contract.starts_on:%d.%m.%Y} по {contract.ends_on:%d.%m.%Y} ({contract.months} мес.)",
            )
        ]
    return [
        ("Срок обучения", f"с {contract.starts_on:%d.%m.%Y}, {contract.months} мес."),
        ("Договор расторгнут", f"действует по {contract.ends_on:%d.%m.%Y} ({contract.months_in_force} мес.)"),
    ]


def _guardian(contract: Contract) -> Guardian | None:
    """The guardian who asked for the contract, or else any guardian of the child."""
    child = contract.certificate.child
    return (
        Guardian.objects.filter(user_id=contract.created_by_id, children=child).first()
        or child.guardians.order_by("pk").first()
    )


def contract_pdf(contract: Contract) -> bytes:
    pdf = FPDF(format="A4")
    fonts = settings.PDF_FONT_DIR
    pdf.add_font("DejaVu", "", str(fonts / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(fonts / "DejaVuSans-Bold.ttf"))
    pdf.set_margins(20, 20, 15)
    pdf.add_page()
    organization = contract.provider.organization
    group, child = contract.group, contract.certificate.child
    guardian = _guardian(contract)

    pdf.set_font("DejaVu", "B", 14)
    pdf.cell(0, 8, f"ДОГОВОР ОБ ОБРАЗОВАНИИ № {contract.code}", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    pdf.multi_cell(
        0,
        5,
        "по дополнительной общеобразовательной программе, оплачиваемой сертификатом дополнительного образования",
        align="C",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    concluded = contract.concluded_at or contract.created_at
    pdf.cell(0, 6, f"от {concluded:%d.%m.%Y}", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)

    def heading(text: str) -> None:
        pdf.set_font("DejaVu", "B", 11)
        pdf.cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 11)

    def line(label: str, value: str) -> None:
        pdf.multi_cell(0, 6, f"{label}: {value}", align="L", new_x="LMARGIN", new_y="NEXT")

    heading("1. Стороны")
    line("Исполнитель", f"{organization.full_name}, ИНН {organization.inn}")
    line(
        "Заказчик (законный представитель)",
        guardian.full_name if guardian is not None else "—",
    )
    line("Обучающийся", f"{child.full_name}, {child.birth_date:%d.%m.%Y} г. р.")
    line("Сертификат дополнительного образования", f"№ {contract.certificate.number or contract.certificate.code}")
    pdf.ln(3)

    heading("2. Предмет договора")
    line("Программа", f"«{group.program.title}»")
    line("Модуль", contract.module.name)
    line("Группа", group.name)
    months = contract.months
    for label, value in term_lines(contract):
        line(label, value)
    pdf.ln(3)

    heading("3. Стоимость и порядок оплаты")
    widths = (55, 40, 40, 40)
    rows = [
        ("", "Всего", "Первый месяц", "Остальные месяцы"),
        (
            "Стоимость обучения",
            rub(contract.total_cost),
            rub(contract.certificate_first_month + contract.family_first_month),
            rub(contract.certificate_other_month + contract.family_other_month) if months > 1 else "—",
        ),
        (
            "Оплачивает сертификат",
            rub(contract.certificate_total),
            rub(contract.certificate_first_month),
            rub(contract.certificate_other_month) if months > 1 else "—",
        ),
        (
            "Доплата заказчика",
            rub(contract.family_total),
            rub(contract.family_first_month),
            rub(contract.family_other_month) if months > 1 else "—",
        ),
    ]
    for n, row in enumerate(rows):
        pdf.set_font("DejaVu", "B" if n == 0 else "", 9)
        for width, text in zip(widths, row, strict=True):
            pdf.cell(width, 7, text, border=1, align="L" if width == widths[0] else "R")
        pdf.ln(7)
    pdf.set_font("DejaVu", "", 11)
    pdf.ln(2)
    line("Порядок оплаты по сертификату", PaymentOrder(contract.payment_order).label.lower())
    pdf.multi_cell(
        0,
        6,
        "Часть стоимости, оплачиваемая сертификатом, перечисляется исполнителю уполномоченным органом "
        "ежемесячно по итогам месяца; доплату заказчик вносит исполнителю ежемесячно.",
        align="L",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(3)

    heading("4. Статус договора")
    line("Статус", ContractStatus(contract.status).label)
    if contract.reason:
        line("Причина", contract.reason)
    pdf.ln(12)
    pdf.cell(0, 6, "Исполнитель ____________________        Заказчик ____________________")
    return bytes(pdf.output())
