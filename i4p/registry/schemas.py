"""Input and output types of the registry API: one pair per operation, UUIDs only, no secrets."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any
from uuid import UUID

from ninja import Field, Schema

from i4p.api.schemas import InputSchema
from i4p.registry.models import (
    Actor,
    ActorKind,
    ActorStatus,
    ActorVersion,
    ContactPoint,
    Level,
    Relation,
    RelationKind,
    Theme,
    Visibility,
)

# -- pieces shared by several operations ----------------------------------------------------


class IdentifierIO(Schema):
    scheme: str = Field(max_length=40, examples=["iati"])
    identifier: str = Field(max_length=200, examples=["GH-DSW-1234"])


class SourceIO(Schema):
    quote: str = ""
    title: str = ""
    url: str = ""


class ActorRefOut(Schema):
    uuid: UUID
    name: str
    acronym: str

    @staticmethod
    def of(actor: Actor) -> ActorRefOut:
        return ActorRefOut(uuid=actor.uuid, name=actor.name, acronym=actor.acronym)


class FieldsOut(Schema):
    """The one error shape of the API."""

    code: str
    message: str
    fields: dict[str, list[str]]


# -- actors ---------------------------------------------------------------------------------


class ActorListItemOut(Schema):
    uuid: UUID
    name: str
    acronym: str
    kind: str
    level: str
    status: str
    moderation: str
    place: UUID | None
    place_name: str
    themes: list[str]
    website: str
    illustrative: bool

    @staticmethod
    def of(actor: Actor) -> ActorListItemOut:
        place = actor.place
        return ActorListItemOut(
            uuid=actor.uuid,
            name=actor.name,
            acronym=actor.acronym,
            kind=actor.kind,
            level=actor.level,
            status=actor.status,
            moderation=actor.moderation,
            place=place.uuid if place else None,
            place_name=place.name if place else "",
            # Read from the prefetch cache: `.all()` keeps it, `values_list` would query.
            themes=sorted(theme.slug for theme in actor.themes.all()),
            website=actor.website,
            illustrative=actor.illustrative,
        )


class ActorListOut(Schema):
    count: int = Field(
        description="How many actors match; when `count_is_lower_bound`, at least this many."
    )
    count_is_lower_bound: bool = Field(
        description='True when more actors match than were counted (shown as "1,000+").'
    )
    limit: int
    offset: int
    items: list[ActorListItemOut]


class RelationOut(Schema):
    uuid: UUID
    kind: str
    source: ActorRefOut
    target: ActorRefOut
    started_on: dt.date | None
    ended_on: dt.date | None
    source_text: str
    source_url: str
    visibility: str
    illustrative: bool

    @staticmethod
    def of(relation: Relation) -> RelationOut:
        return RelationOut(
            uuid=relation.uuid,
            kind=relation.kind,
            source=ActorRefOut.of(relation.source),
            target=ActorRefOut.of(relation.target),
            started_on=relation.started_on,
            ended_on=relation.ended_on,
            source_text=relation.source_text,
            source_url=relation.source_url,
            visibility=relation.visibility,
            illustrative=relation.illustrative,
        )


class ContactOut(Schema):
    uuid: UUID
    kind: str
    value: str
    label: str
    person_name: str
    visibility: str

    @staticmethod
    def of(contact: ContactPoint) -> ContactOut:
        return ContactOut(
            uuid=contact.uuid,
            kind=contact.kind,
            value=contact.value,
            label=contact.label,
            person_name=contact.person_name,
            visibility=contact.visibility,
        )


class ActorOut(Schema):
    """One actor as the caller may see it. The submitter's e-mail is never part of it."""

    uuid: UUID
    name: str
    acronym: str
    other_names: list[str]
    kind: str
    level: str
    description: str
    status: str
    moderation: str
    rejection_reason: str
    merged_into: UUID | None
    place: UUID | None
    place_name: str
    coverage: list[UUID]
    themes: list[str]
    website: str
    founded_on: dt.date | None
    identifiers: list[IdentifierIO]
    sources: list[SourceIO]
    illustrative: bool
    verified_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    relations: list[RelationOut]
    contacts: list[ContactOut]

    @staticmethod
    def of(
        actor: Actor,
        *,
        relations: Iterable[Relation] = (),
        contacts: Iterable[ContactPoint] = (),
    ) -> ActorOut:
        place = actor.place
        return ActorOut(
            uuid=actor.uuid,
            name=actor.name,
            acronym=actor.acronym,
            other_names=list(actor.other_names or []),
            kind=actor.kind,
            level=actor.level,
            description=actor.description,
            status=actor.status,
            moderation=actor.moderation,
            rejection_reason=actor.rejection_reason,
            merged_into=actor.merged_into.uuid if actor.merged_into else None,
            place=place.uuid if place else None,
            place_name=place.name if place else "",
            coverage=sorted(p.uuid for p in actor.coverage.all()),
            themes=sorted(theme.slug for theme in actor.themes.all()),
            website=actor.website,
            founded_on=actor.founded_on,
            identifiers=[
                IdentifierIO(scheme=i.scheme, identifier=i.identifier)
                for i in sorted(actor.identifiers.all(), key=lambda i: (i.scheme, i.identifier))
            ],
            sources=[SourceIO(**_source(s)) for s in actor.sources or []],
            illustrative=actor.illustrative,
            verified_at=actor.verified_at,
            created_at=actor.created_at,
            updated_at=actor.updated_at,
            relations=[RelationOut.of(r) for r in relations],
            contacts=[ContactOut.of(c) for c in contacts],
        )


