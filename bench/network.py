"""Benchmark of the registry's network figures: 100,000 actors and 1,000,000 relations.

    env -u DATABASE_URL .venv/bin/python bench/network.py            # everything
    env -u DATABASE_URL .venv/bin/python bench/network.py --no-db    # in memory only
    env -u DATABASE_URL .venv/bin/python bench/network.py --no-networkx

Same run, same generated graph: i4p (igraph) against networkx, with the same betweenness pivots.
Then, once, the same registry stored in SQLite and read back through the scoped selectors.
Finally, the error of sampled betweenness against exact on a subgraph of a few thousand actors.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("I4P_DEMO", "1")  # generated keys, as in the demo

T = TypeVar("T")

LEVELS = ["community", "district", "subnational", "national", "regional", "continental", "global"]
LEVEL_SHARE = [0.34, 0.26, 0.12, 0.20, 0.04, 0.02, 0.02]
# Kinds met at each level, with their shares.
KINDS_AT = {
    "community": (["lpc", "cso", "traditional"], [0.45, 0.45, 0.10]),
    "district": (["cso", "lpc", "peace_council", "government"], [0.55, 0.20, 0.15, 0.10]),
    "subnational": (["peace_council", "cso", "government", "network"], [0.3, 0.4, 0.2, 0.1]),
    "national": (
        ["cso", "network", "peace_council", "government", "parliament", "academic", "donor"],
        [0.45, 0.15, 0.05, 0.15, 0.05, 0.1, 0.05],
    ),
    "regional": (["rigo", "network", "un", "donor"], [0.3, 0.4, 0.15, 0.15]),
    "continental": (["rigo", "network", "un", "donor"], [0.3, 0.4, 0.15, 0.15]),
    "global": (["un", "network", "donor", "academic"], [0.35, 0.35, 0.2, 0.1]),
}
# How much more often higher levels are chosen as partners (networks and councils attract).
LEVEL_PULL = [1.0, 1.5, 3.0, 6.0, 12.0, 15.0, 20.0]
RELATION_KINDS = [
    "member-of",
    "partner-of",
    "funds",
    "reports-to",
    "convenes",
    "accredited-to",
    "liaises-with",
]


def timed(function: Callable[[], T]) -> tuple[T, float]:
    started = time.perf_counter()
    result = function()
    return result, time.perf_counter() - started


class Registry:
    """A generated registry: actors with kinds, levels and seats; places; relations."""

    def __init__(self, actors: int, relations: int, seed: int) -> None:
        rng = np.random.default_rng(seed)
        self.count = actors
        # Places: 54 countries, 10 regions each, 8 districts per region; ids 1.. in path order.
        self.places: list[tuple[int, str, str, str, int | None, str]] = []
        self.country_ids: list[int] = []
        self.region_ids: list[list[int]] = []
        self.district_ids: list[list[list[int]]] = []
        next_id = 1
        for c in range(54):
            country = next_id
            next_id += 1
            self.places.append((country, f"Country {c}", "country", f"/{country}/", None, f"C{c}"))
            self.country_ids.append(country)
            self.region_ids.append([])
            self.district_ids.append([])
            for r in range(10):
                region = next_id
                next_id += 1
                path = f"/{country}/{region}/"
                self.places.append((region, f"Region {c}.{r}", "admin1", path, country, f"C{c}"))
                self.region_ids[c].append(region)
                self.district_ids[c].append([])
                for d in range(8):
                    district = next_id
                    next_id += 1
                    self.places.append(
                        (
                            district,
                            f"District {c}.{r}.{d}",
                            "admin2",
                            f"{path}{district}/",
                            region,
                            f"C{c}",
                        )
                    )
                    self.district_ids[c][r].append(district)
        self.place_path = {pid: path for pid, _n, _k, path, _p, _c in self.places}

        level = rng.choice(len(LEVELS), size=actors, p=LEVEL_SHARE)
        # Actors are grouped by country so most relations stay inside one (as they do).
        home = rng.integers(0, 54, size=actors)
        # Vertices ordered by level, then country: each (level, country) block is contiguous.
        order = np.lexsort((home, level))
        level, home = level[order], home[order]
        self.levels = [LEVELS[i] for i in level]
        kinds = np.empty(actors, dtype=object)
        for index, name in enumerate(LEVELS):
            at = np.flatnonzero(level == index)
            names, shares = KINDS_AT[name]
            kinds[at] = np.array(names, dtype=object)[rng.choice(len(names), len(at), p=shares)]
        self.kinds: list[str] = kinds.tolist()
        # Seats: local levels in a district, subnational in a region, the rest in the country.
        home_region = rng.integers(0, 10, size=actors)
        home_district = rng.integers(0, 8, size=actors)
        # Mechanisms cluster: in a third of the countries they sit in only two of ten regions.
        sparse = rng.random(54) < 0.33
        seats: list[int] = []
        for v in range(actors):
            c, lv = int(home[v]), int(level[v])
            r = int(home_region[v])
            if sparse[c] and self.kinds[v] in ("lpc", "peace_council"):
                r = r % 2
            if lv <= 1:
                seats.append(self.district_ids[c][r][int(home_district[v])])
            elif lv == 2:
                seats.append(self.region_ids[c][r])
            else:
                seats.append(self.country_ids[c])
        self.seats = seats
        self.seat_paths = [self.place_path[p] for p in seats]

        # Preferential attachment: heavy-tailed attractiveness, pulled up by level; some actors
        # (3 %) have no relation at all.
        pull = (rng.pareto(1.1, size=actors) + 1.0) * np.array(LEVEL_PULL)[level]
        alone = rng.random(actors) < 0.03
        pull[alone] = 0.0
        activity = rng.pareto(1.5, size=actors) + 1.0
        activity[alone] = 0.0
        wanted = int(relations * 1.5)  # some pairs repeat; trimmed to `relations` below
        sources = rng.choice(actors, size=wanted, p=activity / activity.sum())
        # Relations mostly stay at the same level or go one up (a committee reports to its
        # district council); sometimes they skip levels or go down.
        offsets = np.array([-2, -1, 0, 1, 2, 3])
        step = rng.choice(offsets, size=wanted, p=[0.03, 0.12, 0.45, 0.28, 0.09, 0.03])
        target_level = np.clip(level[sources] + step, 0, len(LEVELS) - 1)
        # 80 % stay in the source's country, always for levels below the supranational ones.
        inside = (rng.random(wanted) < 0.8) | (target_level < 4)
        cumulative = np.concatenate([[0.0], np.cumsum(pull)])
        block = level * 54 + home  # sorted, thanks to the vertex order
        block_bounds = np.searchsorted(block, np.arange(len(LEVELS) * 54 + 1))
        level_bounds = np.searchsorted(level, np.arange(len(LEVELS) + 1))
        wanted_block = target_level * 54 + home[sources]
        low = np.where(
            inside,
            cumulative[block_bounds[wanted_block]],
            cumulative[level_bounds[target_level]],
        )
        high = np.where(
            inside,
            cumulative[block_bounds[wanted_block + 1]],
            cumulative[level_bounds[target_level + 1]],
        )
        # No one at that level in that country: look in the whole level instead.
        empty = high <= low
        low[empty] = cumulative[level_bounds[target_level[empty]]]
        high[empty] = cumulative[level_bounds[target_level[empty] + 1]]
        draw = low + rng.random(wanted) * (high - low)
        targets = np.clip(np.searchsorted(cumulative, draw, side="right") - 1, 0, actors - 1)
        kind = rng.integers(0, len(RELATION_KINDS), size=wanted)
        keep = (sources != targets) & (pull[targets] > 0)
        key = (sources * actors + targets) * len(RELATION_KINDS) + kind
        _unique, first = np.unique(key[keep], return_index=True)
        chosen = np.sort(first)[:relations]
        self.sources = sources[keep][chosen].astype(np.int64)
        self.targets = targets[keep][chosen].astype(np.int64)
        self.relation_kinds = kind[keep][chosen]
        if len(self.sources) < relations:
            raise SystemExit(f"only {len(self.sources)} distinct relations drawn")
        self.names = [f"Actor {v:06d}" for v in range(actors)]
        self.uuids = [f"00000000-0000-4000-8000-{v:012d}" for v in range(actors)]

    def actor_graph(self) -> Any:
        from i4p.registry.network import ActorGraph

        return ActorGraph.from_arrays(
            ids=np.arange(1, self.count + 1),
            uuids=self.uuids,
            names=self.names,
            kinds=self.kinds,
            levels=self.levels,
            seat_paths=self.seat_paths,
            sources=self.sources,
            targets=self.targets,
        )

    def place_rows(self) -> list[Any]:
        from i4p.registry.network import PlaceRow

        return [
            PlaceRow(pid, f"p-{pid}", name, kind, path, parent, code[:2])
            for pid, name, kind, path, parent, code in self.places
        ]


# --- networkx, the same figures the same way ---------------------------------------------------


def networkx_figures(registry: Registry, pivots: list[int], top: int) -> dict[str, Any]:
    """Seconds per stage (and, under "_" keys, results to compare with i4p's)."""
    import networkx as nx

    seconds: dict[str, Any] = {}
    n = registry.count
    started = time.perf_counter()
    multi = nx.MultiDiGraph()
    multi.add_nodes_from(range(n))
    multi.add_edges_from(zip(registry.sources.tolist(), registry.targets.tolist(), strict=True))
    simple = nx.Graph()
    simple.add_nodes_from(range(n))
    simple.add_edges_from(zip(registry.sources.tolist(), registry.targets.tolist(), strict=True))
    seconds["build"] = time.perf_counter() - started

    started = time.perf_counter()
    degree = {v: multi.in_degree(v) + multi.out_degree(v) for v in multi}
    sorted(degree, key=lambda v: (-degree[v], v))[:top]
    seconds["degree"] = time.perf_counter() - started

    started = time.perf_counter()
    components = sorted(nx.weakly_connected_components(multi), key=len, reverse=True)
    main = components[0]
    seconds["components"] = time.perf_counter() - started

    started = time.perf_counter()
    partial = nx.betweenness_centrality_subset(
        simple, sources=pivots, targets=list(simple), normalized=False
    )
    connected = sum(1 for v in simple if simple.degree(v) > 0)
    scores = {v: value * connected / len(pivots) for v, value in partial.items()}
    best = sorted(scores, key=lambda v: (-scores[v], v))[:top]
    seconds["betweenness"] = time.perf_counter() - started

    started = time.perf_counter()
    band = {
        "community": 0,
        "district": 0,
        "subnational": 1,
        "national": 2,
        "regional": 3,
        "continental": 3,
        "global": 3,
    }
    brokers = 0
    for v in simple:
        bands = {band[registry.levels[u]] for u in simple.neighbors(v)}
        brokers += len(bands) >= 2
    seconds["level brokers"] = time.perf_counter() - started

    started = time.perf_counter()
    isolated = 0
    for v in simple:
        small = registry.kinds[v] in ("cso", "lpc") and registry.levels[v] in (
            "community",
            "district",
        )
        if small and (simple.degree(v) <= 1 or v not in main):
            isolated += 1
    seconds["isolated"] = time.perf_counter() - started
    seconds["_brokers"] = brokers
    seconds["_isolated"] = isolated
    seconds["_top"] = best
    return seconds


# --- Through the database ----------------------------------------------------------------------


def store(registry: Registry) -> float:
    """Write the registry into the (empty) SQLite database in bulk; returns the seconds taken."""
    import datetime as dt
    import uuid

    from django.db import connection, transaction

    from i4p.geo.models import Place
    from i4p.registry.models import Actor, Relation

    started = time.perf_counter()
    # As Django stores a datetime on SQLite: UTC, without offset.
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    with transaction.atomic():
        Place.objects.bulk_create(
            [
                Place(
                    id=pid,
                    name=name,
                    name_folded=name.lower(),
                    kind=kind,
                    path=path,
                    parent_id=parent,
                    depth=path.count("/") - 2,
                    country_code=code[:2],
                )
                for pid, name, kind, path, parent, code in registry.places
            ],
            batch_size=5000,
        )
        Actor.objects.bulk_create(
            [
                Actor(
                    id=v + 1,
                    name=registry.names[v],
                    kind=registry.kinds[v],
                    level=registry.levels[v],
                    place_id=registry.seats[v],
                    moderation="published",
                    search_text=registry.names[v].lower(),
                )
                for v in range(registry.count)
            ],
            batch_size=5000,
        )
    # Relations through the cursor: a million model instances would only measure Python.
    columns = (
        "uuid, created_at, updated_at, source_id, target_id, kind, started_on, ended_on, "
        "source_text, source_url, visibility, illustrative"
    )
    rows = (
        (
            uuid.uuid4().hex,
            now,
            now,
            int(s) + 1,
            int(t) + 1,
            RELATION_KINDS[int(k)],
            None,
            None,
            "",
            "",
            "public",
            False,
        )
        for s, t, k in zip(registry.sources, registry.targets, registry.relation_kinds, strict=True)
    )
    insert = f"INSERT INTO {Relation._meta.db_table} ({columns}) VALUES ({', '.join(['%s'] * 12)})"
    with transaction.atomic(), connection.cursor() as cursor:
        batch: list[tuple[Any, ...]] = []
        for row in rows:
            batch.append(row)
            if len(batch) == 20_000:
                cursor.executemany(insert, batch)
                batch = []
        if batch:
            cursor.executemany(insert, batch)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actors", type=int, default=100_000)
    parser.add_argument("--relations", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=100, help="betweenness pivots (both)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--subgraph", type=int, default=3_000, help="actors in the error check")
    parser.add_argument("--no-networkx", action="store_true")
    parser.add_argument("--no-db", action="store_true")
    parser.add_argument("--db", default="/tmp/i4p-network-bench.sqlite3")
    args = parser.parse_args()

    os.environ["I4P_SQLITE_PATH"] = args.db
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from i4p.registry import network

    print(f"generating {args.actors:,} actors and {args.relations:,} relations ...", flush=True)
    registry, generate = timed(lambda: Registry(args.actors, args.relations, args.seed))
    print(f"  generated in {generate:.1f} s")

    def built() -> Any:
        graph = registry.actor_graph()
        graph.links  # noqa: B018  (the igraph graph, built once and kept)
        return graph

    graph, build = timed(built)
    places = registry.place_rows()
    figures, total = timed(
        lambda: network.analyse(
            graph, places, sample_threshold=5_000, samples=args.samples, seed=args.seed
        )
    )
    i4p_seconds = {"build": build, **figures.seconds}
    pivots = network.pivots(graph.links, samples=args.samples, seed=args.seed)

    nx_seconds: dict[str, Any] = {}
    if not args.no_networkx:
        print(f"networkx on the same graph, the same {len(pivots)} pivots ...", flush=True)
        nx_seconds = networkx_figures(registry, pivots, top=20)

    rows = ["build", "degree", "components", "betweenness", "level brokers", "coverage", "isolated"]
    print()
    print(f"{'stage':16} {'i4p (igraph)':>14} {'networkx':>12}")
    for stage in rows:
        ours = i4p_seconds.get(stage, 0.0)
        theirs = nx_seconds.get(stage)
        shown = f"{theirs:10.2f} s" if isinstance(theirs, float) else "      (same)"
        print(f"{stage:16} {ours:12.2f} s {shown}")
    ours_total = sum(i4p_seconds.get(stage, 0.0) for stage in rows)
    print(f"{'total':16} {ours_total:12.2f} s", end="")
    if nx_seconds:
        theirs_total = sum(nx_seconds.get(s, 0.0) for s in rows if s != "coverage")
        theirs_total += i4p_seconds["coverage"]
        print(f" {theirs_total:10.2f} s  (x{theirs_total / ours_total:.0f})")
    else:
        print()
    print(f"  (analyse() alone: {total:.2f} s; build: {build:.2f} s)")

    print()
    print(
        f"graph: {figures.actors:,} actors, {figures.relations:,} relations; "
        f"{figures.components.count:,} components, main {figures.components.largest:,} "
        f"({figures.components.largest_share:.1%}), {figures.components.singletons:,} alone"
    )
    print(
        f"level brokers {figures.level_brokers_total:,}; isolated small organisations "
        f"{figures.isolated_total:,}; coverage gaps {figures.coverage.gaps_total:,} "
        f"({figures.coverage.mechanisms:,} mechanisms)"
    )
    if nx_seconds:
        ours_top = [int(row.actor.name.split()[-1]) for row in figures.betweenness.top]
        same = len(set(ours_top) & set(nx_seconds["_top"])) / max(len(ours_top), 1)
        print(
            f"agreement with networkx: top-20 brokers {same:.0%}, level brokers "
            f"{figures.level_brokers_total} vs {nx_seconds['_brokers']}, isolated "
            f"{figures.isolated_total} vs {nx_seconds['_isolated']}"
        )

    # Error of sampled betweenness: exact is affordable on a few thousand actors only.
    print()
    simple = graph.links
    start = int(np.argsort(simple.degree())[len(simple.degree()) // 2])
    order = simple.bfs(start)[0][: args.subgraph]
    sub = simple.induced_subgraph(order)
    print(
        f"sampled betweenness against exact, {sub.vcount():,} actors around one (BFS), "
        f"{sub.ecount():,} links:"
    )
    for samples in sorted({args.samples, 50, 200}):
        errors = [network.betweenness_error(sub, samples=samples, seed=s) for s in range(3)]
        print(
            f"  {samples:4} pivots: spearman {np.mean([e.spearman for e in errors]):.3f}, "
            f"top-20 overlap {np.mean([e.top_overlap for e in errors]):.0%}, "
            f"mean relative error on the top 20 "
            f"{np.mean([e.top_relative_error for e in errors]):.1%}  (3 seeds)"
        )
    reference = network.sampled_betweenness(simple, samples=1000, seed=args.seed + 1)
    best = set(network.top_vertices(reference, 20))
    estimate = network.sampled_betweenness(simple, samples=args.samples, seed=args.seed)
    overlap = len(best & set(network.top_vertices(estimate, 20))) / 20
    print(f"  on the whole graph: top-20 of {args.samples} pivots vs 1000 pivots: {overlap:.0%}")

    if args.no_db:
        return
    print()
    print(f"through SQLite ({args.db}) ...", flush=True)
    from django.contrib.auth.models import AnonymousUser
    from django.core.management import call_command

    from i4p.registry.models import Relation
    from i4p.registry.selectors import relations_visible_to

    for suffix in ("", "-wal", "-shm"):
        Path(args.db + suffix).unlink(missing_ok=True)
    call_command("migrate", verbosity=0)
    stored = store(registry)
    print(f"  stored in {stored:.1f} s ({Relation.objects.count():,} relations)")
    user = AnonymousUser()
    loaded, load = timed(
        lambda: network.build_graph(network.published_actors(user), relations_visible_to(user))
    )
    _places, load_places = timed(network.load_places)
    full, end_to_end = timed(
        lambda: network.network_figures(user, samples=args.samples, seed=args.seed, use_cache=False)
    )
    print(
        f"  load (build_graph): {load:.2f} s for {loaded.size:,} actors, "
        f"{len(loaded.sources):,} relations; places {load_places:.2f} s"
    )
    print(
        f"  network_figures() end to end from SQLite: {end_to_end:.2f} s "
        f"(load {full.seconds['load']:.2f} s + figures)"
    )
    same = [r.actor.name for r in full.betweenness.top] == [
        r.actor.name for r in figures.betweenness.top
    ]
    print(f"  same top brokers as in memory: {same}")


if __name__ == "__main__":
    main()
