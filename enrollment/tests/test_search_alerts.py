"""«Сообщать о новых программах»: a parent keeps a search and a letter tells of the programs published later that it
finds — each once —, from the search page, the cabinet and the API. The parent's own: nobody else reads or removes
it."""

from datetime import timedelta
from io import StringIO
from urllib.parse import urlencode

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from catalog.services import change_program_status
from core.models import AuditEvent
from core.testing import make_program, make_user
from enrollment import search_alerts
from enrollment.models import MAX_SEARCH_ALERTS, SearchAlert, SearchAlertProgram
from enrollment.tests.test_watches import API, bearer
from people.models import Guardian

pytestmark = pytest.mark.django_db


def earlier(**delta) -> timezone.datetime:
    return timezone.now() - timedelta(**delta or {"hours": 1})


# --- Rules ---------------------------------------------------------------------------------------


def test_a_search_is_kept_once_as_what_it_finds_not_how_its_page_shows_it(personas):
    oktmo = personas.municipality_x.oktmo
    alert, created = search_alerts.keep(
        personas.family,
        f"q=бокс&sort=title&page=3&view=map&age=10&direction=sport&direction=sport&day=&municipality={oktmo}",
    )
    assert created and alert.query == f"age=10&direction=sport&municipality={oktmo}&q=%D0%B1%D0%BE%D0%BA%D1%81"
    # What the monitoring counts, written with it: the words, and the search's municipality.
    assert (alert.words, alert.municipality) == ("бокс", personas.municipality_x)
    # The same search written in another order, or with another page, is the same alert.
    again, created_again = search_alerts.keep(personas.family, f"municipality={oktmo}&direction=sport&age=10&q=бокс")
    assert (again, created_again) == (alert, False)
    [event] = AuditEvent.objects.filter(action="search_alert.created")
    assert (event.actor, event.data["query"]) == (personas.family, alert.query)
    [kept] = search_alerts.alerts_of(personas.family)
    assert kept.description == f"«бокс» · Физкультурно-спортивная · 10 лет · {personas.municipality_x.name}"


def test_one_search_is_one_alert_however_its_address_writes_it(personas):
    x, y = personas.municipality_x.oktmo, personas.municipality_y.oktmo
    for one, same in (
        ("q=бокс&free_seats=true", "free_seats=on&q=++бокс+&age="),  # an API's true is a page's «on»
        (f"municipality={x}&municipality={y}", f"municipality={y}"),  # the page reads the last
        ("q=" + "бокс " * 60, "q=" + "бокс " * 40),  # the page reads 200 characters
    ):
        assert search_alerts.kept_query(one) == search_alerts.kept_query(same), (one, same)
    assert search_alerts.kept_query("q=бокс&free_seats=true") == "free_seats=on&q=%D0%B1%D0%BE%D0%BA%D1%81"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", search_alerts.NOTHING_CHOSEN),
        ("page=2&sort=title&view=map&q=+", search_alerts.NOTHING_CHOSEN),
        ("q=бокс&direction=magic", "Направленность: такого значения нет: «magic»."),
        ("municipality=99999999", "Муниципалитет: не найден."),
    ],
)
def test_a_search_of_nothing_or_with_a_bad_value_is_refused_and_nothing_kept(personas, query, message):
    with pytest.raises(ValidationError) as refused:
        search_alerts.keep(personas.family, query)
    assert refused.value.messages == [message]
    assert not SearchAlert.objects.exists()


@pytest.mark.parametrize("persona", ["operator_a", "municipal_x", "teacher_a", "admin"])
def test_only_a_parent_subscribes(personas, persona):
    with pytest.raises(PermissionDenied, match="родители"):
        search_alerts.keep(getattr(personas, persona), "q=бокс")
    assert not SearchAlert.objects.exists()


