"""The organization's queue of applications: who sees it, filters, decisions one by one or in bulk."""

import uuid

import pytest
from django.urls import reverse

from catalog.models import Group
from core.testing import make_child, make_group, make_program
from enrollment import office_views
from enrollment.models import Application
from enrollment.models import ApplicationStatus as S
from enrollment.services import apply
from people.models import Teacher

pytestmark = pytest.mark.django_db


@pytest.fixture
def applications(personas, published_program):
    group = published_program.groups.get()
    return [
        apply(
            personas.family,
            make_child(personas.family, name, group.start_date),
            published_program,
            None,
            uuid.uuid4().hex,
        )
        for name in ("Аня", "Ваня", "Петя")
    ]


def test_the_operator_sees_the_queue_and_filters_it(client, personas, applications):
    client.force_login(personas.operator_a)
    page = client.get(reverse("office_applications:queue")).content.decode()
    assert all(a.code in page for a in applications) and "С выбранными" in page
    # Whom to call about an invitation: the applicant's name, phone and e-mail.
    personas.family.phone = "+7 (900) 123-45-67"
    personas.family.save(update_fields=["phone"])
    page = client.get(reverse("office_applications:queue")).content.decode()
    assert '<a href="tel:+79001234567">+7 (900) 123-45-67</a>' in page
    assert f'<a href="mailto:{personas.family.email}">' in page and personas.family.display_name in page
    # An enrollment from the organization's list names no applicant: its operator entered it.
    Application.objects.filter(pk=applications[0].pk).update(source="import")
    page = client.get(reverse("office_applications:queue")).content.decode()
    assert page.count(f'<a href="mailto:{personas.family.email}">') == 2 and "Импорт списка организации" in page
    filtered = client.get(reverse("office_applications:queue"), {"status": S.ENROLLED}).content.decode()
    assert "Заявок нет" in filtered
    # Oldest first, as they are answered; newest first on asking, kept by the page links.
    codes = [a.code for a in applications]
    assert [a.code for a in client.get(reverse("office_applications:queue")).context["page"]] == codes
    newest = client.get(reverse("office_applications:queue"), {"order": "new"})
    assert [a.code for a in newest.context["page"]] == codes[::-1]
    assert newest.context["filter_query"] == "order=new"
    assert client.get(reverse("office_applications:queue"), {"order": "x"}).context["order"] == ""


def test_the_queue_offers_to_filter_by_each_program_that_has_applications_once(
    client, personas, applications, published_program
):
    quiet = make_program(personas.org_a, "Шахматы")  # no applications: not offered
    client.force_login(personas.operator_a)
    programs = client.get(reverse("office_applications:queue")).context["program_choices"]
    assert programs == [(published_program.code, published_program.title)]
    assert quiet.code not in dict(programs)


def test_where_programs_are_many_the_program_is_typed_by_code_or_title(
    client, personas, applications, published_program, monkeypatch
):
    """A municipality's programs run into thousands: instead of a list, a box for a code or words of
    the title; a single program found offers its groups for invitations, as a chosen one does."""
    chess = make_program(personas.org_a, "Шахматы для начинающих")
    chess_child = make_child(personas.family, "Оля", chess.groups.get().start_date)
    chess_application = apply(personas.family, chess_child, chess, None, uuid.uuid4().hex)
    client.force_login(personas.operator_a)
    url = reverse("office_applications:queue")
    assert client.get(url).context["program_choices"] == sorted(
        [(chess.code, chess.title), (published_program.code, published_program.title)], key=lambda c: c[1]
    )
    monkeypatch.setattr(office_views, "PROGRAMS_LISTED", 1)
    page = client.get(url).content.decode()
    assert 'type="search" name="program"' in page and "Все программы" not in page
    for typed in ("шахматы", "ДЛЯ НАЧИНАЮЩИХ", chess.code.lower()):
        response = client.get(url, {"program": typed})
        assert [a.code for a in response.context["page"]] == [chess_application.code], typed
        assert list(response.context["groups"]) == [chess.groups.get()]
        assert f'value="{typed}"' in response.content.decode()
    broad = client.get(url, {"program": "и"})  # in both titles: both lists, no groups to offer
    assert {a.code for a in broad.context["page"]} == {chess_application.code, *(a.code for a in applications)}
    assert list(broad.context["groups"]) == []
    assert not client.get(url, {"program": "фехтование"}).context["page"].object_list
    client.force_login(personas.operator_b)  # another organization's program is not found by its code
    assert not client.get(url, {"program": chess.code}).context["page"].object_list


