"""WSGI entry (and runserver's, through WSGI_APPLICATION): prebundle's file layer answers
/static/prebundle/, the build's hashed files while it is in use (immutable caching, ETag,
gzip/brotli); everything else goes to Django."""

import os

from django.core.wsgi import get_wsgi_application

from prebundle.integrations.django import get_assets
from prebundle.integrations.wsgi import WsgiDepsApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo_site.settings")

django_app = get_wsgi_application()
application = WsgiDepsApp(get_assets(), app=django_app)
