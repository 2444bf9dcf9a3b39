"""Lists of children and their enrollments that organizations upload from an Excel template.

A file is checked whole before anything changes: every cell of every row, with a Russian message
naming the row, the column and the reason; codes (ИНН, programs, groups, ОКТМО) are looked up in
bulk, a few queries per file; a child twice on one program, or one СНИЛС under two names, is an
error of the later row. Checking never touches the registry.

Nothing is applied until the operator has seen the errors and confirmed. Then the rows without
errors are applied and the rows with errors are skipped (they stay listed, to be corrected and
uploaded again): a list of a thousand children is not held back by three typos, and the operator
decides that knowingly. Each child goes through the registry (people.registry: the same СНИЛС is
the same child; a near duplicate is merged or queued for review), each enrollment through
enrollment.services.record_enrollment, which takes the seat. Rows are applied CHUNK at a time, one
transaction per chunk with the progress saved; a run that stopped resumes after its last chunk,
and applying the same list again creates nothing.
"""

import hashlib
import io
import re
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import PurePath
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from accounts.roles import principal_of
from catalog.models import Group, Organization, Program
from core import audit, scope
from core.dates import full_years
from core.templatetags.opora import ages
from core.validators import normalize_snils
from enrollment import services
from monitoring.models import IMPORT_MAX_BYTES, ImportBatch, ImportStatus
from monitoring.services import figures_changed
from people import registry
from people.models import Child, EntryChannel
from territory.models import Municipality

LAST_NAME, FIRST_NAME, PATRONYMIC, BIRTH_DATE, SEX, SNILS, OVZ = (
    "Фамилия",
    "Имя",
    "Отчество",
    "Дата рождения",
    "Пол",
    "СНИЛС",
    "ОВЗ",
)
OKTMO, INN, PROGRAM, GROUP, ENROLLED_ON, LEFT_ON = (
    "Муниципалитет (ОКТМО)",
    "ИНН организации",
    "Код программы",
    "Код группы",
    "Дата зачисления",
    "Дата отчисления",
)
HEADERS = (
    *(LAST_NAME, FIRST_NAME, PATRONYMIC, BIRTH_DATE, SEX, SNILS, OVZ),
    *(OKTMO, INN, PROGRAM, GROUP, ENROLLED_ON, LEFT_ON),
)
# What each column takes, for the «Справка» sheet: (required, what to write).
HELP = {
    LAST_NAME: (True, "Фамилия ребёнка: буквы, пробел, дефис, апостроф."),
    FIRST_NAME: (True, "Имя ребёнка, как в свидетельстве о рождении."),
    PATRONYMIC: (False, "Отчество, если есть."),
    BIRTH_DATE: (True, "Дата в формате ДД.ММ.ГГГГ (или ячейка Excel с датой)."),
    SEX: (True, "«М» или «Ж»."),
    SNILS: (False, "11 цифр, можно с дефисами и пробелом: 123-456-789 01. По СНИЛС ребёнок находится в реестре."),
    OVZ: (False, "«да» — ребёнок с ограниченными возможностями здоровья, «нет» или пусто — без ОВЗ."),
    OKTMO: (True, "Код ОКТМО муниципалитета, где живёт ребёнок: 8 или 11 цифр."),
    INN: (True, "ИНН организации, для которой загружается список: 10 или 12 цифр."),
    PROGRAM: (True, "Код программы из Навигатора, например PR-7K2M9Q (лист «Программы и группы»)."),
    GROUP: (True, "Код группы этой программы, например GR-4D8N2P."),
    ENROLLED_ON: (True, "Дата зачисления, ДД.ММ.ГГГГ, не позже сегодняшнего дня."),
    LEFT_ON: (False, "Дата отчисления, если ребёнок уже отчислен; пусто — занимается сейчас."),
}
EXAMPLE_PROGRAM, EXAMPLE_GROUP = "PR-XXXXXX", "GR-XXXXXX"
EXAMPLE_MARK = "строка-пример из шаблона: удалите её перед загрузкой"
TEMPLATE_ROWS = 5000  # rows the template's drop-down lists cover
MAX_ROWS = 30_000
_MAX_ROWS_SHOWN = f"{MAX_ROWS:,}".replace(",", "\u00a0")  # 30 000, as Russian writes it
CHUNK = 200  # rows applied in one transaction, between two saves of the progress
STALE_AFTER = timedelta(minutes=10)  # a run saves its progress every chunk, within seconds

OUTCOME_LABELS = {
    "children_created": "новых детей внесено в реестр",
    "children_matched": "детей найдено в реестре по СНИЛС",
    "children_merged": "записей объединено с детьми из реестра автоматически",
    "children_review": "новых записей отправлено на проверку возможных дубликатов",
    "enrollments_created": "зачислений создано",
    "enrollments_present": "зачислений уже было в системе — не повторены",
    "rows_skipped": "строк с ошибками проверки пропущено",
    "rows_failed": "строк не применено при загрузке",
}

