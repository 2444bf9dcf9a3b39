"""The REST API beyond applying: transfers, expulsion with a date, campaigns with ranked choices
and their outcome, and the attendance journal. Each endpoint: the owner, the outsider (404), the
read-only (403) and bad input (422 in Russian, nothing changed)."""

import io
import json
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import User
from catalog.models import Group, Program
from core.testing import make_child, make_group, make_program
from enrollment import journal
from enrollment.campaigns import allocate_campaign, submit_choices
from enrollment.models import Application, Attendance, Campaign, CampaignChoice, CampaignKind, Lesson
from enrollment.models import ApplicationStatus as S
from enrollment.services import apply, change_status
from enrollment.tests.test_api import bearer, messages
from people.models import Teacher

pytestmark = pytest.mark.django_db

API = "/api/v1"


def send(client, method: str, path: str, payload: dict, user: User):
    return getattr(client, method)(
        API + path, json.dumps(payload), content_type="application/json", headers=bearer(user)
    )


def errors(response) -> list[dict]:
    return response.json()["detail"]


def enrolled_in(personas, program: Program, group: Group, name: str = "Маша") -> Application:
    child = make_child(personas.family, name, age_on=group.start_date, age=9)
    application = apply(personas.family, child, program, group, uuid.uuid4().hex)
    change_status(personas.operator_a, application, "invite")
    return change_status(personas.operator_a, application, "enroll")


# --- Transfer -----------------------------------------------------------------------------------


@pytest.fixture
def two_groups(published_program) -> tuple[Group, Group]:
    return published_program.groups.get(), make_group(published_program, name="Вторая группа")


@pytest.fixture
def enrolled(personas, published_program, two_groups) -> Application:
    return enrolled_in(personas, published_program, two_groups[0])


def transfer(client, application: Application, user: User, **payload):
    return send(client, "post", f"/applications/{application.code}/transfer", payload, user)


def test_the_organization_transfers_a_child_and_the_seat_moves(client, personas, enrolled, two_groups):
    first, second = two_groups
    response = transfer(client, enrolled, personas.operator_a, group=second.code)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "enrolled" and body["group"] == {"code": second.code, "name": "Вторая группа"}
    assert body["events"][-1]["reason"] == f"Перевод из группы «{first.name}»"
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.seats_taken, second.seats_taken) == (0, 1)


def test_a_transfer_outside_scope_is_404_and_read_only_is_403(client, personas, enrolled, two_groups):
    second = two_groups[1]
    assert transfer(client, enrolled, personas.operator_b, group=second.code).status_code == 404
    assert transfer(client, enrolled, personas.other_family, group=second.code).status_code == 404
    response = transfer(client, enrolled, personas.municipal_x, group=second.code)  # sees it, decides nothing
    assert response.status_code == 403
    assert response.json() == {
        "detail": "Переводить детей между группами может организация, которая ведёт программу."
    }  # the rule says who may
    enrolled.refresh_from_db()
    assert enrolled.group == two_groups[0]


def test_a_bad_transfer_is_422_in_russian_and_changes_nothing(client, personas, enrolled, two_groups):
    first, second = two_groups
    Group.objects.filter(pk=second.pk).update(capacity=1, seats_taken=1)
    other_program = make_program(personas.org_a, "Шахматы", actor=personas.operator_a)
    cases = [
        ({"group": "GR-000000"}, ["body", "group"], "Группа не найдена."),
        (
            {"group": other_program.groups.get().code},
            ["body", "group"],
            "Перевод возможен только в группу той же программы.",
        ),
        ({"group": first.code}, ["body", "group"], "Ребёнок уже в этой группе."),
        ({"group": second.code}, ["body", "group"], f"В группе «{second.name}» нет свободных мест."),
        ({}, ["body", "group"], "Обязательное поле."),
    ]
    for payload, loc, message in cases:
        response = transfer(client, enrolled, personas.operator_a, **payload)
        assert response.status_code == 422, payload
        assert [(e["loc"], e["msg"]) for e in errors(response)] == [(loc, message)]
    enrolled.refresh_from_db()
    first.refresh_from_db()
    assert enrolled.group == first and first.seats_taken == 1


# --- Expulsion with a date ------------------------------------------------------------------------


def expel(client, application: Application, user: User, **payload):
    return send(client, "post", f"/applications/{application.code}/transitions", {"action": "expel", **payload}, user)


