"""Where is a point? `locate` answers for a million points at once; `fuzz` hides a point.

The index is built once per process from the database and kept until the places index
version moves (any write to places or boundaries bumps it). Points inside a loaded boundary
are placed by the polygon; everywhere else by the nearest populated place, found with a
KD-tree over unit-sphere coordinates (so distances are right near the poles and across the
antimeridian, where latitude/longitude trees go wrong).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from django.conf import settings
from scipy.spatial import cKDTree
from shapely.geometry import shape

from i4p.core.errors import Invalid
from i4p.geo.models import Boundary, Place, PlaceKind
from i4p.geo.version import index_version

EARTH_RADIUS_M = 6_371_008.8
LEVELS = (PlaceKind.COUNTRY, PlaceKind.ADMIN1, PlaceKind.ADMIN2)
Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]


def unit_xyz(lats: Floats, lons: Floats) -> Floats:
    """Points on the unit sphere: Euclidean nearest there is great-circle nearest."""
    lat, lon = np.radians(lats), np.radians(lons)
    cos_lat = np.cos(lat)
    return np.column_stack((cos_lat * np.cos(lon), cos_lat * np.sin(lon), np.sin(lat)))


def chord_to_metres(chord: Floats) -> Floats:
    return 2.0 * EARTH_RADIUS_M * np.arcsin(np.clip(chord / 2.0, 0.0, 1.0))


@dataclass(frozen=True)
class PlaceRef:
    uuid: uuid.UUID
    name: str
    kind: str
    country_code: str


@dataclass
class _Boundaries:
    tree: shapely.STRtree
    places: Ints  # compact index of the place each polygon bounds
    # Whole-degree cells touched by some polygon's bounding box: a point elsewhere needs no
    # polygon test at all, which keeps a world of points fast when a few countries have
    # boundaries loaded.
    cells: npt.NDArray[np.bool_]

    def maybe_inside(self, lats: Floats, lons: Floats) -> Ints:
        rows = np.clip(np.floor(lats + 90.0).astype(np.int64), 0, 179)
        columns = np.clip(np.floor(lons + 180.0).astype(np.int64), 0, 359)
        return np.flatnonzero(self.cells[rows, columns])


def _cells(polygons: list[Any]) -> npt.NDArray[np.bool_]:
    cells = np.zeros((180, 360), dtype=bool)
    for min_lon, min_lat, max_lon, max_lat in shapely.bounds(polygons).tolist():
        bottom, left = math.floor(min_lat + 90.0), math.floor(min_lon + 180.0)
        top, right = min(math.floor(max_lat + 90.0), 179), min(math.floor(max_lon + 180.0), 359)
        cells[max(bottom, 0) : top + 1, max(left, 0) : right + 1] = True
    return cells


class LocateIndex:
    """Everything `locate` needs, in arrays; built from two queries."""

    def __init__(self, version: int) -> None:
        self.version = version
        rows = list(
            Place.objects.order_by()
            .values_list(
                "id", "uuid", "name", "kind", "country_code", "path", "latitude", "longitude",
                "valid_until",
            )
            .iterator(chunk_size=20_000)
        )  # fmt: skip
        count = len(rows)
        self.ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=count)
        self.uuids = [r[1] for r in rows]
        self.names = [r[2] for r in rows]
        self.kinds = [r[3] for r in rows]
        self.country_codes = [r[4] for r in rows]
        compact = {r[0]: i for i, r in enumerate(rows)}
        level_of: dict[str, int] = {str(kind): level for level, kind in enumerate(LEVELS)}
        # ancestors[i, level] = compact index of place i's ancestor (or itself) at that level.
        self.ancestors = np.full((count, len(LEVELS)), -1, dtype=np.int64)
        has_child_with_point: set[int] = set()
        for i, row in enumerate(rows):
            for part in row[5].strip("/").split("/"):
                ancestor = compact.get(int(part)) if part else None
                if ancestor is None:
                    continue
                level = level_of.get(self.kinds[ancestor])
                if level is not None:
                    self.ancestors[i, level] = ancestor
                if ancestor != i and row[6] is not None:
                    has_child_with_point.add(ancestor)
        # Nearest-place candidates: current places with a point, except administrative
        # centres whose populated places already speak for them.
        candidates = [
            i
            for i, row in enumerate(rows)
            if row[6] is not None
            and row[7] is not None
            and row[8] is None
            and (self.kinds[i] == PlaceKind.LOCALITY or i not in has_child_with_point)
        ]
        self.candidates = np.asarray(candidates, dtype=np.int64)
        lats = np.asarray([rows[i][6] for i in candidates], dtype=np.float64)
        lons = np.asarray([rows[i][7] for i in candidates], dtype=np.float64)
        self.tree = cKDTree(unit_xyz(lats, lons)) if candidates else None
        self.boundaries = self._boundaries(compact, level_of)

    def _boundaries(
        self, compact: dict[int, int], level_of: dict[str, int]
    ) -> dict[int, _Boundaries]:
        by_level: dict[int, tuple[list[Any], list[int]]] = {}
        rows = Boundary.objects.filter(place__valid_until__isnull=True).values_list(
            "place_id", "geometry"
        )
        for place_id, geometry in rows.iterator(chunk_size=200):
            index = compact.get(place_id)
            level = level_of.get(self.kinds[index]) if index is not None else None
            if index is None or level is None:
                continue
            polygons, places = by_level.setdefault(level, ([], []))
            polygons.append(shape(geometry))
            places.append(index)
        result = {}
        for level, (polygons, places) in by_level.items():
            shapely.prepare(polygons)
            result[level] = _Boundaries(
                tree=shapely.STRtree(polygons),
                places=np.asarray(places, dtype=np.int64),
                cells=_cells(polygons),
            )
        return result

    def ref(self, index: int) -> PlaceRef | None:
        if index < 0:
            return None
        return PlaceRef(
            uuid=self.uuids[index],
            name=self.names[index],
            kind=self.kinds[index],
            country_code=self.country_codes[index],
        )


_lock = threading.Lock()
_index: LocateIndex | None = None


def locate_index() -> LocateIndex:
    """The process's index, rebuilt when places or boundaries changed since it was built."""
    global _index
    version = index_version()
    index = _index
    if index is not None and index.version == version:
        return index
    with _lock:
        if _index is None or _index.version != version:
            _index = LocateIndex(version)
        return _index


