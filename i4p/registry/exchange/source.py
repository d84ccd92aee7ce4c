"""What an export reads: the actors, relations and contacts a user may see, in batches."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from django.db.models import Q, QuerySet

from i4p.accounts.permissions import Perm
from i4p.accounts.selectors import scope_of
from i4p.registry.exchange.places import PlaceBook
from i4p.registry.models import Actor, ContactPoint, Relation, Visibility
from i4p.registry.selectors import ActorFilters, relations_visible_to, search_actors
from i4p.registry.services import ActorData

BATCH = 1000


@dataclass
class ExportSource:
    """The actors (and their relations) that `user` may see through `filters`."""

    user: Any
    filters: ActorFilters = field(default_factory=ActorFilters)
    places: PlaceBook = field(default_factory=PlaceBook)

    def actors(self) -> QuerySet[Actor]:
        return search_actors(self.user, self.filters).prefetch_related("identifiers", "coverage")

    def batches(self) -> Iterator[list[Actor]]:
        """Actors a thousand at a time, with their places loaded: memory stays flat."""
        batch: list[Actor] = []
        for actor in self.actors().iterator(chunk_size=BATCH):
            batch.append(actor)
            if len(batch) == BATCH:
                yield self._ready(batch)
                batch = []
        if batch:
            yield self._ready(batch)

    def _ready(self, batch: list[Actor]) -> list[Actor]:
        place_ids: list[int | None] = [actor.place_id for actor in batch]
        for actor in batch:
            place_ids += [place.pk for place in actor.coverage.all()]
        self.places.load(place_ids)
        return batch

    def relations(self) -> Iterator[Relation]:
        """Visible relations whose both ends are among the exported actors."""
        relations = (
            relations_visible_to(self.user)
            .select_related("source__place", "target__place")
            .order_by("source__name", "kind", "target__name", "pk")
        )
        # Visible relations join published actors only, so without filters nothing is left
        # to check. With filters, the exported ids are checked here: an `IN (subquery)` on
        # both ends makes SQLite probe every pair.
        unfiltered = replace(self.filters, include_pending=False) == ActorFilters()
        exported = None if unfiltered else set(self.actors().values_list("pk", flat=True))
        for relation in relations.iterator(chunk_size=2000):
            if exported is None or (
                relation.source_id in exported and relation.target_id in exported
            ):
                yield relation

    def identifier_schemes(self) -> list[str]:
        from i4p.registry.models import ActorIdentifier

        ids = self.actors().order_by().values("pk")
        schemes = ActorIdentifier.objects.filter(actor__in=ids).values_list("scheme", flat=True)
        return sorted(set(schemes))


def contacts_by_actor(user: Any, actors: list[Actor]) -> dict[int, list[ContactPoint]]:
    """`contacts_visible_to` for a whole batch in two queries, by the same rule.

    All contacts of actors seated inside the user's area; elsewhere only public ones, and a
    named person only with their recorded consent.
    """
    scope = scope_of(user, Perm.VIEW_PRIVATE)
    covered = [actor.pk for actor in actors if scope.covers(actor.place)]
    others = [actor.pk for actor in actors if actor.pk not in set(covered)]
    found: dict[int, list[ContactPoint]] = defaultdict(list)
    queries = []
    if covered:
        queries.append(ContactPoint.objects.filter(actor_id__in=covered))
    if others:
        queries.append(
            ContactPoint.objects.filter(actor_id__in=others, visibility=Visibility.PUBLIC).filter(
                Q(person_name="") | Q(consent_at__isnull=False)
            )
        )
    for query in queries:
        for contact in query.order_by("kind", "pk"):
            found[contact.actor_id].append(contact)
    return found


def actor_data_of(actor: Actor) -> ActorData:
    """The public facts of a stored actor, in the shape the services take."""
    return ActorData(
        name=actor.name,
        kind=actor.kind,
        level=actor.level,
        acronym=actor.acronym,
        other_names=list(actor.other_names or []),
        description=actor.description,
        themes=sorted(theme.slug for theme in actor.themes.all()),
        place=actor.place,
        coverage=sorted(actor.coverage.all(), key=lambda place: place.pk),
        website=actor.website,
        founded_on=actor.founded_on,
        status=actor.status,
        identifiers=sorted((i.scheme, i.identifier) for i in actor.identifiers.all()),
        sources=list(actor.sources or []),
        illustrative=actor.illustrative,
    )


def same_data(one: ActorData, other: ActorData) -> bool:
    """Whether saving `other` over `one` would change nothing."""

    def key(data: ActorData) -> tuple[Any, ...]:
        return (
            data.name.strip(),
            data.kind,
            data.level,
            data.acronym,
            list(data.other_names),
            data.description,
            sorted(data.themes),
            data.place.pk if data.place else None,
            sorted(place.pk for place in data.coverage),
            data.website,
            data.founded_on,
            data.status,
            sorted((s.strip(), i.strip()) for s, i in data.identifiers),
            list(data.sources),
            data.illustrative,
        )

    return key(one) == key(other)
