"""FrontlineSMS / FrontlineCloud ("Forward to URL" activity).

FrontlineCloud forwards each inbound SMS with the keys the activity defines. Configure:
`from` = `${trigger.sourceNumber}`, `message` = `${trigger.text}`, `id` = `${trigger.id}`,
`sent_at` = `${trigger.date.time}` and `secret` = the gateway's secret (also read: `body` or
`text` for the message, the `X-Gateway-Secret` header or `?secret=` for the secret). The body
may be a form or a JSON object. Without an id, a keyed digest of sender, time and text stands
in. The answer is `{"payload": {"success": true}}`.

Outbound: FrontlineCloud's web-service API, `POST https://cloud.frontlinesms.com/api/1/webhook`
(or `settings["send_url"]`) with the JSON `{"apiKey": …, "payload": {"message": …,
"recipients": [{"type": "mobile", "value": …}]}}`; the key is sealed as the gateway's `api_key`.
"""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse, JsonResponse

from i4p.warning.gateways import base
from i4p.warning.gateways.base import Answered, Parsed, SendResult, Unreadable
from i4p.warning.models import Gateway, OutboundMessage

CLOUD = "https://cloud.frontlinesms.com/api/1/webhook"


def authenticate(request: HttpRequest, gateway: Gateway) -> bool:
    return base.same_secret(base.given_secret(request, "secret"), base.secret_of(gateway))


def parse(request: HttpRequest) -> list[Parsed]:
    body = base.form_or_json(request)
    sender = base.text_of(body.get("from") or body.get("sourceNumber"))
    text = next((body[key] for key in ("message", "body", "text") if key in body), None)
    if not sender or text is None:
        raise Unreadable("A FrontlineSMS message has from and message.")
    sent_at = base.text_of(body.get("sent_at") or body.get("date"))
    given = base.text_of(body.get("id"))
    external_id = given or (base.derived_id(sender, sent_at, base.text_of(text)) if sent_at else "")
    raw = {key: value for key, value in body.items() if key != "secret"}
    return [
        Parsed(
            sender=sender,
            text=base.text_of(text),
            external_id=external_id,
            sent_at=sent_at,
            raw=raw,
        )
    ]


def answer(results: list[Answered]) -> HttpResponse:
    return JsonResponse({"payload": {"success": True}})


def send(message: OutboundMessage, recipient: str) -> SendResult:
    gateway = message.gateway
    assert gateway is not None
    api_key = base.secret_of(gateway, "api_key")
    if not api_key:
        return SendResult(ok=False, error="The gateway has no api_key.", retry=False)
    body = {
        "apiKey": api_key,
        "payload": {
            "message": message.text,
            "recipients": [{"type": "mobile", "value": recipient}],
        },
    }
    status, answer_body = base.http_post(
        str(gateway.settings.get("send_url") or CLOUD),
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    return base.result_of(status, answer_body)