def test_a_parent_keeps_at_most_so_many_searches_and_the_database_one_of_each(personas):
    for age in range(MAX_SEARCH_ALERTS):
        search_alerts.keep(personas.family, f"q=шахматы&age={age % 19}&free_seats={'on' if age > 18 else ''}")
    with pytest.raises(ValidationError, match="не больше 20"):
        search_alerts.keep(personas.family, "q=бокс")
    assert search_alerts.keep(personas.family, "q=шахматы&age=3")[1] is False  # one kept: still found
    assert search_alerts.keep(personas.other_family, "q=бокс")[1]  # another parent's count is its own
    with pytest.raises(IntegrityError), transaction.atomic():
        SearchAlert.objects.create(user=personas.other_family, query="q=%D0%B1%D0%BE%D0%BA%D1%81", checked_at=earlier())


def test_unsubscribing_is_the_parents_own_and_audited(personas):
    alert, _ = search_alerts.keep(personas.family, "q=бокс")
    with pytest.raises(PermissionDenied):
        search_alerts.forget(personas.other_family, alert)
    search_alerts.forget(personas.family, alert)
    assert not SearchAlert.objects.exists()
    assert AuditEvent.objects.filter(action="search_alert.removed", actor=personas.family).count() == 1


# --- Letters -------------------------------------------------------------------------------------


@pytest.fixture
def notify(django_capture_on_commit_callbacks):
    """A run of the check, its letters sent as its transactions commit (as outside tests)."""

    def run(now=None) -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return search_alerts.notify_new_programs(now)

    return run


def test_a_letter_tells_of_the_programs_published_since_that_the_search_finds(personas, settings, notify):
    settings.SITE_URL = "https://navigator.example"
    make_program(personas.org_a, "Бокс для начинающих")  # published before: the parent saw it when subscribing
    alert, _ = search_alerts.keep(personas.family, "q=бокса", now=timezone.now())
    search_alerts.keep(personas.other_family, "q=шахматы")
    boxing = make_program(personas.org_a, "Бокс", age_from=7, age_to=12)
    make_program(personas.org_b, "Бокс: второй год", status="draft")  # not published: no
    make_program(personas.org_b, "Футбол")  # another search's: no
    assert notify() == 1
    [letter] = mail.outbox
    assert letter.to == [personas.family.email] and letter.subject == "Новые программы: «бокса»"
    assert "По вашему поиску — «бокса» — в навигаторе появилась 1 новая программа:" in letter.body
    assert f"— «Бокс», {personas.org_a.short_name}: https://navigator.example/programs/{boxing.code}/" in letter.body
    assert "Бокс для начинающих" not in letter.body
    assert "Все ваши подписки — в личном кабинете: https://navigator.example/family/." in letter.body
    search = "https://navigator.example/programs/?q=%D0%B1%D0%BE%D0%BA%D1%81%D0%B0"
    stop = f"https://navigator.example{reverse('family:stop_search_alert', args=[search_alerts.stop_token(alert)])}"
    assert letter.body.endswith(f"Открыть в навигаторе: {search}\nОтписаться: {stop}")
    # Mail services show their own «Отписаться» from the headers, and unsubscribe in one click (RFC 8058).
    assert (letter.extra_headers["List-Unsubscribe"], letter.extra_headers["List-Unsubscribe-Post"]) == (
        f"<{stop}>",
        "List-Unsubscribe=One-Click",
    )
    assert list(SearchAlertProgram.objects.values_list("alert", "program")) == [(alert.pk, boxing.pk)]
    [event] = AuditEvent.objects.filter(action="search_alert.notified")
    assert (event.actor, event.data) == (None, {"programs": 1})
    # A second run, or the same program published again after changes, writes nothing more.
    assert notify() == 0
    change_program_status(personas.operator_a, boxing, "archive")
    change_program_status(personas.operator_a, boxing, "restore")
    boxing.refresh_from_db()
    change_program_status(personas.operator_a, boxing, "submit")
    change_program_status(personas.municipal_x, boxing, "approve")
    assert notify() == 0 and len(mail.outbox) == 1