_NAME = re.compile(r"^[A-Za-zА-Яа-яЁё][A-Za-zА-Яа-яЁё'’ .\-]*$")
_DOTTED_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SEXES = {"м": Child.Sex.MALE, "муж": Child.Sex.MALE, "мужской": Child.Sex.MALE}
_SEXES |= {"ж": Child.Sex.FEMALE, "жен": Child.Sex.FEMALE, "женский": Child.Sex.FEMALE}
_YES, _NO = {"да", "1"}, {"нет", "0", ""}


def may_use_imports(user: Any) -> bool:
    """Imports are a back-office section of organizations and support centres; families,
    teachers and methodologists have none (403)."""
    p = principal_of(user)
    return p.is_admin or bool(p.operated_organization_ids or p.municipality_ids or p.region_ids)


def importable_organizations(user: Any) -> QuerySet[Organization]:
    """Organizations this person may upload lists for, in the same scope as `batch_rule` "change"."""
    p = principal_of(user)
    organizations = Organization.objects.filter(is_active=True).order_by("short_name")
    if p.is_admin:
        return organizations
    return organizations.filter(Q(pk__in=p.operated_organization_ids) | Q(municipality__in=p.municipality_ids))


# --- Errors ----------------------------------------------------------------------------------


def _error(row: int | None, column: str, message: str) -> dict[str, Any]:
    return {"row": row, "column": column, "message": message}


def error_text(error: Mapping[str, Any]) -> str:
    """«Строка 7, «Дата рождения»: дата не распознана — ожидается ДД.ММ.ГГГГ»."""
    where = [f"Строка {error['row']}"] if error.get("row") else []
    if error.get("column"):
        where.append(f"«{error['column']}»")
    return f"{', '.join(where)}: {error['message']}" if where else str(error["message"])


def _reason(error: ValidationError) -> str:
    """An action's message as the reason after «Строка N, «Столбец»:» — a lower-case start, no final dot."""
    text = " ".join(error.messages).rstrip(".")
    first_word = text.split(maxsplit=1)[0] if text else ""
    is_acronym = len(first_word) > 1 and first_word.isupper()  # «СНИЛС должен…» keeps its capitals
    return text if not text or is_acronym else text[0].lower() + text[1:]


class _CellError(Exception):
    """A cell that cannot be read as its column requires; the argument is the reason."""


class _FileError(Exception):
    """A file that cannot be read as a list at all; the argument is the message."""


