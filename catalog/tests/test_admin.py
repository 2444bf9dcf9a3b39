"""The admin: every model is there, big lists stay cheap, and saving goes through the actions."""

import re
from collections import Counter
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.options import InlineModelAdmin
from django.core.management import call_command
from django.db import connection
from django.db.models import Model
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import ApiToken, Consent, Role, RoleAssignment, User
from catalog import search, services
from catalog.models import (
    Group,
    GroupFinancing,
    ModerationStatus,
    Organization,
    OrganizationUnit,
    Program,
    ProgramRevision,
    ScheduleSlot,
    SearchPosting,
    StudyPlace,
    UnitKind,
)
from catalog.search_index import catalog_version
from core.models import AuditEvent
from core.testing import (
    archive_with_changes_that_fail,
    as_sent,
    enroll_child,
    make_campaign,
    make_child,
    make_group,
    make_program,
)
from core.tests.test_demo import SIZE as DEMO_SIZE
from enrollment import services as enrollment
from enrollment.models import (
    AdmissionWatch,
    Application,
    ApplicationEvent,
    Attendance,
    Campaign,
    CampaignChoice,
    EnrollmentOrder,
    SavedProgram,
    SearchAlert,
    SearchAlertProgram,
)
from finance.models import Account, Certificate, CertificateGroup, Contract, FinancingPeriod, Operation
from monitoring.models import ImportBatch
from people.models import Child, ChildMerge, Guardian, MatchCandidate, Teacher

PROJECT_APPS = {"core", "accounts", "territory", "catalog", "people", "enrollment", "monitoring", "finance"}
# Finance: everything but the payer's settings (periods, certificate groups) changes through its services.
FINANCE_READ_ONLY = {
    m for m in apps.get_app_config("finance").get_models() if m not in (FinancingPeriod, CertificateGroup)
}
READ_ONLY = {
    AuditEvent,
    ApiToken,
    Consent,
    ScheduleSlot,
    GroupFinancing,
    SearchPosting,
    ProgramRevision,
    Application,
    ApplicationEvent,
    CampaignChoice,
    Attendance,
    EnrollmentOrder,
    MatchCandidate,
    ChildMerge,
    ImportBatch,
    Child,  # the registry adds and corrects children (matched, audited)
    AdmissionWatch,  # a family's own, made and stopped by its actions (audited)
    SavedProgram,  # a family's own too
    SearchAlert,  # the same, and the programs its letters told of
    SearchAlertProgram,
    *FINANCE_READ_ONLY,
}
BIG_TABLES = {AuditEvent, Program, Group, ScheduleSlot, GroupFinancing}


def admin_url(model: type[Model], view: str, *args: Any) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_every_model_of_the_project_is_registered():
    models = {m for m in apps.get_models() if m._meta.app_label in PROJECT_APPS}
    assert models - set(admin.site._registry) == set()
    # Roles are the project's own: Django's permission groups would be a second «Группы» beside the study groups.
    assert apps.get_model("auth", "Group") not in admin.site._registry


def test_programs_and_groups_are_filtered_by_municipality(admin_client, personas, published_program):
    for model, lookup in ((Program, "municipality__id__exact"), (Group, "program__municipality__id__exact")):
        url = f"{admin_url(model, 'changelist')}?{lookup}={personas.municipality_x.pk}"
        response = admin_client.get(url)
        assert response.status_code == 200 and response.context["cl"].result_count == 1, model
        url = f"{admin_url(model, 'changelist')}?{lookup}={personas.municipality_y.pk}"
        assert admin_client.get(url).context["cl"].result_count == 0, model


def test_every_registered_model_lists_and_adds_for_the_administrator(admin_client, personas, published_program):
    request = RequestFactory().get("/admin/")
    request.user = personas.admin
    read_only = set()
    for model, model_admin in admin.site._registry.items():
        assert admin_client.get(admin_url(model, "changelist")).status_code == 200, model
        can_add = model_admin.has_add_permission(request)
        assert admin_client.get(admin_url(model, "add")).status_code == (200 if can_add else 403), model
        if not can_add:
            read_only.add(model)
    assert read_only == READ_ONLY


def test_big_lists_skip_the_full_count_join_what_they_show_and_page_along_an_index(personas):
    request = RequestFactory().get("/admin/")
    request.user = personas.admin
    for model in BIG_TABLES:
        model_admin = admin.site._registry[model]
        assert model_admin.show_full_result_count is False, model
        assert model_admin.list_select_related, model
        # An order through a relation («program», by its title) sorts the other table for every page.
        for name in model_admin.get_ordering(request) or model._meta.ordering:
            field = model._meta.get_field(name.lstrip("-"))
            assert not field.is_relation and (field.db_index or field.primary_key or field.unique), (model, name)


