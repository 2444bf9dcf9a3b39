"""The finance API: every endpoint for its owner, 404 for the outsider, 403 for the read-only, and
bad input refused in Russian with nothing changed."""

import json
from datetime import date
from decimal import Decimal

import pytest

from accounts.models import User
from accounts.services import issue_api_token
from catalog.models import Program
from core.testing import make_child, make_group, make_program
from enrollment import services as enrollment_services
from finance import closing, registers
from finance.models import (
    Agreement,
    Certificate,
    CertificateGroup,
    CertificateStatus,
    Certification,
    Completeness,
    Contract,
    ContractStatus,
    Invoice,
    Provider,
    ProviderStatus,
)
from finance.testing import enrolled, issued_certificate

pytestmark = pytest.mark.django_db

API = "/api/v1"


def bearer(user: User) -> dict[str, str]:
    _, raw = issue_api_token(None, user, "Тест финансов")
    return {"Authorization": f"Bearer {raw}"}


def get(client, path: str, user: User, **params):
    return client.get(API + path, params, headers=bearer(user))


def post(client, path: str, user: User, payload: dict | None = None):
    return client.post(API + path, json.dumps(payload or {}), content_type="application/json", headers=bearer(user))


def messages(response) -> str:
    return " ".join(error["msg"] for error in response.json()["detail"])


def refusals(response) -> list[tuple[list[str | int], str]]:
    assert response.status_code == 422, response.json()
    return [(error["loc"], error["msg"]) for error in response.json()["detail"]]


@pytest.fixture
def certificate(personas, offer):
    return issued_certificate(personas.family, personas.municipal_x)


@pytest.fixture
def application(personas, offer, certificate):
    return enrolled(personas.family, personas.operator_a, certificate, offer.group)


@pytest.fixture
def requested(client, personas, application):
    response = post(client, "/contracts", personas.family, {"application": str(application.uuid)})
    assert response.status_code == 201, response.json()
    return Contract.objects.get(uuid=response.json()["uuid"])


# --- Certificates ------------------------------------------------------------------------------


def test_family_requests_a_certificate_and_the_municipal_operator_issues_it(client, personas, period, cert_group):
    child = make_child(personas.family, "Петя", age=10)
    response = post(client, "/certificates", personas.family, {"child": str(child.uuid)})
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "requested" and body["number"] is None and body["balance"]["kopecks"] == 0
    again = post(client, "/certificates", personas.family, {"child": str(child.uuid)})
    assert again.status_code == 200 and again.json()["uuid"] == body["uuid"]

    listed = get(client, "/certificates", personas.family).json()
    assert [item["uuid"] for item in listed["items"]] == [body["uuid"]]
    assert get(client, "/certificates", personas.other_family).json()["items"] == []

    # The family sees it but may not issue it; another territory does not see it at all.
    assert post(client, f"/certificates/{body['uuid']}/confirm", personas.family, {"accept": True}).status_code == 403
    assert get(client, f"/certificates/{body['uuid']}", personas.municipal_y).status_code == 404
    assert (
        post(client, f"/certificates/{body['uuid']}/confirm", personas.municipal_y, {"accept": True}).status_code == 404
    )

    refused = post(client, f"/certificates/{body['uuid']}/confirm", personas.municipal_x, {"accept": False})
    assert refused.status_code == 422
    assert "Укажите причину отказа" in messages(refused)
    assert Certificate.objects.get(uuid=body["uuid"]).status == CertificateStatus.REQUESTED

    issued = post(client, f"/certificates/{body['uuid']}/confirm", personas.municipal_x, {"accept": True})
    assert issued.status_code == 200
    assert issued.json()["status"] == "accounting" and issued.json()["number"]
    assert [e["to_status"] for e in issued.json()["events"]] == ["requested", "accounting"]


def test_another_family_cannot_request_a_certificate_for_someone_elses_child(client, personas, period):
    child = make_child(personas.family, "Петя", age=10)
    response = post(client, "/certificates", personas.other_family, {"child": str(child.uuid)})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "child"]
    assert not Certificate.objects.exists()


def test_a_malformed_child_is_refused_in_russian(client, personas, period):
    response = post(client, "/certificates", personas.family, {"child": "not-a-uuid"})
    assert response.status_code == 422
    assert messages(response) == "Укажите UUID."
    assert not Certificate.objects.exists()


