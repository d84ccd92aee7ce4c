"""`i4p analyse_network [--json]`: the registry's network figures, with progress on the way."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from i4p.registry.network import (
    SAMPLE_THRESHOLD,
    SAMPLES,
    SEED,
    STAGES,
    NetworkFigures,
    network_figures,
)


class Command(BaseCommand):
    help = (
        "Print the network figures of the registry: degree, brokers, components, coverage gaps "
        "and isolated small organisations. Without --user, as the public sees the registry."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
        parser.add_argument(
            "--user", default="", help="compute as this user (their private relations included)"
        )
        parser.add_argument("--samples", type=int, default=SAMPLES, help="betweenness pivots")
        parser.add_argument(
            "--sample-threshold",
            type=int,
            default=SAMPLE_THRESHOLD,
            help="above this many actors, betweenness is sampled",
        )
        parser.add_argument("--seed", type=int, default=SEED)
        parser.add_argument("--fresh", action="store_true", help="ignore cached figures")

    def handle(self, *args: Any, **options: Any) -> None:
        user: Any = AnonymousUser()
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"No user named {options['user']}.")
        # Progress goes to stderr, so `--json > file` stays clean.
        with tqdm(total=len(STAGES), desc="network", unit="stage", file=self.stderr) as bar:

            def progress(stage: str) -> None:
                if stage != "load":
                    bar.update(1)
                bar.set_postfix_str(stage)

            figures = network_figures(
                user,
                samples=options["samples"],
                sample_threshold=options["sample_threshold"],
                seed=options["seed"],
                use_cache=not options["fresh"],
                progress=progress,
            )
            bar.update(len(STAGES) - bar.n)
        if options["json"]:
            self.stdout.write(json.dumps(figures.as_dict(), indent=2, ensure_ascii=False))
        else:
            self.stdout.write(summary(figures))


def summary(figures: NetworkFigures) -> str:
    """The figures as text for a terminal."""
    lines = [
        f"{figures.actors} actors, {figures.relations} relations "
        f"(registry version {figures.registry_version}, {figures.computed_at:%Y-%m-%d %H:%M})",
        "",
        "Most connected (in / out / total):",
    ]
    lines += [
        f"  {row.degree:6} {row.in_degree:6} {row.out_degree:6}  {row.actor.name}"
        for row in figures.degree
    ]
    b = figures.betweenness
    lines += ["", f"Brokers (betweenness, {b.method}, {b.samples} pivots, seed {b.seed}):"]
    lines += [f"  {row.normalised:8.5f}  {row.actor.name}" for row in b.top]
    lines += ["", f"Brokers between levels: {figures.level_brokers_total}"]
    lines += [
        f"  {row.cross_pairs:6} pairs  {' / '.join(row.bands):32}  {row.actor.name}"
        for row in figures.level_brokers[:20]
    ]
    c = figures.components
    lines += [
        "",
        f"Components: {c.count}; the main one holds {c.largest} actors ({c.largest_share:.1%}); "
        f"{c.singletons} actors without relations; {c.small_total} small groups apart",
    ]
    cov = figures.coverage
    lines += [
        "",
        f"Coverage: {cov.mechanisms} local peace mechanisms; {cov.gaps_total} subdivisions "
        "without one where one exists nearby",
    ]
    lines += [f"  {gap.place.name} (in {gap.within.name})" for gap in cov.gaps[:20]]
    if cov.countries_without_mechanism:
        names = ", ".join(place.name for place in cov.countries_without_mechanism)
        lines.append(f"  Countries with actors but no mechanism: {names}")
    lines += ["", f"Isolated small organisations: {figures.isolated_total}"]
    lines += [f"  {row.reason:22} {row.actor.name}" for row in figures.isolated[:20]]
    timing = ", ".join(f"{stage} {seconds:.2f}s" for stage, seconds in figures.seconds.items())
    lines += ["", f"Time: {timing}", ""]
    return "\n".join(lines)
