"""What every alert channel shares: the result of one attempt, and the alert as each channel
words it.

Each channel module (`email`, `sms`, `webhook`, `app`) has one function,
`send(delivery) -> DeliveryResult`, that makes one attempt and never raises for a failure it
can describe. What goes out names the alert, its place and its words: never a report, a
reporter or a source.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.urls import reverse

from i4p.warning.models import Alert, AlertText


@dataclass(frozen=True)
class DeliveryResult:
    ok: bool
    error: str = ""
    retry: bool = True  # False when trying again cannot help (no address, bad settings)


def alert_url(alert: Alert) -> str:
    return f"{settings.I4P_BASE_URL}{reverse('warning:alert', args=[alert.uuid])}"


def texts_of(alert: Alert, language: str = "") -> list[AlertText]:
    """The alert's texts, the reader's language first when it has one."""
    texts = sorted(alert.texts.all(), key=lambda text: text.language)
    if language:
        texts.sort(key=lambda text: text.language != language)
    return texts


def payload(alert: Alert) -> dict[str, Any]:
    """The alert as JSON for machines (webhooks): CAP's fields and our lifecycle."""
    return {
        "uuid": str(alert.uuid),
        "identifier": alert.identifier,
        "sender": alert.sender,
        "msg_type": alert.msg_type,
        "status": alert.status,
        "scope": alert.scope,
        "state": alert.state,
        "category": alert.category,
        "event_type": alert.event_type.code if alert.event_type is not None else None,
        "urgency": alert.urgency,
        "severity": alert.severity,
        "certainty": alert.certainty,
        "place": {"uuid": str(alert.place.uuid), "name": alert.place.name},
        "level": alert.level,
        "issued_at": alert.issued_at.isoformat() if alert.issued_at else None,
        "references": alert.references.identifier if alert.references is not None else None,
        "url": alert_url(alert),
        "texts": [
            {
                "language": text.language,
                "event": text.event,
                "headline": text.headline,
                "description": text.description,
                "instruction": text.instruction,
            }
            for text in texts_of(alert)
        ],
    }


# The CAP documents written while `sharing_documents` is open, by alert and its last change.
_documents: ContextVar[dict[tuple[int, Any], bytes | None] | None] = ContextVar(
    "cap_documents", default=None
)


@contextmanager
def sharing_documents() -> Iterator[None]:
    """Within: each alert's CAP XML is written once, however many deliveries carry it."""
    token = _documents.set({})
    try:
        yield
    finally:
        _documents.reset(token)


def cap_document(alert: Alert) -> bytes | None:
    """The alert's CAP 1.2 XML when the CAP writer (`capfeed`) is installed, else None."""
    shared = _documents.get()
    key = (alert.pk, alert.updated_at)
    if shared is not None and key in shared:
        return shared[key]
    try:
        capfeed: Any = importlib.import_module("i4p.warning.capfeed")
    except ImportError:
        return None
    written = capfeed.cap_xml(alert)
    document = bytes(written) if written else None
    if shared is not None:
        shared[key] = document
    return document
