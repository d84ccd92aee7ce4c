"""A small world for tests that sweep every page and endpoint: places, actors, users, tokens."""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import connection
from django.test import Client

from i4p.accounts.middleware import SESSION_KEY
from i4p.accounts.models import ApiToken, Role, TokenScope, User
from i4p.accounts.services import grant_role, issue_token
from i4p.accounts.tests.factories import make_user, two_factor_ready
from i4p.geo.models import Place
from i4p.geo.tests.factories import make_place
from i4p.registry.models import Actor, ActorKind, Level, Relation, RelationKind
from i4p.registry.services import (
    ActorData,
    RelationData,
    add_relation,
    create_actor,
    ensure_themes,
    submit_actor,
)


@dataclass
class World:
    ghana: Place
    northern: Place
    tamale: Place
    volta: Place
    admin: User
    moderator: User  # moderator of the Northern region only
    published: Actor
    pending: Actor
    outside: Actor  # published, seated in Volta: outside the moderator's region
    relation: Relation
    admin_token: ApiToken
    admin_token_plain: str
    moderator_token_plain: str
    read_token_plain: str

    def uuids(self) -> list[str]:
        """Every public id a URL might take, the most useful first."""
        records: list[Any] = [
            self.published,
            self.pending,
            self.outside,
            self.relation,
            self.ghana,
            self.northern,
            self.tamale,
            self.admin_token,
        ]
        return [str(record.uuid) for record in records]


def build_world() -> World:
    ensure_themes([("mediation", "Mediation"), ("early-warning", "Early warning")])
    ghana = make_place("Ghana", country_code="GH", lat=7.9, lon=-1.0)
    northern = make_place("Northern", kind="admin1", parent=ghana, lat=9.5, lon=-1.0)
    tamale = make_place("Tamale", kind="admin2", parent=northern, lat=9.4, lon=-0.85)
    volta = make_place("Volta", kind="admin1", parent=ghana, lat=6.6, lon=0.45)
    admin = two_factor_ready(make_user("world-admin"))
    grant_role(admin, by=None, role=Role.ADMIN)
    moderator = two_factor_ready(make_user("world-moderator"))
    grant_role(moderator, by=None, role=Role.MODERATOR, place=northern)
    published = create_actor(
        ActorData(
            name="Northern Regional Peace Council",
            kind=ActorKind.PEACE_COUNCIL,
            level=Level.SUBNATIONAL,
            place=northern,
            coverage=[northern],
            themes=["mediation"],
        ),
        by=admin,
    )
    outside = create_actor(
        ActorData(
            name="Volta Regional Peace Council",
            kind=ActorKind.PEACE_COUNCIL,
            level=Level.SUBNATIONAL,
            place=volta,
            coverage=[volta],
        ),
        by=admin,
    )
    pending, _duplicates = submit_actor(
        ActorData(
            name="Tamale Youth for Peace",
            kind=ActorKind.CSO,
            level=Level.DISTRICT,
            place=tamale,
            coverage=[tamale],
        ),
        by=None,
        submitter_email="founder@example.org",
    )
    relation = add_relation(
        published, outside, RelationData(kind=RelationKind.LIAISES_WITH), by=admin
    )
    admin_token, admin_plain = issue_token(admin, by=admin, name="sweep", scope=TokenScope.WRITE)
    _mod_token, moderator_plain = issue_token(
        moderator, by=moderator, name="mod", scope=TokenScope.WRITE
    )
    _read_token, read_plain = issue_token(admin, by=admin, name="read", scope=TokenScope.READ)
    return World(
        ghana=ghana,
        northern=northern,
        tamale=tamale,
        volta=volta,
        admin=admin,
        moderator=moderator,
        published=published,
        pending=pending,
        outside=outside,
        relation=relation,
        admin_token=admin_token,
        admin_token_plain=admin_plain,
        moderator_token_plain=moderator_plain,
        read_token_plain=read_plain,
    )


def logged_in(user: User) -> Client:
    """A browser session past login and the two-factor step."""
    client = Client()
    client.force_login(user)
    session = client.session
    session[SESSION_KEY] = True
    session.save()
    return client


# Columns that change on reads or logins by design; everything else must stay put.
_VOLATILE = {"last_used_at", "last_login", "session_data", "expire_date"}
_SKIPPED_MODELS = {"sessions.session"}


def database_fingerprint() -> str:
    """A digest of every row of every table: equal before and after means nothing changed.

    Plain SQL, one statement a table: the sweeps take a fingerprint around each of thousands of
    requests, and building an ORM query for each of ~50 models took 50 ms a fingerprint."""
    digest = hashlib.sha256()
    with connection.cursor() as cursor:
        for label, sql in _fingerprint_queries(connection.vendor):
            cursor.execute(sql)
            for row in cursor.fetchall():
                cells = (bytes(v) if isinstance(v, memoryview) else v for v in row)
                digest.update(repr(tuple(cells)).encode())
            digest.update(label.encode())
    return digest.hexdigest()


@functools.cache
def _fingerprint_queries(vendor: str) -> list[tuple[str, str]]:
    """(model label, `SELECT` of its non-volatile columns in key order), many-to-many tables
    included; one list per database vendor (the quoting differs)."""
    quote = connection.ops.quote_name
    queries = []
    models = apps.get_models(include_auto_created=True)
    for model in sorted(models, key=lambda m: m._meta.label_lower):
        meta = model._meta
        if meta.label_lower in _SKIPPED_MODELS or meta.proxy or not meta.managed:
            continue
        columns = [
            quote(field.column)
            for field in meta.concrete_fields
            if field.column and field.attname not in _VOLATILE
        ]
        key = meta.pk.column if meta.pk else None
        assert key, meta.label
        queries.append(
            (
                meta.label_lower,
                f"SELECT {', '.join(columns)} FROM {quote(meta.db_table)} ORDER BY {quote(key)}",
            )
        )
    return queries
