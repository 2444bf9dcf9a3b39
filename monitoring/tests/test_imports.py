"""Excel imports of children and their enrollments: broken files, every kind of row error, codes
of other organizations, duplicates inside a file, applying through the registry and the seats,
idempotence, a full group, resuming, permissions on the pages and the API."""

import io
import json
import threading
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from accounts.models import User
from accounts.services import issue_api_token
from catalog.models import Group, Program
from core import scope
from core.templatetags.opora import ages
from core.testing import Personas, make_group, make_municipality, make_personas, make_program
from core.validators import snils_check_number
from enrollment import services
from enrollment.models import Application, ApplicationSource
from enrollment.models import ApplicationStatus as S
from monitoring import imports, indicators
from monitoring.imports import BIRTH_DATE, GROUP, HEADERS, OVZ, PROGRAM, SEX, SNILS
from monitoring.models import IMPORT_MAX_BYTES, ImportBatch, ImportStatus
from monitoring.services import figures as cached_figures
from people import registry
from people.models import Child, ChildMerge, MatchCandidate, MatchStatus

pytestmark = pytest.mark.django_db

URL = "/office/monitoring/imports/"
API = "/api/v1"
TODAY = timezone.localdate()
ENROLLED = TODAY - timedelta(days=20)
BORN = date(TODAY.year - 10, 3, 14)


def snils(first_nine: str) -> str:
    return f"{first_nine[:3]}-{first_nine[3:6]}-{first_nine[6:]} {snils_check_number(first_nine)}"


def xlsx(rows: list[list[Any]], headers: tuple[str, ...] | list[str] = HEADERS) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(list(headers))
    for row in rows:
        sheet.append(row)
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


@pytest.fixture
def program(published_program: Program) -> Program:
    return published_program


@pytest.fixture
def group(program: Program) -> Group:
    return program.groups.get()


# The columns of HEADERS, in order, as keyword names for `line`.
KEYS = (
    *("last_name", "first_name", "patronymic", "birth_date", "sex", "snils", "ovz"),
    *("oktmo", "inn", "program", "group", "enrolled_on", "left_on"),
)


def line(personas: Personas, group: Group, /, **cells: Any) -> list[Any]:
    """A correct row of organization A's list in `group`; `cells` replace columns named as in KEYS."""
    defaults = (
        *("Соколова", "Анна", "Игоревна", f"{BORN:%d.%m.%Y}", "Ж", "", "нет"),
        *(personas.municipality_x.oktmo, personas.org_a.inn, group.program.code, group.code),
        *(f"{ENROLLED:%d.%m.%Y}", ""),
    )
    values = dict(zip(KEYS, defaults, strict=True)) | cells
    return [values[key] for key in KEYS]


def upload(personas: Personas, content: bytes, user: User | None = None) -> ImportBatch:
    return imports.upload(user or personas.operator_a, personas.org_a, "дети.xlsx", content)


def texts(batch: ImportBatch) -> list[str]:
    return [imports.error_text(error) for error in batch.errors]


# --- Broken files ----------------------------------------------------------------------------


def test_a_file_that_is_not_xlsx_is_kept_with_a_message_and_cannot_be_applied(personas):
    batch = upload(personas, "Фамилия;Имя\nИванов;Иван\n".encode())
    assert batch.status == ImportStatus.VALIDATED and (batch.rows_total, batch.rows_valid) == (0, 0)
    assert batch.errors == [{"row": None, "column": "", "message": imports._NOT_XLSX}]
    assert batch.content == "Фамилия;Имя\nИванов;Иван\n".encode()  # the upload is kept in the history
    with pytest.raises(ValidationError, match="нет строк без ошибок"):
        imports.apply(personas.operator_a, batch)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "Файл пустой: в нём нет ни одного байта."),
        (xlsx([], headers=[]), "Файл пустой: на первом листе нет ни заголовков, ни строк. Заполните шаблон."),
        (xlsx([]), "В файле нет строк с детьми: заполните лист под заголовками."),
        (xlsx([[None] * 13, [""] * 13]), "В файле нет строк с детьми: заполните лист под заголовками."),
    ],
    ids=["zero-bytes", "empty-sheet", "headers-only", "blank-rows"],
)
def test_an_empty_file_says_so(personas, content, message):
    assert texts(upload(personas, content)) == [message]


def test_missing_columns_are_named(personas, group):
    headers = [title for title in HEADERS if title not in (SNILS, OVZ)]
    batch = upload(personas, xlsx([["Соколова"]], headers=headers))
    assert texts(batch) == ["Строка 1: нет столбцов «СНИЛС», «ОВЗ» — скачайте шаблон и перенесите данные в него."]


def test_headers_of_another_table_are_refused(personas):
    batch = upload(personas, xlsx([["1", "2"]], headers=["ФИО", "Класс"]))
    assert batch.rows_total == 0
    assert texts(batch)[0].startswith("Строка 1: заголовки не те, что в шаблоне")


