"""Django settings of the example shop; what differs per run comes from the environment."""

from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

#: Where this run keeps its SQLite files (run.sh makes it; the default is ./instance).
SHOP_INSTANCE_DIR = Path(
    os.environ.get("SHOP_INSTANCE_DIR") or Path(__file__).resolve().parent.parent / "instance"
)
#: The shop's public base URL, which makes the adapter's product URLs absolute.
SHOP_URL = os.environ.get("SHOP_URL", "http://127.0.0.1:8000")

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    raise ImproperlyConfigured("set DJANGO_SECRET_KEY (run.sh makes one for each start)")

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", *filter(None, os.environ.get("SHOP_HOSTS", "").split())]

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django_shop",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
ROOT_URLCONF = "django_shop.urls"
# Not Django's own handler: the dispatcher that sends /oct8ne/ to the adapter (wsgi.py).
WSGI_APPLICATION = "django_shop.wsgi.application"
TEMPLATES: list[dict[str, object]] = []

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": SHOP_INSTANCE_DIR / "shop.sqlite3",
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Sessions in the database (the default engine); the adapter reads them through the same store.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_NAME = "sessionid"
# The adapter answers customerData to a <script> tag: Lax keeps other sites' pages from
# sending the visitor's session along (see the adapter's docs/running.md).
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_HTTPONLY = True

USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en-us"
USE_I18N = False
