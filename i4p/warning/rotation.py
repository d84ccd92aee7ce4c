"""Key rotation while the site runs: every sealed column under the newest identity key, every
sender hash under the newest hash key.

Old keys keep opening (and hashes under old keys keep threading) until the run finishes, so
nothing stops. Each row is swapped only if it still holds what was read (compare-and-swap), so
a write by the site during the run is never overwritten; a row already under the newest key is
skipped, so a run that was stopped picks up where it was, and a second run changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.db import IntegrityError, models, transaction

from i4p.core.audit import record_event
from i4p.warning import identity
from i4p.warning.models import Gateway, InboundMessage, Reporter

# Every encrypted column. A test fails when a BinaryField appears that is not listed here.
SEALED_COLUMNS: tuple[tuple[type[models.Model], str], ...] = (
    (Reporter, "identity"),
    (InboundMessage, "payload"),
    (Gateway, "secret"),
)

Progress = Callable[[str, int], Callable[[int], None]]  # (label, total) → advance(n)


@dataclass
class RotationReport:
    resealed: dict[str, int] = field(default_factory=dict)
    already_current: dict[str, int] = field(default_factory=dict)
    changed_meanwhile: int = 0  # rows the site rewrote during the run (already current)
    rehashed: int = 0
    hash_conflicts: list[str] = field(default_factory=list)  # reporter handles

    def __str__(self) -> str:
        sealed = ", ".join(
            f"{label}: {self.resealed.get(label, 0)} re-encrypted, "
            f"{self.already_current.get(label, 0)} already current"
            for label in sorted(set(self.resealed) | set(self.already_current))
        )
        return f"{sealed}; {self.rehashed} sender hashes renewed" + (
            f"; {len(self.hash_conflicts)} hash conflicts" if self.hash_conflicts else ""
        )


def _newest_fernet() -> Fernet:
    return Fernet(identity.identity_keys()[0].encode())


def _is_current(token: bytes, newest: Fernet) -> bool:
    try:
        newest.decrypt(token)
    except InvalidToken:
        return False
    return True


def _batches(
    model: type[models.Model], columns: list[str], batch_size: int
) -> Iterator[list[tuple[Any, ...]]]:
    """Rows in primary-key order, a batch at a time, without one long transaction."""
    last = 0
    while True:
        rows = list(
            model._default_manager.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", *columns)[:batch_size]
        )
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _no_progress(_label: str, _total: int) -> Callable[[int], None]:
    return lambda _n: None


def reseal_column(
    model: type[models.Model],
    column: str,
    *,
    report: RotationReport,
    batch_size: int = 500,
    progress: Progress = _no_progress,
) -> None:
    label = f"{model._meta.label}.{column}"
    newest = _newest_fernet()
    advance = progress(label, model._default_manager.count())
    report.resealed.setdefault(label, 0)
    report.already_current.setdefault(label, 0)
    for rows in _batches(model, [column], batch_size):
        with transaction.atomic():
            for pk, raw in rows:
                token = bytes(raw or b"")
                if not token or _is_current(token, newest):
                    report.already_current[label] += 1
                    continue
                swapped = model._default_manager.filter(pk=pk, **{column: token}).update(
                    **{column: identity.reseal(token)}
                )
                if swapped:
                    report.resealed[label] += 1
                else:
                    report.changed_meanwhile += 1  # the site wrote it anew: newest key already
        advance(len(rows))


def _address(details: dict[str, str]) -> str:
    return details.get("phone") or details.get("email") or ""


def rehash_senders(
    *, report: RotationReport, batch_size: int = 500, progress: Progress = _no_progress
) -> None:
    """Sender hashes under the newest hash key, recomputed from the sealed address."""
    keyed = Reporter.objects.exclude(sender_hash=None)
    advance = progress("sender hashes", keyed.count())
    for rows in _batches(Reporter, ["sender_hash", "identity", "handle"], batch_size):
        with transaction.atomic():
            for pk, old_hash, sealed, handle in rows:
                if old_hash is None:
                    continue
                address = _address(identity.unseal(sealed))
                if not address:
                    continue
                new_hash = identity.sender_hash(address)
                if new_hash == old_hash:
                    continue
                try:
                    with transaction.atomic():
                        swapped = Reporter.objects.filter(pk=pk, sender_hash=old_hash).update(
                            sender_hash=new_hash
                        )
                except IntegrityError:
                    # Two reporters for one address (one hashed under each key): keep both,
                    # say so; an analyst merges them.
                    report.hash_conflicts.append(handle)
                    continue
                report.rehashed += swapped
        advance(len([row for row in rows if row[1] is not None]))


def rotate_keys(*, batch_size: int = 500, progress: Progress = _no_progress) -> RotationReport:
    """Re-encrypt every sealed column and re-hash every sender under the newest keys."""
    report = RotationReport()
    for model, column in SEALED_COLUMNS:
        reseal_column(model, column, report=report, batch_size=batch_size, progress=progress)
    rehash_senders(report=report, batch_size=batch_size, progress=progress)
    with transaction.atomic():
        record_event(None, "keys.rotated", by=None, note=str(report)[:500])
    return report
