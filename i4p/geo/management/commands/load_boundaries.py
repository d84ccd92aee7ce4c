"""`i4p load_boundaries <file> --country KE --level admin1`: GeoJSON, TopoJSON or shapefile."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from i4p.core.errors import DomainError
from i4p.geo.boundaries import load_boundaries


class Command(BaseCommand):
    help = "Load official boundaries and attach each feature to its place (all or nothing)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help=".json/.geojson/.topojson, .shp or a zipped shapefile")
        parser.add_argument("--country", required=True, help="ISO alpha-2 code")
        parser.add_argument("--level", default="admin1", help="country, admin1, admin2, admin3")
        parser.add_argument("--name-field", default="name")
        parser.add_argument("--code-field", default="", help="e.g. iso_3166_2 or ADM1_PCODE")
        parser.add_argument("--source", default="", help="label of the source (default: file)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = load_boundaries(
                options["file"],
                country=options["country"],
                level=options["level"],
                name_field=options["name_field"],
                code_field=options["code_field"],
                source_label=options["source"],
            )
        except DomainError as error:
            raise CommandError(error.message) from error
        self.stdout.write(str(report))
