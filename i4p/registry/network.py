"""Network figures of the registry: degree, brokers, components, coverage gaps, isolated actors.

The graph is read in bulk (`values_list`, never model instances) from the scoped selectors, so a
registry of 100,000 actors and a million relations loads in seconds; igraph does the graph work.
Results are cached per registry version and per scope: a page never recomputes them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import cached_property
from typing import Any, Literal

import igraph as ig
import numpy as np
import numpy.typing as npt
from django.core.cache import cache
from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from i4p.accounts.permissions import Perm
from i4p.accounts.selectors import scope_of
from i4p.core.errors import NotFound
from i4p.geo.models import Place, PlaceKind
from i4p.registry.models import (
    LEVEL_ORDER,
    LOCAL_MECHANISM_KINDS,
    Actor,
    ActorKind,
    ActorStatus,
    Level,
    Moderation,
    Relation,
    Visibility,
)
from i4p.registry.selectors import relations_visible_to, visible_actors

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
Progress = Callable[[str], None]

# Bands of levels between which a broker carries information: the grass-roots, the regions of a
# country, the state, and the supranational bodies (ECOWAS, AU, UN).
BAND_OF_LEVEL: dict[str, str] = {
    Level.COMMUNITY: "local",
    Level.DISTRICT: "local",
    Level.SUBNATIONAL: "subnational",
    Level.NATIONAL: "national",
    Level.REGIONAL: "international",
    Level.CONTINENTAL: "international",
    Level.GLOBAL: "international",
}
BANDS = ["local", "subnational", "national", "international"]
assert set(BAND_OF_LEVEL) == set(LEVEL_ORDER), "every level needs a band"

# Small organisations are the ones a network most easily loses sight of.
SMALL_KINDS = frozenset({ActorKind.CSO, ActorKind.LOCAL_PEACE_COMMITTEE})
SMALL_LEVELS = frozenset({Level.COMMUNITY, Level.DISTRICT})
SUBDIVISION_KINDS = (PlaceKind.ADMIN1, PlaceKind.ADMIN2, PlaceKind.ADMIN3)

SAMPLE_THRESHOLD = 5_000  # above this many actors, betweenness is estimated from pivots
SAMPLES = 100  # pivots: ~25 ms each on a graph of 100k actors and 1M relations
SEED = 0
TOP = 20  # rows in each ranked list
LIMIT = 200  # rows in each list of findings (totals are always given)
SMALL_COMPONENT = 10  # a component at most this large, outside the main one, is "small"
# Registries larger than this (actors + relations) are analysed by the worker, not the page.
BACKGROUND_THRESHOLD = 20_000
CACHE_SECONDS = 7 * 24 * 3600

STAGES = ("load", "degree", "components", "betweenness", "level brokers", "coverage", "isolated")


# --- The graph ---------------------------------------------------------------------------------


@dataclass
class ActorGraph:
    """The actors a user may see as vertices (0..n-1) and their relations as directed edges."""

    ids: IntArray  # internal keys, for queries only; they never leave this module
    uuids: list[str]
    names: list[str]
    kinds: list[str]
    levels: list[str]
    seat_paths: list[str]  # path of the place the actor sits in, "" when none
    sources: IntArray  # one edge per relation: sources[i] <kind> targets[i], as vertices
    targets: IntArray
    # Places seated in or covered by each local peace mechanism (by vertex).
    mechanism_paths: dict[int, list[str]] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.uuids)

    @cached_property
    def graph(self) -> ig.Graph:
        """The directed multigraph: one edge per relation."""
        return _igraph(self.size, self.sources, self.targets, directed=True)

    @cached_property
    def partner_pairs(self) -> tuple[IntArray, IntArray]:
        """Each pair of partners once, whatever the number or direction of relations between."""
        size = max(self.size, 1)
        low = np.minimum(self.sources, self.targets)
        high = np.maximum(self.sources, self.targets)
        pairs = np.unique(low * size + high)
        return pairs // size, pairs % size

    @cached_property
    def links(self) -> ig.Graph:
        """Undirected, one edge per pair of partners."""
        low, high = self.partner_pairs
        return _igraph(self.size, low, high, directed=False)

    @classmethod
    def from_arrays(
        cls,
        *,
        ids: Sequence[int] | IntArray,
        uuids: list[str],
        names: list[str],
        kinds: list[str],
        levels: list[str],
        seat_paths: list[str],
        sources: IntArray,
        targets: IntArray,
        mechanism_paths: dict[int, list[str]] | None = None,
    ) -> ActorGraph:
        """A graph from vertex attributes and edges given as vertex positions."""
        paths = mechanism_paths
        if paths is None:
            paths = {
                vertex: [seat_paths[vertex]] if seat_paths[vertex] else []
                for vertex, kind in enumerate(kinds)
                if kind in LOCAL_MECHANISM_KINDS
            }
        return cls(
            ids=np.asarray(ids, dtype=np.int64),
            uuids=uuids,
            names=names,
            kinds=kinds,
            levels=levels,
            seat_paths=seat_paths,
            sources=np.asarray(sources, dtype=np.int64),
            targets=np.asarray(targets, dtype=np.int64),
            mechanism_paths=paths,
        )


def _igraph(count: int, sources: IntArray, targets: IntArray, *, directed: bool) -> ig.Graph:
    graph = ig.Graph(n=count, directed=directed)
    # A list of int pairs is the fastest input igraph takes (faster than an array).
    graph.add_edges(list(zip(sources.tolist(), targets.tolist(), strict=True)))
    return graph


def build_graph(actors: QuerySet[Actor], relations: QuerySet[Relation]) -> ActorGraph:
    """The graph of `actors` (a queryset) linked by `relations` (a queryset), read in bulk.

    Relations whose ends are not among `actors` are left out, so the two querysets may be scoped
    independently.
    """
    rows = list(
        actors.order_by("name", "pk").values_list(
            "pk", "uuid", "name", "kind", "level", "status", "place__path"
        )
    )
    ids = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
    uuids = [str(row[1]) for row in rows]
    names = [row[2] for row in rows]
    kinds = [row[3] for row in rows]
    levels = [row[4] for row in rows]
    seat_paths = [row[6] or "" for row in rows]
    del rows
    pairs = np.fromiter(
        itertools.chain.from_iterable(relations.values_list("source_id", "target_id")),
        dtype=np.int64,
    ).reshape(-1, 2)
    sources, targets = _positions(ids, pairs[:, 0]), _positions(ids, pairs[:, 1])
    known = (sources >= 0) & (targets >= 0)
    mechanism_paths = _mechanism_paths(actors, ids)
    return ActorGraph.from_arrays(
        ids=ids,
        uuids=uuids,
        names=names,
        kinds=kinds,
        levels=levels,
        seat_paths=seat_paths,
        sources=sources[known],
        targets=targets[known],
        mechanism_paths=mechanism_paths,
    )


def _positions(ids: IntArray, keys: IntArray) -> IntArray:
    """The vertex of each key in `ids`, -1 where the key is not a vertex."""
    if len(ids) == 0:
        return np.full(len(keys), -1, dtype=np.int64)
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    at = np.searchsorted(sorted_ids, keys)
    at[at >= len(sorted_ids)] = 0
    return np.where(sorted_ids[at] == keys, order[at], -1).astype(np.int64)


def _mechanism_paths(actors: QuerySet[Actor], ids: IntArray) -> dict[int, list[str]]:
    """Where each active local peace mechanism sits and what it covers, by vertex."""
    mechanisms = actors.filter(kind__in=LOCAL_MECHANISM_KINDS).exclude(status=ActorStatus.DISSOLVED)
    found: dict[int, list[str]] = defaultdict(list)
    seats = mechanisms.exclude(place__isnull=True).values_list("pk", "place__path")
    covered = Actor.coverage.through.objects.filter(
        actor_id__in=mechanisms.values("pk")
    ).values_list("actor_id", "place__path")
    pairs = [*seats, *covered]
    if not pairs:
        return {}
    vertices = _positions(ids, np.array([pk for pk, _path in pairs], dtype=np.int64))
    for vertex, (_pk, path) in zip(vertices.tolist(), pairs, strict=True):
        if vertex >= 0 and path:
            found[vertex].append(path)
    return dict(found)


@dataclass(frozen=True)
class PlaceRow:
    """A country or subdivision, as the coverage analysis needs it."""

    id: int
    uuid: str
    name: str
    kind: str
    path: str
    parent_id: int | None
    country_code: str


def load_places() -> list[PlaceRow]:
    """Current countries and subdivisions (populated places are below the level of a gap)."""
    rows = (
        Place.objects.filter(kind__in=[PlaceKind.COUNTRY, *SUBDIVISION_KINDS])
        .filter(valid_until__isnull=True)
        .order_by("path")
        .values_list("pk", "uuid", "name", "kind", "path", "parent_id", "country_code")
    )
    return [
        PlaceRow(pk, str(uuid), name, kind, path, parent, cc)
        for pk, uuid, name, kind, path, parent, cc in rows
    ]


# --- The figures -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActorRef:
    uuid: str
    name: str
    kind: str
    level: str


@dataclass(frozen=True)
class PlaceRef:
    uuid: str
    name: str
    kind: str
    country_code: str


@dataclass(frozen=True)
class DegreeRow:
    actor: ActorRef
    in_degree: int  # relations pointing at the actor (members, reports received, funds received)
    out_degree: int
    degree: int


@dataclass(frozen=True)
class BrokerRow:
    actor: ActorRef
    betweenness: float  # (estimated) number of shortest paths between pairs through the actor
    normalised: float  # the same, as a share of all pairs of other actors (0..1)


@dataclass(frozen=True)
class Betweenness:
    method: Literal["exact", "sampled"]
    samples: int  # pivots used; equal to the number of actors when exact
    seed: int
    top: list[BrokerRow]


@dataclass(frozen=True)
class LevelBroker:
    """An actor whose partners lie in different bands of levels: it links them."""

    actor: ActorRef
    bands: list[str]  # bands of its partners, bottom up (local, subnational, ...)
    levels: list[str]  # levels of its partners, bottom up
    cross_pairs: int  # pairs of its partners that lie in different bands
    betweenness: float


@dataclass(frozen=True)
class SmallComponent:
    size: int
    actors: list[ActorRef]


@dataclass(frozen=True)
class Components:
    count: int
    largest: int  # actors in the main component
    largest_share: float
    sizes: dict[int, int]  # component size -> how many components have it
    singletons: int  # actors with no visible relation at all
    small_total: int  # components of 2..SMALL_COMPONENT actors outside the main one
    small: list[SmallComponent]  # the first LIMIT of them, smallest first


@dataclass(frozen=True)
class CoverageGap:
    """A subdivision with no local peace mechanism, inside a place where one exists elsewhere."""

    place: PlaceRef
    within: PlaceRef
    siblings: int  # subdivisions of `within` at the same level, this one included
    siblings_covered: int


@dataclass(frozen=True)
class CountryCoverage:
    country: PlaceRef
    subdivisions: int  # first-level subdivisions known
    covered: int  # ... with a mechanism seated in or covering them (or a place inside them)


@dataclass(frozen=True)
class Coverage:
    mechanisms: int  # active local peace committees and peace councils counted
    countries: list[CountryCoverage]  # countries with at least one mechanism
    countries_without_mechanism: list[PlaceRef]  # ... where actors sit but no mechanism does
    gaps_total: int
    gaps: list[CoverageGap]


@dataclass(frozen=True)
class IsolatedActor:
    actor: ActorRef
    links: int  # distinct partners
    reason: Literal["no-links", "one-link", "outside-main-network"]


@dataclass(frozen=True)
class NetworkFigures:
    """Whole-network figures, as one user (one scope) sees the registry."""

    actors: int
    relations: int
    computed_at: dt.datetime
    registry_version: str
    degree: list[DegreeRow]
    betweenness: Betweenness
    level_brokers_total: int
    level_brokers: list[LevelBroker]
    components: Components
    coverage: Coverage
    isolated_total: int
    isolated: list[IsolatedActor]
    seconds: dict[str, float]  # time spent per stage

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON types only: actors and places by uuid and name, never internal ids."""
        data = asdict(self)
        data["computed_at"] = self.computed_at.isoformat()
        data["components"]["sizes"] = {
            str(size): count for size, count in self.components.sizes.items()
        }
        return data