# --- Cells -----------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def _digits(value: Any, lengths: tuple[int, ...]) -> str:
    """A code typed as text, or as a number Excel stripped of its leading zeros (padded back)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = _text(value)
        return number.zfill(next((n for n in lengths if len(number) <= n), len(number)))
    return re.sub(r"\s", "", _text(value))


def _name(value: Any, required: bool) -> str:
    name = _text(value)
    if not name:
        if required:
            raise _CellError("не заполнено")
        return ""
    if len(name) > 100:
        raise _CellError("не длиннее 100 символов")
    if not _NAME.match(name):
        raise _CellError("только буквы, пробел, дефис и апостроф")
    return name


def _date(value: Any, required: bool) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    if not text:
        if required:
            raise _CellError("не заполнено — укажите дату ДД.ММ.ГГГГ")
        return None
    dotted = _DOTTED_DATE.match(text)
    try:
        if dotted:
            day, month, year = (int(part) for part in dotted.groups())
            return date(year, month, day)
        if _ISO_DATE.match(text):
            return date.fromisoformat(text)
    except ValueError:
        raise _CellError(f"такой даты нет: {text}") from None
    raise _CellError("дата не распознана — ожидается ДД.ММ.ГГГГ")


def _sex(value: Any) -> str:
    sex = _SEXES.get(_text(value).lower())
    if sex is None:
        raise _CellError("укажите «М» или «Ж»" if _text(value) else "не заполнено — укажите «М» или «Ж»")
    return sex


def _ovz(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    answer = _text(value).lower()
    if answer in _YES:
        return True
    if answer in _NO:
        return False
    raise _CellError("укажите «да» или «нет»")


def _snils(value: Any) -> str:
    text = _digits(value, (11,))
    if not text:
        return ""
    try:
        return normalize_snils(text)
    except ValidationError as error:
        bare = text.replace("-", "")
        if bare.isdigit() and len(bare) == 11:
            raise _CellError("контрольное число не сходится — проверьте цифры СНИЛС") from None
        raise _CellError(_reason(error)) from None


def _code(pattern: str, reason: str, lengths: tuple[int, ...] = ()) -> Callable[[Any], str]:
    compiled = re.compile(pattern)

    def parse(value: Any) -> str:
        code = _digits(value, lengths) if lengths else _text(value).upper()
        if not code:
            raise _CellError("не заполнено")
        if not compiled.match(code):
            raise _CellError(reason)
        return code

    return parse


PARSERS: dict[str, Callable[[Any], Any]] = {
    LAST_NAME: lambda value: _name(value, required=True),
    FIRST_NAME: lambda value: _name(value, required=True),
    PATRONYMIC: lambda value: _name(value, required=False),
    BIRTH_DATE: lambda value: _date(value, required=True),
    SEX: _sex,
    SNILS: _snils,
    OVZ: _ovz,
    OKTMO: _code(r"^\d{8}(\d{3})?$", "ОКТМО — 8 или 11 цифр", (8, 11)),
    INN: _code(r"^(\d{10}|\d{12})$", "ИНН — 10 или 12 цифр", (10, 12)),
    PROGRAM: _code(r"^PR-[0-9A-Z]{6}$", "код программы — вида PR-7K2M9Q, как в Навигаторе"),
    GROUP: _code(r"^GR-[0-9A-Z]{6}$", "код группы — вида GR-4D8N2P, как в Навигаторе"),
    ENROLLED_ON: lambda value: _date(value, required=True),
    LEFT_ON: lambda value: _date(value, required=False),
}


# --- Rows ------------------------------------------------------------------------------------


@dataclass
class Row:
    """A row without errors, its codes resolved."""

    number: int
    last_name: str
    first_name: str
    patronymic: str
    birth_date: date
    sex: str
    snils: str
    has_ovz: bool
    municipality: Municipality
    group: Group
    enrolled_on: date
    left_on: date | None

    @property
    def person(self) -> str:
        return _person(self.snils, self.last_name, self.first_name, self.patronymic, self.birth_date)

    def as_child(self) -> Child:
        return Child(
            last_name=self.last_name,
            first_name=self.first_name,
            patronymic=self.patronymic,
            birth_date=self.birth_date,
            sex=self.sex,
            municipality=self.municipality,
            has_ovz=self.has_ovz,
        )


def _fold(text: str) -> str:
    """Case and «ё» aside: how operators type names and headers varies in both."""
    return text.casefold().replace("ё", "е")


def _full_name(last_name: str, first_name: str, patronymic: str, birth_date: date) -> str:
    return _fold(f"{last_name} {first_name} {patronymic} {birth_date:%Y-%m-%d}")


def _person(snils: str, last_name: str, first_name: str, patronymic: str, birth_date: date) -> str:
    """Who a row is about, inside one file: the СНИЛС, else the full name and birth date."""
    return f"snils:{snils}" if snils else f"name:{_full_name(last_name, first_name, patronymic, birth_date)}"


@dataclass
class Checked:
    total: int  # data rows in the file
    rows: list[Row]  # those without errors
    errors: list[dict[str, Any]]


_NOT_XLSX = (
    "Файл не прочитан: это не книга Excel в формате .xlsx. Файл .xls или .csv откройте в Excel "
    "и сохраните как «Книга Excel (*.xlsx)», или заполните шаблон."
)


def _read(content: bytes) -> Iterator[tuple[Any, ...]]:
    """The rows of the first sheet, the header first, as cell values."""
    if not content:
        raise _FileError("Файл пустой: в нём нет ни одного байта.")
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl fails on a foreign or broken file with anything from zipfile to KeyError
        raise _FileError(_NOT_XLSX) from None
    try:
        yield from book.worksheets[0].iter_rows(values_only=True)
    except Exception:  # a readable archive whose sheet is broken
        raise _FileError(_NOT_XLSX) from None
    finally:
        book.close()


def _header_columns(header: Sequence[Any]) -> dict[str, int]:
    """Column → its index in the file; headers may come in any order, other columns are ignored."""
    normalized = {_fold(title): title for title in HEADERS}
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        title = normalized.get(_fold(_text(cell)))
        if title is None:
            continue
        if title in found:
            raise _FileError(f"Строка 1: столбец «{title}» встречается дважды — оставьте один.")
        found[title] = index
    missing = [title for title in HEADERS if title not in found]
    if len(missing) == len(HEADERS):
        raise _FileError(
            "Строка 1: заголовки не те, что в шаблоне — первая строка листа должна содержать названия "
            "столбцов («Фамилия», «Имя», …). Скачайте шаблон и перенесите данные в него."
        )
    if missing:
        names = ", ".join(f"«{title}»" for title in missing)
        raise _FileError(f"Строка 1: нет столбцов {names} — скачайте шаблон и перенесите данные в него.")
    return found


def _parse(number: int, cells: Sequence[Any], columns: dict[str, int]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One row's cells as values, and the errors of the cells that are not readable."""
    raw = {title: cells[index] if index < len(cells) else None for title, index in columns.items()}
    if _text(raw[PROGRAM]).upper() == EXAMPLE_PROGRAM:
        return {}, [_error(number, "", EXAMPLE_MARK)]
    values: dict[str, Any] = {}
    errors = []
    for title in HEADERS:
        try:
            values[title] = PARSERS[title](raw[title])
        except _CellError as invalid:
            errors.append(_error(number, title, str(invalid)))
    today = timezone.localdate()
    birth, enrolled, left = values.get(BIRTH_DATE), values.get(ENROLLED_ON), values.get(LEFT_ON)
    if enrolled is not None and enrolled > today:
        errors.append(_error(number, ENROLLED_ON, "дата зачисления в будущем — загружайте состоявшиеся зачисления"))
    if birth is not None and birth > today:
        errors.append(_error(number, BIRTH_DATE, "дата рождения в будущем"))
    elif birth is not None and enrolled is not None:
        if enrolled < birth:
            errors.append(_error(number, ENROLLED_ON, "дата зачисления раньше даты рождения"))
        elif (age := full_years(birth, enrolled)) > 18:
            errors.append(
                _error(number, BIRTH_DATE, f"на дату зачисления ребёнку {ages(age, age)} — списки детей до 18 лет")
            )
    if left is not None and left > today:
        errors.append(_error(number, LEFT_ON, "дата отчисления в будущем"))
    if left is not None and enrolled is not None and left < enrolled:
        errors.append(_error(number, LEFT_ON, "дата отчисления раньше даты зачисления"))
    return values, errors


