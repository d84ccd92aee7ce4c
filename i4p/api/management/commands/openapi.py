"""`i4p openapi`: write the committed OpenAPI document, or `--check` that it matches the code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from i4p.api.router import api

OPENAPI_PATH = Path(settings.BASE_DIR) / "docs" / "openapi.json"


def current_document() -> str:
    schema = api.get_openapi_schema(path_prefix="/api/v1/")
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


class Command(BaseCommand):
    help = "Write docs/openapi.json from the code, or check that it has not drifted."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--check", action="store_true", help="fail if the file is stale")

    def handle(self, *args: Any, **options: Any) -> None:
        document = current_document()
        if options["check"]:
            committed = OPENAPI_PATH.read_text() if OPENAPI_PATH.exists() else ""
            if committed != document:
                raise CommandError(
                    f"{OPENAPI_PATH.relative_to(settings.BASE_DIR)} is out of date: "
                    "run `make openapi` and commit it."
                )
            self.stdout.write("OpenAPI document is up to date.")
            return
        OPENAPI_PATH.parent.mkdir(parents=True, exist_ok=True)
        OPENAPI_PATH.write_text(document)
        self.stdout.write(f"Wrote {OPENAPI_PATH.relative_to(settings.BASE_DIR)}")
