"""Background tasks of core: the worker heartbeat, pruning the queue's history, and queueing a
task with its data."""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
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


def prune_finished_tasks(*, now: dt.datetime | None = None) -> int:
    """Remove the queue's rows of tasks that finished long ago: `I4P_TASK_HISTORY_DAYS` after a
    success, twice as long after a failure (kept longer, for whoever looks into it). Waiting
    and running tasks are never touched. At 100 reports a second the queue writes a few
    hundred thousand rows a day; without this the table only grows. Returns how many went."""
    from django_tasks import TaskResultStatus, task_backends
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    if not isinstance(task_backends["default"], DatabaseBackend):
        return 0
    now = now or timezone.now()
    kept = dt.timedelta(days=settings.I4P_TASK_HISTORY_DAYS)
    deleted, _ = DBTaskResult.objects.filter(
        Q(status=TaskResultStatus.SUCCESSFUL, finished_at__lt=now - kept)
        | Q(status=TaskResultStatus.FAILED, finished_at__lt=now - 2 * kept)
    ).delete()
    return deleted


@task()
def prune_task_history() -> str:
    """Run every hour by `i4p serve`: see `prune_finished_tasks`."""
    return f"{prune_finished_tasks()} finished tasks removed"


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