def _check_codes(
    organization: Organization, parsed: list[tuple[int, dict[str, Any]]]
) -> tuple[dict[str, Municipality], dict[str, Group], list[dict[str, Any]]]:
    """Look every code of the file up at once (four queries) and check each row's against them."""

    def wanted(column: str) -> set[str]:
        return {values[column] for _, values in parsed if column in values}

    municipalities = {m.oktmo: m for m in Municipality.objects.filter(oktmo__in=wanted(OKTMO))}
    owners = dict(Organization.objects.filter(inn__in=wanted(INN)).values_list("inn", "short_name"))
    programs = dict(Program.objects.filter(code__in=wanted(PROGRAM)).values_list("code", "organization_id"))
    groups = {g.code: g for g in Group.objects.filter(code__in=wanted(GROUP)).select_related("program")}
    errors = []
    for number, values in parsed:
        oktmo, inn = values.get(OKTMO), values.get(INN)
        program, group = values.get(PROGRAM), values.get(GROUP)
        if oktmo is not None and oktmo not in municipalities:
            errors.append(_error(number, OKTMO, f"муниципалитета с ОКТМО {oktmo} нет в справочнике"))
        if inn is not None and inn != organization.inn:
            errors.append(
                _error(
                    number,
                    INN,
                    f"ИНН {inn} — организации «{owners[inn]}», а список загружается для «{organization.short_name}»"
                    if inn in owners
                    else f"организации с ИНН {inn} нет в Навигаторе",
                )
            )
        if program is not None and program not in programs:
            errors.append(_error(number, PROGRAM, f"программы с кодом {program} нет в Навигаторе"))
        elif program is not None and programs[program] != organization.pk:
            errors.append(_error(number, PROGRAM, f"программа {program} — другой организации, не «{organization}»"))
            continue  # its group's ages say nothing about this organization's child
        if group is not None and group not in groups:
            errors.append(_error(number, GROUP, f"группы с кодом {group} нет в Навигаторе"))
        elif group is not None and program is not None and groups[group].program.code != program:
            errors.append(_error(number, GROUP, f"группа {group} — другой программы, не {program}"))
        elif group is not None and (message := _age_misfit(groups[group], values.get(BIRTH_DATE))):
            errors.append(_error(number, BIRTH_DATE, message))
    return municipalities, groups, errors


def _age_misfit(group: Group, birth: date | None) -> str:
    """A child the group's ages do not take (on its first lesson, as applications are checked):
    most often a mistyped birth date or group code."""
    if birth is None or group.takes_child_born(birth):
        return ""
    age = group.age_on_first_lesson(birth)
    return f"на начало занятий группы «{group.name}» ребёнку {ages(age, age)}, а группа — для детей {ages(*group.ages)}"


