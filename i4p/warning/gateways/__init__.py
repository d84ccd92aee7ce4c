"""SMS gateways: one module per vendor with the same functions (see `base`), the webhook view,
the short SMS grammar and the two-way conversation with reporters."""

from __future__ import annotations

from types import ModuleType

from i4p.warning.gateways import africastalking, frontlinesms, generic, rapidpro, smssync, twilio
from i4p.warning.models import Channel

VENDORS: dict[str, ModuleType] = {
    Channel.TWILIO: twilio,
    Channel.AFRICASTALKING: africastalking,
    Channel.RAPIDPRO: rapidpro,
    Channel.FRONTLINESMS: frontlinesms,
    Channel.SMSSYNC: smssync,
    Channel.GENERIC: generic,
}