def test_expulsion_takes_the_date_given(client, personas, enrolled):
    today = timezone.localdate()
    Application.objects.filter(pk=enrolled.pk).update(enrolled_on=today - timedelta(days=30))
    left_on = today - timedelta(days=3)
    response = expel(client, enrolled, personas.operator_a, reason="Переезд", left_on=left_on.isoformat())
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "expelled" and body["left_on"] == left_on.isoformat() and body["reason"] == "Переезд"
    enrolled.refresh_from_db()
    assert enrolled.left_on == left_on


def test_expulsion_without_a_date_is_today(client, personas, enrolled):
    response = expel(client, enrolled, personas.operator_a, reason="По заявлению родителей")
    assert response.status_code == 200
    assert response.json()["left_on"] == timezone.localdate().isoformat()


def test_a_bad_expulsion_date_is_422_in_russian(client, personas, enrolled):
    today = timezone.localdate()
    cases = [
        ((today + timedelta(days=1)).isoformat(), "Дата отчисления не может быть в будущем."),
        ((today - timedelta(days=1)).isoformat(), "Дата отчисления раньше даты зачисления."),  # enrolled today
        ("31.12.2025", "Укажите дату в формате ГГГГ-ММ-ДД."),
    ]
    for left_on, message in cases:
        response = expel(client, enrolled, personas.operator_a, reason="Переезд", left_on=left_on)
        assert response.status_code == 422, left_on
        assert errors(response)[0]["loc"][-1] == "left_on" and messages(response) == [message]
    response = send(
        client,
        "post",
        f"/applications/{enrolled.code}/transitions",
        {"action": "reject", "reason": "x", "left_on": today.isoformat()},
        personas.operator_a,
    )
    assert response.status_code == 422
    assert messages(response) == ["Дату отчисления указывают только при отчислении (expel)."]
    enrolled.refresh_from_db()
    assert enrolled.status == S.ENROLLED and enrolled.left_on is None


def test_only_the_organization_expels(client, personas, enrolled):
    assert expel(client, enrolled, personas.operator_b, reason="x").status_code == 404
    assert expel(client, enrolled, personas.family, reason="x").status_code == 403
    assert expel(client, enrolled, personas.municipal_x, reason="x").status_code == 403
    enrolled.refresh_from_db()
    assert enrolled.status == S.ENROLLED


# --- Campaigns ------------------------------------------------------------------------------------


def preferences(personas, program: Program, municipality=None, **fields) -> Campaign:
    now = timezone.now()
    campaign = Campaign.objects.create(
        municipality=municipality or personas.municipality_x,
        name=fields.pop("name", "Приём в кружки"),
        kind=CampaignKind.PREFERENCES,
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=2),
        max_choices=2,
        **fields,
    )
    campaign.programs.add(program)
    return campaign


def close(campaign: Campaign) -> Campaign:
    now = timezone.now()
    Campaign.objects.filter(pk=campaign.pk).update(
        opens_at=now - timedelta(days=3), closes_at=now - timedelta(minutes=1)
    )
    campaign.refresh_from_db()
    return campaign


@pytest.fixture
def campaign(personas, published_program) -> Campaign:
    return preferences(personas, published_program)


@pytest.fixture
def child(personas, published_program):
    return make_child(personas.family, "Аня", age_on=published_program.groups.get().start_date)


def test_everyone_signed_in_lists_campaigns_and_a_manager_filters_his(client, personas, campaign, published_program):
    foreign_program = make_program(personas.org_b, "Шахматы", actor=personas.operator_b)
    foreign = preferences(personas, foreign_program, personas.municipality_y, name="Приём в Заречном")
    listed = client.get(f"{API}/campaigns", headers=bearer(personas.family)).json()
    assert {item["code"] for item in listed["items"]} == {campaign.code, foreign.code} and listed["total"] == 2
    item = next(i for i in listed["items"] if i["code"] == campaign.code)
    assert item["kind"] == "preferences" and item["kind_label"] == "По выбору семей с распределением"
    assert item["municipality"] == {"oktmo": personas.municipality_x.oktmo, "name": "Энск"}
    assert item["status"] == "scheduled" and item["max_choices"] == 2
    managed = client.get(f"{API}/campaigns", {"managed": "true"}, headers=bearer(personas.municipal_y)).json()
    assert [i["code"] for i in managed["items"]] == [foreign.code]
    by_place = client.get(
        f"{API}/campaigns", {"municipality": personas.municipality_x.oktmo}, headers=bearer(personas.family)
    ).json()
    assert [i["code"] for i in by_place["items"]] == [campaign.code]
    bad = client.get(f"{API}/campaigns", {"status": "lost"}, headers=bearer(personas.family))
    assert bad.status_code == 422 and messages(bad)[0].startswith("Допустимые значения: scheduled, allocating")
    assert client.get(f"{API}/campaigns").status_code == 401


