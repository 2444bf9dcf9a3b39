"""Errors answer in Russian, in the site's layout, and the office is closed to those without work there."""

from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse

from core.testing import PASSWORD


def test_an_unknown_page_is_a_russian_404_with_a_way_to_search(client, db):
    response = client.get("/programs/PR-NOPE00/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Страница не найдена" in page
    assert reverse("navigator:search") in page
    assert "Not Found" not in page


def test_a_forbidden_action_explains_itself_in_russian(client, personas):
    client.force_login(personas.family)
    response = client.get(reverse("office:home"))
    assert response.status_code == 403
    page = response.content.decode()
    assert "Доступ закрыт" in page
    assert "Кабинет — для сотрудников" in page
    assert reverse("family:cabinet") in page  # a family is shown the way to its own pages


@pytest.mark.parametrize("path", ["/office/", "/office/programs/", "/office/applications/", "/office/campaigns/"])
def test_the_office_is_closed_to_a_family_and_asks_a_guest_to_sign_in(client, personas, path):
    assert client.get(path).status_code == 302
    assert client.get(path)["Location"].startswith(reverse("accounts:login"))
    client.force_login(personas.family)
    assert client.get(path).status_code == 403


def test_the_office_stays_open_to_staff(client, personas):
    for person in (personas.operator_a, personas.teacher_a, personas.municipal_x, personas.methodologist):
        client.force_login(person)
        assert client.get(reverse("office:home")).status_code == 200


def test_a_server_error_is_a_russian_page_that_needs_no_request(personas):
    client = Client(raise_request_exception=False)
    with mock.patch("catalog.views.search_programs", side_effect=RuntimeError("boom")):
        response = client.get(reverse("navigator:search"))
    assert response.status_code == 500
    assert "Ошибка на сервере" in response.content.decode()


def test_a_stale_form_is_explained_not_a_csrf_trace(personas):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("accounts:login"), {"username": "family@opora.test", "password": PASSWORD})
    assert response.status_code == 403
    assert "Форма устарела" in response.content.decode()
