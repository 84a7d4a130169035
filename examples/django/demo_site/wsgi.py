"""WSGI entry: prebundle's file layer answers /static/prebundle/ (immutable caching, ETag,
gzip/brotli); Django's StaticFilesHandler serves the app's own static files here for the example
(a real deployment serves STATIC_ROOT from its web server or WhiteNoise)."""

import os

from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.wsgi import get_wsgi_application

from prebundle.integrations.django import get_assets
from prebundle.integrations.wsgi import StaticFiles

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo_site.settings")

django_app = get_wsgi_application()
application = StaticFiles(get_assets(), app=StaticFilesHandler(django_app))
