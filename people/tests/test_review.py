"""The review of a possible duplicate: the pair's page gives the basis for a decision, decided pairs
may be reopened, pairs of two municipalities are seen by both and decided by the region, operators
hear of new pairs once a day, families hear nothing."""

from datetime import date, datetime, time, timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.models import AuditEvent
from core.testing import make_municipality, make_program, make_region
from enrollment.models import Application, ApplicationStatus
from finance import certificates
from people import registry, review, services
from people.models import Child, ChildMerge, EntryChannel, Guardian, MatchCandidate, MatchStatus

SNILS = "112-233-445 95"
OTHER_SNILS = "123-456-789 64"
SNILS_PARTS = ("112-233", "233-445", "445 95", "11223344595")
API = "/api/v1"


def child(municipality, first="Артём", last="Соловьёв", birth=date(2015, 3, 4)) -> Child:
    return Child(
        last_name=last, first_name=first, patronymic="Игоревич", birth_date=birth, sex="m", municipality=municipality
    )


def stored(municipality, last: str, first: str, birth: date, sex: str = "m") -> Child:
    """A record as it stands in the registry, entered by nobody in particular."""
    return Child.objects.create(last_name=last, first_name=first, birth_date=birth, sex=sex, municipality=municipality)


def pair_url(pair: MatchCandidate) -> str:
    return f"/office/registry/duplicates/{pair.pk}/"


@pytest.fixture
def family_guardian(personas) -> Guardian:
    return Guardian.objects.create(
        user=personas.family, last_name="Соловьёва", first_name="Анна", phone="+7 900 111-22-33"
    )


@pytest.fixture
def family_pair(personas, family_guardian):
    """An organization's list entered the child with its СНИЛС and enrolled it; then the family added
    the child in its cabinet with the same СНИЛС: the family keeps its own record, the pair waits."""
    x = personas.municipality_x
    listed = registry.register_child(
        personas.operator_a, child(x), snils=SNILS, via=EntryChannel.IMPORT, organization=personas.org_a
    ).child
    robotics = make_program(personas.org_a, "Робототехника", actor=personas.operator_a, age_from=5, age_to=17)
    group = robotics.groups.get()
    Application.objects.create(
        child=listed,
        applicant=personas.operator_a,
        program=robotics,
        group=group,
        status=ApplicationStatus.ENROLLED,
        enrolled_on=date(2025, 9, 1),
        idempotency_key="listed",
    )
    added = services.add_child(personas.family, child(x, first="Тёма"), snils=SNILS)
    certificates.request_certificate(personas.family, added.child)
    return MatchCandidate.objects.get(), listed, added.child, robotics


@pytest.fixture
def cross_pair(personas):
    """Records in municipalities X and Y of one region: the regional operator decides."""
    in_x = stored(personas.municipality_x, "Гусев", "Марк", date(2014, 6, 1))
    in_y = stored(personas.municipality_y, "Гусев", "Марк", date(2014, 6, 2))
    return MatchCandidate.objects.create(first=in_x, second=in_y, probability=0.6)


MERGE_BUTTON = "Это один ребёнок — объединить"


def conflicting_application(family_pair) -> Application:
    """While the pair waited, the family applied to the group the organization's record is enrolled in."""
    _, _, added, robotics = family_pair
    return Application.objects.create(
        child=added,
        applicant=added.guardians.get().user,
        program=robotics,
        group=robotics.groups.get(),
        idempotency_key="family",
    )


# --- Where a record came from -----------------------------------------------------------------


def test_a_record_keeps_who_entered_it_and_how(personas, family_pair):
    _, listed, added, _ = family_pair
    assert (listed.entered_via, listed.entered_by, listed.entered_organization) == (
        EntryChannel.IMPORT,
        personas.operator_a,
        personas.org_a,
    )
    assert (added.entered_via, added.entered_by, added.entered_organization) == (
        EntryChannel.CABINET,
        personas.family,
        None,
    )