def test_the_search_is_read_as_its_page_reads_it_filters_and_corrections_included(
    personas, django_capture_on_commit_callbacks
):
    search_alerts.keep(personas.family, f"q=шахмты&age=8&municipality={personas.municipality_x.oktmo}", now=earlier())
    make_program(personas.org_a, "Шахматы", age_from=7, age_to=10)
    make_program(personas.org_a, "Шахматы для малышей", age_from=4, age_to=6)  # not for an eight-year-old
    make_program(personas.org_b, "Шахматная школа", age_from=7, age_to=10)  # in the other municipality
    with django_capture_on_commit_callbacks(execute=True):
        call_command("notify_search_alerts", stdout=(out := StringIO()))
    assert out.getvalue().strip() == "Отправлено писем о новых программах: 1."
    [letter] = mail.outbox
    assert "— «Шахматы»," in letter.body and "малышей" not in letter.body and "Шахматная школа" not in letter.body
    assert "«шахмты» · 8 лет" in letter.body


def test_a_check_without_new_programs_moves_on_and_writes_nothing(personas, notify):
    alert, _ = search_alerts.keep(personas.family, "q=бокс", now=earlier(days=2))
    now = timezone.now()
    assert notify(now) == 0 and mail.outbox == []
    alert.refresh_from_db()
    assert alert.checked_at == now


# --- Pages ---------------------------------------------------------------------------------------


@pytest.fixture
def parent(client, personas):
    """The persona family signed in, with its cabinet (a Guardian record)."""
    Guardian.objects.create(user=personas.family, last_name="Тест", first_name="Мама")
    client.force_login(personas.family)
    return client


SEARCH = "q=%D0%B1%D0%BE%D0%BA%D1%81&age=10"  # «бокс», 10 лет


def test_a_guest_is_asked_to_sign_in_under_a_search_that_asks_for_something(client, personas):
    search = reverse("navigator:search")
    html = client.get(f"{search}?{SEARCH}").content.decode()
    assert "Новые программы по этому поиску" in html
    assert f'href="{reverse("accounts:login")}?{urlencode({"next": f"{search}?{SEARCH}"})}">Войдите</a>' in html
    for nothing_asked in ("", "?sort=title&page=2", "?direction=magic"):  # all programs, or a bad value
        assert "Новые программы по этому поиску" not in client.get(search + nothing_asked).content.decode()
    client.force_login(personas.operator_a)  # staff are not offered it
    assert "Новые программы по этому поиску" not in client.get(f"{search}?{SEARCH}").content.decode()
    assert client.post(reverse("family:keep_search_alert"), {"query": SEARCH}).status_code == 403
    assert not SearchAlert.objects.exists()


def test_a_parent_subscribes_under_the_search_and_unsubscribes_there(parent, personas):
    page = f"{reverse('navigator:search')}?{SEARCH}"
    html = parent.get(page + "&sort=title").content.decode()
    # The search's form may not hold another: the section posts through the form beside it.
    assert '<form id="post-from-results" method="post" hidden></form>' in html
    escaped = f"{SEARCH}&sort=title".replace("&", "&amp;")
    assert f'<input type="hidden" name="query" value="{escaped}" form="post-from-results">' in html
    response = parent.post(reverse("family:keep_search_alert"), {"query": f"{SEARCH}&sort=title"}, follow=True)
    assert response.redirect_chain == [(f"{page}&sort=title#search-alert", 302)]
    html = response.content.decode()
    assert f"Готово: письма придут на {personas.family.email}." in html and "Вы подписаны" in html
    alert = SearchAlert.objects.get(user=personas.family)
    assert alert.query == "age=10&q=%D0%B1%D0%BE%D0%BA%D1%81"
    again = parent.post(reverse("family:keep_search_alert"), {"query": SEARCH}, follow=True)
    assert "Вы уже подписаны на этот поиск." in again.content.decode() and SearchAlert.objects.count() == 1
    forget = reverse("family:forget_search_alert", args=[alert.pk])
    response = parent.post(forget, {"next": f"{page}#search-alert"}, follow=True)
    assert response.redirect_chain == [(f"{page}#search-alert", 302)]
    html = response.content.decode()
    assert "Письма о новых программах по этому поиску больше не придут." in html and "Сообщать о новых" in html
    assert not SearchAlert.objects.exists()


def test_a_refused_search_is_said_beside_the_button(parent, personas):
    for _ in range(MAX_SEARCH_ALERTS):
        search_alerts.keep(personas.family, f"q=шахматы&age={_ % 19}&ovz={'on' if _ > 18 else ''}")
    response = parent.post(reverse("family:keep_search_alert"), {"query": SEARCH}, follow=True)
    html = response.content.decode()
    assert search_alerts.TOO_MANY in html and html.index(search_alerts.TOO_MANY) > html.index('id="search-alert"')