# --- Contracts ---------------------------------------------------------------------------------


def test_quote_shows_the_split_before_the_request_and_changes_nothing(client, personas, application, certificate):
    response = get(client, "/contracts/quote", personas.family, application=str(application.uuid))
    assert response.status_code == 200, response.json()
    quote = response.json()
    assert quote["months"] == 9
    assert quote["total_cost"] == {"kopecks": 2_700_000, "rubles": "27000.00"}
    assert quote["certificate_total"]["kopecks"] == 2_700_000 and quote["family_total"]["kopecks"] == 0
    assert quote["copayment_message"] == ""
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.ACCOUNTING  # the preview was rolled back


def test_a_short_balance_is_refused_with_the_copayment_explained_until_the_family_accepts(
    client, personas, application, cert_group
):
    CertificateGroup.objects.filter(pk=cert_group.pk).update(nominal=Decimal(18000))
    payload = {"application": str(application.uuid)}
    refused = post(client, "/contracts", personas.family, payload)
    [(where, said)] = refusals(refused)  # the field the family answers: accept_copayment
    assert where == ["body", "accept_copayment"] and "Доплата семьи — 9\u202f000,00\u00a0₽" in said
    assert not Contract.objects.exists()
    assert Certificate.objects.get().status == CertificateStatus.ACCOUNTING

    accepted = post(client, "/contracts", personas.family, {**payload, "accept_copayment": True})
    assert accepted.status_code == 201
    body = accepted.json()
    assert body["certificate_total"] == {"kopecks": 1_800_000, "rubles": "18000.00"}
    assert body["family_total"] == {"kopecks": 900_000, "rubles": "9000.00"}
    assert body["reserved"]["kopecks"] == 1_800_000
    again = post(client, "/contracts", personas.family, {**payload, "accept_copayment": True})
    assert again.status_code == 200 and again.json()["uuid"] == body["uuid"]
    certificate = get(client, f"/certificates/{Certificate.objects.get().uuid}", personas.family).json()
    assert certificate["status"] == "financing"
    assert certificate["balance"]["kopecks"] == 0 and certificate["reserved"]["kopecks"] == 1_800_000


def test_only_the_guardian_requests_a_contract(client, personas, application):
    payload = {"application": str(application.uuid)}
    assert post(client, "/contracts", personas.operator_a, payload).status_code == 403
    hidden = post(client, "/contracts", personas.other_family, payload)
    assert hidden.status_code == 422 and hidden.json()["detail"][0]["loc"] == ["body", "application"]
    assert not Contract.objects.exists()


def test_provider_confirms_and_family_accepts_then_everyone_sees_it_in_scope(client, personas, requested):
    path = f"/contracts/{requested.uuid}"
    assert post(client, f"{path}/confirm", personas.family, {}).status_code == 403
    assert post(client, f"{path}/confirm", personas.municipal_x, {}).status_code == 403
    assert post(client, f"{path}/confirm", personas.operator_b, {}).status_code == 404
    bad = post(client, f"{path}/confirm", personas.operator_a, {"payment_order": "weekly"})
    assert bad.status_code == 422 and "Допустимые значения" in messages(bad)
    confirmed = post(client, f"{path}/confirm", personas.operator_a, {"payment_order": "full"})
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"

    assert post(client, f"{path}/accept", personas.municipal_x).status_code == 403
    assert post(client, f"{path}/accept", personas.other_family).status_code == 404
    accepted = post(client, f"{path}/accept", personas.family)
    assert accepted.status_code == 200
    detail = accepted.json()
    assert detail["status"] == "active" and detail["status_label"] == "Действует"
    assert detail["certificate_first_month"] == {"kopecks": 300_000, "rubles": "3000.00"}
    assert [e["to_status"] for e in detail["events"]] == ["created", "confirmed", "active"]

    for user, seen in (
        (personas.family, [str(requested.uuid)]),
        (personas.operator_a, [str(requested.uuid)]),
        (personas.municipal_x, [str(requested.uuid)]),
        (personas.other_family, []),
        (personas.operator_b, []),
        (personas.municipal_y, []),
    ):
        assert [c["uuid"] for c in get(client, "/contracts", user).json()["items"]] == seen, user
    assert get(client, path, personas.operator_b).status_code == 404
    assert get(client, path, personas.family).status_code == 200


