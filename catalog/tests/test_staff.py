"""An organization keeps its teachers' cards and who works in its office — «Педагоги и доступ», `/office/staff/` —
through audited actions (people.services for the cards, accounts.services for the access): a teacher or an operator is
invited by e-mail, a new address getting an account and a link to set its password."""

import re

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts import services as access
from accounts.models import Role, RoleAssignment, User
from catalog.models import Program
from catalog.tests.test_api import bearer, send
from core.models import AuditEvent
from core.testing import make_group, make_program, make_user
from people import services
from people.models import Teacher

pytestmark = pytest.mark.django_db

STAFF = "/office/staff/"


def absolute(path: str) -> str:
    return f"https://navigator.test{path}"


def card(organization, last_name: str = "Иванова", **fields) -> Teacher:
    teacher = Teacher(organization=organization, last_name=last_name, first_name="Анна", **fields)
    services.save_teacher(None, teacher)
    return teacher


def audited(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("pk"))


def read(client, path: str, user):
    return client.get(f"/api/v1{path}", headers=bearer(user) if user else {})


def link_in(body: str) -> str:
    [link] = re.findall(r"https://navigator\.test(/accounts/password/\S+/)", body)
    return link


# --- The cards ---------------------------------------------------------------------------------------------------


def test_a_card_is_kept_with_its_spaces_collapsed_and_each_change_audited_with_the_fields_changed(personas):
    teacher = Teacher(organization=personas.org_a, last_name="  Петрова ", first_name="Мария", about="  Ведёт хор.  ")
    services.save_teacher(personas.operator_a, teacher)
    teacher.refresh_from_db()
    assert (teacher.last_name, teacher.about) == ("Петрова", "Ведёт хор.")
    [added] = audited("teacher.added")
    assert added.data == {"organization": personas.org_a.code} and added.actor == personas.operator_a
    teacher.position, teacher.teaching_since = "Старший педагог", 2012
    assert services.save_teacher(personas.operator_a, teacher) == ["position", "teaching_since"]
    assert services.save_teacher(personas.operator_a, teacher) == []  # nothing new: nothing written
    [changed] = audited("teacher.changed")
    assert changed.data["fields"] == ["position", "teaching_since"]


@pytest.mark.parametrize("year", [1900, timezone.localdate().year + 1])
def test_a_year_of_teaching_that_cannot_be_is_refused_at_its_field(personas, year):
    teacher = Teacher(organization=personas.org_a, last_name="Петрова", first_name="Мария", teaching_since=year)
    with pytest.raises(ValidationError) as refused:
        services.save_teacher(personas.operator_a, teacher)
    assert refused.value.message_dict == {"teaching_since": [services.TEACHING_SINCE_WRONG]}
    assert not Teacher.objects.filter(last_name="Петрова").exists()


def test_a_card_that_leads_a_group_or_is_named_in_a_program_is_not_removed(personas):
    program = make_program(personas.org_a, "Хор", status="draft", with_group=False)
    leading, named, idle = card(personas.org_a, "Ведущая"), card(personas.org_a, "Названная"), card(personas.org_a)
    make_group(program, teacher=leading)
    Program.objects.get(pk=program.pk).teachers.add(named)
    for busy, where in ((leading, "групп: 1"), (named, "программ: 1")):
        with pytest.raises(ValidationError) as refused:
            services.remove_teacher(personas.operator_a, busy)
        assert refused.value.messages == [services.TEACHER_BUSY.format(where=where)]
    services.remove_teacher(personas.operator_a, idle)
    assert set(Teacher.objects.values_list("last_name", flat=True)) == {"Ведущая", "Названная"}
    assert audited("teacher.removed")[0].data["name"] == "Иванова Анна"


# --- Access: invitations -----------------------------------------------------------------------------------------


