from django.conf import settings
from django.shortcuts import render

from prebundle.integrations.django import get_assets


def index(request):
    entries = settings.PAGE_ENTRIES
    response = render(request, "index.html", {"entries": entries})
    response["Link"] = get_assets().link_header(*entries)  # the same preloads for early hints
    return response
