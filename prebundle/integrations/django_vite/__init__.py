"""A drop-in for django-vite's template tags: replace ``"django_vite"`` with
``"prebundle.integrations.django_vite"`` in ``INSTALLED_APPS``, keep the templates
(``{% load django_vite %}``, ``{% vite_hmr_client %}``, ``{% vite_asset "src/main.js" %}``, ...)
and set ``PREBUNDLE`` (``prebundle.integrations.django.conf``) instead of ``DJANGO_VITE``.
"""
