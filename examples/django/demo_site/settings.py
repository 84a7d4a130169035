"""Settings of the Django example. The frontend is examples/demo (its npm packages pre-bundled
by `prebundle ../demo`); set PREBUNDLE_FRONTEND to use another folder."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
FRONTEND = Path(os.environ.get("PREBUNDLE_FRONTEND", BASE_DIR.parent / "demo"))

SECRET_KEY = "example-only-not-secret"
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
ALLOWED_HOSTS = ["*"]

INSTALLED_APPS = [
    "django.contrib.staticfiles",
    "prebundle.integrations.django",
    "prebundle.integrations.django_vite",   # django-vite's {% load django_vite %} tags, rendered by prebundle
]
MIDDLEWARE = []
ROOT_URLCONF = "demo_site.urls"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [BASE_DIR / "demo_site" / "templates"],
    "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
}]
DATABASES = {}

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticroot"
STATICFILES_DIRS = [FRONTEND / "src"]           # the app's own modules (main.js, style.css)
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "prebundle.integrations.django.finders.PrebundleFinder",  # the deps, under /static/prebundle/
]

# Everything prebundle needs: the frontend folder. Dev or production is found on its own: URLs
# point at `prebundle daemon` while it runs, otherwise at the files on disk.
PREBUNDLE = {"root": FRONTEND}

PAGE_ENTRIES = ["react", "react-dom/client"]
"""The packages the example page preloads (with their whole import closure and CSS)."""