def _duplicates(parsed: list[tuple[int, dict[str, Any]]]) -> list[dict[str, Any]]:
    """A child twice on one program, or one СНИЛС under two names or birth dates: the later row is wrong."""
    enrolled: dict[tuple[str, str], int] = {}
    holders: dict[str, tuple[int, str]] = {}
    errors = []
    names = (LAST_NAME, FIRST_NAME, PATRONYMIC, BIRTH_DATE)
    for number, values in parsed:
        if not all(column in values for column in names):
            continue
        full_name = _full_name(*(values[column] for column in names))
        snils = values.get(SNILS, "")
        if snils:
            first, holder = holders.setdefault(snils, (number, full_name))
            if holder != full_name:
                reason = f"этот СНИЛС уже указан в строке {first} у ребёнка с другими ФИО или датой рождения"
                errors.append(_error(number, SNILS, reason))
                continue
        if PROGRAM in values:
            person = _person(snils, *(values[column] for column in names))
            first = enrolled.setdefault((person, values[PROGRAM]), number)
            if first != number:
                errors.append(_error(number, PROGRAM, f"этот ребёнок уже записан на эту программу в строке {first}"))
    return errors


def check(batch: ImportBatch) -> Checked:
    """Read and check the batch's file; nothing is written anywhere."""
    try:
        lines = _read(bytes(batch.content))
        header = next(lines, None)
        if header is None or not any(_text(cell) for cell in header):
            if header is None or not any(any(_text(cell) for cell in cells) for cells in lines):
                raise _FileError("Файл пустой: на первом листе нет ни заголовков, ни строк. Заполните шаблон.")
            header = ()
        columns = _header_columns(header)
        parsed: list[tuple[int, dict[str, Any]]] = []
        errors: list[dict[str, Any]] = []
        for number, cells in enumerate(lines, start=2):
            if not any(_text(cell) for cell in cells):
                continue
            if len(parsed) == MAX_ROWS:
                raise _FileError(f"В файле больше {_MAX_ROWS_SHOWN} строк: разделите его на части.")
            values, cell_errors = _parse(number, cells, columns)
            parsed.append((number, values))
            errors += cell_errors
        if not parsed:
            raise _FileError("В файле нет строк с детьми: заполните лист под заголовками.")
    except _FileError as problem:
        return Checked(total=0, rows=[], errors=[_error(None, "", str(problem))])
    readable = [(number, values) for number, values in parsed if values]
    municipalities, groups, code_errors = _check_codes(batch.organization, readable)
    # One message per cell: a birth date already refused is not also measured against its group.
    refused = {(error["row"], error["column"]) for error in errors}
    errors += [e for e in code_errors if (e["row"], e["column"]) not in refused] + _duplicates(readable)
    bad = {error["row"] for error in errors}
    rows = [
        Row(
            number=number,
            last_name=values[LAST_NAME],
            first_name=values[FIRST_NAME],
            patronymic=values[PATRONYMIC],
            birth_date=values[BIRTH_DATE],
            sex=values[SEX],
            snils=values[SNILS],
            has_ovz=values[OVZ],
            municipality=municipalities[values[OKTMO]],
            group=groups[values[GROUP]],
            enrolled_on=values[ENROLLED_ON],
            left_on=values[LEFT_ON],
        )
        for number, values in readable
        if number not in bad
    ]
    order = {title: index for index, title in enumerate(HEADERS)}
    errors.sort(key=lambda e: (e["row"], order.get(e["column"], -1)))
    return Checked(total=len(parsed), rows=rows, errors=errors)


# --- Upload and validation ------------------------------------------------------------------


def refuse_too_big(size: int) -> None:
    """Called with the size an upload declares too, before its content is read into memory."""
    if size > IMPORT_MAX_BYTES:
        raise ValidationError(
            f"Файл больше {IMPORT_MAX_BYTES // (1024 * 1024)} МБ: разделите список на несколько файлов.",
            code="too_big",
        )


def upload(actor: Any, organization: Organization, file_name: str, content: bytes) -> ImportBatch:
    """Keep an uploaded list for the organization and check it at once (the history keeps every
    upload, even a file that could not be read)."""
    if not importable_organizations(actor).filter(pk=organization.pk).exists():
        raise PermissionDenied("Загружать списки организации может её оператор или опорный центр её муниципалитета.")
    refuse_too_big(len(content))
    batch = ImportBatch.objects.create(
        organization=organization,
        uploaded_by=actor,
        file_name=PurePath(file_name.replace("\\", "/")).name[:255] or "список.xlsx",
        content=content,
        file_size=len(content),
        content_digest=hashlib.sha256(content).hexdigest(),
    )
    audit.record(actor, "import.uploaded", batch, organization=organization.code, file_name=batch.file_name)
    validate(batch)
    return batch


