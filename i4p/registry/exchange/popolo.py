"""Popolo JSON: organizations, their memberships (our relations) and the areas they name.

Every object validates against the Popolo schemas. What Popolo has no word for rides in
extra properties, which the schemas allow: `level`, `status`, `themes`, `coverage`,
`illustrative` on an organization; `visibility` and `illustrative` on a membership.
A relation becomes a membership of its source (`member`) in its target (`organization_id`);
its kind is the membership's `role` ("member" for member-of).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext as _

from i4p.geo.models import Place
from i4p.registry.exchange.places import PlaceBook, PlaceFinder, as_uuid
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
    read_visibility,
)
from i4p.registry.exchange.source import ExportSource, contacts_by_actor
from i4p.registry.models import Actor, ContactPoint, Relation, RelationKind, Visibility

_CONTACT_TYPES = {"email": "email", "phone": "voice", "address": "address", "url": "url"}


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def popolo_json(source: ExportSource) -> Iterator[str]:
    """The whole document, written an organization at a time."""
    yield '{"organizations":['
    first = True
    for batch in source.batches():
        contacts = contacts_by_actor(source.user, batch)
        parts = [_dump(organization(a, source.places, contacts.get(a.pk, []))) for a in batch]
        yield ("" if first else ",") + ",".join(parts)
        first = False
    yield '],"memberships":['
    first = True
    for relation in source.relations():
        yield ("" if first else ",") + _dump(membership(relation))
        first = False
    yield '],"areas":['
    yield ",".join(_dump(area(place, source.places)) for place in source.places.places())
    yield "]}\n"


def organization(actor: Actor, places: PlaceBook, contacts: list[ContactPoint]) -> dict[str, Any]:
    other_names = [{"name": actor.acronym, "note": "acronym"}] if actor.acronym else []
    other_names += [{"name": name} for name in actor.other_names or []]
    identifiers = [{"scheme": "i4p", "identifier": str(actor.uuid)}]
    identifiers += [
        {"scheme": i.scheme, "identifier": i.identifier}
        for i in sorted(actor.identifiers.all(), key=lambda i: (i.scheme, i.identifier))
    ]
    result: dict[str, Any] = {
        "id": str(actor.uuid),
        "name": actor.name,
        "other_names": other_names,
        "identifiers": identifiers,
        "classification": actor.kind,
        "level": actor.level,
        "status": actor.status,
        "themes": sorted(theme.slug for theme in actor.themes.all()),
        "coverage": [str(p.uuid) for p in sorted(actor.coverage.all(), key=lambda p: p.pk)],
        "illustrative": actor.illustrative,
        "contact_details": [_contact(contact) for contact in contacts],
        "links": [{"url": actor.website, "note": "website"}] if actor.website else [],
        "sources": [_source(s) for s in actor.sources or [] if s.get("url")],
    }
    if actor.description:
        result["description"] = actor.description
    if actor.founded_on:
        result["founding_date"] = actor.founded_on.isoformat()
    place = places.get(actor.place_id)
    if place is not None:
        result["area_id"] = str(place.uuid)
    return result


def _contact(contact: ContactPoint) -> dict[str, str]:
    detail = {"type": _CONTACT_TYPES.get(contact.kind, contact.kind), "value": contact.value}
    if contact.label:
        detail["label"] = contact.label
    if contact.person_name:
        detail["note"] = contact.person_name
    return detail


def _source(source: dict[str, str]) -> dict[str, str]:
    link = {"url": source["url"]}
    if source.get("title"):
        link["note"] = source["title"]
    if source.get("quote"):
        link["quote"] = source["quote"]
    return link


def membership(relation: Relation) -> dict[str, Any]:
    member = str(relation.source.uuid)
    role = "member" if relation.kind == RelationKind.MEMBER_OF else relation.kind
    result: dict[str, Any] = {
        "id": str(relation.uuid),
        "label": f"{relation.source.name} {relation.get_kind_display()} {relation.target.name}",
        "role": role,
        "member": {"@type": "Organization", "id": member},
        "member_id": member,
        "organization_id": str(relation.target.uuid),
        "visibility": relation.visibility,
        "illustrative": relation.illustrative,
    }
    if relation.started_on:
        result["start_date"] = relation.started_on.isoformat()
    if relation.ended_on:
        result["end_date"] = relation.ended_on.isoformat()
    if relation.source_url:
        link = {"url": relation.source_url}
        if relation.source_text:
            link["note"] = relation.source_text
        result["sources"] = [link]
    elif relation.source_text:
        result["source_text"] = relation.source_text
    return result


def area(place: Place, places: PlaceBook) -> dict[str, Any]:
    result: dict[str, Any] = {
        "id": str(place.uuid),
        "name": place.name,
        "classification": place.kind,
        "country_code": place.country_code,
    }
    code = places.code(place)
    if code:
        result["identifier"] = code
    parent = places.get(place.parent_id)
    if parent is not None:
        result["parent_id"] = str(parent.uuid)
    return result


# Reading ---------------------------------------------------------------------------------


def parse_popolo(text: str) -> ParsedFile:
    parsed = ParsedFile(kind="popolo")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        parsed.problems.append(
            Problem(
                _("The file"),
                "",
                _("It is not valid JSON (line %(line)d).") % {"line": error.lineno},
            )
        )
        return parsed
    if not isinstance(document, dict) or not isinstance(document.get("organizations", []), list):
        parsed.problems.append(
            Problem(_("The file"), "", _("A Popolo file is an object with “organizations”."))
        )
        return parsed
    areas = {
        str(item.get("id")): item
        for item in document.get("areas", []) or []
        if isinstance(item, dict) and item.get("id")
    }
    reader = _PopoloReader(parsed, areas)
    for number, item in enumerate(document.get("organizations", []), start=1):
        reader.organization(number, item)
    for number, item in enumerate(document.get("memberships", []) or [], start=1):
        reader.membership(number, item)
    return parsed


class _PopoloReader:
    def __init__(self, parsed: ParsedFile, areas: dict[str, dict[str, Any]]) -> None:
        self.parsed = parsed
        self.areas = areas
        self.finder = PlaceFinder()
        self.people = 0

    def problem(self, location: str, number: int, column: str, message: str) -> None:
        self.parsed.problems.append(Problem(location, column, message, row=number))

    def place(self, area_id: str) -> Place | None:
        place = self.finder.find(area_id)
        if place is None and area_id in self.areas:
            code = str(self.areas[area_id].get("identifier") or "")
            place = self.finder.find(code) if code else None
        return place

    def organization(self, number: int, item: Any) -> None:
        location = _("Organisation %(number)d") % {"number": number}
        if not isinstance(item, dict):
            self.problem(location, number, "", _("Not a JSON object."))
            return
        before = len(self.parsed.problems)
        row = ActorRow(row=number, location=location, ref=ActorRef())
        row.columns = {name: name for name in ("name", "kind", "level", "place", "identifiers")}
        row.columns.update(
            kind="classification",
            place="area_id",
            founded_on="founding_date",
            website="links",
            acronym="other_names",
            other_names="other_names",
        )
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            self.problem(location, number, "name", _("A name is required."))
            return
        row.values["name"] = name.strip()
        row.ref.name = name.strip()
        row.ref.ref = str(item.get("id") or "")
        identifiers: list[tuple[str, str]] = []
        for entry in item.get("identifiers", []) or []:
            if not isinstance(entry, dict) or not entry.get("identifier"):
                self.problem(location, number, "identifiers", _("Each needs an identifier."))
                continue
            scheme, value = str(entry.get("scheme") or ""), str(entry["identifier"])
            if scheme == "i4p":
                row.ref.uuid = as_uuid(value)
            else:
                identifiers.append((scheme, value))
        if row.ref.uuid is None:
            row.ref.uuid = as_uuid(row.ref.ref)
        if "identifiers" in item:
            row.values["identifiers"] = identifiers
        row.ref.identifiers = identifiers
        if "other_names" in item:
            names = [n for n in item["other_names"] or [] if isinstance(n, dict) and n.get("name")]
            acronyms = [str(n["name"]) for n in names if n.get("note") == "acronym"]
            row.values["acronym"] = acronyms[0] if acronyms else ""
            row.values["other_names"] = [
                str(n["name"]) for n in names if n.get("note") != "acronym"
            ]
        readers: dict[str, tuple[str, Any]] = {
            "classification": ("kind", read_kind),
            "level": ("level", read_level),
            "status": ("status", read_status),
            "founding_date": ("founded_on", read_date),
            "illustrative": ("illustrative", lambda v: read_flag(str(v).lower())),
        }
        for key, (name_, reader) in readers.items():
            if key in item and item[key] is not None:
                try:
                    row.values[name_] = reader(
                        str(item[key]) if key != "illustrative" else item[key]
                    )
                except BadValue as error:
                    self.problem(location, number, key, str(error))
        if "description" in item:
            row.values["description"] = str(item["description"] or "")
        if "themes" in item:
            row.values["themes"] = [str(t) for t in item["themes"] or []]
        if "links" in item:
            websites = [
                str(link.get("url"))
                for link in item["links"] or []
                if isinstance(link, dict) and link.get("note") == "website"
            ]
            row.values["website"] = websites[0] if websites else ""
        if "sources" in item:
            row.values["sources"] = [
                {
                    k: v
                    for k, v in (
                        ("quote", link.get("quote")),
                        ("title", link.get("note")),
                        ("url", link.get("url")),
                    )
                    if v
                }
                for link in item["sources"] or []
                if isinstance(link, dict)
            ]
            row.keep_sources_without_url = True
        if "area_id" in item:
            area_id = str(item["area_id"] or "")
            row.values["place"] = self.place(area_id) if area_id else None
            if area_id and row.values["place"] is None:
                self.problem(
                    location,
                    number,
                    "area_id",
                    _("No place matches the area “%(id)s”.") % {"id": area_id},
                )
            if row.values["place"] is not None:
                row.ref.country = row.values["place"].country_code
        if "coverage" in item:
            covered = []
            for area_id in item["coverage"] or []:
                place = self.place(str(area_id))
                if place is None:
                    self.problem(
                        location,
                        number,
                        "coverage",
                        _("No place matches the area “%(id)s”.") % {"id": area_id},
                    )
                else:
                    covered.append(place)
            row.values["coverage"] = covered
        if len(self.parsed.problems) == before:
            self.parsed.actors.append(row)

    def membership(self, number: int, item: Any) -> None:
        location = _("Membership %(number)d") % {"number": number}
        if not isinstance(item, dict):
            self.problem(location, number, "", _("Not a JSON object."))
            return
        member = item.get("member")
        member_id = item.get("member_id") or (
            member.get("id") if isinstance(member, dict) else None
        )
        if item.get("person_id") or (isinstance(member, dict) and member.get("@type") == "Person"):
            self.people += 1
            if self.people == 1:
                self.parsed.notes.append(
                    _(
                        "Memberships of people are not imported: i4p keeps people only as "
                        "contact points, with their consent."
                    )
                )
            return
        if not member_id or not item.get("organization_id"):
            self.problem(
                location,
                number,
                "member_id",
                _("A membership needs a member and an organization_id."),
            )
            return
        before = len(self.parsed.problems)
        row = RelationRow(
            row=number,
            location=location,
            uuid=as_uuid(str(item.get("id") or "")),
            source=ActorRef(ref=str(member_id), uuid=as_uuid(str(member_id))),
            target=ActorRef(
                ref=str(item["organization_id"]), uuid=as_uuid(str(item["organization_id"]))
            ),
        )
        row.columns = {
            "kind": "role",
            "started_on": "start_date",
            "ended_on": "end_date",
            "source_url": "sources",
            "source_text": "sources",
        }
        readers: list[tuple[str, str, Any]] = [
            ("role", "kind", lambda v: read_relation_kind(str(v or "member"))),
            ("start_date", "started_on", lambda v: read_date(str(v or ""))),
            ("end_date", "ended_on", lambda v: read_date(str(v or ""))),
            ("visibility", "visibility", lambda v: read_visibility(str(v or ""))),
            ("illustrative", "illustrative", lambda v: read_flag(str(v).lower())),
        ]
        for key, name, reader in readers:
            if key in item or key == "role":
                try:
                    row.values[name] = reader(item.get(key))
                except BadValue as error:
                    self.problem(location, number, key, str(error))
        links = [link for link in item.get("sources", []) or [] if isinstance(link, dict)]
        row.values["source_url"] = str(links[0].get("url") or "") if links else ""
        row.values["source_text"] = (
            str(links[0].get("note") or "") if links else str(item.get("source_text") or "")
        )
        row.values.setdefault("visibility", Visibility.PUBLIC)
        if len(self.parsed.problems) == before:
            self.parsed.relations.append(row)
