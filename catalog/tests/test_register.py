"""The territory's register of organizations (`/office/organizations/`, catalog.register): a municipal or regional
operator adds an organization of its territory — with its units and, at once, its first operator invited — and
corrects what the register keeps of it; the search learns of each change."""

import re
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts import services as access
from accounts.models import Role, RoleAssignment, User
from accounts.services import NewPerson
from catalog import directory, register, services
from catalog.models import Organization, OrganizationKind, OrganizationUnit, Program, UnitKind
from catalog.tests.test_api import send
from core.models import AuditEvent
from core.testing import make_program
from core.validators import inn_check_digits, ogrn_check_digit
from people.models import Teacher

pytestmark = pytest.mark.django_db

REGISTER = "/office/organizations/"
INN = inn_check_digits("770123456")
OGRN = ogrn_check_digit("102770012345")


def absolute(path: str) -> str:
    return f"https://navigator.test{path}"


def new_organization(municipality, **fields) -> Organization:
    values = {
        "full_name": "Муниципальное автономное учреждение дополнительного образования «Дом науки»",
        "short_name": "  Дом   науки ",
        "kind": OrganizationKind.UDO,
        "inn": INN,
        "ogrn": OGRN,
        "municipality": municipality,
        "address": "г. Энск, ул. Мира, д. 3",
        **fields,
    }
    return Organization(**values)


ORLOVA = NewPerson("Орлова", "Вера")


def register_with_operator(personas, person: NewPerson = ORLOVA) -> Organization:
    """«Дом науки» registered by the municipality with orlova@example.ru invited as its operator."""
    return register.add_organization(
        personas.municipal_x,
        new_organization(personas.municipality_x),
        operator="orlova@example.ru",
        person=person,
        absolute=absolute,
    )


def form(personas, **changes) -> dict:
    data = {
        "full_name": "Муниципальное автономное учреждение дополнительного образования «Дом науки»",
        "short_name": "Дом науки",
        "kind": OrganizationKind.UDO,
        "department": "education",
        "inn": INN,
        "ogrn": OGRN,
        "municipality": personas.municipality_x.pk,
        "address": "г. Энск, ул. Мира, д. 3",
        "coordinates": "56.31, 41.02",
        "is_active": "on",
        "units-TOTAL_FORMS": "1",
        "units-INITIAL_FORMS": "0",
        "units-0-kind": UnitKind.IT_CUBE,
        "units-0-name": "IT-куб",
        "units-0-address": "",
    }
    data.update(changes)
    return data


# --- Rules ---------------------------------------------------------------------------------------------------------


def test_an_organization_is_registered_with_its_units_spaces_collapsed_and_audited(personas):
    organization = new_organization(personas.municipality_x)
    units = [register.Unit(UnitKind.KVANTORIUM, " Кванториум  «Энск» ")]
    register.save_organization(personas.municipal_x, organization, units)
    stored = Organization.objects.get(inn=INN)
    assert stored.short_name == "Дом науки" and stored.code.startswith("OR")
    assert list(stored.units.values_list("kind", "name")) == [(UnitKind.KVANTORIUM, "Кванториум «Энск»")]
    [event] = AuditEvent.objects.filter(action="organization.registered")
    assert event.actor == personas.municipal_x and "units" in event.data["fields"] and "inn" in event.data["fields"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"inn": INN[:-1] + str((int(INN[-1]) + 1) % 10)}, "inn"),
        ({"ogrn": OGRN[:-1] + str((int(OGRN[-1]) + 1) % 10)}, "ogrn"),
        ({"latitude": Decimal("56.3")}, "longitude"),
        ({"short_name": "   "}, "short_name"),
    ],
)
def test_a_register_entry_that_breaks_a_rule_is_refused_at_its_field_and_nothing_is_kept(personas, fields, field):
    with pytest.raises(ValidationError) as refused:
        register.save_organization(personas.municipal_x, new_organization(personas.municipality_x, **fields))
    assert field in refused.value.message_dict
    assert not Organization.objects.filter(full_name__contains="Дом науки").exists()


@pytest.mark.parametrize("same", [{"ogrn": "org_a"}, {"inn": "org_a"}])
def test_an_organization_is_registered_once_by_its_ogrn_and_by_its_inn_with_its_kpp(personas, same):
    [(field, _)] = same.items()
    twin = new_organization(personas.municipality_x, **{field: getattr(personas.org_a, field)})
    with pytest.raises(ValidationError) as refused:
        register.save_organization(personas.municipal_x, twin)
    said = register.REGISTERED_ALREADY.format(name=personas.org_a.short_name, code=personas.org_a.code)
    assert refused.value.message_dict == {field: [said]}
    twin.kpp = "770101001"  # a branch: the same ИНН, its own КПП
    if field == "inn":
        register.save_organization(personas.municipal_x, twin)
        assert Organization.objects.filter(inn=personas.org_a.inn).count() == 2


