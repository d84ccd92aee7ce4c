"""`i4p import_events FILE --source ucdp|acled`: other data sets' events, for triangulation."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TextIO, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from i4p.accounts.models import User
from i4p.core.errors import Invalid
from i4p.warning.external import ACLED, UCDP, count_rows, import_events

SHOWN_PROBLEMS = 200


class Command(BaseCommand):
    help = (
        "Import UCDP GED or ACLED-layout CSV (plain or .gz) as external events. Rows that "
        "cannot be read are skipped and listed with their row number; the others are kept. "
        "Importing again updates the events already there and never duplicates them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--source", choices=[UCDP, ACLED], required=True)
        parser.add_argument("--as", dest="username", default="", help="The user it acts as.")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No file at {path}.")
        user = None
        if options["username"]:
            user = User.objects.filter(username=options["username"], is_active=True).first()
            if user is None:
                raise CommandError(f"No active user called {options['username']!r}.")
        try:
            total = count_rows(path)
            with tqdm(
                total=total,
                unit="row",
                desc="Importing",
                disable=options["no_progress"],
                # The stream itself: the command's wrapper would end every write with a newline.
                file=cast(TextIO, self.stderr._out),
            ) as bar:
                report = import_events(path, kind=options["source"], by=user, progress=bar.update)
        except Invalid as error:
            raise CommandError(error.message) from error
        for problem in report.problems[:SHOWN_PROBLEMS]:
            self.stderr.write(f"  {problem}")
        if report.skipped > SHOWN_PROBLEMS:
            self.stderr.write(f"  … and {report.skipped - SHOWN_PROBLEMS} more rows skipped")
        self.stdout.write(report.summary())
