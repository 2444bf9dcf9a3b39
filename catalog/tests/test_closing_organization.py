"""An organization the register closes (its «действует» unchecked, catalog.register): its programs go to the archive
and leave the Navigator, nothing of it is published again until it is reopened, and it is not closed while children
are in its groups or applications wait for its answer."""

import pytest
from django.core.exceptions import ValidationError

from catalog import register, services
from catalog.models import ModerationStatus, Organization, Program
from catalog.search import SearchParams, search_programs
from catalog.tests.test_api import messages, program_payload, send
from core.models import AuditEvent
from core.testing import enroll_child, make_child, make_program
from enrollment import services as enrollment

pytestmark = pytest.mark.django_db


def close(personas, organization=None) -> list[str]:
    stored = Organization.objects.get(pk=(organization or personas.org_a).pk)
    stored.is_active = False
    return register.save_organization(personas.municipal_x, stored)


def found_titles() -> list[str]:
    return [program.title for program in search_programs(SearchParams()).programs]


def test_closing_archives_every_program_leaves_the_search_and_tells_the_operators_once(
    personas, mailoutbox, django_capture_on_commit_callbacks
):
    published = make_program(personas.org_a, "Шахматы")
    draft = make_program(personas.org_a, "Черновик", status="draft")
    moderating = make_program(personas.org_a, "На модерации", status="moderating")
    other = make_program(personas.org_b, "Футбол")
    assert set(found_titles()) == {"Шахматы", "Футбол"}
    with django_capture_on_commit_callbacks(execute=True):
        assert close(personas) == ["is_active"]
    statuses = dict(Program.objects.values_list("pk", "status"))
    assert [statuses[p.pk] for p in (published, draft, moderating)] == [ModerationStatus.ARCHIVED] * 3
    assert statuses[other.pk] == ModerationStatus.PUBLISHED
    assert found_titles() == ["Футбол"]
    archived = AuditEvent.objects.filter(action="program.archive", actor=personas.municipal_x)
    assert sorted(event.data["remark"] for event in archived) == [services.CLOSED_REMARK] * 3
    assert Program.objects.get(pk=published.pk).moderation_remark == services.CLOSED_REMARK
    [letter] = mailoutbox
    assert letter.to == [personas.operator_a.email]
    assert "закрыта" in letter.subject and "больше не видны в навигаторе: 3" in letter.body


def test_nothing_of_a_closed_organization_is_published_until_it_is_reopened(personas):
    program = make_program(personas.org_a, "Шахматы")
    close(personas)
    with pytest.raises(ValidationError, match="закрыта в реестре"):
        services.change_program_status(personas.operator_a, program, "restore")
    closed = Organization.objects.get(pk=personas.org_a.pk)
    with pytest.raises(ValidationError, match="закрыта в реестре"):
        make_program(closed, "Новая", status="draft")
    assert not Program.objects.filter(title="Новая").exists()
    reopened = Organization.objects.get(pk=personas.org_a.pk)
    reopened.is_active = True
    assert register.save_organization(personas.municipal_x, reopened) == ["is_active"]
    program.refresh_from_db()
    assert program.status == ModerationStatus.ARCHIVED  # reopening publishes nothing by itself
    services.change_program_status(personas.operator_a, program, "restore")
    assert Program.objects.get(pk=program.pk).status == ModerationStatus.DRAFT


def test_an_organization_with_children_in_its_groups_or_waiting_applications_is_not_closed(personas):
    program = make_program(personas.org_a, "Шахматы")
    enroll_child(program, personas, "Маша")
    child = make_child(personas.family, "Петя")
    enrollment.apply(personas.family, child, program, program.groups.get(), "key-petya")
    with pytest.raises(ValidationError) as refused:
        close(personas)
    [message] = refused.value.message_dict["is_active"]
    assert "учатся дети (1) и ждут ответа заявки (1)" in message
    assert Organization.objects.get(pk=personas.org_a.pk).is_active
    assert Program.objects.get(pk=program.pk).status == ModerationStatus.PUBLISHED
    assert not AuditEvent.objects.filter(action__in=["organization.changed", "program.archive"]).exists()


def test_the_register_form_says_why_it_is_not_closed_and_the_closed_organizations_office_says_so(client, personas):
    program = make_program(personas.org_a, "Шахматы")
    child = make_child(personas.family, "Петя")
    enrollment.apply(personas.family, child, program, program.groups.get(), "key-petya")
    organization = Organization.objects.get(pk=personas.org_a.pk)
    client.force_login(personas.municipal_x)
    edit = f"/office/organizations/{organization.code}/edit/"
    page = client.get(edit)
    assert "уйдут в архив" in page.content.decode()
    data = {
        name: value
        for name, value in page.context["form"].initial.items()
        if value is not None and name not in {"is_active", "latitude", "longitude"}
    }
    data.update({"units-TOTAL_FORMS": "0", "units-INITIAL_FORMS": "0"})
    refused = client.post(edit, data)
    assert refused.status_code == 200
    assert "ждут ответа заявки (1)" in refused.content.decode()
    assert Organization.objects.get(pk=organization.pk).is_active
    application = program.applications.get()
    enrollment.change_status(personas.operator_a, application, "reject", reason="Группа набрана")
    assert client.post(edit, data).status_code == 302
    assert not Organization.objects.get(pk=organization.pk).is_active
    client.force_login(personas.operator_a)
    assert "закрыта в реестре" in client.get("/office/").content.decode()
    refused_form = client.get("/office/programs/new/")
    assert refused_form.status_code == 403
    assert "закрыта в реестре" in refused_form.content.decode()


def test_the_api_closes_an_organization_as_the_register_does(client, personas):
    program = make_program(personas.org_a, "Шахматы")
    enroll_child(program, personas, "Маша")
    path = f"/organizations/{personas.org_a.code}/register"
    refused = send(client, "patch", path, {"is_active": False}, personas.municipal_x)
    assert refused.status_code == 422
    assert [error["loc"] for error in refused.json()["detail"]] == [["body", "is_active"]]
    other = make_program(personas.org_b, "Футбол")
    closed = send(
        client, "patch", f"/organizations/{personas.org_b.code}/register", {"is_active": False}, personas.regional
    )
    assert closed.status_code == 200, closed.content
    assert Program.objects.get(pk=other.pk).status == ModerationStatus.ARCHIVED
    created = send(client, "post", "/programs", program_payload(personas.org_b), personas.operator_b)
    assert created.status_code == 422
    assert "закрыта в реестре" in " ".join(messages(created))


def test_a_closed_organizations_program_page_says_it_closed_without_a_link_to_its_page(client, personas):
    program = make_program(personas.org_a, "Шахматы")
    close(personas)
    html = client.get(f"/programs/{program.code}/").content.decode()
    assert "Организация закрыта: записаться на неё нельзя." in html
    assert f"/organizations/{personas.org_a.code}/" not in html
    assert client.get(f"/organizations/{personas.org_a.code}/").status_code == 404