def test_campaign_detail_publishes_the_seed_and_summary_after_allocation(client, personas, campaign, child):
    group = campaign.programs.get().groups.get()
    detail = client.get(f"{API}/campaigns/{campaign.code}", headers=bearer(personas.municipal_x)).json()
    assert detail["lottery_seed"] is None and detail["summary"] is None and detail["can_change"] is True
    assert detail["programs"] == [{"code": campaign.programs.get().code, "title": "Робототехника и конструирование"}]
    submit_choices(personas.family, campaign, child, [group])
    allocate_campaign(close(campaign))
    campaign.refresh_from_db()
    detail = client.get(f"{API}/campaigns/{campaign.code}", headers=bearer(personas.family)).json()
    assert detail["status"] == "allocated" and detail["progress"] == 100
    assert detail["lottery_seed"] == str(campaign.lottery_seed)
    assert detail["summary"] == {"children": 1, "assigned": 1, "proposals": 1}
    assert detail["can_change"] is False
    other = client.get(f"{API}/campaigns/{campaign.code}", headers=bearer(personas.municipal_y)).json()
    assert other["can_change"] is False  # public, but another municipality's
    missing = client.get(f"{API}/campaigns/CA-000000", headers=bearer(personas.family))
    assert missing.status_code == 404 and missing.json() == {"detail": "Не найдено."}


def choices_path(campaign: Campaign, child) -> str:
    return f"/campaigns/{campaign.code}/children/{child.uuid}/choices"


def test_a_family_ranks_groups_and_reads_them_back(client, personas, campaign, child, published_program):
    first = published_program.groups.get()
    second = make_group(published_program, name="Вечерняя группа")
    response = send(
        client, "put", choices_path(campaign, child), {"groups": [second.code, first.code]}, personas.family
    )
    assert response.status_code == 200
    body = response.json()
    assert body["campaign"] == campaign.code and body["accepting"] is True and body["max_choices"] == 2
    assert body["child"]["uuid"] == str(child.uuid) and body["application"] is None
    assert [(c["rank"], c["group"]["code"], c["outcome"], c["seat"]) for c in body["choices"]] == [
        (1, second.code, "", False),
        (2, first.code, "", False),
    ]
    assert body["choices"][0]["program"]["code"] == published_program.code
    read = client.get(API + choices_path(campaign, child), headers=bearer(personas.family))
    assert read.status_code == 200 and read.json() == body
    # The municipality that runs the campaign reads it too; it may not choose for the family.
    assert client.get(API + choices_path(campaign, child), headers=bearer(personas.municipal_x)).status_code == 200


def test_choices_of_someone_elses_child_are_404_and_of_a_seen_child_403(client, personas, child, published_program):
    group = published_program.groups.get()
    here = preferences(personas, published_program)
    assert client.get(API + choices_path(here, child), headers=bearer(personas.other_family)).status_code == 404
    assert (
        send(client, "put", choices_path(here, child), {"groups": [group.code]}, personas.other_family).status_code
        == 404
    )
    # The child lives in X: the municipality X sees the child but does not choose for the family…
    response = send(client, "put", choices_path(here, child), {"groups": [group.code]}, personas.municipal_x)
    assert response.status_code == 403
    # …nor reads the choices in another municipality's campaign.
    there = preferences(
        personas, make_program(personas.org_b, "Шахматы", actor=personas.operator_b), personas.municipality_y
    )
    assert client.get(API + choices_path(there, child), headers=bearer(personas.municipal_x)).status_code == 403
    assert not CampaignChoice.objects.exists()


