"""`i4p load_places --countries GH,KE` or `--all`: ISO 3166 and GeoNames places from packages."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from i4p.core.errors import DomainError
from i4p.geo.loaders import DEMO_COUNTRIES, load_places


class Command(BaseCommand):
    help = "Load countries, ISO 3166-2 subdivisions and GeoNames populated places."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--countries", default="", help="ISO alpha-2 codes: GH,KE")
        parser.add_argument("--all", action="store_true", help="every country of ISO 3166-1")
        parser.add_argument("--demo", action="store_true", help="the countries the demo shows")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        codes = [c for c in options["countries"].split(",") if c.strip()]
        if options["demo"]:
            codes = DEMO_COUNTRIES
        if not codes and not options["all"]:
            raise CommandError("Give --countries GH,KE, --demo or --all.")
        started = time.monotonic()
        try:
            report = load_places(
                None if options["all"] else codes, progress=not options["no_progress"]
            )
        except DomainError as error:
            raise CommandError(error.message) from error
        self.stdout.write(f"{report} in {time.monotonic() - started:.1f} s")
        for name in report.unmatched[:20]:
            self.stdout.write(f"  not matched: {name}")
