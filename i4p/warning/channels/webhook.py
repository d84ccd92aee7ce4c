"""Webhooks: a POST of the alert as JSON (with its CAP XML when the CAP writer is installed),
signed so the receiver can tell it came from this instance.

`X-I4P-Signature: sha256=<hex>` is the HMAC-SHA256 of the exact body, keyed with the
receiver's own key; the body's `sent_at`, the time of sending, is signed with it, so a replayed
old call can be told from a new one. Each webhook address (a `url` contact point)
has its own key, derived from `I4P_WEBHOOK_SECRET` (unset: from the instance's secret key) and
the contact point's UUID: a receiver that knows its key cannot sign a call to another one.
`i4p webhook_key` prints a receiver's key for its administrator; `verify(body, header, key)`
is how a receiver checks a call."""

from __future__ import annotations

import hashlib
import hmac
import json

from django.conf import settings
from django.utils import timezone

from i4p.registry.models import ContactPoint
from i4p.warning.channels.base import DeliveryResult, cap_document, payload
from i4p.warning.gateways import base as http
from i4p.warning.models import Delivery

HEADER = "X-I4P-Signature"


def _instance_secret() -> bytes:
    configured = str(getattr(settings, "I4P_WEBHOOK_SECRET", "") or "")
    if configured:
        return configured.encode()
    return hmac.new(settings.SECRET_KEY.encode(), b"i4p-webhook", hashlib.sha256).digest()


def key_for(contact: ContactPoint) -> str:
    """The key this receiver's calls are signed with (and that it checks them with)."""
    label = f"i4p-webhook:{contact.uuid}".encode()
    return hmac.new(_instance_secret(), label, hashlib.sha256).hexdigest()


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
    contact = delivery.contact
    url = contact.value.strip() if contact is not None else ""
    if contact is None or not url.startswith(("https://", "http://")):
        return DeliveryResult(ok=False, error="No http(s) URL.", retry=False)
    body = body_of(delivery)
    status, _answer = http.http_post(
        url,
        data=body,
        headers={
            "Content-Type": "application/json",
            HEADER: signature(body, key_for(contact)),
            "X-I4P-Delivery": str(delivery.uuid),
        },
    )
    if 200 <= status < 300:
        return DeliveryResult(ok=True)
    retry = status == 0 or status >= 500 or status == 429
    return DeliveryResult(ok=False, error=f"HTTP {status}", retry=retry)
