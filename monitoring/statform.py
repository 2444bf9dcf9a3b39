"""Federal statistical form 1-ДОП from a declarative layout.

The layout (``monitoring/layouts/form_1dop.toml``) holds the form's sections, columns, rows, the rule of every
cell and the control relations; this module only reads it, counts enrollment facts by it and writes the XLSX.
A corrected form is a corrected TOML file. docs/form-1dop.md describes the layout language.
"""

import io
import math
import operator
import re
import tomllib
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

DEFAULT_LAYOUT = Path(__file__).resolve().parent / "layouts" / "form_1dop.toml"

CHOICES: dict[str, frozenset[str]] = {
    "sex": frozenset({"m", "f"}),
    "direction": frozenset({"technical", "natural_science", "arts", "sport", "tourism", "social"}),
    "program_type": frozenset({"general", "preprof", "sport"}),
    "funding": frozenset({"budget", "certificate", "paid"}),
}
FLAGS = ("has_ovz", "has_disability", "is_network", "is_distance")
MEASURES = ("children", "enrollments")
OPERATORS: dict[str, Callable[[int, int], bool]] = {"=": operator.eq, "<=": operator.le, ">=": operator.ge}

_CODE = re.compile(r"[0-9A-Za-zА-Яа-яЁё.]{1,10}")
_RANGE = re.compile(r"\s*(\d+)\s*-\s*(\d+)\s*")
_Ref = TypeVar("_Ref", int, str)


class LayoutError(ValueError):
    """The layout is not a valid form description; the message names the file, the place and the fault."""


class EnrollmentFact(NamedTuple):
    """One enrollment active on 31 December of the reporting year. A named tuple: a territory's form
    reads tens of thousands of them, and a frozen dataclass took longer to build than the counting."""

    child_id: int
    organization_id: int
    sex: str  # "m" | "f"
    age: int  # full years on 1 January of the year after the reporting year
    has_ovz: bool
    has_disability: bool
    direction: str  # technical | natural_science | arts | sport | tourism | social
    program_type: str  # general (общеразвивающая) | preprof (предпрофессиональная) | sport (спортивной подготовки)
    funding: str  # budget | certificate | paid
    is_network: bool
    is_distance: bool  # with e-learning / distance technologies


# What a filter can look at. Facts that agree on all of it (a profile) fall into the same cells.
PROFILE = (
    "sex",
    "age",
    "has_ovz",
    "has_disability",
    "direction",
    "program_type",
    "funding",
    "is_network",
    "is_distance",
)
_profile_of = operator.attrgetter(*PROFILE)
_Profile = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Filter:
    """A conjunction of conditions on a fact; the empty filter takes every fact."""

    choices: tuple[tuple[str, frozenset[str]], ...] = ()
    flags: tuple[tuple[str, bool], ...] = ()
    age: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class Source:
    title: str
    url: str


@dataclass(frozen=True, slots=True)
class Column:
    number: int
    heading: str
    filter: Filter
    sum_of: tuple[int, ...] = ()  # a sum column adds up these columns of its row
    count: str | None = None  # overrides the section's measure
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Row:
    code: str
    name: str
    indent: int
    filter: Filter
    sum_of: tuple[str, ...] = ()  # a sum row adds up these rows of its column
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Section:
    key: str
    title: str
    count: str
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Selection:
    """The cells a side of a control relation adds up."""

    section: str
    rows: tuple[str, ...]
    columns: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Control:
    """left op right, either once, or for every row (``each_row``) or every column (``each_column``)."""

    name: str
    op: str
    left: Selection
    right: Selection
    each_row: bool = False
    each_column: bool = False
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Layout:
    title: str
    form_code: str
    sources: Mapping[str, Source]
    sections: tuple[Section, ...]
    controls: tuple[Control, ...]

    def section(self, key: str) -> Section:
        return next(section for section in self.sections if section.key == key)


@dataclass(frozen=True, slots=True)
class ControlViolation:
    control: str
    where: str  # "строка 01", "графа 7" or "" for a relation checked once
    left: int
    op: str
    right: int
    basis: str  # the text the relation comes from

    def __str__(self) -> str:
        place = f", {self.where}" if self.where else ""
        return f"{self.control}{place}: не выполняется {self.left} {self.op} {self.right}"


