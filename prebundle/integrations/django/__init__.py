"""Django: add ``"prebundle.integrations.django"`` to ``INSTALLED_APPS``, configure one dict::

    PREBUNDLE = {"root": BASE_DIR / "frontend"}     # plus base, mode, static_prefix, ...

and ``{% load prebundle %}`` in templates: ``{% prebundle_importmap %}``,
``{% prebundle_preload "react" "react-dom/client" %}``, ``{% prebundle_client %}``,
``{% prebundle_polyfill %}``, ``{% prebundle_entry "src/main.js" %}`` (Vite manifests) and
``{% prebundle_url "react" %}``. Add ``"prebundle.integrations.django.finders.PrebundleFinder"`` to
``STATICFILES_FINDERS`` so ``runserver`` serves the deps and ``collectstatic`` copies them (the
hidden ``node_modules/.vite`` folder is otherwise skipped).
"""

from __future__ import annotations

from .conf import get_assets

__all__ = ["get_assets"]
