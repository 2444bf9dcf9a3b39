"""Import of participants of open career-guidance lessons: a clean file records participations once,
counted by the indicator; any row error writes nothing; the registry matches known children;
the scope of the list import on the pages and the API."""

import io
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from accounts.models import User
from accounts.services import issue_api_token
from core.models import AuditEvent
from core.testing import Personas
from core.validators import snils_check_number
from monitoring import career_import, indicators
from monitoring.career_import import HEADERS, LESSON, LESSON_DATE
from monitoring.imports import OKTMO, SNILS
from monitoring.models import CareerLessonVisit
from people import registry
from people.models import Child

pytestmark = pytest.mark.django_db

URL = "/office/monitoring/imports/career-lessons/"
API = "/api/v1/career-lessons"
TODAY = timezone.localdate()
HELD = TODAY - timedelta(days=3)
BORN = date(TODAY.year - 12, 5, 20)
LESSON_TITLE = "Проектория: профессии будущего"


def snils(first_nine: str) -> str:
    return f"{first_nine[:3]}-{first_nine[3:6]}-{first_nine[6:]} {snils_check_number(first_nine)}"


def xlsx(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(list(HEADERS))
    for row in rows:
        sheet.append(row)
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


KEYS = ("last_name", "first_name", "patronymic", "birth_date", "sex", "snils", "oktmo", "lesson", "held_on")


def line(personas: Personas, /, **cells: Any) -> list[Any]:
    defaults = (
        *("Соколова", "Анна", "Игоревна", f"{BORN:%d.%m.%Y}", "Ж", ""),
        *(personas.municipality_x.oktmo, LESSON_TITLE, f"{HELD:%d.%m.%Y}"),
    )
    values = dict(zip(KEYS, defaults, strict=True)) | cells
    return [values[key] for key in KEYS]


def clean_file(personas: Personas) -> bytes:
    return xlsx(
        [
            line(personas, snils=snils("300400500")),
            line(personas, snils=snils("300400500"), lesson="Шоу профессий: инженер"),  # the same child again
            line(personas, last_name="Лебедев", first_name="Тимофей", patronymic="Артёмович", sex="М"),
        ]
    )


def run(personas: Personas, content: bytes, user: User | None = None) -> career_import.Result:
    return career_import.import_visits(user or personas.operator_a, personas.org_a, "урок.xlsx", content)


def test_a_clean_file_adds_participations_counted_once_per_child(personas):
    result = run(personas, clean_file(personas))
    assert result.errors == []
    assert result.outcome == {
        "rows": 3,
        "children_matched": 0,
        "children_created": 2,
        "visits_created": 3,
        "visits_present": 0,
    }
    assert CareerLessonVisit.objects.count() == 3
    assert set(CareerLessonVisit.objects.values_list("organization", flat=True)) == {personas.org_a.pk}
    # The registry keeps where the new records came from: the organization's list.
    entries = set(Child.objects.values_list("entered_via", "entered_by", "entered_organization"))
    assert entries == {("import", personas.operator_a.pk, personas.org_a.pk)}
    figures = indicators.figures_by_municipality(HELD.year, [personas.municipality_x.pk])
    assert figures[personas.municipality_x.pk].career_participants == 2
    event = AuditEvent.objects.get(action="career_lessons.imported")
    assert event.actor == personas.operator_a and event.data["visits_created"] == 3


def test_uploading_the_same_file_again_adds_nothing(personas):
    run(personas, clean_file(personas))
    children = Child.objects.living().count()
    again = run(personas, clean_file(personas))
    assert again.outcome["visits_created"] == 0 and again.outcome["visits_present"] == 3
    assert again.outcome["children_matched"] == 2 and again.outcome["children_created"] == 0
    # The child without СНИЛС is entered again and merged at once into the record of the first upload.
    assert CareerLessonVisit.objects.count() == 3 and Child.objects.living().count() == children


def test_a_child_already_in_the_registry_is_matched(personas):
    known = registry.register_child(
        personas.operator_a,
        Child(last_name="Кузнецов", first_name="Егор", birth_date=BORN, sex="m", municipality=personas.municipality_x),
        snils=snils("200300400"),
    ).child
    content = xlsx([line(personas, last_name="Кузнецов", first_name="Егор", sex="М", snils=snils("200300400"))])
    result = run(personas, content)
    assert result.outcome["children_matched"] == 1 and result.outcome["children_created"] == 0
    assert Child.objects.count() == 1
    assert CareerLessonVisit.objects.get().child == known


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        ({"held_on": "31.02.2025"}, f"Строка 3, «{LESSON_DATE}»: такой даты нет: 31.02.2025"),
        ({"oktmo": "99999999"}, f"Строка 3, «{OKTMO}»: муниципалитета с ОКТМО 99999999 нет в справочнике"),
        (
            {"snils": "123-456-789 00"},
            f"Строка 3, «{SNILS}»: контрольное число не сходится — проверьте цифры СНИЛС",
        ),
        ({"lesson": ""}, f"Строка 3, «{LESSON}»: не заполнено — укажите название урока"),
        (
            {"held_on": f"{TODAY + timedelta(days=1):%d.%m.%Y}"},
            f"Строка 3, «{LESSON_DATE}»: дата урока в будущем — загружайте прошедшие уроки",
        ),
    ],
    ids=["bad-date", "unknown-oktmo", "bad-snils", "no-lesson", "future-lesson"],
)
def test_a_wrong_row_is_named_and_nothing_is_written(personas, cells, expected):
    content = xlsx([line(personas, last_name="Лебедев", first_name="Тимофей", sex="М"), line(personas, **cells)])
    result = run(personas, content)
    assert [career_import.imports.error_text(error) for error in result.errors] == [expected]
    assert result.outcome == {}
    assert not CareerLessonVisit.objects.exists() and not Child.objects.exists()
    assert not AuditEvent.objects.filter(action="career_lessons.imported").exists()