@dataclass(frozen=True, slots=True)
class FormResult:
    layout: Layout
    values: Mapping[tuple[str, str, int], int]  # (section key, row code, column number) -> value
    violations: tuple[ControlViolation, ...]

    def value(self, section: str, row: str, column: int) -> int:
        return self.values[(section, row, column)]


# --- Loading ---------------------------------------------------------------------------------------------------


def load_layout(path: Path | None = None) -> Layout:
    """Read and validate a layout; any fault raises `LayoutError` saying where it is."""
    path = path or DEFAULT_LAYOUT
    try:
        with path.open("rb") as stream:
            data = tomllib.load(stream)
    except tomllib.TOMLDecodeError as error:
        raise LayoutError(f"{path.name}: not valid TOML: {error}") from error
    return _layout(data, path.name)


def _layout(data: dict[str, Any], where: str) -> Layout:
    fields = _fields(data, where, ("title", "form_code", "sections"), ("sources", "controls"))
    sources = {
        key: _source(value, f"{where}: sources.{key}")
        for key, value in _fields(fields.get("sources", {}), f"{where}: sources", (), None).items()
    }
    sections: dict[str, Section] = {}
    for index, item in enumerate(_array(fields["sections"], f"{where}: sections")):
        section = _section(item, f"{where}: sections[{index}]", sources)
        if section.key in sections:
            raise LayoutError(f"{where}: sections[{index}]: section key {section.key!r} is used twice")
        sections[section.key] = section
    controls = tuple(
        _control(item, f"{where}: controls[{index}]", sections, sources)
        for index, item in enumerate(_array(fields.get("controls", []), f"{where}: controls", non_empty=False))
    )
    return Layout(
        title=_text(fields["title"], f"{where}: title"),
        form_code=_text(fields["form_code"], f"{where}: form_code"),
        sources=sources,
        sections=tuple(sections.values()),
        controls=controls,
    )


def _source(value: object, where: str) -> Source:
    fields = _fields(value, where, ("title", "url"))
    return Source(title=_text(fields["title"], f"{where}.title"), url=_text(fields["url"], f"{where}.url"))


def _section(value: object, where: str, sources: Mapping[str, Source]) -> Section:
    fields = _fields(value, where, ("key", "title", "count", "columns", "rows"), ("source",))
    key = _text(fields["key"], f"{where}.key")
    if not _CODE.fullmatch(key):
        raise LayoutError(f"{where}.key: {key!r} must be 1-10 letters, digits or dots")
    where = f"{where} (раздел {key})"

    columns = _entries(
        fields["columns"],
        f"{where}.columns",
        lambda item, spot: _column(item, spot, sources),
        lambda column: column.number,
        lambda number: f"column number {number}",
        _column_refs,
        "column",
    )
    rows = _entries(
        fields["rows"],
        f"{where}.rows",
        lambda item, spot: _row(item, spot, sources),
        lambda row: row.code,
        lambda code: f"row code {code!r}",
        _row_refs,
        "row",
    )
    return Section(
        key=key,
        title=_text(fields["title"], f"{where}.title"),
        count=_measure(fields["count"], f"{where}.count"),
        columns=columns,
        rows=rows,
        source=_source_ref(fields.get("source"), f"{where}.source", sources),
    )


_Entry = TypeVar("_Entry", Column, Row)


def _entries(
    items: object,
    where: str,
    parse: Callable[[object, str], tuple[_Entry, object]],
    key_of: Callable[[_Entry], Any],
    described: Callable[[Any], str],
    refs: Callable[[object, str, Sequence[Any]], tuple[Any, ...]],
    kind: str,
) -> tuple[_Entry, ...]:
    """The columns or the rows of a section: each parsed, keys unique, sums resolved to their parts."""
    entries: list[_Entry] = []
    sums: dict[Any, object] = {}
    for index, item in enumerate(_array(items, where)):
        spot = f"{where}[{index}]"
        entry, sum_of = parse(item, spot)
        if any(key_of(known) == key_of(entry) for known in entries):
            raise LayoutError(f"{spot}: {described(key_of(entry))} is used twice")
        entries.append(entry)
        if sum_of is not None:
            sums[key_of(entry)] = sum_of
    keys = [key_of(entry) for entry in entries]
    for index, entry in enumerate(entries):
        if key_of(entry) in sums:
            spot = f"{where}[{index}].sum_of"
            parts = refs(sums[key_of(entry)], spot, keys)
            _check_sum(parts, key_of(entry), sums, spot, kind)
            entries[index] = replace(entry, sum_of=parts)
    return tuple(entries)