def test_the_api_records_its_channel_and_the_callers_organization(client, personas, family_guardian):
    typed = {
        "last_name": "Петрова",
        "first_name": "Анна",
        "birth_date": "2016-05-20",
        "sex": "f",
        "municipality": personas.municipality_x.oktmo,
    }
    client.force_login(personas.operator_a)
    client.post(f"{API}/children", typed, content_type="application/json")
    client.force_login(personas.family)
    client.post(f"{API}/children", {**typed, "first_name": "Вера"}, content_type="application/json")
    entries = Child.objects.order_by("pk").values_list("entered_via", "entered_by", "entered_organization")
    assert list(entries) == [
        (EntryChannel.API, personas.operator_a.pk, personas.org_a.pk),
        (EntryChannel.API, personas.family.pk, None),
    ]


def test_a_pair_remembers_that_it_was_queued_for_a_snils_held_elsewhere(family_pair):
    pair, *_ = family_pair
    assert pair.snils_held_elsewhere


# --- The pair's page: the basis for a decision -------------------------------------------------


def test_the_pair_page_shows_origin_guardians_applications_certificate_and_why(client, personas, family_pair):
    pair, listed, added, _ = family_pair
    client.force_login(personas.municipal_x)
    page = client.get(pair_url(pair))
    assert page.status_code == 200
    html = page.content.decode()
    for said in (
        "Список детей организации",
        personas.org_a.short_name,
        personas.operator_a.display_name,
        "Семья в личном кабинете",
        personas.family.display_name,
        "+7 900 111-22-33",  # the guardian's contacts, to check the documents with
        "family@opora.test",
        "Робототехника",
        "Зачислен",
        "заявление подано",  # the family record's certificate
        "уже был у другой",  # why: the СНИЛС
        "та запись, где его указали позже, сохранена без него",  # whichever record came later, not «новая»
        "Одну из записей внесла семья",  # why: a family's record and one outside the family
    ):
        assert said in html, said
    # The matcher's comparison, field by field: the birth dates agree, the first names are variants.
    rows = {row.comparison.key: row for row in page.context["basis"].rows}
    assert rows["birth_date"].comparison.outcome == "совпадает" and rows["birth_date"].first == date(2015, 3, 4)
    assert rows["first_name"].comparison.outcome == "варианты одного имени" and "варианты одного имени" in html
    assert not any(part in html for part in SNILS_PARTS)  # shown only through the audited reading
    readings = AuditEvent.objects.filter(action="child.viewed", actor=personas.municipal_x)
    assert set(readings.values_list("object_id", flat=True)) == {str(listed.pk), str(added.pk)}


def test_the_pair_page_warns_when_the_records_have_different_guardians(client, personas, family_pair):
    pair, listed, _, _ = family_pair
    client.force_login(personas.municipal_x)
    assert "разные законные представители" not in client.get(pair_url(pair)).content.decode()
    listed.guardians.add(Guardian.objects.create(user=personas.other_family, last_name="Гусева", first_name="Ольга"))
    html = client.get(pair_url(pair)).content.decode()
    assert "разные законные представители" in html and "other-family@opora.test" in html


def test_the_pair_page_is_for_the_territorys_operators(client, personas, family_pair):
    pair, *_ = family_pair
    for outsider in (personas.municipal_y, personas.other_regional, personas.operator_a, personas.teacher_a):
        client.force_login(outsider)
        assert client.get(pair_url(pair)).status_code == 404, outsider
        assert client.post(pair_url(pair), {"decision": "distinct"}).status_code == 404, outsider
    client.force_login(personas.family)  # the family is told nothing of other records
    assert client.get(pair_url(pair)).status_code == 403
    for operator in (personas.municipal_x, personas.regional, personas.admin):
        client.force_login(operator)
        page = client.get(pair_url(pair))
        assert page.status_code == 200 and page.context["basis"].may_decide, operator
    pair.refresh_from_db()
    assert pair.status == MatchStatus.PENDING


