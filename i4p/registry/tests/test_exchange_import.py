"""Imports: all or nothing, problems named by row and column, re-imports update, and the
importer's area is enforced through the same services as every other write."""

from __future__ import annotations

import json

import pytest

from i4p.accounts.models import User
from i4p.core.models import AuditEvent
from i4p.geo.models import Place
from i4p.registry.exchange.files import parse_file
from i4p.registry.exchange.importer import ImportReport, run_import
from i4p.registry.models import Actor, ActorVersion, Relation
from i4p.registry.selectors import ActorFilters
from i4p.registry.tests.exchange_world import (
    build_world,
    export_text,
    registry_fingerprint,
)

pytestmark = pytest.mark.django_db

HEADER = "Name,Kind,Level,Country,Admin 1,Admin 2,IATI\n"
TAGS = (
    "#org +name,#org +type,#meta +level,#country +code,#adm1 +code,#adm2 +code,#org +code +iati\n"
)


def _import(text: str, by: User, *, dry_run: bool = False) -> ImportReport:
    return run_import(parse_file(text.encode()), by=by, dry_run=dry_run)


@pytest.mark.parametrize("fmt", ["actors.csv", "relations.csv", "popolo.json"])
def test_importing_an_export_again_changes_nothing_and_creates_nothing(fmt: str) -> None:
    world = build_world()
    text = export_text(fmt, world.admin, ActorFilters(include_pending=True))
    before = registry_fingerprint()
    versions = ActorVersion.objects.count()
    report = _import(text, world.admin)
    assert report.ok, [str(p) for p in report.problems]
    assert report.applied
    assert report.count("created") == 0 and report.count("updated") == 0
    assert report.count("unchanged") >= 1
    assert registry_fingerprint() == before
    assert ActorVersion.objects.count() == versions


def test_a_file_with_one_bad_row_imports_nothing_and_names_the_row() -> None:
    world = build_world()
    actors = Actor.objects.count()
    text = (
        HEADER
        + TAGS
        + "Accra Peace Forum,cso,national,GH,,,\n"
        + "Kumasi Youth for Peace,cso,sometimes,GH,GH-AH,,\n"
        + "Tamale Women Mediators,cso,district,GH,,GH0601,\n"
    )
    report = _import(text, world.admin)
    assert not report.applied
    assert Actor.objects.count() == actors
    assert not Actor.objects.filter(name="Accra Peace Forum").exists()
    assert [(p.location, p.column) for p in report.problems] == [("Row 4", "Level (#meta +level)")]
    assert "“sometimes” is not a level" in report.problems[0].message
    assert "Row 4, Level (#meta +level): “sometimes” is not a level" in str(report.problems[0])


def test_a_row_the_services_refuse_is_named_with_its_column_and_nothing_is_kept() -> None:
    world = build_world()
    text = (
        "Name,Kind,Level,Country,Website\n"
        "#org +name,#org +type,#meta +level,#country +code,#org +url\n"
        "Accra Peace Forum,cso,national,GH,https://accra.example.org\n"
        "Volta Dialogue Group,cso,national,GH,not a web address\n"
    )
    report = _import(text, world.admin)
    assert [(p.location, p.column) for p in report.problems] == [("Row 4", "Website (#org +url)")]
    assert not Actor.objects.filter(name="Accra Peace Forum").exists()


