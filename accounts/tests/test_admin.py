"""Users, roles and API tokens in the admin: e-mails as sign-in reads them, accounts switched on and
off in the audit log, tokens revoked as their owners revoke them."""

from django.test import Client
from django.urls import reverse

from accounts import services
from accounts.models import ApiToken, User
from catalog.tests.test_admin import form_data
from core.models import AuditEvent
from core.testing import PASSWORD


def test_an_email_changed_in_the_admin_is_kept_in_small_letters_and_signs_in(admin_client, personas):
    user = personas.operator_b
    url = reverse("admin:accounts_user_change", args=[user.pk])
    response = admin_client.post(url, {**form_data(admin_client.get(url)), "email": "NewOp@Example.ru"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.email == "newop@example.ru"
    assert Client().login(username="NewOp@Example.ru", password=PASSWORD)


def test_an_email_of_another_user_in_other_letters_is_refused(admin_client, personas):
    url = reverse("admin:accounts_user_change", args=[personas.operator_b.pk])
    response = admin_client.post(url, {**form_data(admin_client.get(url)), "email": "Operator-A@Opora.TEST"})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["email"] == ["Пользователь с такой почтой уже есть."]
    personas.operator_b.refresh_from_db()
    assert personas.operator_b.email == "operator-b@opora.test"


def test_users_are_switched_off_and_on_by_actions_in_the_audit_log(admin_client, personas):
    url = reverse("admin:accounts_user_changelist")
    chosen = [personas.operator_a.pk, personas.operator_b.pk, personas.admin.pk]
    response = admin_client.post(url, {"action": "deactivate_users", "_selected_action": chosen}, follow=True)
    assert "Свою учётную запись отключить нельзя" in response.content.decode()
    assert set(User.objects.filter(is_active=False)) == {personas.operator_a, personas.operator_b}
    events = AuditEvent.objects.filter(action="user.deactivated", actor=personas.admin)
    assert sorted(events.values_list("object_id", flat=True)) == sorted(str(pk) for pk in chosen[:2])
    assert not Client().login(username="operator-a@opora.test", password=PASSWORD)

    admin_client.post(url, {"action": "activate_users", "_selected_action": chosen[:1]})
    personas.operator_a.refresh_from_db()
    assert personas.operator_a.is_active
    assert AuditEvent.objects.filter(action="user.activated", object_id=str(personas.operator_a.pk)).count() == 1


def test_the_user_page_has_no_django_groups_or_permissions(admin_client, personas):
    page = admin_client.get(reverse("admin:accounts_user_change", args=[personas.operator_a.pk]))
    fields = page.context["adminform"].form.fields
    assert "groups" not in fields and "user_permissions" not in fields
    assert {"is_active", "is_staff", "is_superuser"} <= set(fields)


def test_deleting_an_api_token_in_the_admin_revokes_it_as_the_office_does(admin_client, personas):
    one, _ = services.issue_api_token(personas.operator_a, personas.operator_a, "Выгрузка")
    two, _ = services.issue_api_token(personas.operator_a, personas.operator_a, "Сайт")
    three, _ = services.issue_api_token(personas.operator_a, personas.operator_a, "Бот")
    response = admin_client.post(reverse("admin:accounts_apitoken_delete", args=[one.pk]), {"post": "yes"})
    assert response.status_code == 302
    response = admin_client.post(
        reverse("admin:accounts_apitoken_changelist"),
        {"action": "delete_selected", "_selected_action": [two.pk, three.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not ApiToken.objects.exists()
    revoked = AuditEvent.objects.filter(action="api_token.revoked", actor=personas.admin)
    assert sorted(revoked.values_list("data__name", flat=True)) == ["Бот", "Выгрузка", "Сайт"]
    assert not AuditEvent.objects.filter(action="admin.deleted").exists()  # recorded once, by the action
    page = admin_client.get(reverse("admin:accounts_apitoken_changelist")).content.decode()
    assert "last used" not in page.lower()
