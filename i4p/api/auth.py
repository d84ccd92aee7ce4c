"""API authentication: bearer tokens for machines, the session (with CSRF) for pages."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer
from ninja.security import SessionAuth as _NinjaSessionAuth

from i4p.accounts.services import authenticate_token


def has_bearer(request: HttpRequest) -> bool:
    return request.headers.get("Authorization", "").lower().startswith("bearer ")


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        token_row = authenticate_token(token)
        if token_row is None:
            return None
        request.user = token_row.user
        request.api_token = token_row  # type: ignore[attr-defined]
        return token_row.user


class SessionAuth(_NinjaSessionAuth):
    """The browser session (with CSRF), only for a request that carries no bearer header.

    A request with a bearer header is authenticated by its token or not at all: a wrong token
    never falls back to the session that came with it. (Named as ninja's class, whose name the
    OpenAPI document gives the security scheme.)"""

    def __call__(self, request: HttpRequest) -> Any:
        if has_bearer(request):
            return None
        return super().__call__(request)


class OptionalAuth:
    """Public endpoints: anonymous callers get public data; a token or session widens it."""

    def __call__(self, request: HttpRequest) -> Any:
        if has_bearer(request):
            return TokenAuth()(request) or None
        return request.user if request.user.is_authenticated else _Anonymous()


class _Anonymous:
    """A truthy marker so ninja lets anonymous callers through to public data."""

    def __bool__(self) -> bool:
        return True


token_or_session: list[Any] = [TokenAuth(), SessionAuth()]
anyone: list[Any] = [OptionalAuth()]


def require_write(request: HttpRequest) -> None:
    """A read-only token may not change anything."""
    from i4p.accounts.models import TokenScope
    from i4p.core.errors import NotAllowed

    token = getattr(request, "api_token", None)
    if token is not None and token.scope != TokenScope.WRITE:
        raise NotAllowed("This API token is read-only.")


def require_perm(request: HttpRequest, perm: str, place: Any, *, message: str) -> None:
    """The caller must hold `perm` (an `accounts.permissions.Perm` value) where `place` is.

    Apps below accounts (geo) check grants through here, so their modules never import it.
    """
    from i4p.accounts.permissions import Perm
    from i4p.accounts.selectors import can
    from i4p.core.errors import NotAllowed

    if not can(request.user, Perm(perm), place):
        raise NotAllowed(message)
