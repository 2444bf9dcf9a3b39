"""A parent registers, confirms the e-mail from the letter, and is signed in; consent is recorded."""

import re

import pytest
from django.core import mail, signing
from django.urls import reverse

from accounts.consent import CONSENT_VERSION
from accounts.models import Consent, Role, RoleAssignment, User
from accounts.services import CONFIRMATION_SALT
from people.models import Guardian

pytestmark = pytest.mark.django_db

FORM = {
    "email": "Mama@Example.ru",
    "last_name": "Иванова",
    "first_name": "Анна",
    "patronymic": "Сергеевна",
    "phone": "+7 (900) 123-45-67",
    "password1": "ochen-dlinny-parol-42",
    "password2": "ochen-dlinny-parol-42",
    "consent": "on",
}


@pytest.fixture
def form(personas):
    return {**FORM, "municipality": personas.municipality_x.pk}


def test_registration_creates_an_inactive_parent_with_consent_and_sends_a_link(
    client, form, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:register"), form)
    assert response.status_code == 200 and "Почти готово" in response.content.decode()
    user = User.objects.get(email="mama@example.ru")
    assert not user.is_active
    assert RoleAssignment.objects.filter(user=user, role=Role.GUARDIAN).exists()
    assert Guardian.objects.get(user=user).municipality_id == form["municipality"]
    consent = Consent.objects.get(user=user)
    assert consent.text_version == CONSENT_VERSION and consent.accepted_at is not None
    [letter] = mail.outbox
    link = re.search(r"http://testserver(/accounts/confirm/\S+/)", letter.body)
    assert link is not None
    assert not client.login(email="mama@example.ru", password=FORM["password1"])  # not before confirming
    response = client.get(link.group(1))
    assert response.status_code == 302 and response["Location"] == reverse("family:cabinet")
    user.refresh_from_db()
    assert user.is_active
    assert client.get(reverse("family:cabinet")).status_code == 200


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"consent": ""}, "Без согласия"),
        ({"password2": "другой-пароль-123"}, "Пароли не совпадают"),
        ({"password1": "123", "password2": "123"}, "пароль"),
        ({"email": "family@opora.test"}, "уже есть учётная запись"),
        ({"municipality": ""}, "Обязательное поле"),
    ],
)
def test_bad_registrations_explain_and_create_nothing(client, form, change, message):
    users = User.objects.count()
    response = client.post(reverse("accounts:register"), {**form, **change})
    assert response.status_code == 200
    html = response.content.decode()
    assert message.lower() in html.lower()
    assert User.objects.count() == users and not Consent.objects.exists()
    # The page opens on a summary; each field in error is marked and names its message for screen readers.
    assert 'id="form-errors"' in html and "Не сохранено: исправьте ошибки" in html
    for field in re.findall(r'<(?:input|select)[^>]*aria-invalid="true"[^>]*>', html):
        described = re.search(r'aria-describedby="([^"]*_error)"', field)
        assert described is not None and f'id="{described[1]}"' in html, field


def test_a_broken_or_foreign_link_confirms_nothing(client, form, django_capture_on_commit_callbacks):
    client.post(reverse("accounts:register"), form)
    user = User.objects.get(email="mama@example.ru")
    forged = signing.dumps(user.pk, salt="something-else")
    for token in ("garbage", forged):
        response = client.get(reverse("accounts:confirm", args=[token]))
        assert response.status_code == 400 and "Ссылка" in response.content.decode()
    assert signing.loads(signing.dumps(user.pk, salt=CONFIRMATION_SALT), salt=CONFIRMATION_SALT) == user.pk
    user.refresh_from_db()
    assert not user.is_active
