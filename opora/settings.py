"""Opora settings. Everything that differs between machines comes from the environment."""

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from opora.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("OPORA_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("OPORA_DEBUG", False)


def _secret_key() -> str:
    key = env_str("OPORA_SECRET_KEY")
    if key:
        return key
    if not DEBUG:
        raise ImproperlyConfigured("OPORA_SECRET_KEY must be set when OPORA_DEBUG is off")
    # Development only: a random key kept in the git-ignored var/ folder.
    from django.core.management.utils import get_random_secret_key

    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(get_random_secret_key())
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()


def _site_url() -> str:
    """The address families and staff open the site at (https://navigator.example.ru), for the links
    in letters: a letter sent by a command or a background job has no request to take a host from."""
    url = env_str("OPORA_SITE_URL", "http://127.0.0.1:8000" if DEBUG else "").rstrip("/")
    parts = urlsplit(url)
    if url and (parts.scheme not in ("http", "https") or not parts.hostname or parts.path or parts.query):
        raise ImproperlyConfigured(f"OPORA_SITE_URL must be an address like https://navigator.example.ru, not {url!r}")
    return url


SITE_URL = _site_url()
# Encrypts children's identifiers and keys their digests. Set it apart from the secret key in
# production: rotating OPORA_SECRET_KEY must not make the registry unreadable or unmatchable.
PERSONAL_DATA_KEY = env_str("OPORA_PERSONAL_DATA_KEY") or SECRET_KEY
ALLOWED_HOSTS = env_list("OPORA_ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("OPORA_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "core.admin_site.OporaAdminConfig",  # django.contrib.admin with the site of core/admin_site.py
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "django.contrib.postgres",
    "ninja",
    "core",
    "accounts",
    "territory",
    "catalog",
    "people",
    "enrollment",
    "monitoring",
    "finance",
]

MIDDLEWARE = [
    "core.middleware.OverloadMiddleware",
    "core.middleware.DatabaseTimingMiddleware",
    "core.middleware.ApiMethodNotAllowedMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "core.middleware.OfficeAccessMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "opora.urls"
WSGI_APPLICATION = "opora.wsgi.application"
ASGI_APPLICATION = "opora.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.site",
            ],
        },
    },
]

# SQLite by default (a file in var/), PostgreSQL when DATABASE_URL is set.
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'opora.sqlite3'}",
        conn_max_age=env_int("OPORA_CONN_MAX_AGE", 60),
        # A reused connection is not pinged first (Django's default): the ping is a round trip on every
        # request (~0.15 ms of a 3 ms search page), while a connection the server dropped fails only the
        # one request that takes it, and is then replaced. On for networks that drop idle connections.
        conn_health_checks=env_bool("OPORA_DB_HEALTH_CHECKS", False),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions take the write lock up front, so concurrent writers wait
    # (busy timeout) instead of failing with "database is locked" mid-transaction.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
else:
    # Only the fixed statements of hot paths are prepared (core.rawsql binds their parameters on the
    # server; the ORM's queries inline theirs and are never prepared). Their plans do not depend on
    # the values, so PostgreSQL plans each once per connection instead of at every execution.
    # Off behind a pooler that moves transactions between server connections (PgBouncer, transaction mode).
    if env_bool("OPORA_DB_PREPARED_STATEMENTS", True):
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            prepare_threshold=2, options="-c plan_cache_mode=force_generic_plan"
        )
    else:
        # Nor do server-side cursors survive such a pooler: QuerySet.iterator() then fetches by chunks
        # from an ordinary cursor (the search index is read that way while it is rebuilt).
        DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    if env_int("OPORA_DB_POOL_SIZE", 0) > 0:
        # A bounded pool per process: a request that waits OPORA_DB_POOL_TIMEOUT seconds for a connection
        # is answered 503 with Retry-After (core.middleware.OverloadMiddleware) instead of piling up.
        DATABASES["default"]["OPTIONS"]["pool"] = {
            "min_size": 1,
            "max_size": env_int("OPORA_DB_POOL_SIZE", 0),
            "timeout": env_int("OPORA_DB_POOL_TIMEOUT", 3),
        }
        DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:start"
LOGOUT_REDIRECT_URL = "navigator:home"