def test_columns_may_come_in_any_order_and_case(personas, group):
    headers = [title.upper() for title in reversed(HEADERS)]
    batch = upload(personas, xlsx([list(reversed(line(personas, group)))], headers=headers))
    assert batch.errors == [] and batch.rows_valid == 1


# --- Cells -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        ({"birth_date": "2015/03/14"}, "Строка 2, «Дата рождения»: дата не распознана — ожидается ДД.ММ.ГГГГ"),
        ({"birth_date": "31.02.2015"}, "Строка 2, «Дата рождения»: такой даты нет: 31.02.2015"),
        ({"birth_date": ""}, "Строка 2, «Дата рождения»: не заполнено — укажите дату ДД.ММ.ГГГГ"),
        ({"birth_date": f"{TODAY + timedelta(days=1):%d.%m.%Y}"}, "Строка 2, «Дата рождения»: дата рождения в будущем"),
        (
            {"birth_date": "01.01.1990", "enrolled_on": "01.09.2024"},
            "Строка 2, «Дата рождения»: на дату зачисления ребёнку 34 года — списки детей до 18 лет",
        ),
        ({"sex": "девочка"}, "Строка 2, «Пол»: укажите «М» или «Ж»"),
        ({"sex": ""}, "Строка 2, «Пол»: не заполнено — укажите «М» или «Ж»"),
        ({"ovz": "возможно"}, "Строка 2, «ОВЗ»: укажите «да» или «нет»"),
        ({"snils": "112-233-445 96"}, "Строка 2, «СНИЛС»: контрольное число не сходится — проверьте цифры СНИЛС"),
        (
            {"snils": "12345"},
            "Строка 2, «СНИЛС»: СНИЛС должен состоять из 11 цифр с верным контрольным числом (формат 123-456-789 01)",
        ),
        ({"last_name": ""}, "Строка 2, «Фамилия»: не заполнено"),
        ({"first_name": "Анна2"}, "Строка 2, «Имя»: только буквы, пробел, дефис и апостроф"),
        ({"oktmo": "1234"}, "Строка 2, «Муниципалитет (ОКТМО)»: ОКТМО — 8 или 11 цифр"),
        ({"inn": "12345"}, "Строка 2, «ИНН организации»: ИНН — 10 или 12 цифр"),
        ({"program": "Робототехника"}, "Строка 2, «Код программы»: код программы — вида PR-7K2M9Q, как в Навигаторе"),
        ({"group": ""}, "Строка 2, «Код группы»: не заполнено"),
        (
            {"enrolled_on": f"{TODAY + timedelta(days=1):%d.%m.%Y}"},
            "Строка 2, «Дата зачисления»: дата зачисления в будущем — загружайте состоявшиеся зачисления",
        ),
        (
            {"enrolled_on": f"{BORN - timedelta(days=1):%d.%m.%Y}"},
            "Строка 2, «Дата зачисления»: дата зачисления раньше даты рождения",
        ),
        (
            {"left_on": f"{ENROLLED - timedelta(days=1):%d.%m.%Y}"},
            "Строка 2, «Дата отчисления»: дата отчисления раньше даты зачисления",
        ),
    ],
)
def test_a_wrong_cell_is_named_by_row_column_and_reason(personas, group, cells, expected):
    batch = upload(personas, xlsx([line(personas, group, **cells)]))
    assert texts(batch) == [expected]
    assert (batch.rows_total, batch.rows_valid) == (1, 0)


def test_a_child_the_groups_ages_do_not_take_is_named_at_the_check_not_after_applying(personas, group):
    born = group.start_date.replace(year=group.start_date.year - 4, day=1)  # four on the first lesson
    batch = upload(personas, xlsx([line(personas, group, birth_date=f"{born:%d.%m.%Y}")]))
    youngest, oldest = group.ages
    assert texts(batch) == [
        f"Строка 2, «Дата рождения»: на начало занятий группы «{group.name}» ребёнку 4 года, "
        f"а группа — для детей {ages(youngest, oldest)}"
    ]
    assert (batch.rows_total, batch.rows_valid) == (1, 0)


def test_every_error_of_a_row_is_reported_and_good_rows_stay_valid(personas, group):
    rows = [line(personas, group), line(personas, group, first_name="Ольга", sex="X", ovz="может быть", birth_date="x")]
    batch = upload(personas, xlsx(rows))
    assert [(e["row"], e["column"]) for e in batch.errors] == [(3, BIRTH_DATE), (3, SEX), (3, OVZ)]
    assert (batch.rows_total, batch.rows_valid) == (2, 1)