def test_provider_rejects_with_a_reason_and_the_reserve_returns(client, personas, requested):
    path = f"/contracts/{requested.uuid}/reject"
    bad = post(client, path, personas.operator_a, {"reason": " "})
    assert bad.status_code == 422 and "Укажите причину" in messages(bad)
    assert Contract.objects.get().status == ContractStatus.CREATED
    rejected = post(client, path, personas.operator_a, {"reason": "Группа переполнена"})
    assert rejected.status_code == 200
    assert rejected.json()["status"] == "rejected" and rejected.json()["reserved"]["kopecks"] == 0


def test_family_terminates_an_active_contract(client, personas, requested, clock):
    post(client, f"/contracts/{requested.uuid}/confirm", personas.operator_a, {})
    post(client, f"/contracts/{requested.uuid}/accept", personas.family)
    path = f"/contracts/{requested.uuid}/terminate"
    missing = post(client, path, personas.family, {"on": "2026-09-20"})
    assert missing.status_code == 422 and messages(missing) == "Обязательное поле."
    assert post(client, path, personas.municipal_x, {"reason": "Переезд"}).status_code == 403
    ended = post(client, path, personas.family, {"on": "2026-09-20", "reason": "Переезд"})
    assert ended.status_code == 200
    body = ended.json()
    assert body["status"] == "terminated" and body["ends_on"] == "2026-09-30"
    assert body["reserved"]["kopecks"] == 300_000  # September, still to be billed


# --- Provider: completeness and invoices; operator: close and pay -------------------------------


@pytest.fixture
def active(client, personas, requested):
    post(client, f"/contracts/{requested.uuid}/confirm", personas.operator_a, {})
    post(client, f"/contracts/{requested.uuid}/accept", personas.family)
    return requested


def test_the_month_is_reported_closed_invoiced_and_paid(client, personas, active, period, clock):
    month = "2026-09-01"
    completeness = {"group": str(active.group.uuid), "month": month, "percent": 100}
    assert post(client, "/completeness", personas.family, completeness).status_code == 403
    bad = post(client, "/completeness", personas.operator_a, {**completeness, "percent": 120})
    assert bad.status_code == 422 and messages(bad) == "Значение должно быть не больше 100."
    reported = post(client, "/completeness", personas.operator_a, completeness)
    assert reported.status_code == 200 and reported.json()["percent"] == 100

    advance = post(client, "/invoices", personas.operator_a, {"period": period.pk, "month": month, "kind": "advance"})
    assert advance.status_code == 201 and advance.json()["amount"]["kopecks"] == 240_000  # 80 % of 3 000 ₽
    too_much = {"period": period.pk, "month": month, "kind": "advance", "amount": 1}
    assert post(client, "/invoices", personas.operator_a, too_much).status_code == 422
    assert post(client, "/invoices", personas.operator_b, too_much).status_code == 403

    clock.set(date(2026, 10, 1))
    assert post(client, f"/periods/{period.pk}/close", personas.municipal_y, {"month": month}).status_code == 404
    future = post(client, f"/periods/{period.pk}/close", personas.municipal_x, {"month": "2026-11-01"})
    assert future.status_code == 422 and "начавшийся месяц" in messages(future)
    closed = post(client, f"/periods/{period.pk}/close", personas.municipal_x, {"month": month})
    assert closed.status_code == 200
    assert closed.json()["charged"] == {"kopecks": 300_000, "rubles": "3000.00"} and closed.json()["runs"] == 1

    final = post(client, "/invoices", personas.operator_a, {"period": period.pk, "month": month, "kind": "final"})
    assert final.status_code == 201 and final.json()["amount"]["kopecks"] == 60_000
    code = final.json()["code"]
    assert [i["kind"] for i in get(client, "/invoices", personas.operator_a).json()["items"]] == ["final", "advance"]
    assert get(client, "/invoices", personas.operator_b).json()["items"] == []
    assert post(client, f"/invoices/{code}/pay", personas.operator_a).status_code == 403
    assert post(client, f"/invoices/{code}/pay", personas.operator_b).status_code == 404
    paid = post(client, f"/invoices/{code}/pay", personas.municipal_x)
    assert paid.status_code == 200 and paid.json()["status"] == "paid"
    assert Invoice.objects.get(code=code).paid_at is not None

    payments = get(client, "/finance/payments", personas.municipal_x, period=period.pk, month=month)
    assert payments.status_code == 200
    assert payments.json() == [
        {
            "provider": personas.org_a.short_name,
            "contracts": 1,
            "charged": 300_000,
            "advance": 240_000,
            "final": 60_000,
            "paid": 60_000,
        }
    ]
    outsider = get(client, "/finance/payments", personas.municipal_y, period=period.pk, month=month)
    assert outsider.status_code == 422 and outsider.json()["detail"][0]["loc"] == ["query", "period"]

    report = get(client, "/finance/reports", personas.municipal_x, kind="municipality").json()
    assert report["rows"][0]["issued"] == 3_000_000 and report["rows"][0]["spent"] == 300_000
    assert report["total"]["reserved"] == 2_400_000
    by_program = get(client, "/finance/reports", personas.regional, kind="program").json()
    program = active.group.program
    assert [row["name"] for row in by_program["rows"]] == [
        f"{program.title} ({program.code}, {program.organization.short_name})"
    ]
    assert get(client, "/finance/reports", personas.municipal_y, kind="municipality").json()["rows"] == []
    bad_kind = get(client, "/finance/reports", personas.municipal_x, kind="school")
    assert bad_kind.status_code == 422 and "Допустимые значения" in messages(bad_kind)


