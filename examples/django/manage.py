#!/usr/bin/env python
"""The Django example: `python manage.py runserver`, with `prebundle daemon ../demo` running
(development) or after `prebundle build ../demo` (production; PREBUNDLE_MODE=production uses the
build even while the daemon runs)."""
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo_site.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