def test_excel_numbers_and_dates_are_read_as_the_operator_typed_them(personas, group):
    """A date cell, a СНИЛС and an ОКТМО typed as numbers (Excel drops the leading zero)."""
    zero = make_municipality(personas.region, "Нулевой район", oktmo="01701000")
    nine = "012345679"
    cells = line(
        personas,
        group,
        birth_date=datetime(BORN.year, BORN.month, BORN.day),
        snils=int(nine + snils_check_number(nine)),
        oktmo=1701000,
        inn=int(personas.org_a.inn),
        sex="женский",
        ovz="ДА",
    )
    batch = upload(personas, xlsx([cells]))
    assert batch.errors == []
    imports.apply(personas.operator_a, batch)
    child = Application.objects.get(source=ApplicationSource.IMPORT).child
    assert (child.birth_date, child.municipality, child.has_ovz, child.sex) == (BORN, zero, True, "f")
    assert registry.reveal_identifiers(personas.operator_a, child)["snils"] == snils(nine)


# --- Codes -----------------------------------------------------------------------------------


def test_codes_are_checked_against_the_uploading_organization(personas, group, program):
    # Its group's ages do not take the ten-year-olds of the list: not a word about them for another's group.
    other_program = make_program(personas.org_b, "Авиамоделирование", actor=personas.operator_b, age_from=5, age_to=6)
    other_group = other_program.groups.get()
    second_group = make_group(make_program(personas.org_a, "Шахматы", actor=personas.operator_a))
    rows = [
        line(personas, group, first_name="Анна", inn="7707083893"),
        line(personas, group, first_name="Вера", inn=personas.org_b.inn),
        line(personas, group, first_name="Нина", program=other_program.code, group=other_group.code),
        line(personas, group, first_name="Зоя", program="PR-000000", group="GR-000000"),
        line(personas, group, first_name="Ольга", group=second_group.code),
        line(personas, group, first_name="Мария", oktmo="12345678"),
    ]
    batch = upload(personas, xlsx(rows))
    assert texts(batch) == [
        "Строка 2, «ИНН организации»: организации с ИНН 7707083893 нет в Навигаторе",
        f"Строка 3, «ИНН организации»: ИНН {personas.org_b.inn} — организации «Станция юных техников», "
        "а список загружается для «Дом творчества «Радуга»»",
        f"Строка 4, «Код программы»: программа {other_program.code} — другой организации, не «Дом творчества «Радуга»»",
        "Строка 5, «Код программы»: программы с кодом PR-000000 нет в Навигаторе",
        "Строка 5, «Код группы»: группы с кодом GR-000000 нет в Навигаторе",
        f"Строка 6, «Код группы»: группа {second_group.code} — другой программы, не {program.code}",
        "Строка 7, «Муниципалитет (ОКТМО)»: муниципалитета с ОКТМО 12345678 нет в справочнике",
    ]
    assert batch.rows_valid == 0


def test_codes_are_looked_up_in_bulk_whatever_the_number_of_rows(personas, group, django_assert_max_num_queries):
    rows = [line(personas, group, first_name=name) for name in ["Анна", "Ольга", "Вера", "Нина", "Зоя"] * 40]
    content = xlsx(rows)
    # organization check, insert, audit, then: organization, ОКТМО, ИНН, programs, groups, save.
    with django_assert_max_num_queries(12):
        batch = upload(personas, content)
    assert batch.rows_total == 200


# --- Duplicates in one file ------------------------------------------------------------------


def test_the_same_child_twice_on_one_program_is_an_error_of_the_later_row(personas, group):
    other_group = make_group(make_program(personas.org_a, "Шахматы", actor=personas.operator_a))
    rows = [
        line(personas, group),
        line(personas, other_group),  # the same child on another program: fine
        line(personas, group, last_name="СОКОЛОВА", patronymic="Игоревна"),
    ]
    batch = upload(personas, xlsx(rows))
    assert texts(batch) == ["Строка 4, «Код программы»: этот ребёнок уже записан на эту программу в строке 2"]
    assert batch.rows_valid == 2


def test_one_snils_under_two_names_is_an_error_of_the_later_row(personas, group):
    number = snils("100200300")
    rows = [line(personas, group, snils=number), line(personas, group, snils=number, first_name="Мария")]
    batch = upload(personas, xlsx(rows))
    assert texts(batch) == [
        "Строка 3, «СНИЛС»: этот СНИЛС уже указан в строке 2 у ребёнка с другими ФИО или датой рождения"
    ]


def test_the_template_example_row_is_recognised(personas):
    batch = upload(personas, imports.template_workbook(personas.org_a))
    assert texts(batch) == [f"Строка 2: {imports.EXAMPLE_MARK}"]


# --- The template ----------------------------------------------------------------------------


def test_the_template_has_headers_help_drop_downs_and_the_organizations_codes(personas, group, program):
    book = load_workbook(io.BytesIO(imports.template_workbook(personas.org_a)))
    assert book.sheetnames == ["Дети", "Справка", "Программы и группы"]
    children = book["Дети"]
    assert [cell.value for cell in children[1]] == list(HEADERS)
    assert children["I2"].value == personas.org_a.inn
    lists = {str(v.sqref): v.formula1 for v in children.data_validations.dataValidation}
    assert lists == {"E2:E5001": '"М,Ж"', "G2:G5001": '"да,нет"'}
    described = [row[0] for row in book["Справка"].iter_rows(min_row=9, values_only=True)]
    assert described == list(HEADERS)
    codes = list(book["Программы и группы"].iter_rows(min_row=2, values_only=True))
    assert [(row[0], row[2]) for row in codes] == [(program.code, group.code)]


