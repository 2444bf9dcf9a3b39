"""«Сообщить, когда откроется запись»: a family waits for a program's admission to open and gets one
letter when it does, from the program page, the cabinet, the API and cron's command."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, User
from accounts.services import issue_api_token
from catalog import services as catalog_services
from catalog.models import Group, Program
from core.models import AuditEvent
from core.testing import make_campaign, make_program, make_user
from enrollment import admission, watches
from enrollment.models import AdmissionWatch, CampaignKind
from people.models import Guardian

pytestmark = pytest.mark.django_db

API = "/api/v1"


def opens_later(program: Program) -> Program:
    """The program's groups open for applications in two days: its admission is LATER."""
    Group.objects.filter(program=program).update(enrollment_opens_at=timezone.now() + timedelta(days=2))
    return program


def open_now(program: Program) -> None:
    Group.objects.filter(program=program).update(enrollment_opens_at=timezone.now() - timedelta(minutes=1))


def state(program: Program) -> str:
    return admission.of_program(
        admission.with_current_groups(Program.objects.filter(pk=program.pk)).get(), timezone.now()
    ).state


@pytest.fixture
def later_program(personas) -> Program:
    return opens_later(make_program(personas.org_a, "Шахматы", actor=personas.operator_a))


@pytest.fixture
def closed_program(personas) -> Program:
    """Applications closed and no opening announced (the group is locked)."""
    program = make_program(personas.org_a, "Хор", actor=personas.operator_a)
    Group.objects.filter(program=program).update(is_locked=True)
    return program


def bearer(user: User) -> dict[str, str]:
    _, raw = issue_api_token(None, user, "Тестовая интеграция")
    return {"Authorization": f"Bearer {raw}"}


# --- Rules ---------------------------------------------------------------------------------------


def test_a_parent_waits_once_for_a_program_that_opens_later(personas, later_program):
    assert state(later_program) == admission.LATER
    watch, created = watches.watch(personas.family, later_program)
    assert created and watch.waiting and (watch.user, watch.program) == (personas.family, later_program)
    again, created_again = watches.watch(personas.family, later_program)
    assert (again, created_again) == (watch, False)
    assert AdmissionWatch.objects.count() == 1
    event = AuditEvent.objects.get(action="admission_watch.created")
    assert (event.actor, event.object_id, event.data) == (
        personas.family,
        str(watch.pk),
        {"program": later_program.code},
    )


def test_the_database_keeps_one_waiting_watch_per_parent_and_program(personas, later_program):
    watches.watch(personas.family, later_program)
    with pytest.raises(IntegrityError), transaction.atomic():
        AdmissionWatch.objects.create(user=personas.family, program=later_program)
    # A notified watch is history: the parent may wait again.
    AdmissionWatch.objects.update(notified_at=timezone.now())
    assert watches.watch(personas.family, later_program)[1]


def test_a_closed_program_or_one_without_groups_may_be_waited_for(personas, closed_program):
    assert state(closed_program) == admission.CLOSED
    assert watches.watch(personas.family, closed_program)[1]
    Group.objects.filter(program=closed_program).update(is_active=False)
    AdmissionWatch.objects.all().delete()
    assert state(closed_program) == admission.NO_GROUPS
    assert watches.watch(personas.family, closed_program)[1]


def test_waiting_is_refused_while_the_program_takes_applications_or_once_it_is_archived(
    personas, published_program, later_program
):
    assert state(published_program) == admission.APPLY
    with pytest.raises(ValidationError) as refused:
        watches.watch(personas.family, published_program)
    assert refused.value.messages == ["Запись уже открыта — подайте заявку."]
    group = published_program.groups.get()
    Group.objects.filter(pk=group.pk).update(seats_taken=group.capacity)  # full: the queue takes applications
    assert state(published_program) == admission.QUEUE
    with pytest.raises(ValidationError, match="Запись уже открыта"):
        watches.watch(personas.family, published_program)
    make_campaign(
        personas.municipality_x, later_program, CampaignKind.PREFERENCES, -timedelta(hours=1), timedelta(days=3)
    )
    assert state(later_program) == admission.CAMPAIGN
    with pytest.raises(ValidationError, match="Запись уже открыта"):
        watches.watch(personas.family, later_program)
    catalog_services.change_program_status(personas.operator_a, published_program, "archive")
    with pytest.raises(ValidationError) as retired:
        watches.watch(personas.family, published_program)
    assert retired.value.messages == ["Программа больше не проводится."]
    assert (
        not AdmissionWatch.objects.exists() and not AuditEvent.objects.filter(action__startswith="admission").exists()
    )


