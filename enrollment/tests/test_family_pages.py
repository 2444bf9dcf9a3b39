"""The family's pages: adding a child, applying from the program page, the cabinet, cancelling."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEvent
from core.testing import make_campaign, make_child
from enrollment import services as enrollment
from enrollment.models import Application, CampaignKind
from enrollment.models import ApplicationStatus as S
from people.models import Child, Guardian

pytestmark = pytest.mark.django_db


@pytest.fixture
def family_client(client, personas):
    Guardian.objects.create(user=personas.family, last_name="Тест", first_name="Мама")
    client.force_login(personas.family)
    return client


def test_a_parent_adds_a_child_and_goes_back_only_to_a_page_of_the_site(family_client, personas):
    form = {
        "last_name": "Тестова",
        "first_name": "Маша",
        "birth_date": (timezone.localdate() - timedelta(days=9 * 366)).isoformat(),
        "sex": "f",
        "municipality": personas.municipality_x.pk,
    }
    response = family_client.post(reverse("family:child_new"), {**form, "next": "https://evil.example/"}, follow=True)
    assert response.redirect_chain == [(reverse("family:cabinet"), 302)]
    assert "Маша добавлена. Теперь можно записаться на программу." in response.content.decode()
    child = Child.objects.get(first_name="Маша")
    assert child.guardians.get().user == personas.family
    program_page = reverse("navigator:program", args=["PR-ANY000"])
    response = family_client.post(
        reverse("family:child_new"), {**form, "first_name": "Петя", "sex": "m", "next": program_page}
    )
    assert response["Location"] == program_page
    # Маша typed again (with or without her СНИЛС the registry finds her): the cabinet's own record.
    response = family_client.post(reverse("family:child_new"), form, follow=True)
    assert "Маша уже есть в вашем кабинете: новая запись не нужна." in response.content.decode()
    assert "добавлена" not in response.content.decode()
    assert Child.objects.filter(first_name="Маша", merged_into=None).count() == 1
    # Another family's Маша, typed by this one: a record of its own, and the word that it is checked.
    family_client.force_login(personas.other_family)
    Guardian.objects.create(user=personas.other_family, last_name="Тестова", first_name="Ольга")
    response = family_client.post(reverse("family:child_new"), form, follow=True)
    html = response.content.decode()
    assert "Маша добавлена." in html and "похож" not in html  # nothing said of other families' records
    assert child.guardians.get().user == personas.family
    assert Child.objects.filter(first_name="Маша", merged_into=None).count() == 2


def test_a_parent_corrects_the_childs_details_and_nobody_else_may(family_client, client, personas):
    """Surname «12345» stayed in every application and contract: the cabinet had no way to fix it."""
    born = timezone.localdate() - timedelta(days=9 * 366)
    form = {"last_name": "12345", "first_name": "Маша", "birth_date": born.isoformat(), "sex": "f"}
    family_client.post(reverse("family:child_new"), {**form, "municipality": personas.municipality_x.pk})
    child = Child.objects.get(first_name="Маша")
    edit = reverse("family:child_edit", args=[child.uuid])
    assert edit in family_client.get(reverse("family:cabinet")).content.decode()
    page = family_client.get(edit).content.decode()
    assert "Данные ребёнка: Маша 12345" in page and "СНИЛС: не указан" in page  # added without it: asked here

    fixed = {**form, "last_name": "Тестова", "municipality": personas.municipality_y.pk}
    wrong = family_client.post(edit, {**fixed, "birth_date": (timezone.localdate() + timedelta(days=1)).isoformat()})
    assert "Дата рождения не может быть в будущем." in wrong.content.decode()
    assert (
        '<a href="#id_birth_date">Дата рождения</a>: Дата рождения не может быть в будущем.' in wrong.content.decode()
    )
    child.refresh_from_db()
    assert child.last_name == "12345"
    response = family_client.post(edit, fixed, follow=True)
    assert "Данные ребёнка исправлены." in response.content.decode()
    child.refresh_from_db()
    assert (child.last_name, child.municipality) == ("Тестова", personas.municipality_y)
    event = AuditEvent.objects.get(action="child.updated")
    assert event.actor == personas.family and event.data == {"fields": ["last_name", "municipality"]}

    for outsider in (personas.other_family, personas.operator_a):
        client.force_login(outsider)
        assert client.get(edit).status_code == 404
        assert client.post(edit, {**fixed, "first_name": "Чужая"}).status_code == 404
    child.refresh_from_db()
    assert child.first_name == "Маша"


def test_a_child_born_tomorrow_or_adult_is_refused(family_client, personas):
    for birth in (timezone.localdate() + timedelta(days=1), timezone.localdate() - timedelta(days=19 * 366)):
        response = family_client.post(
            reverse("family:child_new"),
            {
                "last_name": "Т",
                "first_name": "Я",
                "birth_date": birth.isoformat(),
                "sex": "m",
                "municipality": personas.municipality_x.pk,
            },
        )
        assert response.status_code == 200
        assert "будущем" in response.content.decode() or "до 18 лет" in response.content.decode()
    assert not Child.objects.exists()


def test_a_child_form_names_every_mistake_at_once(family_client, personas):
    tomorrow = timezone.localdate() + timedelta(days=1)
    form = {"last_name": "Т", "first_name": "", "birth_date": tomorrow.isoformat(), "sex": "m"}
    response = family_client.post(reverse("family:child_new"), form)
    errors = response.context["form"].errors
    assert errors["birth_date"] == ["Дата рождения не может быть в будущем."]
    assert "first_name" in errors and "municipality" in errors
    assert not Child.objects.exists()


def test_the_program_page_offers_the_form_and_applying_twice_makes_one_application(
    family_client, personas, published_program
):
    group = published_program.groups.get()
    child = make_child(personas.family, age_on=group.start_date)
    page = family_client.get(reverse("navigator:program", args=[published_program.code])).content.decode()
    assert "Подать заявку" in page and str(child.uuid) in page
    data = {"child": str(child.uuid), "group": group.code, "idempotency_key": "form-123"}
    url = reverse("family:apply", args=[published_program.code])
    assert family_client.post(url, data).status_code == 302
    assert family_client.post(url, data).status_code == 302  # a double click
    application = Application.objects.get()
    cabinet = family_client.get(reverse("family:cabinet")).content.decode()
    assert application.code in cabinet and "Новая" in cabinet and "История" in cabinet
    # «Отменить» asks first: the page names the application, and nothing changes until it is confirmed.
    cancel = reverse("family:cancel", args=[application.code])
    assert f'href="{cancel}"' in cabinet
    question = family_client.get(cancel).content.decode()
    assert "Отменить заявку?" in question and application.code in question and "Да, отменить заявку" in question
    application.refresh_from_db()
    assert application.status == S.NEW
    family_client.post(cancel)
    application.refresh_from_db()
    assert application.status == S.CANCELLED
    assert "отменить уже нельзя" in family_client.get(cancel, follow=True).content.decode()


def test_another_family_cannot_apply_for_or_cancel_my_childs_application(client, personas, published_program):
    group = published_program.groups.get()
    child = make_child(personas.family, age_on=group.start_date)
    Guardian.objects.create(user=personas.other_family, last_name="Чужая", first_name="Семья")
    client.force_login(personas.other_family)
    url = reverse("family:apply", args=[published_program.code])
    assert client.post(url, {"child": str(child.uuid), "idempotency_key": "x"}).status_code == 404
    from enrollment.services import apply

    application = apply(personas.family, child, published_program, None, "k")
    assert client.post(reverse("family:cancel", args=[application.code])).status_code == 404
    assert client.get(reverse("family:cancel", args=[application.code])).status_code == 404
    application.refresh_from_db()
    assert application.status == S.NEW


def test_guests_are_invited_to_sign_in_and_staff_cannot_use_the_cabinet(client, personas, published_program):
    page = client.get(reverse("navigator:program", args=[published_program.code])).content.decode()
    assert "Войти и записать ребёнка" in page
    assert client.get(reverse("family:cabinet")).status_code == 302  # to the login page
    client.force_login(personas.operator_a)
    assert client.get(reverse("family:cabinet")).status_code == 403


def test_an_account_given_the_parents_role_by_an_administrator_gets_its_parents_record_once(client, personas):
    """Registration makes a parent's record; an account the administrator gave the role has none until the
    cabinet needs it — made then from the account's names, audited, instead of a 403."""
    assert not Guardian.objects.filter(user=personas.family).exists()
    client.force_login(personas.family)
    assert client.get(reverse("family:cabinet")).status_code == 200
    guardian = Guardian.objects.get(user=personas.family)
    assert (guardian.last_name, guardian.first_name) == (personas.family.last_name, personas.family.first_name)
    assert client.get(reverse("family:child_new")).status_code == 200
    assert AuditEvent.objects.filter(action="guardian.created").count() == 1
    client.force_login(personas.methodologist)  # staff: still not a parent
    assert client.get(reverse("family:cabinet")).status_code == 403
    assert not Guardian.objects.filter(user=personas.methodologist).exists()


