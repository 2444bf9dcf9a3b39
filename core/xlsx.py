"""Tables as Excel workbooks: every table an operator sees can be downloaded as XLSX."""

import io
import re
from collections.abc import Iterable, Sequence
from typing import Any

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


SHEET_NAME_LENGTH = 31  # Excel's limit


def sheet_name(title: str) -> str:
    """The title as a sheet name Excel accepts: without the characters it refuses (\\ / * ? : [ ]),
    at most 31 characters, cut between words («Показатели Энская область, 2026»)."""
    name = " ".join(re.sub(r"[\\/*?:\[\]]", " ", title).split())
    if len(name) > SHEET_NAME_LENGTH:
        cut = name[: SHEET_NAME_LENGTH + 1]
        name = cut.rsplit(" ", 1)[0].rstrip(" ,.;—-") if " " in cut else cut[:SHEET_NAME_LENGTH]
    return name


def table_workbook(title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]], *, note: str = "") -> bytes:
    """One sheet: a title line, an optional note, bold headers, then the rows as they are."""
    book = Workbook()
    sheet = book.active
    sheet.title = sheet_name(title)
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=13)
    if note:
        sheet.append([note])
    sheet.append(list(headers))
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        sheet.append(list(row))
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    for index, header in enumerate(headers, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(12, min(48, len(str(header)) + 4))
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