def test_bad_choices_are_422_in_russian_and_change_nothing(client, personas, campaign, child, published_program):
    group = published_program.groups.get()
    submit_choices(personas.family, campaign, child, [group])
    foreign = make_program(personas.org_b, "Шахматы", actor=personas.operator_b).groups.get()
    older = make_group(published_program, name="Старшая группа", age_from=13, age_to=14)
    cases = [
        ({"groups": ["GR-000000"]}, ["body", "groups"], "Группы не найдены: GR-000000."),
        ({"groups": [group.code, group.code]}, ["body", "groups"], "Каждую группу можно выбрать только один раз."),
        ({"groups": []}, ["body", "groups"], "Выберите от 1 до 2 групп."),
        ({"groups": [foreign.code]}, ["body", "groups"], f"Группа «{foreign.name}» не участвует в кампании."),
        ({"groups": [older.code]}, ["body", "groups"], "Группа «Старшая группа» — для детей 13–14 лет."),
        ({"groups": [f"GR-{n:06d}" for n in range(11)]}, ["body", "groups"], "Не больше 10 групп."),
        ({"groups": [group.code], "extra": 1}, ["body", "extra"], "Неизвестное поле."),
    ]
    for payload, loc, message in cases:
        response = send(client, "put", choices_path(campaign, child), payload, personas.family)
        assert response.status_code == 422, payload
        assert [(e["loc"], e["msg"]) for e in errors(response)] == [(loc, message)]
    close(campaign)
    response = send(client, "put", choices_path(campaign, child), {"groups": [group.code]}, personas.family)
    assert messages(response) == ["Выбор групп сейчас не принимается: окно кампании закрыто."]
    assert list(CampaignChoice.objects.values_list("rank", "group")) == [(1, group.pk)]


def test_after_allocation_each_choice_shows_its_outcome(client, personas, campaign, published_program):
    popular = published_program.groups.get()
    Group.objects.filter(pk=popular.pk).update(capacity=1)
    spare = make_group(published_program, name="Запасная группа")
    children = [make_child(personas.family, name, age_on=popular.start_date) for name in ("Аня", "Ваня")]
    for kid in children:
        submit_choices(personas.family, campaign, kid, [popular, spare])
    allocate_campaign(close(campaign))
    bodies = [client.get(API + choices_path(campaign, kid), headers=bearer(personas.family)).json() for kid in children]
    winner, loser = sorted(bodies, key=lambda body: body["application"]["group"]["code"] != popular.code)
    assert winner["accepting"] is False
    assert [(c["outcome"], c["seat"]) for c in winner["choices"]] == [("Место в группе", True), ("", False)]
    assert winner["application"]["status"] == "invited"
    lost, placed = loser["choices"]
    assert lost["seat"] is False and lost["outcome"].startswith("при равном приоритете проходной номер жребия")
    assert placed == {**placed, "outcome": "Место в группе", "seat": True}
    assert loser["application"]["group"] == {"code": spare.code, "name": "Запасная группа"}


# --- Journal --------------------------------------------------------------------------------------


@pytest.fixture
def journal_group(personas, published_program) -> Group:
    """A group that began three weeks ago, Mondays and Wednesdays, its teacher A, two enrolled children."""
    start = timezone.localdate() - timedelta(days=21)
    group = make_group(published_program, start_date=start, end_date=start + timedelta(days=60), weekdays=(0, 2))
    teacher = Teacher.objects.create(
        organization=personas.org_a, user=personas.teacher_a, last_name="Педагог", first_name="А"
    )
    Group.objects.filter(pk=group.pk).update(teacher=teacher)
    group.refresh_from_db()
    for name in ("Аня", "Ваня"):
        enrolled_in(personas, published_program, group, name)
    # Enrolled when the group began: its past lessons are theirs (a lesson before enrollment is not).
    Application.objects.filter(group=group).update(enrolled_on=group.start_date)
    journal.generate_lessons(group)
    return group


@pytest.fixture
def hidden_group(personas) -> Group:
    """A group of a draft program of organization A: nobody outside it sees it."""
    return make_program(personas.org_a, "Черновик", status="draft", actor=personas.operator_a).groups.get()


def past_lesson(group: Group) -> Lesson:
    return group.lessons.filter(date__lte=timezone.localdate()).order_by("date").last()


def test_the_teacher_lists_the_lessons_of_a_month(client, personas, journal_group):
    lesson = past_lesson(journal_group)
    anya, _ = journal.enrolled(journal_group)
    journal.mark_attendance(personas.teacher_a, lesson, {anya.pk})
    month = f"{lesson.date:%Y-%m}"
    response = client.get(
        f"{API}/groups/{journal_group.code}/lessons",
        {"month": month, "page_size": 100},
        headers=bearer(personas.teacher_a),
    )
    assert response.status_code == 200
    items = response.json()["items"]
    expected = journal_group.lessons.filter(date__year=lesson.date.year, date__month=lesson.date.month)
    assert [item["id"] for item in items] == list(expected.order_by("date", "starts_at").values_list("pk", flat=True))
    row = next(item for item in items if item["id"] == lesson.pk)
    assert row == {
        "id": lesson.pk,
        "date": lesson.date.isoformat(),
        "starts_at": "16:00:00",
        "ends_at": "17:30:00",
        "is_cancelled": False,
        "marked": 2,
        "present": 1,
    }
    # The organization's operator keeps the journal too.
    assert (
        client.get(f"{API}/groups/{journal_group.code}/lessons", headers=bearer(personas.operator_a)).status_code == 200
    )


