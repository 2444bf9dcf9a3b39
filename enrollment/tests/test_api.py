"""The REST API of applications: scope on reads, idempotent applying, transitions through the services."""

import json
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from accounts.services import issue_api_token
from catalog.models import Group, Program
from core.testing import make_campaign, make_child, make_group, make_program
from enrollment.models import Application, ApplicationEvent, CampaignKind
from enrollment.models import ApplicationStatus as S
from enrollment.services import apply, change_status

pytestmark = pytest.mark.django_db

API = "/api/v1"
ORGANIZATION_ACTIONS = ["review", "invite", "waitlist", "reject"]


def bearer(user: User) -> dict[str, str]:
    _, raw = issue_api_token(None, user, "Тестовая интеграция")
    return {"Authorization": f"Bearer {raw}"}


def post(client, path: str, payload: dict, user: User, **headers: str):
    return client.post(
        API + path, json.dumps(payload), content_type="application/json", headers={**bearer(user), **headers}
    )


def messages(response) -> list[str]:
    return [error["msg"] for error in response.json()["detail"]]


def key() -> str:
    return uuid.uuid4().hex


@pytest.fixture
def group(published_program: Program) -> Group:
    return published_program.groups.get()


@pytest.fixture
def child(personas, group):
    return make_child(personas.family, age_on=group.start_date, age=9)


@pytest.fixture
def application(personas, child, published_program) -> Application:
    return apply(personas.family, child, published_program, None, key())


@pytest.fixture
def other_application(personas, group, published_program) -> Application:
    """Another family's application to the same program."""
    other_child = make_child(personas.other_family, "Петя", age_on=group.start_date, age=10)
    return apply(personas.other_family, other_child, published_program, None, key())


@pytest.fixture
def foreign_application(personas, child) -> Application:
    """The family's application to a program of organization B."""
    program = make_program(personas.org_b, "Шахматы", actor=personas.operator_b)
    return apply(personas.family, child, program, None, key())


# --- Reading ----------------------------------------------------------------------------------


def test_family_lists_only_its_applications_and_may_only_cancel(client, personas, application, other_application):
    response = client.get(f"{API}/applications", headers=bearer(personas.family))
    assert response.status_code == 200
    page = response.json()
    assert [item["code"] for item in page["items"]] == [application.code]
    assert page["total"] == 1 and page["page"] == 1 and page["page_count"] == 1
    item = page["items"][0]
    assert item["status"] == "new" and item["status_label"] == "Новая"
    assert item["child"]["first_name"] == "Маша" and item["group"] is None

    detail = client.get(f"{API}/applications/{application.code}", headers=bearer(personas.family)).json()
    assert detail["allowed_actions"] == ["cancel"]
    assert detail["uuid"] == str(application.uuid)
    assert detail["program"] == {"code": application.program.code, "title": application.program.title}
    assert detail["waitlist_position"] is None
    assert detail["events"] == [
        {
            "created_at": detail["events"][0]["created_at"],
            "from_status": "",
            "to_status": "new",
            "reason": "",
            "by_system": False,
        }
    ]


def test_family_sees_another_familys_application_as_not_found(client, personas, other_application):
    response = client.get(f"{API}/applications/{other_application.code}", headers=bearer(personas.family))
    assert response.status_code == 404
    assert response.json() == {"detail": "Не найдено."}


def test_session_of_a_signed_in_family_reads_too(client, personas, application):
    client.force_login(personas.family)
    response = client.get(f"{API}/applications/{application.code}")
    assert response.status_code == 200
    assert response.json()["allowed_actions"] == ["cancel"]


def test_operator_of_the_programs_organization_sees_it_with_organization_actions(
    client, personas, application, foreign_application
):
    response = client.get(f"{API}/applications", headers=bearer(personas.operator_a))
    assert [item["code"] for item in response.json()["items"]] == [application.code]
    detail = client.get(f"{API}/applications/{application.code}", headers=bearer(personas.operator_a)).json()
    assert detail["allowed_actions"] == ORGANIZATION_ACTIONS