# --- Applying --------------------------------------------------------------------------------


def test_applying_registers_children_through_matching_and_enrolls_them(
    personas, group, settings, django_capture_on_commit_callbacks
):
    known_snils = snils("200300400")
    known = registry.register_child(
        personas.operator_a,
        Child(last_name="Кузнецов", first_name="Егор", birth_date=BORN, sex="m", municipality=personas.municipality_x),
        snils=known_snils,
    ).child
    look_alike = Child.objects.create(
        last_name="Смирнова",
        first_name="Дарья",
        patronymic="Олеговна",
        birth_date=BORN,
        sex="f",
        municipality=personas.municipality_x,
    )
    rows = [
        line(
            personas, group, last_name="Кузнецов", first_name="Егор", patronymic="Иванович", sex="М", snils=known_snils
        ),
        line(personas, group, last_name="Лебедев", first_name="Тимофей", patronymic="Артёмович", sex="М"),
        line(personas, group, last_name="Смирнова", first_name="Дарья", patronymic="Олеговнa"),  # a Latin «a»
        line(personas, group, first_name="Оля", sex="?"),
    ]
    batch = upload(personas, xlsx(rows))
    assert batch.rows_valid == 3
    assert Child.objects.count() == 2 and not Application.objects.exists()  # checking changed nothing
    settings.OPORA_INDICATOR_CACHE_SECONDS = 300
    territory = (personas.municipality_x.pk,)
    assert indicators.total(cached_figures(ENROLLED.year, territory).values()).covered == 0  # now cached
    with django_capture_on_commit_callbacks(execute=True):
        outcome = imports.apply(personas.operator_a, batch)
    assert outcome["children_matched"] == 1
    assert outcome["children_created"] == 1
    assert outcome["children_merged"] + outcome["children_review"] == 1
    assert outcome["enrollments_created"] == 3 and outcome["rows_skipped"] == 1 and outcome["rows_failed"] == 0
    new = Child.objects.get(last_name="Лебедев")  # the registry keeps where a new record came from
    assert (new.entered_via, new.entered_by, new.entered_organization) == (
        "import",
        personas.operator_a,
        personas.org_a,
    )
    imported = Application.objects.filter(group=group)
    assert set(imported.values_list("status", "source", "enrolled_on", "applicant")) == {
        (S.ENROLLED, ApplicationSource.IMPORT, ENROLLED, personas.operator_a.pk)
    }
    assert imported.filter(child=known).exists()
    # Whether a near duplicate is merged at once or queued is people.matching's call, tuned there.
    if outcome["children_merged"]:
        assert imported.filter(child=look_alike).exists() and ChildMerge.objects.get().survivor == look_alike
    else:
        assert MatchCandidate.objects.get(status=MatchStatus.PENDING).first == look_alike
    group.refresh_from_db()
    assert group.seats_taken == 3
    batch.refresh_from_db()
    assert (batch.status, batch.progress, batch.confirmed_by) == (ImportStatus.APPLIED, 100, personas.operator_a)
    assert batch.applied_at is not None and bytes(batch.content) == b""  # СНИЛС in clear are not kept
    figures = indicators.figures_by_municipality(ENROLLED.year, [personas.municipality_x.pk])
    assert figures[personas.municipality_x.pk].covered == 3
    # The dashboards count the list at once: their cached figures are dropped when it is applied.
    assert indicators.total(cached_figures(ENROLLED.year, territory).values()).covered == 3


def test_the_same_file_uploaded_again_after_applying_is_said_to_be_applied(personas, group, client):
    """It checked as «ошибок нет, Применить 3 строки»; only applying said the enrollments were there."""
    content = xlsx([line(personas, group)])
    first = upload(personas, content)
    imports.apply(personas.operator_a, first)
    again = upload(personas, content)
    assert imports.applied_before(again) == ImportBatch.objects.get(pk=first.pk)
    client.force_login(personas.operator_a)
    page = client.get(reverse("monitoring:import", args=[again.code])).content.decode()
    assert "Этот файл уже применён" in page and first.code in page
    other = upload(personas, xlsx([line(personas, group, first_name="Вера")]))
    assert imports.applied_before(other) is None


