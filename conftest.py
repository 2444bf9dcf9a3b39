from decimal import Decimal

import pytest

from catalog.models import Program
from core.browser import browser  # noqa: F401  (the Chromium fixture of browser tests)
from core.testing import Personas, make_personas, make_program


@pytest.fixture(autouse=True)
def _isolated_cache(settings):
    from django.core.cache import cache

    from catalog.search_index import new_catalog_version

    # Real password hashing costs ~0.3 s a user; tests only need it to work.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Every search reads the catalog afresh: tests change it inside transactions that never commit.
    settings.OPORA_FACET_CACHE_SECONDS = 0
    settings.OPORA_INDICATOR_CACHE_SECONDS = 0
    # Letters at the commit, in the test's own thread: a test reads mail.outbox right after acting.
    settings.OPORA_LETTERS_IN_BACKGROUND = False
    settings.SITE_URL = ""  # letters without links unless a test gives the site's address
    cache.clear()
    new_catalog_version()  # a catalog of the test's own, whatever this process read before
    yield
    cache.clear()


@pytest.fixture
def personas(db) -> Personas:
    return make_personas()


@pytest.fixture
def admin_client(client, personas):
    """Signed in as the personas' administrator (pytest-django's own makes a bare superuser)."""
    client.force_login(personas.admin)
    return client


@pytest.fixture
def published_program(personas) -> Program:
    """A published program of organization A in municipality X, with one group of 15 seats."""
    return make_program(personas.org_a, "Робототехника и конструирование", actor=personas.operator_a)


@pytest.fixture
def paid_program(personas) -> Program:
    """A draft program of organization A for 7–12 years at 1 500 ₽ a month, without groups."""
    return make_program(
        personas.org_a,
        "QA Тестовая программа «Юный программист»",
        status="draft",
        with_group=False,
        age_from=7,
        age_to=12,
        is_free=False,
        is_paid=True,
        price_per_month=Decimal(1500),
    )


@pytest.fixture
def draft_program(personas) -> Program:
    return make_program(personas.org_a, "Черновик программы", status="draft", actor=personas.operator_a)
