"""System checks of the instance's settings: `i4p check --deploy` and `i4p serve` refuse a
production start on the demo's settings (ids i4p.E001-E009; the keys' checks are warning's)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register


@register(Tags.security, deploy=True)
def check_production_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    if settings.I4P_DEMO:
        errors.append(
            Error(
                "I4P_DEMO is on: the demo generates its own keys and accepts public defaults.",
                hint="Unset I4P_DEMO outside the demo.",
                id="i4p.E001",
            )
        )
    if settings.SECRET_KEY == settings.DEMO_SECRET_KEY:
        errors.append(
            Error(
                "I4P_SECRET_KEY is not set: the secret key is a public constant, and it keys "
                "sessions, the displacement of public map points and webhook signatures.",
                hint="Set I4P_SECRET_KEY to a long random value (docs/operations.md).",
                id="i4p.E002",
            )
        )
    if settings.DEBUG:
        errors.append(
            Error(
                "I4P_DEBUG is on: error pages would show settings and request data.",
                hint="Unset I4P_DEBUG in production.",
                id="i4p.E003",
            )
        )
    return errors
