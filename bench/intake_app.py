"""Bench-only Django settings, URLs and views for `bench/intake.py` (never part of the product).

- `POST /bench/minimal`: the baseline, a minimal Django view that does one insert;
- `POST /bench/submit`: a report through `i4p.warning.intake.submit_report`, with a bearer
  token, as the API does (used while `POST /api/v1/reports` is not there);
- every product URL as well (`config.urls`).
`BENCH_SQLITE_SYNC` (FULL or NORMAL) sets SQLite's `synchronous` for the run.
"""

from __future__ import annotations

import json
import os
from typing import Any

from config.settings import *  # noqa: F403
from config.settings import DATABASES

ROOT_URLCONF = "bench.intake_app"
_sync = os.environ.get("BENCH_SQLITE_SYNC", "")
if _sync and DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["OPTIONS"]["init_command"] = (
        f"PRAGMA journal_mode=WAL; PRAGMA synchronous={_sync}; PRAGMA foreign_keys=ON;"
    )


def minimal(request: Any) -> Any:
    from django.db import connection, transaction
    from django.http import JsonResponse

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_row (body) VALUES (%s)", [request.body[:500].decode()])
    return JsonResponse({"ok": True}, status=201)


def submit(request: Any) -> Any:
    from django.http import JsonResponse

    from i4p.accounts.services import authenticate_token
    from i4p.geo.models import Place
    from i4p.warning.intake import Draft, submit_report

    header = request.headers.get("Authorization", "")
    token = authenticate_token(header[7:]) if header.lower().startswith("bearer ") else None
    if token is None:
        return JsonResponse({"code": "unauthorised"}, status=401)
    body = json.loads(request.body)
    place = Place.objects.filter(uuid=body["place"]).first() if body.get("place") else None
    draft = Draft(description=body.get("description", ""), place=place, killed=body.get("killed"))
    report, created = submit_report(
        draft,
        by=token.user,
        channel="api",
        payload=body,
        idempotency_key=request.headers.get("Idempotency-Key", ""),
    )
    return JsonResponse({"uuid": str(report.uuid)}, status=201 if created else 200)


def _urls() -> list[Any]:
    from django.urls import include, path
    from django.views.decorators.csrf import csrf_exempt

    return [
        path("bench/minimal", csrf_exempt(minimal)),
        path("bench/submit", csrf_exempt(submit)),
        path("", include("config.urls")),
    ]


def __getattr__(name: str) -> Any:
    # The URL list is built on first use: building it at import would import Django models
    # while the settings (this same module) are still being read.
    if name == "urlpatterns":
        return _urls()
    raise AttributeError(name)
