"""Builders shared by the exchange tests (this module holds no tests): a small registry
across two countries, with private data that no export may leak to the wrong reader."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from i4p.accounts.models import Role, RoleGrant, User
from i4p.accounts.tests.factories import make_user
from i4p.core.models import AuditEvent
from i4p.geo.models import CodeScheme, Place, PlaceCode
from i4p.geo.tests.factories import make_place
from i4p.registry.exchange.files import EXPORTS
from i4p.registry.exchange.source import ExportSource
from i4p.registry.models import Actor, ContactPoint, Moderation, Relation, Visibility
from i4p.registry.selectors import ActorFilters
from i4p.registry.services import (
    ActorData,
    RelationData,
    add_contact,
    add_relation,
    create_actor,
    ensure_themes,
    submit_actor,
)

SECRET_EMAIL = "whistle@private.example"
SECRET_PHONE = "+233 20 000 1111"
SECRET_PERSON = "Ama Hidden"
UNCONSENTED_PERSON = "Kofi Noconsent"
PENDING_NAME = "Pending Peace Group"


@dataclass
class World:
    ghana: Place
    ashanti: Place
    kumasi: Place
    ejisu: Place
    northern: Place
    tamale: Place
    togo: Place
    admin: User
    kumasi_moderator: User
    wanep: Actor
    lpc: Actor
    council: Actor
    togo_cso: Actor
    pending: Actor
    membership: Relation
    private_relation: Relation


def _code(place: Place, scheme: str, code: str) -> None:
    PlaceCode.objects.create(place=place, scheme=scheme, code=code)


def build_world() -> World:
    ghana = make_place("Ghana", country_code="GH", lat=7.95, lon=-1.03)
    _code(ghana, CodeScheme.ISO3166_1, "GH")
    ashanti = make_place("Ashanti", kind="admin1", parent=ghana, lat=6.75, lon=-1.52)
    _code(ashanti, CodeScheme.ISO3166_2, "GH-AH")
    _code(ashanti, CodeScheme.PCODE, "GH02")
    kumasi = make_place("Kumasi Metropolitan", kind="admin2", parent=ashanti)
    _code(kumasi, CodeScheme.PCODE, "GH0201")
    ejisu = make_place("Ejisu", kind="locality", parent=kumasi, lat=6.7234567891, lon=-1.4712345)
    northern = make_place("Northern", kind="admin1", parent=ghana, lat=9.5, lon=-1.0)
    _code(northern, CodeScheme.ISO3166_2, "GH-NP")
    tamale = make_place("Tamale Metropolitan", kind="admin2", parent=northern, lat=9.4, lon=-0.85)
    _code(tamale, CodeScheme.PCODE, "GH0601")
    togo = make_place("Togo", country_code="TG", lat=8.6, lon=0.8)
    ensure_themes([("dialogue", "Dialogue"), ("early-warning", "Early warning")])

    admin = make_user("exchange-admin", is_superuser=True, is_staff=True)
    moderator = make_user("kumasi-moderator")
    RoleGrant.objects.create(user=moderator, role=Role.MODERATOR, place=kumasi)

    wanep = create_actor(
        ActorData(
            name="West Africa Network for Peacebuilding – Ghana",  # noqa: RUF001 (kept non-ASCII)
            acronym="WANEP-Ghana",
            other_names=["WANEP Ghana", "Réseau Ouest-Africain pour l'Édification de la Paix"],
            kind="network",
            level="national",
            description='Coordinates early warning; says "peace, first".',
            themes=["dialogue", "early-warning"],
            place=ghana,
            coverage=[ghana],
            website="https://wanep.example.org/ghana",
            founded_on=dt.date(2002, 5, 1),
            identifiers=[("iati", "GH-CHC-1234"), ("wikidata", "Q7985011")],
            sources=[
                {
                    "quote": "WANEP-Ghana, a national network",
                    "title": "Annual report",
                    "url": "https://wanep.example.org/report",
                },
                {"quote": "Met at the national dialogue", "title": "Field note"},
            ],
        ),
        by=admin,
    )
    lpc = create_actor(
        ActorData(
            name="Ejisu Local Peace Committee",
            kind="lpc",
            level="community",
            place=ejisu,
            coverage=[kumasi],
            themes=["dialogue"],
            illustrative=True,
        ),
        by=admin,
    )
    council = create_actor(
        ActorData(
            name="Tamale Peace Council", kind="peace_council", level="district", place=tamale
        ),
        by=admin,
    )
    togo_cso = create_actor(
        ActorData(name="Paix et Dialogue Togo", kind="cso", level="national", place=togo),
        by=admin,
    )
    pending, _duplicates = submit_actor(
        ActorData(name=PENDING_NAME, kind="cso", level="community", place=kumasi),
        by=None,
        submitter_email="submitter@private.example",
    )
    membership = add_relation(
        lpc,
        wanep,
        RelationData(
            kind="member-of",
            started_on=dt.date(2010, 1, 1),
            source_text="Member list 2020",
            source_url="https://wanep.example.org/members",
        ),
        by=admin,
    )
    private_relation = add_relation(
        council,
        wanep,
        RelationData(kind="reports-to", visibility=Visibility.PRIVATE),
        by=admin,
    )
    add_contact(
        wanep,
        by=admin,
        kind="email",
        value="info@wanep.example.org",
        visibility=Visibility.PUBLIC,
        label="Office",
    )
    add_contact(lpc, by=admin, kind="phone", value=SECRET_PHONE, person_name=SECRET_PERSON)
    add_contact(lpc, by=admin, kind="email", value=SECRET_EMAIL)
    ContactPoint.objects.create(
        actor=council,
        kind="phone",
        value="+233 30 222 3333",
        person_name=UNCONSENTED_PERSON,
        visibility=Visibility.PUBLIC,
    )
    add_contact(
        council,
        by=admin,
        kind="phone",
        value="+233 30 444 5555",
        person_name="Abena Consented",
        consent_at=timezone.now(),
        visibility=Visibility.PUBLIC,
    )
    assert pending.moderation == Moderation.PENDING
    return World(
        ghana,
        ashanti,
        kumasi,
        ejisu,
        northern,
        tamale,
        togo,
        admin,
        moderator,
        wanep,
        lpc,
        council,
        togo_cso,
        pending,
        membership,
        private_relation,
    )


def export_text(fmt: str, user: object = None, filters: ActorFilters | None = None) -> str:
    source = ExportSource(user=user, filters=filters or ActorFilters())
    return "".join(EXPORTS[fmt].write(source))


def registry_fingerprint() -> list[object]:
    """Everything an import could change in the registry, in a comparable form."""
    actors = list(
        Actor.objects.order_by("pk").values_list(
            "pk",
            "uuid",
            "name",
            "acronym",
            "other_names",
            "kind",
            "level",
            "description",
            "place_id",
            "website",
            "founded_on",
            "status",
            "moderation",
            "sources",
            "illustrative",
            "updated_at",
        )
    )
    links = (
        [sorted(a.themes.values_list("slug", flat=True)) for a in Actor.objects.order_by("pk")]
        + [sorted(a.coverage.values_list("pk", flat=True)) for a in Actor.objects.order_by("pk")]
        + [
            sorted(a.identifiers.values_list("scheme", "identifier"))
            for a in Actor.objects.order_by("pk")
        ]
    )
    relations = list(Relation.objects.order_by("pk").values())
    audit = AuditEvent.objects.exclude(action="registry.imported").count()
    return [actors, links, relations, audit]