def test_a_letter_about_an_application_links_the_childs_place_in_the_cabinet(
    personas, published_program, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://navigator.example.ru"
    group = published_program.groups.get()
    child = make_child(personas.family, age_on=group.start_date)
    with django_capture_on_commit_callbacks(execute=True):
        application = enrollment.apply(personas.family, child, published_program, group, "link-1")
    letter = mail.outbox[-1]
    assert letter.subject.startswith(f"Заявка {application.code}: ")
    assert letter.body.endswith(f"Открыть в навигаторе: https://navigator.example.ru/family/#child-{child.pk}")


def test_an_invitation_tells_the_family_to_come_with_documents_and_whom_to_call(
    family_client, personas, published_program, django_capture_on_commit_callbacks
):
    organization = published_program.organization
    organization.phone = "+7 (49136) 3-21-16"
    organization.save(update_fields=["phone"])
    group = published_program.groups.get()
    child = make_child(personas.family, age_on=group.start_date)
    with django_capture_on_commit_callbacks(execute=True):
        application = enrollment.apply(personas.family, child, published_program, group, "invite-1")
        enrollment.change_status(personas.operator_a, application, "invite")
    letter = mail.outbox[-1]
    assert "Место за ребёнком до" in letter.body and "придите в организацию с документами" in letter.body
    # The site's address is not configured in tests: no link rather than one to a wrong host.
    assert "http" not in letter.body
    cabinet = family_client.get(reverse("family:cabinet")).content.decode()
    assert "придите в организацию с документами для зачисления" in cabinet
    assert '<a href="tel:+74913632116">' in cabinet
    assert f'<a href="{reverse("accounts:api_tokens")}">Токены API</a>' in cabinet  # where the API's docs send


def test_the_family_is_told_where_its_application_stands_and_a_refusal_keeps_the_child_chosen(
    family_client, personas, published_program
):
    group = published_program.groups.get()
    make_child(personas.family, "Аня", age_on=group.start_date, age=9)
    too_young = make_child(personas.family, "Ваня", age_on=group.start_date, age=3)
    url = reverse("family:apply", args=[published_program.code])
    refused = family_client.post(url, {"child": str(too_young.uuid), "group": group.code, "idempotency_key": "k-1"})
    assert refused["Location"].endswith(f"?child={too_young.uuid}&group={group.code}#apply")
    page = family_client.get(refused["Location"]).content.decode()
    assert f'<option value="{too_young.uuid}" selected>' in page
    # The page comes back scrolled to the form: the refusal is said there, not at the top of the page.
    form = page[page.index('<div id="apply"') :]
    assert '<p class="message message-error" role="alert">' in form and "ребёнку будет 3 года" in form
    assert page.count("ребёнку будет 3 года") == 1
    # In a first-come campaign the seat is taken at once: the message says so, not «Новая».
    make_campaign(personas.municipality_x, published_program, CampaignKind.FIRST_COME, -timedelta(seconds=1))
    anya = Child.objects.get(first_name="Аня")
    response = family_client.post(url, {"child": str(anya.uuid), "idempotency_key": "k-2"}, follow=True)
    application = Application.objects.get(child=anya)
    deadline = timezone.localtime(application.deadline)
    assert [str(m) for m in response.context["messages"]] == [
        f"Заявка {application.code} на «{published_program.title}» подана: статус «Приглашение», "
        f"группа «{group.name}», место держится до {deadline:%d.%m.%Y}."
    ]


def test_the_form_says_which_children_the_program_is_for_and_chooses_one_it_is_for(
    family_client, personas, published_program
):
    group = published_program.groups.get()  # for 7–14 years
    too_old = make_child(personas.family, "Петя", age_on=group.start_date, age=15)
    anya = make_child(personas.family, "Аня", age_on=group.start_date, age=9)
    page = family_client.get(reverse("navigator:program", args=[published_program.code])).content.decode()
    form = page[page.index('<div id="apply"') :]
    assert (
        f'<option value="{too_old.uuid}">Петя {too_old.last_name}, {too_old.birth_date:%d.%m.%Y} — не по возрасту'
        in form
    )
    assert f'<option value="{anya.uuid}" selected>Аня {anya.last_name}, {anya.birth_date:%d.%m.%Y}</option>' in form
    assert "Программа — для детей 7–14 лет (возраст на начало занятий)." in form
    anya.delete()
    form = family_client.get(reverse("navigator:program", args=[published_program.code])).content.decode()
    assert f'<option value="{too_old.uuid}">' in form  # still the family's to try: the refusal says why
    assert "программа не подходит ни одному из ваших детей: она — для детей 7–14 лет" in form


def test_a_parent_coming_back_to_a_program_sees_where_the_application_stands(
    family_client, client, personas, published_program
):
    group = published_program.groups.get()
    anya = make_child(personas.family, "Аня", age_on=group.start_date, age=9)
    applied = enrollment.apply(personas.family, anya, published_program, group, "back-1")
    page = family_client.get(reverse("navigator:program", args=[published_program.code])).content.decode()
    form = page[page.index('<div id="apply"') :]
    assert f'Аня: заявка <span class="code">{applied.code}</span> — «Новая», группа «{group.name}»' in form
    client.force_login(personas.other_family)  # another family sees nothing of it
    other = client.get(reverse("navigator:program", args=[published_program.code])).content.decode()
    assert applied.code not in other
