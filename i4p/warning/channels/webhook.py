"""Webhooks: a POST of the alert as JSON (with its CAP XML when the CAP writer is installed),
signed so the receiver can tell it came from this instance.

`X-I4P-Signature: sha256=<hex>` is the HMAC-SHA256 of the exact body, keyed with
`I4P_WEBHOOK_SECRET` (unset: a key derived from the instance's secret key), and
`X-I4P-Timestamp` the time of sending, also inside the signed body, so a replayed old call
can be told from a new one. `verify(body, header, secret)` is how a receiver checks it.
"""

from __future__ import annotations

import hashlib
import hmac
import json

from django.conf import settings
from django.utils import timezone

from i4p.warning.channels.base import DeliveryResult, cap_document, payload
from i4p.warning.gateways import base as http
from i4p.warning.models import Delivery

HEADER = "X-I4P-Signature"


def secret() -> str:
    configured = str(getattr(settings, "I4P_WEBHOOK_SECRET", "") or "")
    if configured:
        return configured
    return hmac.new(settings.SECRET_KEY.encode(), b"i4p-webhook", hashlib.sha256).hexdigest()


def signature(body: bytes, key: str) -> str:
    return "sha256=" + hmac.new(key.encode(), body, hashlib.sha256).hexdigest()


def verify(body: bytes, header: str, key: str) -> bool:
    """True when `header` is this body's signature under `key` (constant-time)."""
    return bool(header) and hmac.compare_digest(header, signature(body, key))


def body_of(delivery: Delivery) -> bytes:
    document = cap_document(delivery.alert)
    data = {
        "event": f"alert.{delivery.alert.msg_type.lower()}",
        "sent_at": timezone.now().isoformat(),
        "delivery": str(delivery.uuid),
        "mechanism": {"uuid": str(delivery.actor.uuid), "name": delivery.actor.name},
        "level": delivery.level,
        "alert": payload(delivery.alert),
        "cap": document.decode("utf-8") if document is not None else None,
    }
    return json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8")


def send(delivery: Delivery) -> DeliveryResult:
    url = delivery.contact.value.strip() if delivery.contact is not None else ""
    if not url.startswith(("https://", "http://")):
        return DeliveryResult(ok=False, error="No http(s) URL.", retry=False)
    body = body_of(delivery)
    status, _answer = http.http_post(
        url,
        data=body,
        headers={
            "Content-Type": "application/json",
            HEADER: signature(body, secret()),
            "X-I4P-Delivery": str(delivery.uuid),
        },
    )
    if 200 <= status < 300:
        return DeliveryResult(ok=True)
    retry = status == 0 or status >= 500 or status == 429
    return DeliveryResult(ok=False, error=f"HTTP {status}", retry=retry)
