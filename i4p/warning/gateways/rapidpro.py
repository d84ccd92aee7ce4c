"""RapidPro / TextIt "external API" channel format.

Anything that can feed a RapidPro external channel can feed i4p the same way. Inbound: a form
POST (or the same fields as a JSON object) with `from` (or `sender`), `text`, optionally `date`
(ISO 8601, when the handset received it) and `id` (the sender's message id). Without `id`, a
keyed digest of sender, date and text stands in, so a retried delivery is still stored once.
The secret comes in the URL (`?secret=`) or the `X-Gateway-Secret` header. Answer: 200 "Accepted".

Outbound, as RapidPro's external channel sends: a POST to `settings["send_url"]` with the form
(or JSON when `settings["send_json"]`) `id`, `text`, `to`, `from`, `channel`.
"""

from __future__ import annotations

import json
import urllib.parse

from django.http import HttpRequest, HttpResponse

from i4p.warning.gateways import base
from i4p.warning.gateways.base import Answered, Parsed, SendResult, Unreadable
from i4p.warning.models import Gateway, OutboundMessage


def authenticate(request: HttpRequest, gateway: Gateway) -> bool:
    return base.same_secret(base.given_secret(request), base.secret_of(gateway))


def parse(request: HttpRequest) -> list[Parsed]:
    body = base.form_or_json(request)
    sender = base.text_of(body.get("from") or body.get("sender"))
    text = body.get("text")
    if not sender or text is None:
        raise Unreadable("An external channel message has from and text.")
    date = base.text_of(body.get("date") or body.get("time"))
    given = base.text_of(body.get("id"))
    external_id = given or (base.derived_id(sender, date, base.text_of(text)) if date else "")
    return [
        Parsed(
            sender=sender,
            text=base.text_of(text),
            external_id=external_id,
            to=base.text_of(body.get("to")),
            sent_at=date,
            raw=body,
        )
    ]


def answer(results: list[Answered]) -> HttpResponse:
    return HttpResponse("Accepted", content_type="text/plain")


def send(message: OutboundMessage, recipient: str) -> SendResult:
    gateway = message.gateway
    assert gateway is not None
    url = str(gateway.settings.get("send_url", ""))
    if not url:
        return SendResult(ok=False, error="The gateway has no send_url.", retry=False)
    fields = {
        "id": str(message.uuid),
        "text": message.text,
        "to": recipient,
        "from": gateway.number,
        "channel": gateway.slug,
    }
    headers = {"X-Gateway-Secret": base.secret_of(gateway)}
    if gateway.settings.get("send_json"):
        data = json.dumps(fields).encode()
        headers["Content-Type"] = "application/json"
    else:
        data = urllib.parse.urlencode(fields).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    status, body = base.http_post(url, data=data, headers=headers)
    return base.result_of(status, body, vendor_id=str(message.uuid))
