"""What every admin page shares: each add, change and deletion is in the audit log (who, what, which
fields — never their values); the audit log is found by an object's code and browsed by date; every
list's columns are named in Russian."""

import re
from datetime import timedelta

from django.contrib import admin
from django.contrib.admin.utils import label_for_field
from django.urls import reverse
from django.utils import timezone

from catalog.models import ModerationStatus, SearchTerm
from catalog.tests.test_admin import form_data
from core.models import AuditEvent
from core.testing import make_program
from people.models import Guardian
from territory.models import Region


def test_adding_changing_and_deleting_in_the_admin_is_in_the_audit_log(admin_client, personas):
    response = admin_client.post(reverse("admin:territory_region_add"), {"code": "77", "name": "Новая область"})
    assert response.status_code == 302
    region = Region.objects.get(code="77")
    added = AuditEvent.objects.get(action="admin.added", object_type="territory.region", object_id=str(region.pk))
    assert added.actor == personas.admin and added.data == {"fields": ["code", "name"]}

    url = reverse("admin:territory_region_change", args=[region.pk])
    assert admin_client.post(url, {**form_data(admin_client.get(url)), "name": "Другое имя"}).status_code == 302
    changed = AuditEvent.objects.get(action="admin.changed", object_id=str(region.pk))
    assert changed.actor == personas.admin and changed.data == {"fields": ["name"]}

    response = admin_client.post(reverse("admin:territory_region_delete", args=[region.pk]), {"post": "yes"})
    assert response.status_code == 302 and not Region.objects.filter(pk=region.pk).exists()
    deleted = AuditEvent.objects.get(action="admin.deleted", object_id=str(region.pk))
    assert deleted.actor == personas.admin and deleted.object_type == "territory.region"


def test_the_audit_log_names_changed_personal_fields_without_their_values(admin_client, personas):
    guardian = Guardian.objects.create(user=personas.family, last_name="Иванова", first_name="Ольга")
    url = reverse("admin:people_guardian_change", args=[guardian.pk])
    data = {**form_data(admin_client.get(url)), "phone": "+7 900 123-45-67", "last_name": "Петрова"}
    assert admin_client.post(url, data).status_code == 302
    event = AuditEvent.objects.get(action="admin.changed", object_id=str(guardian.pk))
    assert event.data == {"fields": ["last_name", "phone"]}
    assert "Петрова" not in str(event.data) and "123" not in str(event.data)


def test_deleting_a_selection_in_the_admin_is_in_the_audit_log(admin_client, personas):
    regions = [Region.objects.create(code=code, name=f"Область {code}") for code in ("71", "72")]
    response = admin_client.post(
        reverse("admin:territory_region_changelist"),
        {"action": "delete_selected", "_selected_action": [r.pk for r in regions], "post": "yes"},
    )
    assert response.status_code == 302
    deleted = AuditEvent.objects.filter(action="admin.deleted", actor=personas.admin)
    assert sorted(deleted.values_list("object_id", flat=True)) == sorted(str(r.pk) for r in regions)


def test_the_audit_log_finds_an_objects_records_by_its_code_and_pages_by_date(admin_client, personas):
    program = make_program(personas.org_a, "Шахматы", status=ModerationStatus.MODERATING)
    other = make_program(personas.org_a, "Шашки", status=ModerationStatus.MODERATING)
    url = reverse("admin:core_auditevent_changelist")
    for term in (program.code, program.code.lower()):
        found = admin_client.get(url, {"q": term}).context["cl"].result_list
        assert {(e.object_type, e.object_id) for e in found} == {("catalog.program", str(program.pk))}, term
        assert {e.action for e in found} >= {"program.created", "program.submit"}
    assert other.code != program.code
    assert not admin_client.get(url, {"q": "PR-NOSUCH"}).context["cl"].result_list
    assert admin_client.get(url, {"q": "program.submit"}).context["cl"].result_count == 2  # action codes still

    today = timezone.localdate()
    response = admin_client.get(url, {"created_at__year": today.year, "created_at__month": today.month})
    assert response.status_code == 200 and len(response.context["cl"].result_list) >= 4
    last_year = today - timedelta(days=400)
    response = admin_client.get(url, {"created_at__year": last_year.year})
    assert list(response.context["cl"].result_list) == []


def test_every_list_column_is_named_in_russian():
    english = []
    for model, model_admin in admin.site._registry.items():
        for name in model_admin.list_display:
            if name == "__str__":
                continue
            label = str(label_for_field(name, model, model_admin))
            if not re.search("[а-яё№]", label, re.IGNORECASE):
                english.append((model._meta.label, name, label))
    assert english == []


def test_role_assignments_and_search_words_show_russian_column_names(admin_client, personas):
    page = admin_client.get(reverse("admin:accounts_roleassignment_changelist")).content.decode()
    for header in ("Пользователь", "Организация", "Муниципалитет", "Регион", "Создано"):
        assert f">{header}<" in page, header
    assert ">user<" not in page.lower() and ">created at<" not in page.lower()
    SearchTerm.objects.create(word="шахматы", stem="шахмат", frequency=3)
    page = admin_client.get(reverse("admin:catalog_searchterm_changelist")).content.decode()
    assert ">Слово<" in page and ">Частота<" in page
