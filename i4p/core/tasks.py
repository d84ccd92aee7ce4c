"""Background tasks of core: the worker heartbeat, and queueing a task with its data."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db import transaction
from django.utils import timezone
from django_tasks import task
from django_tasks.base import Task

from i4p.core.models import Heartbeat


@task()
def beat(name: str = "worker") -> str:
    """Run by the worker: proves it picks up tasks, and says when it last did."""
    now = timezone.now()
    Heartbeat.objects.update_or_create(name=name, defaults={"seen_at": now})
    return now.isoformat()


def queued_in_database(job: Task[Any, Any]) -> bool:
    """Whether the task queue is a table of the database (`django_tasks_db`, the default)."""
    from django_tasks_db.backend import DatabaseBackend

    return isinstance(job.get_backend(), DatabaseBackend)


def enqueue_with_commit(job: Task[Any, Any], *args: Any, **kwargs: Any) -> None:
    """Queue a task about data the current transaction writes.

    When the queue is a table of the same database, the task row is written inside the
    transaction: it commits with the data or not at all (nothing is lost if the process dies
    right after the commit), costs no commit of its own, and no worker can see it before the
    data. Any other queue gets the task after the commit, so it never runs on data that was
    rolled back.
    """
    if queued_in_database(job):
        job.enqueue(*args, **kwargs)
    else:
        transaction.on_commit(partial(job.enqueue, *args, **kwargs))