def test_another_organizations_operator_neither_lists_nor_finds_it(client, personas, application, foreign_application):
    listed = client.get(f"{API}/applications", headers=bearer(personas.operator_b)).json()
    assert [item["code"] for item in listed["items"]] == [foreign_application.code]
    response = client.get(f"{API}/applications/{application.code}", headers=bearer(personas.operator_b))
    assert response.status_code == 404


def test_municipal_operator_sees_the_applications_of_the_municipality(
    client, personas, application, foreign_application
):
    listed = client.get(f"{API}/applications", headers=bearer(personas.municipal_x)).json()
    assert [item["code"] for item in listed["items"]] == [application.code]
    detail = client.get(f"{API}/applications/{application.code}", headers=bearer(personas.municipal_x)).json()
    assert detail["allowed_actions"] == []  # sees, but decisions belong to the organization


def test_anonymous_gets_401_in_russian(client, application):
    for path in ("/applications", f"/applications/{application.code}"):
        response = client.get(API + path)
        assert response.status_code == 401, path
        assert "токен" in response.json()["detail"]


def test_list_is_newest_first_and_filters_by_status_and_program(
    client, personas, application, other_application, foreign_application
):
    headers = bearer(personas.admin)
    codes = [item["code"] for item in client.get(f"{API}/applications", headers=headers).json()["items"]]
    assert codes == [foreign_application.code, other_application.code, application.code]
    by_program = client.get(f"{API}/applications", {"program": application.program.code}, headers=headers).json()
    assert {item["code"] for item in by_program["items"]} == {application.code, other_application.code}
    Application.objects.filter(pk=other_application.pk).update(status=S.REVIEWING)
    by_status = client.get(f"{API}/applications", {"status": "reviewing"}, headers=headers).json()
    assert [item["code"] for item in by_status["items"]] == [other_application.code]


def test_unknown_status_filter_is_422_in_russian(client, personas, application):
    response = client.get(f"{API}/applications", {"status": "lost"}, headers=bearer(personas.family))
    assert response.status_code == 422
    assert messages(response)[0].startswith("Допустимые значения: new, reviewing")


# --- Applying ---------------------------------------------------------------------------------


def application_payload(child, program: Program, group: Group | None = None) -> dict:
    return {"child": str(child.uuid), "program": program.code, "group": group.code if group else None}


def test_applying_creates_and_the_same_key_returns_the_same_application(client, personas, child, published_program):
    payload = application_payload(child, published_program)
    created = post(client, "/applications", payload, personas.family, **{"Idempotency-Key": "click-1"})
    assert created.status_code == 201
    body = created.json()
    assert body["status"] == "new" and body["child"]["uuid"] == str(child.uuid) and body["group"] is None
    assert body["allowed_actions"] == ["cancel"]
    repeated = post(client, "/applications", payload, personas.family, **{"Idempotency-Key": "click-1"})
    assert repeated.status_code == 200
    assert repeated.json()["code"] == body["code"]
    assert Application.objects.count() == 1
    assert Application.objects.get().applicant == personas.family


def test_applying_to_a_chosen_group(client, personas, child, published_program, group):
    response = post(
        client,
        "/applications",
        application_payload(child, published_program, group),
        personas.family,
        **{"Idempotency-Key": key()},
    )
    assert response.status_code == 201
    assert response.json()["group"] == {"code": group.code, "name": group.name}


def test_codes_in_small_letters_name_the_same_program_group_and_application(
    client, personas, child, published_program, group
):
    payload = {**application_payload(child, published_program, group), "program": published_program.code.lower()}
    payload["group"] = group.code.lower()
    created = post(client, "/applications", payload, personas.family, **{"Idempotency-Key": key()})
    assert created.status_code == 201, created.json()
    assert created.json()["group"]["code"] == group.code
    code = created.json()["code"]
    read = client.get(f"{API}/applications/{code.lower()}", headers=bearer(personas.family))
    assert read.status_code == 200 and read.json()["code"] == code
    listed = client.get(
        f"{API}/applications", {"program": published_program.code.lower()}, headers=bearer(personas.family)
    )
    assert [item["code"] for item in listed.json()["items"]] == [code]