def _source(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {key: str(value[key]) for key in ("quote", "title", "url") if key in value}


class ActorCreateIn(InputSchema):
    name: str = Field(max_length=300)
    kind: ActorKind
    level: Level
    acronym: str = Field("", max_length=40)
    other_names: list[str] = []
    description: str = ""
    themes: list[str] = Field([], description="Theme slugs.")
    place: UUID | None = Field(None, description="UUID of the place where the actor sits.")
    coverage: list[UUID] = Field([], description="UUIDs of the places the actor covers.")
    website: str = ""
    founded_on: dt.date | None = None
    status: ActorStatus = ActorStatus.ACTIVE
    identifiers: list[IdentifierIO] = []
    sources: list[SourceIO] = []
    illustrative: bool = False
    publish: bool = Field(True, description="Publish at once; false leaves it pending.")


class ActorUpdateIn(InputSchema):
    """Only the fields sent change; the others keep their value."""

    name: str | None = Field(None, max_length=300)
    kind: ActorKind | None = None
    level: Level | None = None
    acronym: str | None = Field(None, max_length=40)
    other_names: list[str] | None = None
    description: str | None = None
    themes: list[str] | None = None
    place: UUID | None = None
    coverage: list[UUID] | None = None
    website: str | None = None
    founded_on: dt.date | None = None
    status: ActorStatus | None = None
    identifiers: list[IdentifierIO] | None = None
    sources: list[SourceIO] | None = None
    illustrative: bool | None = None
    note: str = Field("", description="Why the change was made; kept in the history.")


class ActorSubmissionIn(InputSchema):
    name: str = Field(max_length=300)
    kind: ActorKind
    level: Level
    acronym: str = Field("", max_length=40)
    other_names: list[str] = []
    description: str = ""
    themes: list[str] = []
    place: UUID | None = None
    coverage: list[UUID] = []
    website: str = ""
    founded_on: dt.date | None = None
    submitter_email: str = Field(
        "", description="Only moderators see it, to ask questions; never published."
    )


class DuplicateOut(Schema):
    actor: ActorRefOut
    score: float


class ActorSubmissionOut(Schema):
    uuid: UUID
    name: str
    moderation: str
    duplicates: list[DuplicateOut] = Field(
        description="Published entries whose name is close: perhaps the same organisation."
    )


class RejectIn(InputSchema):
    reason: str = Field(description="Why; the submitter will read it.")


class MergeIn(InputSchema):
    into: UUID = Field(description="The entry that stays; this one is folded into it.")


class ActorVersionOut(Schema):
    at: dt.datetime
    by: str
    action: str
    changes: dict[str, Any]
    note: str

    @staticmethod
    def of(version: ActorVersion) -> ActorVersionOut:
        return ActorVersionOut(
            at=version.at,
            by=version.by.username if version.by else "",
            action=version.action,
            changes=version.changes,
            note=version.note,
        )


# -- relations ------------------------------------------------------------------------------


class RelationListOut(Schema):
    count: int
    limit: int
    offset: int
    items: list[RelationOut]


class RelationCreateIn(InputSchema):
    source: UUID
    target: UUID
    kind: RelationKind
    started_on: dt.date | None = None
    ended_on: dt.date | None = None
    source_text: str = ""
    source_url: str = ""
    visibility: Visibility = Visibility.PUBLIC
    illustrative: bool = False


class RelationUpdateIn(InputSchema):
    """Only the fields sent change; the two ends of a relation stay as they are."""

    kind: RelationKind | None = None
    started_on: dt.date | None = None
    ended_on: dt.date | None = None
    source_text: str | None = None
    source_url: str | None = None
    visibility: Visibility | None = None
    illustrative: bool | None = None


# -- themes ---------------------------------------------------------------------------------


class ThemeOut(Schema):
    slug: str
    name: str

    @staticmethod
    def of(theme: Theme) -> ThemeOut:
        return ThemeOut(slug=theme.slug, name=theme.name)
