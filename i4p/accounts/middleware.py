"""Per-user language, and the two-factor gate in front of every page for staff roles."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils import translation

from i4p.accounts.services import needs_two_factor

SESSION_KEY = "i4p_two_factor_ok"
_OPEN_PREFIXES = ("/accounts/", "/static/", "/i18n/")


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
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            request.user.is_authenticated
            and not request.session.get(SESSION_KEY)
            and not request.path.startswith(_OPEN_PREFIXES)
            and not request.headers.get("Authorization", "").lower().startswith("bearer ")
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