def analyse(
    graph: ActorGraph,
    places: Sequence[PlaceRow],
    *,
    sample_threshold: int = SAMPLE_THRESHOLD,
    samples: int = SAMPLES,
    seed: int = SEED,
    top: int = TOP,
    limit: int = LIMIT,
    registry_version: str = "",
    progress: Progress | None = None,
) -> NetworkFigures:
    """Every whole-network figure of `graph`; the part of the work that needs no database."""
    seconds: dict[str, float] = {}
    clock = _Clock(seconds, progress)
    n = graph.size
    refs = _Refs(graph)

    clock.stage("degree")
    in_degree = np.bincount(graph.targets, minlength=n).astype(np.int64)
    out_degree = np.bincount(graph.sources, minlength=n).astype(np.int64)
    total = in_degree + out_degree
    degree = [
        DegreeRow(refs(v), int(in_degree[v]), int(out_degree[v]), int(total[v]))
        for v in top_vertices(total, top)
    ]
    # Partners, not relations: two relations with one partner are one link.
    simple = graph.links
    links = np.array(simple.degree(), dtype=np.int64)

    clock.stage("components")
    # Weak components of the relations are the components of the undirected links.
    membership = np.array(simple.connected_components().membership, dtype=np.int64)
    components, main = _components(membership, refs, limit=limit)

    clock.stage("betweenness")
    scores, method, used = _betweenness(simple, links, sample_threshold, samples, seed)
    pairs = (n - 1) * (n - 2) / 2 if n > 2 else 1.0
    betweenness = Betweenness(
        method=method,
        samples=used,
        seed=seed,
        top=[
            BrokerRow(refs(v), round(float(scores[v]), 3), round(float(scores[v]) / pairs, 6))
            for v in top_vertices(scores, top)
            if scores[v] > 0
        ],
    )

    clock.stage("level brokers")
    brokers_total, brokers = _level_brokers(graph, simple, scores, refs, limit=limit)

    clock.stage("coverage")
    coverage = coverage_gaps(graph, places, limit=limit)

    clock.stage("isolated")
    isolated_total, isolated = _isolated(graph, links, membership, main, refs, limit=limit)
    clock.stop()

    return NetworkFigures(
        actors=n,
        relations=len(graph.sources),
        computed_at=timezone.now(),
        registry_version=registry_version,
        degree=degree,
        betweenness=betweenness,
        level_brokers_total=brokers_total,
        level_brokers=brokers,
        components=components,
        coverage=coverage,
        isolated_total=isolated_total,
        isolated=isolated,
        seconds=seconds,
    )


