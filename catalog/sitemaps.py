"""What the Navigator tells search engines it has (/sitemap.xml, Django's sitemaps): its published programs and the
organizations that hold them, each with the moment it last changed, and the pages a family reaches them from — the
home page, the lists, each direction and municipality. Families look for «кружки в Энске» in Yandex first."""

from datetime import datetime
from functools import cached_property
from typing import Any
from urllib.parse import urlencode

from django.contrib.sitemaps import Sitemap
from django.db.models import Exists, Max, OuterRef, QuerySet
from django.urls import reverse

from catalog.models import Direction, Organization, Program
from catalog.search import published_programs
from territory.models import Municipality

CODE = "CODE"  # a code's place in a page's path (codes are letters, digits and hyphens: nothing to quote)


class _PagesSitemap(Sitemap):  # type: ignore[type-arg]
    """The pages of a model's objects by their codes (`url_name`), each with the moment it last changed."""

    url_name = ""
    # Crawlers read the pages one by one: 10 000 addresses (~0.9 MB) instead of the format's 50 000 keep each
    # page about half a second to build at a region's 100 000 programs (with the template sitemaps/urlset.xml;
    # cached: opora.urls).
    limit = 10_000

    def location(self, item: Program | Organization) -> str:
        return self._path.replace(CODE, item.code)

    @cached_property
    def _path(self) -> str:
        # One reverse() for the page: for each of its 10 000 items it took a third of the page's time.
        return reverse(self.url_name, args=[CODE])

    def lastmod(self, item: Program | Organization) -> datetime:
        return item.updated_at

    def items(self) -> QuerySet[Any]:
        raise NotImplementedError

    def get_latest_lastmod(self) -> datetime | None:
        # Django's default reads every item for the index's <lastmod>.
        latest: datetime | None = self.items().aggregate(latest=Max("updated_at"))["latest"]
        return latest


class ProgramSitemap(_PagesSitemap):
    url_name = "navigator:program"

    def items(self) -> QuerySet[Program]:
        return published_programs().only("code", "updated_at").order_by("pk")


class OrganizationSitemap(_PagesSitemap):
    """The organizations the list of organizations holds: active, with published programs."""

    url_name = "navigator:organization"

    def items(self) -> QuerySet[Organization]:
        return (
            Organization.objects.filter(is_active=True)
            .filter(Exists(published_programs().filter(organization=OuterRef("pk"))))
            .only("code", "updated_at")
            .order_by("pk")
        )


class NavigatorSitemap(Sitemap):  # type: ignore[type-arg]
    """The pages families start from: the search's pages a search engine may keep (catalog.views._indexable) — a
    direction's programs, a municipality's — and the lists themselves."""

    def items(self) -> list[str]:
        search = reverse("navigator:search")
        with_programs = Municipality.objects.filter(
            Exists(published_programs().filter(municipality=OuterRef("pk")))
        ).values_list("oktmo", flat=True)
        return [
            reverse("navigator:home"),
            search,
            reverse("navigator:organizations"),
            *(f"{search}?{urlencode({'direction': value})}" for value in Direction.values),
            *(f"{search}?{urlencode({'municipality': oktmo})}" for oktmo in with_programs),
        ]

    def location(self, item: str) -> str:
        return item


SITEMAPS: dict[str, Any] = {
    "navigator": NavigatorSitemap,
    "programs": ProgramSitemap,
    "organizations": OrganizationSitemap,
}
