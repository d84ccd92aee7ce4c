"""Place writes: create, update, codes, aliases and retirement. Pages, API, loaders come here."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable, Sequence
from typing import Any, Final

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr

from i4p.core.audit import record_event
from i4p.core.errors import Duplicate, Invalid, WrongState
from i4p.core.text import fold
from i4p.geo.models import CodeScheme, Place, PlaceAlias, PlaceCode, PlaceKind
from i4p.geo.version import bump_index_version

# How deep each kind sits; a child must sit deeper than its parent.
KIND_RANK: Final[dict[str, int]] = {
    PlaceKind.COUNTRY: 0,
    PlaceKind.ADMIN1: 1,
    PlaceKind.ADMIN2: 2,
    PlaceKind.ADMIN3: 3,
    PlaceKind.LOCALITY: 4,
}


class _Unset:
    """Marks an argument of `update_place` the caller did not give."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = _Unset()


def place_path(parent: Place | None, pk: int) -> str:
    """The materialised path of a place: its ancestors' ids, then its own ("/4/87/912/")."""
    return f"{parent.path if parent is not None else '/'}{pk}/"


def valid_time_zone(name: str) -> bool:
    if not name:
        return True
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _validate(
    *,
    name: str,
    kind: str,
    parent: Place | None,
    country_code: str,
    latitude: float | None,
    longitude: float | None,
    time_zone: str,
    valid_from: dt.date | None,
    valid_until: dt.date | None,
) -> None:
    errors: dict[str, list[str]] = {}
    if not name.strip():
        errors["name"] = ["A place needs a name."]
    elif not fold(name):
        errors["name"] = ["The name needs at least one letter or digit."]
    if kind not in KIND_RANK:
        errors["kind"] = [f"Unknown kind {kind!r}."]
    elif kind == PlaceKind.COUNTRY:
        if parent is not None:
            errors["parent"] = ["A country has no parent place."]
        if len(country_code) != 2 or not country_code.isalpha():
            errors["country_code"] = ["A country needs its two-letter ISO 3166-1 code."]
    elif parent is None:
        errors["parent"] = ["Only a country may have no parent place."]
    elif KIND_RANK[kind] <= KIND_RANK.get(parent.kind, 0):
        errors["kind"] = [f"A {kind} cannot sit inside a {parent.kind}."]
    if parent is not None and country_code and country_code != parent.country_code:
        errors["country_code"] = [f"The parent place is in {parent.country_code}."]
    if (latitude is None) != (longitude is None):
        errors["latitude"] = ["Give both latitude and longitude, or neither."]
    if latitude is not None and not -90.0 <= latitude <= 90.0:
        errors["latitude"] = ["Latitude lies between -90 and 90."]
    if longitude is not None and not -180.0 <= longitude <= 180.0:
        errors["longitude"] = ["Longitude lies between -180 and 180."]
    if not valid_time_zone(time_zone):
        errors["time_zone"] = [f"Unknown time zone {time_zone!r}."]
    if valid_from and valid_until and valid_until < valid_from:
        errors["valid_until"] = ["A place cannot end before it begins."]
    if errors:
        raise Invalid("The place has invalid fields.", fields=errors)


def _check_not_duplicate(
    name: str, *, kind: str, parent: Place | None, country_code: str, exclude: int | None
) -> None:
    # Villages may share a name inside one district; administrative units may not.
    if kind == PlaceKind.LOCALITY:
        return
    siblings = Place.objects.filter(
        kind=kind, name_folded=fold(name), parent=parent, valid_until__isnull=True
    )
    if parent is None:
        siblings = siblings.filter(country_code=country_code)
    if exclude is not None:
        siblings = siblings.exclude(pk=exclude)
    if siblings.exists():
        where = parent.name if parent is not None else country_code
        raise Duplicate(
            f"{name} already exists as a {kind} in {where}.", fields={"name": ["Already exists."]}
        )