def applied_before(batch: ImportBatch) -> ImportBatch | None:
    """The organization's earlier upload of the very same file that was applied, if there is one:
    applying it again changes nothing but the checks, and the operator should know before."""
    if batch.status != ImportStatus.VALIDATED or not batch.content_digest:
        return None
    same = ImportBatch.objects.filter(
        organization_id=batch.organization_id, content_digest=batch.content_digest, status=ImportStatus.APPLIED
    )
    return same.exclude(pk=batch.pk).order_by("-applied_at").first()


def validate(batch: ImportBatch) -> ImportBatch:
    """Check the file and keep what was found; the registry and the enrollments are not touched."""
    if batch.status not in (ImportStatus.UPLOADED, ImportStatus.VALIDATED):
        raise ValidationError(f"Загрузка уже в статусе «{batch.get_status_display()}»: проверять её поздно.")
    checked = check(batch)
    batch.errors = checked.errors
    batch.rows_total, batch.rows_valid = checked.total, len(checked.rows)
    batch.status = ImportStatus.VALIDATED
    batch.save(update_fields=["errors", "rows_total", "rows_valid", "status", "updated_at"])
    return batch


# --- Applying -------------------------------------------------------------------------------


def is_stale(batch: ImportBatch, now: datetime | None = None) -> bool:
    """«Применяется» with no progress saved for STALE_AFTER: the process applying it died."""
    now = now or timezone.now()
    return batch.status == ImportStatus.APPLYING and batch.updated_at < now - STALE_AFTER


def may_apply(batch: ImportBatch) -> bool:
    """The batch can be started (checked, with rows to apply) or resumed (stopped mid-way)."""
    if batch.status == ImportStatus.VALIDATED:
        return batch.rows_valid > 0
    return batch.status == ImportStatus.FAILED or is_stale(batch)


def begin(actor: Any, batch: ImportBatch) -> ImportBatch:
    """The operator confirms: the rows without errors are to be applied (or, for a run that
    stopped, the rest of them). `actor` is None when an administrator runs `apply_import`."""
    if actor is not None and not scope.can(actor, batch, "change"):
        raise PermissionDenied("Применить список может оператор организации или её муниципалитета.")
    with transaction.atomic():
        locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if not may_apply(locked):
            raise ValidationError(_not_applicable(locked))
        resumed = locked.status != ImportStatus.VALIDATED
        if not resumed:
            locked.outcome = dict.fromkeys(OUTCOME_LABELS, 0) | {"rows_skipped": locked.rows_total - locked.rows_valid}
            locked.confirmed_by = actor if getattr(actor, "is_authenticated", False) else None
        locked.status = ImportStatus.APPLYING
        locked.save(update_fields=["outcome", "confirmed_by", "status", "updated_at"])
        audit.record(
            actor,
            "import.resumed" if resumed else "import.confirmed",
            locked,
            rows=locked.rows_valid,
            after_row=locked.last_row,
        )
    return locked


def _not_applicable(batch: ImportBatch) -> str:
    if batch.status == ImportStatus.APPLIED:
        return f"Список уже применён {timezone.localtime(batch.applied_at):%d.%m.%Y %H:%M}."
    if batch.status == ImportStatus.APPLYING:
        return f"Список уже применяется: готово {batch.progress} %."
    if batch.status == ImportStatus.UPLOADED:
        return "Файл ещё не проверен."
    return "В файле нет строк без ошибок: исправьте файл и загрузите его снова."


def apply(actor: Any, batch: ImportBatch, progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """Confirm and apply in this process (the management command, tests); returns the outcome."""
    return run(begin(actor, batch), progress)


def start_apply(actor: Any, batch: ImportBatch) -> ImportBatch:
    """Confirm now and apply in the background once the confirmation is committed; the page
    polls the progress saved on the batch."""
    started = begin(actor, batch)
    transaction.on_commit(lambda: _in_background(started))
    return started


def _in_background(batch: ImportBatch) -> threading.Thread:
    def work() -> None:
        try:
            run(batch)
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=work, name=f"import-{batch.code}", daemon=True)
    thread.start()
    return thread