def test_the_same_key_for_another_request_is_422(client, personas, child, published_program, group):
    post(
        client,
        "/applications",
        application_payload(child, published_program),
        personas.family,
        **{"Idempotency-Key": "k"},
    )
    response = post(
        client,
        "/applications",
        application_payload(child, published_program, group),
        personas.family,
        **{"Idempotency-Key": "k"},
    )
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "loc": ["header", "Idempotency-Key"],  # where the client sent it, as a missing key is reported
            "msg": "Этот ключ повтора уже использован для другой заявки.",
            "type": "invalid",
        }
    ]


def test_applying_without_an_idempotency_key_is_422(client, personas, child, published_program):
    response = post(client, "/applications", application_payload(child, published_program), personas.family)
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"loc": ["header", "Idempotency-Key"], "msg": "Обязательное поле.", "type": "missing"}
    ]
    assert not Application.objects.exists()


def test_too_long_idempotency_key_is_422(client, personas, child, published_program):
    response = post(
        client,
        "/applications",
        application_payload(child, published_program),
        personas.family,
        **{"Idempotency-Key": "x" * 65},
    )
    assert response.status_code == 422
    assert messages(response) == ["Не длиннее 64 символов."]


def test_unknown_program_child_or_group_is_422_in_russian(client, personas, child, published_program):
    payload = application_payload(child, published_program)
    cases = [
        ({**payload, "program": "PR-000000"}, "program", "Программа не найдена."),
        ({**payload, "child": str(uuid.uuid4())}, "child", "Ребёнок не найден."),
        ({**payload, "group": "GR-000000"}, "group", "Группа не найдена."),
    ]
    for body, field, message in cases:
        response = post(client, "/applications", body, personas.family, **{"Idempotency-Key": key()})
        assert response.status_code == 422, field
        assert response.json()["detail"] == [{"loc": ["body", field], "msg": message, "type": "invalid"}]
    assert not Application.objects.exists()


def test_a_draft_program_is_not_found_for_a_family(client, personas, child, draft_program):
    response = post(
        client,
        "/applications",
        application_payload(child, draft_program),
        personas.family,
        **{"Idempotency-Key": key()},
    )
    assert response.status_code == 422
    assert messages(response) == ["Программа не найдена."]


def test_applying_for_another_familys_child_is_403(client, personas, child, published_program):
    response = post(
        client,
        "/applications",
        application_payload(child, published_program),
        personas.other_family,
        **{"Idempotency-Key": key()},
    )
    assert response.status_code == 403
    assert response.json() == {
        "detail": "Подать заявку может только законный представитель ребёнка."
    }  # the rule says who may
    assert not Application.objects.exists()


def test_a_rule_of_the_services_is_422(client, personas, child, published_program, application):
    response = post(
        client,
        "/applications",
        application_payload(child, published_program),
        personas.family,
        **{"Idempotency-Key": key()},
    )
    assert response.status_code == 422
    assert messages(response) == ["У ребёнка уже есть действующая заявка на эту программу."]


