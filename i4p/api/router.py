"""The v1 API: one NinjaAPI, each app adds its router; every failure answers the same shape."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from i4p.core.errors import DomainError, NotFound

api = NinjaAPI(
    title="i4p API",
    version="1",
    description=(
        "The i4p API: the actor registry and the places of an infrastructure for peace. "
        "Send `Authorization: Bearer <token>` for machine access; public data needs no token. "
        'Every error answers `{"code", "message", "fields"}`.'
    ),
    urls_namespace="api",
)


def _error(request: HttpRequest, status: int, body: dict[str, object]) -> HttpResponse:
    return api.create_response(request, body, status=status)


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return _error(request, exc.status, exc.as_dict())


@api.exception_handler(NinjaValidationError)
def on_validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    fields: dict[str, list[str]] = {}
    for error in exc.errors:
        location = [str(part) for part in error.get("loc", []) if part not in ("body", "query")]
        key = ".".join(location[1:] if len(location) > 1 else location) or "request"
        fields.setdefault(key, []).append(str(error.get("msg", "invalid")))
    return _error(
        request,
        400,
        {"code": "invalid", "message": "The request has invalid fields.", "fields": fields},
    )


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(
        request,
        401,
        {"code": "unauthenticated", "message": "A valid API token is needed.", "fields": {}},
    )


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, exc.status_code, {"code": "error", "message": str(exc), "fields": {}})


@csrf_exempt
def not_found(request: HttpRequest) -> HttpResponse:
    """Any other path under /api/ answers the API's 404, not the site's page: a malformed id
    (`/alerts/null`) matches no operation's path, and its caller still reads JSON."""
    return _error(request, 404, NotFound("Nothing is at this address of the API.").as_dict())


def _mount() -> None:
    from i4p.geo.api import router as geo_router
    from i4p.registry.api import router as registry_router
    from i4p.warning.alerts_api import router as alerts_router
    from i4p.warning.analysis_api import router as analysis_router
    from i4p.warning.api import router as warning_router
    from i4p.warning.cap_api import router as cap_router
    from i4p.warning.responses_api import router as responses_router

    api.add_router("/", registry_router)
    api.add_router("/", geo_router)
    api.add_router("/", warning_router)
    api.add_router("/", analysis_router)
    api.add_router("/", cap_router)
    api.add_router("/", responses_router)
    api.add_router("/", alerts_router)


_mount()
