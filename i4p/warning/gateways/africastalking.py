"""Africa's Talking two-way SMS.

Inbound: a form POST to the callback URL with `from`, `to`, `text`, `date`, `id`, `linkId`
(premium/on-demand products) and `networkCode`. Africa's Talking does not sign callbacks, so the
callback URL carries the gateway's secret (`…/sms/<slug>/?secret=…`) or a proxy adds the
`X-Gateway-Secret` header. The answer is an empty 200.

Outbound: `POST https://api.africastalking.com/version1/messaging` (the sandbox host when
`settings["sandbox"]` is true) with the `apiKey` header (sealed as the gateway's `api_key`) and
the form `username`, `to`, `message`, `from` (our short code or sender id, when set).
"""

from __future__ import annotations

import json
import urllib.parse

from django.http import HttpRequest, HttpResponse

from i4p.warning.gateways import base
from i4p.warning.gateways.base import Answered, Parsed, SendResult, Unreadable
from i4p.warning.models import Gateway, OutboundMessage

LIVE = "https://api.africastalking.com/version1/messaging"
SANDBOX = "https://api.sandbox.africastalking.com/version1/messaging"


def authenticate(request: HttpRequest, gateway: Gateway) -> bool:
    return base.same_secret(base.given_secret(request), base.secret_of(gateway))


def parse(request: HttpRequest) -> list[Parsed]:
    form = request.POST
    if "from" not in form or "text" not in form:
        raise Unreadable("An Africa's Talking message has from and text.")
    raw = {key: form.get(key, "") for key in form}
    return [
        Parsed(
            sender=form.get("from", ""),
            text=form.get("text", ""),
            external_id=form.get("id", ""),
            to=form.get("to", ""),
            sent_at=form.get("date", ""),
            raw=raw,
        )
    ]


def answer(results: list[Answered]) -> HttpResponse:
    return HttpResponse(status=200)


def send(message: OutboundMessage, recipient: str) -> SendResult:
    gateway = message.gateway
    assert gateway is not None
    username = str(gateway.settings.get("username", ""))
    api_key = base.secret_of(gateway, "api_key")
    if not username or not api_key:
        return SendResult(ok=False, error="The gateway has no username or api_key.", retry=False)
    form = {"username": username, "to": recipient, "message": message.text}
    if gateway.number:
        form["from"] = gateway.number
    status, body = base.http_post(
        SANDBOX if gateway.settings.get("sandbox") else LIVE,
        data=urllib.parse.urlencode(form).encode(),
        headers={
            "apiKey": api_key,
            "Accept": "application/json",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    if not 200 <= status < 300:
        return base.result_of(status, body)
    try:
        recipients = json.loads(body)["SMSMessageData"]["Recipients"]
        first = recipients[0]
    except (ValueError, KeyError, IndexError, TypeError):
        return SendResult(ok=False, error="Africa's Talking answered without a recipient.")
    if str(first.get("status", "")).lower() != "success":
        return SendResult(ok=False, error=str(first.get("status", ""))[:200])
    return SendResult(ok=True, vendor_id=str(first.get("messageId", "")))
