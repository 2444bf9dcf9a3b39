"""Form 1-ДОП: the layout, the counting, the control relations and the XLSX. No database."""

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from monitoring.statform import (
    DEFAULT_LAYOUT,
    EnrollmentFact,
    LayoutError,
    compute_form,
    load_layout,
    write_xlsx,
)

CONSULTANT_SECTION_III = "https://consultant.ru/document/cons_doc_LAW_490003/6d7988527d047a1fa8c0a1275cb50de379e9a957"


def fact(child: int, **overrides: object) -> EnrollmentFact:
    base = EnrollmentFact(
        child_id=child,
        organization_id=1,
        sex="m",
        age=10,
        has_ovz=False,
        has_disability=False,
        direction="technical",
        program_type="general",
        funding="budget",
        is_network=False,
        is_distance=False,
    )
    return base._replace(**overrides)


# Four children, seven enrollments.
FACTS = [
    # Child 1, a girl of 7: two programs in two directions.
    fact(1, sex="f", age=7, direction="technical"),
    fact(1, sex="f", age=7, direction="arts", funding="certificate"),
    # Child 2, a boy of 12: two arts programs, one of them pre-professional.
    fact(2, age=12, direction="arts", funding="paid"),
    fact(2, age=12, direction="arts", program_type="preprof"),
    # Child 3, a girl of 16 with ОВЗ: sport training in two organizations.
    fact(3, sex="f", age=16, has_ovz=True, direction="sport", program_type="sport"),
    fact(3, organization_id=2, sex="f", age=16, has_ovz=True, direction="sport", program_type="sport"),
    # Child 4, a disabled boy of 4: a distance network program.
    fact(4, age=4, has_disability=True, direction="social", is_network=True, is_distance=True),
]


# --- The shipped layout ----------------------------------------------------------------------------------------


def test_the_layout_loads_and_names_every_row_and_column():
    layout = load_layout()
    assert layout.form_code == "1-ДОП"
    assert layout.title == "Сведения о дополнительном образовании и спортивной подготовке детей"
    assert [section.key for section in layout.sections] == ["II", "III"]
    for section in layout.sections:
        numbers = [column.number for column in section.columns]
        assert numbers == list(range(3, 3 + len(numbers))), "columns follow «1» name and «2» row code, without gaps"
        assert all(column.heading.strip() for column in section.columns)
        assert all(row.code.strip() and row.name.strip() for row in section.rows)
        assert len({row.code for row in section.rows}) == len(section.rows)
    assert load_layout(DEFAULT_LAYOUT) == layout


def test_the_layout_keeps_what_was_verified_against_the_order():
    layout = load_layout()
    assert layout.sources["law490003_s3"].url == CONSULTANT_SECTION_III
    second, third = layout.section("II"), layout.section("III")
    assert second.title == "Раздел II. Численность обучающихся и занимающихся"
    assert third.title == (
        "Раздел III. Численность обучающихся по дополнительным образовательным программам спортивной подготовки"
    )
    assert second.source == third.source == "law490003_s3"
    # п. 90: graphs 3-21; п. 91: graph 3 is the sum of graphs 4-21.
    assert [column.number for column in third.columns] == list(range(3, 22))
    relations = {
        (c.left.section, c.left.rows, c.left.columns, c.op, c.right.section, c.right.rows, c.right.columns, c.each_row)
        for c in layout.controls
        if c.source == "law490003_s3"
    }
    codes = tuple(row.code for row in third.rows)
    assert ("III", codes, (3,), "=", "III", codes, tuple(range(4, 22)), True) in relations
    # пп. 92-95: single-year graphs of Раздел III add up to the age graphs 7-10 of Раздел II.
    for first, last, band in ((4, 6, 7), (7, 11, 8), (12, 16, 9), (17, 21, 10)):
        assert ("III", ("01",), tuple(range(first, last + 1)), "=", "II", ("12",), (band,), False) in relations