def test_only_a_parent_may_wait(personas, later_program):
    for staff in (personas.operator_a, personas.municipal_x, personas.admin):
        with pytest.raises(PermissionDenied):
            watches.watch(staff, later_program)
    assert not AdmissionWatch.objects.exists()


def test_stopping_deletes_the_watch_and_only_its_parent_may(personas, later_program):
    watch, _ = watches.watch(personas.family, later_program)
    with pytest.raises(PermissionDenied):
        watches.stop_watching(personas.other_family, watch)
    pk = watch.pk
    watches.stop_watching(personas.family, watch)
    assert not AdmissionWatch.objects.exists()
    event = AuditEvent.objects.get(action="admission_watch.stopped")
    assert (event.actor, event.object_id, event.data) == (personas.family, str(pk), {"program": later_program.code})


def test_each_waiting_parent_gets_one_letter_once_the_admission_opens(
    personas, later_program, closed_program, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://navigator.example.ru"
    mine, _ = watches.watch(personas.family, later_program)
    theirs, _ = watches.watch(personas.other_family, later_program)
    still_closed, _ = watches.watch(personas.family, closed_program)
    with django_capture_on_commit_callbacks(execute=True):
        assert watches.notify_open() == 0  # nothing opened yet
    assert mail.outbox == []
    open_now(later_program)
    with django_capture_on_commit_callbacks(execute=True):
        assert watches.notify_open() == 2
    assert sorted(tuple(letter.to) for letter in mail.outbox) == [
        (personas.family.email,),
        (personas.other_family.email,),
    ]
    letter = mail.outbox[0]
    assert letter.subject == "Открылась запись: «Шахматы»"
    assert "Открылась запись на программу «Шахматы» (Дом творчества «Радуга»)." in letter.body
    assert letter.body.endswith(
        f"Открыть в навигаторе: https://navigator.example.ru{reverse('navigator:program', args=[later_program.code])}"
    )
    mine.refresh_from_db(), theirs.refresh_from_db(), still_closed.refresh_from_db()
    assert mine.notified_at is not None and theirs.notified_at is not None and still_closed.waiting
    assert AuditEvent.objects.filter(action="admission_watch.notified", actor=None).count() == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert watches.notify_open() == 0  # once
    assert len(mail.outbox) == 2


def test_a_letter_of_a_queue_says_the_child_will_queue(personas, later_program, django_capture_on_commit_callbacks):
    watches.watch(personas.family, later_program)
    open_now(later_program)
    Group.objects.filter(program=later_program).update(seats_taken=15)
    with django_capture_on_commit_callbacks(execute=True):
        assert watches.notify_open() == 1
    assert "Свободных мест нет" in mail.outbox[0].body


def test_a_program_archived_meanwhile_is_not_notified_as_open_and_its_waits_end_with_a_letter(
    personas, later_program, closed_program, django_capture_on_commit_callbacks
):
    watch, _ = watches.watch(personas.family, later_program)
    theirs, _ = watches.watch(personas.other_family, later_program)
    still_closed, _ = watches.watch(personas.family, closed_program)
    catalog_services.change_program_status(personas.operator_a, later_program, "archive")
    open_now(later_program)
    with django_capture_on_commit_callbacks(execute=True):
        assert watches.notify_open() == 0
    assert mail.outbox == []
    watch.refresh_from_db()
    assert watch.waiting
    # Nothing will open there: each family is told so once, and its wait ends.
    with django_capture_on_commit_callbacks(execute=True):
        assert watches.end_retired() == 2
    assert sorted(tuple(letter.to) for letter in mail.outbox) == [
        (personas.family.email,),
        (personas.other_family.email,),
    ]
    assert mail.outbox[0].subject == "Запись не откроется: «Шахматы»"
    assert "больше не проводится: запись на неё не откроется" in mail.outbox[0].body
    assert list(AdmissionWatch.objects.all()) == [still_closed]
    ended = AuditEvent.objects.filter(action="admission_watch.ended", actor=None)
    assert sorted(ended.values_list("object_id", flat=True)) == sorted([str(watch.pk), str(theirs.pk)])
    with django_capture_on_commit_callbacks(execute=True):
        assert watches.end_retired() == 0
    assert len(mail.outbox) == 2


def test_notifying_computes_the_admission_once_per_program(personas, later_program):
    """The queries grow with the programs that opened, not with the families waiting for them."""
    families = [personas.family, personas.other_family]
    families += [make_user(f"parent{n}@opora.test", Role.GUARDIAN) for n in range(4)]
    watches.watch(personas.family, later_program)
    open_now(later_program)
    with CaptureQueriesContext(connection) as one:
        assert watches.notify_open() == 1
    AdmissionWatch.objects.all().delete()
    opens_later(later_program)
    for user in families:
        watches.watch(user, later_program)
    open_now(later_program)
    with CaptureQueriesContext(connection) as six:
        assert watches.notify_open() == 6
    assert len(six) == len(one)


def test_the_command_notifies_and_says_how_many(personas, later_program, django_capture_on_commit_callbacks):
    watches.watch(personas.family, later_program)
    open_now(later_program)
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("notify_admission_open", stdout=out)
    assert out.getvalue().splitlines() == [
        "Отправлено писем об открытии записи: 1.",
        "Снято ожиданий программ, перенесённых в архив: 0.",
    ]
    assert [letter.to for letter in mail.outbox] == [[personas.family.email]]


# --- Pages ---------------------------------------------------------------------------------------


def test_the_program_page_offers_to_wait_and_then_to_stop(client, personas, later_program):
    page = reverse("navigator:program", args=[later_program.code])
    guest = client.get(page).content.decode()
    assert "Войти, чтобы узнать об открытии записи" in guest
    assert f"{reverse('accounts:login')}?next={page}%23apply" in guest  # back to the program
    assert "Сообщить, когда откроется запись" not in guest

    client.force_login(personas.family)
    html = client.get(page).content.decode()
    assert "Сообщить, когда откроется запись" in html and reverse("family:watch", args=[later_program.code]) in html
    response = client.post(reverse("family:watch", args=[later_program.code]), follow=True)
    assert response.redirect_chain == [(f"{page}#apply", 302)]
    html = response.content.decode()
    assert f"Готово: письмо придёт на {personas.family.email}." in html
    assert "Вы получите письмо, когда откроется запись." in html and "Не сообщать" in html
    assert "Сообщить, когда откроется запись" not in html
    watch = AdmissionWatch.objects.get()
    assert watch.user == personas.family

    stop = reverse("family:stop_watching", args=[watch.pk])
    response = client.post(stop, {"next": f"{page}#apply"}, follow=True)
    assert response.redirect_chain == [(f"{page}#apply", 302)]
    html = response.content.decode()
    assert "Письма об открытии записи на «Шахматы» не будет." in html
    assert "Сообщить, когда откроется запись" in html
    assert not AdmissionWatch.objects.exists()


def test_an_open_program_and_staff_are_not_offered_to_wait(client, personas, published_program, later_program):
    client.force_login(personas.family)
    html = client.get(reverse("navigator:program", args=[published_program.code])).content.decode()
    assert "Сообщить, когда откроется запись" not in html and "Войти и записать ребёнка" not in html
    refused = client.post(reverse("family:watch", args=[published_program.code]), follow=True).content.decode()
    assert "Запись уже открыта — подайте заявку." in refused
    assert not AdmissionWatch.objects.exists()

    client.force_login(personas.operator_a)
    html = client.get(reverse("navigator:program", args=[later_program.code])).content.decode()
    assert "Сообщить, когда откроется запись" not in html and "Войти, чтобы узнать" not in html
    assert client.post(reverse("family:watch", args=[later_program.code])).status_code == 403
    assert not AdmissionWatch.objects.exists()


def test_the_cabinet_lists_the_programs_waited_for_and_stops_waiting(client, personas, later_program, closed_program):
    Guardian.objects.create(user=personas.family, last_name="Тест", first_name="Мама")
    mine, _ = watches.watch(personas.family, later_program)
    watches.watch(personas.family, closed_program)
    AdmissionWatch.objects.filter(program=closed_program).update(notified_at=timezone.now())  # told already
    watches.watch(personas.other_family, later_program)
    client.force_login(personas.family)
    html = client.get(reverse("family:cabinet")).content.decode()
    assert "Жду открытия записи" in html
    assert reverse("navigator:program", args=[later_program.code]) in html
    opens = Group.objects.filter(program=later_program).values_list("enrollment_opens_at", flat=True).get()
    assert f"Приём заявок откроется {admission.moment(opens)}." in html  # when, as the program's page says
    assert reverse("family:stop_watching", args=[mine.pk]) in html
    assert "Хор" not in html  # notified: no longer waited for
    assert html.count(reverse("family:stop_watching", args=[mine.pk])) == 1 and html.count("Не сообщать</button>") == 1
    response = client.post(reverse("family:stop_watching", args=[mine.pk]), follow=True)
    assert response.redirect_chain == [(reverse("family:cabinet"), 302)]
    html = response.content.decode()
    assert "Письма об открытии записи на «Шахматы» не будет." in html and "Жду открытия записи" not in html
    assert not AdmissionWatch.objects.filter(pk=mine.pk).exists()


def test_another_familys_watch_cannot_be_stopped_from_a_page(client, personas, later_program):
    theirs, _ = watches.watch(personas.other_family, later_program)
    client.force_login(personas.family)
    assert client.post(reverse("family:stop_watching", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("family:stop_watching", args=[theirs.pk])).status_code == 405
    assert AdmissionWatch.objects.filter(pk=theirs.pk).exists()


def test_the_admin_finds_watches_and_changes_none(admin_client, personas, later_program, closed_program):
    watches.watch(personas.family, later_program)
    told, _ = watches.watch(personas.other_family, closed_program)
    AdmissionWatch.objects.filter(pk=told.pk).update(notified_at=timezone.now())
    url = reverse("admin:enrollment_admissionwatch_changelist")
    waiting = admin_client.get(url, {"notified_at__isempty": "1"}).content.decode()
    assert "Шахматы" in waiting and "Хор" not in waiting
    found = admin_client.get(url, {"q": closed_program.code}).content.decode()
    assert "Хор" in found and "Шахматы" not in found
    assert admin_client.get(reverse("admin:enrollment_admissionwatch_add")).status_code == 403
    change = reverse("admin:enrollment_admissionwatch_change", args=[told.pk])
    assert admin_client.post(change, {"notified_at_0": "", "notified_at_1": ""}).status_code == 403
    told.refresh_from_db()
    assert told.notified_at is not None


# --- API -----------------------------------------------------------------------------------------


def test_the_api_lists_the_callers_watches_waiting_and_notified(client, personas, later_program, closed_program):
    told, _ = watches.watch(personas.family, closed_program)
    AdmissionWatch.objects.filter(pk=told.pk).update(notified_at=timezone.now())
    waiting, _ = watches.watch(personas.family, later_program)
    watches.watch(personas.other_family, later_program)
    body = client.get(f"{API}/watches", {"page_size": 1}, headers=bearer(personas.family)).json()
    assert (body["total"], body["page_count"]) == (2, 2)
    [first] = body["items"]
    assert first["id"] == waiting.pk and first["waiting"] and first["notified_at"] is None
    assert first["program"] == {"code": later_program.code, "title": "Шахматы"}
    second = client.get(f"{API}/watches", {"page_size": 1, "page": 2}, headers=bearer(personas.family)).json()
    assert second["items"][0]["id"] == told.pk and not second["items"][0]["waiting"]
    assert client.get(f"{API}/watches").status_code == 401


def test_the_api_creates_a_watch_once_and_refuses_an_open_program(client, personas, later_program, published_program):
    headers = bearer(personas.family)
    created = client.post(f"{API}/programs/{later_program.code}/watch", headers=headers)
    assert created.status_code == 201
    again = client.post(f"{API}/programs/{later_program.code.lower()}/watch", headers=headers)
    assert again.status_code == 200 and again.json()["id"] == created.json()["id"]
    refused = client.post(f"{API}/programs/{published_program.code}/watch", headers=headers)
    assert refused.status_code == 422
    assert refused.json()["detail"] == [
        {"loc": ["body"], "msg": "Запись уже открыта — подайте заявку.", "type": "invalid"}
    ]
    assert client.post(f"{API}/programs/PR-000000/watch", headers=headers).status_code == 404
    assert (
        client.post(f"{API}/programs/{later_program.code}/watch", headers=bearer(personas.operator_a)).status_code
        == 403
    )
    assert AdmissionWatch.objects.count() == 1


def test_the_api_deletes_only_the_callers_own_watch(client, personas, later_program):
    mine, _ = watches.watch(personas.family, later_program)
    theirs, _ = watches.watch(personas.other_family, later_program)
    headers = bearer(personas.family)
    assert client.delete(f"{API}/watches/{theirs.pk}", headers=headers).status_code == 404
    response = client.delete(f"{API}/watches/{mine.pk}", headers=headers)
    assert response.status_code == 204 and response.content == b""
    assert client.delete(f"{API}/watches/{mine.pk}", headers=headers).status_code == 404
    assert list(AdmissionWatch.objects.values_list("pk", flat=True)) == [theirs.pk]


def test_openapi_documents_the_watches_in_russian(client):
    document = client.get(f"{API}/openapi.json").json()
    paths = document["paths"]
    assert paths[f"{API}/watches"]["get"]["summary"] == "Ожидания открытия записи"
    assert paths[f"{API}/programs/{{code}}/watch"]["post"]["summary"] == "Ждать открытия записи"
    assert paths[f"{API}/watches/{{watch_id}}"]["delete"]["tags"] == ["Ожидание открытия записи"]
    notified_at = document["components"]["schemas"]["WatchOut"]["properties"]["notified_at"]
    assert notified_at["description"] == "Когда отправлено письмо об открытии записи; пусто — ещё ждёт"
