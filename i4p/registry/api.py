"""Registry endpoints of /api/v1: actors, their relations and the theme list.

Each operation parses its input, calls one service or selector, and shapes the answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any, Literal, TypeVar
from uuid import UUID

from django.db.models import Model, QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from i4p.accounts.permissions import Perm
from i4p.accounts.selectors import can
from i4p.api.auth import anyone, require_write, token_or_session
from i4p.api.schemas import MAX_OFFSET
from i4p.core.errors import Invalid, NotAllowed, NotFound
from i4p.geo.models import Place
from i4p.registry import services
from i4p.registry.models import Actor, ActorKind, Level, Relation, RelationKind, Theme
from i4p.registry.schemas import (
    ActorCreateIn,
    ActorListItemOut,
    ActorListOut,
    ActorOut,
    ActorRefOut,
    ActorSubmissionIn,
    ActorSubmissionOut,
    ActorUpdateIn,
    ActorVersionOut,
    DuplicateOut,
    FieldsOut,
    MergeIn,
    RejectIn,
    RelationCreateIn,
    RelationListOut,
    RelationOut,
    RelationUpdateIn,
    ThemeOut,
)
from i4p.registry.selectors import (
    ActorFilters,
    actor_detail,
    actor_relations,
    actor_results,
    contacts_visible_to,
    relations_visible_to,
    visible_actors,
)

router = Router(tags=["registry"])
M = TypeVar("M", bound=Model)

# Every answer other than success has the same shape; listing them puts it in the spec.
ERRORS: dict[int, type[Schema]] = {code: FieldsOut for code in (400, 401, 403, 404, 409)}
MAX_LIMIT = 100


class ActorQuery(Schema):
    q: str = Field("", max_length=200, description="Words of a name, acronym or other name.")
    kind: ActorKind | None = None
    level: Level | None = None
    theme: str = Field("", max_length=60, pattern=r"^[-\w]*$", description="A theme slug.")
    place: UUID | None = Field(None, description="Actors seated in or covering this place.")
    moderation: Literal["", "published", "pending", "rejected"] = Field(
        "", description="pending or rejected: entries in moderation, for staff of their area."
    )
    limit: int = Field(20, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class RelationQuery(Schema):
    actor: UUID | None = Field(None, description="Relations from or to this actor.")
    kind: RelationKind | None = None
    limit: int = Field(50, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


# -- actors ---------------------------------------------------------------------------------


@router.get("/actors", auth=anyone, response={200: ActorListOut, **ERRORS})
def list_actors(request: HttpRequest, query: Query[ActorQuery]) -> ActorListOut:
    """Published actors (and, for staff, pending ones of their area), best matches first."""
    filters = ActorFilters(
        text=query.q,
        kind=query.kind or "",
        level=query.level or "",
        theme=query.theme,
        place=_place(query.place, "place"),
        include_pending=bool(query.moderation),
    )
    if query.moderation:
        filters = replace(filters, moderation=query.moderation)
    # Counted up to 1,000 matches, or past the end of this page when it lies further.
    results = actor_results(request.user, filters).counting_to(query.offset + query.limit)
    page = results[query.offset : query.offset + query.limit]
    if len(page) < query.limit and (page or query.offset == 0):
        count, lower_bound = query.offset + len(page), False  # a short page tells the total
    else:
        count, lower_bound = results.shown_count, results.count_is_lower_bound
    return ActorListOut(
        count=count,
        count_is_lower_bound=lower_bound,
        limit=query.limit,
        offset=query.offset,
        items=[ActorListItemOut.of(actor) for actor in page],
    )


@router.post("/actors/submissions", auth=None, response={201: ActorSubmissionOut, **ERRORS})
def submit_actor(request: HttpRequest, payload: ActorSubmissionIn) -> Status[ActorSubmissionOut]:
    """Anyone may propose an entry; it waits for a moderator and names likely duplicates.

    Registered before `/actors/{uuid}` so that "submissions" is not taken for a UUID.
    """
    data = services.ActorData(
        **payload.model_dump(exclude={"place", "coverage", "submitter_email"}),
        place=_place(payload.place, "place"),
        coverage=_places(payload.coverage, "coverage"),
    )
    actor, duplicates = services.submit_actor(
        data, by=request.user, submitter_email=payload.submitter_email
    )
    # Only entries the caller may already see: a pending entry elsewhere is not public.
    shown = set(
        visible_actors(request.user)
        .filter(pk__in=[duplicate.pk for duplicate, _score in duplicates])
        .values_list("pk", flat=True)
    )
    answer = ActorSubmissionOut(
        uuid=actor.uuid,
        name=actor.name,
        moderation=actor.moderation,
        duplicates=[
            DuplicateOut(actor=ActorRefOut.of(duplicate), score=score)
            for duplicate, score in duplicates
            if duplicate.pk in shown
        ],
    )
    return Status(201, answer)


@router.get("/actors/{uuid}", auth=anyone, response={200: ActorOut, **ERRORS})
def get_actor(request: HttpRequest, uuid: UUID) -> ActorOut:
    actor = _visible_actor(request, uuid)
    return _actor_out(request, actor, reload=False)


@router.post("/actors", auth=token_or_session, response={201: ActorOut, **ERRORS})
def create_actor(request: HttpRequest, payload: ActorCreateIn) -> Status[ActorOut]:
    """Staff entry: published at once unless `publish` is false."""
    require_write(request)
    data = services.ActorData(
        **payload.model_dump(exclude={"place", "coverage", "identifiers", "sources", "publish"}),
        place=_place(payload.place, "place"),
        coverage=_places(payload.coverage, "coverage"),
        identifiers=[(i.scheme, i.identifier) for i in payload.identifiers],
        sources=[s.model_dump() for s in payload.sources],
    )
    actor = services.create_actor(data, by=request.user, publish=payload.publish)
    return Status(201, _actor_out(request, actor))


@router.patch("/actors/{uuid}", auth=token_or_session, response={200: ActorOut, **ERRORS})
def update_actor(request: HttpRequest, uuid: UUID, payload: ActorUpdateIn) -> ActorOut:
    require_write(request)
    actor = _visible_actor(request, uuid)
    sent = payload.model_fields_set - {"note"}
    changes: dict[str, Any] = {
        name: getattr(payload, name)
        for name in sent - {"place", "coverage", "identifiers", "sources"}
    }
    if "place" in sent:
        changes["place"] = _place(payload.place, "place")
    if "coverage" in sent:
        changes["coverage"] = _places(payload.coverage or [], "coverage")
    if "identifiers" in sent:
        changes["identifiers"] = [(i.scheme, i.identifier) for i in payload.identifiers or []]
    if "sources" in sent:
        changes["sources"] = [s.model_dump() for s in payload.sources or []]
    for name, value in list(changes.items()):
        if value is None and name not in ("place", "founded_on"):
            raise Invalid(
                f"{name} cannot be null.", fields={name: ["Leave it out, or give a value."]}
            )
    data = replace(_current_data(actor), **changes)
    actor = services.update_actor(actor, data, by=request.user, note=payload.note)
    return _actor_out(request, actor)


@router.post("/actors/{uuid}/publish", auth=token_or_session, response={200: ActorOut, **ERRORS})
def publish_actor(request: HttpRequest, uuid: UUID) -> ActorOut:
    require_write(request)
    actor = services.publish_actor(_visible_actor(request, uuid), by=request.user)
    return _actor_out(request, actor)


@router.post("/actors/{uuid}/reject", auth=token_or_session, response={200: ActorOut, **ERRORS})
def reject_actor(request: HttpRequest, uuid: UUID, payload: RejectIn) -> ActorOut:
    require_write(request)
    actor = services.reject_actor(
        _visible_actor(request, uuid), by=request.user, reason=payload.reason
    )
    return _actor_out(request, actor)


@router.post("/actors/{uuid}/merge", auth=token_or_session, response={200: ActorOut, **ERRORS})
def merge_actor(request: HttpRequest, uuid: UUID, payload: MergeIn) -> ActorOut:
    """Fold this entry into `into`; the answer is the entry that stays."""
    require_write(request)
    duplicate = _visible_actor(request, uuid)
    into = _actor_field(request, payload.into, "into")
    kept = services.merge_actors(duplicate, into=into, by=request.user)
    return _actor_out(request, kept)


@router.get(
    "/actors/{uuid}/history",
    auth=token_or_session,
    response={200: list[ActorVersionOut], **ERRORS},
)
def actor_history(request: HttpRequest, uuid: UUID) -> list[ActorVersionOut]:
    """Every edit of the entry, newest first: for staff of the entry's area."""
    actor = _visible_actor(request, uuid)
    if not can(request.user, Perm.VIEW_PRIVATE, actor.place):
        raise NotAllowed("Only staff of this area can read the history of this entry.")
    versions = actor.versions.select_related("by").order_by("-at", "-id")
    return [ActorVersionOut.of(version) for version in versions]


