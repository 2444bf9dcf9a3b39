"""The home, program and organization pages as a family reads them: numbers, ages, dates, prices,
contacts, the icon and the version for the visually impaired."""

from datetime import date, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog import services
from catalog.models import Group, OrganizationUnit, Program, UnitKind
from core import money
from core.templatetags.opora import ages, date_span, figure, roubles, tel
from core.testing import make_group, make_program

pytestmark = pytest.mark.django_db


def published(program: Program, *groups: dict[str, Any]) -> Program:
    """A draft program with these groups (`make_group`'s fields each), published."""
    for fields in groups:
        make_group(program, **fields)
    services.change_program_status(None, program, "submit")
    services.change_program_status(None, program, "approve")
    program.refresh_from_db()
    return program


@pytest.mark.parametrize(
    ("age_from", "age_to", "text"),
    [(7, 7, "7 лет"), (5, 7, "5–7 лет"), (3, 4, "3–4 года"), (1, 1, "1 год"), (0, 1, "0–1 год"), (14, 18, "14–18 лет")],
)
def test_an_age_range_of_one_age_is_one_number_and_the_noun_agrees(age_from, age_to, text):
    assert ages(age_from, age_to) == text


def test_a_date_span_names_the_start_year_only_when_it_differs():
    assert date_span(date(2026, 9, 1), date(2027, 5, 29)) == "1 сентября 2026 — 29 мая 2027"
    assert date_span(date(2026, 9, 1), date(2026, 12, 25)) == "1 сентября — 25 декабря 2026"


@pytest.mark.parametrize(
    ("phone", "uri"),
    [
        ("+7 (49136) 3-21-16", "+74913632116"),
        ("8 (900) 123-45-67", "+79001234567"),
        ("(49136) 3-21-16", "+74913632116"),
        ("+375 17 222-33-44", "+375172223344"),
        ("3-21-16", "32116"),
    ],
)
def test_a_phone_link_dials_digits_only(phone, uri):
    assert tel(phone) == uri


def test_prices_group_thousands_as_the_counts_do():
    assert money.whole(Decimal("6000.00")) == "6\u00a0000"
    assert roubles(Decimal("12500.40")) == "12\u00a0500\u00a0₽"
    assert roubles(Decimal(900)) == "900\u00a0₽" and roubles(None) == ""


def test_figures_of_tables_group_thousands_and_leave_names_and_inns_alone():
    assert figure(28691) == "28\u00a0691" and figure(Decimal("12.5")) == "12,5"
    assert figure("7701234567") == "7701234567" and figure("Энск") == "Энск" and figure(True) is True


def test_home_counts_are_read_with_the_russian_plural(client, personas):
    published(make_program(personas.org_a, "Шахматы", status="draft", with_group=False), {"capacity": 2})
    html = client.get(reverse("navigator:home")).content.decode()
    assert "<strong>1</strong> программа</div>" in html
    assert "<strong>1</strong> организация</a></div>" in html
    assert '<a href="/programs/?free_seats=1"><strong>2</strong> свободных места</a></div>' in html


def test_home_counts_of_many_keep_the_space_between_thousands(client, personas, monkeypatch):
    counts = {"programs": 2242, "organizations": 240, "free_seats": 14553}
    monkeypatch.setattr("catalog.views.suggestion_counts", lambda: counts)
    html = client.get(reverse("navigator:home")).content.decode()
    assert "<strong>2\u00a0242</strong> программы</div>" in html
    assert "<strong>240</strong> организаций</a></div>" in html
    assert "<strong>14\u00a0553</strong> свободных места</a></div>" in html


def test_one_age_is_written_once_on_cards_the_program_page_and_its_groups(client, personas):
    program = make_program(personas.org_a, "Подготовка к школе", status="draft", with_group=False, age_from=6, age_to=7)
    published(program, {"name": "Группа семилеток", "age_from": 7, "age_to": 7})
    card = client.get(reverse("navigator:organization", args=[personas.org_a.code])).content.decode()
    assert "<span>6–7 лет</span>" in card
    page = client.get(reverse("navigator:program", args=[program.code])).content.decode()
    assert "<dd>6–7 лет</dd>" in page
    assert ", 7 лет</span>" in page and "7–7" not in page