def test_the_cabinet_lists_the_subscriptions_in_words_and_another_familys_is_not_found(parent, client, personas):
    alert, _ = search_alerts.keep(personas.family, f"q=бокс&municipality={personas.municipality_x.oktmo}")
    theirs, _ = search_alerts.keep(personas.other_family, "q=бокс")
    html = parent.get(reverse("family:cabinet")).content.decode()
    described = f"«бокс» · {personas.municipality_x.name}"
    link = f"{reverse('navigator:search')}?{alert.query}".replace("&", "&amp;")
    assert f'<a href="{link}">{described}</a>' in html
    assert f'aria-label="Отписаться: {described}"' in html
    assert parent.post(reverse("family:forget_search_alert", args=[theirs.pk])).status_code == 404
    response = parent.post(reverse("family:forget_search_alert", args=[alert.pk]), follow=True)
    assert response.redirect_chain == [(reverse("family:cabinet"), 302)]
    assert list(SearchAlert.objects.all()) == [theirs]
    assert "Под результатами поиска — «Сообщать о новых программах»" in response.content.decode()


# --- API -----------------------------------------------------------------------------------------


def test_the_api_subscribes_once_lists_and_unsubscribes_the_callers_own(client, personas):
    headers = bearer(personas.family)
    created = client.post(
        f"{API}/search-alerts", {"query": "q=бокс&age=10&page=2"}, "application/json", headers=headers
    )
    assert created.status_code == 201, created.content
    assert created.json()["query"] == "age=10&q=%D0%B1%D0%BE%D0%BA%D1%81"
    assert created.json()["description"] == "«бокс» · 10 лет"
    again = client.post(f"{API}/search-alerts", {"query": "age=10&q=бокс"}, "application/json", headers=headers)
    assert again.status_code == 200 and again.json()["id"] == created.json()["id"]
    theirs, _ = search_alerts.keep(personas.other_family, "q=бокс")
    body = client.get(f"{API}/search-alerts", headers=headers).json()
    assert [(item["id"], item["description"]) for item in body["items"]] == [(created.json()["id"], "«бокс» · 10 лет")]
    assert client.delete(f"{API}/search-alerts/{theirs.pk}", headers=headers).status_code == 404
    assert client.delete(f"{API}/search-alerts/{created.json()['id']}", headers=headers).status_code == 204
    assert list(SearchAlert.objects.values_list("pk", flat=True)) == [theirs.pk]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("sort=title", search_alerts.NOTHING_CHOSEN),
        ("q=бокс&free_seats=maybe", "Есть свободные места: Укажите true или false."),
        ("q=" + "я" * 2001, "Не длиннее 2000 символов."),
    ],
)
def test_the_api_says_what_is_wrong_with_a_search_at_its_field(client, personas, query, message):
    response = client.post(
        f"{API}/search-alerts", {"query": query}, "application/json", headers=bearer(personas.family)
    )
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert (error["loc"], error["msg"]) == (["body", "query"], message)
    assert not SearchAlert.objects.exists()


def test_the_api_refuses_guests_and_staff(client, personas):
    assert client.post(f"{API}/search-alerts", {"query": "q=бокс"}, "application/json").status_code == 401
    staff = bearer(personas.operator_a)
    assert (
        client.post(f"{API}/search-alerts", {"query": "q=бокс"}, "application/json", headers=staff).status_code == 403
    )
    assert client.get(f"{API}/search-alerts").status_code == 401
    assert not SearchAlert.objects.exists()


def test_the_alerts_are_checked_a_chunk_at_a_time_each_once(personas, notify, monkeypatch):
    monkeypatch.setattr(search_alerts, "CHUNK", 2)
    parents = [personas.family, personas.other_family]
    alerts = [
        search_alerts.keep(parent, query, now=earlier())[0] for parent in parents for query in ("q=бокс", "q=лыжи")
    ]
    boxing = make_program(personas.org_a, "Бокс")
    assert notify() == 2  # the two parents' «бокс», in two chunks; «лыжи» found nothing
    assert sorted(letter.to[0] for letter in mail.outbox) == sorted(parent.email for parent in parents)
    assert set(SearchAlertProgram.objects.values_list("program", flat=True)) == {boxing.pk}
    assert {alert.checked_at for alert in SearchAlert.objects.all()} == {
        SearchAlertProgram.objects.values_list("told_at", flat=True).first()
    }
    assert len(alerts) == SearchAlert.objects.count() == 4


