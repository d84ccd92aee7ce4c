"""Shared pages: health of the web and worker processes."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_safe

from i4p.core.models import Heartbeat

WORKER_STALE_AFTER = timedelta(minutes=3)


@require_safe
def health(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    beat = Heartbeat.objects.filter(name="worker").first()
    now = timezone.now()
    worker = {
        "last_seen": beat.seen_at.isoformat() if beat else None,
        "alive": bool(beat and now - beat.seen_at < WORKER_STALE_AFTER),
    }
    return JsonResponse({"database": connection.vendor, "worker": worker})