@transaction.atomic
def create_place(
    name: str,
    *,
    kind: str,
    parent: Place | None = None,
    country_code: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
    population: int | None = None,
    time_zone: str = "",
    valid_from: dt.date | None = None,
    valid_until: dt.date | None = None,
    codes: Iterable[tuple[str, str]] = (),
    aliases: Iterable[str] = (),
    by: Any = None,
) -> Place:
    """Create a place under `parent`; `codes` are (scheme, code) pairs."""
    name = name.strip()
    country_code = country_code.upper() or (parent.country_code if parent is not None else "")
    _validate(
        name=name,
        kind=kind,
        parent=parent,
        country_code=country_code,
        latitude=latitude,
        longitude=longitude,
        time_zone=time_zone,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    _check_not_duplicate(name, kind=kind, parent=parent, country_code=country_code, exclude=None)
    place = Place.objects.create(
        name=name,
        kind=kind,
        parent=parent,
        country_code=country_code,
        name_folded=fold(name),
        latitude=latitude,
        longitude=longitude,
        population=population,
        time_zone=time_zone or (parent.time_zone if parent is not None else ""),
        valid_from=valid_from,
        valid_until=valid_until,
        depth=(parent.depth + 1) if parent is not None else 0,
    )
    place.path = place_path(parent, place.pk)
    place.save(update_fields=["path"])
    for scheme, code in codes:
        _add_code(place, scheme=scheme, code=code)
    for alias in aliases:
        _add_alias(place, name=alias, language="")
    record_event(place, "place.created", by=by, fields=["name", "kind", "parent"])
    bump_index_version()
    return place


@transaction.atomic
def update_place(
    place: Place,
    *,
    by: Any = None,
    name: str | _Unset = UNSET,
    parent: Place | _Unset | None = UNSET,
    latitude: float | _Unset | None = UNSET,
    longitude: float | _Unset | None = UNSET,
    population: int | _Unset | None = UNSET,
    time_zone: str | _Unset = UNSET,
    valid_from: dt.date | _Unset | None = UNSET,
) -> Place:
    """Change a place; moving it under another parent moves its whole subtree with it."""
    new_name = place.name if isinstance(name, _Unset) else name.strip()
    new_parent = place.parent if isinstance(parent, _Unset) else parent
    new_lat = place.latitude if isinstance(latitude, _Unset) else latitude
    new_lon = place.longitude if isinstance(longitude, _Unset) else longitude
    new_tz = place.time_zone if isinstance(time_zone, _Unset) else time_zone
    new_from = place.valid_from if isinstance(valid_from, _Unset) else valid_from
    _validate(
        name=new_name,
        kind=place.kind,
        parent=new_parent,
        country_code=place.country_code,
        latitude=new_lat,
        longitude=new_lon,
        time_zone=new_tz,
        valid_from=new_from,
        valid_until=place.valid_until,
    )
    if new_parent is not None and new_parent.path.startswith(place.path):
        raise Invalid("A place cannot sit inside itself.", fields={"parent": ["A descendant."]})
    changed: list[str] = []
    if new_name != place.name:
        place.name, place.name_folded = new_name, fold(new_name)
        changed += ["name", "name_folded"]
    for field, value in (
        ("latitude", new_lat),
        ("longitude", new_lon),
        ("time_zone", new_tz),
        ("valid_from", new_from),
    ):
        if getattr(place, field) != value:
            setattr(place, field, value)
            changed.append(field)
    if not isinstance(population, _Unset) and population != place.population:
        place.population = population
        changed.append("population")
    moved = (new_parent.pk if new_parent else None) != place.parent_id
    if "name" in changed or moved:
        _check_not_duplicate(
            new_name,
            kind=place.kind,
            parent=new_parent,
            country_code=place.country_code,
            exclude=place.pk,
        )
    if moved:
        _move(place, new_parent)
        changed += ["parent", "path", "depth"]
    if not changed:
        return place
    place.save(update_fields=[*changed, "updated_at"])
    record_event(place, "place.updated", by=by, fields=changed)
    bump_index_version()
    return place


def _move(place: Place, parent: Place | None) -> None:
    old_path, old_depth = place.path, place.depth
    new_path = place_path(parent, place.pk)
    new_depth = (parent.depth + 1) if parent is not None else 0
    # One statement rewrites the prefix of every descendant, on either database.
    Place.objects.filter(path__startswith=old_path).exclude(pk=place.pk).update(
        path=Concat(Value(new_path), Substr("path", len(old_path) + 1)),
        depth=F("depth") + (new_depth - old_depth),
    )
    place.parent = parent
    place.path, place.depth = new_path, new_depth


def _add_code(place: Place, *, scheme: str, code: str) -> PlaceCode:
    code = code.strip()
    if scheme not in CodeScheme.values:
        raise Invalid(f"Unknown code scheme {scheme!r}.", fields={"scheme": ["Unknown."]})
    if not code:
        raise Invalid("A code cannot be empty.", fields={"code": ["Required."]})
    existing = PlaceCode.objects.filter(scheme=scheme, code=code).select_related("place").first()
    if existing is not None:
        if existing.place_id != place.pk:
            raise Duplicate(
                f"{scheme} code {code} already belongs to {existing.place.name}.",
                fields={"code": ["Already used."]},
            )
        return existing
    return PlaceCode.objects.create(place=place, scheme=scheme, code=code)


@transaction.atomic
def add_code(place: Place, *, scheme: str, code: str, by: Any = None) -> PlaceCode:
    """Give a place a code in a scheme (ISO 3166, P-code, GeoNames); the same code twice is fine."""
    row = _add_code(place, scheme=scheme, code=code)
    record_event(place, "place.code_added", by=by, fields=["codes"], note=f"{scheme}:{code}")
    bump_index_version()
    return row


def _add_alias(place: Place, *, name: str, language: str) -> PlaceAlias:
    name = name.strip()
    if not fold(name):
        raise Invalid("An alias needs at least one letter.", fields={"name": ["Required."]})
    alias, _ = PlaceAlias.objects.get_or_create(
        place=place, name=name, defaults={"name_folded": fold(name), "language": language}
    )
    return alias


@transaction.atomic
def add_alias(place: Place, *, name: str, language: str = "", by: Any = None) -> PlaceAlias:
    """Record another name of a place (a spelling, a language, a former name)."""
    alias = _add_alias(place, name=name, language=language)
    record_event(place, "place.alias_added", by=by, fields=["aliases"])
    bump_index_version()
    return alias


@transaction.atomic
def retire_place(
    place: Place,
    *,
    successors: Sequence[Place] = (),
    valid_until: dt.date,
    by: Any = None,
) -> Place:
    """End a place's validity and say which places took over (Kenya's provinces → counties)."""
    if place.valid_until is not None and place.valid_until != valid_until:
        raise WrongState(f"{place.name} was already retired on {place.valid_until:%Y-%m-%d}.")
    if place.valid_from is not None and valid_until < place.valid_from:
        raise Invalid(
            "A place cannot end before it begins.", fields={"valid_until": ["Too early."]}
        )
    for successor in successors:
        if successor.pk == place.pk:
            raise Invalid("A place cannot succeed itself.", fields={"successors": ["Itself."]})
    place.valid_until = valid_until
    place.save(update_fields=["valid_until", "updated_at"])
    if successors:
        place.successors.add(*successors)
    record_event(place, "place.retired", by=by, fields=["valid_until", "successors"])
    bump_index_version()
    return place