def test_a_teacher_invited_by_a_new_address_sets_a_password_by_the_link_and_sees_their_groups(
    client, personas, mailoutbox, django_capture_on_commit_callbacks
):
    teacher = Teacher(organization=personas.org_a, last_name="Орлова", first_name="Вера", patronymic="Ильинична")
    with django_capture_on_commit_callbacks(execute=True):
        services.save_teacher(personas.operator_a, teacher, invite=" Orlova@Example.RU ", absolute=absolute)
    user = User.objects.get(email="orlova@example.ru")
    assert (user.last_name, user.first_name, user.patronymic) == ("Орлова", "Вера", "Ильинична")
    assert not user.has_usable_password() and user.is_active
    assert Teacher.objects.get(pk=teacher.pk).user == user
    assert RoleAssignment.objects.filter(user=user, role=Role.TEACHER, organization=personas.org_a).exists()
    [opened] = audited("organization.access_opened")
    assert opened.data == {"email": "orlova@example.ru", "role": "teacher", "new_account": True}
    [letter] = mailoutbox
    assert letter.to == ["orlova@example.ru"] and personas.org_a.short_name in letter.subject
    assert "Вам открыт доступ к кабинету организации" in letter.body and "педагог" in letter.body
    group = make_group(make_program(personas.org_a, "Хор", status="draft", with_group=False), teacher=teacher)
    # The link sets the password; then the teacher signs in and finds the group led.
    form = client.get(link_in(letter.body), follow=True)
    assert form.status_code == 200 and 'name="new_password1"' in form.content.decode()
    new_password = {"new_password1": "Хор-по-средам-2026", "new_password2": "Хор-по-средам-2026"}
    assert client.post(form.redirect_chain[-1][0], new_password).status_code == 302
    assert client.login(username="orlova@example.ru", password="Хор-по-средам-2026")
    office = client.get("/office/").content.decode()
    assert "Ваши группы" in office and group.name in office