def test_the_pair_page_names_the_applications_that_keep_the_records_apart(client, personas, family_pair):
    """While the pair waited, the family applied to the group its child is already enrolled in
    through the organization's record: the merge is refused naming both applications."""
    pair, listed, _, robotics = family_pair
    group = robotics.groups.get()
    applied = conflicting_application(family_pair)
    enrolled = Application.objects.get(child=listed)
    client.force_login(personas.municipal_x)
    html = client.get(pair_url(pair)).content.decode()
    assert "Записи нельзя объединить" in html and applied.code in html and enrolled.code in html
    refused = client.post(pair_url(pair), {"decision": "same"}, follow=True)
    said = refused.content.decode()
    assert applied.code in said and enrolled.code in said and f"группа «{group.name}»" in said
    assert not ChildMerge.objects.exists()
    pair.refresh_from_db()
    assert pair.status == MatchStatus.PENDING


def test_a_blocked_merge_shows_its_refusal_instead_of_the_button(client, personas, family_pair):
    pair, *_ = family_pair
    client.force_login(personas.municipal_x)
    html = client.get(pair_url(pair)).content.decode()
    assert MERGE_BUTTON in html and "Записи нельзя объединить" not in html
    applied = conflicting_application(family_pair)
    html = client.get(pair_url(pair)).content.decode()
    assert MERGE_BUTTON not in html and 'value="same"' not in html
    assert "Записи нельзя объединить" in html and applied.code in html
    assert 'value="distinct"' in html  # keeping them apart stays open


def test_the_refusal_naming_the_other_records_applications_is_for_who_reads_both(client, personas, cross_pair):
    chess = make_program(personas.org_a, "Шахматы", actor=personas.operator_a, age_from=5, age_to=17)
    _, in_y = (
        Application.objects.create(child=record, applicant=personas.operator_a, program=chess, idempotency_key=key)
        for record, key in ((cross_pair.first, "x"), (cross_pair.second, "y"))
    )
    client.force_login(personas.regional)
    assert in_y.code in client.get(pair_url(cross_pair)).context["basis"].refusal
    client.force_login(personas.municipal_x)
    page = client.get(pair_url(cross_pair))
    assert page.context["basis"].refusal == "" and in_y.code not in page.content.decode()


def test_the_child_card_links_its_pair_not_the_whole_queue(client, personas, family_pair):
    pair, listed, _, _ = family_pair
    client.force_login(personas.municipal_x)
    assert f'href="{pair_url(pair)}"' in client.get(f"/office/registry/{listed.uuid}/").content.decode()


# --- Pairs of two municipalities ---------------------------------------------------------------


def test_a_pair_of_two_municipalities_is_decided_by_the_region_and_seen_by_both(client, personas, cross_pair):
    client.force_login(personas.regional)
    assert client.get("/office/registry/duplicates/").context["page"].object_list[0] == cross_pair
    regional = client.get(pair_url(cross_pair)).context["basis"]
    assert regional.may_decide and [row.comparison.key for row in regional.rows][:2] == ["last_name", "first_name"]
    for municipal, own, other in (
        (personas.municipal_x, cross_pair.first, cross_pair.second),
        (personas.municipal_y, cross_pair.second, cross_pair.first),
    ):
        client.force_login(municipal)
        assert list(client.get("/office/registry/duplicates/").context["page"]) == []
        assert list(client.get("/office/registry/duplicates/?show=shared").context["page"]) == [cross_pair]
        page = client.get(pair_url(cross_pair))
        html = page.content.decode()
        assert page.status_code == 200 and "решение по паре принимает региональный оператор" in html
        assert f"/office/registry/{own.uuid}/" in html and f"/office/registry/{other.uuid}/" not in html
        # The other record is named by its municipality only; field by field, the comparison would name
        # its child («the surname agrees»): it is for who reads both records.
        assert other.municipality.name in html and other.birth_date.strftime("%d.%m.%Y") not in html
        assert page.context["basis"].rows == [] and "совпадает" not in html
        assert client.post(pair_url(cross_pair), {"decision": "same"}).status_code == 403
        assert client.post(f"{pair_url(cross_pair)}reopen/", {"reason": "Документы"}).status_code == 403
        card = client.get(f"/office/registry/{own.uuid}/").content.decode()
        assert f'href="{pair_url(cross_pair)}"' in card and "запись другого муниципалитета" in card
    assert not ChildMerge.objects.exists()
    client.force_login(personas.other_regional)
    assert client.get(pair_url(cross_pair)).status_code == 404
    client.force_login(personas.regional)
    client.post(pair_url(cross_pair), {"decision": "same"})
    assert ChildMerge.objects.get().absorbed == cross_pair.second


