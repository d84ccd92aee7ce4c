"""Layouts for the server-drawn network pictures and bar charts (inline SVG, no JavaScript).

Actors sit in horizontal bands by level, community at the bottom and global at the top, so a
reader sees at a glance who links the ground to the national and regional levels.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from i4p.registry.models import LEVEL_ORDER, Level, RelationKind

WIDTH = 760
BAND_HEIGHT = 64
LABEL_WIDTH = 110  # room for the band names
MAX_LABEL = 18


@dataclass(frozen=True)
class NodeIn:
    key: str
    label: str
    level: str
    url: str = ""
    title: str = ""
    focus: bool = False
    weight: int = 1  # > 1 for an aggregate ("12 organisations")


@dataclass(frozen=True)
class EdgeIn:
    source: str
    target: str
    kind: str
    weight: int = 1


@dataclass
class NodeOut:
    x: float
    y: float
    r: float
    label: str
    title: str
    url: str
    focus: bool
    aggregate: bool
    label_y: float


@dataclass
class EdgeOut:
    x1: float
    y1: float
    x2: float
    y2: float
    kind: str
    width: float
    label: str


@dataclass
class Band:
    y: float
    height: float
    label: str
    label_x: float
    count: int


@dataclass
class Picture:
    width: int
    height: int
    bands: list[Band] = field(default_factory=list)
    nodes: list[NodeOut] = field(default_factory=list)
    edges: list[EdgeOut] = field(default_factory=list)
    kinds: list[tuple[str, str]] = field(default_factory=list)  # legend: (kind, label)

    @property
    def empty(self) -> bool:
        return not self.nodes


def short(label: str, limit: int = MAX_LABEL) -> str:
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def banded(
    nodes: Sequence[NodeIn],
    edges: Iterable[EdgeIn],
    *,
    rtl: bool = False,
    levels: Sequence[str] | None = None,
) -> Picture:
    """Place `nodes` in level bands (only the levels present, unless `levels` is given)."""
    present = {node.level for node in nodes}
    shown = [lv for lv in (levels or LEVEL_ORDER) if levels or lv in present]
    shown = [lv for lv in reversed(LEVEL_ORDER) if lv in shown]  # global on top
    names = dict(Level.choices)
    height = max(1, len(shown)) * BAND_HEIGHT
    picture = Picture(width=WIDTH, height=height)
    by_level: dict[str, list[NodeIn]] = defaultdict(list)
    for node in nodes:
        by_level[node.level].append(node)
    position: dict[str, tuple[float, float]] = {}
    span = WIDTH - LABEL_WIDTH - 20
    for row, level in enumerate(shown):
        top = row * BAND_HEIGHT
        members = by_level.get(level, [])
        picture.bands.append(
            Band(
                y=top,
                height=BAND_HEIGHT,
                label=str(names.get(level, level)),
                label_x=(WIDTH - 8) if rtl else 8,
                count=sum(node.weight for node in members),
            )
        )
        step = span / max(1, len(members))
        for index, node in enumerate(members):
            offset = LABEL_WIDTH + step * (index + 0.5)
            x = WIDTH - offset if rtl else offset
            # Alternate labels above and below so neighbours in a crowded band stay readable.
            y = top + BAND_HEIGHT / 2 + (6 if index % 2 else -6)
            position[node.key] = (x, y)
            radius = 5.0 if node.weight == 1 else min(18.0, 5.0 + node.weight**0.5 * 2)
            picture.nodes.append(
                NodeOut(
                    x=round(x, 1),
                    y=round(y, 1),
                    r=8.0 if node.focus else radius,
                    label=short(node.label),
                    title=node.title or node.label,
                    url=node.url,
                    focus=node.focus,
                    aggregate=node.weight > 1,
                    label_y=round(y + (radius + 11 if index % 2 else -radius - 4), 1),
                )
            )
    kinds = dict(RelationKind.choices)
    used: set[str] = set()
    for edge in edges:
        if edge.source not in position or edge.target not in position:
            continue
        (x1, y1), (x2, y2) = position[edge.source], position[edge.target]
        used.add(edge.kind)
        picture.edges.append(
            EdgeOut(
                x1=round(x1, 1),
                y1=round(y1, 1),
                x2=round(x2, 1),
                y2=round(y2, 1),
                kind=edge.kind,
                width=round(min(8.0, 1.0 + (edge.weight - 1) ** 0.5), 1),
                label=f"{kinds.get(edge.kind, edge.kind)} ({edge.weight})"
                if edge.weight > 1
                else str(kinds.get(edge.kind, edge.kind)),
            )
        )
    picture.kinds = [(kind, str(label)) for kind, label in RelationKind.choices if kind in used]
    return picture


@dataclass
class Bar:
    label: str
    value: int
    width: float  # percent of the longest bar
    url: str = ""
    note: str = ""


def bars(rows: Iterable[tuple[str, int, str, str]]) -> list[Bar]:
    """(label, value, url, note) rows as bars scaled to the largest value."""
    items = list(rows)
    top = max((value for _label, value, _url, _note in items), default=0) or 1
    return [
        Bar(label=label, value=value, width=round(100 * value / top, 1), url=url, note=note)
        for label, value, url, note in items
    ]
