"""Registry reads. Scoping is built in: private data only reaches users whose grants cover it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from i4p.accounts.permissions import Perm
from i4p.accounts.selectors import scope_of
from i4p.core.text import fold
from i4p.geo.models import Place
from i4p.registry.models import Actor, ContactPoint, Moderation, Relation, Visibility


@dataclass(frozen=True)
class ActorFilters:
    text: str = ""
    kind: str = ""
    level: str = ""
    theme: str = ""
    place: Place | None = None  # the actor sits in, or covers, this place or a place inside it
    include_pending: bool = False


def visible_actors(user: Any) -> QuerySet[Actor]:
    """Published actors for everyone; pending and rejected ones for moderators of their area."""
    scope = scope_of(user, Perm.VIEW_PRIVATE)
    published = Q(moderation=Moderation.PUBLISHED)
    if scope.nowhere:
        condition = published
    else:
        condition = published | (
            Q(moderation__in=[Moderation.PENDING, Moderation.REJECTED]) & scope.q("place")
        )
    return Actor.objects.filter(condition)


def search_actors(user: Any, filters: ActorFilters) -> QuerySet[Actor]:
    actors = visible_actors(user)
    if not filters.include_pending:
        actors = actors.filter(moderation=Moderation.PUBLISHED)
    if filters.kind:
        actors = actors.filter(kind=filters.kind)
    if filters.level:
        actors = actors.filter(level=filters.level)
    if filters.theme:
        actors = actors.filter(themes__slug=filters.theme)
    if filters.place is not None:
        prefix = filters.place.path
        inside = Q(place__path__startswith=prefix) | Q(coverage__path__startswith=prefix)
        actors = actors.filter(pk__in=Actor.objects.filter(inside).values("pk"))
    if filters.text.strip():
        actors = actors.filter(pk__in=text_matches(filters.text))
    return actors.select_related("place").prefetch_related("themes").order_by("name", "id")


def text_matches(text: str) -> QuerySet[Actor]:
    """Ids of actors whose names, acronym or other names contain every word of `text`."""
    matches = Actor.objects.all()
    for word in fold(text).split():
        matches = matches.filter(search_text__contains=word)
    return matches.values("pk")  # type: ignore[return-value]


def actor_detail(user: Any, uuid: Any) -> Actor | None:
    return (
        visible_actors(user)
        .select_related("place", "merged_into", "verified_by")
        .prefetch_related("themes", "coverage", "identifiers")
        .filter(uuid=uuid)
        .first()
    )


def relations_visible_to(user: Any) -> QuerySet[Relation]:
    """Public relations between published actors; private ones within the user's area."""
    scope = scope_of(user, Perm.VIEW_PRIVATE)
    public = Q(visibility=Visibility.PUBLIC)
    condition = public if scope.nowhere else public | scope.q("source__place")
    return (
        Relation.objects.filter(condition)
        .filter(source__moderation=Moderation.PUBLISHED, target__moderation=Moderation.PUBLISHED)
        .select_related("source", "target")
    )


def actor_relations(user: Any, actor: Actor) -> QuerySet[Relation]:
    return (
        relations_visible_to(user)
        .filter(Q(source=actor) | Q(target=actor))
        .order_by("kind", "source__name", "target__name")
    )


def contacts_visible_to(user: Any, actor: Actor) -> QuerySet[ContactPoint]:
    scope = scope_of(user, Perm.VIEW_PRIVATE)
    contacts = actor.contacts.all()
    if scope.covers(actor.place):
        return contacts
    # Someone's name is shown only with their consent, even when the contact is public.
    return contacts.filter(visibility=Visibility.PUBLIC).filter(
        Q(person_name="") | Q(consent_at__isnull=False)
    )


def moderation_queue(user: Any) -> QuerySet[Actor]:
    scope = scope_of(user, Perm.MODERATE)
    return (
        Actor.objects.filter(moderation=Moderation.PENDING)
        .filter(scope.q("place"))
        .select_related("place")
        .order_by("created_at")
    )


def actors_with_relations(user: Any) -> QuerySet[Actor]:
    return visible_actors(user).prefetch_related(
        Prefetch("relations_out", queryset=relations_visible_to(user))
    )
