"""People in the admin: a teacher stays with the organization whose groups the teacher leads; children
are only seen here (the registry adds and corrects them, matched and audited)."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from catalog.models import ModerationStatus
from catalog.tests.test_admin import form_data
from core.testing import make_child, make_group, make_program
from people.models import Child, Teacher


def test_a_teacher_who_leads_groups_keeps_the_organization_and_is_told_which(admin_client, personas):
    teacher = Teacher.objects.create(organization=personas.org_a, last_name="Петрова", first_name="Анна")
    program = make_program(personas.org_a, "Кружок", status=ModerationStatus.DRAFT, with_group=False)
    group = make_group(program, name="Старшая", teacher=teacher)
    url = reverse("admin:people_teacher_change", args=[teacher.pk])
    data = {**form_data(admin_client.get(url)), "organization": personas.org_b.pk}
    response = admin_client.post(url, data)
    assert response.status_code == 200
    message = " ".join(response.context["adminform"].form.errors["organization"])
    assert f"ведёт группы «Старшая ({group.code})»" in message
    teacher.refresh_from_db()
    assert teacher.organization == personas.org_a

    group.teacher = None
    group.save(update_fields=["teacher"])
    assert admin_client.post(url, data).status_code == 302  # no group of the organization any more
    teacher.refresh_from_db()
    assert teacher.organization == personas.org_b


def test_children_are_only_seen_in_the_admin(admin_client, personas):
    child = make_child(personas.family, "Маша")
    assert admin_client.get(reverse("admin:people_child_add")).status_code == 403
    url = reverse("admin:people_child_change", args=[child.pk])
    page = admin_client.get(url)
    assert page.status_code == 200 and "Кабинет → Реестр детей" in page.content.decode()
    born = (timezone.localdate() + timedelta(days=30)).isoformat()
    assert admin_client.post(url, {"last_name": "Иная", "birth_date": born}).status_code == 403
    child.refresh_from_db()
    assert child.birth_date < timezone.localdate() and child.last_name != "Иная"
    assert Child.objects.count() == 1
