"""`i4p rotate_keys`: re-encrypt sealed columns and re-hash senders under the newest keys."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from i4p.warning.rotation import rotate_keys


class Command(BaseCommand):
    help = (
        "Re-encrypt every reporter identity, raw message and gateway secret under the first "
        "key of I4P_IDENTITY_KEYS, and re-hash senders under the first I4P_SENDER_HASH_KEYS "
        "key. Safe while the site runs, safe to stop and run again. Remove an old key only "
        "after a run that finished."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument("--no-progress", action="store_true", help="no progress bars")

    def handle(self, *args: Any, **options: Any) -> None:
        bars: list[Any] = []

        def progress(label: str, total: int) -> Callable[[int], None]:
            bar = tqdm(
                total=total,
                desc=label,
                unit="row",
                disable=options["no_progress"],
                file=sys.stderr,
            )
            bars.append(bar)

            def advance(count: int) -> None:
                bar.update(count)

            return advance

        try:
            report = rotate_keys(batch_size=options["batch_size"], progress=progress)
        finally:
            for bar in bars:
                bar.close()
        self.stdout.write(f"Keys rotated: {report}.")
        if report.hash_conflicts:
            self.stdout.write(
                "Reporters whose address was known twice (merge them): "
                + ", ".join(report.hash_conflicts)
            )
