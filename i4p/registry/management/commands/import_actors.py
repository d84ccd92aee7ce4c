"""`i4p import_actors FILE --as USERNAME [--dry-run]`: CSV with HXL hashtags, or Popolo JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from i4p.accounts.models import User
from i4p.registry.exchange.files import parse_file
from i4p.registry.exchange.importer import run_import


class Command(BaseCommand):
    help = (
        "Import organisations (and relations) from a CSV with HXL hashtags or a Popolo JSON "
        "file. All or nothing: with any problem, nothing is changed. Existing entries are "
        "updated, matched by i4p id, identifier (IATI) or exact name in the same country."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--as", dest="username", required=True, help="The user the import acts as."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would change; change nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"], is_active=True).first()
        if user is None:
            raise CommandError(f"No active user called {options['username']!r}.")
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No file at {path}.")
        parsed = parse_file(path.read_bytes())
        total = len(parsed.actors) + len(parsed.relations)
        with tqdm(total=total, unit="row", desc="Importing", disable=None) as bar:
            report = run_import(parsed, by=user, dry_run=options["dry_run"], progress=bar.update)
        for note in report.notes:
            self.stdout.write(note)
        for problem in report.problems:
            self.stderr.write(f"  {problem}")
        if report.problems:
            raise CommandError(report.summary())
        self.stdout.write(report.summary())