@pytest.mark.parametrize(
    "setup", ["unpublished", "choices_campaign", "campaign_ahead", "closed", "program_ages", "group_ages", "limit"]
)
def test_a_rule_about_one_field_of_the_application_is_that_fields_error(
    client, personas, child, published_program, group, settings, setup
):
    """A client shows the refusal beside what to change: the program, the group or the child."""
    program, chosen, user = published_program, None, personas.family
    if setup == "unpublished":  # a teacher's own child, to a draft of the teacher's organization
        program = make_program(personas.org_a, "Черновик", status="draft")
        user, child = personas.teacher_a, make_child(personas.teacher_a, age_on=group.start_date, age=9)
        field, message = "program", "Программа не опубликована: запись на неё закрыта."
    elif setup == "choices_campaign":
        campaign = make_campaign(
            personas.municipality_x, program, CampaignKind.PREFERENCES, -timedelta(days=1), timedelta(days=7)
        )
        closes = f"{timezone.localtime(campaign.closes_at):%d.%m.%Y %H:%M}"
        field = "program"
        message = (
            f"Запись на эту программу идёт через кампанию «{campaign.name}»: выберите группы по порядку "
            f"предпочтения до {closes}, места распределят после."
        )
    elif setup == "campaign_ahead":
        campaign = make_campaign(personas.municipality_x, program, CampaignKind.FIRST_COME, timedelta(days=3))
        opens = f"{timezone.localtime(campaign.opens_at):%d.%m.%Y в %H:%M}"
        field, message = "program", f"Приём заявок откроется {opens} (кампания «{campaign.name}»)."
    elif setup == "closed":
        Group.objects.filter(pk=group.pk).update(enrollment_closes_at=timezone.now() - timedelta(days=1))
        field, message = "program", "Приём заявок на программу сейчас закрыт."
    elif setup == "program_ages":
        child = make_child(personas.family, "Тима", group.start_date, age=4)
        field, message = "program", "На начало занятий ребёнку будет 4 года, а программа — для детей 7–14 лет."
    elif setup == "group_ages":
        chosen = make_group(program, actor=personas.operator_a, age_from=12, age_to=14)
        field, message = "group", "На начало занятий ребёнку будет 9 лет, а группа — для детей 12–14 лет."
    else:
        settings.OPORA_MAX_ACTIVE_APPLICATIONS = 1
        apply(personas.family, child, make_program(personas.org_a, "Шахматы"), None, key())
        field, message = "child", "У ребёнка уже 1 заявка в работе — это наибольшее число одновременных заявок."
    before = Application.objects.count()
    response = post(
        client, "/applications", application_payload(child, program, chosen), user, **{"Idempotency-Key": key()}
    )
    assert response.status_code == 422, response.json()
    assert response.json()["detail"] == [{"loc": ["body", field], "msg": message, "type": "invalid"}]
    assert Application.objects.count() == before


def test_applying_needs_a_token_not_a_session(client, personas, child, published_program):
    client.force_login(personas.family)
    response = client.post(
        f"{API}/applications",
        json.dumps(application_payload(child, published_program)),
        content_type="application/json",
        headers={"Idempotency-Key": key()},
    )
    assert response.status_code == 401
    assert not Application.objects.exists()


# --- Transitions ------------------------------------------------------------------------------


def transition(client, application: Application, user: User, **payload):
    return post(client, f"/applications/{application.code}/transitions", payload, user)


def test_operator_invites_and_a_seat_is_taken(client, personas, application, group):
    response = transition(client, application, personas.operator_a, action="invite")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "invited" and body["status_label"] == "Приглашение"
    assert body["group"]["code"] == group.code and body["deadline"] is not None
    assert body["allowed_actions"] == ["enroll", "reject"]
    assert [(e["from_status"], e["to_status"]) for e in body["events"]] == [("", "new"), ("new", "invited")]
    group.refresh_from_db()
    assert group.seats_taken == 1


def test_operator_invites_to_a_named_group(client, personas, application, published_program):
    second = make_group(published_program, actor=personas.operator_a)
    response = transition(client, application, personas.operator_a, action="invite", group=second.code)
    assert response.status_code == 200
    assert response.json()["group"]["code"] == second.code
    second.refresh_from_db()
    assert second.seats_taken == 1


