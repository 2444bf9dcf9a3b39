"""The Navigator's pages and the office's catalog pages checked by axe-core (Deque's rules, from the
npm registry) in Debian's Chromium: no violation of WCAG 2.1 A and AA — labels, names, contrast,
landmarks, language — in the usual version and in the version for the visually impaired, on a
desktop and on a phone."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import RoleAssignment
from catalog import services
from catalog.models import OrganizationUnit, StudyPlace, UnitKind
from catalog.services import change_program_status
from core.browser import serve_map_tiles, sign_in
from core.testing import make_child, make_group, make_personas, make_program
from enrollment.services import apply
from people.models import Teacher

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
  return result.violations.map(v => `${v.id} (${v.impact}): ${v.help} — ` +
    v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '));
}"""


@pytest.fixture
def catalog_pages(transactional_db):
    """(who signs in, or None, the page signing in lands on, and the pages they open)."""
    personas = make_personas()
    program = make_program(
        personas.org_a,
        "Ансамбль народных инструментов",
        direction="arts",
        is_paid=True,
        price_per_month=Decimal(3000),
        ovz_adapted=True,
        unit=OrganizationUnit.objects.create(
            organization=personas.org_a, kind=UnitKind.SCHOOL_THEATRE, name="Театр «Маска»"
        ),
    )
    group = make_group(program)
    # A group in a school: the program page names two addresses, the organization's lists its study place.
    school = services.save_study_place(
        None,
        StudyPlace(
            organization=personas.org_a,
            address="г. Энск, ул. Школьная, д. 7",
            name="Спортзал школы № 7",
            latitude=Decimal("56.302"),
            longitude=Decimal("41"),
        ),
    )
    make_group(program, address=school.address)
    teacher = Teacher.objects.create(organization=personas.org_a, last_name="Орлова", first_name="Вера")
    teacher_access = RoleAssignment.objects.get(user=personas.teacher_a)
    make_program(personas.org_b, "Робототехника")
    make_program(personas.org_a, "Шахматы", status="moderating")
    search = reverse("navigator:search")
    child = make_child(personas.family, "Аня", group.start_date)
    application = apply(personas.family, child, program, None, "a11y-1")
    archived = make_program(personas.org_a, "Кукольный театр", direction="arts")
    apply(personas.family, child, archived, None, "a11y-2")
    change_program_status(personas.operator_a, archived, "archive")
    returned = make_program(personas.org_a, "Вокальная студия", direction="arts")
    apply(personas.family, child, returned, None, "a11y-3")
    change_program_status(personas.municipal_x, returned, "return", remark="Уточните расписание")
    return [
        (
            None,
            "",
            [
                reverse("navigator:home"),
                search,
                search + "?q=ансамбли&direction=arts&age=9&free_seats=on",
                search + "?q=работотехника",
                search + "?q=ёлочка",
                search + "?ovz=on&ovz_category=deaf",  # the categories, a fieldset within «Особые условия»
                search + "?q=робототехника&near=56.300,41.000&sort=near&within=5",  # distances, «Расстояние от вас»
                search + "?view=map",  # the map's markers and popups, the list of places
                search + "?view=map&near=56.300,41.000&direction=arts",  # «Вы здесь»
                reverse("navigator:program", args=[program.code]),
                reverse("navigator:program", args=[archived.code]),  # «no longer held»
                reverse("navigator:organization", args=[personas.org_a.code]),
                reverse("navigator:organizations") + "?near=56.300,41.000&sort=near",  # distances, the chip
                reverse("navigator:organizations") + "?view=map",  # the organizations' places
                reverse("navigator:organizations") + "?unit=school_theatre&q=zoo&kind=nope",  # nothing, a message
                reverse("accounts:login"),
                reverse("accounts:register"),
                reverse("accounts:password_reset"),
                reverse("accounts:password_reset_done"),
            ],
        ),
        (
            personas.family.email,
            "/family/",
            [
                reverse("family:cabinet"),
                reverse("navigator:home"),  # «Подобрать по возрасту» in the hero
                search + "?q=ансамбли&age=" + str(child.age_on(timezone.localdate())),  # the child's age chosen
                reverse("navigator:program", args=[archived.code]),  # read whole, with its groups
                reverse("navigator:program", args=[returned.code]),  # off publication for a while
                reverse("family:child_new"),
                reverse("family:cancel", args=[application.code]),
            ],
        ),
        (
            personas.operator_a.email,
            "/office/",
            [
                reverse("office:home"),
                reverse("office:program_list"),
                reverse("office:program_create"),
                reverse("office:program_detail", args=[program.code]),
                reverse("office:program_edit", args=[program.code]),
                reverse("office:program_copy", args=[program.code]),
                reverse("office:group_create", args=[program.code]),
                reverse("office:group_edit", args=[group.code]),
                reverse("office:groups_next_year", args=[program.code]),
                reverse("office:organization_groups_next_year"),
                reverse("office:organization_profile"),
                reverse("office:place_list"),
                reverse("office:place_create"),
                reverse("office:place_edit", args=[school.pk]),
                reverse("office:place_remove", args=[school.pk]),
                reverse("office:staff"),
                reverse("office:teacher_create"),
                reverse("office:teacher_edit", args=[teacher.uuid]),
                reverse("office:teacher_remove", args=[teacher.uuid]),
                reverse("office:operator_invite"),
                reverse("office:access_close", args=[teacher_access.pk]),
                reverse("office_applications:queue"),
            ],
        ),
        (
            personas.municipal_x.email,
            "/office/",
            [
                reverse("office:moderation_queue"),
                reverse("office:organization_register"),
                reverse("office:organization_register_create"),
                reverse("office:organization_register_edit", args=[personas.org_a.code]),
            ],
        ),
        # The choice of an organization, for a new program and for an upload.
        (personas.admin.email, "/office/", [reverse("office:program_create"), reverse("monitoring:imports")]),
    ]


DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


# The version for the visually impaired as it comes, and in each of its other colour schemes (with
# the largest type and spacing): every text has the contrast AA asks for in each.
@pytest.mark.parametrize(
    ("viewport", "a11y"),
    [
        (DESKTOP, None),
        (PHONE, None),
        (DESKTOP, "1"),
        (PHONE, "1"),
        (DESKTOP, "3.black.3.1"),
        (PHONE, "2.blue.2.0"),
        (DESKTOP, "3.beige.3.1"),
    ],
    ids=["desktop", "phone", "desktop-visually-impaired", "phone-visually-impaired", "black", "blue", "beige"],
)
def test_catalog_pages_have_no_accessibility_violations(live_server, browser, catalog_pages, viewport, a11y):
    found = {}
    for person, lands_on, paths in catalog_pages:
        # axe is injected as a script of the test's own: the page's Content-Security-Policy would refuse it.
        context = browser.new_context(viewport=viewport, bypass_csp=True)
        if a11y:
            context.add_cookies([{"name": "opora_a11y", "value": a11y, "url": live_server.url}])
        serve_map_tiles(context)
        page = context.new_page()
        if person:
            sign_in(page, live_server.url, person, lands_on=lands_on)
        for path in paths:
            page.goto(live_server.url + path)
            if "view=map" in path:  # drawn once Leaflet has loaded; a popup open, as a family reads it
                page.locator(".leaflet-marker-icon.map-marker").first.click()
                expect(page.locator(".leaflet-popup")).to_have_css("opacity", "1")  # faded in: its colours whole
            page.add_script_tag(path=str(AXE))
            violations = page.evaluate(RUN_AXE, WCAG)
            if violations:
                found[path] = violations
        context.close()
    assert found == {}