def test_a_territory_registers_only_in_its_municipalities(personas):
    with pytest.raises(PermissionDenied):
        register.save_organization(personas.municipal_x, new_organization(personas.municipality_y))
    register.save_organization(personas.regional, new_organization(personas.municipality_y))  # the region's
    moved = Organization.objects.get(pk=personas.org_b.pk)
    moved.municipality = personas.municipality_x
    with pytest.raises(PermissionDenied):  # taken from a municipality not theirs
        register.save_organization(personas.municipal_x, moved)


def test_a_change_is_audited_with_its_fields_and_reaches_the_search(personas):
    make_program(personas.org_a, "Шахматы")
    organization = Organization.objects.get(pk=personas.org_a.pk)
    organization.accessible_for_ovz = True
    changed = register.save_organization(
        personas.municipal_x, organization, [register.Unit(UnitKind.TOCHKA_ROSTA, "Точка роста")]
    )
    assert changed == ["accessible_for_ovz", "units"]
    [event] = AuditEvent.objects.filter(action="organization.changed")
    assert event.data == {"fields": ["accessible_for_ovz", "units"]}
    found = directory.find_organizations(directory.DirectoryParams(ovz=True, units=(UnitKind.TOCHKA_ROSTA,)), 20)
    assert [o.pk for o in found.organizations] == [organization.pk]
    assert register.save_organization(personas.municipal_x, organization, list(_units(organization))) == []


def _units(organization):
    for unit in OrganizationUnit.objects.filter(organization=organization):
        yield register.Unit(unit.kind, unit.name, unit.address, unit.pk)


def test_a_unit_a_program_names_stays_and_a_municipality_with_programs_stays(personas):
    unit = OrganizationUnit.objects.create(organization=personas.org_a, kind=UnitKind.IT_CUBE, name="IT-куб")
    make_program(personas.org_a, "Python", unit=unit)
    organization = Organization.objects.get(pk=personas.org_a.pk)
    with pytest.raises(ValidationError) as refused:
        register.save_organization(personas.regional, organization, [])
    assert refused.value.message_dict == {"units": [register.UNIT_IN_USE.format(name="IT-куб", count=1)]}
    organization.municipality = personas.municipality_y
    with pytest.raises(ValidationError) as refused:
        register.save_organization(personas.regional, organization)
    assert refused.value.message_dict == {"municipality": [register.MUNICIPALITY_FIXED]}
    assert OrganizationUnit.objects.filter(pk=unit.pk).exists()


def test_the_first_operator_is_invited_with_the_organization_or_neither_is_kept(
    personas, mailoutbox, django_capture_on_commit_callbacks
):
    refused_person = NewPerson("Орлова", "")
    with pytest.raises(ValidationError) as refused:
        register_with_operator(personas, refused_person)
    assert refused.value.message_dict == {"operator_first_name": [access.NAMES_NEEDED]}
    assert not Organization.objects.filter(inn=INN).exists()
    with django_capture_on_commit_callbacks(execute=True):
        register_with_operator(personas)
    organization = Organization.objects.get(inn=INN)
    operator = RoleAssignment.objects.get(organization=organization)
    assert (operator.role, operator.user.email) == (Role.ORGANIZATION_OPERATOR, "orlova@example.ru")
    [letter] = mailoutbox
    assert "Дом науки" in letter.subject and "/accounts/password/" in letter.body


# --- Pages and who may use them ----------------------------------------------------------------------------------


def test_the_municipal_operator_lists_finds_adds_and_changes_the_territorys_organizations(client, personas):
    client.force_login(personas.municipal_x)
    page = client.get(REGISTER).content.decode()
    assert personas.org_a.short_name in page and personas.org_b.short_name not in page  # another municipality's
    assert personas.org_a.short_name in client.get(REGISTER, {"q": personas.org_a.inn}).content.decode()
    assert personas.org_a.short_name not in client.get(REGISTER, {"activity": "closed"}).content.decode()
    assert personas.org_a.short_name not in client.get(REGISTER, {"operators": "none"}).content.decode()
    RoleAssignment.objects.filter(organization=personas.org_a).delete()
    assert personas.org_a.short_name in client.get(REGISTER, {"operators": "none"}).content.decode()
    response = client.post(f"{REGISTER}new/", form(personas), follow=True)
    assert response.redirect_chain == [(REGISTER, 302)], response.context["form"].errors
    organization = Organization.objects.get(inn=INN)
    assert (organization.latitude, organization.longitude) == (Decimal("56.310000"), Decimal("41.020000"))
    assert list(organization.units.values_list("name", flat=True)) == ["IT-куб"]
    unit = organization.units.get()
    edit = f"{REGISTER}{organization.code}/edit/"
    assert 'value="56.310000, 41.020000"' in client.get(edit).content.decode()
    changed = form(
        personas,
        short_name="Дом науки и техники",
        **{"units-INITIAL_FORMS": "1", "units-0-id": str(unit.pk), "units-0-DELETE": "on"},
    )
    assert client.post(edit, changed).status_code == 302
    organization.refresh_from_db()
    assert organization.short_name == "Дом науки и техники" and not organization.units.exists()


