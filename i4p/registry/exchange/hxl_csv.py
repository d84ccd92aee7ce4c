"""CSV with HXL hashtags: a header row for people, a hashtag row for machines, then the data.

Multi-valued cells hold their values separated by “|”. Sources are a JSON list, the one
cell that needs structure (quote, title and link of each source).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from django.utils.translation import gettext as _

from i4p.geo.models import Place, PlaceKind
from i4p.registry.exchange.places import PlaceBook, PlaceFinder
from i4p.registry.exchange.rows import (
    ActorRef,
    ActorRow,
    BadValue,
    ParsedFile,
    Problem,
    RelationRow,
    read_date,
    read_flag,
    read_kind,
    read_level,
    read_relation_kind,
    read_status,
    read_uuid,
    read_visibility,
    split_list,
)
from i4p.registry.exchange.source import ExportSource, contacts_by_actor
from i4p.registry.models import Actor, Relation

# A scheme becomes an HXL attribute (#org +code +iati) when it is spelled like one.
_ATTRIBUTE = re.compile(r"^[a-z][a-z0-9_]*$")
# libhxl and the HXL standard look for the hashtag row within the first 25 rows.
_MAX_HEADER_ROWS = 25

ACTOR_COLUMNS: list[tuple[str, str]] = [
    ("Name", "#org +name"),
    ("Acronym", "#org +acronym"),
    ("Other names", "#org +name +alt"),
    ("i4p id", "#org +code +i4p"),
    ("IATI organisation id", "#org +code +iati"),
    # identifier columns of other schemes go here, one per scheme
    ("Kind", "#org +type"),
    ("Level", "#meta +level"),
    ("Status", "#status"),
    ("Description", "#description"),
    ("Themes", "#sector +code"),
    ("Country code", "#country +code"),
    ("Country", "#country +name"),
    ("Admin 1 code", "#adm1 +code"),
    ("Admin 1", "#adm1 +name"),
    ("Admin 2 code", "#adm2 +code"),
    ("Admin 2", "#adm2 +name"),
    ("Place", "#loc +name"),
    ("Place id", "#loc +code +i4p"),
    ("Latitude", "#geo +lat"),
    ("Longitude", "#geo +lon"),
    ("Areas covered", "#loc +code +coverage"),
    ("Website", "#org +url"),
    ("Founded", "#date +start"),
    ("E-mail", "#contact +email"),
    ("Phone", "#contact +phone"),
    ("Sources", "#meta +source"),
    ("Illustrative entry", "#meta +illustrative"),
    ("Moderation", "#meta +moderation"),
]

RELATION_COLUMNS: list[tuple[str, str]] = [
    ("Relation id", "#meta +id +i4p"),
    ("From", "#org +name +from"),
    ("From i4p id", "#org +code +i4p +from"),
    ("From country", "#country +code +from"),
    ("Relation", "#meta +relation"),
    ("To", "#org +name +to"),
    ("To i4p id", "#org +code +i4p +to"),
    ("To country", "#country +code +to"),
    ("Started", "#date +start"),
    ("Ended", "#date +end"),
    ("Source", "#meta +source"),
    ("Source link", "#meta +source +url"),
    ("Visibility", "#meta +visibility"),
    ("Illustrative entry", "#meta +illustrative"),
]


def _csv_chunk(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def _coordinate(value: float | None) -> str:
    return "" if value is None else f"{round(value, 6):.6f}".rstrip("0").rstrip(".")


def actors_csv(source: ExportSource) -> Iterator[str]:
    """The actors CSV, produced a batch at a time."""
    schemes = source.identifier_schemes()
    own = [s for s in schemes if s != "iati" and s != "i4p" and _ATTRIBUTE.match(s)]
    odd = [s for s in schemes if s not in own and s not in ("iati", "i4p")]
    columns = list(ACTOR_COLUMNS)
    at = columns.index(("IATI organisation id", "#org +code +iati")) + 1
    extra = [(f"Identifier ({scheme})", f"#org +code +{scheme}") for scheme in own]
    if odd:
        extra.append(("Other identifiers", "#org +code +other"))
    columns[at:at] = extra
    yield _csv_chunk([[header for header, _tag in columns], [tag for _h, tag in columns]])
    for batch in source.batches():
        contacts = contacts_by_actor(source.user, batch)
        rows = []
        for actor in batch:
            values = _actor_values(actor, source.places, contacts.get(actor.pk, []), odd)
            rows.append([values.get(tag, "") for _header, tag in columns])
        yield _csv_chunk(rows)


def _actor_values(
    actor: Actor, places: PlaceBook, contacts: list[Any], odd_schemes: list[str]
) -> dict[str, str]:
    identifiers = sorted((i.scheme, i.identifier) for i in actor.identifiers.all())
    values = {
        "#org +name": actor.name,
        "#org +acronym": actor.acronym,
        "#org +name +alt": " | ".join(actor.other_names or []),
        "#org +code +i4p": str(actor.uuid),
        "#org +type": actor.kind,
        "#meta +level": actor.level,
        "#status": actor.status,
        "#description": actor.description,
        "#sector +code": " | ".join(sorted(theme.slug for theme in actor.themes.all())),
        "#loc +code +coverage": " | ".join(
            places.reference(place) for place in sorted(actor.coverage.all(), key=_by_pk)
        ),
        "#org +url": actor.website,
        "#date +start": actor.founded_on.isoformat() if actor.founded_on else "",
        "#contact +email": " | ".join(c.value for c in contacts if c.kind == "email"),
        "#contact +phone": " | ".join(c.value for c in contacts if c.kind == "phone"),
        "#meta +source": json.dumps(actor.sources, ensure_ascii=False) if actor.sources else "",
        "#meta +illustrative": "yes" if actor.illustrative else "",
        "#meta +moderation": actor.moderation,
    }
    for scheme, identifier in identifiers:
        tag = "#org +code +other" if scheme in odd_schemes else f"#org +code +{scheme}"
        text = f"{scheme}:{identifier}" if scheme in odd_schemes else identifier
        values[tag] = f"{values[tag]} | {text}" if values.get(tag) else text
    place = places.get(actor.place_id)
    if place is not None:
        values.update(_place_values(place, places))
    return values


def _by_pk(place: Place) -> int:
    return place.pk


def _place_values(place: Place, places: PlaceBook) -> dict[str, str]:
    country = places.ancestor(place, PlaceKind.COUNTRY)
    admin1 = places.ancestor(place, PlaceKind.ADMIN1)
    admin2 = places.ancestor(place, PlaceKind.ADMIN2)
    point = places.point(place)
    return {
        "#country +code": place.country_code,
        "#country +name": country.name if country else "",
        "#adm1 +code": places.code(admin1) if admin1 else "",
        "#adm1 +name": admin1.name if admin1 else "",
        "#adm2 +code": places.code(admin2) if admin2 else "",
        "#adm2 +name": admin2.name if admin2 else "",
        "#loc +name": place.name if place.kind in (PlaceKind.ADMIN3, PlaceKind.LOCALITY) else "",
        "#loc +code +i4p": str(place.uuid),
        "#geo +lat": _coordinate(point[1]) if point else "",
        "#geo +lon": _coordinate(point[0]) if point else "",
    }


def relations_csv(source: ExportSource) -> Iterator[str]:
    yield _csv_chunk(
        [[header for header, _tag in RELATION_COLUMNS], [tag for _h, tag in RELATION_COLUMNS]]
    )
    rows: list[list[str]] = []
    for relation in source.relations():
        values = _relation_values(relation)
        rows.append([values.get(tag, "") for _header, tag in RELATION_COLUMNS])
        if len(rows) == 2000:
            yield _csv_chunk(rows)
            rows = []
    if rows:
        yield _csv_chunk(rows)


def _relation_values(relation: Relation) -> dict[str, str]:
    source, target = relation.source, relation.target
    return {
        "#meta +id +i4p": str(relation.uuid),
        "#org +name +from": source.name,
        "#org +code +i4p +from": str(source.uuid),
        "#country +code +from": source.place.country_code if source.place else "",
        "#meta +relation": relation.kind,
        "#org +name +to": target.name,
        "#org +code +i4p +to": str(target.uuid),
        "#country +code +to": target.place.country_code if target.place else "",
        "#date +start": relation.started_on.isoformat() if relation.started_on else "",
        "#date +end": relation.ended_on.isoformat() if relation.ended_on else "",
        "#meta +source": relation.source_text,
        "#meta +source +url": relation.source_url,
        "#meta +visibility": relation.visibility,
        "#meta +illustrative": "yes" if relation.illustrative else "",
    }


# Reading ---------------------------------------------------------------------------------


def tag_key(tag: str) -> tuple[str, frozenset[str]]:
    """'#org +code +IATI' -> ('org', {'code', 'iati'}); language attributes (+i_fr) dropped."""
    parts = [part.strip().lower() for part in tag.strip().split("+")]
    hashtag = parts[0].lstrip("#").strip()
    attributes = frozenset(a for a in parts[1:] if a and not a.startswith("i_"))
    return hashtag, attributes


def _is_hashtag_row(cells: list[str]) -> bool:
    filled = [cell.strip() for cell in cells if cell.strip()]
    return bool(filled) and all(re.match(r"^#[A-Za-z][\w]*(\s*\+\s*\w+)*$", c) for c in filled)


def parse_csv(text: str) -> ParsedFile:
    records = list(csv.reader(io.StringIO(text, newline="")))
    tag_at = next(
        (i for i, row in enumerate(records[:_MAX_HEADER_ROWS]) if _is_hashtag_row(row)), None
    )
    if tag_at is None:
        return ParsedFile(
            kind="actors",
            problems=[
                Problem(
                    _("The file"),
                    "",
                    _("No row of HXL hashtags (like “#org +name”) was found in the first 25 rows."),
                )
            ],
        )
    headers = records[tag_at - 1] if tag_at > 0 else []
    tags = records[tag_at]
    columns: dict[tuple[str, frozenset[str]], tuple[int, str]] = {}
    for index, tag in enumerate(tags):
        if not tag.strip():
            continue
        header = headers[index].strip() if index < len(headers) else ""
        label = f"{header} ({tag.strip()})" if header else tag.strip()
        columns.setdefault(tag_key(tag), (index, label))
    data = [(number, row) for number, row in enumerate(records, start=1)][tag_at + 1 :]
    data = [(number, row) for number, row in data if any(cell.strip() for cell in row)]
    is_relations = any(key[0] == "org" and key[1] & {"from", "to"} for key in columns)
    reader = _RelationReader(columns) if is_relations else _ActorReader(columns)
    return reader.read(data)


class _Reader:
    kind = ""

    def __init__(self, columns: dict[tuple[str, frozenset[str]], tuple[int, str]]) -> None:
        self.columns = columns
        self.parsed = ParsedFile(kind=self.kind)

    def column(self, hashtag: str, *attributes: str) -> tuple[int, str] | None:
        return self.columns.get((hashtag, frozenset(attributes)))

    def cell(self, row: list[str], column: tuple[int, str] | None) -> str:
        if column is None or column[0] >= len(row):
            return ""
        return row[column[0]].strip()

    def read(self, data: list[tuple[int, list[str]]]) -> ParsedFile:
        for number, row in data:
            self.read_row(number, row)
        return self.parsed

    def read_row(self, number: int, row: list[str]) -> None:
        raise NotImplementedError

    def problem(self, number: int, column: tuple[int, str] | None, message: str) -> None:
        label = column[1] if column else ""
        self.parsed.problems.append(
            Problem(_("Row %(number)d") % {"number": number}, label, message, row=number)
        )


class _ActorReader(_Reader):
    kind = "actors"

    def __init__(self, columns: dict[tuple[str, frozenset[str]], tuple[int, str]]) -> None:
        super().__init__(columns)
        self.finder = PlaceFinder()
        self.name = self.column("org", "name") or self.column("org")
        self.identifier_columns = {
            next(iter(attributes - {"code"})): column
            for (hashtag, attributes), column in columns.items()
            if hashtag == "org"
            and "code" in attributes
            and len(attributes) == 2
            and "i4p" not in attributes
        }
        simple = {
            "acronym": ("org", "acronym"),
            "other_names": ("org", "name", "alt"),
            "kind": ("org", "type"),
            "level": ("meta", "level"),
            "status": ("status",),
            "description": ("description",),
            "website": ("org", "url"),
            "founded_on": ("date", "start"),
            "sources": ("meta", "source"),
            "illustrative": ("meta", "illustrative"),
            "coverage": ("loc", "code", "coverage"),
        }
        self.fields = {
            name: column
            for name, spec in simple.items()
            if (column := self.column(spec[0], *spec[1:])) is not None
        }
        themes = self.column("sector", "code") or self.column("sector")
        if themes is not None:
            self.fields["themes"] = themes
        self.uuid = self.column("org", "code", "i4p")
        self.place_columns = {
            "uuid": self.column("loc", "code", "i4p"),
            "country": self.column("country", "code"),
            "adm1": self.column("adm1", "code"),
            "adm2": self.column("adm2", "code"),
            "locality": self.column("loc", "name"),
        }
        if self.name is None:
            self.parsed.problems.append(
                Problem(_("The file"), "", _("It has no column tagged “#org +name”."))
            )

    def read(self, data: list[tuple[int, list[str]]]) -> ParsedFile:
        if self.name is None:
            return self.parsed
        return super().read(data)

    def read_row(self, number: int, row: list[str]) -> None:
        item = ActorRow(
            row=number, location=_("Row %(number)d") % {"number": number}, ref=ActorRef()
        )
        readers: dict[str, Callable[[str], Any]] = {
            "acronym": str,
            "other_names": split_list,
            "kind": read_kind,
            "level": read_level,
            "status": read_status,
            "description": str,
            "website": str,
            "founded_on": read_date,
            "sources": _read_sources,
            "illustrative": read_flag,
            "themes": split_list,
        }
        problems = len(self.parsed.problems)
        item.values["name"] = self.cell(row, self.name)
        assert self.name is not None
        item.columns["name"] = self.name[1]
        if not item.values["name"]:
            self.problem(number, self.name, _("A name is required."))
        try:
            item.ref.uuid = read_uuid(self.cell(row, self.uuid))
        except BadValue as error:
            self.problem(number, self.uuid, str(error))
        for name, column in self.fields.items():
            item.columns[name] = column[1]
            if name == "coverage":
                continue
            try:
                item.values[name] = readers[name](self.cell(row, column))
            except BadValue as error:
                self.problem(number, column, str(error))
        identifiers: list[tuple[str, str]] = []
        for scheme, column in self.identifier_columns.items():
            item.columns["identifiers"] = column[1]
            for value in split_list(self.cell(row, column)):
                if scheme == "other":
                    found, _sep, identifier = value.partition(":")
                    if not identifier:
                        self.problem(number, column, _("Write other identifiers as scheme:id."))
                        continue
                    identifiers.append((found.strip(), identifier.strip()))
                else:
                    identifiers.append((scheme, value))
        if self.identifier_columns:
            item.values["identifiers"] = identifiers
            schemes = set(self.identifier_columns)
            item.identifier_schemes = None if "other" in schemes else schemes
        item.ref.identifiers = identifiers
        item.ref.name = item.values["name"]
        item.ref.country = self.cell(row, self.place_columns["country"]).upper()
        self._read_places(number, row, item)
        if len(self.parsed.problems) == problems:
            self.parsed.actors.append(item)

    def _read_places(self, number: int, row: list[str], item: ActorRow) -> None:
        given = {k: c for k, c in self.place_columns.items() if c is not None}
        if given:
            try:
                item.values["place"] = self._seat(row)
            except _PlaceProblem as problem:
                self.problem(number, problem.column, problem.message)
            label = next(iter(given.values()))[1]
            item.columns["place"] = label
        coverage = self.fields.get("coverage")
        if coverage is not None:
            found: list[Place] = []
            for reference in split_list(self.cell(row, coverage)):
                place = self.finder.find(reference)
                if place is None:
                    self.problem(number, coverage, _no_place(reference))
                else:
                    found.append(place)
            item.values["coverage"] = found

    def _seat(self, row: list[str]) -> Place | None:
        columns = self.place_columns
        place_id = self.cell(row, columns["uuid"])
        if place_id:
            place = self.finder.find(place_id)
            if place is not None:
                return place
        place = None
        for key in ("adm2", "adm1", "country"):
            code = self.cell(row, columns[key])
            if code:
                place = self.finder.find(code)
                if place is None:
                    raise _PlaceProblem(columns[key], _no_place(code))
                break
        locality = self.cell(row, columns["locality"])
        if locality:
            matches = self.finder.locality(locality, inside=place)
            if len(matches) != 1:
                where = place.name if place is not None else _("any country")
                message = (
                    _("No place called “%(name)s” was found in %(where)s.")
                    if not matches
                    else _("Several places are called “%(name)s” in %(where)s; give a P-code.")
                )
                raise _PlaceProblem(
                    columns["locality"], message % {"name": locality, "where": where}
                )
            place = matches[0]
        if place is None and place_id:
            raise _PlaceProblem(columns["uuid"], _no_place(place_id))
        country = self.cell(row, columns["country"]).upper()
        if place is not None and country and place.country_code != country:
            raise _PlaceProblem(
                columns["country"],
                _("%(place)s is not in the country %(code)s.")
                % {"place": place.name, "code": country},
            )
        return place


class _PlaceProblem(Exception):
    def __init__(self, column: tuple[int, str] | None, message: str) -> None:
        super().__init__(message)
        self.column = column
        self.message = message


def _no_place(reference: str) -> str:
    return _("No place has the code or id “%(code)s”.") % {"code": reference}


def _read_sources(text: str) -> list[dict[str, str]]:
    if not text:
        return []
    if not text.startswith("["):
        return [{"url": url} for url in split_list(text)]
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        raise BadValue(_("The sources are not a readable JSON list.")) from None
    if not isinstance(value, list) or not all(
        isinstance(item, dict) and all(isinstance(v, str) for v in item.values()) for item in value
    ):
        raise BadValue(_("Each source must be an object of quote, title and url texts."))
    return value


class _RelationReader(_Reader):
    kind = "relations"

    def read_row(self, number: int, row: list[str]) -> None:
        problems = len(self.parsed.problems)
        ends = {}
        for side in ("from", "to"):
            reference = ActorRef(
                name=self.cell(row, self.column("org", "name", side)),
                country=self.cell(row, self.column("country", "code", side)),
            )
            column = self.column("org", "code", "i4p", side)
            try:
                reference.uuid = read_uuid(self.cell(row, column))
            except BadValue as error:
                self.problem(number, column, str(error))
            for (hashtag, attributes), found in self.columns.items():
                rest = attributes - {"code", side}
                if (
                    hashtag == "org"
                    and len(attributes) == 3
                    and "code" in attributes
                    and side in attributes
                    and rest != {"i4p"}
                ):
                    value = self.cell(row, found)
                    if value:
                        reference.identifiers.append((next(iter(rest)), value))
            if not (reference.uuid or reference.name or reference.identifiers):
                self.problem(
                    number,
                    self.column("org", "name", side),
                    _("Say which organisation the relation goes %(side)s.") % {"side": side},
                )
            ends[side] = reference
        uuid_column = self.column("meta", "id", "i4p")
        item = RelationRow(
            row=number,
            location=_("Row %(number)d") % {"number": number},
            uuid=None,
            source=ends["from"],
            target=ends["to"],
        )
        try:
            item.uuid = read_uuid(self.cell(row, uuid_column))
        except BadValue as error:
            self.problem(number, uuid_column, str(error))
        fields: dict[str, tuple[tuple[str, ...], Any]] = {
            "kind": (("meta", "relation"), read_relation_kind),
            "started_on": (("date", "start"), read_date),
            "ended_on": (("date", "end"), read_date),
            "source_text": (("meta", "source"), str),
            "source_url": (("meta", "source", "url"), str),
            "visibility": (("meta", "visibility"), read_visibility),
            "illustrative": (("meta", "illustrative"), read_flag),
        }
        for name, (spec, reader) in fields.items():
            column = self.column(spec[0], *spec[1:])
            if column is None:
                if name == "kind":
                    self.problem(number, None, _("The file has no “#meta +relation” column."))
                continue
            item.columns[name] = column[1]
            try:
                item.values[name] = reader(self.cell(row, column))
            except BadValue as error:
                self.problem(number, column, str(error))
        if len(self.parsed.problems) == problems:
            self.parsed.relations.append(item)
