"""Background work of the alert loop: the deliveries routing makes, each retry, each
escalation at its due time, and the minute sweep the worker runs. Tasks get ids only."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tasks import task

# Alerts going out (deliveries, their retries, escalations) are taken before any other queued
# work: a worker that frees up while the count task and an alert's deliveries both wait sends
# the alert first.
ALERT_PRIORITY = 20


@task(priority=ALERT_PRIORITY)
def deliver_alert(delivery_id: str) -> str:
    """One attempt at one delivery (by its public id): a retry, or staff's "retry now"."""
    from i4p.warning.delivery import deliver

    return deliver(delivery_id)


@task(priority=ALERT_PRIORITY)
def deliver_alerts(delivery_ids: list[str]) -> str:
    """One attempt at each of these deliveries (all those routing made for an alert, or the
    stalled ones the sweep found), each with its own result and its own retries."""
    from i4p.warning.delivery import deliver_each

    return deliver_each(delivery_ids)


@task(priority=ALERT_PRIORITY)
def escalate_at_due_time(alert_id: str) -> str:
    """Run at the alert's escalation time: alert the next level if still unacknowledged."""
    from i4p.warning.models import Alert
    from i4p.warning.routing import escalate_alert

    alert = Alert.objects.filter(uuid=alert_id).only("pk").first()
    if alert is None:
        return "no such alert"
    done = escalate_alert(alert.pk)
    return f"escalated to {done.level}" if done is not None else "not due"


@task()
def sweep_alerts() -> str:
    """Every minute from `i4p serve`: escalations due, unrouted alerts, stalled deliveries,
    count requests that no count task is waiting for, and messages to reporters whose sender
    was lost."""
    from i4p.warning.analysis import count_waiting
    from i4p.warning.gateways.conversation import resend_stalled_messages
    from i4p.warning.routing import escalate_due

    waiting = count_waiting()
    escalated = len(escalate_due())
    messages = resend_stalled_messages()
    return (
        f"{escalated} escalated; {waiting} count requests waiting; "
        f"{messages} messages to reporters sent again"
    )


def enqueue_escalation(alert_id: str, *, at: dt.datetime) -> None:
    """Queue the alert's escalation for its due time, with the transaction that sets it
    (`enqueue_with_commit`)."""
    from i4p.core.tasks import enqueue_with_commit

    job = escalate_at_due_time
    if job.get_backend().supports_defer:
        enqueue_with_commit(job.using(run_after=max(at, timezone.now())), alert_id)
    # Without defer the minute sweep escalates on time; running now would be too early.