@dataclass(frozen=True)
class Location:
    """Where one point lies."""

    country: PlaceRef | None
    admin1: PlaceRef | None
    admin2: PlaceRef | None
    nearest: PlaceRef | None
    method: str  # "boundary", "nearest" or "none" (no places loaded)
    distance_m: float  # to the nearest populated place

    @property
    def precision(self) -> str:
        if self.method == "boundary":
            return "inside polygon"
        return f"{self.distance_m:.0f} m" if math.isfinite(self.distance_m) else "unknown"


@dataclass(frozen=True)
class Located:
    """Where many points lie, as arrays of compact place indexes (-1 = none) into `index`."""

    index: LocateIndex
    country: Ints
    admin1: Ints
    admin2: Ints
    nearest: Ints
    inside: npt.NDArray[np.bool_]
    distance_m: Floats

    def __len__(self) -> int:
        return len(self.distance_m)

    def place_ids(self, level: str) -> Ints:
        """Database ids of the places at `level` ("country", "admin1", "admin2", "nearest")."""
        column: Ints = getattr(self, level)
        return np.where(column >= 0, self.index.ids[np.maximum(column, 0)], -1)

    def uuids(self, level: str) -> list[uuid.UUID | None]:
        column: Ints = getattr(self, level)
        return [self.index.uuids[i] if i >= 0 else None for i in column.tolist()]

    def methods(self) -> npt.NDArray[np.str_]:
        return np.where(self.inside, "boundary", np.where(self.nearest >= 0, "nearest", "none"))

    def at(self, i: int) -> Location:
        index = self.index
        return Location(
            country=index.ref(int(self.country[i])),
            admin1=index.ref(int(self.admin1[i])),
            admin2=index.ref(int(self.admin2[i])),
            nearest=index.ref(int(self.nearest[i])),
            method=_method(self, i),
            distance_m=float(self.distance_m[i]),
        )


def _method(located: Located, i: int) -> str:
    if located.inside[i]:
        return "boundary"
    return "nearest" if located.nearest[i] >= 0 else "none"


