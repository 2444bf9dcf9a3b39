"""The program page's call to action tells the truth: a button to apply only when a group takes
applications now, the queue when every such group is full, otherwise why not and when that changes."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog import services as catalog_services
from catalog.models import Group
from core.testing import PASSWORD, make_campaign, make_child, make_program
from enrollment import admission, services
from enrollment.models import Application, CampaignKind
from enrollment.models import ApplicationStatus as S
from people.models import Guardian

pytestmark = pytest.mark.django_db

SIGN_IN_TO_APPLY = "Войти и записать ребёнка"
SIGN_IN_TO_QUEUE = "Войти и встать в очередь"


def program_page(client, program, query: str = "") -> str:
    return client.get(reverse("navigator:program", args=[program.code]) + query).content.decode()


@pytest.fixture
def family_client(client, personas):
    Guardian.objects.create(user=personas.family, last_name="Тест", first_name="Мама")
    client.force_login(personas.family)
    return client


@pytest.fixture
def full_group(personas, published_program) -> Group:
    """The program's only group, its one seat taken by another family's child (invited)."""
    group = published_program.groups.get()
    Group.objects.filter(pk=group.pk).update(capacity=1)
    child = make_child(personas.other_family, "Соседка", age_on=group.start_date)
    taken = services.apply(personas.other_family, child, published_program, group, "neighbour")
    services.change_status(personas.operator_a, taken, "invite")
    group.refresh_from_db()
    assert group.seats_left == 0
    return group


def test_a_guest_is_asked_to_sign_in_when_a_group_has_free_seats(client, personas, published_program):
    group = published_program.groups.get()
    page = program_page(client, published_program)
    assert SIGN_IN_TO_APPLY in page and SIGN_IN_TO_QUEUE not in page
    login = reverse("accounts:login")
    back = f"/programs/{published_program.code}/%3Fgroup%3D{group.code}%23apply"
    assert f'href="{login}?next={back}"' in page
    assert f'aria-label="Записаться: группа {group.name}">Записаться</a>' in page
    # Signed in, the family comes back to the form with the group chosen (the form is far down on a phone).
    signed_in = client.post(f"{login}?next={back}", {"username": personas.family.email, "password": PASSWORD})
    assert signed_in["Location"] == f"/programs/{published_program.code}/?group={group.code}#apply"


def test_a_program_without_groups_says_so_and_offers_no_button(client, personas):
    program = make_program(personas.org_a, "Астрономия")
    ended = program.groups.get()
    ended.is_active = False
    catalog_services.save_group(None, ended)
    page = program_page(client, program)
    assert "Набор в группы пока не объявлен." in page
    assert SIGN_IN_TO_APPLY not in page and SIGN_IN_TO_QUEUE not in page


def test_a_closed_group_says_applications_are_closed_and_offers_no_button(client, published_program):
    Group.objects.filter(program=published_program).update(is_locked=True)
    page = program_page(client, published_program)
    assert "Приём заявок в группы закрыт." in page and '<td data-label="Запись">Приём закрыт</td>' in page
    assert SIGN_IN_TO_APPLY not in page and SIGN_IN_TO_QUEUE not in page


def test_a_group_opening_later_tells_when(client, published_program):
    opens = timezone.now() + timedelta(days=5)
    Group.objects.filter(program=published_program).update(enrollment_opens_at=opens)
    page = program_page(client, published_program)
    assert f"Приём заявок откроется {admission.moment(opens)}." in page
    assert f"Приём откроется {admission.moment(opens)}</td>" in page
    assert SIGN_IN_TO_APPLY not in page


def test_a_full_group_offers_the_queue_and_applying_puts_the_child_in_it(
    client, family_client, personas, published_program, full_group
):
    client.logout()
    guest = program_page(client, published_program)
    assert SIGN_IN_TO_QUEUE in guest and SIGN_IN_TO_APPLY not in guest
    assert "Свободных мест нет: подайте заявку — организация поставит ребёнка в очередь" in guest
    assert f'aria-label="Встать в очередь: группа {full_group.name}">Встать в очередь</a>' in guest

    child = make_child(personas.family, age_on=full_group.start_date)
    client.force_login(personas.family)
    parent = program_page(client, published_program, f"?group={full_group.code}")
    assert f'<option value="{full_group.code}" selected>{full_group.name} — мест нет, очередь</option>' in parent
    assert '<button type="submit" class="primary">Встать в очередь</button>' in parent
    data = {"child": str(child.uuid), "group": full_group.code, "idempotency_key": "queue-1"}
    assert client.post(reverse("family:apply", args=[published_program.code]), data).status_code == 302
    mine = Application.objects.get(child=child)
    services.change_status(personas.operator_a, mine, "waitlist")  # the organization's decision
    assert services.waitlist_position(mine) == 1

    # The seat frees up: it is offered to the first in the queue.
    neighbour = Application.objects.get(idempotency_key="neighbour")
    services.change_status(personas.operator_a, neighbour, "reject", reason="Семья передумала")
    mine.refresh_from_db()
    assert mine.status == S.INVITED and mine.group_id == full_group.pk


def test_in_a_first_come_campaign_a_full_group_queues_the_child_at_once(
    client, family_client, personas, published_program, full_group
):
    make_campaign(personas.municipality_x, published_program, CampaignKind.FIRST_COME, -timedelta(minutes=1))
    child = make_child(personas.family, age_on=full_group.start_date)
    page = program_page(client, published_program)
    assert "Свободных мест нет: заявка сразу встанет в очередь" in page
    data = {"child": str(child.uuid), "group": "", "idempotency_key": "queue-2"}
    client.post(reverse("family:apply", args=[published_program.code]), data)
    assert Application.objects.get(child=child).status == S.WAITLISTED


def test_a_first_come_campaign_not_yet_open_tells_when_it_opens(client, personas, published_program):
    campaign = make_campaign(personas.municipality_x, published_program, CampaignKind.FIRST_COME, timedelta(days=2))
    page = program_page(client, published_program)
    assert f"Приём заявок откроется {admission.moment(campaign.opens_at)} (кампания «{campaign.name}»)." in page
    assert SIGN_IN_TO_APPLY not in page and "Записаться</a>" not in page


def test_a_preference_campaign_leads_to_ranking_groups(client, family_client, personas, published_program):
    campaign = make_campaign(
        personas.municipality_x, published_program, CampaignKind.PREFERENCES, -timedelta(hours=1), timedelta(days=3)
    )
    client.logout()
    guest = program_page(client, published_program)
    assert "Войти и выбрать группы" in guest and SIGN_IN_TO_APPLY not in guest
    assert f"?next=/family/campaigns/{campaign.code}/" in guest
    client.force_login(personas.family)
    parent = program_page(client, published_program)
    assert f'href="{reverse("family:campaign", args=[campaign.code])}">Выбрать группы' in parent
    assert "Подать заявку" not in parent


def test_admission_follows_the_rules_apply_enforces(personas, published_program):
    now = timezone.now()
    group = published_program.groups.get()
    assert admission.admission([], None, now).state == admission.NO_GROUPS
    assert admission.admission([group], None, now).state == admission.APPLY
    group.seats_taken = group.capacity
    assert admission.admission([group], None, now).state == admission.QUEUE
    group.is_locked = True
    assert admission.admission([group], None, now).state == admission.CLOSED
    group.is_locked, group.enrollment_opens_at = False, now + timedelta(days=1)
    later = admission.admission([group], None, now)
    assert later.state == admission.LATER and later.opens_at == group.enrollment_opens_at


def test_a_moment_in_another_year_names_its_year():
    now = timezone.localtime()
    this_year = now.replace(month=9, day=1, hour=10, minute=0)
    next_year = this_year.replace(year=now.year + 1)
    assert admission.moment(this_year) == "1 сентября в 10:00"
    assert admission.moment(next_year) == f"1 сентября {now.year + 1} г. в 10:00"
