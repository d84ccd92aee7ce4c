"""Sending without holding a lock: an outgoing row (an alert's delivery, a message back to a
reporter) is claimed with a lease in one short transaction, sent outside any transaction, and
its result recorded in a second short transaction.

A network call (SMTP, a webhook, an SMS vendor) can last as long as its timeout. Made inside a
transaction it would hold the row's lock that long, and on SQLite the database's one write
lock: every report arriving meanwhile would wait behind it. The lease keeps a second attempt
from sending the same row while the first is out. When a lease ends with no result recorded
(a worker that died or hangs), the row may be claimed again: a row is sent at least once, and
a result that comes back after another attempt has recorded its own changes nothing.

Both kinds of row carry `state`, `attempts`, `last_error` and `leased_until`; each caller says
which states wait to be sent, when a row must not go (`ready`), how to send it and how to record
what came of it. The retry schedule is shared too.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

log = logging.getLogger(__name__)

# After the first attempt, a failure that can help to repeat waits this long before the next
# attempt, then the next figure, and so on; after MAX_ATTEMPTS the row has failed.
MAX_ATTEMPTS = 5
RETRY_AFTER_SECONDS = (30, 120, 600, 1800)

NOTHING_TO_SEND = "nothing to send"
BEING_SENT = "being sent"

Row = TypeVar("Row", bound=models.Model)
Result = TypeVar("Result")

# The fields an attempt reads again, under lock, before it records its result.
MUTABLE_FIELDS = ("state", "attempts", "last_error", "leased_until")


def lease() -> dt.timedelta:
    """How long a claimed row is left to its sender: longer than any channel's timeout."""
    return dt.timedelta(seconds=getattr(settings, "I4P_SEND_LEASE_SECONDS", 120))


def retry_delay(attempts: int) -> int:
    """Seconds to wait after the attempt numbered `attempts` failed."""
    return RETRY_AFTER_SECONDS[min(attempts - 1, len(RETRY_AFTER_SECONDS) - 1)]


def attempt(
    rows: models.QuerySet[Row],
    *,
    waiting: list[str],
    ready: Callable[[Row, dt.datetime], str | None],
    send: Callable[[Row], Result],
    failed: Callable[[Exception], Result],
    record: Callable[[Row, Result, dt.datetime], str],
    now: dt.datetime | None = None,
) -> str:
    """One attempt at the one row of `rows` (already filtered to it); the answer is the row's
    state afterwards, or why nothing was sent.

    - `ready(row, now)`, inside the claim: a state when the row must not be sent now (it may
      save the row, as a message withheld once its reporter opted out), else None;
    - `send(row)`, outside every transaction; an exception becomes `failed(error)`, so that a
      bug in a channel cannot lose the row;
    - `record(row, result, now)`, inside the second transaction, with the row's state read
      again under lock; it saves the row (the lease is cleared with it) and its audit event.
    """
    now = now or timezone.now()
    model = rows.model
    with transaction.atomic():
        row = rows.select_for_update(of=("self",)).filter(state__in=waiting).first()
        if row is None:
            return NOTHING_TO_SEND
        if row.leased_until is not None and row.leased_until > now:  # type: ignore[attr-defined]
            return BEING_SENT
        refused = ready(row, now)
        if refused is not None:
            return refused
        row.leased_until = now + lease()  # type: ignore[attr-defined]
        model._default_manager.filter(pk=row.pk).update(leased_until=row.leased_until)  # type: ignore[attr-defined]
    claimed = row.leased_until  # type: ignore[attr-defined]
    try:
        result = send(row)
    except Exception as error:
        log.exception("Sending %s %s raised", model._meta.model_name, row.pk)
        result = failed(error)
    with transaction.atomic():
        current = (
            model._default_manager.select_for_update(of=("self",))
            .filter(pk=row.pk)
            .values_list("state", "leased_until")
            .first()
        )
        if current is None or current[0] not in waiting:
            # Another attempt, claimed after this one's lease ended, recorded first.
            return str(current[0]) if current else NOTHING_TO_SEND
        row.refresh_from_db(fields=MUTABLE_FIELDS)
        if row.leased_until != claimed:  # type: ignore[attr-defined]
            # Another attempt holds the row now; this result is recorded, its lease left alone.
            log.warning("Sending %s %s outlived its lease", model._meta.model_name, row.pk)
        else:
            row.leased_until = None  # type: ignore[attr-defined]
        return record(row, result, now)


def stalled(rows: models.QuerySet[Row], *, now: dt.datetime) -> models.QuerySet[Row]:
    """Rows whose lease ended with no result: their sender is gone and they wait again."""
    return rows.filter(leased_until__lte=now)