def test_an_invitation_to_a_full_group_is_refused_at_the_group(client, personas, application, other_application, group):
    Group.objects.filter(pk=group.pk).update(capacity=1)
    change_status(personas.operator_a, other_application, "invite")
    response = transition(client, application, personas.operator_a, action="invite", group=group.code)
    assert response.status_code == 422
    message = f"В группе «{group.name}» свободных мест нет — заявку можно поставить в очередь."
    assert response.json()["detail"] == [{"loc": ["body", "group"], "msg": message, "type": "invalid"}]
    application.refresh_from_db()
    assert application.status == S.NEW


def test_reject_without_a_reason_is_422_in_russian(client, personas, application):
    response = transition(client, application, personas.operator_a, action="reject")
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"loc": ["body", "reason"], "msg": "Укажите причину: её увидит семья.", "type": "invalid"}
    ]
    application.refresh_from_db()
    assert application.status == S.NEW


def test_reject_with_a_reason_is_shown_to_the_family(client, personas, application):
    transition(client, application, personas.operator_a, action="reject", reason="Группа для другого возраста")
    detail = client.get(f"{API}/applications/{application.code}", headers=bearer(personas.family)).json()
    assert detail["status"] == "rejected" and detail["reason"] == "Группа для другого возраста"
    assert detail["events"][-1]["reason"] == "Группа для другого возраста"
    assert detail["allowed_actions"] == []


def test_family_cancels(client, personas, application):
    response = transition(client, application, personas.family, action="cancel")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert response.json()["allowed_actions"] == []
    application.refresh_from_db()
    assert application.status == S.CANCELLED


def test_family_cannot_invite(client, personas, application, group):
    response = transition(client, application, personas.family, action="invite")
    assert response.status_code == 403
    application.refresh_from_db()
    group.refresh_from_db()
    assert application.status == S.NEW and group.seats_taken == 0


def test_expire_is_not_an_action_of_the_api(client, personas, application):
    change_status(personas.operator_a, application, "invite")
    response = transition(client, application, personas.admin, action="expire")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "action"
    assert "expire" not in messages(response)[0] and messages(response)[0].startswith("Допустимые значения:")
    application.refresh_from_db()
    assert application.status == S.INVITED


def test_a_transition_from_the_wrong_status_is_422(client, personas, application):
    response = transition(client, application, personas.operator_a, action="enroll")
    assert response.status_code == 422
    assert messages(response) == ["Действие «Зачислить» невозможно: заявка в статусе «Новая»."]


def test_a_transition_outside_scope_is_404(client, personas, application):
    response = transition(client, application, personas.operator_b, action="review")
    assert response.status_code == 404
    assert ApplicationEvent.objects.filter(application=application).count() == 1


def test_the_waitlist_position_is_shown(client, personas, application, other_application):
    for queued in (application, other_application):
        assert transition(client, queued, personas.operator_a, action="waitlist").status_code == 200
    detail = client.get(f"{API}/applications/{other_application.code}", headers=bearer(personas.other_family)).json()
    assert detail["status"] == "waitlisted" and detail["waitlist_position"] == 2


# --- OpenAPI ----------------------------------------------------------------------------------


def test_openapi_documents_the_applications(client):
    document = client.get(f"{API}/openapi.json").json()
    paths = document["paths"]
    assert set(paths[f"{API}/applications"]) == {"get", "post"}
    assert set(paths[f"{API}/applications/{{code}}"]) == {"get"}
    assert set(paths[f"{API}/applications/{{code}}/transitions"]) == {"post"}
    create = paths[f"{API}/applications"]["post"]
    assert create["tags"] == ["Заявки"] and create["summary"] == "Подать заявку"
    assert {"name": "Idempotency-Key", "in": "header", "required": True}.items() <= create["parameters"][0].items()
    assert set(create["responses"]) >= {"200", "201", "401", "403", "422"}
    actions = document["components"]["schemas"]["ApplicationTransitionIn"]["properties"]["action"]["enum"]
    assert "expire" not in actions and "cancel" in actions
