"""A parent registers, confirms the e-mail from the letter, and is signed in; consent is recorded."""

import re

import pytest
from django.core import mail, signing
from django.urls import reverse

from accounts.consent import CONSENT_VERSION
from accounts.models import Consent, Role, RoleAssignment, User
from accounts.services import CONFIRMATION_SALT
from core.models import AuditEvent
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
        response = client.post(reverse("accounts:register"), form, follow=True)
    # The answer is a page of its own: reloading it does not register again.
    assert response.redirect_chain == [(reverse("accounts:registered"), 302)]
    assert "Почти готово" in response.content.decode() and "mama@example.ru" in response.content.decode()
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


def test_a_parent_registering_from_a_program_comes_back_to_it_after_adding_a_child(
    client, form, personas, published_program, django_capture_on_commit_callbacks
):
    program_page = reverse("navigator:program", args=[published_program.code])
    page = client.get(program_page).content.decode()
    register = f"{reverse('accounts:register')}?next={program_page}%23apply"
    assert f'href="{register}"' in page
    assert '<input type="hidden" name="next" value="/programs/' in client.get(register).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:register"), {**form, "next": f"{program_page}#apply"})
    link = re.search(r"http://testserver(/accounts/confirm/\S+)", mail.outbox[-1].body)
    assert link is not None and link.group(1).endswith(
        "?next=" + f"{program_page}#apply".replace("/", "%2F").replace("#", "%23")
    )
    response = client.get(link.group(1), follow=True)
    child_form = f"{reverse('family:child_new')}?next={program_page.replace('/', '%2F')}%23apply"
    assert response.redirect_chain == [(child_form, 302)]
    assert "Адрес подтверждён. Добавьте ребёнка — и можно записываться." in response.content.decode()
    # A crafted link to another site confirms the address and goes to the cabinet.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:register"), {**form, "email": "papa@example.ru", "next": "//evil.example/"})
    link = re.search(r"http://testserver(/accounts/confirm/\S+)", mail.outbox[-1].body)
    assert link is not None and "evil" not in link.group(1)
    client.logout()
    response = client.get(link.group(1) + "?next=https://evil.example/")
    assert response["Location"] == reverse("family:cabinet")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"consent": ""}, "Без согласия"),
        ({"password2": "другой-пароль-123"}, "Пароли не совпадают"),
        ({"password1": "123", "password2": "123"}, "пароль"),
        ({"email": "family@opora.test"}, "уже есть учётная запись"),
        ({"municipality": ""}, "Обязательное поле"),
        ({"phone": "abc"}, "Укажите телефон цифрами"),
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


def test_the_registered_page_without_a_registration_leads_to_the_form(client):
    assert client.get(reverse("accounts:registered"))["Location"] == reverse("accounts:register")


def sign_in(client, email: str, password: str):
    return client.post(reverse("accounts:login"), {"username": email, "password": password}, follow=True)


def test_an_address_signs_in_in_any_case_and_a_wrong_password_says_nothing_about_the_account(client, form):
    client.post(reverse("accounts:register"), form)
    User.objects.filter(email="mama@example.ru").update(is_active=True)
    response = sign_in(client, " MAMA@example.RU ", FORM["password1"])
    assert response.context["user"].email == "mama@example.ru"
    client.logout()
    for email, password in (("mama@example.ru", "не-тот-пароль"), ("nobody@example.ru", FORM["password1"])):
        page = sign_in(client, email, password).content.decode()
        assert "Неверный адрес электронной почты или пароль." in page and "не подтверждён" not in page


def test_signing_in_before_confirming_says_so_and_sends_the_link_again_once_in_a_while(
    client, form, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:register"), form)
        first = sign_in(client, "mama@example.ru", FORM["password1"]).content.decode()
        second = sign_in(client, "mama@example.ru", FORM["password1"]).content.decode()
    assert "Адрес mama@example.ru ещё не подтверждён" in first and "Мы отправили письмо ещё раз." in first
    assert "Письмо уже отправлено" in second  # not a letter on every attempt
    assert [letter.subject for letter in mail.outbox] == ["Подтвердите адрес электронной почты"] * 2
    assert "Неверный адрес" in sign_in(client, "mama@example.ru", "не-тот-пароль").content.decode()
    assert not User.objects.get(email="mama@example.ru").is_active


def test_a_parent_who_forgot_the_password_sets_a_new_one_from_the_letter(
    client, form, django_capture_on_commit_callbacks
):
    client.post(reverse("accounts:register"), form)
    User.objects.filter(email="mama@example.ru").update(is_active=True)
    assert 'href="/accounts/password/"' in client.get(reverse("accounts:login")).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:password_reset"), {"email": "Mama@Example.ru"}, follow=True)
        client.post(reverse("accounts:password_reset"), {"email": "nobody@example.ru"})  # the same answer, no letter
    assert "Проверьте почту" in response.content.decode()
    [letter] = mail.outbox
    assert (
        letter.to == ["mama@example.ru"] and letter.subject == "Новый пароль в навигаторе дополнительного образования"
    )
    link = re.search(r"http://testserver(/accounts/password/\S+/)", letter.body)
    assert link is not None
    page = client.get(link[1], follow=True)  # Django hides the token behind a redirect of its own
    new_password = "sovsem-novy-parol-77"
    response = client.post(
        page.redirect_chain[-1][0], {"new_password1": new_password, "new_password2": new_password}, follow=True
    )
    assert "Пароль сохранён" in response.content.decode()
    assert AuditEvent.objects.filter(action="account.password_reset", actor__email="mama@example.ru").exists()
    assert sign_in(client, "mama@example.ru", new_password).context["user"].is_authenticated
    client.logout()
    assert "Ссылка уже использована" in client.get(link[1], follow=True).content.decode()
