"""`i4p analyse [--counts-only | --scan-only] [--until YYYY-MM-DD]`: rebuild the count table
from the reports, then scan every series of every active framework."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from i4p.core.errors import DomainError
from i4p.warning import analysis
from i4p.warning.models import Report


class Command(BaseCommand):
    help = (
        "Rebuild the count table from every report and run the full anomaly scan (signals are "
        "updated in place: a re-run adds no duplicates)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--counts-only", action="store_true", help="Rebuild counts only.")
        parser.add_argument("--scan-only", action="store_true", help="Scan the counts as kept.")
        parser.add_argument("--until", default="", help="Scan up to this day (YYYY-MM-DD).")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["counts_only"] and options["scan_only"]:
            raise CommandError("Choose --counts-only or --scan-only, not both.")
        until = None
        if options["until"]:
            try:
                until = dt.date.fromisoformat(options["until"])
            except ValueError as problem:
                raise CommandError("Give --until as YYYY-MM-DD.") from problem
        if not options["scan_only"]:
            with tqdm(
                total=Report.objects.count(),
                unit=" reports",
                desc="counting",
                disable=options["no_progress"],
            ) as bar:
                rows = analysis.rebuild_counts(progress=bar.update)
            self.stdout.write(f"Count table rebuilt: {rows} rows.")
        if options["counts_only"]:
            return
        try:
            result = analysis.scan(until=until)
        except DomainError as problem:
            raise CommandError(problem.message) from problem
        self.stdout.write(
            f"Scanned {result.series} series ({result.cells} cells): {result.alarms} alarms, "
            f"{result.created} new signals, {result.updated} changed, "
            f"{result.withdrawn} withdrawn."
        )