class _Clock:
    def __init__(self, seconds: dict[str, float], progress: Progress | None) -> None:
        self.seconds = seconds
        self.progress = progress
        self.name = ""
        self.started = 0.0

    def stage(self, name: str) -> None:
        self.stop()
        self.name, self.started = name, time.perf_counter()
        if self.progress is not None:
            self.progress(name)

    def stop(self) -> None:
        if self.name:
            self.seconds[self.name] = round(time.perf_counter() - self.started, 3)
            self.name = ""


class _Refs:
    def __init__(self, graph: ActorGraph) -> None:
        self.graph = graph

    def __call__(self, vertex: int) -> ActorRef:
        g = self.graph
        return ActorRef(g.uuids[vertex], g.names[vertex], g.kinds[vertex], g.levels[vertex])


def top_vertices(values: npt.NDArray[Any], count: int) -> list[int]:
    """Vertices of the `count` largest values, largest first; ties in name order (vertex order)."""
    if count <= 0 or len(values) == 0:
        return []
    if len(values) > count * 4:
        # Everything tied with the count-th value is a candidate, so ties still break by name.
        threshold = np.partition(values, len(values) - count)[len(values) - count]
        candidates = np.flatnonzero(values >= threshold)
    else:
        candidates = np.arange(len(values))
    order = np.lexsort((candidates, -values[candidates]))
    return [int(v) for v in candidates[order][:count]]


