"""The exchange formats by name: what each export writes, and how an uploaded file is read."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.utils.translation import gettext as _

from i4p.registry.exchange.geojson import actors_geojson
from i4p.registry.exchange.hxl_csv import actors_csv, parse_csv, relations_csv
from i4p.registry.exchange.popolo import parse_popolo, popolo_json
from i4p.registry.exchange.rows import ParsedFile, Problem
from i4p.registry.exchange.source import ExportSource


@dataclass(frozen=True)
class ExportFormat:
    filename: str
    content_type: str
    write: Callable[[ExportSource], Iterator[str]]


EXPORTS: dict[str, ExportFormat] = {
    "actors.csv": ExportFormat("actors.csv", "text/csv; charset=utf-8", actors_csv),
    "relations.csv": ExportFormat("relations.csv", "text/csv; charset=utf-8", relations_csv),
    "popolo.json": ExportFormat("popolo.json", "application/json", popolo_json),
    "actors.geojson": ExportFormat("actors.geojson", "application/geo+json", actors_geojson),
}
# Names the command line takes (`--format hxl`) for the files above.
CLI_FORMATS = {
    "hxl": "actors.csv",
    "hxl-relations": "relations.csv",
    "popolo": "popolo.json",
    "geojson": "actors.geojson",
}


def parse_file(content: bytes) -> ParsedFile:
    """Read an uploaded file: Popolo JSON when it starts with “{”, else CSV with hashtags."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return ParsedFile(
            kind="",
            problems=[Problem(_("The file"), "", _("It is not UTF-8 text; save it as UTF-8."))],
        )
    if text.lstrip().startswith("{"):
        return parse_popolo(text)
    return parse_csv(text)