def test_a_re_import_updates_the_stored_actor_instead_of_adding_one() -> None:
    world = build_world()
    actors = Actor.objects.count()
    by_uuid = (
        "Name,i4p id,Description\n#org +name,#org +code +i4p,#description\n"
        f"WANEP Ghana (renamed),{world.wanep.uuid},Now also mediates.\n"
    )
    report = _import(by_uuid, world.admin)
    assert report.applied and report.count("updated") == 1
    world.wanep.refresh_from_db()
    assert world.wanep.name == "WANEP Ghana (renamed)"
    assert world.wanep.description == "Now also mediates."
    assert world.wanep.level == "national"  # a column the file leaves out stays as it was
    assert sorted(world.wanep.identifiers.values_list("scheme", flat=True)) == ["iati", "wikidata"]

    by_iati = "Name,IATI\n#org +name,#org +code +iati\nWANEP Ghana,GH-CHC-1234\n"
    assert _import(by_iati, world.admin).count("updated") == 1
    world.wanep.refresh_from_db()
    assert world.wanep.name == "WANEP Ghana"
    # An IATI column speaks for IATI ids only: the Wikidata id stays.
    assert world.wanep.identifiers.filter(scheme="wikidata").exists()

    by_name = HEADER + TAGS + "tamale peace council,peace_council,subnational,GH,,GH0601,\n"
    report = _import(by_name, world.admin)
    assert report.count("updated") == 1, [str(p) for p in report.problems]
    world.council.refresh_from_db()
    assert world.council.level == "subnational"
    assert Actor.objects.count() == actors
    assert world.council.versions.filter(action="edited").exists()


def test_importing_the_same_new_rows_twice_adds_them_once() -> None:
    world = build_world()
    text = HEADER + TAGS + "Accra Peace Forum,cso,national,GH,,,GH-COH-99\n"
    assert _import(text, world.admin).count("created") == 1
    again = _import(text, world.admin)
    assert again.count("created") == 0 and again.count("unchanged") == 1
    assert Actor.objects.filter(name="Accra Peace Forum").count() == 1


def test_a_district_moderator_cannot_import_an_actor_seated_outside_their_district() -> None:
    world = build_world()
    text = (
        HEADER
        + TAGS
        + "Ejisu Youth Mediators,cso,community,GH,GH-AH,GH0201,\n"
        + "Tamale Youth Mediators,cso,community,GH,,GH0601,\n"
    )
    report = _import(text, world.kumasi_moderator)
    assert not report.applied
    assert [p.location for p in report.problems] == ["Row 4"]
    assert "Tamale Metropolitan" in report.problems[0].message
    assert not Actor.objects.filter(name__endswith="Youth Mediators").exists()
    inside = HEADER + TAGS + "Ejisu Youth Mediators,cso,community,GH,GH-AH,GH0201,\n"
    assert _import(inside, world.kumasi_moderator).applied


def test_a_dry_run_reports_what_would_change_and_changes_nothing() -> None:
    world = build_world()
    before = registry_fingerprint()
    audit = AuditEvent.objects.count()
    text = (
        "Name,i4p id,Kind,Level,Country\n"
        "#org +name,#org +code +i4p,#org +type,#meta +level,#country +code\n"
        f"Paix et Dialogue Togo,{world.togo_cso.uuid},cso,regional,TG\n"
        "Lomé Peace Forum,,cso,national,TG\n"
    )
    report = _import(text, world.admin, dry_run=True)
    assert report.ok and not report.applied
    assert [(o.label, o.action) for o in report.outcomes] == [
        ("Paix et Dialogue Togo", "updated"),
        ("Lomé Peace Forum", "created"),
    ]
    assert "Dry run" in report.summary()
    assert registry_fingerprint() == before
    assert AuditEvent.objects.count() == audit


def test_places_are_found_by_iso_code_p_code_or_id() -> None:
    world = build_world()
    text = (
        "Name,Kind,Level,Country,Admin 1,Admin 2,Place,Place id,Covers\n"
        "#org +name,#org +type,#meta +level,#country +code,#adm1 +code,#adm2 +code,"
        "#loc +name,#loc +code +i4p,#loc +code +coverage\n"
        "By ISO country,cso,national,GH,,,,,GH-NP | GH0201\n"
        "By ISO subdivision,cso,subnational,GH,GH-AH,,,,\n"
        "By P-code,cso,district,,,GH0601,,,\n"
        "By locality name,lpc,community,GH,GH-AH,GH0201,Ejisu,,\n"
        f"By place id,cso,community,,,,,{world.ejisu.uuid},\n"
    )
    report = _import(text, world.admin)
    assert report.applied, [str(p) for p in report.problems]
    seats = dict(Actor.objects.filter(name__startswith="By ").values_list("name", "place"))
    assert seats == {
        "By ISO country": world.ghana.pk,
        "By ISO subdivision": world.ashanti.pk,
        "By P-code": world.tamale.pk,
        "By locality name": world.ejisu.pk,
        "By place id": world.ejisu.pk,
    }
    covered = Actor.objects.get(name="By ISO country").coverage.all()
    assert set(covered) == {world.northern, world.kumasi}