def test_who_uploaded_a_list_sees_its_children_only_while_working_for_the_organization(personas, group):
    """The operator is the applicant of every enrollment the list brings, but not their family: the
    children's applications are in their sight through the organization's role, and leave it with the role."""
    rows = [line(personas, group, last_name="Лебедев", first_name="Тимофей", patronymic="Артёмович", sex="М")]
    imports.apply(personas.operator_a, upload(personas, xlsx(rows)))
    imported = Application.objects.filter(group=group)
    assert scope.restrict(Application.objects.all(), personas.operator_a, "view").get() == imported.get()
    personas.operator_a.roles.all().delete()
    fresh = User.objects.get(pk=personas.operator_a.pk)  # the principal is read once per user object
    assert not scope.restrict(Application.objects.all(), fresh, "view").exists()


def test_an_expelled_child_is_recorded_without_a_seat_and_counted_in_the_year(personas, group):
    left = ENROLLED + timedelta(days=5)
    batch = upload(personas, xlsx([line(personas, group, left_on=f"{left:%d.%m.%Y}")]))
    imports.apply(personas.operator_a, batch)
    application = Application.objects.get()
    assert (application.status, application.enrolled_on, application.left_on) == (S.EXPELLED, ENROLLED, left)
    group.refresh_from_db()
    assert group.seats_taken == 0
    figures = indicators.figures_by_municipality(ENROLLED.year, [personas.municipality_x.pk])
    assert figures[personas.municipality_x.pk].covered == 1


def test_applying_the_same_file_again_creates_nothing_new(personas, group):
    left = ENROLLED + timedelta(days=3)
    content = xlsx(
        [
            line(personas, group, snils=snils("300400500")),
            line(personas, group, last_name="Лебедев", first_name="Тимофей", sex="М"),
            line(personas, group, last_name="Орлова", first_name="Вера", left_on=f"{left:%d.%m.%Y}"),
        ]
    )
    first = upload(personas, content)
    assert imports.apply(personas.operator_a, first)["enrollments_created"] == 3
    with pytest.raises(ValidationError, match="уже применён"):
        imports.apply(personas.operator_a, first)
    applications, living = Application.objects.count(), Child.objects.living().count()
    group.refresh_from_db()
    seats = group.seats_taken
    again = upload(personas, content, user=personas.municipal_x)  # another person, the same list
    outcome = imports.apply(personas.municipal_x, again)
    assert (outcome["enrollments_created"], outcome["enrollments_present"]) == (0, 3)
    assert Application.objects.count() == applications and Child.objects.living().count() == living
    group.refresh_from_db()
    assert group.seats_taken == seats == 2


def test_a_full_group_fails_its_row_at_apply_time_and_the_batch_goes_on(personas, program):
    small = make_group(program, capacity=1, name="Малая группа")
    other = program.groups.exclude(pk=small.pk).get()
    rows = [
        line(personas, small, first_name="Анна"),
        line(personas, small, first_name="Вера"),
        line(personas, other, first_name="Нина"),
    ]
    batch = upload(personas, xlsx(rows))
    assert batch.errors == []  # seats are not promised by checking
    outcome = imports.apply(personas.operator_a, batch)
    assert (outcome["enrollments_created"], outcome["rows_failed"]) == (2, 1)
    batch.refresh_from_db()
    assert batch.failures == [
        {"row": 3, "column": GROUP, "message": "в группе «Малая группа» нет свободных мест (мест: 1)"}
    ]
    assert batch.status == ImportStatus.APPLIED
    small.refresh_from_db()
    assert small.seats_taken == small.capacity == 1
    assert not Child.objects.filter(first_name="Вера").exists()  # the failed row left nothing behind


def test_a_child_with_an_enrollment_or_an_open_application_is_not_enrolled_twice(personas, group, program):
    waiting_program = make_program(personas.org_a, "Шахматы", actor=personas.operator_a)
    child = registry.register_child(
        personas.operator_a,
        Child(
            last_name="Соколова",
            first_name="Анна",
            patronymic="Игоревна",
            birth_date=BORN,
            sex="f",
            municipality=personas.municipality_x,
        ),
        snils=snils("400500600"),
    ).child
    child.guardians.create(user=personas.family, last_name="Соколова", first_name="Мать")
    enrolled = services.apply(personas.family, child, program, group, "k1")
    services.change_status(personas.operator_a, enrolled, "invite")
    services.change_status(personas.operator_a, enrolled, "enroll")
    waiting = services.apply(personas.family, child, waiting_program, None, "k2")
    services.change_status(personas.operator_a, waiting, "waitlist")
    rows = [
        line(personas, group, snils=snils("400500600")),
        line(personas, waiting_program.groups.get(), snils=snils("400500600")),
    ]
    outcome = imports.apply(personas.operator_a, upload(personas, xlsx(rows)))
    assert (outcome["enrollments_present"], outcome["rows_failed"], outcome["enrollments_created"]) == (1, 1, 0)
    assert ImportBatch.objects.get().failures == [
        {
            "row": 3,
            "column": PROGRAM,
            "message": f"у ребёнка уже есть заявка {waiting.code} на эту программу в статусе «В очереди»: "
            "зачислите его по этой заявке",
        }
    ]
    assert Application.objects.count() == 2


