"""Registry reads. Scoping is built in: private data only reaches users whose grants cover it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    F,
    Func,
    IntegerField,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Length

from i4p.accounts.permissions import Perm
from i4p.accounts.selectors import scope_of
from i4p.core.text import fold
from i4p.geo.models import Place
from i4p.registry.models import Actor, ContactPoint, Moderation, Relation, Visibility

# A search is for a name: a few words are plenty, and a long paste must not cost the database.
MAX_SEARCH_WORDS = 8
_WORD = re.compile(r"[^\W_]+")


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
    ordering: list[Any] = ["name", "id"]
    if search_words(filters.text):
        actors = text_matches(filters.text, actors)
        # Shorter texts first among equals: "WANEP" before "WANEP Ghana Liaison Office".
        ordering = ["relevance", Length("search_text"), *ordering]
    return actors.select_related("place").prefetch_related("themes").order_by(*ordering)


def search_words(text: str) -> list[str]:
    """The words of a search as both engines split them: folded, letters and digits only."""
    return _WORD.findall(fold(text))[:MAX_SEARCH_WORDS]


def text_matches(text: str, actors: QuerySet[Actor] | None = None) -> QuerySet[Actor]:
    """`actors` whose names, acronym or other names hold every word of `text`, ranked.

    Each word also matches as the start of a longer word, so "wan" finds WANEP while someone
    types. Matching uses the full-text index of the database that runs (FTS5 on SQLite, a GIN
    tsvector index on PostgreSQL); each row gets a `relevance` (0 is best) to order by.
    """
    actors = Actor.objects.all() if actors is None else actors
    words = search_words(text)
    if not words:
        return actors
    if connection.vendor == "sqlite":
        matching = " AND ".join(f'"{word}"*' for word in words)
        ids = RawSQL(
            "SELECT rowid FROM registry_actor_fts WHERE registry_actor_fts MATCH %s", [matching]
        )
        actors = actors.filter(pk__in=ids)
    else:
        matching = " & ".join(f"'{word}':*" for word in words)
        actors = actors.filter(_TsMatch(F("search_text"), Value(matching)))
    return actors.annotate(relevance=_relevance(" ".join(words)))


class _TsMatch(Func):
    """`to_tsvector('simple', text) @@ to_tsquery('simple', query)`: the expression indexed."""

    template = "to_tsvector('simple', %(expressions)s)"
    arg_joiner = ") @@ to_tsquery('simple', "
    output_field = BooleanField()


def _relevance(phrase: str) -> Case:
    """How well a matching actor answers `phrase`: the same order on either database.

    Every row here already holds all the words, so the engines' own scores (bm25, ts_rank)
    would differ only by text length; for names what people expect is the exact name or
    acronym first, then names that start with what they typed, then the phrase at a word start.
    """
    return Case(
        When(Q(search_text=phrase) | Q(acronym__iexact=phrase), then=Value(0)),
        When(search_text__startswith=phrase, then=Value(1)),
        When(search_text__contains=f" {phrase}", then=Value(2)),
        default=Value(3),
        output_field=IntegerField(),
    )


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