def test_relations_to_tables_that_grow_with_the_region_are_picked_by_search_or_id(personas):
    """A select of every program or child of a region is megabytes of HTML and seconds of rendering
    (a campaign's programs took 9 s at 100 000): such relations are autocompleted or typed by id."""
    request = RequestFactory().get("/admin/")
    request.user = personas.admin
    growing = {Program, Group, Child, Guardian, Teacher, User, Application, Organization, Certificate, Contract}
    admins = [(model, model_admin) for model, model_admin in admin.site._registry.items()]
    admins += [
        (inline.model, inline) for _, model_admin in admins for inline in model_admin.get_inline_instances(request)
    ]
    checked = []
    for model, model_admin in admins:
        inline = isinstance(model_admin, InlineModelAdmin)
        may_add = model_admin.has_add_permission(request, None) if inline else model_admin.has_add_permission(request)
        if not (may_add or model_admin.has_change_permission(request)):
            continue  # a read-only admin shows relations as text
        editable = set(model_admin.get_fields(request)) - set(model_admin.get_readonly_fields(request))
        if inline:  # the row's own parent travels hidden (and formsets add it to the form's fields once used)
            editable.discard(model_admin.get_formset(request).fk.name)
        for name in editable:
            field = model._meta.get_field(name) if name in {f.name for f in model._meta.get_fields()} else None
            if field is not None and field.is_relation and field.related_model in growing:
                assert name in (*model_admin.raw_id_fields, *model_admin.autocomplete_fields), (model_admin, name)
                checked.append((model, name))
    assert (Campaign, "programs") in checked and (Group, "program") in checked


@pytest.mark.django_db
def test_no_list_reads_another_table_once_per_row(client):
    """Every list of the demo region shows its rows' related names from the rows' own statement: a
    name read per row (a group's program, a period's municipality) was 100 statements a page."""
    call_command("load_demo", *DEMO_SIZE, stdout=StringIO())
    client.force_login(User.objects.get(email="admin@demo.opora"))
    shown = {}
    for model in admin.site._registry:
        with CaptureQueriesContext(connection) as statements:
            response = client.get(admin_url(model, "changelist"))
        shapes = Counter(re.sub(r"'[^']*'|\b\d+\b", "?", query["sql"]) for query in statements.captured_queries)
        statement, times = shapes.most_common(1)[0]
        assert times <= 2, (model, times, statement[:200])
        shown[model] = len(response.context["cl"].result_list)
    for model in (Application, ApplicationEvent, CampaignChoice, Contract, Account, Operation, Group, Program):
        assert shown[model] >= 3, model  # the check saw rows whose names it would have read one by one


def test_program_suggestions_tell_programs_of_the_same_title_apart(admin_client, personas):
    """A group's or a campaign's program is picked by typing: each suggestion names its organization."""
    ours, theirs = (make_program(org, "Робототехника") for org in (personas.org_a, personas.org_b))
    query = {"app_label": "enrollment", "model_name": "campaign", "field_name": "programs", "term": "Робото"}
    with CaptureQueriesContext(connection) as statements:
        found = admin_client.get("/admin/autocomplete/", query).json()["results"]
    assert sorted(result["text"] for result in found) == sorted(
        f"Робототехника — {program.organization.short_name} ({program.code})" for program in (ours, theirs)
    )
    assert not any("catalog_organization" in q["sql"] and "LIMIT 21" in q["sql"] for q in statements.captured_queries)
    assert "Опора — администрирование" in admin_client.get("/admin/").content.decode()


def test_chosen_programs_are_named_as_their_suggestions_with_one_statement(admin_client, personas):
    """A campaign's chosen programs read «title — organization (code)», all of them in one statement."""
    programs = [make_program(org, "Робототехника") for org in (personas.org_a, personas.org_b)]
    campaign = make_campaign(personas.org_a.municipality, programs[0], "first_come")
    url = admin_url(Campaign, "change", campaign.pk)
    admin_client.get(url)  # content types cached
    with CaptureQueriesContext(connection) as one:
        admin_client.get(url)
    campaign.programs.add(programs[1])
    with CaptureQueriesContext(connection) as two:
        page = admin_client.get(url).content.decode()
    for program in programs:
        assert f"Робототехника — {program.organization.short_name} ({program.code})" in page
    assert len(two.captured_queries) == len(one.captured_queries)