def test_group_dates_name_the_start_year_when_it_differs_from_the_end_year(client, personas):
    year = timezone.localdate().year
    program = published(
        make_program(personas.org_a, "Шахматы", status="draft", with_group=False, duration_months=21),
        {"start_date": date(year - 1, 9, 1), "end_date": date(year + 1, 5, 29), "academic_year": year - 1},
        {"start_date": date(year + 1, 2, 1), "end_date": date(year + 1, 5, 29), "academic_year": year},
    )
    page = client.get(reverse("navigator:program", args=[program.code])).content.decode()
    assert f"1 сентября {year - 1} — 29 мая {year + 1}" in page
    assert f"1 февраля — 29 мая {year + 1}" in page


def test_prices_and_funding_look_the_same_on_cards_and_on_the_program_page(client, personas):
    program = make_program(
        personas.org_a, "Театр", status="draft", with_group=False, is_paid=True, price_per_month=Decimal(6000)
    )
    start = timezone.localdate()
    services.save_group(
        None,
        Group(
            program=program,
            name="Старшая",
            academic_year=services.academic_year_of(start),
            start_date=start,
            end_date=start + timedelta(days=200),
            capacity=16,
        ),
        schedule=[services.Slot(0, time(16), time(17))],
        financing=[services.Financing("paid", Decimal(6000))],
    )
    published(program)
    badges = '<span class="badge free">Бесплатно</span><span class="badge paid">Платно, 6\u00a0000\u00a0₽/мес</span>'
    card = client.get(reverse("navigator:organization", args=[personas.org_a.code])).content.decode()
    page = client.get(reverse("navigator:program", args=[program.code])).content.decode()
    assert badges in card and badges in page
    assert "Платно: 6\u00a0000\u00a0₽/мес" in page
    # Several ways to pay: the page says what each means for the family.
    assert "Как оплачиваются места. Бесплатно — места, которые оплачивает бюджет" in page
    assert "По сертификату ПФ —" not in page  # only the ways this program offers


def test_seats_say_free_of_capacity_and_no_seats_is_written_as_on_cards(client, personas, published_program):
    page = client.get(reverse("navigator:program", args=[published_program.code])).content.decode()
    assert '<span class="seats-ok">Свободно 15 из 15</span>' in page
    assert "Как оплачиваются места" not in page  # one way to pay, said by its badge
    # Seats of a group not taking applications are said, not offered (green beside «Приём закрыт»).
    Group.objects.filter(program=published_program).update(enrollment_closes_at=timezone.now() - timedelta(days=1))
    page = client.get(reverse("navigator:program", args=[published_program.code])).content.decode()
    assert '<span class="muted">Свободно 15 из 15</span>' in page and "Приём закрыт" in page
    Group.objects.filter(program=published_program).update(seats_taken=15)
    page = client.get(reverse("navigator:program", args=[published_program.code])).content.decode()
    assert '<span class="seats-none">Мест нет</span>' in page and "мест нет<" not in page


def test_a_card_of_a_program_without_groups_says_enrollment_is_not_announced(client, personas, published_program):
    waiting = make_program(personas.org_a, "Астрономия")
    ended = waiting.groups.get()
    ended.is_active = False
    services.save_group(None, ended)  # its only group is gone: nothing to enroll into
    full = published(make_program(personas.org_a, "Шахматы", status="draft", with_group=False), {"capacity": 1})
    # A group whose timetable is not set yet is still a group: full, it has no seats.
    untimed = published(
        make_program(personas.org_a, "Керамика", status="draft", with_group=False), {"capacity": 1, "weekdays": ()}
    )
    Group.objects.filter(program__in=[full, untimed]).update(seats_taken=1)
    services.refresh_program_groups([full.pk, untimed.pk])
    html = client.get(reverse("navigator:organization", args=[personas.org_a.code])).content.decode()
    titles = ("Астрономия", "Шахматы", "Керамика", "Робототехника")
    cards = {title: html[html.index(title) :].split("</li>")[0] for title in titles}
    assert '<span class="seats-later">Набор не объявлен</span>' in cards[waiting.title]
    assert '<span class="seats-none">Мест нет</span>' in cards[full.title]
    assert '<span class="seats-none">Мест нет</span>' in cards[untimed.title]
    assert "Свободных мест: 15" in cards["Робототехника"]


