"""A refusal is a 403 page and one log line, never a traceback.

Django answers a `PermissionDenied` raised by a view itself, and logs it with the exception
attached: every refused page wrote a full traceback (a crawl over forbidden pages, a thousand
of them). A refusal is the product working, not a fault. This middleware answers the refusal
before Django's exception handling sees it; Django's request log then writes its one
"Forbidden: <path>" line for the 403 and nothing more. A `NotAllowed` that reaches a page is
the same refusal, said by a service."""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.core.handlers.exception import get_exception_response
from django.http import HttpRequest, HttpResponse
from django.urls import get_resolver, get_urlconf

from i4p.core.errors import NotAllowed


class RefusalMiddleware:
    """Turns a refusal raised by a view into the 403 page, without the exception in the log."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, (PermissionDenied, NotAllowed)):
            return None
        refusal = (
            exception
            if isinstance(exception, PermissionDenied)
            else PermissionDenied(exception.message)
        )
        response: HttpResponse = get_exception_response(
            request, get_resolver(get_urlconf()), 403, refusal
        )
        return response