def _column(value: object, where: str, sources: Mapping[str, Source]) -> tuple[Column, object]:
    fields = _fields(value, where, ("number", "heading"), ("filter", "sum_of", "count", "source"))
    number = _integer(fields["number"], f"{where}.number", minimum=3)
    where = f"{where} (графа {number})"
    if "sum_of" in fields and ("filter" in fields or "count" in fields):
        raise LayoutError(f"{where}: a sum column takes neither a filter nor a count of its own")
    column = Column(
        number=number,
        heading=_text(fields["heading"], f"{where}.heading"),
        filter=_filter(fields["filter"], f"{where}.filter") if "filter" in fields else Filter(),
        count=_measure(fields["count"], f"{where}.count") if "count" in fields else None,
        source=_source_ref(fields.get("source"), f"{where}.source", sources),
    )
    return column, fields.get("sum_of")


def _row(value: object, where: str, sources: Mapping[str, Source]) -> tuple[Row, object]:
    fields = _fields(value, where, ("code", "name"), ("indent", "filter", "sum_of", "source"))
    code = _text(fields["code"], f"{where}.code")
    if not _CODE.fullmatch(code):
        raise LayoutError(f"{where}.code: {code!r} must be 1-10 letters, digits or dots")
    where = f"{where} (строка {code})"
    if "sum_of" in fields and "filter" in fields:
        raise LayoutError(f"{where}: a sum row takes no filter of its own")
    indent = _integer(fields.get("indent", 0), f"{where}.indent")
    if indent > 4:
        raise LayoutError(f"{where}.indent: {indent} is deeper than 4")
    row = Row(
        code=code,
        name=_text(fields["name"], f"{where}.name"),
        indent=indent,
        filter=_filter(fields["filter"], f"{where}.filter") if "filter" in fields else Filter(),
        source=_source_ref(fields.get("source"), f"{where}.source", sources),
    )
    return row, fields.get("sum_of")


def _check_sum(refs: Sequence[object], own: object, sums: Mapping[Any, object], where: str, kind: str) -> None:
    if own in refs:
        raise LayoutError(f"{where}: a {kind} cannot be a sum of itself")
    nested = [ref for ref in refs if ref in sums]
    if nested:
        raise LayoutError(f"{where}: {kind}(s) {', '.join(map(str, nested))} are sums themselves; list their parts")


def _filter(value: object, where: str) -> Filter:
    fields = _fields(value, where, (), (*CHOICES, "age", *FLAGS))
    choices = []
    for name, allowed in CHOICES.items():
        if name in fields:
            items = _array(fields[name], f"{where}.{name}")
            wrong = [item for item in items if not isinstance(item, str) or item not in allowed]
            if wrong:
                raise LayoutError(f"{where}.{name}: {wrong!r} not among {sorted(allowed)}")
            choices.append((name, frozenset(items)))
    age = None
    if "age" in fields:
        bounds = _array(fields["age"], f"{where}.age")
        if len(bounds) != 2:
            raise LayoutError(f"{where}.age: expected [from, to], got {bounds!r}")
        low, high = (_integer(bound, f"{where}.age") for bound in bounds)
        if low > high:
            raise LayoutError(f"{where}.age: {low} is above {high}")
        age = (low, high)
    flags = tuple((name, _flag(fields[name], f"{where}.{name}")) for name in FLAGS if name in fields)
    return Filter(choices=tuple(choices), flags=flags, age=age)


