from django.contrib import admin
from django.contrib.sitemaps import views as sitemaps
from django.urls import include, path, re_path
from django.views.decorators.cache import cache_page
from django.views.generic import RedirectView

from catalog.sitemaps import SITEMAPS
from core.views import favicon, healthz, robots_txt
from opora.api import api, no_such_endpoint

# A page of 10 000 programs takes ~0.5 s to build at a region's size; crawlers come back in hours, not seconds.
SITEMAP_CACHE = cache_page(60 * 60)

urlpatterns = [
    # The Navigator first: its pages are most of the traffic, and Django tries patterns in order.
    path("", include("catalog.urls")),
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),
    path("robots.txt", robots_txt, name="robots_txt"),
    path(
        "sitemap.xml",
        SITEMAP_CACHE(sitemaps.index),
        {"sitemaps": SITEMAPS, "sitemap_url_name": "sitemap_section"},
        name="sitemap",
    ),
    path(
        "sitemap-<section>.xml",
        SITEMAP_CACHE(sitemaps.sitemap),
        {"sitemaps": SITEMAPS, "template_name": "sitemaps/urlset.xml"},
        name="sitemap_section",
    ),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("api/docs", RedirectView.as_view(url="/api/v1/docs", permanent=False)),
    re_path(r"^api/", no_such_endpoint),  # a client of the API reads JSON, not the site's 404 page
    path("accounts/", include("accounts.urls")),
    path("office/applications/", include("enrollment.office_urls")),
    path("office/journal/", include("enrollment.journal_urls")),
    path("office/campaigns/", include("enrollment.campaign_urls")),
    path("office/monitoring/", include("monitoring.urls")),
    path("office/registry/", include("people.office_urls")),
    path("office/finance/", include("finance.office_urls")),
    path("office/", include("catalog.office_urls")),
    path("family/finance/", include("finance.family_urls")),
    path("family/", include("enrollment.urls")),
]