# -- relations ------------------------------------------------------------------------------


@router.get("/relations", auth=anyone, response={200: RelationListOut, **ERRORS})
def list_relations(request: HttpRequest, query: Query[RelationQuery]) -> RelationListOut:
    relations = relations_visible_to(request.user)
    if query.actor is not None:
        actor = _actor_field(request, query.actor, "actor")
        relations = actor_relations(request.user, actor)
    if query.kind:
        relations = relations.filter(kind=query.kind)
    relations = relations.order_by("kind", "source__name", "target__name", "id")
    page, count = _page(relations, query.offset, query.limit)
    return RelationListOut(
        count=count,
        limit=query.limit,
        offset=query.offset,
        items=[RelationOut.of(relation) for relation in page],
    )


@router.post("/relations", auth=token_or_session, response={201: RelationOut, **ERRORS})
def create_relation(request: HttpRequest, payload: RelationCreateIn) -> Status[RelationOut]:
    require_write(request)
    source = _actor_field(request, payload.source, "source")
    target = _actor_field(request, payload.target, "target")
    data = services.RelationData(**payload.model_dump(exclude={"source", "target"}))
    relation = services.add_relation(source, target, data, by=request.user)
    return Status(201, RelationOut.of(relation))


@router.patch("/relations/{uuid}", auth=token_or_session, response={200: RelationOut, **ERRORS})
def update_relation(request: HttpRequest, uuid: UUID, payload: RelationUpdateIn) -> RelationOut:
    require_write(request)
    relation = _visible_relation(request, uuid)
    changes = {name: getattr(payload, name) for name in payload.model_fields_set}
    for name, value in changes.items():
        if value is None and name not in ("started_on", "ended_on"):
            raise Invalid(
                f"{name} cannot be null.", fields={name: ["Leave it out, or give a value."]}
            )
    current = services.RelationData(
        kind=relation.kind,
        started_on=relation.started_on,
        ended_on=relation.ended_on,
        source_text=relation.source_text,
        source_url=relation.source_url,
        visibility=relation.visibility,
        illustrative=relation.illustrative,
    )
    relation = services.update_relation(relation, replace(current, **changes), by=request.user)
    return RelationOut.of(relation)


