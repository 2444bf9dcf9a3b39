"""What search engines and messengers read of the Navigator: /robots.txt, the sitemap (catalog.sitemaps), each page's
canonical address and preview, the schema.org data of programs and organizations (catalog.structured_data), and
which lists' pages they keep."""

import json
import re
from decimal import Decimal
from xml.etree import ElementTree

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog import register, services
from catalog.models import Organization
from catalog.sitemaps import ProgramSitemap
from core.testing import make_group, make_organization, make_program
from people.models import Teacher

pytestmark = pytest.mark.django_db

SITE = "http://testserver"
NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def locations(client, path: str) -> list[str]:
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    root = ElementTree.fromstring(response.content)  # noqa: S314 -- the site's own answer
    return [loc.text for loc in root.findall(".//s:loc", NS)]


def ld_json(html: str) -> dict:
    [data] = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return json.loads(data)


def test_robots_closes_personal_and_staff_pages_and_names_the_sitemap(client, personas):
    program = make_program(personas.org_a, "Шахматы")
    response = client.get("/robots.txt")
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.content.decode().splitlines()
    closed = [line.removeprefix("Disallow: ") for line in lines if line.startswith("Disallow: ")]
    assert {"/office/", "/family/", "/accounts/", "/admin/", "/api/"} <= set(closed)
    assert f"Sitemap: {SITE}/sitemap.xml" in lines
    for path in ("/", "/programs/", "/organizations/", f"/programs/{program.code}/", "/sitemap.xml"):
        assert not any(path.startswith(prefix) for prefix in closed), path
    for path in (reverse("office:home"), reverse("family:cabinet"), reverse("accounts:login"), "/api/v1/"):
        assert any(path.startswith(prefix) for prefix in closed), path


def test_the_sitemap_holds_published_programs_and_their_organizations_and_nothing_else(client, personas):
    shown = make_program(personas.org_a, "Шахматы")
    make_program(personas.org_a, "Черновик", status="draft")
    make_program(personas.org_a, "Архив", status="archived")
    closing = make_organization(personas.municipality_x, "Закрывается")
    make_program(closing, "Фехтование")
    stored = Organization.objects.get(pk=closing.pk)
    stored.is_active = False
    register.save_organization(personas.municipal_x, stored)  # its program goes to the archive
    make_organization(personas.municipality_x, "Без программ")
    index = locations(client, "/sitemap.xml")
    assert index == [f"{SITE}/sitemap-{section}.xml" for section in ("navigator", "programs", "organizations")]
    assert locations(client, "/sitemap-programs.xml") == [f"{SITE}/programs/{shown.code}/"]
    assert locations(client, "/sitemap-organizations.xml") == [f"{SITE}/organizations/{personas.org_a.code}/"]
    shown.refresh_from_db()
    page = client.get("/sitemap-programs.xml").content.decode()
    assert f"<lastmod>{timezone.localdate(shown.updated_at).isoformat()}</lastmod>" in page


def test_the_sitemap_leads_to_each_direction_and_each_municipality_with_programs(client, personas):
    make_program(personas.org_a, "Шахматы")
    found = locations(client, "/sitemap-navigator.xml")
    assert found[:3] == [f"{SITE}/", f"{SITE}/programs/", f"{SITE}/organizations/"]
    assert f"{SITE}/programs/?direction=technical" in found and f"{SITE}/programs/?direction=arts" in found
    assert f"{SITE}/programs/?municipality={personas.municipality_x.oktmo}" in found
    assert f"{SITE}/programs/?municipality={personas.municipality_y.oktmo}" not in found  # none published there
    for address in found:
        page = client.get(address.removeprefix(SITE))
        assert page.status_code == 200 and "noindex" not in page.content.decode(), address


def test_the_sitemaps_pages_hold_a_limit_each(client, personas, monkeypatch):
    programs = [make_program(personas.org_a, title) for title in ("Шахматы", "Шашки", "Го")]
    monkeypatch.setattr(ProgramSitemap, "limit", 2)
    assert f"{SITE}/sitemap-programs.xml?p=2" in locations(client, "/sitemap.xml")
    second = locations(client, "/sitemap-programs.xml?p=2")
    assert second == [f"{SITE}/programs/{programs[2].code}/"]
    assert client.get("/sitemap-programs.xml?p=3").status_code == 404