# --- Decided pairs and reopening them ---------------------------------------------------------


def test_decided_pairs_are_listed_with_who_decided_and_when(client, personas, family_pair, cross_pair):
    pair, *_ = family_pair
    registry.decide(personas.municipal_x, pair, same=False)
    client.force_login(personas.municipal_x)
    assert list(client.get("/office/registry/duplicates/").context["page"]) == []
    listed = client.get("/office/registry/duplicates/?show=decided")
    assert list(listed.context["page"]) == [pair]
    html = listed.content.decode()
    assert "Разные дети" in html and personas.municipal_x.display_name in html
    assert timezone.localdate().strftime("%d.%m.%Y") in html
    client.force_login(personas.municipal_y)
    assert list(client.get("/office/registry/duplicates/?show=decided").context["page"]) == []


def test_a_pair_judged_distinct_is_reopened_with_a_reason_in_the_audit_log(client, personas, family_pair):
    pair, *_ = family_pair
    registry.decide(personas.municipal_x, pair, same=False)
    reopen = f"{pair_url(pair)}reopen/"
    client.force_login(personas.municipal_y)
    assert client.post(reopen, {"reason": "Семья принесла документы"}).status_code == 404
    client.force_login(personas.municipal_x)
    refused = client.post(reopen, {"reason": "   "})
    assert refused.status_code == 400 and "Укажите, почему" in refused.content.decode()
    pair.refresh_from_db()
    assert pair.status == MatchStatus.DISTINCT and not AuditEvent.objects.filter(action="child.pair_reopened")
    assert "Вернуть в очередь" in client.get(pair_url(pair)).content.decode()
    client.post(reopen, {"reason": "Семья  принесла\nдокументы"})
    pair.refresh_from_db()
    assert (pair.status, pair.decided_at, pair.decided_by) == (MatchStatus.PENDING, None, None)
    event = AuditEvent.objects.get(action="child.pair_reopened")
    assert event.actor == personas.municipal_x and event.object_id == str(pair.pk)
    assert event.data["reason"] == "Семья принесла документы" and event.data["decided"] == MatchStatus.DISTINCT
    assert event.data["decided_by"] == personas.municipal_x.pk
    assert list(client.get("/office/registry/duplicates/").context["page"]) == [pair]
    assert "Семья принесла документы" in client.get(pair_url(pair)).content.decode()
    again = client.post(reopen, {"reason": "Ещё раз"}, follow=True)  # a second tab, say
    assert "Пара и так ждёт решения" in again.content.decode()
    assert AuditEvent.objects.filter(action="child.pair_reopened").count() == 1


def test_only_a_distinct_pair_of_living_records_is_reopened(personas, family_pair, cross_pair):
    pair, *_ = family_pair
    with pytest.raises(ValidationError, match="и так ждёт решения"):
        registry.reopen(personas.municipal_x, pair, reason="Ошибка")
    Application.objects.all().delete()  # nothing keeps the records from being merged
    registry.decide(personas.municipal_x, pair, same=True)
    with pytest.raises(ValidationError, match="отмените объединение"):
        registry.reopen(personas.municipal_x, pair, reason="Ошибка")
    # Undone, the merge leaves the pair judged distinct: that is reopened like any other.
    registry.undo_merge(personas.municipal_x, ChildMerge.objects.get())
    registry.reopen(personas.municipal_x, pair, reason="Объединение отменили по ошибке")
    pair.refresh_from_db()
    assert pair.status == MatchStatus.PENDING
    # A record since merged into a third one: the pair is gone for good.
    registry.decide(personas.regional, cross_pair, same=False)
    third = stored(personas.municipality_y, "Гусев", "Марк", date(2014, 6, 1))
    registry.merge_children(personas.regional, third, cross_pair.second)
    with pytest.raises(ValidationError, match="объединена с другой записью"):
        registry.reopen(personas.regional, cross_pair, reason="Ошибка")
    with pytest.raises(ValidationError, match="не длиннее"):
        registry.reopen(personas.municipal_x, pair, reason="x" * (registry.REOPEN_REASON_MAX + 1))