def test_single_year_columns_of_section_iii_tile_the_age_groups_of_section_ii():
    layout = load_layout()
    ages = {column.number: column.filter.age for column in layout.section("III").columns}
    bands = {column.number: column.filter.age for column in layout.section("II").columns}
    for first, last, band in ((4, 6, 7), (7, 11, 8), (12, 16, 9), (17, 21, 10)):
        spans = [ages[number] for number in range(first, last + 1)]
        assert all(span is not None for span in spans)
        covered = [age for low, high in spans for age in range(low, high + 1)]
        low, high = bands[band]
        assert covered == list(range(low, high + 1)), f"graphs {first}-{last} vs graph {band}"


# --- Counting --------------------------------------------------------------------------------------------------


def test_hand_computed_cells_count_distinct_children():
    result = compute_form(load_layout(), FACTS)
    value = result.value
    # Row 01, all programs: four children, not seven enrollments.
    assert {column: value("II", "01", column) for column in range(3, 16)} == {
        3: 4,  # all
        4: 2,  # girls: children 1 and 3
        5: 1,  # ОВЗ: child 3
        6: 1,  # disabled: child 4
        7: 1,  # under 5: child 4
        8: 1,  # 5-9: child 1
        9: 1,  # 10-14: child 2
        10: 1,  # 15 and older: child 3
        11: 1,  # distance: child 4
        12: 1,  # network: child 4
        13: 4,  # budget: every child has a budget-funded program
        14: 1,  # certificate: child 1
        15: 1,  # paid: child 2
    }
    assert value("II", "02", 3) == 1  # technical: child 1
    assert value("II", "06", 3) == 2  # arts: children 1 and 2, child 2 once though in two arts programs
    assert value("II", "07", 3) == 2  # arts, general programs
    assert value("II", "08", 3) == 1  # arts, pre-professional
    assert value("II", "05", 3) == value("II", "05", 6) == value("II", "05", 7) == 1  # social: child 4
    assert value("II", "09", 3) == 0  # no sport general or pre-professional programs
    # Sport training: child 3 once though enrolled in two organizations.
    assert [value("II", "12", column) for column in (3, 4, 5, 10)] == [1, 1, 1, 1]
    assert value("III", "01", 3) == value("III", "01", 18) == 1  # 16 years
    assert value("III", "02", 18) == 1  # a girl
    assert sum(value("III", "01", column) for column in range(4, 22)) == 1
    assert result.violations == ()


MINI = """
title = "Проверочная форма"
form_code = "T-1"

[sources.test]
title = "Проверочный источник"
url = "https://example.org/test"

[[sections]]
key = "A"
title = "Раздел A"
count = "children"

[[sections.columns]]
number = 3
heading = "Дети"

[[sections.columns]]
number = 4
heading = "Зачисления"
count = "enrollments"

[[sections.columns]]
number = 5
heading = "девочки"
filter = { sex = ["f"] }

[[sections.columns]]
number = 6
heading = "мальчики"
filter = { sex = ["m"] }

[[sections.columns]]
number = 7
heading = "сумма граф 5–6"
sum_of = ["5-6"]

[[sections.rows]]
code = "01"
name = "техническая"
filter = { direction = ["technical"] }

[[sections.rows]]
code = "02"
name = "художественная"
filter = { direction = ["arts"], age = [5, 9] }

[[sections.rows]]
code = "03"
name = "сумма строк 01–02"
sum_of = ["01-02"]

[[controls]]
name = "графа 3 = графа 7"
source = "test"
each_row = true
left = { section = "A", columns = [3] }
op = "="
right = { section = "A", columns = [7] }
"""