def test_a_program_page_gives_its_address_preview_and_schema_org_course(client, personas):
    teacher = Teacher.objects.create(organization=personas.org_a, last_name="Орлова", first_name="Вера")
    program = make_program(
        personas.org_a,
        "Роботы </script><script>alert(1)</script>",
        status="draft",
        with_group=False,
        is_free=False,
        is_paid=True,
        price_per_month=Decimal("2500"),
        age_from=8,
        age_to=12,
    )
    make_group(program, teacher=teacher, address="г. Энск, ул. Мира, 1")
    for transition in ("submit", "approve"):
        services.change_program_status(None, program, transition)
    html = client.get(f"/programs/{program.code}/?direction=technical").content.decode()
    url = f"{SITE}/programs/{program.code}/"
    assert f'<link rel="canonical" href="{url}">' in html
    assert f'<meta property="og:url" content="{url}">' in html
    [image] = re.findall(r'<meta property="og:image" content="([^"]+)">', html)
    assert image.startswith(f"{SITE}/static/og-image") and image.endswith(".png")
    assert "<script>alert(1)</script>" not in html
    course = ld_json(html)
    assert course["@type"] == "Course" and course["name"] == program.title and course["url"] == url
    assert course["typicalAgeRange"] == "8-12"
    assert course["provider"]["url"] == f"{SITE}/organizations/{personas.org_a.code}/"
    assert course["offers"] == [
        {"@type": "Offer", "category": "Paid", "price": "2500.00", "priceCurrency": "RUB", "description": "в месяц"}
    ]
    [instance] = course["hasCourseInstance"]
    assert instance["courseMode"] == "Onsite"
    assert instance["location"]["address"] == "г. Энск, ул. Мира, 1"
    assert instance["instructor"] == {"@type": "Person", "name": teacher.full_name}


def test_a_program_off_publication_gives_search_engines_nothing_but_noindex(client, personas):
    program = make_program(personas.org_a, "Шахматы", status="archived")
    client.force_login(personas.operator_a)  # families who applied and its organization still read it
    html = client.get(f"/programs/{program.code}/").content.decode()
    assert '<meta name="robots" content="noindex">' in html
    assert "canonical" not in html and "og:title" not in html and "application/ld+json" not in html


def test_an_organization_page_gives_its_schema_org_profile(client, personas):
    organization = Organization.objects.get(pk=personas.org_a.pk)
    organization.phone, organization.latitude, organization.longitude = "+7 900 000-00-00", 56.3, 41.02
    organization.save()
    make_program(organization, "Шахматы")
    html = client.get(f"/organizations/{organization.code}/").content.decode()
    profile = ld_json(html)
    assert profile["@type"] == "EducationalOrganization" and profile["name"] == organization.short_name
    assert profile["taxID"] == organization.inn and profile["telephone"] == "+7 900 000-00-00"
    assert profile["geo"] == {"@type": "GeoCoordinates", "latitude": 56.3, "longitude": 41.02}
    assert profile["address"]["addressLocality"] == personas.municipality_x.name


@pytest.mark.parametrize(
    ("path", "kept"),
    [
        ("/programs/", True),
        ("/programs/?direction=technical", True),
        ("/programs/?municipality={oktmo}", True),
        ("/programs/?direction=technical&municipality={oktmo}", True),
        ("/programs/?direction=technical&direction=arts", False),
        ("/programs/?q=шахматы", False),
        ("/programs/?page=2", False),
        ("/programs/?age=9", False),
        ("/programs/?municipality=12345678901", False),  # a municipality that does not exist: said as an error
        ("/organizations/", True),
        ("/organizations/?municipality={oktmo}", True),
        ("/organizations/?q=дом", False),
    ],
)
def test_search_engines_keep_a_lists_plain_pages_not_every_combination(client, personas, path, kept):
    make_program(personas.org_a, "Шахматы")
    html = client.get(path.format(oktmo=personas.municipality_x.oktmo), follow=True).content.decode()
    assert ('<meta name="robots" content="noindex, follow">' not in html) is kept