def test_a_letters_link_unsubscribes_without_signing_in_after_asking(client, personas):
    alert, _ = search_alerts.keep(personas.family, "q=бокс&age=10")
    theirs, _ = search_alerts.keep(personas.other_family, "q=бокс&age=10")
    stop = reverse("family:stop_search_alert", args=[search_alerts.stop_token(alert)])
    page = client.get(stop)  # a mail scanner opening the link changes nothing
    html = page.content.decode()
    assert page.status_code == 200 and "Отписаться от писем?" in html and personas.family.email in html
    assert "«бокс» · 10 лет" in html and SearchAlert.objects.count() == 2
    done = client.post(stop)
    assert done.status_code == 200 and "Писем о новых программах по поиску — «бокс» · 10 лет — больше не будет." in (
        done.content.decode()
    )
    assert list(SearchAlert.objects.all()) == [theirs]
    [event] = AuditEvent.objects.filter(action="search_alert.removed")
    assert event.actor == personas.family
    gone = client.get(stop)
    assert gone.status_code == 404 and "Подписка не найдена" in gone.content.decode()
    # A token changed by hand, or another alert's number under this one's signature, names nothing.
    forged = search_alerts.stop_token(theirs)[:-2] + "xx"
    assert client.post(reverse("family:stop_search_alert", args=[forged])).status_code == 404
    assert list(SearchAlert.objects.all()) == [theirs]


def test_a_mail_services_one_click_needs_no_csrf_token(personas):
    alert, _ = search_alerts.keep(personas.family, "q=бокс")
    strict = Client(enforce_csrf_checks=True)
    stop = reverse("family:stop_search_alert", args=[search_alerts.stop_token(alert)])
    assert strict.post(stop, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert not SearchAlert.objects.exists()


# --- Demand: what families wait for -------------------------------------------------------------


def test_the_monitoring_shows_what_families_of_the_territory_wait_for_never_one_familys_words(client, personas):
    x, y = personas.municipality_x, personas.municipality_y
    parents = [make_user(f"parent-{n}@opora.test", Role.GUARDIAN) for n in range(4)]
    for n, parent in enumerate(parents):
        Guardian.objects.create(user=parent, last_name="Тест", first_name=f"Родитель {n}", municipality=x)
        search_alerts.keep(parent, f"q=Бокс&age={5 + n}")  # the parent's own municipality: X
        search_alerts.keep(parent, f"q=шахматы&municipality={x.oktmo}")
    search_alerts.keep(personas.family, f"q=бокс&municipality={x.oktmo}")  # another search of the same words
    search_alerts.keep(personas.other_family, f"q=шахматы&municipality={y.oktmo}")  # Y's
    search_alerts.keep(personas.family, f"q=логопед для ребёнка с аутизмом&municipality={x.oktmo}")  # one family's
    make_program(personas.org_a, "Шахматы")
    found = {(d.words, d.municipality): (d.families, d.found_now) for d in search_alerts.demand([x.pk])}
    # In X: «бокс» of four parents living there and of a family that chose X, whatever their ages; nothing found.
    assert found == {("бокс", x.oktmo): (5, 0), ("шахматы", x.oktmo): (4, 1)}  # «логопед…»: one family, not shown
    assert search_alerts.demand([y.pk]) == []  # Y's «шахматы»: one family
    client.force_login(personas.municipal_x)
    html = client.get(reverse("monitoring:dashboard")).content.decode()
    assert "Что ищут семьи: подписки на новые программы" in html and "«бокс»" in html and "логопед" not in html
    xlsx = client.get(reverse("monitoring:dashboard"), {"table": "demand"})
    assert xlsx.status_code == 200 and xlsx["Content-Disposition"].startswith("attachment")
