#!/usr/bin/env python
"""The production-shaped Django example: two frontends, a reusable app's pinned modules and
WhiteNoise. `prebundle --mode production ../demo && python manage.py collectstatic && python
manage.py runserver` (see docs/django.md)."""
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