def locate(
    lats: Sequence[float] | Floats,
    lons: Sequence[float] | Floats,
    *,
    index: LocateIndex | None = None,
) -> Located:
    """Country, admin1 and admin2 of each point, vectorised over any number of points."""
    lat = np.asarray(lats, dtype=np.float64)
    lon = np.asarray(lons, dtype=np.float64)
    if lat.shape != lon.shape or lat.ndim != 1:
        raise Invalid("Give as many latitudes as longitudes.", fields={"lats": ["shape"]})
    if np.any(np.abs(lat) > 90) or np.any(np.abs(lon) > 180) or not np.all(np.isfinite(lat)):
        raise Invalid(
            "Latitudes lie within ±90 and longitudes within ±180.", fields={"lats": ["range"]}
        )
    index = index or locate_index()
    count = len(lat)
    levels = np.full((len(LEVELS), count), -1, dtype=np.int64)
    nearest = np.full(count, -1, dtype=np.int64)
    distance = np.full(count, np.inf, dtype=np.float64)
    if index.tree is not None and count:
        chord, position = index.tree.query(unit_xyz(lat, lon), k=1, workers=-1)
        nearest = index.candidates[position]
        distance = chord_to_metres(chord)
        levels = index.ancestors[nearest].T.copy()
    inside = np.zeros(count, dtype=bool)
    if index.boundaries and count:
        for level in sorted(index.boundaries):
            boundaries = index.boundaries[level]
            near = boundaries.maybe_inside(lat, lon)
            if not len(near):
                continue
            hits = boundaries.tree.query(
                shapely.points(lon[near], lat[near]), predicate="intersects"
            )
            if hits.shape[1] == 0:
                continue
            # A point on a shared edge touches two polygons: the first one answers.
            near_rows, first = np.unique(hits[0], return_index=True)
            point_rows = near[near_rows]
            places = boundaries.places[hits[1][first]]
            chain = index.ancestors[places]  # the polygon's place and its ancestors
            for upper in range(level + 1):
                levels[upper, point_rows] = chain[:, upper]
            # Deeper levels from the nearest place stand only if they lie inside the polygon.
            for deeper in range(level + 1, len(LEVELS)):
                current = levels[deeper, point_rows]
                owner = np.where(current >= 0, index.ancestors[np.maximum(current, 0), level], -1)
                levels[deeper, point_rows] = np.where(owner == places, current, -1)
            inside[point_rows] = True
    return Located(
        index=index,
        country=levels[0],
        admin1=levels[1],
        admin2=levels[2],
        nearest=nearest,
        inside=inside,
        distance_m=distance,
    )


def locate_one(lat: float, lon: float) -> Location:
    """Where one point lies (the API and forms call this)."""
    return locate([lat], [lon]).at(0)


# -- displayed positions ------------------------------------------------------------------


def fuzz(
    lat: float, lon: float, metres: float, *, seed: str | uuid.UUID | bytes
) -> tuple[float, float]:
    """A point between a quarter of `metres` and `metres` away, for public display.

    The displacement is fixed for a seed (the record's uuid), so reloading a page shows the
    same point and averaging many views reveals nothing. It is keyed with the instance's
    secret key: the uuid is public and this code is open, so an unkeyed displacement could
    simply be subtracted. It is never zero, so the true point is never shown.
    """
    if not metres > 0:
        raise Invalid("Fuzzing needs a positive distance.", fields={"metres": ["positive"]})
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise Invalid("The point is not a latitude/longitude.", fields={"lat": ["range"]})
    raw = seed if isinstance(seed, bytes) else str(seed).encode()
    digest = hmac.new(settings.SECRET_KEY.encode(), b"i4p.fuzz:" + raw, hashlib.sha256).digest()
    u1 = int.from_bytes(digest[:8], "big") / 2**64
    u2 = int.from_bytes(digest[8:16], "big") / 2**64
    bearing = 2 * math.pi * u1
    # Uniform over the ring's area between metres/4 and metres.
    inner = 0.25
    distance = metres * math.sqrt(inner**2 + u2 * (1 - inner**2))
    angular = distance / EARTH_RADIUS_M
    phi, lam = math.radians(lat), math.radians(lon)
    phi2 = math.asin(
        math.sin(phi) * math.cos(angular) + math.cos(phi) * math.sin(angular) * math.cos(bearing)
    )
    lam2 = lam + math.atan2(
        math.sin(bearing) * math.sin(angular) * math.cos(phi),
        math.cos(angular) - math.sin(phi) * math.sin(phi2),
    )
    lon2 = (math.degrees(lam2) + 540.0) % 360.0 - 180.0
    return math.degrees(phi2), lon2
