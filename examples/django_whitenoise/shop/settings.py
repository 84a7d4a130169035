"""Settings of the production-shaped example: two frontends ("site" and "dashboard", each its own
npm project), the reusable app `charts` whose ES modules are pinned into both import maps, and
WhiteNoise serving everything `collectstatic` gathered, prebundle's files cached for ten years.

Both frontends default to the npm project examples/demo (its packages), with their own modules in
./frontend/<name>/main.js; SHOP_SITE_FRONTEND and SHOP_DASHBOARD_FRONTEND point them at other npm
projects (whose src/main.js is then the module), DJANGO_STATIC_ROOT moves the collected files,
DJANGO_DEBUG=1 turns on development (files from the finders, the daemon when it runs)."""

import os
from pathlib import Path

from prebundle.integrations.django.whitenoise import immutable_file_test

BASE_DIR = Path(__file__).resolve().parent.parent
SITE_FRONTEND = Path(os.environ.get("SHOP_SITE_FRONTEND", BASE_DIR.parent / "demo"))
DASHBOARD_FRONTEND = Path(os.environ.get("SHOP_DASHBOARD_FRONTEND", BASE_DIR.parent / "demo"))

SECRET_KEY = "example-only-not-secret"
DEBUG = os.environ.get("DJANGO_DEBUG", "0") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.staticfiles",
    "prebundle.integrations.django",
    "charts",                                   # a reusable app: AppConfig.prebundle_pins
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
]
ROOT_URLCONF = "shop.urls"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [BASE_DIR / "shop" / "templates"],
    "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
}]
DATABASES = {}

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticroot"))


def _modules(frontend: Path, name: str) -> Path:
    """The folder of a frontend's own modules: its src/ when it has a main.js, else the example's."""
    return frontend / "src" if (frontend / "src" / "main.js").is_file() else BASE_DIR / "frontend" / name


STATICFILES_DIRS = [("site", _modules(SITE_FRONTEND, "site")), ("dashboard", _modules(DASHBOARD_FRONTEND, "dashboard"))]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "prebundle.integrations.django.finders.PrebundleFinder",   # each frontend under /static/prebundle/<app>/
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Django's hashing for the app's files, prebundle's own (already content-named) left as they are
    "staticfiles": {"BACKEND": "prebundle.integrations.django.whitenoise.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_IMMUTABLE_FILE_TEST = immutable_file_test   # the function: WhiteNoise reads a string as a regex
WHITENOISE_KEEP_ONLY_HASHED_FILES = True

PREBUNDLE = {
    "apps": {
        "site": {"root": SITE_FRONTEND},
        "dashboard": {"root": DASHBOARD_FRONTEND},
    },
    "default": "site",
}