def test_phone_numbers_are_dialled_digits_only(client, personas, published_program):
    personas.org_a.phone = "+7 (49136) 3-21-16"
    personas.org_a.save()
    for url in (
        reverse("navigator:organization", args=[personas.org_a.code]),
        reverse("navigator:program", args=[published_program.code]),
    ):
        html = client.get(url).content.decode()
        assert '<a href="tel:+74913632116">+7 (49136) 3-21-16</a>' in html


def test_every_page_names_its_icon_and_favicon_ico_leads_to_it(client, published_program):
    html = client.get(reverse("navigator:home")).content.decode()
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"] == "/static/favicon.svg"


def test_the_version_for_the_visually_impaired_scales_the_root_so_that_everything_grows(client, published_program):
    client.cookies["opora_a11y"] = "1"
    html = client.get(reverse("navigator:program", args=[published_program.code])).content.decode()
    assert '<html lang="ru" class="a11y">' in html and '<body class="a11y">' in html
    client.cookies["opora_a11y"] = "0"
    assert '<html lang="ru">' in client.get(reverse("navigator:home")).content.decode()


def test_public_pages_answer_head_as_get_without_a_body(client, published_program):
    """Link previews and uptime monitors ask with HEAD; they were refused with 405."""
    pages = [
        reverse("navigator:home"),
        reverse("navigator:search") + "?q=робототехника",
        reverse("navigator:program", args=[published_program.code]),
        reverse("navigator:organization", args=[published_program.organization.code]),
        "/healthz",
    ]
    for page in pages:
        response = client.head(page)
        assert (page, response.status_code, response.content) == (page, 200, b"")
    assert client.post(pages[0]).status_code == 405


def test_the_program_page_names_the_unit_it_is_held_in_and_its_kind(client, personas):
    unit = OrganizationUnit.objects.create(
        organization=personas.org_a, kind=UnitKind.KVANTORIUM, name="Кванториум «Орион»"
    )
    program = make_program(personas.org_a, "Робототехника", unit=unit)
    page = client.get(reverse("navigator:program", args=[program.code])).content.decode()
    assert "<dt>Подразделение</dt><dd>Кванториум «Орион»<br>" in page and "Детский технопарк «Кванториум»" in page
    plain = make_program(personas.org_a, "Шахматы")
    assert "Подразделение" not in client.get(reverse("navigator:program", args=[plain.code])).content.decode()


def test_the_program_page_offers_similar_programs_with_free_seats_first(client, personas):
    robots = make_program(personas.org_a, "Робототехника", age_from=8, age_to=12)
    full = make_program(personas.org_a, "Лего-конструирование", age_from=7, age_to=9, popularity=100)
    Group.objects.filter(program=full).update(seats_taken=15)  # the most popular, and full
    services.refresh_program_groups([full.pk])
    free = make_program(
        personas.org_b, "Авиамоделирование", age_from=10, age_to=14, municipality=personas.municipality_x
    )
    make_program(personas.org_a, "Хор", direction="arts", age_from=8, age_to=12)  # another direction
    make_program(personas.org_a, "Программирование для старших", age_from=15, age_to=17)  # other ages
    make_program(personas.org_b, "Электроника", age_from=8, age_to=12)  # another municipality
    make_program(personas.org_a, "Черновик", status="draft", age_from=8, age_to=12)

    page = client.get(reverse("navigator:program", args=[robots.code])).content.decode()
    similar = page[page.index('<h2 id="similar-title">') :]
    assert "Техническая направленность, 8–12 лет, Энск" in similar
    titles = [title for title in ("Авиамоделирование", "Лего-конструирование") if title in similar]
    assert titles == ["Авиамоделирование", "Лего-конструирование"]
    assert similar.index("Авиамоделирование") < similar.index("Лего-конструирование")  # free seats first
    for absent in ("Хор", "Программирование для старших", "Электроника", "Черновик", ">Робототехника<"):
        assert absent not in similar
    everything = f"?direction=technical&amp;age=8&amp;age_to=12&amp;municipality={personas.municipality_x.oktmo}"
    assert f'href="{reverse("navigator:search")}{everything}">Все похожие программы</a>' in similar
    assert free.code in similar


def test_a_program_with_nothing_similar_shows_no_such_section(client, personas, published_program):
    assert (
        'id="similar-title"'
        not in client.get(reverse("navigator:program", args=[published_program.code])).content.decode()
    )