def _control(value: object, where: str, sections: Mapping[str, Section], sources: Mapping[str, Source]) -> Control:
    fields = _fields(value, where, ("name", "op", "left", "right"), ("each_row", "each_column", "source"))
    name = _text(fields["name"], f"{where}.name")
    where = f"{where} ({name})"
    op = _text(fields["op"], f"{where}.op")
    if op not in OPERATORS:
        raise LayoutError(f"{where}.op: {op!r} is not one of {', '.join(OPERATORS)}")
    each_row = _flag(fields.get("each_row", False), f"{where}.each_row")
    each_column = _flag(fields.get("each_column", False), f"{where}.each_column")
    if each_row and each_column:
        raise LayoutError(f"{where}: choose each_row or each_column, not both")
    sides = {
        side: _fields(fields[side], f"{where}.{side}", ("section",), ("rows", "columns")) for side in ("left", "right")
    }
    for per, axis in ((each_row, "rows"), (each_column, "columns")):
        if per:
            if sides["left"]["section"] != sides["right"]["section"]:
                raise LayoutError(f"{where}: a relation for each of the {axis} compares cells of one section")
            if any(axis in side for side in sides.values()):
                raise LayoutError(f"{where}: a relation for each of the {axis} does not list {axis}")
    left, right = (_selection(sides[side], f"{where}.{side}", sections) for side in ("left", "right"))
    return Control(
        name=name,
        op=op,
        left=left,
        right=right,
        each_row=each_row,
        each_column=each_column,
        source=_source_ref(fields.get("source"), f"{where}.source", sources),
    )


def _selection(fields: Mapping[str, Any], where: str, sections: Mapping[str, Section]) -> Selection:
    key = _text(fields["section"], f"{where}.section")
    if key not in sections:
        raise LayoutError(f"{where}.section: no section {key!r}; the layout has {', '.join(sections)}")
    section = sections[key]
    codes = [row.code for row in section.rows]
    numbers = [column.number for column in section.columns]
    return Selection(
        section=key,
        rows=_row_refs(fields["rows"], f"{where}.rows", codes) if "rows" in fields else tuple(codes),
        columns=_column_refs(fields["columns"], f"{where}.columns", numbers) if "columns" in fields else tuple(numbers),
    )


def _column_refs(value: object, where: str, known: Sequence[int]) -> tuple[int, ...]:
    numbers: list[int] = []
    for item in _array(value, where):
        match = _RANGE.fullmatch(item) if isinstance(item, str) else None
        if match:
            low, high = int(match[1]), int(match[2])
            if low > high:
                raise LayoutError(f"{where}: range {item!r} runs backwards")
            numbers.extend(range(low, high + 1))
        elif type(item) is int:
            numbers.append(item)
        else:
            raise LayoutError(f'{where}: {item!r} is neither a column number nor a range like "4-21"')
    return _known(numbers, known, where, "column")


def _row_refs(value: object, where: str, known: Sequence[str]) -> tuple[str, ...]:
    codes: list[str] = []
    for item in _array(value, where):
        if not isinstance(item, str):
            raise LayoutError(f'{where}: {item!r} is not a row code like "01" or a range like "02-06"')
        first, _, last = (part.strip() for part in item.partition("-"))
        if not last:
            codes.append(first)
            continue
        if first not in known or last not in known:
            raise LayoutError(f"{where}: range {item!r} names a row the section does not have")
        start, stop = known.index(first), known.index(last)
        if start > stop:
            raise LayoutError(f"{where}: range {item!r} runs backwards")
        codes.extend(known[start : stop + 1])
    return _known(codes, known, where, "row")


def _known(items: list[_Ref], known: Sequence[_Ref], where: str, kind: str) -> tuple[_Ref, ...]:
    missing = [item for item in items if item not in known]
    if missing:
        raise LayoutError(f"{where}: no {kind}(s) {', '.join(map(str, missing))} in the section")
    repeated = sorted({str(item) for item in items if items.count(item) > 1})
    if repeated:
        raise LayoutError(f"{where}: {kind}(s) {', '.join(repeated)} listed more than once")
    return tuple(items)


def _source_ref(value: object, where: str, sources: Mapping[str, Source]) -> str | None:
    if value is None:
        return None
    key = _text(value, where)
    if key not in sources:
        raise LayoutError(f"{where}: no source {key!r} in [sources]")
    return key


def _measure(value: object, where: str) -> str:
    measure = _text(value, where)
    if measure not in MEASURES:
        raise LayoutError(f"{where}: {measure!r} is not one of {', '.join(MEASURES)}")
    return measure


