import secrets

from django.shortcuts import render

from prebundle.integrations.django import get_assets

ENTRY = "src/main.tsx"


def index(request):
    request.csp_nonce = secrets.token_hex(12)  # what a CSP middleware sets; the tags pick it up
    response = render(request, "index.html")
    response["Link"] = get_assets().link_header(ENTRY)  # its stylesheets, for early hints
    # 'strict-dynamic': the modules the nonced tags load may import others
    response["Content-Security-Policy"] = (f"script-src 'nonce-{request.csp_nonce}' 'strict-dynamic'; "
                                           f"style-src 'self' 'nonce-{request.csp_nonce}'")
    return response
