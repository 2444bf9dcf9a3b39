"""Signing in and the person's own API tokens."""

import pytest
from django.urls import reverse

from accounts.models import ApiToken, hash_token
from core.models import AuditEvent
from core.testing import PASSWORD, make_child


def test_the_login_page_signs_in_by_email_and_opens_the_office(client, personas):
    assert client.get(reverse("accounts:login")).status_code == 200
    response = client.post(
        reverse("accounts:login"), {"username": "operator-a@opora.test", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("office:home")


@pytest.mark.parametrize(
    ("email", "page"),
    [
        ("family@opora.test", "family:cabinet"),
        ("teacher-a@opora.test", "office:home"),
        ("municipal-x@opora.test", "office:home"),
        ("methodologist@opora.test", "office:home"),
    ],
)
def test_signing_in_leads_each_person_to_their_own_pages(client, personas, email, page):
    make_child(personas.family)  # a family registers with its guardian's record
    response = client.post(reverse("accounts:login"), {"username": email, "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == reverse(page)
    assert response.status_code == 200


def test_signing_in_returns_to_the_page_that_asked_for_it(client, personas):
    response = client.post(
        reverse("accounts:login") + "?next=/family/",
        {"username": "family@opora.test", "password": PASSWORD, "next": "/family/"},
    )
    assert response["Location"] == "/family/"


def test_a_wrong_password_is_reported_in_russian(client, personas):
    response = client.post(reverse("accounts:login"), {"username": "operator-a@opora.test", "password": "wrong"})
    assert response.status_code == 200
    assert "Неверный адрес электронной почты или пароль" in response.content.decode()


def test_a_guest_is_sent_to_sign_in_from_the_tokens_page(client, db):
    response = client.get(reverse("accounts:api_tokens"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_a_person_issues_a_token_and_sees_it_only_once(client, personas):
    client.force_login(personas.operator_a)
    response = client.post(reverse("accounts:api_tokens"), {"name": "Выгрузка в РМЦ"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    raw = response.context["raw_token"]
    token = ApiToken.objects.get(user=personas.operator_a)
    assert token.digest == hash_token(raw)
    assert token.name == "Выгрузка в РМЦ"
    assert raw in response.content.decode()
    assert AuditEvent.objects.filter(action="api_token.issued", object_id=str(token.pk)).exists()

    page = client.get(reverse("accounts:api_tokens")).content.decode()
    assert raw not in page
    assert f"opora_{token.prefix}…" in page


def test_a_token_needs_a_name(client, personas):
    client.force_login(personas.operator_a)
    response = client.post(reverse("accounts:api_tokens"), {"name": "  "})
    assert "name" in response.context["form"].errors
    assert 'id="id_name_error"' in response.content.decode()
    assert not ApiToken.objects.exists()


def test_the_list_shows_only_ones_own_tokens(client, personas):
    ApiToken.issue(personas.operator_a, "Свой")
    ApiToken.issue(personas.operator_b, "Чужой")
    client.force_login(personas.operator_a)
    tokens = client.get(reverse("accounts:api_tokens")).context["tokens"]
    assert [t.name for t in tokens] == ["Свой"]


def test_a_person_revokes_their_own_token(client, personas):
    token, _ = ApiToken.issue(personas.operator_a, "Старый")
    client.force_login(personas.operator_a)
    response = client.post(reverse("accounts:revoke_api_token", args=[token.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("accounts:api_tokens")
    assert not ApiToken.objects.filter(pk=token.pk).exists()
    assert any("отозван" in str(m) for m in response.context["messages"])
    assert AuditEvent.objects.filter(action="api_token.revoked", object_id=str(token.pk)).exists()


def test_someone_elses_token_cannot_be_revoked(client, personas):
    token, _ = ApiToken.issue(personas.operator_b, "Чужой")
    client.force_login(personas.operator_a)
    assert client.post(reverse("accounts:revoke_api_token", args=[token.pk])).status_code == 404
    assert ApiToken.objects.filter(pk=token.pk).exists()


def test_revoking_needs_a_post(client, personas):
    token, _ = ApiToken.issue(personas.operator_a, "Свой")
    client.force_login(personas.operator_a)
    assert client.get(reverse("accounts:revoke_api_token", args=[token.pk])).status_code == 405
    assert ApiToken.objects.filter(pk=token.pk).exists()
