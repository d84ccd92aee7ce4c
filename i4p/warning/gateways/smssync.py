"""SMSSync (Ushahidi's Android gateway app).

Inbound: the phone POSTs a form to the Sync URL with `from`, `message`, `message_id`,
`sent_to`, `secret`, `sent_timestamp` and `device_id`. The secret is checked in constant time;
the answer is `{"payload": {"success": true, "error": null}}` (SMSSync retries otherwise).

Outbound: SMSSync collects what to send. `send()` leaves the message waiting; the phone polls
`GET /sms/<slug>/?task=send&secret=…` and gets `{"payload": {"task": "send", "secret": …,
"messages": [{"to": …, "message": …, "uuid": …}]}}` (see `views.collect`).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse

from i4p.warning.gateways import base
from i4p.warning.gateways.base import Answered, Parsed, SendResult, Unreadable
from i4p.warning.models import Gateway, OutboundMessage


def authenticate(request: HttpRequest, gateway: Gateway) -> bool:
    return base.same_secret(base.given_secret(request, "secret"), base.secret_of(gateway))


def parse(request: HttpRequest) -> list[Parsed]:
    form = request.POST
    if "from" not in form or "message" not in form:
        raise Unreadable("An SMSSync message has from and message.")
    sender = form.get("from", "")
    sent_at = form.get("sent_timestamp", "")
    external_id = form.get("message_id", "") or (
        base.derived_id(sender, sent_at, form.get("message", "")) if sent_at else ""
    )
    raw = {key: form.get(key, "") for key in form if key != "secret"}
    return [
        Parsed(
            sender=sender,
            text=form.get("message", ""),
            external_id=external_id,
            to=form.get("sent_to", ""),
            sent_at=sent_at,
            raw=raw,
        )
    ]


def answer(results: list[Answered]) -> HttpResponse:
    return JsonResponse({"payload": {"success": True, "error": None}})


def send(message: OutboundMessage, recipient: str) -> SendResult:
    # The phone collects it on its next poll.
    return SendResult(ok=True, waiting=True)


def collected(gateway: Gateway, batch: list[tuple[OutboundMessage, str]]) -> HttpResponse:
    """The answer to the phone's `task=send` poll: each message with its recipient."""
    return JsonResponse(
        {
            "payload": {
                "task": "send",
                "secret": base.secret_of(gateway),
                "messages": [
                    {"to": recipient, "message": message.text, "uuid": str(message.uuid)}
                    for message, recipient in batch
                ],
            }
        }
    )