def test_a_run_that_stops_resumes_after_its_last_chunk(personas, group, monkeypatch):
    monkeypatch.setattr(imports, "CHUNK", 2)
    rows = [line(personas, group, first_name=name) for name in ["Анна", "Вера", "Нина", "Зоя", "Ольга"]]
    batch = upload(personas, xlsx(rows))
    real = imports._apply_row

    def crash_on_row_5(batch: ImportBatch, row: imports.Row, known: dict) -> Any:
        if row.number == 5:
            raise RuntimeError("сбой")
        return real(batch, row, known)

    monkeypatch.setattr(imports, "_apply_row", crash_on_row_5)
    with pytest.raises(RuntimeError):
        imports.apply(personas.operator_a, batch)
    batch.refresh_from_db()
    assert (batch.status, batch.last_row, batch.progress) == (ImportStatus.FAILED, 3, 40)
    assert batch.outcome["enrollments_created"] == 2 and Application.objects.count() == 2
    monkeypatch.setattr(imports, "_apply_row", real)
    out = io.StringIO()
    call_command("apply_import", batch.code, stdout=out)
    assert "применено 100 %" in out.getvalue()
    outcome = ImportBatch.objects.get(pk=batch.pk).outcome
    assert outcome["enrollments_created"] == 5 and outcome["enrollments_present"] == 0
    assert Application.objects.count() == 5


def test_a_stalled_run_may_be_resumed_and_a_live_one_may_not(personas, group):
    batch = upload(personas, xlsx([line(personas, group)]))
    imports.begin(personas.operator_a, batch)
    with pytest.raises(ValidationError, match="уже применяется"):
        imports.begin(personas.operator_a, batch)
    ImportBatch.objects.filter(pk=batch.pk).update(updated_at=timezone.now() - timedelta(minutes=11))
    batch.refresh_from_db()
    assert imports.is_stale(batch) and imports.may_apply(batch)
    assert imports.apply(personas.operator_a, batch)["enrollments_created"] == 1


def test_the_command_applies_a_checked_list(personas, group):
    batch = upload(personas, xlsx([line(personas, group)]))
    out = io.StringIO()
    call_command("apply_import", str(batch.pk), stdout=out)
    assert "зачислений создано: 1" in out.getvalue() and f"список {batch.code} применён" in out.getvalue()
    batch.refresh_from_db()
    assert batch.status == ImportStatus.APPLIED and batch.confirmed_by is None


def test_record_enrollment_refuses_a_future_date(personas, group):
    child = Child.objects.create(
        last_name="Петров", first_name="Иван", birth_date=BORN, sex="m", municipality=personas.municipality_x
    )
    with pytest.raises(ValidationError, match="в будущем"):
        services.record_enrollment(
            personas.operator_a, child, group, enrolled_on=TODAY + timedelta(days=1), left_on=None, key="k"
        )


# --- Who may import --------------------------------------------------------------------------


def test_an_operator_uploads_only_for_own_organization(personas, group):
    with pytest.raises(PermissionDenied):
        imports.upload(personas.operator_b, personas.org_a, "дети.xlsx", xlsx([line(personas, group)]))
    assert imports.upload(personas.municipal_x, personas.org_a, "дети.xlsx", xlsx([])).organization == personas.org_a
    with pytest.raises(PermissionDenied):
        imports.upload(personas.municipal_y, personas.org_a, "дети.xlsx", xlsx([]))


def test_a_file_over_10_mb_is_refused_and_not_kept(client, personas):
    too_big = b"x" * (IMPORT_MAX_BYTES + 1)
    with pytest.raises(ValidationError, match="Файл больше 10 МБ"):
        upload(personas, too_big)
    client.force_login(personas.operator_a)
    response = client.post(f"{URL}upload/", {"organization": personas.org_a.code, "file": io.BytesIO(too_big)})
    assert response.status_code == 400 and "Файл больше 10 МБ" in response.content.decode()
    assert not ImportBatch.objects.exists()


@pytest.mark.parametrize("who", ["family", "teacher_a", "methodologist"])
def test_people_without_imports_get_403(client, personas, group, who):
    batch = upload(personas, xlsx([line(personas, group)]))
    client.force_login(getattr(personas, who))
    assert client.get(URL).status_code == 403
    assert client.get(f"{URL}{batch.code}/").status_code == 403
    assert client.post(f"{URL}{batch.code}/apply/").status_code == 403


def test_another_organizations_batch_is_not_found(client, personas, group):
    batch = upload(personas, xlsx([line(personas, group)]))
    for who in (personas.operator_b, personas.municipal_y):
        client.force_login(who)
        for suffix in ("", "progress/", "errors.xlsx"):
            assert client.get(f"{URL}{batch.code}/{suffix}").status_code == 404
        assert client.post(f"{URL}{batch.code}/apply/").status_code == 404
        assert batch.code not in client.get(URL).content.decode()
    batch.refresh_from_db()
    assert batch.status == ImportStatus.VALIDATED


