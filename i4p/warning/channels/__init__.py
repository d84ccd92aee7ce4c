"""Alert channels: one module per way of reaching a mechanism, each with
`send(delivery) -> DeliveryResult` (see `base`)."""

from __future__ import annotations

from types import ModuleType

from i4p.warning.channels import app, email, sms, webhook
from i4p.warning.channels.base import DeliveryResult
from i4p.warning.models import DeliveryChannel

CHANNELS: dict[str, ModuleType] = {
    DeliveryChannel.EMAIL: email,
    DeliveryChannel.SMS: sms,
    DeliveryChannel.WEBHOOK: webhook,
    DeliveryChannel.APP: app,
}

__all__ = ["CHANNELS", "DeliveryResult"]
