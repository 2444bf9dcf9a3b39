"""Lists of children who took part in open career-guidance lessons («Проектория», «Шоу профессий»):
the source of monitoring.models.CareerLessonVisit until the events module records them itself.

A school or a support centre uploads a class or a school, hundreds of rows, so it is all done at
once: the file is checked whole with the cell rules of the list import (monitoring.imports), and
if any row is wrong nothing is written; a clean file registers each child through the registry
(the same child is never entered twice) and records each participation once, in one transaction.
Uploading the same file again adds nothing.
"""

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from catalog.models import Organization
from core import audit
from core.dates import full_years
from core.templatetags.opora import ages
from monitoring import imports
from monitoring.imports import BIRTH_DATE, FIRST_NAME, LAST_NAME, OKTMO, PATRONYMIC, SEX, SNILS
from monitoring.models import CareerLessonVisit
from people import registry
from people.models import Child, EntryChannel
from territory.models import Municipality

LESSON, LESSON_DATE = "Урок", "Дата урока"
HEADERS = (LAST_NAME, FIRST_NAME, PATRONYMIC, BIRTH_DATE, SEX, SNILS, OKTMO, LESSON, LESSON_DATE)
HELP = {
    **{title: imports.HELP[title] for title in HEADERS if title in imports.HELP},
    LESSON: (True, "Название урока, как в расписании, например «Проектория: профессии будущего»."),
    LESSON_DATE: (True, "Дата урока, ДД.ММ.ГГГГ, не позже сегодняшнего дня."),
}
TITLE_MAX = CareerLessonVisit._meta.get_field("title").max_length or 300
EXAMPLE_LESSON = "Пример: Проектория — удалите эту строку"

OUTCOME_LABELS = {
    "rows": "строк в файле",
    "children_matched": "детей найдено в реестре",
    "children_created": "новых детей внесено в реестр",
    "visits_created": "участий в уроках добавлено",
    "visits_present": "участий уже было в системе — не повторены",
}


@dataclass
class Row:
    number: int
    child: Child  # unsaved: what the registry is asked to find or enter
    snils: str
    person: str  # who the row is about, inside the file
    title: str
    held_on: date


@dataclass
class Result:
    total: int  # data rows in the file
    errors: list[dict[str, Any]] = field(default_factory=list)
    outcome: dict[str, int] = field(default_factory=dict)


def _lesson(value: Any) -> str:
    title = imports._text(value)
    if not title:
        raise imports._CellError("не заполнено — укажите название урока")
    if len(title) > TITLE_MAX:
        raise imports._CellError(f"не длиннее {TITLE_MAX} символов")
    return title


PARSERS: dict[str, Callable[[Any], Any]] = {
    **{title: imports.PARSERS[title] for title in HEADERS if title in imports.PARSERS},
    LESSON: _lesson,
    LESSON_DATE: lambda value: imports._date(value, required=True),
}


def _columns(header: Sequence[Any]) -> dict[str, int]:
    """Column → its index; any order and case, other columns ignored (as in the list import)."""
    normalized = {imports._fold(title): title for title in HEADERS}
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        title = normalized.get(imports._fold(imports._text(cell)))
        if title is None:
            continue
        if title in found:
            raise imports._FileError(f"Строка 1: столбец «{title}» встречается дважды — оставьте один.")
        found[title] = index
    missing = [title for title in HEADERS if title not in found]
    if len(missing) == len(HEADERS):
        raise imports._FileError(
            "Строка 1: заголовки не те, что в шаблоне — первая строка листа должна содержать названия "
            "столбцов («Фамилия», «Имя», …, «Урок», «Дата урока»). Скачайте шаблон и перенесите данные в него."
        )
    if missing:
        names = ", ".join(f"«{title}»" for title in missing)
        raise imports._FileError(f"Строка 1: нет столбцов {names} — скачайте шаблон и перенесите данные в него.")
    return found