def _fields(
    value: object, where: str, required: tuple[str, ...], optional: tuple[str, ...] | None = ()
) -> dict[str, Any]:
    """A TOML table with the required keys; with `optional` None any other key is allowed."""
    if not isinstance(value, dict):
        raise LayoutError(f"{where}: expected a table, got {value!r}")
    missing = [key for key in required if key not in value]
    if missing:
        raise LayoutError(f"{where}: missing {', '.join(missing)}")
    if optional is not None:
        unknown = sorted(set(value) - set(required) - set(optional))
        if unknown:
            allowed = ", ".join((*required, *optional))
            raise LayoutError(f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {allowed}")
    return value


def _array(value: object, where: str, *, non_empty: bool = True) -> list[Any]:
    if not isinstance(value, list):
        raise LayoutError(f"{where}: expected an array, got {value!r}")
    if non_empty and not value:
        raise LayoutError(f"{where}: must not be empty")
    return value


def _text(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise LayoutError(f"{where}: expected a non-empty string, got {value!r}")
    return value


def _integer(value: object, where: str, *, minimum: int = 0) -> int:
    if type(value) is not int or value < minimum:
        raise LayoutError(f"{where}: expected a whole number not below {minimum}, got {value!r}")
    return value


def _flag(value: object, where: str) -> bool:
    if not isinstance(value, bool):
        raise LayoutError(f"{where}: expected true or false, got {value!r}")
    return value


# --- Counting --------------------------------------------------------------------------------------------------


def compute_form(layout: Layout, facts: Iterable[EnrollmentFact]) -> FormResult:
    """Every cell of every section, in one pass over the facts, and the control relations they break.

    The pass groups the facts by profile (all a filter can look at); a filter is then resolved to a set of
    profiles through an index of profiles by value, and a cell counts the facts of its profiles.
    """
    groups: defaultdict[_Profile, list[int]] = defaultdict(list)  # profile -> child_id of each of its facts
    for fact in facts:
        groups[_profile_of(fact)].append(fact.child_id)
    index: dict[str, defaultdict[Any, set[_Profile]]] = {name: defaultdict(set) for name in PROFILE}
    for profile in groups:
        for name, value in zip(PROFILE, profile, strict=True):
            index[name][value].add(profile)
    children = {profile: set(ids) for profile, ids in groups.items()}
    enrollments = {profile: len(ids) for profile, ids in groups.items()}
    values: dict[tuple[str, str, int], int] = {}
    for section in layout.sections:
        values.update(_section_values(section, children, enrollments, index))
    violations = tuple(violation for control in layout.controls for violation in _check(layout, control, values))
    return FormResult(layout=layout, values=values, violations=violations)


def _profiles(condition: Filter, index: Mapping[str, Mapping[Any, set[_Profile]]]) -> set[_Profile]:
    """The profiles a filter takes."""
    chosen = set().union(*index["sex"].values())
    for name, allowed in condition.choices:
        chosen &= set().union(*(index[name].get(value, ()) for value in allowed))
    for name, flag in condition.flags:
        chosen &= index[name].get(flag, set())
    if condition.age is not None:
        low, high = condition.age
        chosen &= set().union(*(profiles for age, profiles in index["age"].items() if low <= age <= high))
    return chosen


def _section_values(
    section: Section,
    children: Mapping[_Profile, set[int]],
    enrollments: Mapping[_Profile, int],
    index: Mapping[str, Mapping[Any, set[_Profile]]],
) -> dict[tuple[str, str, int], int]:
    base_rows = [row for row in section.rows if not row.sum_of]
    base_columns = [column for column in section.columns if not column.sum_of]
    in_row = {row.code: _profiles(row.filter, index) for row in base_rows}
    in_column = {column.number: _profiles(column.filter, index) for column in base_columns}
    cells: dict[tuple[str, int], int] = {}
    for row in base_rows:
        for column in base_columns:
            profiles = in_row[row.code] & in_column[column.number]
            if (column.count or section.count) == "children":
                cells[row.code, column.number] = len(set().union(*(children[p] for p in profiles)))
            else:
                cells[row.code, column.number] = sum(enrollments[p] for p in profiles)
    for row in section.rows:
        if row.sum_of:
            for column in base_columns:
                cells[row.code, column.number] = sum(cells[part, column.number] for part in row.sum_of)
    for row in section.rows:
        for column in section.columns:
            if column.sum_of:
                cells[row.code, column.number] = sum(cells[row.code, part] for part in column.sum_of)
    return {(section.key, row, column): value for (row, column), value in cells.items()}


def _check(layout: Layout, control: Control, values: Mapping[tuple[str, str, int], int]) -> list[ControlViolation]:
    def total(selection: Selection, rows: Iterable[str], columns: Iterable[int]) -> int:
        return sum(values[selection.section, row, column] for row in rows for column in columns)

    left, right = control.left, control.right
    section = layout.section(left.section)
    if control.each_row:
        pairs = [
            (f"строка {row.code}", total(left, [row.code], left.columns), total(right, [row.code], right.columns))
            for row in section.rows
        ]
    elif control.each_column:
        pairs = [
            (
                f"графа {column.number}",
                total(left, left.rows, [column.number]),
                total(right, right.rows, [column.number]),
            )
            for column in section.columns
        ]
    else:
        pairs = [("", total(left, left.rows, left.columns), total(right, right.rows, right.columns))]
    basis = layout.sources[control.source].title if control.source else "собственная проверка, не сверена с указаниями"
    return [
        ControlViolation(control=control.name, where=where, left=a, op=control.op, right=b, basis=basis)
        for where, a, b in pairs
        if not OPERATORS[control.op](a, b)
    ]


# --- Writing ---------------------------------------------------------------------------------------------------

_THIN = Side(style="thin")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_BOLD = Font(bold=True)
_HEADER = Alignment(horizontal="center", vertical="center", wrap_text=True)
NAME_WIDTH = 64


def write_xlsx(result: FormResult, *, territory: str, year: int) -> bytes:
    """The form as an XLSX workbook: a sheet per section, then the sheet «Контроль»."""
    book = Workbook()
    book.remove(book.active)
    for section in result.layout.sections:
        _write_section(book.create_sheet(f"Раздел {section.key}"), result, section, territory, year)
    _write_controls(book.create_sheet("Контроль"), result)
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def _write_section(sheet: Any, result: FormResult, section: Section, territory: str, year: int) -> None:
    layout = result.layout
    sheet.append([f"Форма № {layout.form_code}"])
    sheet.append([layout.title])
    sheet.append([f"Территория: {territory}"])
    sheet.append([f"за {year} год, по состоянию на 31 декабря {year} г."])
    sheet.append([])
    sheet.append([section.title])
    for line in (1, 2, 6):
        sheet.cell(row=line, column=1).font = Font(bold=True, size=13 if line == 2 else 11)

    sheet.append(["Наименование показателя", "№ строки", *(column.heading for column in section.columns)])
    sheet.append([1, 2, *(column.number for column in section.columns)])
    header, numbers = sheet.max_row - 1, sheet.max_row
    for cell in (*sheet[header], *sheet[numbers]):
        cell.font, cell.alignment, cell.border = _BOLD, _HEADER, _BOX

    for row in section.rows:
        sheet.append([row.name, row.code, *(result.value(section.key, row.code, c.number) for c in section.columns)])
        name, code, *figures = sheet[sheet.max_row]
        name.alignment = Alignment(indent=2 * row.indent, wrap_text=True, vertical="center")
        code.alignment = Alignment(horizontal="center", vertical="center")
        for cell in (name, code, *figures):
            cell.border = _BOX

    widths = [NAME_WIDTH, 9, *(16 if len(column.heading) > 12 else 10 for column in section.columns)]
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    lines = max(math.ceil(len(str(cell.value)) / (widths[cell.column - 1] - 1)) for cell in sheet[header])
    sheet.row_dimensions[header].height = 15 * max(lines, 1)
    sheet.freeze_panes = sheet.cell(row=numbers + 1, column=3)


def _write_controls(sheet: Any, result: FormResult) -> None:
    if not result.violations:
        sheet.append(["Контроли выполнены"])
        sheet.append([f"Проверено контрольных соотношений: {len(result.layout.controls)}"])
        sheet["A1"].font = _BOLD
        sheet.column_dimensions["A"].width = NAME_WIDTH
        return
    sheet.append([f"Нарушены контрольные соотношения: {len(result.violations)}"])
    sheet["A1"].font = _BOLD
    sheet.append([])
    sheet.append(["Контрольное соотношение", "Где", "Левая часть", "Знак", "Правая часть", "Основание"])
    for cell in sheet[3]:
        cell.font, cell.alignment, cell.border = _BOLD, _HEADER, _BOX
    for violation in result.violations:
        sheet.append(
            [violation.control, violation.where, violation.left, violation.op, violation.right, violation.basis]
        )
        for cell in sheet[sheet.max_row]:
            cell.border = _BOX
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for letter, width in zip("ABCDEF", (NAME_WIDTH, 12, 12, 7, 12, 48), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A4"
