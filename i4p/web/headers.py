"""Headers every answer carries: a Content Security Policy, and `no-store` on whatever a
signed-in person or a token sees.

The policy allows scripts and styles from our own static files only (no inline script, no
inline style, no `on*=` handler: `web/tests/test_templates.py` keeps the templates so),
images from us, `data:` URIs (Leaflet's) and the map tile server when `I4P_TILE_URL` is set.
Django 5.2 has no CSP of its own.

A page of a signed-in session, an answer to a token and an API answer can hold reports and
names: no browser or proxy keeps them. Answers a view marked `public` (the Atom feed, public
CAP documents, place look-ups) are the same for everyone and keep their caching. Whether a
session is signed in is read from its cookie, not the session row: no query is added."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse

NO_STORE = "no-store"


def tile_origin(tile_url: str) -> str:
    """The origin of a Leaflet tile URL template, `{s}` subdomains as a wildcard."""
    parts = urlsplit(tile_url)
    if not parts.scheme or not parts.netloc:
        return ""
    host = parts.netloc
    if "{" in host:
        # "{s}.tile.example.org" -> "*.tile.example.org"; a template elsewhere in the host
        # cannot be named more narrowly than the scheme.
        head, _sep, rest = host.partition(".")
        host = f"*.{rest}" if "{" in head and "{" not in rest and rest else ""
    return f"{parts.scheme}://{host}" if host else f"{parts.scheme}:"


def content_security_policy() -> str:
    images = ["'self'", "data:"]
    tiles = tile_origin(str(getattr(settings, "I4P_TILE_URL", "") or ""))
    if tiles:
        images.append(tiles)
    directives = {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": " ".join(images),
        "object-src": "'none'",
        "base-uri": "'self'",
        "frame-ancestors": "'none'",
        "form-action": "'self'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def is_private(request: HttpRequest) -> bool:
    """A signed-in session, a token, or the API: the answer may hold what only the caller
    may see."""
    return (
        settings.SESSION_COOKIE_NAME in request.COOKIES
        or "HTTP_AUTHORIZATION" in request.META
        or request.path_info.startswith("/api/")
    )


def directives(response: HttpResponse) -> set[str]:
    return {
        part.strip().split("=")[0].lower() for part in response.get("Cache-Control", "").split(",")
    }


class SecurityHeadersMiddleware:
    """The CSP on every answer; `no-store` on every private one a view did not mark public."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy = content_security_policy()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = self.policy
        # A view's own `public` stands, and so does a view's own `no-store` (`private, no-store`).
        if is_private(request) and not directives(response) & {"public", "no-store"}:
            response["Cache-Control"] = NO_STORE
        return response