def test_change_pages_of_catalog_objects_open(admin_client, personas, published_program):
    group = published_program.groups.get()
    for url in (
        admin_url(Program, "change", published_program.pk),
        admin_url(Group, "change", group.pk),
        admin_url(type(personas.org_a), "change", personas.org_a.pk),
        admin_url(User, "change", personas.operator_a.pk),
        admin_url(AuditEvent, "change", AuditEvent.objects.first().pk),
    ):
        assert admin_client.get(url).status_code == 200, url


def test_program_search_finds_by_title_and_by_code(admin_client, published_program, draft_program):
    found = admin_client.get(admin_url(Program, "changelist"), {"q": "конструирование"}).context["cl"].result_list
    assert list(found) == [published_program]
    found = admin_client.get(admin_url(Program, "changelist"), {"q": draft_program.code}).context["cl"].result_list
    assert list(found) == [draft_program]


def program_admin_data(organization_pk: int, **changes: Any) -> dict[str, Any]:
    data = {
        "organization": organization_pk,
        "title": "Театральная студия",
        "summary": "Сценическая речь, движение, спектакли.",
        "program_type": "general",
        "direction": "arts",
        "level_basic": "on",
        "age_from": "7",
        "age_to": "12",
        "hours_total": "144",
        "duration_months": "9",
        "study_form": "full_time",
        "by_certificate": "on",
        "_save": "Сохранить",
    }
    data.update(changes)
    return data


def test_saving_a_program_in_the_admin_goes_through_the_actions(admin_client, personas):
    response = admin_client.post(admin_url(Program, "add"), program_admin_data(personas.org_a.pk))
    assert response.status_code == 302
    program = Program.objects.get(title="Театральная студия")
    assert program.status == ModerationStatus.DRAFT
    assert program.municipality == personas.municipality_x  # filled in by save_program
    assert program.address == personas.org_a.address
    assert program.search_document
    assert AuditEvent.objects.filter(action="program.created", object_id=str(program.pk), actor=personas.admin).exists()

    admin_client.post(admin_url(Program, "change", program.pk), program_admin_data(personas.org_a.pk, title="Театр"))
    program.refresh_from_db()
    assert program.title == "Театр"
    assert AuditEvent.objects.filter(action="program.updated", object_id=str(program.pk)).exists()


def test_the_admin_explains_a_broken_program_rule_in_russian(admin_client, personas):
    response = admin_client.post(admin_url(Program, "add"), program_admin_data(personas.org_a.pk, age_from="15"))
    assert response.status_code == 200
    assert "не меньше возраста «с»" in " ".join(response.context["adminform"].form.errors["age_to"])
    assert not Program.objects.exists()


def test_the_admin_cannot_delete_programs_or_groups(admin_client, published_program):
    assert admin_client.get(admin_url(Program, "delete", published_program.pk)).status_code == 403
    assert admin_client.get(admin_url(Group, "delete", published_program.groups.get().pk)).status_code == 403


def group_data(program: Program, name: str, start: Any, weekday: int | None = None) -> dict[str, Any]:
    """The admin's form of a new group of ten seats, free (the budget), with one lesson on `weekday` if given."""
    lessons = {"schedule-0-weekday": str(weekday), "schedule-0-starts_at": "10:00", "schedule-0-ends_at": "11:00"}
    return {
        "program": program.pk,
        "name": name,
        "academic_year": str(services.academic_year_of(start)),
        "start_date": start.isoformat(),
        "end_date": (start + timedelta(days=200)).isoformat(),
        "capacity": "10",
        "is_active": "on",
        "schedule-TOTAL_FORMS": "0" if weekday is None else "1",
        "schedule-INITIAL_FORMS": "0",
        **(lessons if weekday is not None else {}),
        "financing-TOTAL_FORMS": "1",
        "financing-INITIAL_FORMS": "0",
        "financing-0-source": "budget",
        "financing-0-cost_per_month": "0",
        "_save": "Сохранить",
    }


def test_saving_a_group_in_the_admin_updates_the_programs_weekdays_and_seats(admin_client, personas):
    program = make_program(personas.org_a, "Без групп", status=ModerationStatus.DRAFT, with_group=False)
    start = timezone.localdate()
    response = admin_client.post(admin_url(Group, "add"), group_data(program, "Младшая группа", start, weekday=4))
    assert response.status_code == 302, response.context and response.context["errors"]
    group = Group.objects.get(program=program)
    assert list(group.schedule.values_list("weekday", flat=True)) == [4]
    assert group.address == personas.org_a.address
    program.refresh_from_db()
    assert program.weekdays_mask == 1 << 4
    assert program.open_seats == 10
    assert AuditEvent.objects.filter(action="group.created", object_id=str(group.pk)).exists()