def run(batch: ImportBatch, progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """Apply a confirmed batch; a failure leaves it «Прерван», to be resumed where it stopped."""
    batch = ImportBatch.objects.select_related("organization", "uploaded_by", "confirmed_by").get(pk=batch.pk)
    if batch.status != ImportStatus.APPLYING:
        raise ValidationError("Список не подтверждён к применению.")
    try:
        return _apply_rows(batch, progress)
    except Exception:
        ImportBatch.objects.filter(pk=batch.pk).update(status=ImportStatus.FAILED, updated_at=timezone.now())
        raise


class _RowError(Exception):
    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(error["message"])
        self.error = error


def _apply_rows(batch: ImportBatch, progress: Callable[[int], None] | None) -> dict[str, int]:
    checked = check(batch)
    # Rows with errors when the operator confirmed stay skipped, even if they would pass now; a
    # row that passed then and fails now (a group removed since) is a failure of this run.
    skipped = {error["row"] for error in batch.errors}
    newly_wrong: defaultdict[int, list[dict[str, Any]]] = defaultdict(list)
    for error in checked.errors:
        if error["row"] not in skipped:
            newly_wrong[error["row"]].append(error)
    items: list[tuple[int, Row | None]] = sorted(
        [(row.number, row) for row in checked.rows if row.number not in skipped]
        + [(number, None) for number in newly_wrong],
        key=lambda item: item[0],
    )
    todo = [item for item in items if item[0] > batch.last_row]
    done = len(items) - len(todo)
    outcome: Counter[str] = Counter(batch.outcome)
    failures = list(batch.failures)
    known: dict[str, Child] = {}  # children of this file already registered in this run
    for start in range(0, len(todo), CHUNK):
        chunk = todo[start : start + CHUNK]
        with transaction.atomic():
            for number, row in chunk:
                if row is None:
                    failures += newly_wrong[number]
                    outcome["rows_failed"] += 1
                    continue
                try:
                    with transaction.atomic():
                        outcome.update(_apply_row(batch, row, known))
                except _RowError as failed:
                    failures.append(failed.error)
                    outcome["rows_failed"] += 1
            done += len(chunk)
            percent = min(99, 100 * done // len(items))
            ImportBatch.objects.filter(pk=batch.pk).update(
                outcome=dict(outcome),
                failures=failures,
                last_row=chunk[-1][0],
                progress=percent,
                updated_at=timezone.now(),
            )
        if progress is not None:
            progress(percent)
    now = timezone.now()
    # The file holds names and СНИЛС in clear; once applied nothing needs it (152-ФЗ: keep no more
    # personal data than the purpose needs). The outcome, the errors and the audit log remain.
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=ImportStatus.APPLIED, progress=100, applied_at=now, outcome=dict(outcome), content=b"", updated_at=now
    )
    audit.record(batch.confirmed_by, "import.applied", batch, **outcome)
    figures_changed()
    if progress is not None:
        progress(100)
    return dict(outcome)


def _registration_kind(registration: registry.Registration) -> str:
    if not registration.created:
        return "children_matched"
    if registration.merged is not None:
        return "children_merged"
    return "children_review" if registration.review else "children_created"


def _apply_row(batch: ImportBatch, row: Row, known: dict[str, Child]) -> Counter[str]:
    """One row, whole or not at all (the caller's savepoint): the child, then the enrollment."""
    tally: Counter[str] = Counter()
    actor = batch.confirmed_by
    child = known.get(row.person)
    if child is None:
        try:
            registration = registry.register_child(
                actor, row.as_child(), snils=row.snils, via=EntryChannel.IMPORT, organization=batch.organization
            )
        except ValidationError as error:
            raise _RowError(_error(row.number, "", _reason(error))) from None
        child = registration.child
        tally[_registration_kind(registration)] += 1
    try:
        _, created = services.record_enrollment(
            actor,
            child,
            row.group,
            enrolled_on=row.enrolled_on,
            left_on=row.left_on,
            # The same child, group and date are the same enrollment, whichever file brings them.
            key=f"import-{child.pk}-{row.group.pk}-{row.enrolled_on:%Y%m%d}",
            applicant=batch.uploaded_by,
        )
    except ValidationError as error:
        column = GROUP if "group" in getattr(error, "error_dict", {}) else PROGRAM
        raise _RowError(_error(row.number, column, _reason(error))) from None
    tally["enrollments_created" if created else "enrollments_present"] += 1
    known[row.person] = child
    return tally


# --- The template ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Template:
    """What a list template holds: its sheet, columns, an example row and the help for each column."""

    sheet: str
    headers: Sequence[str]
    help: Mapping[str, tuple[bool, str]]
    heading: str
    notes: Sequence[str]
    date_columns: Sequence[str]
    text_columns: Sequence[str]  # codes whose leading zeros Excel must keep
    choices: Sequence[tuple[str, str, str]] = ()  # (column, "a,b", message) drop-down lists
    wide_columns: Sequence[str] = ()


def template_book(template: Template, example: Sequence[Any]) -> Workbook:
    """The data sheet (bold headers, a grey example row, date formats, drop-downs) and «Справка»."""
    book = Workbook()
    sheet = book.active
    sheet.title = template.sheet
    sheet.append(list(template.headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.append(list(example))
    for cell in sheet[2]:
        cell.font = Font(italic=True, color="808080")
    sheet.freeze_panes = "A2"
    for index, title in enumerate(template.headers, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = 40 if title in template.wide_columns else max(14, len(title) + 4)
        if title in template.date_columns:
            sheet.column_dimensions[letter].number_format = "DD.MM.YYYY"
            for cell in sheet[letter][1:]:
                cell.number_format = "DD.MM.YYYY"
        elif title in template.text_columns:
            sheet.column_dimensions[letter].number_format = "@"
    for title, choices, message in template.choices:
        letter = get_column_letter(list(template.headers).index(title) + 1)
        validation = DataValidation(type="list", formula1=f'"{choices}"', allow_blank=True)
        validation.error, validation.errorTitle = message, title
        validation.prompt, validation.promptTitle = message, title
        validation.add(f"{letter}2:{letter}{TEMPLATE_ROWS + 1}")
        sheet.add_data_validation(validation)
    help_sheet = book.create_sheet("Справка")
    help_sheet.append([template.heading])
    help_sheet["A1"].font = Font(bold=True, size=13)
    for note in template.notes:
        help_sheet.append([note])
    help_sheet.append([])
    help_sheet.append(["Столбец", "Обязательный", "Что указать", "Пример"])
    for cell in help_sheet[help_sheet.max_row]:
        cell.font = Font(bold=True)
    for title, value in zip(template.headers, example, strict=True):
        required, what = template.help[title]
        shown = f"{value:%d.%m.%Y}" if isinstance(value, date) else value or ""
        help_sheet.append([title, "да" if required else "нет", what, shown])
    for letter, width in zip("ABCD", (26, 14, 90, 40), strict=True):
        help_sheet.column_dimensions[letter].width = width
    return book


def workbook_bytes(book: Workbook) -> bytes:
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


LIST_TEMPLATE = Template(
    sheet="Дети",
    headers=HEADERS,
    help=HELP,
    heading="Как заполнить список детей",
    notes=(
        "Одна строка — одно зачисление ребёнка в группу. Ребёнок на двух программах — две строки.",
        "Вторая строка листа «Дети» — пример: удалите её. Заголовки не меняйте.",
        "После загрузки файл проверяется целиком: каждая ошибка названа с номером строки и столбцом. "
        "Ничего не меняется, пока вы не подтвердите загрузку; строки с ошибками не применяются.",
        "Ребёнок с СНИЛС, который уже есть в реестре, не создаётся заново; без СНИЛС — сверяется по ФИО, "
        "дате рождения и муниципалитету.",
        f"Не больше {_MAX_ROWS_SHOWN} строк и {IMPORT_MAX_BYTES // (1024 * 1024)} МБ в одном файле.",
    ),
    date_columns=(BIRTH_DATE, ENROLLED_ON, LEFT_ON),
    text_columns=(SNILS, OKTMO, INN, PROGRAM, GROUP),
    choices=((SEX, "М,Ж", "Выберите «М» или «Ж»."), (OVZ, "да,нет", "Выберите «да» или «нет».")),
)


def template_workbook(organization: Organization | None = None) -> bytes:
    """The list template; for an organization, also its programs and groups with their codes."""
    book = template_book(LIST_TEMPLATE, _example(organization))
    if organization is not None:
        _codes_sheet(book, organization)
    return workbook_bytes(book)


def _example(organization: Organization | None) -> list[Any]:
    return [
        "Иванова",
        "Мария",
        "Петровна",
        date(2015, 3, 14),
        "Ж",
        "112-233-445 95",
        "нет",
        organization.municipality.oktmo if organization else "45000000",
        organization.inn if organization else "7701234567",
        EXAMPLE_PROGRAM,
        EXAMPLE_GROUP,
        date(2024, 9, 1),
        None,
    ]


def _codes_sheet(book: Workbook, organization: Organization) -> None:
    sheet = book.create_sheet("Программы и группы")
    sheet.append(["Код программы", "Программа", "Код группы", "Группа", "Начало занятий", "Мест", "Занято"])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    groups = Group.objects.filter(program__organization=organization).select_related("program")
    for group in groups.order_by("program__title", "start_date", "name"):
        sheet.append(
            [
                group.program.code,
                group.program.title,
                group.code,
                group.name,
                f"{group.start_date:%d.%m.%Y}",
                group.capacity,
                group.seats_taken,
            ]
        )
    for letter, width in zip("ABCDEFG", (16, 50, 14, 30, 16, 8, 8), strict=True):
        sheet.column_dimensions[letter].width = width


def outcome_lines(batch: ImportBatch) -> list[tuple[str, int]]:
    """The outcome as (label, count), in a fixed order, for pages."""
    return [(label, batch.outcome.get(key, 0)) for key, label in OUTCOME_LABELS.items()]
