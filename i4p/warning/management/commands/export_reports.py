"""`i4p export_reports --format csv|geojson|json [-o FILE] [--as USER] [filters]`."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from i4p.accounts.models import User
from i4p.warning.export_views import BadFilters, record_export, report_filters
from i4p.warning.exports import FORMATS, ReportExport
from i4p.warning.models import ReportKind, Verification


class Command(BaseCommand):
    help = (
        "Export reports as CSV with HXL hashtags, GeoJSON or JSON, streamed. Without --as, "
        "only the public, redacted export; with --as, what that user may see."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=sorted(FORMATS), default="csv")
        parser.add_argument("--output", "-o", help="File to write (default: standard output).")
        parser.add_argument("--as", dest="username", default="", help="Export as this user.")
        parser.add_argument("--kind", choices=ReportKind.values, default="")
        parser.add_argument("--verification", choices=Verification.values, default="")
        parser.add_argument("--event-type", default="", help="An event type code.")
        parser.add_argument("--place", default="", help="A place id: reports in it and below.")
        parser.add_argument("--since", default="", help="Occurred on or after (YYYY-MM-DD).")
        parser.add_argument("--until", default="", help="Occurred on or before (YYYY-MM-DD).")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        user: Any = None
        if options["username"]:
            user = User.objects.filter(username=options["username"], is_active=True).first()
            if user is None:
                raise CommandError(f"No active user called {options['username']!r}.")
        try:
            filters = report_filters(
                kind=options["kind"],
                verification=options["verification"],
                event_type=options["event_type"],
                place=options["place"],
                since=options["since"],
                until=options["until"],
            )
        except BadFilters as error:
            raise CommandError(str(error)) from None
        export = ReportExport(user, filters)
        if user is not None:
            record_export(user, options["format"], "command line")
        chunks = FORMATS[options["format"]].write(export)
        show = bool(options["output"]) and not options["no_progress"]
        out = (
            open(options["output"], "w", encoding="utf-8", newline="")  # noqa: SIM115
            if options["output"]
            else sys.stdout
        )
        try:
            with tqdm(total=None, unit=" reports", disable=not show, file=sys.stderr) as bar:
                for chunk in chunks:
                    out.write(chunk)
                    bar.update(export.count - bar.n)
        finally:
            if out is not sys.stdout:
                out.close()
        if options["output"]:
            self.stderr.write(f"Wrote {export.count:,} reports to {options['output']}.")
