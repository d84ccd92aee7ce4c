"""Writing the audit log: every service calls `record_event` inside its transaction."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models

from i4p.core.models import AuditEvent
from i4p.core.rows import insert


def record_event(
    target: models.Model | None,
    action: str,
    *,
    by: Any,
    fields: Iterable[str] = (),
    note: str = "",
) -> AuditEvent:
    """Append one audit row. `fields` are names only: values may be sensitive."""
    return insert(audit_row(target, action, by=by, fields=fields, note=note))


def audit_row(
    target: models.Model | None,
    action: str,
    *,
    by: Any,
    fields: Iterable[str] = (),
    note: str = "",
) -> AuditEvent:
    """The row `record_event` appends, not yet written: for a service that writes it in one
    statement with the row it audits (`core.rows.insert_together`)."""
    user = by if getattr(by, "pk", None) is not None else None
    label = getattr(by, "username", "") if user is not None else ""
    return AuditEvent(
        by=user,
        by_label=label,
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_uuid=getattr(target, "uuid", None),
        target_label=str(target)[:300] if target is not None else "",
        fields=sorted(set(fields)),
        note=note,
    )
