"""API: who the caller is."""

import pytest

from accounts.models import ApiToken
from people.models import Teacher

pytestmark = pytest.mark.django_db
API = "/api/v1"


def bearer(user) -> dict[str, str]:  # type: ignore[no-untyped-def]
    _, raw = ApiToken.issue(user, "Тест")
    return {"Authorization": f"Bearer {raw}"}


def test_me_names_the_account_and_the_codes_of_its_scopes(client, personas):
    assert client.get(f"{API}/me").status_code == 401
    body = client.get(f"{API}/me", headers=bearer(personas.operator_a)).json()
    assert body["email"] == personas.operator_a.email
    assert body["roles"] == [
        {
            "role": "org_operator",
            "role_name": "Оператор организации",
            "organization": personas.org_a.code,
            "organization_name": personas.org_a.short_name,
            "municipality": None,
            "region": None,
            "region_name": None,
        }
    ]
    client.force_login(personas.municipal_x)  # a session reads it too
    (role,) = client.get(f"{API}/me").json()["roles"]
    assert (role["role"], role["municipality"], role["organization"]) == (
        "municipal_operator",
        personas.municipality_x.oktmo,
        None,
    )
    # A region by its code, as the monitoring's territories name it («r-<код>»), and its name beside it.
    (role,) = client.get(f"{API}/me", headers=bearer(personas.regional)).json()["roles"]
    assert (role["region"], role["region_name"]) == (personas.region.code, personas.region.name)
    indicators = client.get(
        f"{API}/indicators", {"territory": f"r-{role['region']}"}, headers=bearer(personas.regional)
    )
    assert indicators.status_code == 200 and indicators.json()["territory_name"] == personas.region.name


def test_teachers_are_listed_for_whoever_sees_their_organization(client, personas):
    mine = Teacher.objects.create(organization=personas.org_a, last_name="Иванова", first_name="Анна")
    theirs = Teacher.objects.create(organization=personas.org_b, last_name="Петров", first_name="Пётр")
    assert client.get(f"{API}/teachers").status_code == 401

    def listed(user, **query) -> list[str]:  # type: ignore[no-untyped-def]
        response = client.get(f"{API}/teachers", query, headers=bearer(user))
        assert response.status_code == 200
        return [item["uuid"] for item in response.json()["items"]]

    assert str(mine.uuid) in listed(personas.operator_a) and str(theirs.uuid) not in listed(personas.operator_a)
    assert str(theirs.uuid) in listed(personas.operator_b) and str(mine.uuid) not in listed(personas.operator_b)
    assert listed(personas.operator_a, organization=personas.org_b.code) == []
    item = client.get(f"{API}/teachers", headers=bearer(personas.operator_a)).json()["items"][0]
    assert item["organization"] == {"code": personas.org_a.code, "short_name": personas.org_a.short_name}
    assert listed(personas.family) == []
    bad = client.get(f"{API}/teachers", {"organization": "nope"}, headers=bearer(personas.operator_a))
    assert bad.status_code == 422