def _parse(number: int, cells: Sequence[Any], columns: dict[str, int]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    raw = {title: cells[index] if index < len(cells) else None for title, index in columns.items()}
    if imports._text(raw[LESSON]) == EXAMPLE_LESSON:
        return {}, [imports._error(number, "", imports.EXAMPLE_MARK)]
    values: dict[str, Any] = {}
    errors = []
    for title in HEADERS:
        try:
            values[title] = PARSERS[title](raw[title])
        except imports._CellError as invalid:
            errors.append(imports._error(number, title, str(invalid)))
    today = timezone.localdate()
    birth, held = values.get(BIRTH_DATE), values.get(LESSON_DATE)
    if held is not None and held > today:
        errors.append(imports._error(number, LESSON_DATE, "дата урока в будущем — загружайте прошедшие уроки"))
    if birth is not None and birth > today:
        errors.append(imports._error(number, BIRTH_DATE, "дата рождения в будущем"))
    elif birth is not None and held is not None:
        if held < birth:
            errors.append(imports._error(number, LESSON_DATE, "дата урока раньше даты рождения"))
        elif (age := full_years(birth, held)) > 18:
            errors.append(
                imports._error(number, BIRTH_DATE, f"на дату урока ребёнку {ages(age, age)} — списки детей до 18 лет")
            )
    return values, errors


def check(content: bytes) -> tuple[int, list[Row], list[dict[str, Any]]]:
    """Read and check a file: (data rows, the rows if there is no error, the errors); nothing is written."""
    try:
        lines = imports._read(content)
        header = next(lines, None)
        if header is None or not any(imports._text(cell) for cell in header):
            raise imports._FileError("Файл пустой: на первом листе нет заголовков. Заполните шаблон.")
        columns = _columns(header)
        parsed: list[tuple[int, dict[str, Any]]] = []
        errors: list[dict[str, Any]] = []
        for number, cells in enumerate(lines, start=2):
            if not any(imports._text(cell) for cell in cells):
                continue
            if len(parsed) == imports.MAX_ROWS:
                raise imports._FileError(f"В файле больше {imports._MAX_ROWS_SHOWN} строк: разделите его на части.")
            values, cell_errors = _parse(number, cells, columns)
            parsed.append((number, values))
            errors += cell_errors
        if not parsed:
            raise imports._FileError("В файле нет строк с детьми: заполните лист под заголовками.")
    except imports._FileError as problem:
        return 0, [], [imports._error(None, "", str(problem))]
    readable = [(number, values) for number, values in parsed if values]
    wanted = {values[OKTMO] for _, values in readable if OKTMO in values}
    municipalities = {m.oktmo: m for m in Municipality.objects.filter(oktmo__in=wanted)}
    for number, values in readable:
        oktmo = values.get(OKTMO)
        if oktmo is not None and oktmo not in municipalities:
            errors.append(imports._error(number, OKTMO, f"муниципалитета с ОКТМО {oktmo} нет в справочнике"))
    errors += imports._duplicates(readable)  # one СНИЛС under two names: the later row
    if errors:
        order = {title: index for index, title in enumerate(HEADERS)}
        errors.sort(key=lambda e: (e["row"] or 0, order.get(e["column"], -1)))
        return len(parsed), [], errors
    names = (LAST_NAME, FIRST_NAME, PATRONYMIC, BIRTH_DATE)
    rows = [
        Row(
            number=number,
            child=Child(
                last_name=values[LAST_NAME],
                first_name=values[FIRST_NAME],
                patronymic=values[PATRONYMIC],
                birth_date=values[BIRTH_DATE],
                sex=values[SEX],
                municipality=municipalities[values[OKTMO]],
            ),
            snils=values[SNILS],
            person=imports._person(values[SNILS], *(values[column] for column in names)),
            title=values[LESSON],
            held_on=values[LESSON_DATE],
        )
        for number, values in readable
    ]
    return len(parsed), rows, []


class _RejectedError(Exception):
    """A row the registry refused: everything written so far is rolled back."""


def import_visits(actor: Any, organization: Organization, file_name: str, content: bytes) -> Result:
    """Check the file and, if every row is right, record the participations for the organization."""
    if not imports.importable_organizations(actor).filter(pk=organization.pk).exists():
        raise PermissionDenied("Загружать списки организации может её оператор или опорный центр её муниципалитета.")
    imports.refuse_too_big(len(content))
    total, rows, errors = check(content)
    if errors:
        return Result(total=total, errors=errors)
    tally: Counter[str] = Counter(dict.fromkeys(OUTCOME_LABELS, 0))
    tally["rows"] = total
    try:
        with transaction.atomic():
            _record(actor, organization, rows, tally)
            audit.record(actor, "career_lessons.imported", organization, file_name=file_name[:255], **tally)
    except _RejectedError as rejected:
        return Result(total=total, errors=[rejected.args[0]])
    return Result(total=total, outcome=dict(tally))


def _record(actor: Any, organization: Organization, rows: list[Row], tally: Counter[str]) -> None:
    known: dict[str, Child] = {}  # children of this file already registered
    for row in rows:
        child = known.get(row.person)
        if child is None:
            try:
                registration = registry.register_child(
                    actor, row.child, snils=row.snils, via=EntryChannel.IMPORT, organization=organization
                )
            except ValidationError as error:
                raise _RejectedError(imports._error(row.number, "", imports._reason(error))) from None
            child = known[row.person] = registration.child
            matched = not registration.created or registration.merged is not None
            tally["children_matched" if matched else "children_created"] += 1
        _, created = CareerLessonVisit.objects.get_or_create(
            child=child, held_on=row.held_on, title=row.title, defaults={"organization": organization}
        )
        tally["visits_created" if created else "visits_present"] += 1


def outcome_lines(outcome: dict[str, int]) -> list[tuple[str, int]]:
    return [(label, outcome.get(key, 0)) for key, label in OUTCOME_LABELS.items()]


# --- The template ---------------------------------------------------------------------------


def _example(organization: Organization | None) -> list[Any]:
    return [
        "Иванова",
        "Мария",
        "Петровна",
        date(2012, 3, 14),
        "Ж",
        "112-233-445 95",
        organization.municipality.oktmo if organization else "45000000",
        EXAMPLE_LESSON,
        date(2025, 10, 2),
    ]


CAREER_TEMPLATE = imports.Template(
    sheet="Участники",
    headers=HEADERS,
    help=HELP,
    heading="Как заполнить список участников открытых уроков по профориентации",
    notes=(
        "Одна строка — один ребёнок на одном уроке. Ребёнок был на двух уроках — две строки.",
        "Вторая строка листа «Участники» — пример: удалите её. Заголовки не меняйте.",
        "Файл проверяется целиком: если есть хоть одна ошибка, ничего не записывается — исправьте "
        "строки из списка ошибок и загрузите файл снова.",
        "Ребёнок, который уже есть в реестре, не создаётся заново. Повторная загрузка того же файла "
        "ничего не добавляет.",
    ),
    date_columns=(BIRTH_DATE, LESSON_DATE),
    text_columns=(SNILS, OKTMO),
    choices=((SEX, "М,Ж", "Выберите «М» или «Ж»."),),
    wide_columns=(LESSON,),
)


def template_workbook(organization: Organization | None = None) -> bytes:
    """«Участники» with the headers, an example row and a drop-down for «Пол»; «Справка» for each column."""
    return imports.workbook_bytes(imports.template_book(CAREER_TEMPLATE, _example(organization)))
