"""«Избранное»: a parent keeps programs to compare and come back to, from the program page, the cabinet and the
API; the cabinet says how each takes applications now. The parent's own: nobody else reads or removes it."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from catalog.models import Group, Program
from core.models import AuditEvent
from core.testing import make_program
from enrollment import admission, shortlist
from enrollment.models import SavedProgram
from enrollment.tests.test_watches import API, bearer, opens_later
from people.models import Guardian

pytestmark = pytest.mark.django_db


@pytest.fixture
def chess(personas) -> Program:
    """Published, taking applications."""
    return make_program(personas.org_a, "Шахматы", actor=personas.operator_a)


# --- Rules ---------------------------------------------------------------------------------------


def test_a_parent_saves_a_program_once_and_it_is_audited(personas, chess):
    kept, created = shortlist.save(personas.family, chess)
    again, created_again = shortlist.save(personas.family, chess)
    assert (created, created_again, again) == (True, False, kept)
    assert (kept.user, kept.program) == (personas.family, chess)
    [event] = AuditEvent.objects.filter(action="saved_program.added")
    assert (event.actor, event.data["program"]) == (personas.family, chess.code)


def test_the_database_keeps_a_program_once_per_parent(personas, chess):
    shortlist.save(personas.family, chess)
    with pytest.raises(IntegrityError), transaction.atomic():
        SavedProgram.objects.create(user=personas.family, program=chess)
    assert shortlist.save(personas.other_family, chess)[1]  # another parent keeps it too


@pytest.mark.parametrize("persona", ["operator_a", "municipal_x", "teacher_a", "admin"])
def test_only_a_parent_saves(personas, chess, persona):
    with pytest.raises(PermissionDenied, match="родители"):
        shortlist.save(getattr(personas, persona), chess)
    assert not SavedProgram.objects.exists()


def test_removing_is_the_parents_own_and_audited(personas, chess):
    kept, _ = shortlist.save(personas.family, chess)
    with pytest.raises(PermissionDenied):
        shortlist.remove(personas.other_family, kept)
    shortlist.remove(personas.family, kept)
    assert not SavedProgram.objects.exists()
    assert AuditEvent.objects.filter(action="saved_program.removed", actor=personas.family).count() == 1


def test_the_list_says_how_each_program_takes_applications_now(personas, chess):
    later = opens_later(make_program(personas.org_a, "Хор", actor=personas.operator_a))
    shortlist.save(personas.family, chess)
    shortlist.save(personas.family, later)
    shortlist.save(personas.other_family, chess)
    kept = shortlist.saved_of(personas.family)
    assert [k.program for k in kept] == [later, chess]  # the latest saved first
    assert kept[1].admission.takes_applications
    opens = Group.objects.filter(program=later).values_list("enrollment_opens_at", flat=True).get()
    assert not kept[0].admission.takes_applications
    assert kept[0].admission.note == f"Приём заявок откроется {admission.moment(opens)}."


# --- Pages ---------------------------------------------------------------------------------------


@pytest.fixture
def parent(client, personas):
    """The persona family signed in, with its cabinet (a Guardian record)."""
    Guardian.objects.create(user=personas.family, last_name="Тест", first_name="Мама")
    client.force_login(personas.family)
    return client


def test_the_program_page_saves_and_removes_for_a_parent(client, personas, chess):
    page = reverse("navigator:program", args=[chess.code])
    assert "В избранное" not in client.get(page).content.decode()  # a guest
    client.force_login(personas.family)
    assert "В избранное</button>" in client.get(page).content.decode()
    response = client.post(reverse("family:save_program", args=[chess.code]), follow=True)
    assert response.redirect_chain == [(f"{page}#apply", 302)]
    html = response.content.decode()
    assert "Программа сохранена в избранное." in html and "Убрать из избранного" in html
    kept = SavedProgram.objects.get(user=personas.family)
    response = client.post(reverse("family:forget_saved", args=[kept.pk]), {"next": f"{page}#apply"}, follow=True)
    assert response.redirect_chain == [(f"{page}#apply", 302)]
    html = response.content.decode()
    assert "Программа «Шахматы» убрана из избранного." in html and "В избранное</button>" in html
    assert not SavedProgram.objects.exists()


def test_staff_are_not_offered_to_save(client, personas, chess):
    client.force_login(personas.operator_a)
    assert "В избранное" not in client.get(reverse("navigator:program", args=[chess.code])).content.decode()
    assert client.post(reverse("family:save_program", args=[chess.code])).status_code == 403
    assert not SavedProgram.objects.exists()


def test_a_program_the_parent_cannot_read_is_not_found(client, personas):
    draft = make_program(personas.org_a, "Черновик", status="draft", actor=personas.operator_a)
    client.force_login(personas.family)
    assert client.post(reverse("family:save_program", args=[draft.code])).status_code == 404


def test_the_cabinet_lists_the_saved_programs_with_a_way_to_apply(parent, personas, chess):
    client = parent
    later = opens_later(make_program(personas.org_a, "Хор", actor=personas.operator_a))
    kept, _ = shortlist.save(personas.family, chess)
    shortlist.save(personas.family, later)
    html = client.get(reverse("family:cabinet")).content.decode()
    assert '<h2 id="saved-title">Избранное</h2>' in html
    assert f'href="{reverse("navigator:program", args=[chess.code])}#apply">Записаться</a>' in html
    assert "Приём заявок откроется" in html  # the choir's, as its page says
    response = client.post(reverse("family:forget_saved", args=[kept.pk]), follow=True)
    assert response.redirect_chain == [(reverse("family:cabinet"), 302)]
    assert "Программа «Шахматы» убрана из избранного." in response.content.decode()
    assert list(SavedProgram.objects.values_list("program__title", flat=True)) == ["Хор"]


def test_an_empty_list_says_how_to_fill_it(parent):
    assert "кнопка «В избранное» — на странице программы" in parent.get(reverse("family:cabinet")).content.decode()


def test_another_familys_saved_program_is_not_found(client, personas, chess):
    theirs, _ = shortlist.save(personas.other_family, chess)
    client.force_login(personas.family)
    assert client.post(reverse("family:forget_saved", args=[theirs.pk])).status_code == 404
    assert SavedProgram.objects.filter(pk=theirs.pk).exists()


def test_the_admin_finds_saved_programs_and_changes_none(admin_client, personas, chess):
    kept, _ = shortlist.save(personas.family, chess)
    url = reverse("admin:enrollment_savedprogram_changelist")
    assert "Шахматы" in admin_client.get(url, {"q": chess.code}).content.decode()
    assert admin_client.get(reverse("admin:enrollment_savedprogram_add")).status_code == 403
    assert admin_client.post(reverse("admin:enrollment_savedprogram_delete", args=[kept.pk])).status_code == 403
    assert SavedProgram.objects.exists()


# --- API -----------------------------------------------------------------------------------------


def test_the_api_saves_once_lists_and_removes_the_callers_own(client, personas, chess):
    headers = bearer(personas.family)
    created = client.post(f"{API}/programs/{chess.code}/save", headers=headers)
    assert created.status_code == 201
    again = client.post(f"{API}/programs/{chess.code.lower()}/save", headers=headers)
    assert again.status_code == 200 and again.json()["id"] == created.json()["id"]
    theirs, _ = shortlist.save(personas.other_family, chess)
    body = client.get(f"{API}/saved-programs", headers=headers).json()
    assert [(item["id"], item["program"]["code"]) for item in body["items"]] == [(created.json()["id"], chess.code)]
    assert client.delete(f"{API}/saved-programs/{theirs.pk}", headers=headers).status_code == 404
    assert client.delete(f"{API}/saved-programs/{created.json()['id']}", headers=headers).status_code == 204
    assert list(SavedProgram.objects.values_list("pk", flat=True)) == [theirs.pk]


def test_the_api_refuses_staff_guests_and_unknown_programs(client, personas, chess):
    assert client.post(f"{API}/programs/{chess.code}/save").status_code == 401
    assert client.post(f"{API}/programs/{chess.code}/save", headers=bearer(personas.operator_a)).status_code == 403
    assert client.post(f"{API}/programs/PR-000000/save", headers=bearer(personas.family)).status_code == 404
    assert client.get(f"{API}/saved-programs").status_code == 401
    assert not SavedProgram.objects.exists()


def test_a_saved_program_archived_stays_until_the_parent_removes_it(parent, personas, chess):
    shortlist.save(personas.family, chess)
    Program.objects.filter(pk=chess.pk).update(status="archived", updated_at=timezone.now() - timedelta(days=1))
    [kept] = shortlist.saved_of(personas.family)
    assert kept.admission.note == "Запись закрыта: программа в архиве."
    assert "Запись закрыта: программа в архиве." in parent.get(reverse("family:cabinet")).content.decode()