def mini(tmp_path: Path, text: str = MINI) -> Path:
    path = tmp_path / "mini.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_children_enrollments_and_sum_cells(tmp_path):
    facts = [
        fact(1, sex="f", age=7),
        fact(1, organization_id=2, sex="f", age=7),  # the same girl in a second technical program
        fact(1, sex="f", age=7, direction="arts"),
        fact(2),
        fact(3, age=12, direction="arts"),  # outside the age range of row 02
    ]
    result = compute_form(load_layout(mini(tmp_path)), facts)
    table = [[result.value("A", row, column) for column in range(3, 8)] for row in ("01", "02", "03")]
    assert table == [
        [2, 3, 1, 1, 2],  # technical: 2 children, 3 enrollments
        [1, 1, 1, 0, 1],
        [3, 4, 2, 1, 3],  # a sum row adds the rows up: the girl counts in both
    ]
    assert result.violations == ()


def test_an_empty_fact_set_gives_zeros_and_no_violations():
    result = compute_form(load_layout(), [])
    assert set(result.values.values()) == {0}
    assert result.violations == ()


# --- Malformed layouts -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('filter = { sex = ["f"] }', 'filter = { gender = ["f"] }', "unknown key(s) gender"),
        ('direction = ["technical"]', 'direction = ["tecnical"]', "['tecnical'] not among"),
        ("age = [5, 9]", "age = [9, 5]", "9 is above 5"),
        ("age = [5, 9]", "age = [5]", "expected [from, to]"),
        ("number = 4", "number = 3", "column number 3 is used twice"),
        ('code = "02"', 'code = "01"', "row code '01' is used twice"),
        ('count = "children"', 'count = "kids"', "'kids' is not one of children, enrollments"),
        ('sum_of = ["5-6"]', 'sum_of = ["5-9"]', "no column(s) 8, 9 in the section"),
        ('sum_of = ["01-02"]', 'sum_of = ["01-03"]', "a row cannot be a sum of itself"),
        ('sum_of = ["5-6"]', 'sum_of = ["5-6"]\nfilter = { sex = ["f"] }', "a sum column takes neither"),
        ("columns = [7] }", "columns = [8] }", "no column(s) 8"),
        ('op = "="', 'op = "=="', "'==' is not one of"),
        ('source = "test"', 'source = "nowhere"', "no source 'nowhere'"),
        ('heading = "Дети"', 'heading = ""', "expected a non-empty string"),
        ('form_code = "T-1"', 'form_code = "T-1"\nform_kode = "T-1"', "unknown key(s) form_kode"),
        ('sum_of = ["01-02"]', 'sum_of = "01-02"', "sum_of: expected an array"),
        ('title = "Раздел A"', 'title = "Раздел A', "not valid TOML"),
    ],
)
def test_a_malformed_layout_is_refused_with_a_clear_error(tmp_path, old, new, message):
    assert old in MINI
    with pytest.raises(LayoutError) as error:
        load_layout(mini(tmp_path, MINI.replace(old, new, 1)))
    assert message in str(error.value)
    assert str(error.value).startswith("mini.toml")


def test_the_error_says_where_the_fault_is(tmp_path):
    with pytest.raises(LayoutError, match=r"sections\[0\] \(раздел A\)\.columns\[2\] \(графа 5\)\.filter"):
        load_layout(mini(tmp_path, MINI.replace('sex = ["f"]', 'sex = "f"', 1)))


def test_a_relation_for_each_row_may_not_list_rows(tmp_path):
    text = MINI.replace(
        'left = { section = "A", columns = [3] }', 'left = { section = "A", rows = ["01"], columns = [3] }'
    )
    with pytest.raises(LayoutError, match="does not list rows"):
        load_layout(mini(tmp_path, text))


# --- Control relations -----------------------------------------------------------------------------------------


