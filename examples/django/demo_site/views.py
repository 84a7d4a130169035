from django.shortcuts import render

from prebundle.integrations.django import get_assets

ENTRIES = ("react", "react-dom/client")


def index(request):
    response = render(request, "index.html", {"entries": ENTRIES})
    response["Link"] = get_assets().link_header(*ENTRIES)  # the same preloads for early hints
    return response
