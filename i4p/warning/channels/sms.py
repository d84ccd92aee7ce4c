"""SMS through the instance's outbound gateways (the same vendor modules that answer
reporters). The gateway is chosen by the alert's country: an active gateway of that country,
else one with no country set. SMSSync is left out: it waits for a phone to poll, which suits
replies to reporters, not alerts that must arrive now.

The text is short and neutral, since a responder's phone can be seen by others: it names no
event, only that an alert waits and where to read it.
"""

from __future__ import annotations

from django.db.models import Case, IntegerField, Value, When
from django.utils import translation
from django.utils.translation import gettext as _

from i4p.warning.channels.base import DeliveryResult, alert_url
from i4p.warning.gateways.base import SendResult
from i4p.warning.models import CapMsgType, Channel, Delivery, Gateway, OutboundMessage


def gateway_for(country_code: str) -> Gateway | None:
    """An active sending gateway of the country, else a country-less one."""
    rank = Case(When(country_code=country_code, then=Value(0)), default=Value(1),
                output_field=IntegerField())  # fmt: skip
    return (
        Gateway.objects.filter(is_active=True)
        .exclude(kind=Channel.SMSSYNC)
        .filter(country_code__in=[country_code, ""])
        .annotate(rank=rank)
        .order_by("rank", "name")
        .first()
    )


def text_of(delivery: Delivery, language: str) -> str:
    alert = delivery.alert
    with translation.override(language or None):
        if alert.msg_type == CapMsgType.CANCEL:
            words = _("i4p: an alert for %(place)s was withdrawn. %(url)s")
        elif alert.msg_type == CapMsgType.UPDATE:
            words = _("i4p: an alert for %(place)s was updated. Please read: %(url)s")
        else:
            words = _("i4p: a new alert for %(place)s waits for you. Please read: %(url)s")
    return words % {"place": alert.place.name, "url": alert_url(alert)}


def send(delivery: Delivery) -> DeliveryResult:
    from i4p.warning.gateways import VENDORS

    number = delivery.contact.value.strip() if delivery.contact is not None else ""
    if not number:
        return DeliveryResult(ok=False, error="No phone number.", retry=False)
    gateway = gateway_for(delivery.alert.place.country_code)
    if gateway is None:
        # Someone may configure one: worth trying again until the attempts run out.
        return DeliveryResult(ok=False, error="No active SMS gateway for this country.")
    language = gateway.language or ""
    # The vendor modules send an `OutboundMessage`; this one is never saved (it has no
    # reporter): it only carries the gateway, the words and an id to the vendor.
    carrier = OutboundMessage(uuid=delivery.uuid, gateway=gateway, text=text_of(delivery, language))
    result: SendResult = VENDORS[gateway.kind].send(carrier, number)
    return DeliveryResult(ok=result.ok, error=result.error, retry=result.retry)
