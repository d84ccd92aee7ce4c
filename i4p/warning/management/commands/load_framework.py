"""`i4p load_framework`: the default early-warning indicator framework and event types."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from i4p.warning.frameworks import load_default_framework


class Command(BaseCommand):
    help = "Load the default indicator framework (WANEP/CEWARN sectors, ACLED event types)."

    def handle(self, *args: Any, **options: Any) -> None:
        framework = load_default_framework()
        self.stdout.write(
            f"{framework}: {framework.indicators.count()} indicators, "
            f"{framework.event_types.count()} event types."
        )
