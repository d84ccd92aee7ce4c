"""Official boundaries: reading GeoJSON, TopoJSON and shapefiles, matching them to places.

A load is all or nothing: one unreadable geometry or unmatched feature and nothing is saved,
with a message that names the feature, so an admin can fix the file and try again.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import shapefile
import shapely
from django.core.cache import cache
from django.db import transaction
from shapely.geometry import mapping, shape

from i4p.core.audit import record_event
from i4p.core.errors import Invalid
from i4p.geo.matching import match_names
from i4p.geo.models import Boundary, Place, PlaceCode, PlaceKind
from i4p.geo.version import bump_index_version, index_version

Feature = dict[str, Any]
AREAL = ("Polygon", "MultiPolygon")


@dataclass
class BoundaryReport:
    created: int = 0
    updated: int = 0

    def __str__(self) -> str:
        return f"{self.created} boundaries created, {self.updated} updated"


# -- reading ------------------------------------------------------------------------------


def _topology_to_features(topology: dict[str, Any]) -> list[Feature]:
    """Decode TopoJSON (quantised, delta-encoded shared arcs) into GeoJSON features."""
    transform = topology.get("transform")
    arcs: list[list[tuple[float, float]]] = []
    for arc in topology.get("arcs", []):
        points: list[tuple[float, float]] = []
        x = y = 0.0
        for position in arc:
            if transform:
                x, y = x + position[0], y + position[1]
                sx, sy = transform["scale"]
                tx, ty = transform["translate"]
                points.append((x * sx + tx, y * sy + ty))
            else:
                points.append((float(position[0]), float(position[1])))
        arcs.append(points)

    def ring(indexes: list[int]) -> list[tuple[float, float]]:
        coordinates: list[tuple[float, float]] = []
        for index in indexes:
            # A negative index (~i) walks arc i backwards.
            points = arcs[index] if index >= 0 else list(reversed(arcs[~index]))
            coordinates.extend(points if not coordinates else points[1:])
        return coordinates

    def geometry(obj: dict[str, Any]) -> dict[str, Any] | None:
        kind = obj.get("type")
        if kind == "Polygon":
            return {"type": kind, "coordinates": [ring(r) for r in obj["arcs"]]}
        if kind == "MultiPolygon":
            return {"type": kind, "coordinates": [[ring(r) for r in p] for p in obj["arcs"]]}
        return None

    features: list[Feature] = []
    for obj in topology.get("objects", {}).values():
        members = obj.get("geometries", []) if obj.get("type") == "GeometryCollection" else [obj]
        for member in members:
            features.append(
                {
                    "type": "Feature",
                    "properties": member.get("properties") or {},
                    "geometry": geometry(member),
                }
            )
    return features


def _read_json(data: bytes) -> list[Feature]:
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise Invalid(
            f"The file is not valid JSON: {error}.", fields={"file": ["not JSON"]}
        ) from error
    kind = document.get("type") if isinstance(document, dict) else None
    if kind == "Topology":
        return _topology_to_features(document)
    if kind == "FeatureCollection":
        return list(document.get("features") or [])
    if kind == "Feature":
        return [document]
    raise Invalid(
        "The file is neither a GeoJSON FeatureCollection nor a TopoJSON Topology.",
        fields={"file": [f"type {kind!r}"]},
    )


def _read_shapefile(reader: shapefile.Reader) -> list[Feature]:
    fields = [f[0] for f in reader.fields[1:]]
    features: list[Feature] = []
    for record in reader.iterShapeRecords():
        features.append(
            {
                "type": "Feature",
                "properties": dict(zip(fields, list(record.record), strict=False)),
                "geometry": record.shape.__geo_interface__,
            }
        )
    return features


def read_features(source: str | Path | IO[bytes], *, name: str = "") -> list[Feature]:
    """Features of a GeoJSON, TopoJSON, shapefile (.shp beside .dbf) or zipped shapefile."""
    if isinstance(source, str | Path):
        path = Path(source)
        if not path.exists():
            raise Invalid(f"No file at {path}.", fields={"file": ["missing"]})
        if path.suffix.lower() == ".shp":
            try:
                with shapefile.Reader(str(path)) as reader:
                    return _read_shapefile(reader)
            except shapefile.ShapefileException as error:
                raise Invalid(
                    f"The shapefile cannot be read: {error}.", fields={"file": ["bad shapefile"]}
                ) from error
        with path.open("rb") as handle:
            return read_features(handle, name=path.name)
    data = source.read()
    if name.lower().endswith(".zip") or data[:4] == b"PK\x03\x04":
        return _read_zipped_shapefile(data)
    return _read_json(data)


def _read_zipped_shapefile(data: bytes) -> list[Feature]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = {Path(n).suffix.lower(): n for n in archive.namelist()}
        if ".shp" not in names or ".dbf" not in names:
            raise Invalid(
                "The zip holds no shapefile (.shp and .dbf).", fields={"file": ["no .shp/.dbf"]}
            )
        with shapefile.Reader(
            shp=io.BytesIO(archive.read(names[".shp"])),
            dbf=io.BytesIO(archive.read(names[".dbf"])),
            shx=io.BytesIO(archive.read(names[".shx"])) if ".shx" in names else None,
        ) as reader:
            return _read_shapefile(reader)
    except (zipfile.BadZipFile, shapefile.ShapefileException) as error:
        raise Invalid(
            f"The shapefile cannot be read: {error}.", fields={"file": ["bad shapefile"]}
        ) from error


# -- loading ------------------------------------------------------------------------------


def _geometry(feature: Feature, label: str) -> shapely.Geometry:
    raw = feature.get("geometry")
    if not isinstance(raw, dict) or raw.get("type") not in AREAL:
        kind = raw.get("type") if isinstance(raw, dict) else None
        raise Invalid(
            f"{label}: a boundary must be a Polygon or MultiPolygon, not {kind}.",
            fields={"file": [label]},
        )
    try:
        geometry = shape(raw)
    except (ValueError, TypeError, IndexError, AttributeError) as error:
        raise Invalid(
            f"{label}: unreadable geometry ({error}).", fields={"file": [label]}
        ) from error
    if geometry.is_empty:
        raise Invalid(f"{label}: the geometry is empty.", fields={"file": [label]})
    if not geometry.is_valid:
        # Self-touching rings are common in official files; repair, keep the areal part.
        geometry = shapely.make_valid(geometry)
        if geometry.geom_type == "GeometryCollection":
            geometry = shapely.union_all([g for g in geometry.geoms if g.geom_type in AREAL])
    min_lon, min_lat, max_lon, max_lat = geometry.bounds
    if min_lon < -180.5 or max_lon > 180.5 or min_lat < -90.5 or max_lat > 90.5:
        raise Invalid(
            f"{label}: coordinates are not longitude/latitude (WGS 84).", fields={"file": [label]}
        )
    return geometry


def load_boundaries(
    source: str | Path | IO[bytes],
    *,
    country: str,
    level: str,
    name_field: str = "name",
    code_field: str = "",
    source_label: str = "",
    by: Any = None,
) -> BoundaryReport:
    """Store the boundary of each feature on the place it describes, all or nothing.

    Features match places of `country` (ISO alpha-2) at `level` (a place kind) by the code
    in `code_field` (any scheme: ISO 3166-2, P-code) and else by the name in `name_field`.
    Former places count too, so historical boundaries (Kenya's provinces) can be loaded.
    """
    country = country.upper()
    if level not in PlaceKind.values:
        raise Invalid(f"Unknown level {level!r}.", fields={"level": ["unknown"]})
    label_of_source = source_label or (Path(source).name if isinstance(source, str | Path) else "")
    features = read_features(source)
    if not features:
        raise Invalid("The file has no features.", fields={"file": ["empty"]})
    places = {
        p.pk: p for p in Place.objects.filter(country_code=country, kind=level).order_by("path")
    }
    if not places:
        raise Invalid(
            f"There are no {level} places in {country} yet: load places first.",
            fields={"country": ["no places"]},
        )
    codes = dict(PlaceCode.objects.filter(place_id__in=places).values_list("code", "place_id"))
    names_by_place: dict[int, list[str]] = {pk: [p.name] for pk, p in places.items()}
    for alias_place, alias in Place.objects.filter(pk__in=places).values_list(
        "pk", "aliases__name"
    ):
        if alias:
            names_by_place[alias_place].append(alias)
    geometries: list[shapely.Geometry] = []
    labels: list[str] = []
    matched: dict[int, int] = {}
    by_name: list[int] = []
    for index, feature in enumerate(features):
        properties = feature.get("properties") or {}
        name = str(properties.get(name_field) or "").strip()
        code = str(properties.get(code_field) or "").strip() if code_field else ""
        label = f"feature {index + 1} ({name or code or 'no name'})"
        labels.append(label)
        geometries.append(_geometry(feature, label))
        if code and code in codes:
            matched[index] = codes[code]
        elif name:
            by_name.append(index)
    names = [str((features[i].get("properties") or {}).get(name_field) or "") for i in by_name]
    free = {pk: n for pk, n in names_by_place.items() if pk not in set(matched.values())}
    for position, pk in match_names(names, free).items():
        matched[by_name[position]] = pk
    missing = [labels[i] for i in range(len(features)) if i not in matched]
    if missing:
        raise Invalid(
            f"{len(missing)} of {len(features)} features match no {level} of {country}: "
            + ", ".join(missing[:10])
            + ("…" if len(missing) > 10 else "")
            + ". Nothing was loaded.",
            fields={"file": missing},
        )
    doubled = [pk for pk in set(matched.values()) if list(matched.values()).count(pk) > 1]
    if doubled:
        raise Invalid(
            "Several features match the same place: "
            + ", ".join(places[pk].name for pk in doubled)
            + ". Nothing was loaded.",
            fields={"file": [places[pk].name for pk in doubled]},
        )
    return _save_boundaries(matched, geometries, places, label_of_source, by=by)


@transaction.atomic
def _save_boundaries(
    matched: dict[int, int],
    geometries: list[shapely.Geometry],
    places: dict[int, Place],
    source: str,
    *,
    by: Any,
) -> BoundaryReport:
    report = BoundaryReport()
    for index, place_pk in matched.items():
        geometry = geometries[index]
        min_lon, min_lat, max_lon, max_lat = geometry.bounds
        _, created = Boundary.objects.update_or_create(
            place=places[place_pk],
            source=source,
            defaults={
                "geometry": mapping(geometry),
                "min_lon": min_lon,
                "min_lat": min_lat,
                "max_lon": max_lon,
                "max_lat": max_lat,
            },
        )
        if created:
            report.created += 1
        else:
            report.updated += 1
    record_event(None, "boundaries.loaded", by=by, note=f"{source}: {report}")
    bump_index_version()
    return report


# -- serving ------------------------------------------------------------------------------


def boundaries_geojson(place: Place, *, kinds: Iterable[str] = (), tolerance: float = 0.005) -> str:
    """The boundaries inside `place` as a GeoJSON FeatureCollection, simplified and cached.

    `tolerance` is in degrees (0.005° ≈ 500 m): light enough for a 2G phone, close enough
    for a base layer when map tiles are out of reach.
    """
    wanted = sorted(set(kinds))
    unknown = [kind for kind in wanted if kind not in PlaceKind.values]
    if unknown:
        raise Invalid(f"Unknown kind {unknown[0]!r}.", fields={"kind": unknown})
    key = f"geo:boundaries:{place.pk}:{','.join(wanted)}:{tolerance}:{index_version()}"
    cached = cache.get(key)
    if isinstance(cached, str):
        return cached
    rows = Boundary.objects.filter(
        place__path__startswith=place.path, place__valid_until__isnull=True
    ).select_related("place")
    if wanted:
        rows = rows.filter(place__kind__in=wanted)
    features = []
    for row in rows.order_by("place__path", "source"):
        geometry = shape(row.geometry)
        if tolerance > 0:
            geometry = shapely.simplify(geometry, tolerance, preserve_topology=True)
        features.append(
            {
                "type": "Feature",
                "id": str(row.place.uuid),
                "properties": {
                    "uuid": str(row.place.uuid),
                    "name": row.place.name,
                    "kind": row.place.kind,
                    "source": row.source,
                },
                "geometry": mapping(shapely.set_precision(geometry, 1e-5)),
            }
        )
    body = json.dumps({"type": "FeatureCollection", "features": features}, separators=(",", ":"))
    cache.set(key, body, timeout=24 * 3600)
    return body
