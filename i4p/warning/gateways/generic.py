"""A plain JSON webhook for gateways that can be told what to post (Kannel, Jasmin, scripts).

Inbound: `POST /sms/<slug>/` with `Content-Type: application/json` and the header
`Authorization: Bearer <secret>` (or `X-Gateway-Secret: <secret>`). The body is one message or
a batch:

    {"id": "abc-1", "from": "+233245550142", "to": "1234", "text": "AC Tamale 3 ...",
     "sent_at": "2024-05-01T10:02:00Z"}
    {"messages": [{"id": ..., "from": ..., "text": ...}, ...]}

`id` is the gateway's message id: the same id posted again is stored once and answered the
same. The answer: `{"received": [{"id": "abc-1", "message": "<uuid>"}]}`.

Outbound: `POST settings["send_url"]` with `{"id", "to", "from", "text"}` and the same bearer
secret.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse

from i4p.warning.gateways import base
from i4p.warning.gateways.base import Answered, Parsed, SendResult, Unreadable
from i4p.warning.models import Gateway, OutboundMessage

MAX_BATCH = 100


def authenticate(request: HttpRequest, gateway: Gateway) -> bool:
    header = request.headers.get("Authorization", "")
    given = header[7:].strip() if header.lower().startswith("bearer ") else ""
    given = given or request.headers.get("X-Gateway-Secret", "")
    return base.same_secret(given, base.secret_of(gateway))


def _one(item: Any) -> Parsed:
    if not isinstance(item, dict):
        raise Unreadable("Each message is a JSON object.")
    sender = base.text_of(item.get("from"))
    text = item.get("text")
    if not sender or not isinstance(text, str):
        raise Unreadable("Each message has from and text.")
    return Parsed(
        sender=sender,
        text=text,
        external_id=base.text_of(item.get("id"))[:120],
        to=base.text_of(item.get("to")),
        sent_at=base.text_of(item.get("sent_at")),
        raw=item,
    )


def parse(request: HttpRequest) -> list[Parsed]:
    if request.content_type != "application/json":
        raise Unreadable("Post JSON.")
    body = base.form_or_json(request)
    items = body.get("messages", [body]) if "messages" in body else [body]
    if not isinstance(items, list) or not items or len(items) > MAX_BATCH:
        raise Unreadable(f"Post one message or a list of 1 to {MAX_BATCH}.")
    return [_one(item) for item in items]


def answer(results: list[Answered]) -> HttpResponse:
    return JsonResponse(
        {
            "received": [
                {"id": result.parsed.external_id, "message": str(result.inbound.uuid)}
                for result in results
            ]
        }
    )


def send(message: OutboundMessage, recipient: str) -> SendResult:
    gateway = message.gateway
    assert gateway is not None
    url = str(gateway.settings.get("send_url", ""))
    if not url:
        return SendResult(ok=False, error="The gateway has no send_url.", retry=False)
    body = {"id": str(message.uuid), "to": recipient, "from": gateway.number, "text": message.text}
    status, answer_body = base.http_post(
        url,
        data=json.dumps(body).encode(),
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {base.secret_of(gateway)}",
        },
    )
    return base.result_of(status, answer_body, vendor_id=str(message.uuid))