def test_a_mistake_on_the_register_form_is_said_at_its_field_and_nothing_is_saved(client, personas):
    client.force_login(personas.municipal_x)
    response = client.post(f"{REGISTER}new/", form(personas, inn="7701234567", operator_email="не адрес"))
    assert response.status_code == 200 and "inn" in response.context["form"].errors
    response = client.post(f"{REGISTER}new/", form(personas, operator_email="не адрес"))
    assert response.context["form"].errors == {"operator_email": [access.EMAIL_INVALID]}
    assert not Organization.objects.filter(inn=INN).exists()
    other = client.post(f"{REGISTER}new/", form(personas, municipality=personas.municipality_y.pk))
    assert "municipality" in other.context["form"].errors  # not offered


def test_the_register_is_the_territorys_and_its_operator_keeps_the_organizations_staff(client, personas):
    client.force_login(personas.operator_a)
    assert client.get(REGISTER).status_code == 403
    assert client.get(f"{REGISTER}{personas.org_a.code}/edit/").status_code == 403
    client.force_login(personas.municipal_x)
    assert client.get(f"{REGISTER}{personas.org_b.code}/edit/").status_code == 404  # another municipality's
    staff = f"/office/staff/?organization={personas.org_a.code}"
    page = client.get(staff).content.decode()
    assert personas.operator_a.email in page and "Закрыть доступ" in page
    assert f'<a href="{REGISTER}">выбрать другую</a>' in page  # back to the register
    assert client.get(f"/office/staff/?organization={personas.org_b.code}").status_code == 403
    invited = {"email": "new-operator@example.ru", "last_name": "Новикова", "first_name": "Ольга"}
    client.post(f"/office/staff/operators/new/?organization={personas.org_a.code}", invited)
    assert RoleAssignment.objects.filter(user__email="new-operator@example.ru", organization=personas.org_a).exists()
    teacher = Teacher.objects.create(organization=personas.org_b, last_name="Чужая", first_name="Карточка")
    assert client.get(f"/office/staff/teachers/{teacher.uuid}/edit/").status_code == 404
    client.force_login(personas.regional)
    assert personas.org_b.short_name in client.get(REGISTER).content.decode()


def test_the_territorys_home_leads_to_the_register(client, personas):
    client.force_login(personas.municipal_x)
    assert f'href="{REGISTER}"' in client.get("/office/").content.decode()


def test_programs_and_users_untouched_by_a_refused_registration(personas):
    before = Program.objects.count(), User.objects.count()
    with pytest.raises(ValidationError):
        register.add_organization(
            personas.municipal_x, new_organization(personas.municipality_x, inn="1"), operator="x@example.ru"
        )
    assert (Program.objects.count(), User.objects.count()) == before


# --- API -----------------------------------------------------------------------------------------------------------


def api_entry(personas, **changes) -> dict:
    entry = {
        "full_name": "Муниципальное автономное учреждение дополнительного образования «Дом науки»",
        "short_name": "Дом науки",
        "kind": OrganizationKind.UDO,
        "inn": INN,
        "ogrn": OGRN,
        "municipality": personas.municipality_x.oktmo,
        "address": "г. Энск, ул. Мира, д. 3",
        "latitude": "56.31",
        "longitude": "41.02",
        "units": [{"kind": UnitKind.IT_CUBE, "name": "IT-куб"}],
    }
    entry.update(changes)
    return entry


def test_the_api_registers_an_organization_with_its_first_operator_and_changes_it(
    client, personas, mailoutbox, django_capture_on_commit_callbacks
):
    operator = {"email": "orlova@example.ru", "last_name": "Орлова", "first_name": "Вера"}
    with django_capture_on_commit_callbacks(execute=True):
        created = send(client, "post", "/organizations", api_entry(personas, operator=operator), personas.municipal_x)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["units"] == [{"kind": "it_cube", "name": "IT-куб", "address": ""}]
    assert body["municipality"]["oktmo"] == personas.municipality_x.oktmo
    assert [letter.to for letter in mailoutbox] == [["orlova@example.ru"]]
    path = f"/organizations/{body['code']}/register"
    changed = send(client, "patch", path, {"short_name": "Дом науки и техники", "units": []}, personas.municipal_x)
    assert changed.status_code == 200, changed.content
    assert (changed.json()["short_name"], changed.json()["units"]) == ("Дом науки и техники", [])


