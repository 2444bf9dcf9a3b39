import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opora.settings")
os.environ.setdefault("OPORA_LETTERS_IN_BACKGROUND", "1")  # a request never waits for the mail server
application = get_asgi_application()

from catalog.search_index import build_in_background  # noqa: E402 -- needs the application loaded

build_in_background()