MODULE = {"name": "Основной курс", "months": 9, "hours": 72, "weekly_hours": "2", "price": "18000"}


@pytest.mark.parametrize(
    ("path", "persona", "payload", "field"),
    [
        ("/completeness", "operator_a", {"month": "2026-09-01", "percent": 100}, "group"),
        ("/certifications", "operator_a", {"modules": [MODULE]}, "program"),
        ("/providers", "municipal_x", {}, "organization"),
        ("/invoices", "operator_a", {"period": 1, "month": "2026-09-01", "kind": "advance"}, "organization"),
    ],
)
def test_an_object_the_body_names_and_the_caller_cannot_find_is_that_fields_error(
    client, personas, period, path, persona, payload, field
):
    """Unknown or outside scope alike: the data is wrong (422 at the field), not the address (404)."""
    response = post(
        client, path, getattr(personas, persona), {**payload, field: "00000000-0000-4000-8000-000000000000"}
    )
    assert response.status_code == 422, response.json()
    assert [error["loc"] for error in response.json()["detail"]] == [["body", field]]


# A rule about one field of the body is that field's error: a client shows it beside the field.


def test_a_certificate_for_a_child_of_18_is_refused_at_the_child(client, personas, period):
    child = make_child(personas.family, "Петя", age=18)
    response = post(client, "/certificates", personas.family, {"child": str(child.uuid)})
    assert refusals(response) == [(["body", "child"], "Сертификат выдают детям до 18 лет.")]
    assert not Certificate.objects.exists()


def test_a_contract_for_an_application_not_yet_invited_is_refused_at_the_application(
    client, personas, offer, certificate
):
    application = enrollment_services.apply(personas.family, certificate.child, offer.program, offer.group, "k")
    response = post(client, "/contracts", personas.family, {"application": str(application.uuid)})
    message = "Договор заключают, когда ребёнка пригласили или зачислили в группу."
    assert refusals(response) == [(["body", "application"], message)]
    assert not Contract.objects.exists()


def test_completeness_of_a_group_without_contracts_or_of_a_closed_month_is_refused_at_the_field(
    client, personas, active, period, clock
):
    month = "2026-09-01"
    idle = make_group(active.group.program, actor=personas.operator_a, name="Группа без договоров")
    response = post(
        client, "/completeness", personas.operator_a, {"group": str(idle.uuid), "month": month, "percent": 90}
    )
    assert refusals(response) == [(["body", "group"], "В группе нет договоров по сертификатам.")]
    clock.set(date(2026, 10, 1))
    closing.close_month(personas.municipal_x, period, date(2026, 9, 1))
    payload = {"group": str(active.group.uuid), "month": month, "percent": 90}
    response = post(client, "/completeness", personas.operator_a, payload)
    assert refusals(response) == [(["body", "month"], "Месяц уже закрыт: полноту за него изменить нельзя.")]
    assert not Completeness.objects.exists()