@router.delete("/relations/{uuid}", auth=token_or_session, response={204: None, **ERRORS})
def delete_relation(request: HttpRequest, uuid: UUID) -> Status[None]:
    require_write(request)
    services.remove_relation(_visible_relation(request, uuid), by=request.user)
    return Status(204, None)


# -- themes ---------------------------------------------------------------------------------


@router.get("/themes", auth=anyone, response={200: list[ThemeOut], **ERRORS})
def list_themes(request: HttpRequest) -> list[ThemeOut]:
    return [ThemeOut.of(theme) for theme in Theme.objects.order_by("name", "slug")]


def _page(rows: QuerySet[M], offset: int, limit: int) -> tuple[list[M], int]:
    """One page and the total. A short page tells the total itself; otherwise one COUNT.

    `COUNT(*) OVER ()` in the page query was measured too, and was slower on both databases
    over 100,000 actors: the window makes the database keep every matching row, where the
    ordered page alone keeps only the best `limit` of them.
    """
    page = list(rows[offset : offset + limit])
    if len(page) < limit and (page or offset == 0):
        return page, offset + len(page)
    return page, rows.count()


# -- parsing helpers: references by UUID, unknown ones are the caller's mistake (400) --------


def _place(uuid: UUID | None, field: str) -> Place | None:
    if uuid is None:
        return None
    place = Place.objects.filter(uuid=uuid).first()
    if place is None:
        raise Invalid("Unknown place.", fields={field: [f"No place has the UUID {uuid}."]})
    return place


def _places(uuids: Iterable[UUID], field: str) -> list[Place]:
    wanted = list(dict.fromkeys(uuids))
    if not wanted:
        return []
    found = {place.uuid: place for place in Place.objects.filter(uuid__in=wanted)}
    missing = [str(uuid) for uuid in wanted if uuid not in found]
    if missing:
        raise Invalid(
            "Unknown place.", fields={field: [f"No place has the UUID {u}." for u in missing]}
        )
    return [found[uuid] for uuid in wanted]


def _visible_actor(request: HttpRequest, uuid: UUID) -> Actor:
    actor = actor_detail(request.user, uuid)
    if actor is None:
        raise NotFound("No such organisation.")
    return actor


def _actor_field(request: HttpRequest, uuid: UUID, field: str) -> Actor:
    actor = visible_actors(request.user).select_related("place").filter(uuid=uuid).first()
    if actor is None:
        raise Invalid(
            "Unknown organisation.", fields={field: [f"No organisation has the UUID {uuid}."]}
        )
    return actor


def _visible_relation(request: HttpRequest, uuid: UUID) -> Relation:
    relation = (
        relations_visible_to(request.user).select_related("source__place").filter(uuid=uuid).first()
    )
    if relation is None:
        raise NotFound("No such relation.")
    return relation


def _current_data(actor: Actor) -> services.ActorData:
    """The actor's facts as a service input, so a partial update can change a few of them."""
    return services.ActorData(
        name=actor.name,
        kind=actor.kind,
        level=actor.level,
        acronym=actor.acronym,
        other_names=list(actor.other_names or []),
        description=actor.description,
        themes=[theme.slug for theme in actor.themes.all()],
        place=actor.place,
        coverage=list(actor.coverage.all()),
        website=actor.website,
        founded_on=actor.founded_on,
        status=actor.status,
        identifiers=[(i.scheme, i.identifier) for i in actor.identifiers.all()],
        sources=list(actor.sources or []),
        illustrative=actor.illustrative,
    )


def _actor_out(request: HttpRequest, actor: Actor, *, reload: bool = True) -> ActorOut:
    # After a write, reload through the selector: the answer shows what this caller may see.
    shown = (actor_detail(request.user, actor.uuid) or actor) if reload else actor
    return ActorOut.of(
        shown,
        relations=actor_relations(request.user, shown),
        contacts=contacts_visible_to(request.user, shown),
    )
