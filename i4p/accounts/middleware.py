"""Per-user language, and the two-factor gate in front of every page and the API for staff."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils import translation

from i4p.accounts.services import needs_two_factor

SESSION_KEY = "i4p_two_factor_ok"
# The only pages a session may reach before its second factor: logging in and out, the
# two-factor step itself (a code, or a security key), static files and the language switch.
# The account page is not among them: it issues API tokens.
_OPEN_PATHS = frozenset(
    {
        "/accounts/login/",
        "/accounts/logout/",
        "/accounts/two-factor/",
        "/accounts/two-factor/key/options/",
        "/accounts/two-factor/key/verify/",
        "/accounts/two-factor/key/register/options/",
        "/accounts/two-factor/key/register/",
    }
)
_OPEN_PREFIXES = ("/static/", "/i18n/")


class UserLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = getattr(request.user, "language", "") if request.user.is_authenticated else ""
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)


class TwoFactorMiddleware:
    """A session that has not passed its second factor authenticates nothing.

    Whatever the request carries: a bearer header does not let such a session through, because
    the API never falls back from a token to the session (`api.auth`), and a request that
    carries a cookie of such a session is answered here, before any view or API operation.
    A machine client with a token and no session cookie is not a session: it passes."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            request.user.is_authenticated
            and not request.session.get(SESSION_KEY)
            and request.path not in _OPEN_PATHS
            and not request.path.startswith(_OPEN_PREFIXES)
            and needs_two_factor(request.user)
        ):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {
                        "code": "two_factor_required",
                        "message": "Confirm your two-factor code first.",
                        "fields": {},
                    },
                    status=403,
                )
            return redirect(f"/accounts/two-factor/?next={request.get_full_path()}")
        return self.get_response(request)