def test_certifying_a_program_not_published_or_certified_already_is_refused_at_the_program(client, personas, offer):
    draft = make_program(personas.org_a, "Шахматы", actor=personas.operator_a, status="draft")
    for program, message in [
        (draft, "На сертификацию отправляют опубликованную программу."),
        (offer.program, "Программа уже сертифицирована."),
    ]:
        response = post(
            client, "/certifications", personas.operator_a, {"program": str(program.uuid), "modules": [MODULE]}
        )
        assert refusals(response) == [(["body", "program"], message)]
    assert list(Certification.objects.values_list("program", "status")) == [(offer.program.pk, "certified")]


def test_an_agreement_with_a_provider_excluded_from_the_register_is_refused_at_the_provider(client, personas, period):
    provider = registers.include_provider(personas.municipal_x, personas.org_a)
    Provider.objects.filter(pk=provider.pk).update(status=ProviderStatus.EXCLUDED)
    payload = {"period": period.pk, "provider": str(personas.org_a.uuid), "number": "7-ПФ", "signed_on": "2026-09-01"}
    response = post(client, "/agreements", personas.municipal_x, payload)
    message = "Исполнитель исключён из реестра: соглашение с ним заключить нельзя."
    assert refusals(response) == [(["body", "provider"], message)]
    assert not Agreement.objects.exists()


UNKNOWN = "00000000-0000-4000-8000-000000000000"
PAYMENTS_MONTH = "2026-09-01"
NO_APPLICATION = "Заявка не найдена."
NO_PERIOD = "Период не найден."


def filled(params: dict[str, str], application, period) -> dict[str, str]:
    """A case's query with the test's own application and period put in where it names them."""
    return {name: value.format(application=application.uuid, period=period.pk) for name, value in params.items()}


@pytest.mark.parametrize(
    ("path", "persona", "params", "parameter", "message"),
    [
        ("/contracts/quote", "other_family", {"application": "{application}"}, "application", NO_APPLICATION),
        ("/contracts/quote", "family", {"application": UNKNOWN}, "application", NO_APPLICATION),
        ("/finance/reports", "municipal_y", {"period": "{period}"}, "period", NO_PERIOD),
        ("/finance/reports", "municipal_x", {"period": "999999"}, "period", NO_PERIOD),
        ("/finance/payments", "municipal_y", {"period": "{period}", "month": PAYMENTS_MONTH}, "period", NO_PERIOD),
        ("/finance/payments", "municipal_x", {"period": "999999", "month": PAYMENTS_MONTH}, "period", NO_PERIOD),
    ],
)
def test_an_object_the_query_names_and_the_caller_cannot_find_is_that_parameters_error(
    client, personas, application, period, path, persona, params, parameter, message
):
    """Outside scope or unknown alike: 422 at the parameter, as for a body's field; 404 is only for
    the object of the URL's path."""
    response = get(client, path, getattr(personas, persona), **filled(params, application, period))
    assert response.status_code == 422, response.json()
    assert response.json()["detail"] == [{"loc": ["query", parameter], "msg": message, "type": "invalid"}]


@pytest.mark.parametrize(
    ("path", "persona", "params"),
    [
        ("/contracts/quote", "family", {"application": "{application}"}),
        ("/finance/reports", "municipal_x", {"kind": "program"}),
        ("/finance/payments", "municipal_x", {"period": "{period}", "month": PAYMENTS_MONTH}),
    ],
)
def test_a_parameter_the_query_does_not_take_is_refused(client, personas, application, period, path, persona, params):
    """`perod=…` gave the report of every period instead of one; now the misspelling is named."""
    user = getattr(personas, persona)
    taken = filled(params, application, period)
    assert get(client, path, user, **taken).status_code == 200
    response = get(client, path, user, **taken, perod=period.pk)
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "loc": ["query", "perod"],
            "msg": "Неизвестный параметр: допустимые перечислены в документации (/api/docs).",
            "type": "extra_forbidden",
        }
    ]


# --- Operator: registers -----------------------------------------------------------------------


