"""Delivery of alerts: one attempt at a time, its result on the delivery and on the timeline,
retries with backoff, and a failure nobody can miss.

The deliveries routing makes for an alert go out together: one task (`channels.tasks.
deliver_alerts`, queued in routing's own commit) makes the first attempt at each, one after
the other, each in its own transaction with its own result, so that one channel failing
changes nothing for the others. An alert issued in the task worker (by a rule, right after
the count task found its signal) does not wait in the queue a second time: inside
`sending_at_once()` the worker makes that first attempt itself, right after routing's commit,
and the task is queued `SAFETY_NET_AFTER` later, for a worker that dies in between. Each
attempt locks its delivery and sends only one still waiting, so the two never both send.

Tasks get ids only; the channel module (`channels.CHANNELS`) reads the address when sending.
A failed attempt that can help to repeat is tried again, that delivery alone (`channels.
tasks.deliver_alert`), after `RETRY_AFTER_SECONDS` (the same backoff as messages to
reporters); after `MAX_ATTEMPTS`, or at once when repeating cannot help, the
delivery is FAILED: the alert's timeline says so and the deliveries dashboard lists it first,
with a "retry now".
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from i4p.accounts.permissions import Perm
from i4p.accounts.selectors import scope_of
from i4p.core import outbox
from i4p.core.audit import record_event
from i4p.core.errors import NotAllowed, WrongState
from i4p.core.tasks import enqueue_with_commit
from i4p.warning.alerts import note
from i4p.warning.channels import CHANNELS, DeliveryResult
from i4p.warning.channels.base import sharing_documents
from i4p.warning.models import Delivery, DeliveryState, TimelineKind

log = logging.getLogger(__name__)

# A retry whose task has not run this long after its time is queued again by the sweep.
STALLED_AFTER = dt.timedelta(minutes=2)
# When the first attempt is made at once, the queued task waits this long before it looks.
SAFETY_NET_AFTER = dt.timedelta(seconds=30)

_at_once: ContextVar[bool] = ContextVar("deliveries_sent_at_once", default=False)


@contextmanager
def sending_at_once() -> Iterator[None]:
    """Deliveries routed inside this block get their first attempt in this process, right
    after the commit that writes them. For background work only: a web request would make
    its user wait for every channel."""
    token = _at_once.set(True)
    try:
        yield
    finally:
        _at_once.reset(token)


def enqueue(delivery_id: str, *, at: dt.datetime | None = None) -> None:
    from i4p.warning.channels.tasks import deliver_alert

    task = deliver_alert
    if at is not None and at > timezone.now() and task.get_backend().supports_defer:
        task = task.using(run_after=at)
    task.enqueue(delivery_id)


def enqueue_together(delivery_ids: list[str]) -> None:
    """Queue one task for the first attempt at each of these deliveries. Called inside the
    transaction that writes them: with the database queue the task commits with them (never
    before, never lost after); any other queue gets it after the commit."""
    from i4p.warning.channels.tasks import deliver_alerts

    if not delivery_ids:
        return
    if not _at_once.get():
        enqueue_with_commit(deliver_alerts, delivery_ids)
        return
    job = deliver_alerts
    if job.get_backend().supports_defer:
        job = job.using(run_after=timezone.now() + SAFETY_NET_AFTER)
    enqueue_with_commit(job, delivery_ids)
    transaction.on_commit(partial(deliver_each, delivery_ids), robust=True)


def _describe(delivery: Delivery) -> str:
    label = delivery.get_channel_display()
    return _("%(channel)s to %(name)s") % {"channel": label, "name": delivery.actor.name}


def deliver(delivery_id: str, *, now: dt.datetime | None = None) -> str:
    """One attempt at one delivery; the answer is its state afterwards. The channel is called
    outside any transaction, on a delivery claimed with a lease (`core.outbox`)."""
    return outbox.attempt(
        Delivery.objects.select_related("alert", "alert__place", "actor", "contact", "user").filter(
            uuid=delivery_id
        ),
        waiting=[DeliveryState.QUEUED, DeliveryState.RETRYING],
        ready=_not_yet,
        send=lambda delivery: CHANNELS[delivery.channel].send(delivery),
        failed=lambda error: DeliveryResult(ok=False, error=type(error).__name__),
        record=_record,
        now=now,
    )


def _not_yet(delivery: Delivery, now: dt.datetime) -> str | None:
    if delivery.next_attempt_at is not None and delivery.next_attempt_at > now:
        return "not yet"  # a second task for the same delivery came early
    return None


def _record(delivery: Delivery, result: DeliveryResult, now: dt.datetime) -> str:
    delivery.attempts += 1
    again = False
    if result.ok:
        delivery.state = DeliveryState.SENT
        delivery.sent_at = timezone.now()
        delivery.last_error = ""
        delivery.next_attempt_at = None
        kind, text = TimelineKind.DELIVERED, _describe(delivery)
    else:
        kind = TimelineKind.DELIVERY_FAILED
        delivery.last_error = (result.error or _("Unknown error"))[:300]
        again = result.retry and delivery.attempts < outbox.MAX_ATTEMPTS
        if again:
            delivery.state = DeliveryState.RETRYING
            delivery.next_attempt_at = now + dt.timedelta(
                seconds=outbox.retry_delay(delivery.attempts)
            )
            text = _("%(what)s: attempt %(n)d failed (%(error)s); next try at %(at)s") % {
                "what": _describe(delivery),
                "n": delivery.attempts,
                "error": delivery.last_error,
                "at": f"{delivery.next_attempt_at:%Y-%m-%d %H:%M:%S} UTC",
            }
        else:
            delivery.state = DeliveryState.FAILED
            delivery.next_attempt_at = None
            text = _("%(what)s failed after %(n)d attempts: %(error)s") % {
                "what": _describe(delivery),
                "n": delivery.attempts,
                "error": delivery.last_error,
            }
    note(delivery.alert, kind, actor=delivery.actor, level=delivery.level, at=now, text=text)
    delivery.save(
        update_fields=[
            "state",
            "attempts",
            "sent_at",
            "last_error",
            "next_attempt_at",
            "leased_until",
            "updated_at",
        ]
    )
    record_event(delivery, f"delivery.{delivery.state}", by=None, note=delivery.channel)
    if again:
        transaction.on_commit(partial(enqueue, str(delivery.uuid), at=delivery.next_attempt_at))
    return str(delivery.state)


def deliver_each(delivery_ids: list[str], *, now: dt.datetime | None = None) -> str:
    """One attempt at each delivery in turn; the answer counts their states afterwards."""
    states: dict[str, int] = {}
    with sharing_documents():  # the alert's CAP XML is written once for all its deliveries
        for delivery_id in delivery_ids:
            try:
                state = deliver(delivery_id, now=now)
            except Exception:
                # Its transaction is rolled back and it stays waiting, so the sweep sends it
                # again (`resend_stalled`); the others must still go out.
                log.exception("Delivery %s could not be attempted", delivery_id)
                state = "not attempted"
            states[state] = states.get(state, 0) + 1
    return ", ".join(f"{count} {state}" for state, count in sorted(states.items()))


def may_manage_deliveries(user: Any) -> bool:
    return not scope_of(user, Perm.ISSUE_ALERTS).nowhere


@transaction.atomic
def retry_now(delivery: Delivery, *, by: Any) -> Delivery:
    """Staff send a failed or waiting delivery again, now (attempts start over)."""
    delivery = (
        Delivery.objects.select_for_update(of=("self",))
        .select_related("alert__place")
        .get(pk=delivery.pk)
    )
    if not scope_of(by, Perm.ISSUE_ALERTS).covers(delivery.alert.place):
        raise NotAllowed("You cannot manage deliveries of this alert.")
    if delivery.state == DeliveryState.SENT:
        raise WrongState("This delivery has been sent.")
    if delivery.contact_id is None and delivery.user_id is None:
        raise WrongState("This mechanism has no contact point and no member to reach.")
    delivery.state = DeliveryState.QUEUED
    delivery.attempts = 0
    delivery.next_attempt_at = timezone.now()
    delivery.save(update_fields=["state", "attempts", "next_attempt_at", "updated_at"])
    record_event(delivery, "delivery.retried", by=by)
    transaction.on_commit(partial(enqueue, str(delivery.uuid)))
    return delivery


def resend_stalled(*, now: dt.datetime | None = None) -> int:
    """Queue again deliveries whose task never ran (a worker lost, a backend without defer),
    and those whose sender's lease ended with no result."""
    now = now or timezone.now()
    stalled = (
        Delivery.objects.filter(
            state__in=[DeliveryState.QUEUED, DeliveryState.RETRYING],
            next_attempt_at__lte=now - STALLED_AFTER,
        )
        .exclude(leased_until__gt=now)  # still out with its sender
        .values_list("uuid", flat=True)
    )
    found = [str(delivery_id) for delivery_id in stalled[:500]]
    enqueue_together(found)
    return len(found)


