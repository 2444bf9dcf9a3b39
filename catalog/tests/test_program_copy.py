"""«Создать копию»: a new program of the same organization that starts as another one — its form filled with what the
organization last wrote of it, «(копия)» after its title, without its groups."""

import pytest

from catalog import services
from catalog.models import ModerationStatus, OvzCategory, Program
from core.models import AuditEvent
from core.testing import as_sent, make_program
from people.models import Teacher

pytestmark = pytest.mark.django_db


@pytest.fixture
def source(personas):
    teacher = Teacher.objects.create(organization=personas.org_a, last_name="Орлова", first_name="Вера")
    program = make_program(
        personas.org_a,
        "Шахматы",
        direction="sport",
        age_from=6,
        age_to=10,
        ovz_adapted=True,
        ovz_categories=("deaf",),
        summary="Шахматы для начинающих.",
    )
    services.save_program(personas.operator_a, program, teachers=[teacher])
    return program


def test_the_copy_starts_as_the_program_and_is_saved_as_a_new_draft_without_groups(client, personas, source):
    client.force_login(personas.operator_a)
    detail = client.get(f"/office/programs/{source.code}/").content.decode()
    assert f"/office/programs/{source.code}/copy/" in detail
    page = client.get(f"/office/programs/{source.code}/copy/")
    assert page.status_code == 200 and "Копия программы" in page.content.decode()
    form = page.context["form"]
    assert form["title"].value() == "Шахматы (копия)"
    assert (form["direction"].value(), form["age_from"].value(), form["age_to"].value()) == ("sport", 6, 10)
    data = as_sent(form)
    data["title"] = "Шахматы, второй год"
    response = client.post(f"/office/programs/{source.code}/copy/", data)
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    copy = Program.objects.get(title="Шахматы, второй год")
    assert response["Location"] == f"/office/programs/{copy.code}/"
    assert (copy.status, copy.organization, copy.summary, copy.direction) == (
        ModerationStatus.DRAFT,
        personas.org_a,
        "Шахматы для начинающих.",
        "sport",
    )
    assert list(copy.ovz_categories.values_list("code", flat=True)) == ["deaf"]
    assert [t.last_name for t in copy.teachers.all()] == ["Орлова"]
    assert not copy.groups.exists() and source.groups.count() == 1
    assert AuditEvent.objects.filter(action="program.created", object_id=str(copy.pk)).exists()
    assert Program.objects.get(pk=source.pk).title == "Шахматы"


def test_the_copy_takes_the_changes_waiting_for_moderation(client, personas, source):
    source.summary = "Шахматы и шашки для начинающих."
    source.ovz_adapted = False
    services.save_program(personas.operator_a, source, ovz_categories=OvzCategory.objects.none())
    assert Program.objects.get(pk=source.pk).summary == "Шахматы для начинающих."  # published as checked
    client.force_login(personas.operator_a)
    form = client.get(f"/office/programs/{source.code}/copy/").context["form"]
    assert form["summary"].value() == "Шахматы и шашки для начинающих."
    assert list(form["ovz_categories"].value()) == []


def test_only_the_programs_organization_copies_it_and_not_once_closed(client, personas, source):
    path = f"/office/programs/{source.code}/copy/"
    client.force_login(personas.operator_b)  # another organization's program is not in its office
    assert client.get(path).status_code == 404
    client.force_login(personas.municipal_x)  # the territory's moderator reads it, changes nothing of it
    assert client.get(path).status_code == 403
    type(personas.org_a).objects.filter(pk=personas.org_a.pk).update(is_active=False)
    client.force_login(personas.operator_a)
    closed = client.get(path)
    assert closed.status_code == 403 and "закрыта в реестре" in closed.content.decode()
    assert Program.objects.filter(organization=personas.org_a).count() == 1