def test_certification_is_submitted_by_the_organization_and_decided_by_the_municipality(client, personas, period):
    program = make_program(personas.org_a, "Шахматы", actor=personas.operator_a, is_free=False, by_certificate=True)
    payload = {"program": str(program.uuid), "modules": [MODULE]}
    assert post(client, "/certifications", personas.municipal_x, payload).status_code == 403
    assert post(client, "/certifications", personas.family, {**payload, "modules": []}).status_code == 422
    submitted = post(client, "/certifications", personas.operator_a, payload)
    assert submitted.status_code == 200
    body = submitted.json()
    assert body["status"] == "pending" and body["modules"][0]["hours"] == 72

    path = f"/certifications/{body['id']}/decision"
    assert post(client, path, personas.operator_a, {"certify": True, "hourly_cost": "250"}).status_code == 403
    assert post(client, path, personas.municipal_y, {"certify": True, "hourly_cost": "250"}).status_code == 404
    assert get(client, "/certifications", personas.operator_b).json()["items"] == []
    no_cost = post(client, path, personas.municipal_x, {"certify": True})
    assert no_cost.status_code == 422 and "стоимость часа" in messages(no_cost)
    certified = post(client, path, personas.municipal_x, {"certify": True, "hourly_cost": "250"})
    assert certified.status_code == 200
    assert certified.json()["status"] == "certified" and certified.json()["normative_cost"] == "18000.00"
    assert Program.objects.get(pk=program.pk).by_certificate
    assert [c["id"] for c in get(client, "/certifications", personas.municipal_x).json()["items"]] == [body["id"]]


def test_the_municipality_keeps_the_register_of_providers_and_signs_agreements(client, personas, period):
    payload = {"organization": str(personas.org_a.uuid)}
    assert post(client, "/providers", personas.operator_a, payload).status_code == 403
    bad = post(client, "/providers", personas.municipal_x, {**payload, "bik": "12"})
    assert bad.status_code == 422 and messages(bad) == "БИК — 9 цифр."
    assert not Provider.objects.exists()
    included = post(client, "/providers", personas.municipal_x, payload)
    assert included.status_code == 200 and included.json()["status"] == "active"

    agreement = {"period": period.pk, "provider": str(personas.org_a.uuid), "number": "7-ПФ", "signed_on": "2026-09-01"}
    for outsider in (personas.municipal_y, personas.operator_a):  # the period in the body: a field's error
        refused = post(client, "/agreements", outsider, agreement)
        assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["body", "period"]
    unknown = post(client, "/agreements", personas.municipal_x, {**agreement, "provider": str(personas.org_b.uuid)})
    assert unknown.status_code == 422 and "реестре исполнителей" in messages(unknown)
    signed = post(client, "/agreements", personas.municipal_x, agreement)
    assert signed.status_code == 200 and signed.json()["number"] == "7-ПФ"
    assert Agreement.objects.get().provider.organization == personas.org_a


def test_anonymous_callers_get_401(client, period):
    for path in ("/certificates", "/contracts", "/invoices", "/certifications", "/finance/reports"):
        assert client.get(API + path).status_code == 401, path


def test_the_openapi_schema_lists_the_finance_paths(client):
    paths = client.get(f"{API}/openapi.json").json()["paths"]
    for path in (
        "/api/v1/certificates",
        "/api/v1/certificates/{uuid}",
        "/api/v1/certificates/{uuid}/confirm",
        "/api/v1/contracts",
        "/api/v1/contracts/quote",
        "/api/v1/contracts/{uuid}",
        "/api/v1/contracts/{uuid}/confirm",
        "/api/v1/contracts/{uuid}/accept",
        "/api/v1/contracts/{uuid}/reject",
        "/api/v1/contracts/{uuid}/terminate",
        "/api/v1/completeness",
        "/api/v1/invoices",
        "/api/v1/invoices/{code}/pay",
        "/api/v1/certifications",
        "/api/v1/certifications/{certification_id}/decision",
        "/api/v1/providers",
        "/api/v1/agreements",
        "/api/v1/periods/{period_id}/close",
        "/api/v1/finance/reports",
        "/api/v1/finance/payments",
    ):
        assert path in paths, path
    detail = paths["/api/v1/contracts/{uuid}"]["get"]["responses"]["200"]
    assert "$ref" in json.dumps(detail)
    # What a query string names is its parameter's error (422), never the address's 404.
    for path in ("/api/v1/contracts/quote", "/api/v1/finance/reports", "/api/v1/finance/payments"):
        assert set(paths[path]["get"]["responses"]) == {"200", "401", "422"}, path
