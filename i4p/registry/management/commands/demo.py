"""`i4p demo`: load real peace infrastructure, quoted from public documents, and demo logins."""

from __future__ import annotations

import time
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandParser

from i4p.registry.demo.loader import DemoSummary, Tally, load_demo, load_real_places

URL = "http://127.0.0.1:8000"


def _tally(tally: Tally) -> str:
    return f"{tally.created} new, {tally.updated} updated, {tally.unchanged} unchanged"


def summary_lines(summary: DemoSummary, seconds: float) -> list[str]:
    """The text printed at the end; the tests read the login table from it."""
    lines = [
        f"Demo loaded in {seconds:.1f} s.",
        f"  Organisations: {summary.actor_total} "
        f"({summary.actor_illustrative} illustrative) — {_tally(summary.actors)}",
        f"  Relations:     {summary.relation_total} "
        f"({summary.relation_illustrative} illustrative) — {_tally(summary.relations)}",
        f"  Themes:        {summary.themes}",
        f"  Users:         {len(summary.logins)} — {_tally(summary.users)}",
    ]
    if summary.missing_places:
        lines.append(
            f"  Places not found ({len(summary.missing_places)}), left blank: "
            + ", ".join(summary.missing_places)
        )
    lines += [
        "",
        "Entries marked illustrative are not stated in the source documents; every other entry",
        "and relation quotes the sentence it comes from.",
        "",
        f"Open {URL} after `i4p serve`.",
        "",
        f"Demo logins — password for all: {summary.password}",
        "(for this demo only: never use these accounts on a real instance)",
        "",
        f"  {'username':<22} {'role':<10} {'scope':<22} {'two-factor secret':<34} acts for",
    ]
    for login in summary.logins:
        lines.append(
            f"  {login.username:<22} {login.role:<10} {login.scope:<22} "
            f"{login.totp_secret or '-':<34} {login.represents or '-'}"
        )
    lines += [
        "",
        "Staff roles need a two-factor code: add the secret to an authenticator app (or scan the",
        "code on the first login page), then type the 6-digit code it shows.",
    ]
    return lines


class Command(BaseCommand):
    help = (
        "Load the demo: peace infrastructure described by public documents (with quotes), "
        "places, and one login per role. Safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-places",
            action="store_true",
            help="use the places already in the database instead of loading them",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()

        def say(message: str) -> None:
            self.stdout.write(f"[{time.monotonic() - started:5.1f} s] {message}")

        summary = load_demo(places=None if options["no_places"] else load_real_places, progress=say)
        # Apps above the registry (early warning…) add their part through their AppConfig.
        extra: list[str] = []
        for config in apps.get_app_configs():
            extend = getattr(config, "extend_demo", None)
            if extend is not None:
                extra += extend(summary, say)
        self.stdout.write("")
        lines = summary_lines(summary, time.monotonic() - started)
        for line in [*lines[:5], *extra, *lines[5:]]:
            self.stdout.write(line)