# -- reads ------------------------------------------------------------------------------------


def dashboard_deliveries(user: Any) -> QuerySet[Delivery]:
    """Deliveries of alerts in the user's issuing scope: failed first, then retrying, then
    waiting, then sent; newest first within each."""
    scope = scope_of(user, Perm.ISSUE_ALERTS)
    order = Case(
        When(state=DeliveryState.FAILED, then=Value(0)),
        When(state=DeliveryState.RETRYING, then=Value(1)),
        When(state=DeliveryState.QUEUED, then=Value(2)),
        default=Value(3),
        output_field=IntegerField(),
    )
    return (
        Delivery.objects.filter(scope.q("alert__place"))
        .select_related("alert", "alert__place", "actor", "contact", "user")
        .annotate(rank=order)
        .order_by("rank", "-created_at")
    )


def my_deliveries(user: Any) -> QuerySet[Delivery]:
    """Alerts that reached the user in the app, newest first."""
    if not getattr(user, "is_authenticated", False):
        return Delivery.objects.none()
    return (
        Delivery.objects.filter(user=user, channel="app")
        .select_related("alert", "alert__place", "actor")
        .prefetch_related("alert__texts")
        .order_by("-created_at")
    )


def unread_count(user: Any) -> int:
    return my_deliveries(user).filter(read_at__isnull=True).count()


@transaction.atomic
def mark_read(delivery: Delivery, *, by: Any) -> Delivery:
    if delivery.user_id != getattr(by, "pk", None):
        raise NotAllowed("This notice is not yours.")
    if delivery.read_at is None:
        delivery.read_at = timezone.now()
        delivery.save(update_fields=["read_at", "updated_at"])
    return delivery