def test_the_admin_rejects_financing_the_program_does_not_offer(admin_client, personas):
    program = make_program(personas.org_a, "Бесплатная", status=ModerationStatus.DRAFT, with_group=False)
    start = timezone.localdate()
    response = admin_client.post(
        admin_url(Group, "add"),
        {
            "program": program.pk,
            "name": "Платная группа",
            "academic_year": str(services.academic_year_of(start)),
            "start_date": start.isoformat(),
            "end_date": start.isoformat(),
            "capacity": "10",
            "schedule-TOTAL_FORMS": "0",
            "schedule-INITIAL_FORMS": "0",
            "financing-TOTAL_FORMS": "1",
            "financing-INITIAL_FORMS": "0",
            "financing-0-source": "paid",
            "financing-0-cost_per_month": "900",
        },
    )
    assert response.status_code == 200
    assert "не указан в условиях программы" in response.content.decode()
    assert not Group.objects.exists()


def test_the_admin_checks_a_group_against_its_program_and_its_lessons(admin_client, personas):
    program = make_program(personas.org_a, "Бесплатная", status=ModerationStatus.DRAFT, with_group=False)
    start = timezone.localdate()
    response = admin_client.post(
        admin_url(Group, "add"),
        {
            "program": program.pk,
            "name": "Группа",
            "academic_year": str(services.academic_year_of(start) + 5),
            "start_date": start.isoformat(),
            "end_date": start.isoformat(),
            "age_from": "3",
            "capacity": "10",
            "schedule-TOTAL_FORMS": "2",
            "schedule-INITIAL_FORMS": "0",
            "schedule-0-weekday": "1",
            "schedule-0-starts_at": "15:00",
            "schedule-0-ends_at": "16:30",
            "schedule-1-weekday": "1",
            "schedule-1-starts_at": "15:30",
            "schedule-1-ends_at": "17:00",
            "financing-TOTAL_FORMS": "1",
            "financing-INITIAL_FORMS": "0",
            "financing-0-source": "budget",
            "financing-0-cost_per_month": "0",
        },
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "в пределах возраста программы: 7–14 лет" in errors["age_from"][0]
    assert "Учебный год не совпадает с датами" in errors["academic_year"][0]
    assert "Занятия группы пересекаются: Вт 15:00–16:30 и Вт 15:30–17:00." in response.content.decode()
    assert not Group.objects.exists()


def test_an_admin_action_publishes_the_selected_programs(admin_client, personas):
    program = make_program(personas.org_a, "На проверке", status=ModerationStatus.MODERATING)
    response = admin_client.post(
        admin_url(Program, "changelist"), {"action": "program_approve", "_selected_action": [program.pk]}
    )
    assert response.status_code == 302
    program.refresh_from_db()
    assert program.status == ModerationStatus.PUBLISHED
    assert AuditEvent.objects.filter(action="program.approve", actor=personas.admin).exists()


def test_archiving_a_selection_in_the_admin_first_says_what_it_means(admin_client, personas, published_program):
    other = make_program(personas.org_b, "Шахматы", actor=personas.operator_b)
    enroll_child(published_program, personas, "Маша")
    enrollment.apply(personas.family, make_child(personas.family, "Петя"), published_program, None, "key-wait")
    selection = {"action": "program_archive", "_selected_action": [published_program.pk, other.pk]}
    page = admin_client.post(admin_url(Program, "changelist"), selection)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Перенести программы в архив?" in html and "Выбрано программ: 2" in html
    row = re.search(rf"<tr><td>{published_program.title} .*?</tr>", html).group(0)
    assert re.findall(r"<td>([^<]*)</td>", row)[-3:] == ["1 (1)", "1", "1"]  # groups (active), enrolled, waiting
    assert 'name="post" value="yes"' in html and 'name="action" value="program_archive"' in html
    assert Program.objects.filter(status=ModerationStatus.ARCHIVED).count() == 0  # nothing archived yet

    response = admin_client.post(admin_url(Program, "changelist"), {**selection, "post": "yes"})
    assert response.status_code == 302
    assert set(Program.objects.filter(status=ModerationStatus.ARCHIVED)) == {published_program, other}
    assert AuditEvent.objects.filter(action="program.archive", actor=personas.admin).count() == 2


def test_a_role_must_carry_exactly_its_scope(admin_client, personas):
    response = admin_client.post(
        admin_url(RoleAssignment, "add"),
        {"user": personas.operator_b.pk, "role": Role.MUNICIPAL_OPERATOR, "organization": personas.org_a.pk},
    )
    errors = response.context["adminform"].form.errors
    assert "укажите, где она действует" in " ".join(errors["municipality"])
    assert "не заполняется" in " ".join(errors["organization"])
    admin_client.post(
        admin_url(RoleAssignment, "add"),
        {"user": personas.operator_b.pk, "role": Role.MUNICIPAL_OPERATOR, "municipality": personas.municipality_y.pk},
    )
    assert RoleAssignment.objects.filter(user=personas.operator_b, role=Role.MUNICIPAL_OPERATOR).exists()


def test_the_administrator_creates_a_user_by_email(admin_client):
    response = admin_client.post(
        admin_url(User, "add"),
        {
            "email": "New.Operator@Opora.test",
            "usable_password": "true",
            "password1": "Xq7-long-pass!",
            "password2": "Xq7-long-pass!",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="new.operator@opora.test")
    assert user.check_password("Xq7-long-pass!")


@pytest.mark.parametrize("persona", ["operator_a", "municipal_x", "family"])
def test_people_without_staff_status_cannot_reach_the_admin(client, personas, persona):
    client.force_login(getattr(personas, persona))
    for url in (reverse("admin:index"), admin_url(Program, "changelist")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


# The audit log speaks Russian and names its objects.


def test_the_audit_log_shows_russian_action_names_and_names_its_objects(admin_client, personas):
    program = make_program(personas.org_a, "Шахматная школа", status=ModerationStatus.MODERATING)
    services.change_program_status(personas.municipal_x, program, "return", remark="Уточните возраст")
    response = admin_client.get(admin_url(AuditEvent, "changelist"))
    page = response.content.decode()
    assert 'class="field-action_name">Программа возвращена на доработку<' in page
    assert 'class="field-action_name">program.' not in page  # no raw codes in the list
    assert f"{program.code} «Шахматная школа»" in page
    assert admin_url(Program, "change", program.pk) in page
    assert '<td class="field-object_type_name">Программа</td>' in page
    filtered = admin_client.get(admin_url(AuditEvent, "changelist"), {"action": "program.return"})
    assert [e.action for e in filtered.context["cl"].result_list] == ["program.return"]
    event = AuditEvent.objects.get(action="program.return")
    detail = admin_client.get(admin_url(AuditEvent, "change", event.pk)).content.decode()
    assert "Программа возвращена на доработку" in detail and f"{program.code} «Шахматная школа»" in detail


def test_the_audit_log_names_a_page_of_objects_in_a_query_per_type(
    admin_client, personas, django_assert_max_num_queries
):
    for n in range(6):
        make_program(personas.org_a, f"Программа {n}", status=ModerationStatus.PUBLISHED)
    AuditEvent.objects.create(action="program.updated", object_type="catalog.program", object_id="999999")
    AuditEvent.objects.create(action="legacy.action", object_type="gone.model", object_id="1")
    url = admin_url(AuditEvent, "changelist")
    admin_client.get(url)  # warm the session and the user
    with django_assert_max_num_queries(12):
        page = admin_client.get(url).content.decode()
    assert "№ 999999" in page  # deleted since: its number
    assert "legacy.action" in page and "gone.model" in page  # unknown: as recorded


def test_a_program_with_changes_on_moderation_is_read_only_in_the_admin(admin_client, personas, published_program):
    program = Program.objects.get(pk=published_program.pk)
    program.summary = "Правка организации."
    services.save_program(personas.operator_a, program)
    response = admin_client.post(
        admin_url(Program, "change", program.pk), program_admin_data(personas.org_a.pk, title="Другое")
    )
    assert response.status_code == 403
    assert ProgramRevision.objects.get().values == {"summary": "Правка организации."}


def test_the_admin_edits_a_published_program_from_its_pending_changes(admin_client, personas, published_program):
    program = Program.objects.get(pk=published_program.pk)
    program.summary = "Правка организации."
    services.save_program(personas.operator_a, program)
    services.change_program_status(personas.municipal_x, program, "return_changes", remark="Короче")
    page = admin_client.get(admin_url(Program, "change", program.pk)).content.decode()
    assert "Правка организации." in page


def test_changes_an_archived_program_keeps_are_shown_as_kept_not_as_waiting_for_moderation(
    admin_client, personas, published_program
):
    archived = make_program(personas.org_a, "Шахматы", actor=personas.operator_a)
    for program in (published_program, archived):
        edit = Program.objects.get(pk=program.pk)
        edit.summary = "Правка организации."
        services.save_program(personas.operator_a, edit)
    services.change_program_status(personas.operator_a, archived, "archive")
    pending, kept = (ProgramRevision.objects.get(program=program) for program in (published_program, archived))
    assert pending.status == kept.status == ModerationStatus.MODERATING  # kept as it was archived

    response = admin_client.get(admin_url(ProgramRevision, "changelist"))
    html = response.content.decode()
    for revision, state in ((pending, "на модерации"), (kept, "хранятся с программой в архиве")):
        row = re.search(rf"<tr>.*?{revision.program.title}.*?</tr>", html, re.S).group(0)
        assert f'<td class="field-state">{state}</td>' in row, row
    assert response.context["action_form"] is None  # nothing to do with them here
    changelist = admin_url(ProgramRevision, "changelist")
    for state, shown in (("moderating", [pending]), ("archived", [kept]), ("needs_changes", [])):
        listed = admin_client.get(changelist, {"state": state}).context["cl"].result_list
        assert list(listed) == shown, state

    page = admin_client.get(admin_url(ProgramRevision, "change", kept.pk)).content.decode()
    assert "Программа в архиве: её изменения хранятся такими, какими были при переносе в архив" in page
    page = admin_client.get(admin_url(ProgramRevision, "change", pending.pk)).content.decode()
    assert "Программа в архиве" not in page


def test_the_admin_cannot_publish_an_archived_program_with_the_changes_it_keeps(
    admin_client, personas, published_program
):
    edit = Program.objects.get(pk=published_program.pk)
    edit.summary = "Правка, которую модератор не видел."
    services.save_program(personas.operator_a, edit)
    services.change_program_status(personas.operator_a, published_program, "archive")
    response = admin_client.post(
        admin_url(Program, "changelist"),
        {"action": "program_approve", "_selected_action": [published_program.pk]},
        follow=True,
    )
    shown = [str(message) for message in response.context["messages"]]
    assert f"{published_program.code}: Действие «Опубликовать» невозможно: программа в статусе «В архиве»." in shown
    program = Program.objects.get(pk=published_program.pk)
    assert (program.status, program.summary) == (ModerationStatus.ARCHIVED, published_program.summary)
    assert ProgramRevision.objects.get().values == {"summary": "Правка, которую модератор не видел."}


def test_restoring_in_the_admin_with_kept_changes_that_no_longer_pass_names_what_the_organization_can_do(
    admin_client, personas, published_program
):
    archive_with_changes_that_fail(personas.operator_a, published_program)
    response = admin_client.post(
        admin_url(Program, "changelist"),
        {"action": "program_restore", "_selected_action": [published_program.pk]},
        follow=True,
    )
    [refused] = [str(m) for m in response.context["messages"] if published_program.code in str(m)]
    assert "не проходят проверку" in refused and "«Отменить изменения»" in refused
    assert "Верните их на доработку" not in refused
    assert Program.objects.get(pk=published_program.pk).status == ModerationStatus.ARCHIVED


def form_data(response: Any) -> dict[str, Any]:
    """What the admin's change page sends back unchanged: its form's fields and its inlines' rows."""
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    return {"_save": "Сохранить", **as_sent(*forms)}


# A program on moderation, and one whose changes are on moderation, open read-only with the reason.


def test_a_program_on_moderation_opens_read_only_saying_why(admin_client, personas):
    program = make_program(personas.org_a, "На проверке", status=ModerationStatus.MODERATING)
    response = admin_client.get(admin_url(Program, "change", program.pk))
    assert response.status_code == 200
    assert "Программа на модерации: изменить её можно после решения модератора" in response.content.decode()
    assert response.context["adminform"].form.fields == {}  # nothing to edit


def test_a_program_with_changes_on_moderation_opens_read_only_saying_why(admin_client, personas, published_program):
    program = Program.objects.get(pk=published_program.pk)
    program.summary = "Правка организации."
    services.save_program(personas.operator_a, program)
    response = admin_client.get(admin_url(Program, "change", program.pk))
    assert response.status_code == 200
    assert "Изменения программы на модерации" in response.content.decode()


def test_an_archived_program_and_its_group_open_read_only_saying_why(admin_client, personas, published_program):
    group = published_program.groups.get()
    program_url, group_url = admin_url(Program, "change", published_program.pk), admin_url(Group, "change", group.pk)
    sent = {program_url: form_data(admin_client.get(program_url)), group_url: form_data(admin_client.get(group_url))}
    edit = Program.objects.get(pk=published_program.pk)
    edit.summary = "Правка, которую модератор не видел."
    services.save_program(personas.operator_a, edit)
    services.change_program_status(personas.operator_a, published_program, "archive")
    before = (
        Program.objects.filter(pk=published_program.pk).values().get(),
        Group.objects.filter(pk=group.pk).values().get(),
    )

    response = admin_client.get(program_url)
    page = response.content.decode()
    assert "Программа в архиве: чтобы изменить её, верните её из архива в черновики." in page
    assert response.context["adminform"].form.fields == {}
    assert published_program.summary in page and "Правка, которую модератор не видел." not in page
    response = admin_client.get(group_url)
    assert (
        "Программа в архиве: чтобы изменить её группы, верните её из архива в черновики." in response.content.decode()
    )
    assert response.context["adminform"].form.fields == {}
    assert not any(inline.has_change_permission for inline in response.context["inline_admin_formsets"])
    for url, data in sent.items():
        assert admin_client.post(url, {**data, "summary": "Правка в админке.", "capacity": "20"}).status_code == 403
    assert (
        Program.objects.filter(pk=published_program.pk).values().get(),
        Group.objects.filter(pk=group.pk).values().get(),
    ) == before


def test_a_group_is_not_added_to_an_archived_program_in_the_admin(admin_client, personas, published_program):
    services.change_program_status(personas.operator_a, published_program, "archive")
    start = timezone.localdate() + timedelta(days=10)
    response = admin_client.post(admin_url(Group, "add"), group_data(published_program, "Новая группа", start))
    assert response.status_code == 200
    assert "Программа в архиве: чтобы изменить её группы" in " ".join(
        response.context["adminform"].form.non_field_errors()
    )
    assert published_program.groups.count() == 1


# The rules the actions check at saving are the form's errors, and nothing is saved.


def test_renaming_a_program_as_another_running_program_of_its_organization_is_a_form_error(admin_client, personas):
    make_program(personas.org_a, "Шахматы", status=ModerationStatus.DRAFT, with_group=False)
    program = make_program(personas.org_a, "Шашки", status=ModerationStatus.DRAFT, with_group=False)
    url = admin_url(Program, "change", program.pk)
    data = {**form_data(admin_client.get(url)), "title": "шахматы"}
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "В организации уже есть программа «Шахматы»" in " ".join(response.context["adminform"].form.errors["title"])
    program.refresh_from_db()
    assert program.title == "Шашки"
    assert not AuditEvent.objects.filter(object_id=str(program.pk), action__in=["program.updated", "admin.changed"])


def test_renaming_a_group_as_a_sibling_group_is_a_form_error(admin_client, personas):
    program = make_program(personas.org_a, "Кружок", status=ModerationStatus.DRAFT, with_group=False)
    first, second = make_group(program, name="Первая"), make_group(program, name="Вторая")
    url = admin_url(Group, "change", second.pk)
    response = admin_client.post(url, {**form_data(admin_client.get(url)), "name": first.name})
    assert response.status_code == 200
    assert "В программе уже есть группа «Первая»" in " ".join(response.context["adminform"].form.errors["name"])
    second.refresh_from_db()
    assert second.name == "Вторая"


def test_a_timetable_that_books_a_teacher_twice_is_a_form_error(admin_client, personas):
    program = make_program(personas.org_a, "Кружок", status=ModerationStatus.DRAFT, with_group=False)
    teacher = Teacher.objects.create(organization=personas.org_a, last_name="Петрова", first_name="Анна")
    make_group(program, name="Первая", teacher=teacher)
    second = make_group(program, name="Вторая")  # the same lessons, without a teacher
    url = admin_url(Group, "change", second.pk)
    response = admin_client.post(url, {**form_data(admin_client.get(url)), "teacher": teacher.pk})
    assert response.status_code == 200
    errors = " ".join(response.context["adminform"].form.non_field_errors())
    assert "в это время ведёт другую группу — группа «Первая»" in errors
    second.refresh_from_db()
    assert second.teacher is None


def test_an_unchanged_group_saves_from_its_change_page(admin_client, personas, published_program):
    """The page's own data goes through (the helper above sends what a browser would)."""
    group = published_program.groups.get()
    url = admin_url(Group, "change", group.pk)
    response = admin_client.post(url, {**form_data(admin_client.get(url)), "capacity": "20"})
    assert response.status_code == 302
    group.refresh_from_db()
    assert group.capacity == 20


# A group stays in its program, a program with its organization.


def test_a_groups_program_and_a_programs_organization_do_not_change_in_the_admin(admin_client, personas):
    program = make_program(personas.org_a, "Кружок", status=ModerationStatus.DRAFT)
    elsewhere = make_program(personas.org_b, "Другой кружок", status=ModerationStatus.DRAFT, with_group=False)
    group = program.groups.get()
    url = admin_url(Group, "change", group.pk)
    page = admin_client.get(url)
    assert "program" not in page.context["adminform"].form.fields
    response = admin_client.post(url, {**form_data(page), "program": elsewhere.pk, "capacity": "20"})
    assert response.status_code == 302
    group.refresh_from_db()
    assert (group.program_id, group.capacity) == (program.pk, 20)

    url = admin_url(Program, "change", program.pk)
    page = admin_client.get(url)
    assert "organization" not in page.context["adminform"].form.fields
    response = admin_client.post(url, {**form_data(page), "organization": personas.org_b.pk, "title": "Кружок 2"})
    assert response.status_code == 302
    program.refresh_from_db()
    assert (program.organization_id, program.title) == (personas.org_a.pk, "Кружок 2")
    # Adding still chooses them.
    assert "program" in admin_client.get(admin_url(Group, "add")).context["adminform"].form.fields
    assert "organization" in admin_client.get(admin_url(Program, "add")).context["adminform"].form.fields


def searched(query: str) -> list[str]:
    return [p.title for p in search.search_programs(search.SearchParams(q=query)).programs]


def test_renaming_the_organization_or_its_unit_renews_its_programs_search_words(admin_client, personas):
    held = OrganizationUnit.objects.create(organization=personas.org_a, kind=UnitKind.OTHER, name="Студия «Глина»")
    program = make_program(personas.org_a, "Гончарная мастерская", unit=held)
    url = admin_url(Organization, "change", personas.org_a.pk)
    data = form_data(admin_client.get(url))
    unit_row = next(k.removesuffix("-id") for k, v in data.items() if k.endswith("-id") and v == str(held.pk))
    data.update({"short_name": "Дворец творчества «Радуга»", f"{unit_row}-name": "Музей «Старина»"})
    data[f"{unit_row}-kind"] = UnitKind.SCHOOL_MUSEUM
    assert admin_client.post(url, data).status_code == 302
    assert searched("радуга") == searched("старина") == searched("школьный музей") == [program.title]
    assert searched("глина") == []

    form = {"organization": personas.org_a.pk, "kind": UnitKind.KVANTORIUM, "name": "Кванториум", "address": ""}
    assert admin_client.post(admin_url(OrganizationUnit, "change", held.pk), form).status_code == 302
    assert searched("технопарк") == [program.title] and searched("старина") == []
    admin_client.post(admin_url(OrganizationUnit, "delete", held.pk), {"post": "yes"})
    assert searched("кванториум") == [] and searched("гончарная") == [program.title]


def test_moving_the_organization_tells_every_index_where_its_programs_are(
    admin_client, personas, django_capture_on_commit_callbacks
):
    program = make_program(personas.org_a, "Гончарная мастерская")
    url = admin_url(Organization, "change", personas.org_a.pk)
    data = form_data(admin_client.get(url))
    before = catalog_version()
    with django_capture_on_commit_callbacks(execute=True):
        assert admin_client.post(url, {**data, "latitude": "56.3", "longitude": "41.0"}).status_code == 302
    assert catalog_version() != before
    found = search.search_programs(search.SearchParams(near=(56.3, 41.0), sort="near"))
    assert found.distances == {program.pk: pytest.approx(0, abs=0.001)}
    # A change the index does not read leaves every process's index as it is.
    before = catalog_version()
    with django_capture_on_commit_callbacks(execute=True):
        moved = {**data, "latitude": "56.3", "longitude": "41.0", "phone": "+7 (900) 111-11-11"}
        assert admin_client.post(url, moved).status_code == 302
    assert catalog_version() == before


def test_study_places_in_the_admin_go_through_the_actions(admin_client, personas):
    url = admin_url(StudyPlace, "add")
    own = {"organization": personas.org_a.pk, "address": personas.org_a.address, "latitude": "", "longitude": ""}
    response = admin_client.post(url, own)
    assert response.status_code == 200 and services.OWN_ADDRESS in response.content.decode()
    assert not StudyPlace.objects.exists()

    gym = {"organization": personas.org_a.pk, "address": " ул.  Школьная,  7 ", "latitude": "56.3", "longitude": "41"}
    assert admin_client.post(url, gym).status_code == 302
    place = StudyPlace.objects.get()
    assert place.address == "ул. Школьная, 7"  # as groups write it
    assert AuditEvent.objects.filter(action="study_place.added", object_id=str(place.pk), actor=personas.admin).exists()
    again = admin_client.post(url, gym)
    assert services.PLACE_TAKEN in again.content.decode() and StudyPlace.objects.count() == 1

    admin_client.post(admin_url(StudyPlace, "delete", place.pk), {"post": "yes"})
    assert not StudyPlace.objects.exists()
    assert AuditEvent.objects.filter(action="study_place.removed", object_id=str(place.pk)).exists()