def test_the_region_follows_imports_read_only(client, personas, group):
    batch = upload(personas, xlsx([line(personas, group)]))
    client.force_login(personas.regional)
    page = client.get(f"{URL}{batch.code}/").content.decode()
    assert "Применить" not in page
    assert client.post(f"{URL}{batch.code}/apply/").status_code == 403
    assert "Загрузить список" not in client.get(URL).content.decode()


# --- Pages -----------------------------------------------------------------------------------


def test_the_operator_uploads_sees_the_errors_and_confirms(client, personas, group):
    client.force_login(personas.operator_a)
    home = client.get("/office/").content.decode()
    assert "Загрузить списки детей" in home
    page = client.get(URL).content.decode()
    assert "Загрузить список" in page and f"?organization={personas.org_a.code}" in page
    template = client.get(f"{URL}template.xlsx")
    assert template.status_code == 200 and load_workbook(io.BytesIO(template.content)).sheetnames[-1] == (
        "Программы и группы"
    )
    content = xlsx([line(personas, group), line(personas, group, first_name="Вера", sex="девочка")])
    response = client.post(
        f"{URL}upload/",
        {"organization": personas.org_a.code, "file": io.BytesIO(content)},
        format="multipart",
    )
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == f"{URL}{batch.code}/"
    page = client.get(response["Location"]).content.decode()
    assert "укажите «М» или «Ж»" in page and "Применить 1 строку" in page
    assert "с ошибками: 1" in page and "Реестр и группы не изменены" in page
    errors = load_workbook(io.BytesIO(client.get(f"{URL}{batch.code}/errors.xlsx").content)).active
    assert list(errors.iter_rows(min_row=4, values_only=True)) == [("проверка", 3, SEX, "укажите «М» или «Ж»")]
    assert batch.code in client.get(URL).content.decode()


@pytest.mark.parametrize("page", [URL, f"{URL}career-lessons/"])
def test_whoever_uploads_for_several_organizations_chooses_one_first(client, personas, group, page):
    """An administrator (every organization of the region) finds one by name, then gets its
    template and a form that sends its code; another's code in the address is not found."""
    client.force_login(personas.admin)
    choice = client.get(page, {"q": "радуга"})
    text = choice.content.decode()
    assert choice.context["choice"].matches == [personas.org_a] and "Шаблон для" not in text
    assert f'href="?organization={personas.org_a.code}"' in text
    chosen = client.get(page, {"organization": personas.org_a.code}).content.decode()
    assert f"Шаблон для «{personas.org_a.short_name}»" in chosen and "выбрать другую" in chosen
    assert f'type="hidden" name="organization" value="{personas.org_a.code}"' in chosen
    assert "<select" not in chosen
    client.force_login(personas.municipal_y)  # Заречный район: org B only
    assert client.get(page, {"organization": personas.org_a.code}).status_code == 404


def test_a_refused_upload_keeps_the_organization_it_was_sent_for(client, personas, group):
    client.force_login(personas.admin)
    response = client.post(f"{URL}upload/?organization={personas.org_b.code}", {"organization": personas.org_b.code})
    text = response.content.decode()
    assert response.status_code == 400 and f"Шаблон для «{personas.org_b.short_name}»" in text
    assert "Не сохранено" in text and not ImportBatch.objects.exists()


def test_the_history_costs_the_same_queries_for_one_batch_or_many(client, personas, group):
    client.force_login(personas.municipal_x)
    upload(personas, xlsx([line(personas, group)]))
    with CaptureQueriesContext(connection) as one:
        client.get(URL)
    for _ in range(3):
        upload(personas, xlsx([line(personas, group)]), user=personas.municipal_x)
    with CaptureQueriesContext(connection) as many:
        assert client.get(URL).content.decode().count("<tr>") == 1 + 4
    assert len(many) == len(one)


def test_an_upload_without_a_file_or_for_another_organization_is_refused(client, personas, group):
    client.force_login(personas.operator_a)
    assert client.post(f"{URL}upload/", {"organization": personas.org_a.code}).status_code == 400
    response = client.post(
        f"{URL}upload/", {"organization": personas.org_b.code, "file": io.BytesIO(xlsx([line(personas, group)]))}
    )
    assert response.status_code == 400 and not ImportBatch.objects.exists()


def test_the_progress_page_polls_and_works_without_javascript(client, personas, group):
    batch = upload(personas, xlsx([line(personas, group)]))
    imports.begin(personas.operator_a, batch)
    client.force_login(personas.operator_a)
    page = client.get(f"{URL}{batch.code}/").content.decode()
    assert f'hx-get="{URL}{batch.code}/progress/"' in page and 'hx-trigger="every 1s"' in page
    assert '<noscript><meta http-equiv="refresh" content="5"></noscript>' in page
    polled = client.get(f"{URL}{batch.code}/progress/", headers={"HX-Request": "true"})
    assert "HX-Refresh" not in polled and 'value="0"' in polled.content.decode()
    imports.run(batch)
    done = client.get(f"{URL}{batch.code}/progress/", headers={"HX-Request": "true"})
    assert done["HX-Refresh"] == "true"
    page = client.get(f"{URL}{batch.code}/").content.decode()
    assert "Итоги" in page and "<dt>Зачислений создано</dt><dd><strong>1</strong></dd>" in page and "hx-get" not in page


