"""In the app: the delivery itself is the notice. It appears on the member's "my alerts" page
(with the unread count) the moment it is recorded; opening it marks it read."""

from __future__ import annotations

from i4p.warning.channels.base import DeliveryResult
from i4p.warning.models import Delivery


def send(delivery: Delivery) -> DeliveryResult:
    user = delivery.user
    if user is None or not user.is_active:
        return DeliveryResult(ok=False, error="No active member to show it to.", retry=False)
    return DeliveryResult(ok=True)
