"""Exports: HXL CSV read by libhxl, Popolo valid against the official schemas, GeoJSON as
RFC 7946 asks, and no private data reaching a reader without the scope for it."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import hxl
import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT3

from conftest import shared_file
from i4p.accounts.models import Role, RoleGrant, User
from i4p.accounts.tests.factories import make_user
from i4p.geo.models import Place
from i4p.registry.exchange.files import EXPORTS
from i4p.registry.exchange.source import ExportSource, contacts_by_actor
from i4p.registry.models import Actor, ContactPoint
from i4p.registry.selectors import ActorFilters, contacts_visible_to
from i4p.registry.tests.exchange_world import (
    PENDING_NAME,
    SECRET_EMAIL,
    SECRET_PERSON,
    SECRET_PHONE,
    UNCONSENTED_PERSON,
    build_world,
    export_text,
)

pytestmark = pytest.mark.django_db

ALL_FORMATS = sorted(EXPORTS)
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _csv_rows(text: str) -> list[dict[str, str]]:
    """Data rows keyed by hashtag (the second row)."""
    records = list(csv.reader(io.StringIO(text)))
    tags = records[1]
    return [dict(zip(tags, row, strict=True)) for row in records[2:]]


def test_the_hxl_csv_is_read_by_libhxl_which_finds_each_column_by_its_hashtag() -> None:
    world = build_world()
    data = hxl.data(io.BytesIO(export_text("actors.csv").encode()))
    tags = [column.display_tag for column in data.columns]
    assert "#org+name" in tags and "#org+code+i4p" in tags and "#country+code" in tags
    rows = {row.get("#org+name"): row for row in data}
    wanep = rows[world.wanep.name]
    assert wanep.get("#org+acronym") == "WANEP-Ghana"
    assert wanep.get("#org+code+i4p") == str(world.wanep.uuid)
    assert wanep.get("#org+code+iati") == "GH-CHC-1234"
    assert wanep.get("#org+code+wikidata") == "Q7985011"
    assert wanep.get("#org+type") == "network"
    assert wanep.get("#meta+level") == "national"
    assert wanep.get("#country+code") == "GH"
    assert wanep.get("#sector") == "dialogue | early-warning"
    lpc = rows[world.lpc.name]
    assert lpc.get("#adm1+code") == "GH-AH"
    assert lpc.get("#adm2+code") == "GH0201"
    assert lpc.get("#loc+name") == "Ejisu"
    assert lpc.get("#geo+lat") == "6.723457" and lpc.get("#geo+lon") == "-1.471235"
    assert lpc.get("#meta+illustrative") == "yes"

    relations = hxl.data(io.BytesIO(export_text("relations.csv").encode()))
    found = [
        (r.get("#org+name+from"), r.get("#meta+relation"), r.get("#org+name+to")) for r in relations
    ]
    assert found == [(world.lpc.name, "member-of", world.wanep.name)]


def _popolo_validator(name: str) -> Any:
    resources = []
    for path in sorted(
        shared_file(f"schemas/popolo/schemas_{name}.json").parent.glob("schemas_*.json")
    ):
        schema = json.loads(path.read_text())
        resources.append(
            (schema["id"], Resource.from_contents(schema, default_specification=DRAFT3))
        )
    registry: Registry = Registry().with_resources(resources)
    schema = json.loads(shared_file(f"schemas/popolo/schemas_{name}.json").read_text())
    assert schema["$schema"] == "http://json-schema.org/draft-03/schema#"
    return jsonschema.Draft3Validator(
        schema, registry=registry, format_checker=jsonschema.Draft3Validator.FORMAT_CHECKER
    )


def test_every_popolo_object_validates_against_the_official_popolo_schemas() -> None:
    world = build_world()
    document = json.loads(
        export_text("popolo.json", world.admin, ActorFilters(include_pending=True))
    )
    validators = {kind: _popolo_validator(kind) for kind in ("organization", "membership", "area")}
    assert len(document["organizations"]) == 5  # the admin sees the pending entry too
    assert len(document["memberships"]) >= 1
    assert {area["name"] for area in document["areas"]} >= {"Ghana", "Ejisu", "Ashanti"}
    for key, kind in (
        ("organizations", "organization"),
        ("memberships", "membership"),
        ("areas", "area"),
    ):
        for item in document[key]:
            errors = list(validators[kind].iter_errors(item))
            assert not errors, (kind, item, [e.message for e in errors])
    # A validator that accepts anything would make the loop above worthless.
    broken = {"name": "X", "founding_date": "May 2002", "identifiers": [{"scheme": "iati"}]}
    assert len(list(validators["organization"].iter_errors(broken))) == 2

    membership = next(m for m in document["memberships"] if m["role"] == "member")
    assert membership["member_id"] == str(world.lpc.uuid)
    assert membership["member"] == {"@type": "Organization", "id": str(world.lpc.uuid)}
    assert membership["organization_id"] == str(world.wanep.uuid)
    assert membership["start_date"] == "2010-01-01"
    organisation_ids = {o["id"] for o in document["organizations"]}
    area_ids = {a["id"] for a in document["areas"]}
    for item in document["memberships"]:
        assert {item["member_id"], item["organization_id"]} <= organisation_ids
    for item in document["organizations"]:
        assert item.get("area_id", next(iter(area_ids))) in area_ids
        assert set(item["coverage"]) <= area_ids
    wanep = next(o for o in document["organizations"] if o["id"] == str(world.wanep.uuid))
    assert {"scheme": "iati", "identifier": "GH-CHC-1234"} in wanep["identifiers"]
    assert wanep["founding_date"] == "2002-05-01"
    assert {"name": "WANEP-Ghana", "note": "acronym"} in wanep["other_names"]


def test_the_geojson_is_a_feature_collection_of_points_as_rfc_7946_asks() -> None:
    world = build_world()
    document = json.loads(export_text("actors.geojson"))
    assert document["type"] == "FeatureCollection"
    assert "crs" not in document
    assert set(document) <= {"type", "features", "bbox"}
    by_id = {feature["id"]: feature for feature in document["features"]}
    assert set(by_id) == {
        str(a.uuid) for a in (world.wanep, world.lpc, world.council, world.togo_cso)
    }
    for feature in document["features"]:
        assert feature["type"] == "Feature"
        assert isinstance(feature["properties"], dict)
        geometry = feature["geometry"]
        assert geometry["type"] == "Point"
        longitude, latitude = geometry["coordinates"]
        assert -180 <= longitude <= 180 and -90 <= latitude <= 90
        for value in (longitude, latitude):
            assert len(repr(value).split(".")[-1]) <= 6
    # Longitude first: Ejisu lies west of Greenwich and north of the equator.
    assert by_id[str(world.lpc.uuid)]["geometry"]["coordinates"] == [-1.471235, 6.723457]


def test_an_actor_without_any_located_place_is_left_off_the_map() -> None:
    world = build_world()
    Place.objects.filter(pk__in=[world.togo.pk]).update(latitude=None, longitude=None)
    document = json.loads(export_text("actors.geojson"))
    assert str(world.togo_cso.uuid) not in {f["id"] for f in document["features"]}


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_an_anonymous_export_holds_only_published_actors_public_relations_and_contacts(
    fmt: str,
) -> None:
    world = build_world()
    text = export_text(fmt)
    assert world.wanep.name in text or fmt == "relations.csv"
    for secret in (
        PENDING_NAME,
        SECRET_EMAIL,
        SECRET_PHONE,
        SECRET_PERSON,
        UNCONSENTED_PERSON,
        "submitter@private.example",
        str(world.private_relation.uuid),
        str(world.pending.uuid),
    ):
        assert secret not in text, secret


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_no_export_ever_holds_a_submitter_email_or_an_integer_id(fmt: str) -> None:
    world = build_world()
    text = export_text(fmt, world.admin, ActorFilters(include_pending=True))
    assert "submitter@private.example" not in text
    if fmt.endswith("json") or fmt.endswith("geojson"):
        ids: list[Any] = []

        def collect(value: Any) -> None:
            if isinstance(value, dict):
                ids.extend(v for k, v in value.items() if k == "id" or k.endswith("_id"))
                for inner in value.values():
                    collect(inner)
            elif isinstance(value, list):
                for inner in value:
                    collect(inner)

        collect(json.loads(text))
        assert ids and all(isinstance(i, str) and _UUID.match(i) for i in ids), ids
    else:
        for row in _csv_rows(text):
            for tag, value in row.items():
                if "+i4p" in tag:
                    assert _UUID.match(value), (tag, value)


def test_a_moderator_export_holds_the_private_contacts_of_their_area_only() -> None:
    world = build_world()
    text = export_text("popolo.json", world.kumasi_moderator)
    assert SECRET_PHONE in text and SECRET_PERSON in text  # the Ejisu committee, in Kumasi
    assert UNCONSENTED_PERSON not in text  # Tamale lies outside their district
    assert PENDING_NAME in export_text(
        "actors.csv", world.kumasi_moderator, ActorFilters(include_pending=True)
    )
    assert str(world.private_relation.uuid) not in export_text(
        "relations.csv", world.kumasi_moderator
    )
    northern_analyst = make_user("northern-analyst")
    RoleGrant.objects.create(user=northern_analyst, role=Role.ANALYST, place=world.northern)
    assert str(world.private_relation.uuid) in export_text("relations.csv", northern_analyst)


def test_contacts_by_actor_agrees_with_the_contacts_selector_for_every_actor() -> None:
    world = build_world()
    actors = list(Actor.objects.select_related("place"))
    users: list[User | None] = [None, world.admin, world.kumasi_moderator]
    for user in users:
        grouped = contacts_by_actor(user, actors)
        for actor in actors:
            expected = set(contacts_visible_to(user, actor).values_list("pk", flat=True))
            assert {c.pk for c in grouped.get(actor.pk, [])} == expected, (user, actor)
    assert ContactPoint.objects.count() == 5


def test_an_export_follows_the_directory_filters() -> None:
    world = build_world()
    names = {
        row["#org +name"]
        for row in _csv_rows(export_text("actors.csv", None, ActorFilters(place=world.ashanti)))
    }
    assert names == {world.lpc.name}
    names = {
        row["#org +name"]
        for row in _csv_rows(export_text("actors.csv", None, ActorFilters(kind="cso")))
    }
    assert names == {world.togo_cso.name}
    # Relations follow the filters too: both ends must be among the exported actors.
    assert _csv_rows(export_text("relations.csv", None, ActorFilters(kind="cso"))) == []
    assert len(_csv_rows(export_text("relations.csv", None, ActorFilters(level="community")))) == 0
    both = ActorFilters(place=world.ghana)
    assert len(_csv_rows(export_text("relations.csv", None, both))) == 1


def test_an_export_reads_its_places_once_not_once_per_actor(
    django_assert_max_num_queries: Any,
) -> None:
    world = build_world()
    source = ExportSource(user=None)
    with django_assert_max_num_queries(20):
        text = "".join(EXPORTS["actors.csv"].write(source))
    assert world.wanep.name in text