def _components(membership: IntArray, refs: _Refs, *, limit: int) -> tuple[Components, int]:
    n = len(membership)
    if n == 0:
        return Components(0, 0, 0.0, {}, 0, 0, []), -1
    sizes = np.bincount(membership)
    main = int(np.argmax(sizes))
    histogram = np.bincount(sizes)
    small_ids = [
        int(c) for c in np.flatnonzero((sizes >= 2) & (sizes <= SMALL_COMPONENT)) if c != main
    ]
    small_ids.sort(key=lambda c: (int(sizes[c]), c))
    members: dict[int, list[int]] = defaultdict(list)
    wanted = set(small_ids[:limit])
    for vertex in np.flatnonzero(np.isin(membership, list(wanted))).tolist():
        members[int(membership[vertex])].append(vertex)
    small = [
        SmallComponent(int(sizes[c]), [refs(v) for v in members[c]]) for c in small_ids[:limit]
    ]
    components = Components(
        count=len(sizes),
        largest=int(sizes[main]),
        largest_share=round(float(sizes[main]) / n, 4),
        sizes={int(size): int(count) for size, count in enumerate(histogram) if count},
        singletons=int(histogram[1]) if len(histogram) > 1 else 0,
        small_total=len(small_ids),
        small=small,
    )
    return components, main


