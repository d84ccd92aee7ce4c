"""`i4p export_actors --format hxl|hxl-relations|popolo|geojson [--output FILE]`."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from i4p.accounts.models import User
from i4p.accounts.permissions import Perm
from i4p.accounts.selectors import has_anywhere
from i4p.core.audit import record_event
from i4p.registry.exchange.files import CLI_FORMATS, EXPORTS
from i4p.registry.exchange.places import PlaceFinder
from i4p.registry.exchange.source import ExportSource
from i4p.registry.models import ActorKind, Level
from i4p.registry.selectors import ActorFilters


class Command(BaseCommand):
    help = (
        "Export the registry as open data: CSV with HXL hashtags (actors, or relations), "
        "Popolo JSON or GeoJSON. Without --as, only what the public sees."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=sorted(CLI_FORMATS), default="hxl")
        parser.add_argument("--output", "-o", help="File to write (default: standard output).")
        parser.add_argument(
            "--as", dest="username", default="", help="Export what this user may see."
        )
        parser.add_argument("--kind", choices=ActorKind.values, default="")
        parser.add_argument("--level", choices=Level.values, default="")
        parser.add_argument("--place", default="", help="ISO 3166 code, P-code or place id.")
        parser.add_argument(
            "--include-pending",
            action="store_true",
            help="Also entries awaiting moderation (only those the user may see).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user: Any = None
        if options["username"]:
            user = User.objects.filter(username=options["username"], is_active=True).first()
            if user is None:
                raise CommandError(f"No active user called {options['username']!r}.")
        place = None
        if options["place"]:
            place = PlaceFinder().find(options["place"])
            if place is None:
                raise CommandError(f"No place has the code or id {options['place']!r}.")
        filters = ActorFilters(
            kind=options["kind"],
            level=options["level"],
            place=place,
            include_pending=options["include_pending"],
        )
        export = EXPORTS[CLI_FORMATS[options["format"]]]
        if has_anywhere(user, Perm.VIEW_PRIVATE):
            # A staff export may hold private relations and contacts: a read worth recording.
            record_event(None, "registry.exported", by=user, fields=[export.filename])
        source = ExportSource(user=user, filters=filters)
        if options["output"]:
            with open(options["output"], "w", encoding="utf-8", newline="") as out:
                for chunk in export.write(source):
                    out.write(chunk)
            self.stderr.write(f"Wrote {options['output']}.")
        else:
            for chunk in export.write(source):
                sys.stdout.write(chunk)
