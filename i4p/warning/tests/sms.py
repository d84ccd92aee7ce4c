"""Test helpers: gateways of every kind and webhook calls exactly as each vendor makes them."""

from __future__ import annotations

import json
import urllib.parse
from typing import TYPE_CHECKING, Any

from django.test import Client

from i4p.warning.gateways.base import seal_secret
from i4p.warning.gateways.twilio import signature
from i4p.warning.models import Channel, Gateway

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

SECRET = "gateway-secret-2f9c"
KINDS = [
    Channel.TWILIO,
    Channel.AFRICASTALKING,
    Channel.RAPIDPRO,
    Channel.FRONTLINESMS,
    Channel.SMSSYNC,
    Channel.GENERIC,
]


def make_gateway(
    kind: str, *, country: str = "GH", slug: str = "", rate: int = 600, **settings: Any
) -> Gateway:
    return Gateway.objects.create(
        name=f"{kind} test",
        slug=slug or f"{kind}-{country.lower()}",
        kind=kind,
        secret=seal_secret(SECRET, api_key="api-key-1"),
        number="1234",
        country_code=country,
        rate_limit_per_minute=rate,
        settings=settings,
    )


def post_sms(
    client: Client,
    gateway: Gateway,
    *,
    sender: str,
    text: str,
    message_id: str,
    secret: str = SECRET,
) -> Response:
    """One inbound SMS posted the way `gateway.kind`'s vendor posts it."""
    url = f"/sms/{gateway.slug}/"
    sent = "2010-01-17T10:02:00Z"
    response: Response
    if gateway.kind == Channel.TWILIO:
        form = {
            "MessageSid": message_id,
            "SmsSid": message_id,
            "AccountSid": "AC0000",
            "From": sender,
            "To": "+15005550006",
            "Body": text,
            "NumMedia": "0",
            "NumSegments": "1",
        }
        sign = signature(f"http://testserver{url}", form.items(), secret)
        response = client.post(url, form, headers={"X-Twilio-Signature": sign})
    elif gateway.kind == Channel.AFRICASTALKING:
        form = {
            "from": sender,
            "to": "20880",
            "text": text,
            "date": sent,
            "id": message_id,
            "linkId": "",
            "networkCode": "63902",
        }
        response = client.post(f"{url}?{urllib.parse.urlencode({'secret': secret})}", form)
    elif gateway.kind == Channel.RAPIDPRO:
        form = {"from": sender, "text": text, "date": sent, "id": message_id}
        response = client.post(url, form, headers={"X-Gateway-Secret": secret})
    elif gateway.kind == Channel.FRONTLINESMS:
        body = {
            "from": sender,
            "message": text,
            "id": message_id,
            "sent_at": sent,
            "secret": secret,
        }
        response = client.post(url, json.dumps(body), content_type="application/json")
    elif gateway.kind == Channel.SMSSYNC:
        form = {
            "from": sender,
            "message": text,
            "message_id": message_id,
            "sent_to": "1234",
            "secret": secret,
            "sent_timestamp": "1263722520000",
            "device_id": "phone-1",
        }
        response = client.post(url, form)
    else:
        body = {"id": message_id, "from": sender, "to": "1234", "text": text, "sent_at": sent}
        response = client.post(
            url,
            json.dumps(body),
            content_type="application/json",
            headers={"Authorization": f"Bearer {secret}"},
        )
    return response
