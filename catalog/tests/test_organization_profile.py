"""An organization keeps what families read of it — a description, contacts, accessibility — in the office
(`/office/organization/`) and the API (`PATCH /api/v1/organizations/{code}`), through one audited action; its names,
legal details and address stay the administrator's."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from catalog import directory, services
from catalog.models import Organization
from catalog.tests.test_api import send
from core.models import AuditEvent
from core.testing import make_program

pytestmark = pytest.mark.django_db

URL = "/office/organization/"


def test_the_profile_is_saved_field_by_field_and_audited_with_the_fields_changed(personas):
    organization = Organization.objects.get(pk=personas.org_a.pk)
    organization.description = "  Кружки для всех.  "
    organization.website = "https://raduga.example"
    organization.accessibility_notes = "Пандус у главного входа."
    assert services.save_organization_profile(personas.operator_a, organization) == [
        "description",
        "website",
        "accessibility_notes",
    ]
    stored = Organization.objects.get(pk=organization.pk)
    assert stored.description == "Кружки для всех." and stored.updated_at > personas.org_a.updated_at
    event = AuditEvent.objects.get(action="organization.profile_changed")
    assert event.data["fields"] == ["description", "website", "accessibility_notes"]
    # Sent again as it is: nothing written, nothing audited.
    assert services.save_organization_profile(personas.operator_a, stored) == []
    assert AuditEvent.objects.filter(action="organization.profile_changed").count() == 1


def test_a_bad_address_is_refused_at_its_field_and_changes_nothing(personas):
    organization = Organization.objects.get(pk=personas.org_a.pk)
    organization.email, organization.description = "не почта", "Новое описание"
    with pytest.raises(ValidationError) as refused:
        services.save_organization_profile(personas.operator_a, organization)
    assert list(refused.value.message_dict) == ["email"]
    assert Organization.objects.get(pk=organization.pk).description == ""


def test_accessibility_reaches_the_list_of_organizations(personas):
    make_program(personas.org_a)
    ovz = directory.DirectoryParams(ovz=True)
    assert directory.find_organizations(ovz, 20).organizations == []
    organization = Organization.objects.get(pk=personas.org_a.pk)
    organization.accessible_for_ovz = True
    services.save_organization_profile(personas.operator_a, organization)
    assert [o.pk for o in directory.find_organizations(ovz, 20).organizations] == [organization.pk]


def test_the_operator_keeps_the_card_in_the_office_and_families_read_it(client, personas):
    client.force_login(personas.operator_a)
    page = client.get(URL).content.decode()
    assert "Карточка организации" in page and personas.org_a.full_name in page and personas.org_a.inn in page
    assert 'name="inn"' not in page and 'name="address"' not in page  # the administrator's
    form = {
        "description": "Дом творчества в центре Энска.",
        "phone": "+7 (900) 123-45-67",
        "email": "raduga@example.ru",
        "website": "raduga.example",  # the scheme assumed
        "accessible_for_ovz": "on",
        "accessibility_notes": "Пандус, лифт.",
    }
    response = client.post(URL, form, follow=True)
    assert response.redirect_chain == [(URL, 302)]
    assert "Карточка организации сохранена." in response.content.decode()
    public = client.get(reverse("navigator:organization", args=[personas.org_a.code])).content.decode()
    assert "Дом творчества в центре Энска." in public and "https://raduga.example" in public
    assert "Организация доступна для детей с ограниченными возможностями здоровья." in public
    assert "Изменений нет." in client.post(URL, form, follow=True).content.decode()


def test_a_mistake_is_said_at_its_field_and_nothing_is_saved(client, personas):
    client.force_login(personas.operator_a)
    page = client.post(URL, {"email": "почта@", "description": "Новое"}).content.decode()
    assert "Не сохранено: исправьте ошибки" in page and "Введите правильный адрес электронной почты." in page
    assert Organization.objects.get(pk=personas.org_a.pk).description == ""


def test_scope_outsider_read_only_and_several_organizations(client, personas):
    client.force_login(personas.operator_b)
    assert client.get(URL, {"organization": personas.org_a.code}).status_code == 403  # public, not theirs
    Organization.objects.filter(pk=personas.org_a.pk).update(is_active=False)
    assert client.get(URL, {"organization": personas.org_a.code}).status_code == 404  # not even seen
    for reader in (personas.teacher_a, personas.municipal_x, personas.family):
        client.force_login(reader)
        assert client.get(URL).status_code == 403
    client.force_login(personas.admin)  # operates every organization: chooses first
    choice = client.get(URL).content.decode()
    assert "Выберите организацию" in choice and f'href="?organization={personas.org_b.code}"' in choice
    chosen = client.post(URL + f"?organization={personas.org_b.code}", {"description": "Станция."})
    assert chosen["Location"] == URL + f"?organization={personas.org_b.code}"
    assert Organization.objects.get(pk=personas.org_b.pk).description == "Станция."


def test_the_api_changes_the_fields_sent_for_the_organizations_operators(client, personas):
    path = f"/organizations/{personas.org_a.code}"
    response = send(
        client, "patch", path, {"phone": "+7 (900) 765-43-21", "accessible_for_ovz": True}, personas.operator_a
    )
    assert response.status_code == 200, response.content
    assert response.json()["phone"] == "+7 (900) 765-43-21" and response.json()["accessible_for_ovz"] is True
    stored = Organization.objects.get(pk=personas.org_a.pk)
    assert stored.email == personas.org_a.email  # not sent: kept
    event = AuditEvent.objects.get(action="organization.profile_changed")
    assert event.data["fields"] == ["phone", "accessible_for_ovz"]
    refused = send(client, "patch", path, {"website": "ftp//нет"}, personas.operator_a)
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"][-1] == "website"
    assert send(client, "patch", path, {"accessible_for_ovz": None}, personas.operator_a).status_code == 422
    assert send(client, "patch", path, {"inn": "7707083893"}, personas.operator_a).status_code == 422  # not theirs
    assert send(client, "patch", path, {"phone": "1"}, personas.operator_b).status_code == 403
    assert send(client, "patch", path, {"phone": "1"}).status_code == 401
    assert send(client, "patch", "/organizations/OR-NONE00", {"phone": "1"}, personas.operator_a).status_code == 404