def _betweenness(
    simple: ig.Graph, links: IntArray, threshold: int, samples: int, seed: int
) -> tuple[FloatArray, Literal["exact", "sampled"], int]:
    """Betweenness over undirected links: information travels both ways along a relation."""
    n = simple.vcount()
    connected = np.flatnonzero(links > 0)
    if n <= threshold or samples >= len(connected):
        return np.array(simple.betweenness(directed=False), dtype=np.float64), "exact", n
    return sampled_betweenness(simple, samples=samples, seed=seed), "sampled", samples


def pivots(simple: ig.Graph, *, samples: int, seed: int) -> list[int]:
    """`samples` source vertices drawn uniformly among the actors that have a partner."""
    connected = np.flatnonzero(np.array(simple.degree(), dtype=np.int64) > 0)
    rng = np.random.default_rng(seed)
    chosen = rng.choice(connected, size=min(samples, len(connected)), replace=False)
    return sorted(int(v) for v in chosen)


def sampled_betweenness(simple: ig.Graph, *, samples: int, seed: int) -> FloatArray:
    """Brandes with k pivots: dependencies from `samples` random sources, scaled up.

    Actors without partners contribute nothing as sources, so pivots are drawn among the others
    and scaled by their number: the estimate stays unbiased and no pivot is wasted.
    """
    chosen = pivots(simple, samples=samples, seed=seed)
    if not chosen:
        return np.zeros(simple.vcount(), dtype=np.float64)
    connected = int(np.count_nonzero(np.array(simple.degree()) > 0))
    partial = np.array(simple.betweenness(directed=False, sources=chosen), dtype=np.float64)
    # igraph halves undirected pair counts, so the full source set gives exact betweenness.
    return partial * (connected / len(chosen))


@dataclass(frozen=True)
class BetweennessError:
    """How far sampled betweenness is from exact, on one graph."""

    actors: int
    samples: int
    spearman: float  # rank correlation over all actors
    top: int
    top_overlap: float  # share of the exact top `top` found in the sampled top `top`
    top_relative_error: float  # mean |sampled - exact| / exact over the exact top `top`


def betweenness_error(
    simple: ig.Graph, *, samples: int, seed: int, top: int = TOP
) -> BetweennessError:
    """Measure the sampling error against exact betweenness (small graphs: exact is slow)."""
    from scipy.stats import spearmanr

    exact = np.array(simple.betweenness(directed=False), dtype=np.float64)
    estimate = sampled_betweenness(simple, samples=samples, seed=seed)
    best = top_vertices(exact, top)
    found = set(top_vertices(estimate, top))
    relative = np.abs(estimate[best] - exact[best]) / np.maximum(exact[best], 1e-12)
    return BetweennessError(
        actors=simple.vcount(),
        samples=samples,
        spearman=round(float(spearmanr(exact, estimate).statistic), 4),
        top=top,
        top_overlap=round(len(found.intersection(best)) / max(len(best), 1), 4),
        top_relative_error=round(float(relative.mean()), 4),
    )