def test_families_are_told_nothing_of_a_pair_or_its_decision(personas, family_pair, django_capture_on_commit_callbacks):
    pair, *_ = family_pair
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):  # letters leave at the commit
        registry.decide(personas.municipal_x, pair, same=False)
        registry.reopen(personas.municipal_x, pair, reason="Документы")
        Application.objects.all().delete()
        registry.decide(personas.municipal_x, pair, same=True)
        registry.undo_merge(personas.municipal_x, ChildMerge.objects.get())
    assert mail.outbox == []


# --- The daily letter -------------------------------------------------------------------------


def queued_on(pair: MatchCandidate, day: date) -> None:
    MatchCandidate.objects.filter(pk=pair.pk).update(created_at=timezone.make_aware(datetime.combine(day, time(15))))


def test_operators_get_one_letter_a_day_about_the_pairs_queued_for_them(
    personas, family_pair, cross_pair, django_capture_on_commit_callbacks
):
    pair, *_ = family_pair
    day = date(2026, 11, 30)
    another = MatchCandidate.objects.create(
        first=stored(personas.municipality_x, "Лис", "Ева", date(2016, 1, 1), sex="f"),
        second=stored(personas.municipality_x, "Лис", "Ева", date(2016, 1, 2), sex="f"),
        probability=0.6,
    )
    for queued in (pair, another, cross_pair):
        queued_on(queued, day)
    older = MatchCandidate.objects.create(first=pair.first, second=another.first, probability=0.55)
    queued_on(older, day - timedelta(days=1))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("registry_digest", day=day.isoformat())
    letters = {tuple(letter.to): letter.body for letter in mail.outbox}
    # X's operator: its two pairs; the region's: the pair of two municipalities; Y's and families: nothing.
    assert set(letters) == {(personas.municipal_x.email,), (personas.regional.email,)}
    assert "добавлено пар: 2" in letters[(personas.municipal_x.email,)]
    assert "добавлено пар: 1" in letters[(personas.regional.email,)]
    assert not any(name in body for body in letters.values() for name in ("Соловьёв", "Гусев", "Лис"))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("registry_digest", day=(day + timedelta(days=1)).isoformat())
    assert mail.outbox == []  # no new pairs: no letter
    with pytest.raises(CommandError, match="ГГГГ-ММ-ДД"):
        call_command("registry_digest", day="30.11.2026")


def test_a_pair_the_system_sent_back_to_the_queue_is_in_that_days_letter(
    personas, family_pair, cross_pair, django_capture_on_commit_callbacks
):
    """The family gave a СНИЛС for a pair judged two children on their details: no operator asked for it,
    so the letter tells of it; a pair an operator reopened is that operator's own doing and is not counted."""
    waiting, _, added, _ = family_pair
    holder = stored(personas.municipality_x, "Лис", "Ева", date(2016, 1, 1), sex="f")
    registry.set_identifiers(holder, snils=OTHER_SNILS)
    holder.save()
    pair = MatchCandidate.objects.create(first=added, second=holder, probability=0.6)
    today = timezone.localdate()
    queued_on(waiting, today - timedelta(days=30))
    for decided, operator in ((pair, personas.municipal_x), (cross_pair, personas.regional)):
        registry.decide(operator, decided, same=False)
        queued_on(decided, today - timedelta(days=30))
    registry.add_identifiers(personas.family, added, snils=OTHER_SNILS)
    assert MatchCandidate.objects.get(pk=pair.pk).status == MatchStatus.PENDING
    registry.reopen(personas.regional, cross_pair, reason="Пришли документы")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert review.send_digest(today) == 1
    assert mail.outbox[0].to == [personas.municipal_x.email] and "добавлено пар: 1." in mail.outbox[0].body
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert review.send_digest(today - timedelta(days=1)) == 0