REDIS_URL = env_str("OPORA_REDIS_URL")
CACHES: dict[str, dict[str, Any]]
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# The search's map (Leaflet): the tiles of a tile server, an address with {z}/{x}/{y} ({s}: its subdomains), and
# what the map must say of their source. OpenStreetMap's own server by default: its usage policy asks a site with
# many visitors for a server of its own (or a provider's) — a region sets it here. Empty: no tiles, the places only.
OPORA_MAP_TILES = env_str("OPORA_MAP_TILES", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
OPORA_MAP_ATTRIBUTION = env_str(
    "OPORA_MAP_ATTRIBUTION", '&copy; <a href="https://www.openstreetmap.org/copyright">участники OpenStreetMap</a>'
)
_tiles = urlsplit(OPORA_MAP_TILES.replace("{s}", "*"))
MAP_TILES_ORIGIN = f" {_tiles.scheme}://{_tiles.netloc}" if _tiles.netloc else ""

# Only the site's own scripts, styles and fonts; images also as data: URLs (Swagger UI's icons) and the map's tiles.
OPORA_CONTENT_SECURITY_POLICY = env_str(
    "OPORA_CONTENT_SECURITY_POLICY",
    f"default-src 'self'; img-src 'self' data:{MAP_TILES_ORIGIN}; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'",
)

# One language: no LocaleMiddleware choosing it per request (nor a Vary: Accept-Language that splits caches).
LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", "Русский")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("OPORA_TIME_ZONE", "Europe/Moscow")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Only browser assets from node_modules are public; the fonts there are for PDF documents.
BROWSER_PACKAGES = ("htmx.org", "chart.js", "leaflet", "leaflet.markercluster")
STATICFILES_DIRS = [
    (f"vendor/{package}", BASE_DIR / "node_modules" / package)
    for package in BROWSER_PACKAGES
    if (BASE_DIR / "node_modules" / package).exists()
]
PDF_FONT_DIR = BASE_DIR / "node_modules" / "dejavu-fonts-ttf" / "ttf"
# Hashed, compressed names for far-future caching in production; plain names in debug and in tests
# (the test live server serves static files from the finders, which know no hashed names).
HASHED_STATIC = env_bool("OPORA_HASHED_STATIC", not DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if HASHED_STATIC
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

EMAIL_BACKEND = env_str("OPORA_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("OPORA_FROM_EMAIL", "opora@localhost")
# An SMTP server that stops answering must not hold a sender for ever.
EMAIL_TIMEOUT = env_int("OPORA_EMAIL_TIMEOUT", 10)
# In the web server (set by opora/wsgi.py and asgi.py) letters go out from a thread of each process
# after the commit (core.letters), not from the request; commands, the shell and tests send at the commit.
OPORA_LETTERS_IN_BACKGROUND = env_bool("OPORA_LETTERS_IN_BACKGROUND", False)

# Safe production defaults; a local demo over plain HTTP turns them off with OPORA_DEBUG=1.
SECURE_COOKIES = env_bool("OPORA_SECURE_COOKIES", not DEBUG)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env_bool("OPORA_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("OPORA_HSTS_SECONDS", 0)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("OPORA_BEHIND_PROXY") else None

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("OPORA_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# Catalog search: page size and how long facet counts may be served from cache.
OPORA_PAGE_SIZE = 20
OPORA_FACET_CACHE_SECONDS = env_int("OPORA_FACET_CACHE_SECONDS", 60)
# Enrollment: how many applications a child may have in progress at once, and how many days a
# family has to answer an invitation before the seat goes to the next child in the queue.
OPORA_MAX_ACTIVE_APPLICATIONS = env_int("OPORA_MAX_ACTIVE_APPLICATIONS", 5)
OPORA_INVITATION_DAYS = env_int("OPORA_INVITATION_DAYS", 3)
# Monitoring: how long the figures of a territory and year may be served from cache.
OPORA_INDICATOR_CACHE_SECONDS = env_int("OPORA_INDICATOR_CACHE_SECONDS", 300)
# PostgreSQL memory for one report query (indicators group a million children in a hash).
OPORA_REPORT_WORK_MEM = env_str("OPORA_REPORT_WORK_MEM", "256MB")