def join(batch: ImportBatch) -> None:
    for thread in threading.enumerate():
        if thread.name == f"import-{batch.code}":
            thread.join(30)


@pytest.mark.django_db(transaction=True)
def test_confirming_applies_in_the_background(client):
    personas = make_personas()
    group = make_program(personas.org_a, "Робототехника", actor=personas.operator_a).groups.get()
    batch = upload(personas, xlsx([line(personas, group), line(personas, group, first_name="Вера")]))
    client.force_login(personas.operator_a)
    response = client.post(f"{URL}{batch.code}/apply/")
    assert response.status_code == 302
    join(batch)
    batch.refresh_from_db()
    assert batch.status == ImportStatus.APPLIED and batch.outcome["enrollments_created"] == 2
    again = client.post(f"{URL}{batch.code}/apply/", follow=True).content.decode()
    assert "Список уже применён" in again


# --- API -------------------------------------------------------------------------------------


def bearer(user: User) -> dict[str, str]:
    _, raw = issue_api_token(None, user, "Тестовая интеграция")
    return {"Authorization": f"Bearer {raw}"}


def test_an_upload_the_server_cannot_parse_is_a_400_in_russian(client, personas):
    """A multipart body without its boundary was a 500 (found by schemathesis): Django's own views say 400."""
    response = client.generic(
        "POST", f"{API}/imports", b"file=x", content_type="multipart/form-data", headers=bearer(personas.operator_a)
    )
    assert response.status_code == 400, response.content.decode()
    assert response.json() == {"detail": "Тело запроса не разобрано: ожидается multipart/form-data с файлом."}
    assert not ImportBatch.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_api_uploads_lists_errors_and_applies(client):
    personas = make_personas()
    group = make_program(personas.org_a, "Робототехника", actor=personas.operator_a).groups.get()
    content = xlsx([line(personas, group), line(personas, group, first_name="Вера", birth_date="32.01.2015")])
    headers = bearer(personas.operator_a)
    response = client.post(
        f"{API}/imports",
        {"organization": personas.org_a.code, "file": io.BytesIO(content)},
        headers=headers,
    )
    assert response.status_code == 201, response.content
    created = response.json()
    code = created["code"]
    assert (created["status"], created["rows_total"], created["rows_valid"], created["errors_count"]) == (
        "validated",
        2,
        1,
        1,
    )
    errors = client.get(f"{API}/imports/{code}/errors", headers=headers).json()
    assert errors["items"] == [
        {
            "stage": "validation",
            "row": 3,
            "column": BIRTH_DATE,
            "message": "такой даты нет: 32.01.2015",
            "text": "Строка 3, «Дата рождения»: такой даты нет: 32.01.2015",
        }
    ]
    history = client.get(f"{API}/imports", {"organization": personas.org_a.code}, headers=headers).json()
    assert [item["code"] for item in history["items"]] == [code]
    applied = client.post(f"{API}/imports/{code}/apply", headers=headers)
    assert applied.status_code == 202 and applied.json()["status"] == "applying"
    join(ImportBatch.objects.get(code=code))
    done = client.get(f"{API}/imports/{code}", headers=headers).json()
    assert done["status"] == "applied" and done["progress"] == 100
    assert done["outcome"]["enrollments_created"] == 1 and done["outcome"]["rows_skipped"] == 1
    again = client.post(f"{API}/imports/{code}/apply", headers=headers)
    assert again.status_code == 422 and "уже применён" in json.dumps(again.json(), ensure_ascii=False)


def test_the_api_keeps_the_scope(client, personas, group):
    batch = upload(personas, xlsx([line(personas, group)]))
    assert client.get(f"{API}/imports").status_code == 401
    assert client.get(f"{API}/imports", headers=bearer(personas.family)).status_code == 403
    assert client.get(f"{API}/imports/{batch.code}", headers=bearer(personas.operator_b)).status_code == 404
    assert client.get(f"{API}/imports", headers=bearer(personas.operator_b)).json()["total"] == 0
    regional = bearer(personas.regional)
    assert client.get(f"{API}/imports/{batch.code}", headers=regional).json()["code"] == batch.code
    assert client.post(f"{API}/imports/{batch.code}/apply", headers=regional).status_code == 403
    foreign = client.post(
        f"{API}/imports",
        {"organization": personas.org_b.code, "file": io.BytesIO(xlsx([]))},
        headers=bearer(personas.operator_a),
    )
    assert foreign.status_code == 422 and foreign.json()["detail"][0]["loc"] == ["body", "organization"]
    assert ImportBatch.objects.count() == 1