def test_journal_reads_refuse_outsiders_and_those_who_keep_no_journal(client, personas, journal_group, hidden_group):
    path = f"{API}/groups/{journal_group.code}/lessons"
    assert (
        client.get(f"{API}/groups/{hidden_group.code}/lessons", headers=bearer(personas.operator_b)).status_code == 404
    )
    assert client.get(f"{API}/groups/GR-000000/lessons", headers=bearer(personas.teacher_a)).status_code == 404
    # A published group is public: seen, but its journal is its teacher's and organization's (403).
    assert client.get(path, headers=bearer(personas.operator_b)).status_code == 403
    assert client.get(path, headers=bearer(personas.municipal_x)).status_code == 403
    lesson = past_lesson(journal_group)
    assert client.get(f"{path}/{lesson.pk}", headers=bearer(personas.municipal_x)).status_code == 403
    for month in ("2025-13", "0000-01"):
        bad = client.get(path, {"month": month}, headers=bearer(personas.teacher_a))
        assert bad.status_code == 422 and messages(bad)[0].startswith("Значение не соответствует формату")


def test_lessons_are_generated_once_through_the_api(client, personas, published_program):
    start = timezone.localdate() - timedelta(days=7)
    group = make_group(published_program, start_date=start, end_date=start + timedelta(days=27), weekdays=(1,))
    path = f"/groups/{group.code}/lessons/generate"
    assert send(client, "post", path, {}, personas.municipal_x).status_code == 403
    assert not group.lessons.exists()
    response = send(client, "post", path, {}, personas.operator_a)
    assert response.status_code == 200 and response.json() == {"created": 4}
    assert send(client, "post", path, {}, personas.operator_a).json() == {"created": 0}


def attendance(client, group: Group, lesson_id: int, user: User, present: list[str]):
    return send(client, "put", f"/groups/{group.code}/lessons/{lesson_id}/attendance", {"present": present}, user)


def test_the_teacher_marks_a_lesson_in_one_request(client, personas, journal_group):
    lesson = past_lesson(journal_group)
    anya, vanya = journal.enrolled(journal_group)
    response = attendance(client, journal_group, lesson.pk, personas.teacher_a, [vanya.code])
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == lesson.pk and body["marked"] == 2 and body["present"] == 1
    assert [(row["application"], row["child"]["first_name"], row["present"]) for row in body["attendance"]] == [
        (anya.code, "Аня", False),
        (vanya.code, "Ваня", True),
    ]
    assert dict(Attendance.objects.values_list("application", "present")) == {anya.pk: False, vanya.pk: True}
    detail = client.get(f"{API}/groups/{journal_group.code}/lessons/{lesson.pk}", headers=bearer(personas.operator_a))
    assert detail.json() == body


def test_marking_refuses_outsiders_and_bad_input(client, personas, journal_group, hidden_group):
    lesson = past_lesson(journal_group)
    anya, _ = journal.enrolled(journal_group)
    assert attendance(client, journal_group, lesson.pk, personas.operator_b, [anya.code]).status_code == 403
    assert attendance(client, journal_group, lesson.pk, personas.municipal_x, [anya.code]).status_code == 403
    assert attendance(client, hidden_group, lesson.pk, personas.operator_b, []).status_code == 404
    assert attendance(client, journal_group, 999999, personas.teacher_a, []).status_code == 404
    stranger = make_child(personas.other_family, "Петя", age_on=journal_group.start_date)
    other = apply(personas.other_family, stranger, journal_group.program, None, uuid.uuid4().hex)
    response = attendance(client, journal_group, lesson.pk, personas.teacher_a, [anya.code, other.code])
    assert response.status_code == 422
    assert errors(response) == [
        {
            "loc": ["body", "present"],
            "msg": f"Не были зачислены в группу на дату занятия: {other.code}.",
            "type": "invalid",
        }
    ]
    future = journal_group.lessons.filter(date__gt=timezone.localdate()).first()
    response = attendance(client, journal_group, future.pk, personas.teacher_a, [anya.code])
    assert messages(response) == ["Нельзя отметить занятие, которое ещё не прошло."]
    response = send(
        client, "put", f"/groups/{journal_group.code}/lessons/{lesson.pk}/attendance", {}, personas.teacher_a
    )
    assert response.status_code == 422 and messages(response) == ["Обязательное поле."]
    assert not Attendance.objects.exists()


