"""Settings of the Django example: the TSX app of examples/demo (set PREBUNDLE_FRONTEND to use
another folder) rendered by `{% prebundle_entry "src/main.tsx" %}`, the same template in
development (while `prebundle daemon` runs) and in production (after `prebundle build`).
PREBUNDLE_MODE=production uses the build even while the daemon runs."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
FRONTEND = Path(os.environ.get("PREBUNDLE_FRONTEND") or BASE_DIR.parent / "demo")

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
WSGI_APPLICATION = "demo_site.wsgi.application"  # runserver too: prebundle's file layer in front
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [BASE_DIR / "demo_site" / "templates"],
    "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
}]
DATABASES = {}

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticroot"
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "prebundle.integrations.django.finders.PrebundleFinder",  # the build (or the deps), under /static/prebundle/
]

# Everything prebundle needs: the frontend folder. Development or production is found on its
# own: the tags point at `prebundle daemon` while it runs, otherwise at the build in dist/.
PREBUNDLE = {"root": FRONTEND, "mode": os.environ.get("PREBUNDLE_MODE") or None}
