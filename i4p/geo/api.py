"""Geography endpoints of /api/v1: places, locate, geocode and boundaries for maps."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status

from i4p.api.auth import anyone, require_perm, require_write, token_or_session
from i4p.api.schemas import ERRORS, MAX_OFFSET, InputSchema
from i4p.geo import selectors, services
from i4p.geo.boundaries import boundaries_geojson
from i4p.geo.geocode import geocode
from i4p.geo.locate import PlaceRef, locate_one
from i4p.geo.models import Place

router = Router(tags=["places"])


class PlaceRefOut(Schema):
    uuid: uuid.UUID
    name: str
    kind: str
    country_code: str


class PlaceOut(Schema):
    uuid: uuid.UUID
    name: str
    kind: str
    country_code: str
    parent: PlaceRefOut | None
    latitude: float | None
    longitude: float | None
    time_zone: str
    valid_from: dt.date | None
    valid_until: dt.date | None


class PlaceListOut(Schema):
    count: int
    limit: int
    offset: int
    items: list[PlaceOut]


class CodeOut(Schema):
    scheme: str
    code: str


class AliasOut(Schema):
    name: str
    language: str


class PlaceDetailOut(PlaceOut):
    population: int | None
    codes: list[CodeOut]
    aliases: list[AliasOut]
    ancestors: list[PlaceRefOut]
    successors: list[PlaceRefOut]
    predecessors: list[PlaceRefOut]


class CodeIn(InputSchema):
    scheme: str
    code: str = Field(min_length=1, max_length=40)


class PlaceIn(InputSchema):
    name: str = Field(min_length=1, max_length=200)
    kind: str
    parent: uuid.UUID | None = None
    country_code: str = Field("", max_length=2)
    latitude: float | None = None
    longitude: float | None = None
    population: int | None = Field(None, ge=0, le=2**63 - 1)  # a 64-bit column
    time_zone: str = ""
    valid_from: dt.date | None = None
    codes: list[CodeIn] = []
    aliases: list[str] = []


class PlacePatchIn(InputSchema):
    name: str | None = Field(None, min_length=1, max_length=200)
    parent: uuid.UUID | None = None
    latitude: float | None = None
    longitude: float | None = None
    population: int | None = Field(None, ge=0, le=2**63 - 1)  # a 64-bit column
    time_zone: str | None = None
    valid_from: dt.date | None = None


class PlaceListQuery(Schema):
    kind: str = ""
    country: str = Field("", max_length=2)
    parent: uuid.UUID | None = None
    q: str = Field("", max_length=200)
    current: bool = False
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class LocateQuery(Schema):
    lat: float = Field(..., ge=-90, le=90)
    lon: float = Field(..., ge=-180, le=180)


class LocateOut(Schema):
    country: PlaceRefOut | None
    admin1: PlaceRefOut | None
    admin2: PlaceRefOut | None
    nearest: PlaceRefOut | None
    method: str
    distance_m: float | None
    precision: str


class GeocodeQuery(Schema):
    q: str = Field(..., min_length=1, max_length=200)
    country: str = Field("", max_length=2)
    limit: int = Field(10, ge=1, le=100)


class CandidateOut(Schema):
    place: PlaceOut
    score: float
    matched_name: str
    kind: str


class BoundariesQuery(Schema):
    kind: list[str] = []
    tolerance: float = Field(0.005, ge=0, le=1)


def _ref(place: Place | PlaceRef | None) -> dict[str, Any] | None:
    if place is None:
        return None
    return {
        "uuid": place.uuid,
        "name": place.name,
        "kind": place.kind,
        "country_code": place.country_code,
    }


def _place(place: Place) -> dict[str, Any]:
    return {
        "uuid": place.uuid,
        "name": place.name,
        "kind": place.kind,
        "country_code": place.country_code,
        "parent": _ref(place.parent),
        "latitude": place.latitude,
        "longitude": place.longitude,
        "time_zone": place.time_zone,
        "valid_from": place.valid_from,
        "valid_until": place.valid_until,
    }


def _detail(place: Place) -> dict[str, Any]:
    return {
        **_place(place),
        "population": place.population,
        "codes": [{"scheme": c.scheme, "code": c.code} for c in place.codes.all()],
        "aliases": [{"name": a.name, "language": a.language} for a in place.aliases.all()],
        "ancestors": [_ref(p) for p in selectors.ancestors_of(place)],
        "successors": [_ref(p) for p in place.successors.all()],
        "predecessors": [_ref(p) for p in place.predecessors.all()],
    }


@router.get("/places", response={200: PlaceListOut, **ERRORS}, auth=anyone)
def list_places(request: HttpRequest, filters: Query[PlaceListQuery]) -> dict[str, Any]:
    """Places by kind, country, parent or name (aliases too); public."""
    places = selectors.search_places(
        selectors.PlaceFilters(
            kind=filters.kind,
            country=filters.country,
            parent=filters.parent,
            q=filters.q,
            current_only=filters.current,
        )
    )
    page = list(places[filters.offset : filters.offset + filters.limit])
    return {
        "count": places.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "items": [_place(p) for p in page],
    }


@router.get("/places/locate", response={200: LocateOut, **ERRORS}, auth=anyone)
def locate_place(request: HttpRequest, point: Query[LocateQuery]) -> dict[str, Any]:
    """The country, admin1 and admin2 of a point, and the nearest populated place."""
    found = locate_one(point.lat, point.lon)
    return {
        "country": _ref(found.country),
        "admin1": _ref(found.admin1),
        "admin2": _ref(found.admin2),
        "nearest": _ref(found.nearest),
        "method": found.method,
        "distance_m": round(found.distance_m, 1) if found.nearest is not None else None,
        "precision": found.precision,
    }


@router.get("/places/geocode", response={200: list[CandidateOut], **ERRORS}, auth=anyone)
def geocode_places(request: HttpRequest, query: Query[GeocodeQuery]) -> list[dict[str, Any]]:
    """Places matching a name, tolerant of diacritics and other spellings; best first."""
    return [
        {
            "place": _place(c.place),
            "score": c.score,
            "matched_name": c.matched_name,
            "kind": c.kind,
        }
        for c in geocode(query.q, country=query.country or None, limit=query.limit)
    ]


@router.get("/places/{uuid:place_uuid}", response={200: PlaceDetailOut, **ERRORS}, auth=anyone)
def get_place(request: HttpRequest, place_uuid: uuid.UUID) -> dict[str, Any]:
    """One place: codes, aliases, its chain of parents, successors and predecessors."""
    return _detail(selectors.place_detail(place_uuid))


@router.get(
    "/places/{uuid:place_uuid}/boundaries.geojson",
    auth=anyone,
    response={200: dict[str, Any], **ERRORS},
    openapi_extra={"responses": {200: {"content": {"application/geo+json": {}}}}},
)
def place_boundaries(
    request: HttpRequest, place_uuid: uuid.UUID, query: Query[BoundariesQuery]
) -> HttpResponse:
    """The loaded boundaries inside a place (GeoJSON, simplified): a base layer for offline maps."""
    place = selectors.place_detail(place_uuid)
    body = boundaries_geojson(place, kinds=query.kind, tolerance=query.tolerance)
    response = HttpResponse(body, content_type="application/geo+json")
    response["Cache-Control"] = "public, max-age=3600"
    return response


# accounts.permissions.Perm.MANAGE_PLACES (geo sits below accounts: named, not imported).
MANAGE_PLACES = "geo.manage"


def _may_manage(request: HttpRequest, where: Place | None) -> None:
    require_write(request)
    # A country (no parent) can only be added by someone who manages places everywhere.
    where_name = where.name if where is not None else "every country"
    require_perm(
        request, MANAGE_PLACES, where, message=f"You cannot manage places in {where_name}."
    )


@router.post("/places", response={201: PlaceDetailOut, **ERRORS}, auth=token_or_session)
def create_place(request: HttpRequest, payload: PlaceIn) -> Status[dict[str, Any]]:
    """Add a place under a parent (needs place management there and a write token)."""
    require_write(request)
    parent = selectors.place_by_uuid(payload.parent)
    _may_manage(request, parent)
    place = services.create_place(
        payload.name,
        kind=payload.kind,
        parent=parent,
        country_code=payload.country_code,
        latitude=payload.latitude,
        longitude=payload.longitude,
        population=payload.population,
        time_zone=payload.time_zone,
        valid_from=payload.valid_from,
        codes=[(c.scheme, c.code) for c in payload.codes],
        aliases=payload.aliases,
        by=request.user,
    )
    return Status(201, _detail(selectors.place_detail(place.uuid)))


@router.patch(
    "/places/{uuid:place_uuid}", response={200: PlaceDetailOut, **ERRORS}, auth=token_or_session
)
def update_place(
    request: HttpRequest, place_uuid: uuid.UUID, payload: PlacePatchIn
) -> dict[str, Any]:
    """Change a place (needs place management where it is, and where it moves to)."""
    require_write(request)
    place = selectors.place_detail(place_uuid)
    _may_manage(request, place)
    changes: dict[str, Any] = payload.model_dump(exclude_unset=True)
    if "parent" in changes:
        changes["parent"] = selectors.place_by_uuid(changes["parent"])
        if changes["parent"] is None or changes["parent"].pk != place.parent_id:
            _may_manage(request, changes["parent"])
    if changes.get("name") is None:
        changes.pop("name", None)
    if "time_zone" in changes and changes["time_zone"] is None:
        changes["time_zone"] = ""
    services.update_place(place, by=request.user, **changes)
    return _detail(selectors.place_detail(place.uuid))
