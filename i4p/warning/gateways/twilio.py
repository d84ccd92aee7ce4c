"""Twilio Programmable Messaging.

Inbound: Twilio POSTs a form (`MessageSid`, `AccountSid`, `From`, `To`, `Body`, `NumMedia`,
`NumSegments`, `FromCountry`…) to the webhook and signs it: `X-Twilio-Signature` is the base64
HMAC-SHA1, keyed with the account's auth token (the gateway's secret), of the full URL Twilio
called followed by every POST parameter name and value, sorted by name, with no separators.
Behind a proxy that changes the scheme or host, set `settings["webhook_url"]` to the URL
configured in Twilio's console.

Answer: TwiML. We answer with an empty `<Response/>`: replies go out through the queue (they
follow the reporter's consent and are logged), never inline.

Outbound: `POST https://api.twilio.com/2010-04-01/Accounts/{AccountSid}/Messages.json` with
basic auth (account SID, auth token) and the form `To`, `From` (or `MessagingServiceSid`), `Body`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.parse
from collections.abc import Iterable

from django.http import HttpRequest, HttpResponse

from i4p.warning.gateways import base
from i4p.warning.gateways.base import Answered, Parsed, SendResult, Unreadable
from i4p.warning.models import Gateway, OutboundMessage

API = "https://api.twilio.com/2010-04-01/Accounts/{account}/Messages.json"


def signature(url: str, params: Iterable[tuple[str, str]], auth_token: str) -> str:
    """Twilio's request signature of a URL and its POST parameters."""
    data = url + "".join(f"{key}{value}" for key, value in sorted(params))
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _params(request: HttpRequest) -> list[tuple[str, str]]:
    return [(key, value) for key in request.POST for value in request.POST.getlist(key)]


def authenticate(request: HttpRequest, gateway: Gateway) -> bool:
    given = request.headers.get("X-Twilio-Signature", "")
    token = base.secret_of(gateway)
    url = str(gateway.settings.get("webhook_url") or request.build_absolute_uri())
    if not given or not token:
        return False
    return base.same_secret(given, signature(url, _params(request), token))


def parse(request: HttpRequest) -> list[Parsed]:
    form = request.POST
    if "From" not in form or "Body" not in form:
        raise Unreadable("A Twilio message has From and Body.")
    raw = {key: form.get(key, "") for key in form}
    return [
        Parsed(
            sender=form.get("From", ""),
            text=form.get("Body", ""),
            external_id=form.get("MessageSid", "") or form.get("SmsSid", ""),
            to=form.get("To", ""),
            raw=raw,
        )
    ]


def answer(results: list[Answered]) -> HttpResponse:
    return HttpResponse(
        '<?xml version="1.0" encoding="UTF-8"?><Response></Response>',
        content_type="text/xml",
    )


def send(message: OutboundMessage, recipient: str) -> SendResult:
    gateway = message.gateway
    assert gateway is not None
    account = str(gateway.settings.get("account_sid", ""))
    if not account:
        return SendResult(ok=False, error="The gateway has no account_sid.", retry=False)
    form = {"To": recipient, "Body": message.text}
    if gateway.settings.get("messaging_service_sid"):
        form["MessagingServiceSid"] = str(gateway.settings["messaging_service_sid"])
    else:
        form["From"] = gateway.number
    login = base64.b64encode(f"{account}:{base.secret_of(gateway)}".encode()).decode()
    status, body = base.http_post(
        API.format(account=urllib.parse.quote(account)),
        data=urllib.parse.urlencode(form).encode(),
        headers={
            "Authorization": f"Basic {login}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    vendor_id = ""
    if 200 <= status < 300:
        try:
            vendor_id = str(json.loads(body).get("sid", ""))
        except ValueError:
            vendor_id = ""
    return base.result_of(status, body, vendor_id=vendor_id)