def test_an_operator_of_several_municipalities_gets_one_letter(
    personas, cross_pair, django_capture_on_commit_callbacks
):
    from accounts.models import Role, RoleAssignment

    RoleAssignment.objects.create(
        user=personas.municipal_x, role=Role.MUNICIPAL_OPERATOR, municipality=personas.municipality_y
    )
    MatchCandidate.objects.create(
        first=cross_pair.second,
        second=stored(personas.municipality_y, "Гусев", "Марк", date(2014, 2, 6)),
        probability=0.6,
    )
    MatchCandidate.objects.create(
        first=cross_pair.first,
        second=stored(personas.municipality_x, "Гусев", "Марк", date(2014, 1, 6)),
        probability=0.6,
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert review.send_digest(timezone.localdate()) == 3  # X+Y's operator, Y's, the region's
    mine = [letter for letter in mail.outbox if letter.to == [personas.municipal_x.email]]
    assert len(mine) == 1 and "добавлено пар: 2" in mine[0].body


def test_pairs_of_a_territory_without_its_own_operator_go_one_level_up_and_count_once(
    personas, django_capture_on_commit_callbacks
):
    """Z has no municipal operator (Y's is inactive too): their pairs go to the region's operator. A region
    without a regional operator hands its pairs to the administrators, each of whom counts a pair once."""
    from accounts.models import Role, RoleAssignment

    def pair_in(one, other) -> MatchCandidate:
        first, second = (stored(m, "Лис", "Ева", date(2016, 1, d), sex="f") for d, m in ((1, one), (2, other)))
        return MatchCandidate.objects.create(first=first, second=second, probability=0.6)

    x, y = personas.municipality_x, personas.municipality_y
    z = make_municipality(personas.region, "Озёрский район")
    lonely = make_region("Северная область", "97")
    w = make_municipality(lonely, "Северск")
    personas.municipal_y.is_active = False
    personas.municipal_y.save()
    # The superuser with an administrator's role too: one address, not two.
    RoleAssignment.objects.create(user=personas.admin, role=Role.ADMINISTRATOR)
    # The region's operator is an administrator too: its pairs of both kinds, one letter.
    RoleAssignment.objects.create(user=personas.regional, role=Role.ADMINISTRATOR)
    for one, other in ((x, x), (z, z), (y, y), (x, y), (w, w), (x, w)):
        pair_in(one, other)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert review.send_digest(timezone.localdate()) == 3
    letters = {letter.to[0]: letter.body for letter in mail.outbox}
    assert len(mail.outbox) == len(letters) == 3
    assert "добавлено пар: 1." in letters[personas.municipal_x.email]
    assert "Из них" not in letters[personas.municipal_x.email]
    # Z's and Y's pairs stood in for, X–Y its own; W's (no regional operator) and X–W as an administrator.
    assert "добавлено пар: 5. Из них 3 — " in letters[personas.regional.email]
    assert "добавлено пар: 2. Из них 1 — " in letters[personas.admin.email]
    assert personas.municipal_y.email not in letters and personas.other_regional.email not in letters


# --- The queue's cost -------------------------------------------------------------------------


@pytest.mark.parametrize("shown", ["", "decided"])
def test_the_queue_costs_the_same_queries_for_one_pair_or_many(client, personas, shown):
    x = personas.municipality_x

    def add_pair(n: int) -> None:
        one, other = (stored(x, f"Орлов{n}", "Ян", date(2015, 1, d)) for d in (1, 2))
        created = MatchCandidate.objects.create(first=one, second=other, probability=0.6)
        if shown:
            registry.decide(personas.municipal_x, created, same=False)

    client.force_login(personas.municipal_x)
    url = f"/office/registry/duplicates/?show={shown}"
    add_pair(0)
    with CaptureQueriesContext(connection) as one:
        assert len(client.get(url).context["page"]) == 1
    for n in range(1, 4):
        add_pair(n)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(url).context["page"]) == 4
    assert len(many) == len(one)


# --- The API: what the pages give --------------------------------------------------------------


def api_pair(pair: MatchCandidate) -> str:
    return f"{API}/registry/duplicates/{pair.pk}"


def post(client, url: str, body: dict):  # type: ignore[no-untyped-def]
    return client.post(url, body, content_type="application/json")