def _band_indices(levels: list[str]) -> IntArray:
    index = {band: i for i, band in enumerate(BANDS)}
    return np.array([index[BAND_OF_LEVEL.get(level, "local")] for level in levels], dtype=np.int64)


def _level_brokers(
    graph: ActorGraph, simple: ig.Graph, scores: FloatArray, refs: _Refs, *, limit: int
) -> tuple[int, list[LevelBroker]]:
    n = graph.size
    bands = _band_indices(graph.levels)
    low, high = graph.partner_pairs
    # counts[v, b]: partners of v in band b (each link counted at both ends).
    width = len(BANDS)
    cells = np.concatenate([low * width + bands[high], high * width + bands[low]])
    counts = np.bincount(cells, minlength=n * width).reshape(n, width)
    spanned = (counts > 0).sum(axis=1)
    partners = counts.sum(axis=1)
    cross = (partners * partners - (counts * counts).sum(axis=1)) // 2
    found = np.flatnonzero(spanned >= 2)
    order = np.lexsort((found, -scores[found], -cross[found]))
    rows = []
    rank = {level: i for i, level in enumerate(LEVEL_ORDER)}
    for vertex in found[order][:limit].tolist():
        partner_levels = {graph.levels[p] for p in simple.neighbors(vertex)}
        rows.append(
            LevelBroker(
                actor=refs(vertex),
                bands=[BANDS[b] for b in np.flatnonzero(counts[vertex]).tolist()],
                levels=sorted(partner_levels, key=lambda level: rank.get(level, 0)),
                cross_pairs=int(cross[vertex]),
                betweenness=round(float(scores[vertex]), 3),
            )
        )
    return len(found), rows


def coverage_gaps(graph: ActorGraph, places: Sequence[PlaceRow], *, limit: int) -> Coverage:
    """Places where a mechanism exists somewhere inside, and the subdivisions next to it without.

    A mechanism covers the place it sits in or covers, and every place above it: a committee in
    a village covers its district, region and country. A national council covering the whole
    country does not make each district covered: that is what local mechanisms are for.
    """
    by_id = {place.id: place for place in places}
    children: dict[int, list[PlaceRow]] = defaultdict(list)
    for place in places:
        if place.parent_id is not None and place.kind in SUBDIVISION_KINDS:
            children[place.parent_id].append(place)
    covered: set[int] = set()
    for paths in graph.mechanism_paths.values():
        for path in paths:
            covered.update(_path_ids(path))
    gaps: list[CoverageGap] = []
    for place in places:  # in path order: a country, then its subdivisions, top down
        if place.id not in covered:
            continue
        below = children.get(place.id, [])
        done = [child for child in below if child.id in covered]
        for child in below:
            if child.id not in covered:
                gaps.append(
                    CoverageGap(_place_ref(child), _place_ref(place), len(below), len(done))
                )
    countries = [
        CountryCoverage(
            _place_ref(place),
            len(children.get(place.id, [])),
            sum(1 for child in children.get(place.id, []) if child.id in covered),
        )
        for place in places
        if place.kind == PlaceKind.COUNTRY and place.id in covered
    ]
    seated_countries = {ids[0] for path in graph.seat_paths if (ids := _path_ids(path))}
    without = [
        _place_ref(by_id[country])
        for country in sorted(
            seated_countries - covered, key=lambda c: by_id[c].name if c in by_id else ""
        )
        if country in by_id and by_id[country].kind == PlaceKind.COUNTRY
    ]
    return Coverage(
        mechanisms=len(graph.mechanism_paths),
        countries=countries,
        countries_without_mechanism=without,
        gaps_total=len(gaps),
        gaps=gaps[:limit],
    )


def _path_ids(path: str) -> list[int]:
    return [int(part) for part in path.split("/") if part]


def _place_ref(place: PlaceRow) -> PlaceRef:
    return PlaceRef(place.uuid, place.name, place.kind, place.country_code)