def test_bulk_invite_then_enroll_and_a_refusal_needs_a_reason(client, personas, applications):
    client.force_login(personas.operator_a)
    url = reverse("office_applications:decide")
    codes = [a.code for a in applications[:2]]
    client.post(url, {"action": "invite", "application": codes})
    client.post(url, {"action": "enroll", "application": codes[:1]})
    statuses = dict(Application.objects.values_list("code", "status"))
    assert statuses[codes[0]] == S.ENROLLED and statuses[codes[1]] == S.INVITED
    response = client.post(url, {"action": "reject", "application": [applications[2].code]}, follow=True)
    assert "Укажите причину" in response.content.decode()
    assert Application.objects.get(pk=applications[2].pk).status == S.NEW


def test_outsiders_neither_see_nor_decide(client, personas, applications):
    client.force_login(personas.operator_b)
    page = client.get(reverse("office_applications:queue")).content.decode()
    assert applications[0].code not in page
    response = client.post(
        reverse("office_applications:decide"), {"action": "invite", "application": [applications[0].code]}
    )
    assert response.status_code == 404  # outside the scope the application does not exist
    assert Application.objects.get(pk=applications[0].pk).status == S.NEW
    # A teacher sees the applications of the groups the teacher leads, and decides nothing.
    client.force_login(personas.teacher_a)
    assert applications[0].code not in client.get(reverse("office_applications:queue")).content.decode()
    teacher = Teacher.objects.create(
        organization=personas.org_a, user=personas.teacher_a, last_name="П", first_name="А"
    )
    group = applications[0].program.groups.get()
    Group.objects.filter(pk=group.pk).update(teacher=teacher)
    Application.objects.filter(pk=applications[0].pk).update(group=group)
    page = client.get(reverse("office_applications:queue")).content.decode()
    assert applications[0].code in page and "С выбранными" not in page


def test_invite_into_a_chosen_group_then_transfer_from_the_queue(client, personas, applications, published_program):
    first = published_program.groups.get()
    second = make_group(published_program, capacity=2)
    client.force_login(personas.operator_a)
    page = client.get(reverse("office_applications:queue"), {"program": published_program.code}).content.decode()
    assert "Перевести в группу" in page and second.name in page
    url = reverse("office_applications:decide")
    client.post(url, {"action": "invite", "group": first.code, "application": [applications[0].code]})
    client.post(url, {"action": "transfer", "group": second.code, "application": [applications[0].code]})
    moved = Application.objects.get(pk=applications[0].pk)
    assert moved.status == S.INVITED and moved.group == second


def test_an_invitation_into_a_full_group_is_refused_with_the_reason_on_the_queue_page(
    client, personas, applications, published_program
):
    group = published_program.groups.get()
    Group.objects.filter(pk=group.pk).update(capacity=1)
    client.force_login(personas.operator_a)
    codes = [a.code for a in applications[:2]]
    response = client.post(
        reverse("office_applications:decide"),
        {"action": "invite", "group": group.code, "application": codes},
        follow=True,
    )
    full = f"В группе «{group.name}» свободных мест нет — заявку можно поставить в очередь."
    assert [str(m) for m in response.context["messages"]] == [
        f"Выполнено «Пригласить»: заявка {codes[0]}.",
        f"{codes[1]}: {full}",
    ]
    assert Application.objects.get(code=codes[1]).status == S.NEW


def test_a_decision_goes_back_to_the_queue_page_it_came_from_and_never_to_another_site(client, personas, applications):
    client.force_login(personas.operator_a)
    url = reverse("office_applications:decide")
    filtered = reverse("office_applications:queue") + "?status=new"
    decision = {"action": "review", "application": [applications[0].code]}
    assert client.post(url, {**decision, "back": filtered})["Location"] == filtered
    response = client.post(url, {**decision, "application": [applications[1].code], "back": "https://evil.example/"})
    assert response["Location"] == reverse("office_applications:queue")