def test_the_api_gives_a_pair_as_its_page_does_to_each_persona(client, personas, family_pair, cross_pair):
    pair, *_ = family_pair
    client.force_login(personas.municipal_x)
    listed = client.get(f"{API}/registry/duplicates").json()["items"]
    assert [(item["id"], item["may_decide"]) for item in listed] == [(pair.pk, True), (cross_pair.pk, False)]
    # The other municipality's record is named by its municipality only, in the list as on the page.
    shared = listed[1]
    assert shared["first"]["uuid"] == str(cross_pair.first.uuid)
    assert shared["second"] == {
        "uuid": None,
        "full_name": None,
        "birth_date": None,
        "municipality": personas.municipality_y.oktmo,
    }
    mine = client.get(f"{API}/registry/duplicates?may_decide=true").json()["items"]
    others = client.get(f"{API}/registry/duplicates?may_decide=false").json()["items"]
    assert [item["id"] for item in mine] == [pair.pk] and [item["id"] for item in others] == [cross_pair.pk]
    read = client.get(api_pair(cross_pair))
    assert read.status_code == 200 and read["Cache-Control"] == "no-store"
    body = read.json()
    assert not body["may_decide"] and "региональный оператор" in body["decider"]
    assert body["second"]["full_name"] is None and body["second"]["entered_via"] is None
    assert body["reasons"] and body["merge_refusal"] == ""
    for refused in (
        post(client, api_pair(cross_pair), {"same": True}),
        post(client, f"{api_pair(cross_pair)}/reopen", {"reason": "Документы"}),
    ):
        assert refused.status_code == 403
        assert refused.json()["detail"] == (
            "Записи из разных муниципалитетов: решение по паре принимает региональный оператор. "
            "Вам пара видна только для чтения."
        )
    # The other municipality's operator, the other region's and an organization's: no such pair (404).
    for outsider in (personas.municipal_y, personas.other_regional, personas.operator_a):
        client.force_login(outsider)
        assert client.get(api_pair(pair)).status_code == 404, outsider
        assert post(client, api_pair(pair), {"same": False}).status_code == 404, outsider
        assert post(client, f"{api_pair(pair)}/reopen", {"reason": "Документы"}).status_code == 404, outsider
    assert client.get(f"{API}/registry/duplicates").status_code == 403  # the queue is the territory's operators'
    # The family is told nothing of other records: refused, as the pages refuse it.
    client.force_login(personas.family)
    assert client.get(f"{API}/registry/duplicates").status_code == 403
    assert client.get(api_pair(pair)).status_code == 403
    assert post(client, api_pair(pair), {"same": True}).status_code == 403
    assert not ChildMerge.objects.exists()
    assert set(MatchCandidate.objects.values_list("status", flat=True)) == {MatchStatus.PENDING}
    client.force_login(personas.regional)
    decided = post(client, api_pair(cross_pair), {"same": False})
    assert decided.status_code == 200 and decided.json()["status"] == MatchStatus.DISTINCT
    assert decided.json()["may_decide"] and decided.json()["second"]["uuid"] == str(cross_pair.second.uuid)


def test_the_api_pair_carries_why_it_waits_how_each_record_came_and_what_blocks_the_merge(
    client, personas, family_pair
):
    pair, listed, added, _ = family_pair
    client.force_login(personas.municipal_x)
    read = client.get(api_pair(pair))
    body = read.json()
    assert body["may_decide"] and body["decider"] == "" and body["merge_refusal"] == ""
    assert (body["first"]["uuid"], body["second"]["uuid"]) == (str(listed.uuid), str(added.uuid))
    assert (body["first"]["entered_via"], body["first"]["entered_organization"]) == (
        EntryChannel.IMPORT,
        personas.org_a.code,
    )
    assert (body["second"]["entered_via"], body["second"]["entered_organization"]) == (EntryChannel.CABINET, None)
    assert any("уже был у другой" in reason for reason in body["reasons"])
    assert any("Одну из записей внесла семья" in reason for reason in body["reasons"])
    assert not any(part in read.content.decode() for part in SNILS_PARTS)
    applied = conflicting_application(family_pair)
    refusal = client.get(api_pair(pair)).json()["merge_refusal"]
    assert refusal.startswith("Записи нельзя объединить") and applied.code in refusal
    refused = post(client, api_pair(pair), {"same": True})  # the server refuses it as the page does
    assert refused.status_code == 422
    assert refused.json()["detail"] == [{"loc": ["body"], "msg": refusal, "type": "invalid"}]
    assert not ChildMerge.objects.exists()


