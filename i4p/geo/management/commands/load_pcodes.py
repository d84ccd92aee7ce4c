"""`i4p load_pcodes <csv>`: attach OCHA P-codes (global admin1/admin2 list) to places."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from i4p.core.errors import DomainError
from i4p.geo.loaders import load_pcodes


class Command(BaseCommand):
    help = "Attach OCHA P-codes to places; create missing admin1/admin2 places."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("csv", help="OCHA global P-codes CSV")
        parser.add_argument("--countries", default="", help="only these alpha-2 codes: GH,KE")

    def handle(self, *args: Any, **options: Any) -> None:
        codes = [c.strip() for c in options["countries"].split(",") if c.strip()] or None
        try:
            report = load_pcodes(options["csv"], countries=codes, progress=True)
        except (DomainError, OSError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(str(report))
        for name in report.unmatched[:20]:
            self.stdout.write(f"  not matched: {name}")