def test_a_row_naming_an_unknown_place_is_refused_with_its_column() -> None:
    world = build_world()
    text = HEADER + TAGS + "Nowhere Forum,cso,district,GH,,GH9999,\n"
    report = _import(text, world.admin)
    assert [str(p) for p in report.problems] == [
        "Row 3, Admin 2 (#adm2 +code): No place has the code or id “GH9999”."
    ]
    wrong_country = HEADER + TAGS + "Misplaced Forum,cso,district,TG,,GH0601,\n"
    assert "is not in the country TG" in str(_import(wrong_country, world.admin).problems[0])


def test_two_rows_for_the_same_organisation_are_refused() -> None:
    world = build_world()
    text = (
        "Name,i4p id\n#org +name,#org +code +i4p\n"
        f"WANEP One,{world.wanep.uuid}\nWANEP Two,{world.wanep.uuid}\n"
    )
    report = _import(text, world.admin)
    assert [p.location for p in report.problems] == ["Row 4"]
    assert "same organisation as Row 3" in report.problems[0].message


def test_a_popolo_file_from_elsewhere_creates_organisations_and_their_memberships() -> None:
    world = build_world()
    document = {
        "organizations": [
            {
                "id": "org-a",
                "name": "Volta Peace Network",
                "classification": "network",
                "level": "subnational",
                "identifiers": [{"scheme": "iati", "identifier": "GH-XYZ-1"}],
                "area_id": "area-ashanti",
                "founding_date": "2011-03-04",
                "other_names": [{"name": "VPN", "note": "acronym"}],
            },
            {
                "id": "org-b",
                "name": "Hohoe Peace Committee",
                "classification": "lpc",
                "level": "community",
                "area_id": "area-ashanti",
            },
        ],
        "memberships": [
            {
                "member_id": "org-b",
                "organization_id": "org-a",
                "role": "member",
                "start_date": "2015-01",
            },
            {"member_id": "org-b", "organization_id": str(world.wanep.uuid), "role": "partner-of"},
            {"person_id": "someone", "organization_id": "org-a"},
        ],
        "areas": [{"id": "area-ashanti", "name": "Ashanti", "identifier": "GH-AH"}],
    }
    report = _import(json.dumps(document), world.admin)
    assert [str(p) for p in report.problems] == [
        "Membership 1, start_date: “2015-01” is not a date; write it as YYYY-MM-DD, e.g. "
        "2004-03-17."
    ]
    document["memberships"][0]["start_date"] = "2015-01-01"  # type: ignore[index]
    report = _import(json.dumps(document), world.admin)
    assert report.applied, [str(p) for p in report.problems]
    assert report.notes  # the person's membership is skipped, and the report says so
    volta = Actor.objects.get(name="Volta Peace Network")
    assert volta.acronym == "VPN" and volta.place == world.ashanti
    hohoe = Actor.objects.get(name="Hohoe Peace Committee")
    kinds = set(Relation.objects.filter(source=hohoe).values_list("kind", "target__name"))
    assert kinds == {("member-of", "Volta Peace Network"), ("partner-of", world.wanep.name)}
    again = _import(json.dumps(document), world.admin)
    assert again.count("created") == 0 and again.count("unchanged") == 4
    assert Place.objects.filter(name="Ashanti").count() == 1