def test_controls_catch_a_child_counted_in_two_ages():
    # The same sport-training child with two different ages: counted once in graph 3 of Раздел III
    # but in two single-year graphs, and once in graph 10 of Раздел II.
    facts = [
        fact(7, age=15, direction="sport", program_type="sport"),
        fact(7, organization_id=2, age=16, direction="sport", program_type="sport"),
    ]
    result = compute_form(load_layout(), facts)
    found = {(violation.control, violation.where): violation for violation in result.violations}
    p91 = found["Раздел III: графа 3 = сумма граф 4–21 (п. 91)", "строка 01"]
    assert (p91.left, p91.op, p91.right) == (1, "=", 2)
    assert p91.basis.startswith("Указания по заполнению формы 1-ДОП")
    p95 = found["Сумма граф 17–21 раздела III = графа 10 раздела II (п. 95)", ""]
    assert (p95.left, p95.right) == (2, 1)
    assert "не выполняется 1 = 2" in str(p91)


def test_controls_catch_an_age_outside_every_group():
    result = compute_form(load_layout(), [fact(1, age=120)])
    where = {(violation.control, violation.where) for violation in result.violations}
    assert ("Раздел II: графа 3 = сумма граф 7–10", "строка 01") in where
    assert ("Раздел II: графа 3 = сумма граф 7–10", "строка 02") in where


# --- XLSX ------------------------------------------------------------------------------------------------------


def cell_value(sheet, code: str, number: int) -> object:
    """The cell of a row code and a column number, found as a reader would: by the numbers row and column «2»."""
    numbers = next(row for row in sheet.iter_rows() if row[0].value == 1 and row[1].value == 2)
    column = next(cell.column for cell in numbers if cell.value == number)
    line = next(row for row in sheet.iter_rows(min_row=numbers[0].row + 1) if row[1].value == code)
    return sheet.cell(row=line[0].row, column=column).value


def test_the_xlsx_holds_the_form(tmp_path):
    result = compute_form(load_layout(), FACTS)
    book = load_workbook(io.BytesIO(write_xlsx(result, territory="Энский муниципальный район", year=2025)))
    assert book.sheetnames == ["Раздел II", "Раздел III", "Контроль"]
    sheet = book["Раздел II"]
    title_block = [sheet.cell(row=row, column=1).value for row in range(1, 7)]
    assert title_block == [
        "Форма № 1-ДОП",
        "Сведения о дополнительном образовании и спортивной подготовке детей",
        "Территория: Энский муниципальный район",
        "за 2025 год, по состоянию на 31 декабря 2025 г.",
        None,
        "Раздел II. Численность обучающихся и занимающихся",
    ]
    assert sheet["A6"].font.bold and sheet["A7"].font.bold and sheet["C8"].font.bold
    assert [sheet.cell(row=7, column=col).value for col in (1, 2, 3)] == [
        "Наименование показателя",
        "№ строки",
        "Всего",
    ]
    assert [sheet.cell(row=8, column=col).value for col in range(1, 6)] == [1, 2, 3, 4, 5]
    assert sheet["B9"].value == "01" and sheet["C9"].value == 4
    assert sheet.freeze_panes == "C9"
    assert sheet.column_dimensions["A"].width > sheet.column_dimensions["C"].width
    for section in result.layout.sections:
        for row in section.rows:
            for column in section.columns:
                assert cell_value(book[f"Раздел {section.key}"], row.code, column.number) == result.value(
                    section.key, row.code, column.number
                )
    assert cell_value(book["Раздел III"], "01", 18) == 1
    assert book["Контроль"]["A1"].value == "Контроли выполнены"


def test_the_xlsx_lists_broken_controls():
    facts = [fact(7, age=15, program_type="sport"), fact(7, organization_id=2, age=16, program_type="sport")]
    result = compute_form(load_layout(), facts)
    sheet = load_workbook(io.BytesIO(write_xlsx(result, territory="Энск", year=2025)))["Контроль"]
    assert sheet["A1"].value == f"Нарушены контрольные соотношения: {len(result.violations)}"
    listed = [
        tuple(cell.value for cell in row)
        for row in sheet.iter_rows(min_row=4, max_row=3 + len(result.violations), max_col=5)
    ]
    assert ("Раздел III: графа 3 = сумма граф 4–21 (п. 91)", "строка 01", 1, "=", 2) in listed