@pytest.mark.parametrize(
    ("changes", "loc"),
    [
        ({"inn": "7701234567"}, ["body", "inn"]),
        ({"municipality": "99000000"}, ["body", "municipality"]),
        ({"units": [{"kind": "planetarium", "name": "Планетарий"}]}, ["body", "units", 0, "kind"]),
        ({"operator": {"email": "не адрес"}}, ["body", "operator", "email"]),
        ({"operator": {"email": "new@example.ru"}}, ["body", "operator", "last_name"]),
    ],
)
def test_the_api_refuses_a_register_entry_at_its_field(client, personas, changes, loc):
    response = send(client, "post", "/organizations", api_entry(personas, **changes), personas.municipal_x)
    assert response.status_code == 422
    assert loc in [error["loc"] for error in response.json()["detail"]], response.json()
    assert not Organization.objects.filter(inn=INN).exists()


def test_the_api_register_is_the_territorys(client, personas):
    assert send(client, "post", "/organizations", api_entry(personas), personas.operator_a).status_code == 403
    another = api_entry(personas, municipality=personas.municipality_y.oktmo)
    response = send(client, "post", "/organizations", another, personas.municipal_x)
    assert [error["loc"] for error in response.json()["detail"]] == [["body", "municipality"]]
    own = f"/organizations/{personas.org_a.code}/register"
    assert send(client, "patch", own, {"short_name": "Новое"}, personas.operator_a).status_code == 403
    theirs = f"/organizations/{personas.org_b.code}/register"
    assert send(client, "patch", theirs, {"short_name": "Новое"}, personas.municipal_x).status_code == 403
    assert send(client, "patch", theirs, {"short_name": "Новое"}, personas.regional).status_code == 200


def test_the_registers_change_leaves_what_the_organization_wrote_meanwhile(personas):
    stale = Organization.objects.get(pk=personas.org_a.pk)  # the territory's form, opened before
    own = Organization.objects.get(pk=personas.org_a.pk)
    own.description = "Дом творчества в центре Энска."
    services.save_organization_profile(personas.operator_a, own)
    stale.licence_number = "Л035-01274-99/00261179"
    assert register.save_organization(personas.municipal_x, stale) == ["licence_number"]
    stored = Organization.objects.get(pk=personas.org_a.pk)
    assert (stored.licence_number, stored.description) == ("Л035-01274-99/00261179", "Дом творчества в центре Энска.")


def test_the_register_page_shows_who_registered_changed_and_gave_access(client, personas):
    register_with_operator(personas)
    organization = Organization.objects.get(inn=INN)
    organization.licence_number = "Л035-01274-99/00261179"
    register.save_organization(personas.municipal_x, organization)
    client.force_login(personas.municipal_x)
    page = client.get(f"{REGISTER}{organization.code}/edit/").content.decode()
    assert 'Данные реестра об организации изменены: <span class="muted">номер лицензии</span>' in page
    assert "Открыт доступ к кабинету организации" in page and "orlova@example.ru" in page
    assert "Организация внесена в реестр" in page


def test_the_form_says_in_russian_that_the_organization_is_registered_already(client, personas):
    client.force_login(personas.municipal_x)
    response = client.post(f"{REGISTER}new/", form(personas, inn=personas.org_a.inn))
    errors = response.context["form"].errors.as_data()
    messages = [message for error in errors.values() for e in error for message in e.messages]
    assert messages and all(re.search("[а-я]", message) for message in messages), messages
    assert "constraint" not in " ".join(messages).lower() and "organization_inn_kpp_unique" not in " ".join(messages)


def test_the_register_is_downloaded_as_filtered_in_xlsx(client, personas):
    from io import BytesIO

    from openpyxl import load_workbook

    make_program(personas.org_a, "Шахматы")
    client.force_login(personas.regional)
    page = client.get(REGISTER, {"kind": OrganizationKind.UDO}).content.decode()
    assert f'href="{REGISTER}xlsx/?kind=udo"' in page
    response = client.get(f"{REGISTER}xlsx/", {"q": personas.org_a.inn})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True))
    header = rows[1]
    [row] = rows[2:]
    record = dict(zip(header, row, strict=True))
    assert (record["Код"], record["ИНН"], record["Программ опубликовано"], record["Операторов"]) == (
        personas.org_a.code,
        personas.org_a.inn,
        1,
        1,
    )
    client.force_login(personas.operator_a)
    assert client.get(f"{REGISTER}xlsx/").status_code == 403