def test_a_broken_file_or_headers_say_so(personas):
    assert run(personas, b"not a workbook").errors[0]["message"].startswith("Файл не прочитан")
    book = Workbook()
    book.active.append(["ФИО", "Класс"])
    output = io.BytesIO()
    book.save(output)
    assert run(personas, output.getvalue()).errors[0]["message"].startswith("Строка 1: заголовки не те")


def test_the_template_has_headers_help_and_is_recognised_as_an_example(personas):
    book = load_workbook(io.BytesIO(career_import.template_workbook(personas.org_a)))
    assert book.sheetnames == ["Участники", "Справка"]
    assert [cell.value for cell in book["Участники"][1]] == list(HEADERS)
    assert {row[0] for row in book["Справка"].iter_rows(values_only=True)} >= set(HEADERS)
    result = run(personas, career_import.template_workbook(personas.org_a))
    assert [error["message"] for error in result.errors] == ["строка-пример из шаблона: удалите её перед загрузкой"]


# --- Who may import --------------------------------------------------------------------------


def test_the_scope_of_the_list_import(personas):
    with pytest.raises(PermissionDenied):
        run(personas, clean_file(personas), user=personas.operator_b)
    with pytest.raises(PermissionDenied):
        run(personas, clean_file(personas), user=personas.municipal_y)
    assert run(personas, clean_file(personas), user=personas.municipal_x).outcome["visits_created"] == 3


def test_the_page_uploads_shows_errors_then_the_outcome(client, personas):
    client.force_login(personas.operator_a)
    assert "Загрузить участников открытых уроков" in client.get("/office/monitoring/imports/").content.decode()
    page = client.get(URL)
    assert page.status_code == 200 and "Шаблон для" in page.content.decode()
    template = client.get(f"{URL}template.xlsx", {"organization": personas.org_a.code})
    assert template.status_code == 200
    assert load_workbook(io.BytesIO(template.content)).sheetnames == ["Участники", "Справка"]
    wrong = xlsx([line(personas, held_on="32.13.2025")])
    response = client.post(URL, {"organization": personas.org_a.code, "file": io.BytesIO(wrong)})
    text = response.content.decode()
    assert response.status_code == 200 and "Ничего не записано" in text and "Дата урока" in text
    assert not CareerLessonVisit.objects.exists()
    response = client.post(URL, {"organization": personas.org_a.code, "file": io.BytesIO(clean_file(personas))})
    text = response.content.decode()
    assert response.status_code == 200 and "<dt>Участий в уроках добавлено</dt><dd><strong>3</strong></dd>" in text
    assert CareerLessonVisit.objects.count() == 3


def test_another_organization_is_not_found_and_a_family_is_forbidden(client, personas):
    client.force_login(personas.operator_b)
    foreign = client.post(URL, {"organization": personas.org_a.code, "file": io.BytesIO(clean_file(personas))})
    assert foreign.status_code == 400  # org A is not among the choices: the form refuses it
    assert client.get(f"{URL}template.xlsx", {"organization": personas.org_a.code}).status_code == 404
    for who in (personas.family, personas.teacher_a):
        client.force_login(who)
        assert client.get(URL).status_code == 403
        assert client.post(URL, {"organization": personas.org_a.code}).status_code == 403
        assert client.get(f"{URL}template.xlsx").status_code == 403
    assert not CareerLessonVisit.objects.exists()


# --- API -------------------------------------------------------------------------------------


def bearer(user: User) -> dict[str, str]:
    _, raw = issue_api_token(None, user, "Тестовая интеграция")
    return {"Authorization": f"Bearer {raw}"}


def test_the_api_records_participations_or_returns_the_row_errors(client, personas):
    headers = bearer(personas.operator_a)
    wrong = xlsx([line(personas), line(personas, oktmo="99999999")])
    response = client.post(API, {"organization": personas.org_a.code, "file": io.BytesIO(wrong)}, headers=headers)
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "row": 3,
            "column": OKTMO,
            "message": "муниципалитета с ОКТМО 99999999 нет в справочнике",
            "text": f"Строка 3, «{OKTMO}»: муниципалитета с ОКТМО 99999999 нет в справочнике",
        }
    ]
    assert not CareerLessonVisit.objects.exists()
    content = clean_file(personas)
    response = client.post(API, {"organization": personas.org_a.code, "file": io.BytesIO(content)}, headers=headers)
    assert response.status_code == 200, response.content
    assert response.json() == {
        "organization": personas.org_a.code,
        "rows": 3,
        "children_matched": 0,
        "children_created": 2,
        "visits_created": 3,
        "visits_present": 0,
    }
    again = client.post(API, {"organization": personas.org_a.code, "file": io.BytesIO(content)}, headers=headers)
    assert again.json()["visits_present"] == 3 and CareerLessonVisit.objects.count() == 3


def test_the_api_keeps_the_scope(client, personas):
    form = {"organization": personas.org_a.code, "file": io.BytesIO(clean_file(personas))}
    assert client.post(API, form).status_code == 401
    form["file"] = io.BytesIO(clean_file(personas))
    assert client.post(API, form, headers=bearer(personas.family)).status_code == 403
    form["file"] = io.BytesIO(clean_file(personas))
    foreign = client.post(API, form, headers=bearer(personas.operator_b))
    assert foreign.status_code == 422 and foreign.json()["detail"][0]["loc"] == ["body", "organization"]
    assert not CareerLessonVisit.objects.exists()
