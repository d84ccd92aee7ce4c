"""What every SMS gateway module shares: the parsed message, the secret check, the send result.

Each vendor module (`twilio`, `africastalking`, `rapidpro`, `frontlinesms`, `smssync`,
`generic`) has the same four functions:

- `parse(request) -> list[Parsed]`: the messages in one webhook call, as the vendor posts them;
  raises `Unreadable` when the body is not that vendor's format;
- `authenticate(request, gateway) -> bool`: the vendor's signature, or the gateway's secret;
- `answer(results) -> HttpResponse`: what the vendor expects back once the messages are stored;
- `send(message, recipient) -> SendResult`: one message back to a reporter.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest

from i4p.warning import identity
from i4p.warning.models import Gateway, InboundMessage


class Unreadable(Exception):
    """The body is not the vendor's webhook format: nothing is stored, the gateway gets 400."""


@dataclass(frozen=True)
class Parsed:
    """One inbound SMS as the vendor described it."""

    sender: str
    text: str
    external_id: str = ""
    to: str = ""
    sent_at: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Answered:
    """One stored message and whether this call stored it (False: a re-delivery)."""

    parsed: Parsed
    inbound: InboundMessage
    created: bool


@dataclass(frozen=True)
class SendResult:
    ok: bool
    vendor_id: str = ""
    error: str = ""
    retry: bool = True  # False when trying again cannot help (bad number, bad settings)
    waiting: bool = False  # queued on the gateway's side (SMSSync collects it later)


def secret_of(gateway: Gateway, name: str = "secret") -> str:
    """One of the gateway's sealed secrets, unsealed only to check or sign.

    "secret" is the webhook secret (Twilio's auth token); "api_key" is a vendor's key for
    sending when it differs (Africa's Talking, FrontlineCloud).
    """
    return str(identity.unseal(gateway.secret).get(name, "")) if gateway.secret else ""


def seal_secret(secret: str, **others: str) -> bytes:
    return identity.seal({"secret": secret, **others})


def same_secret(given: str, expected: str) -> bool:
    """Constant-time comparison; an empty secret on either side never matches."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


def given_secret(request: HttpRequest, *fields: str) -> str:
    """The secret a gateway sent: a header, else the URL query, else the named body fields."""
    header = request.headers.get("X-Gateway-Secret", "")
    if header:
        return header
    authorization = request.headers.get("Authorization", "")
    if authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    for name in ("secret", "key"):
        if request.GET.get(name):
            return str(request.GET[name])
    body = form_or_json(request)
    for name in fields:
        value = body.get(name)
        if isinstance(value, str) and value:
            return value
    return ""


def form_or_json(request: HttpRequest) -> dict[str, Any]:
    """The body as a flat mapping, posted as a form or as a JSON object."""
    if request.content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError) as error:
            raise Unreadable("The body is not JSON.") from error
        if not isinstance(body, dict):
            raise Unreadable("The body is not a JSON object.")
        return body
    return {key: request.POST.get(key, "") for key in request.POST}


def derived_id(*parts: str) -> str:
    """An id for vendors that send none: a keyed digest of sender, time and text.

    Keyed with the sender-hash key, so the stored id cannot be turned back into the number.
    Only used when the vendor gives a time: two identical texts at the same second are one.
    """
    key = identity.sender_hash_keys()[0]
    joined = "\x1f".join(parts).encode()
    return "d:" + hmac.new(key, joined, hashlib.sha256).hexdigest()[:40]


def text_of(value: Any) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


# -- outbound HTTP -----------------------------------------------------------------------

TIMEOUT_SECONDS = 15


def http_post(url: str, *, data: bytes, headers: Mapping[str, str]) -> tuple[int, bytes]:
    """POST and return (status, body). Vendors call it as `base.http_post`, so a test can swap
    it; nothing else in the SMS code talks to the network."""
    if not url.startswith(("https://", "http://")):
        return 0, b"Only http and https URLs are used."
    # The scheme is checked just above.
    request = urllib.request.Request(url, data=data, headers=dict(headers), method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:  # noqa: S310
            return int(answer.status), bytes(answer.read())
    except urllib.error.HTTPError as error:
        return int(error.code), bytes(error.read() or b"")
    except (urllib.error.URLError, OSError) as error:
        # Unreachable or timed out: status 0, worth another try.
        return 0, str(getattr(error, "reason", error))[:200].encode()


def result_of(status: int, body: bytes, *, vendor_id: str = "") -> SendResult:
    if 200 <= status < 300:
        return SendResult(ok=True, vendor_id=vendor_id)
    # 4xx other than rate limiting will fail the same way next time.
    retry = status >= 500 or status == 429 or status == 0
    return SendResult(ok=False, error=f"HTTP {status}", retry=retry)
