"""Background tasks of core: the worker heartbeat."""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from i4p.core.models import Heartbeat


@task()
def beat(name: str = "worker") -> str:
    """Run by the worker: proves it picks up tasks, and says when it last did."""
    now = timezone.now()
    Heartbeat.objects.update_or_create(name=name, defaults={"seen_at": now})
    return now.isoformat()