def test_the_monthly_report_downloads_for_those_who_keep_the_journal(client, personas, journal_group, hidden_group):
    lesson = past_lesson(journal_group)
    anya, vanya = journal.enrolled(journal_group)
    journal.mark_attendance(personas.teacher_a, lesson, {anya.pk})
    path = f"{API}/groups/{journal_group.code}/report"
    query = {"year": lesson.date.year, "month": lesson.date.month}
    response = client.get(path, query, headers=bearer(personas.teacher_a))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert f"journal-{journal_group.code}-{lesson.date:%Y-%m}.xlsx" in response["Content-Disposition"]
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    by_child = {row[0]: row for row in rows[2:]}
    assert by_child[anya.child.full_name][-2:] == (1, 0)
    assert by_child[vanya.child.full_name][-2:] == (0, 1)
    assert client.get(path, query, headers=bearer(personas.municipal_x)).status_code == 403
    assert (
        client.get(f"{API}/groups/{hidden_group.code}/report", query, headers=bearer(personas.operator_b)).status_code
        == 404
    )
    bad = client.get(path, {"year": 2025, "month": 13}, headers=bearer(personas.teacher_a))
    assert bad.status_code == 422 and messages(bad) == ["Значение должно быть не больше 12."]
    misspelt = client.get(path, {**query, "mont": 1}, headers=bearer(personas.teacher_a))
    assert misspelt.status_code == 422
    assert errors(misspelt) == [
        {
            "loc": ["query", "mont"],
            "msg": "Неизвестный параметр: допустимые перечислены в документации (/api/docs).",
            "type": "extra_forbidden",
        }
    ]


# --- OpenAPI --------------------------------------------------------------------------------------


def test_openapi_documents_the_new_endpoints_in_russian(client):
    document = client.get(f"{API}/openapi.json").json()
    paths = document["paths"]
    expected = {
        "/applications/{code}/transfer": ({"post"}, "Перевести в другую группу"),
        "/campaigns": ({"get"}, "Кампании"),
        "/campaigns/{code}": ({"get"}, "Кампания"),
        "/campaigns/{code}/children/{child}/choices": ({"get", "put"}, "Выбор групп ребёнка"),
        "/groups/{code}/lessons": ({"get"}, "Занятия группы"),
        "/groups/{code}/lessons/generate": ({"post"}, "Создать занятия по расписанию"),
        "/groups/{code}/lessons/{lesson_id}": ({"get"}, "Занятие и отметки"),
        "/groups/{code}/lessons/{lesson_id}/attendance": ({"put"}, "Отметить посещаемость"),
        "/groups/{code}/report": ({"get"}, "Отчёт о посещаемости за месяц (XLSX)"),
    }
    for path, (methods, summary) in expected.items():
        operations = paths[API + path]
        assert set(operations) == methods, path
        assert summary in {operation["summary"] for operation in operations.values()}, path
    report = paths[f"{API}/groups/{{code}}/report"]["get"]
    assert report["tags"] == ["Журнал посещаемости"]
    assert "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" in report["responses"]["200"]["content"]
    left_on = document["components"]["schemas"]["ApplicationTransitionIn"]["properties"]["left_on"]
    assert "Дата отчисления" in left_on["description"]


# --- Query counts ---------------------------------------------------------------------------------


def queries(client, path: str, user: User, **params) -> int:
    headers = bearer(user)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(API + path, params, headers=headers).status_code == 200
    return len(captured)


def test_lists_cost_the_same_queries_whatever_their_length(client, personas, published_program, journal_group):
    preferences(personas, published_program)
    one_campaign = queries(client, "/campaigns", personas.family)
    for n in range(4):
        preferences(personas, published_program, name=f"Приём {n}")
    assert queries(client, "/campaigns", personas.family) == one_campaign
    path = f"/groups/{journal_group.code}/lessons"
    few = queries(client, path, personas.teacher_a, page_size=1)
    assert queries(client, path, personas.teacher_a, page_size=100) == few