def test_the_api_lists_decided_pairs_and_reopens_one_with_a_reason(client, personas, family_pair, cross_pair):
    pair, *_ = family_pair
    client.force_login(personas.municipal_x)
    reopen = f"{api_pair(pair)}/reopen"
    refused = post(client, reopen, {"reason": "Документы"})
    assert refused.status_code == 422
    assert refused.json()["detail"] == [{"loc": ["body"], "msg": "Пара и так ждёт решения.", "type": "invalid"}]
    assert post(client, api_pair(pair), {"same": False}).status_code == 200
    registry.decide(personas.regional, cross_pair, same=False)
    # Decided pairs: the latest decision first; the one decided by the region is seen read-only.
    distinct = client.get(f"{API}/registry/duplicates?status=distinct").json()["items"]
    assert [(item["id"], item["may_decide"]) for item in distinct] == [(cross_pair.pk, False), (pair.pk, True)]
    assert client.get(f"{API}/registry/duplicates").json()["items"] == []
    assert client.get(f"{API}/registry/duplicates?status=merged").json()["items"] == []
    unknown = client.get(f"{API}/registry/duplicates?status=decided")
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["loc"] == ["query", "status"]
    for reason, message in (
        ("   ", "Укажите, почему пару нужно рассмотреть снова."),
        ("x" * (registry.REOPEN_REASON_MAX + 1), f"Причина — не длиннее {registry.REOPEN_REASON_MAX} символов."),
    ):
        refused = post(client, reopen, {"reason": reason})
        assert refused.status_code == 422
        assert refused.json()["detail"] == [{"loc": ["body", "reason"], "msg": message, "type": "invalid"}]
    assert post(client, reopen, {}).json()["detail"][0]["loc"] == ["body", "reason"]
    assert not AuditEvent.objects.filter(action="child.pair_reopened").exists()
    reopened = post(client, reopen, {"reason": "Семья принесла документы"})
    assert reopened.status_code == 200
    assert (reopened.json()["status"], reopened.json()["decided_at"]) == (MatchStatus.PENDING, None)
    event = AuditEvent.objects.get(action="child.pair_reopened")
    assert (event.actor, event.data["reason"]) == (personas.municipal_x, "Семья принесла документы")
    assert [item["id"] for item in client.get(f"{API}/registry/duplicates").json()["items"]] == [pair.pk]
    # A merged pair is reopened by undoing the merge first.
    Application.objects.all().delete()
    post(client, api_pair(pair), {"same": True})
    assert [item["id"] for item in client.get(f"{API}/registry/duplicates?status=merged").json()["items"]] == [pair.pk]
    refused = post(client, reopen, {"reason": "Ошибка"})
    assert refused.status_code == 422 and "отмените объединение" in refused.json()["detail"][0]["msg"]
    assert AuditEvent.objects.filter(action="child.pair_reopened").count() == 1


@pytest.mark.parametrize("status", ["pending", "distinct"])
def test_the_api_list_costs_the_same_queries_for_one_pair_or_many(client, personas, status):
    def add_pair(n: int) -> None:
        one, other = (
            stored(m, f"Орлов{n}", "Ян", date(2015, 1, d))
            for d, m in (
                (1, personas.municipality_x),
                (2, personas.municipality_x if n % 2 else personas.municipality_y),
            )
        )
        created = MatchCandidate.objects.create(first=one, second=other, probability=0.6)
        if status == "distinct":
            registry.decide(personas.regional, created, same=False)

    client.force_login(personas.municipal_x)
    url = f"{API}/registry/duplicates?status={status}"
    add_pair(0)
    with CaptureQueriesContext(connection) as one:
        assert len(client.get(url).json()["items"]) == 1
    for n in range(1, 4):
        add_pair(n)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(url).json()["items"]) == 4
    assert len(many) == len(one)