def test_an_existing_account_is_given_the_role_and_told_to_sign_in_as_before(
    personas, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        access.open_organization_access(
            personas.operator_a, personas.org_a, Role.ORGANIZATION_OPERATOR, personas.family.email, absolute
        )
    assert RoleAssignment.objects.filter(user=personas.family, role=Role.ORGANIZATION_OPERATOR).exists()
    assert personas.family.has_usable_password()  # untouched
    [letter] = mailoutbox
    assert "Войдите со своим адресом и паролем: https://navigator.test/accounts/login/" in letter.body
    assert "/accounts/password/" not in letter.body


@pytest.mark.parametrize(
    ("email", "person", "field", "message"),
    [
        ("не адрес", access.NewPerson("Орлова", "Вера"), "email", access.EMAIL_INVALID),
        ("new@example.ru", access.NewPerson("Орлова", ""), "first_name", access.NAMES_NEEDED),
        ("operator-a@opora.test", None, "email", access.ACCESS_EXISTS.format(role="оператор организации")),
    ],
)
def test_an_invitation_that_cannot_be_is_refused_at_its_field_and_changes_nothing(
    personas, email, person, field, message
):
    before = RoleAssignment.objects.count(), User.objects.count()
    with pytest.raises(ValidationError) as refused:
        access.open_organization_access(
            personas.operator_a, personas.org_a, Role.ORGANIZATION_OPERATOR, email, absolute, person=person
        )
    assert refused.value.message_dict == {field: [message]}
    assert (RoleAssignment.objects.count(), User.objects.count()) == before


def test_an_account_switched_off_or_never_confirmed_is_not_invited(personas):
    unconfirmed = make_user("unconfirmed@example.ru", Role.GUARDIAN)
    User.objects.filter(pk=unconfirmed.pk).update(is_active=False)
    with pytest.raises(ValidationError) as refused:
        access.open_organization_access(personas.operator_a, personas.org_a, Role.TEACHER, unconfirmed.email, absolute)
    assert refused.value.message_dict == {"email": [access.ACCOUNT_OFF]}


def test_a_teacher_of_two_organizations_has_a_card_in_each_on_one_account_and_one_card_in_each(personas, client):
    theirs = card(personas.org_b, "Орлова")
    access.open_organization_access(
        personas.operator_b, personas.org_b, Role.TEACHER, "orlova@example.ru", absolute, teacher=theirs
    )
    ours = Teacher(organization=personas.org_a, last_name="Орлова", first_name="Вера")
    services.save_teacher(personas.operator_a, ours, invite="orlova@example.ru", absolute=absolute)
    user = User.objects.get(email="orlova@example.ru")
    assert set(user.teacher_cards.values_list("organization", flat=True)) == {personas.org_a.pk, personas.org_b.pk}
    # Her groups in both organizations are hers.
    groups = [
        make_group(make_program(org, "Хор", status="draft", with_group=False), teacher=teacher)
        for org, teacher in ((personas.org_a, ours), (personas.org_b, theirs))
    ]
    client.force_login(user)
    office = client.get("/office/").content.decode()
    assert all(group.name in office for group in groups)
    # A second card of the same organization is not linked to that account.
    twin = Teacher(organization=personas.org_a, last_name="Орлова", first_name="В.")
    with pytest.raises(ValidationError) as refused:
        services.save_teacher(personas.operator_a, twin, invite="orlova@example.ru", absolute=absolute)
    assert refused.value.message_dict == {"email": [access.TEACHER_CARD_TAKEN.format(name="Орлова Вера")]}
    assert not Teacher.objects.filter(first_name="В.").exists()


# --- Access: closing and the invitation again ------------------------------------------------------------------


def test_closing_a_teachers_access_unlinks_the_card_and_tells_them(
    personas, mailoutbox, django_capture_on_commit_callbacks
):
    teacher = card(personas.org_a, "Орлова")
    role = access.open_organization_access(
        personas.operator_a, personas.org_a, Role.TEACHER, "orlova@example.ru", absolute, teacher=teacher
    )
    with django_capture_on_commit_callbacks(execute=True):
        access.close_organization_access(personas.operator_a, role)
    assert Teacher.objects.get(pk=teacher.pk).user is None
    assert not RoleAssignment.objects.filter(pk=role.pk).exists()
    assert User.objects.filter(email="orlova@example.ru").exists()  # the account stays, without the role
    [closed] = audited("organization.access_closed")
    assert closed.data == {"email": "orlova@example.ru", "role": "teacher"}
    [letter] = mailoutbox
    assert "закрыт" in letter.subject and letter.to == ["orlova@example.ru"]


def test_an_operator_does_not_close_their_own_access(personas):
    own = RoleAssignment.objects.get(user=personas.operator_a, organization=personas.org_a)
    with pytest.raises(ValidationError) as refused:
        access.close_organization_access(personas.operator_a, own)
    assert refused.value.messages == [access.OWN_ACCESS]
    assert RoleAssignment.objects.filter(pk=own.pk).exists()


def test_the_invitation_is_sent_again_only_to_someone_who_has_not_signed_in(
    personas, mailoutbox, django_capture_on_commit_callbacks
):
    role = access.open_organization_access(
        personas.operator_a, personas.org_a, Role.TEACHER, "new@example.ru", absolute, person=access.NewPerson("Н", "Н")
    )
    with django_capture_on_commit_callbacks(execute=True):
        access.resend_invitation(personas.operator_a, role, absolute)
    [letter] = mailoutbox
    token = link_in(letter.body).strip("/").split("/")[-1]
    assert default_token_generator.check_token(role.user, token)
    with pytest.raises(ValidationError) as refused:
        access.resend_invitation(personas.operator_a, RoleAssignment.objects.get(user=personas.teacher_a), absolute)
    assert refused.value.messages == [access.ALREADY_SIGNED_IN]


def test_an_invited_account_without_a_password_may_ask_for_the_link_again(
    client, personas, mailoutbox, django_capture_on_commit_callbacks
):
    access.open_organization_access(
        personas.operator_a, personas.org_a, Role.TEACHER, "new@example.ru", absolute, person=access.NewPerson("Н", "Н")
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/password/", {"email": "New@Example.ru"})
    [letter] = mailoutbox
    assert letter.to == ["new@example.ru"] and "/accounts/password/" in letter.body


# --- Pages and who may use them ----------------------------------------------------------------------------------


def test_the_operator_adds_a_teacher_with_an_invitation_and_invites_a_colleague_on_the_pages(
    client, personas, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(personas.operator_a)
    page = client.get(STAFF).content.decode()
    assert "Педагоги и доступ" in page and personas.operator_a.email in page and "это вы" in page
    form = {"last_name": "Орлова", "first_name": "Вера", "position": "Педагог", "email": "orlova@example.ru"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/office/staff/teachers/new/", form, follow=True)
    assert response.redirect_chain == [(f"{STAFF}?organization={personas.org_a.code}", 302)]
    assert "Приглашение отправлено на orlova@example.ru" in response.content.decode()
    assert "выбрать другую" not in response.content.decode()  # the operator's only organization
    assert "Орлова Вера" in response.content.decode() and "пароль ещё не задан" in response.content.decode()
    invited = {"email": "kolleg@example.ru", "last_name": "Коллегова", "first_name": "Ольга"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/office/staff/operators/new/", invited, follow=True)
    assert "Доступ оператора открыт: kolleg@example.ru" in response.content.decode()
    assert [letter.to for letter in mailoutbox] == [["orlova@example.ru"], ["kolleg@example.ru"]]
    colleague = RoleAssignment.objects.get(user__email="kolleg@example.ru")
    assert colleague.role == Role.ORGANIZATION_OPERATOR and colleague.organization == personas.org_a


def test_a_refused_invitation_on_the_page_is_said_at_the_field_and_the_card_is_not_kept(client, personas):
    client.force_login(personas.operator_a)
    form = {"last_name": "Орлова", "first_name": "Вера", "position": "Педагог", "email": "orlova@"}
    response = client.post("/office/staff/teachers/new/", form)
    assert response.status_code == 200
    assert response.context["form"].errors == {"email": [access.EMAIL_INVALID]}
    assert not Teacher.objects.filter(last_name="Орлова").exists()
    # Sent again, corrected: the card is made now (the refused attempt left nothing behind).
    assert client.post("/office/staff/teachers/new/", {**form, "email": "orlova@example.ru"}).status_code == 302
    assert Teacher.objects.get(last_name="Орлова").user.email == "orlova@example.ru"


def test_removing_a_card_and_closing_access_are_confirmed_on_a_page_first(client, personas):
    teacher = card(personas.org_a, "Орлова")
    client.force_login(personas.operator_a)
    remove = f"/office/staff/teachers/{teacher.uuid}/remove/"
    assert "Удалить карточку педагога?" in client.get(remove).content.decode()
    assert Teacher.objects.filter(pk=teacher.pk).exists()  # asking changes nothing
    client.post(remove)
    assert not Teacher.objects.filter(pk=teacher.pk).exists()
    role = RoleAssignment.objects.get(user=personas.teacher_a)
    close = f"/office/staff/access/{role.pk}/close/"
    assert "Закрыть доступ?" in client.get(close).content.decode()
    client.post(close)
    assert not RoleAssignment.objects.filter(pk=role.pk).exists()


def test_another_organizations_staff_is_not_found_and_a_teacher_or_a_moderator_may_not_keep_it(client, personas):
    teacher = card(personas.org_a, "Орлова")
    role = RoleAssignment.objects.get(user=personas.teacher_a)
    client.force_login(personas.operator_b)
    assert client.get(f"{STAFF}?organization={personas.org_a.code}").status_code == 403  # its public page is seen
    for path in (
        f"/office/staff/teachers/{teacher.uuid}/edit/",
        f"/office/staff/teachers/{teacher.uuid}/remove/",
        f"/office/staff/access/{role.pk}/close/",
    ):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/office/staff/access/{role.pk}/resend/").status_code == 404
    assert client.post(f"/office/staff/teachers/{teacher.uuid}/remove/").status_code == 404
    assert Teacher.objects.filter(pk=teacher.pk).exists() and RoleAssignment.objects.filter(pk=role.pk).exists()
    for user in (personas.teacher_a, personas.municipal_x):  # they operate no organization
        client.force_login(user)
        assert client.get(STAFF).status_code == 403
    client.logout()
    assert client.get(STAFF).status_code == 302  # to sign in


def test_the_operators_home_leads_to_the_staff_page(client, personas):
    client.force_login(personas.operator_a)
    assert f'href="{STAFF}"' in client.get("/office/").content.decode()


def test_a_teachers_card_made_here_is_offered_in_the_program_form(client, personas):
    card(personas.org_a, "Орлова")
    client.force_login(personas.operator_a)
    form = client.get("/office/programs/new/").content.decode()
    assert "Орлова Анна" in form


# --- API -----------------------------------------------------------------------------------------------------------


def test_the_api_adds_changes_and_removes_a_card_as_the_pages_do(
    client, personas, mailoutbox, django_capture_on_commit_callbacks
):
    path = f"/organizations/{personas.org_a.code.lower()}/teachers"  # a code typed in small letters is found
    payload = {"last_name": "Орлова", "first_name": "Вера", "email": "orlova@example.ru", "teaching_since": 2015}
    with django_capture_on_commit_callbacks(execute=True):
        created = send(client, "post", path, payload, personas.operator_a)
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["full_name"], body["account"], body["organization"]) == (
        "Орлова Вера",
        "orlova@example.ru",
        personas.org_a.code,
    )
    assert [letter.to for letter in mailoutbox] == [["orlova@example.ru"]]
    changed = send(client, "patch", f"/teachers/{body['uuid']}", {"position": "Старший педагог"}, personas.operator_a)
    assert changed.status_code == 200 and changed.json()["position"] == "Старший педагог"
    assert (
        send(client, "patch", f"/teachers/{body['uuid']}", {"teaching_since": 1900}, personas.operator_a).json()[
            "detail"
        ][0]["loc"][-1]
        == "teaching_since"
    )
    assert send(client, "delete", f"/teachers/{body['uuid']}", {}, personas.operator_a).status_code == 204
    assert not Teacher.objects.filter(uuid=body["uuid"]).exists()


def test_the_api_lists_opens_and_closes_access(client, personas, mailoutbox, django_capture_on_commit_callbacks):
    path = f"/organizations/{personas.org_a.code}/staff"
    listed = read(client, path, personas.operator_a).json()
    assert [(item["email"], item["role"]) for item in listed] == [
        (personas.operator_a.email, "org_operator"),
        (personas.teacher_a.email, "teacher"),
    ]
    teacher = card(personas.org_a, "Орлова")
    invitation = {"email": "orlova@example.ru", "role": "teacher", "teacher": str(teacher.uuid)}
    with django_capture_on_commit_callbacks(execute=True):
        opened = send(client, "post", path, invitation, personas.operator_a)
    assert opened.status_code == 201, opened.content
    assert opened.json()["invitation_pending"] is True and opened.json()["full_name"] == "Орлова Анна"
    assert Teacher.objects.get(pk=teacher.pk).user.email == "orlova@example.ru"
    again = f"{path}/{opened.json()['id']}/invitation"
    with django_capture_on_commit_callbacks(execute=True):
        assert send(client, "post", again, {}, personas.operator_a).status_code == 204
    assert len(mailoutbox) == 2
    own = RoleAssignment.objects.get(user=personas.operator_a)
    refused = send(client, "delete", f"{path}/{own.pk}", {}, personas.operator_a)
    assert refused.status_code == 422 and access.OWN_ACCESS in refused.content.decode()
    assert send(client, "delete", f"{path}/{opened.json()['id']}", {}, personas.operator_a).status_code == 204
    assert Teacher.objects.get(pk=teacher.pk).user is None


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (
            {"email": "a@example.ru", "role": "org_operator", "teacher": "00000000-0000-0000-0000-000000000000"},
            "teacher",
        ),
        ({"email": "a@example.ru", "role": "teacher", "teacher": "00000000-0000-0000-0000-000000000000"}, "teacher"),
        ({"email": "a@example.ru", "role": "administrator"}, "role"),
        ({"email": "a@example.ru", "role": "teacher"}, "last_name"),
        ({"email": "a@example.ru", "role": "teacher", "last_name": "А", "first_name": "Б", "extra": 1}, "extra"),
    ],
)
def test_the_api_refuses_an_invitation_it_cannot_make_at_its_field(client, personas, payload, field):
    response = send(client, "post", f"/organizations/{personas.org_a.code}/staff", payload, personas.operator_a)
    assert response.status_code == 422
    assert field in [error["loc"][-1] for error in response.json()["detail"]]
    assert not User.objects.filter(email="a@example.ru").exists()


def test_the_api_keeps_another_organizations_staff_out_of_reach(client, personas):
    teacher = card(personas.org_a, "Орлова")
    role = RoleAssignment.objects.get(user=personas.teacher_a)
    staff = f"/organizations/{personas.org_a.code}/staff"
    assert read(client, staff, personas.municipal_x).status_code == 200  # its territory's operator keeps it
    for user in (personas.operator_b, personas.teacher_a, personas.municipal_y):
        assert read(client, staff, user).status_code == 403  # the organization is seen, not theirs
        assert send(client, "delete", f"{staff}/{role.pk}", {}, user).status_code == 403
        assert send(client, "post", f"/organizations/{personas.org_a.code}/teachers", {}, user).status_code in {
            403,
            422,
        }
    assert send(client, "patch", f"/teachers/{teacher.uuid}", {"about": "x"}, personas.operator_b).status_code == 404
    assert send(client, "delete", f"/teachers/{teacher.uuid}", {}, personas.operator_b).status_code == 404
    assert read(client, staff, None).status_code == 401
    assert Teacher.objects.filter(pk=teacher.pk).exists() and RoleAssignment.objects.filter(pk=role.pk).exists()


def test_the_teachers_are_listed_a_page_at_a_time_and_a_teachers_access_is_closed_from_their_row(
    client, personas, settings
):
    settings.OPORA_PAGE_SIZE = 2
    for name in ("Антонова", "Борисова", "Васильева"):
        card(personas.org_a, name)
    linked = Teacher.objects.get(last_name="Васильева")
    role = access.open_organization_access(
        personas.operator_a, personas.org_a, Role.TEACHER, "vasilieva@example.ru", absolute, teacher=linked
    )
    client.force_login(personas.municipal_x)  # the territory's operator, who names the organization
    first = client.get(STAFF, {"organization": personas.org_a.code}).content.decode()
    assert "Антонова" in first and "Васильева" not in first
    assert f"?organization={personas.org_a.code}&amp;page=2" in first
    second = client.get(STAFF, {"organization": personas.org_a.code, "page": 2}).content.decode()
    assert "Васильева" in second and f"/office/staff/access/{role.pk}/close/" in second
    assert "без карточки педагога" in second  # the persona teacher's role, no card here


def test_what_the_card_says_is_read_by_families_on_the_program_page(client, personas):
    teacher = card(
        personas.org_a,
        "Орлова",
        qualification="Высшая квалификационная категория",
        teaching_since=2009,
        about="Лауреат конкурса «Сердце отдаю детям».",
    )
    program = make_program(personas.org_a, "Хор")
    Program.objects.get(pk=program.pk).teachers.add(teacher)
    page = client.get(f"/programs/{program.code}/").content.decode()
    assert "Орлова Анна, высшая квалификационная категория; преподаёт с 2009 года" in page
    assert "Лауреат конкурса «Сердце отдаю детям»." in page


def test_a_card_linked_to_an_account_is_not_linked_to_another_until_its_access_is_closed(client, personas):
    teacher = card(personas.org_a, "Орлова")
    access.open_organization_access(
        personas.operator_a, personas.org_a, Role.TEACHER, "orlova@example.ru", absolute, teacher=teacher
    )
    again = {"email": "orlova-new@example.ru", "role": "teacher", "teacher": str(teacher.uuid), "last_name": "О"}
    response = send(client, "post", f"/organizations/{personas.org_a.code}/staff", {**again, "first_name": "В"},
                    personas.operator_a)  # fmt: skip
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "teacher"]
    assert access.CARD_LINKED_ELSEWHERE.format(email="orlova@example.ru") == response.json()["detail"][0]["msg"]
    assert Teacher.objects.get(pk=teacher.pk).user.email == "orlova@example.ru"
    assert not User.objects.filter(email="orlova-new@example.ru").exists()