def _isolated(
    graph: ActorGraph,
    links: IntArray,
    membership: IntArray,
    main: int,
    refs: _Refs,
    *,
    limit: int,
) -> tuple[int, list[IsolatedActor]]:
    small = np.array(
        [
            k in SMALL_KINDS and lv in SMALL_LEVELS
            for k, lv in zip(graph.kinds, graph.levels, strict=True)
        ],
        dtype=bool,
    )
    outside = membership != main
    found = np.flatnonzero(small & ((links <= 1) | outside))
    # The least connected first: no link, then one link, then a small group apart.
    order = np.lexsort((found, np.minimum(links[found], 2)))
    rows: list[IsolatedActor] = []
    for vertex in found[order][:limit].tolist():
        count = int(links[vertex])
        reason: Literal["no-links", "one-link", "outside-main-network"]
        reason = "no-links" if count == 0 else "one-link" if count == 1 else "outside-main-network"
        rows.append(IsolatedActor(refs(vertex), count, reason))
    return len(found), rows


# --- Per user, cached --------------------------------------------------------------------------


def published_actors(user: Any) -> QuerySet[Actor]:
    """The actors of the figures: published ones the user may see (relations join only these)."""
    return visible_actors(user).filter(moderation=Moderation.PUBLISHED)


def registry_version() -> str:
    """Changes whenever an actor, relation or place is added, edited or removed."""
    parts = []
    for model in (Actor, Relation, Place):
        figures = model.objects.aggregate(count=Count("pk"), latest=Max("updated_at"))
        latest = figures["latest"].isoformat() if figures["latest"] else "-"
        parts.append(f"{figures['count']}@{latest}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def scope_key(user: Any) -> str:
    """Users who see the same private relations share cached figures."""
    scope = scope_of(user, Perm.VIEW_PRIVATE)
    if scope.everywhere:
        return "all"
    if scope.nowhere:
        return "public"
    return "s" + hashlib.sha256(",".join(sorted(scope.paths)).encode()).hexdigest()[:16]


def _cache_key(scope: str, version: str, sample_threshold: int, samples: int, seed: int) -> str:
    return f"i4p:network:{scope}:{version}:{sample_threshold}:{samples}:{seed}"


def _latest_key(scope: str) -> str:
    return f"i4p:network:{scope}:latest"


def network_figures(
    user: Any,
    *,
    sample_threshold: int = SAMPLE_THRESHOLD,
    samples: int = SAMPLES,
    seed: int = SEED,
    use_cache: bool = True,
    progress: Progress | None = None,
) -> NetworkFigures:
    """The figures of the network `user` may see, from the cache when the registry is unchanged."""
    version = registry_version()
    scope = scope_key(user)
    key = _cache_key(scope, version, sample_threshold, samples, seed)
    if use_cache:
        cached = cache.get(key)
        if isinstance(cached, NetworkFigures):
            return cached
    started = time.perf_counter()
    if progress is not None:
        progress("load")
    graph = build_graph(published_actors(user), relations_visible_to(user))
    places = load_places()
    loaded = round(time.perf_counter() - started, 3)
    figures = analyse(
        graph,
        places,
        sample_threshold=sample_threshold,
        samples=samples,
        seed=seed,
        registry_version=version,
        progress=progress,
    )
    figures = replace(figures, seconds={"load": loaded, **figures.seconds})
    cache.set(key, figures, CACHE_SECONDS)
    if sample_threshold == SAMPLE_THRESHOLD and samples == SAMPLES and seed == SEED:
        cache.set(_latest_key(scope), figures, CACHE_SECONDS)
    return figures


@dataclass(frozen=True)
class Ready:
    """What a page shows: figures (perhaps from before the latest edit), and whether new come."""

    figures: NetworkFigures | None
    current: bool  # the figures describe the registry as it is now
    computing: bool  # fresh figures are being computed in the background


def ready_network_figures(user: Any) -> Ready:
    """For pages: cached figures at once; small registries computed now, large ones by the worker.

    While the worker computes, the figures from before the latest change are shown (marked as
    such) rather than nothing.
    """
    version = registry_version()
    scope = scope_key(user)
    key = _cache_key(scope, version, SAMPLE_THRESHOLD, SAMPLES, SEED)
    cached = cache.get(key)
    if isinstance(cached, NetworkFigures):
        return Ready(cached, current=True, computing=False)
    size = Actor.objects.count() + Relation.objects.count()
    if size <= BACKGROUND_THRESHOLD:
        return Ready(network_figures(user), current=True, computing=False)
    # One queued computation per scope and version, however many pages ask meanwhile.
    if cache.add(f"i4p:network:{scope}:{version}:queued", True, 3600):
        from i4p.registry.tasks import compute_network_figures

        compute_network_figures.enqueue(user_id=getattr(user, "pk", None))
        # A deployment may run tasks at once (no worker): then the figures are there already.
        done = cache.get(key)
        if isinstance(done, NetworkFigures):
            return Ready(done, current=True, computing=False)
    stale = cache.get(_latest_key(scope))
    return Ready(stale if isinstance(stale, NetworkFigures) else None, False, True)


# --- One actor's neighbourhood -----------------------------------------------------------------


@dataclass(frozen=True)
class EgoNode:
    uuid: str
    name: str
    kind: str
    level: str
    level_rank: int  # position in LEVEL_ORDER, 0 = community: the vertical axis of a layout
    hops: int  # 0 for the actor itself, 1 for its partners, 2 for theirs


@dataclass(frozen=True)
class EgoEdge:
    source: str  # uuid
    target: str  # uuid
    kind: str  # relation kind, read as "source <kind> target"
    private: bool


@dataclass(frozen=True)
class Neighbourhood:
    centre: str
    depth: int
    nodes: list[EgoNode]
    edges: list[EgoEdge]
    truncated: bool  # more partners exist than `max_nodes` allowed to draw

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def neighbourhood(
    user: Any, actor: Actor, *, depth: Literal[1, 2] = 1, max_nodes: int = 150
) -> Neighbourhood:
    """The actor, its partners (and theirs at depth 2) and the visible relations among them.

    Read straight from the database: one actor's page does not need the whole graph.
    """
    if depth not in (1, 2):
        raise ValueError("depth is 1 or 2")
    if not published_actors(user).filter(pk=actor.pk).exists():
        raise NotFound("No such organisation.")
    relations = relations_visible_to(user)
    hops: dict[int, int] = {actor.pk: 0}
    frontier = {actor.pk}
    truncated = False
    for hop in range(1, depth + 1):
        touching = relations.filter(Q(source_id__in=frontier) | Q(target_id__in=frontier))
        weight: dict[int, int] = defaultdict(int)
        for source, target in touching.values_list("source_id", "target_id"):
            for near, far in ((source, target), (target, source)):
                if near in frontier and far not in hops:
                    weight[far] += 1
        room = max_nodes - len(hops)
        # When there is no room for all, keep the partners most tied to those already drawn.
        ranked = sorted(weight, key=lambda pk: (-weight[pk], pk))
        if len(ranked) > room:
            truncated = True
            ranked = ranked[: max(room, 0)]
        for pk in ranked:
            hops[pk] = hop
        frontier = set(ranked)
        if not frontier:
            break
    kept = list(hops)
    info = {
        pk: (str(uuid), name, kind, level)
        for pk, uuid, name, kind, level in Actor.objects.filter(pk__in=kept).values_list(
            "pk", "uuid", "name", "kind", "level"
        )
    }
    rank = {level: i for i, level in enumerate(LEVEL_ORDER)}
    nodes = [
        EgoNode(*info[pk], level_rank=rank.get(info[pk][3], 0), hops=hops[pk])
        for pk in sorted(kept, key=lambda pk: (hops[pk], info[pk][1], pk))
    ]
    edges = [
        EgoEdge(info[source][0], info[target][0], kind, visibility != Visibility.PUBLIC)
        for source, target, kind, visibility in relations.filter(
            source_id__in=kept, target_id__in=kept
        )
        .order_by("source__name", "target__name", "kind")
        .values_list("source_id", "target_id", "kind", "visibility")
    ]
    return Neighbourhood(str(actor.uuid), depth, nodes, edges, truncated)
