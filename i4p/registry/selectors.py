"""Registry reads. Scoping is built in: private data only reaches users whose grants cover it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, overload

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
    prefetch_related_objects,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Length, Upper
from django.db.models.lookups import Exact

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
    moderation: str = ""  # only entries in this state (with include_pending, for staff)


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
    """Every matching actor in full relevance order: for exports and short lists.

    Ranking this way visits every match; pages of results go through `actor_results`.
    """
    actors = _filtered_actors(user, filters)
    ordering: list[Any] = ["name", "id"]
    if search_words(filters.text):
        actors = text_matches(filters.text, actors)
        # Shorter texts first among equals: "WANEP" before "WANEP Ghana Liaison Office".
        ordering = ["relevance", Length("search_text"), *ordering]
    return actors.select_related("place").prefetch_related("themes").order_by(*ordering)


def actor_results(user: Any, filters: ActorFilters) -> ActorResults:
    """The actors of a search as pages, with a count that stops at `COUNT_LIMIT`."""
    actors = _filtered_actors(user, filters)
    words = search_words(filters.text)
    if not words:
        return ActorResults(actors, actors.order_by("name", "id"), "")
    # Ranked rows are read by id or by tier: the matches only count and fill the last tier.
    return ActorResults(actors, _matching(words, actors), " ".join(words))


def _filtered_actors(user: Any, filters: ActorFilters) -> QuerySet[Actor]:
    actors = visible_actors(user)
    if not filters.include_pending:
        actors = actors.filter(moderation=Moderation.PUBLISHED)
    if filters.moderation:
        actors = actors.filter(moderation=filters.moderation)
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
    return actors


# Past this many matches a search is broad: the count says "1,000+" and only the best tiers
# are ranked (see `ActorResults`). Counting or ranking 25,000 matches of "peace" visits them
# all, which took 30-50 ms over 100,000 actors (bench/search.py).
COUNT_LIMIT = 1000
# The folded text is compared by its first characters only: a btree entry must stay small
# (PostgreSQL refuses index rows past ~2,700 bytes, and other names have no length limit).
_KEY_CHARS = 300


# What a list shows (the API's list items, the directory's rows): loading no more saved about
# 1 ms of the ~6 ms Django spent on a page of 20 (dates, JSON fields, the place's columns).
_LISTED = (
    *("uuid", "name", "acronym", "kind", "level", "status", "moderation", "website"),
    *("illustrative", "place__uuid", "place__name"),
)


class ActorResults:
    """Matching actors for a paginator or the API: `count()`, `len()` and slices of a page.

    The count stops at `counted_to` (at least `COUNT_LIMIT`): past it `count_is_lower_bound`
    is true and `count()` says one more, so a paginator still offers the next page.
    Order: up to `COUNT_LIMIT` matches, full relevance (exact name or acronym, names starting
    with the words, the words at a word start, the rest; shorter texts first). Past it, each
    tier comes from its own index: exact names and acronyms (shorter first), then names
    starting with the words in alphabetical order, then every other match in the order the
    entries were made. An exact match is first however many actors match.
    """

    def __init__(
        self,
        actors: QuerySet[Actor],
        matches: QuerySet[Actor],
        phrase: str,
        *,
        counted_to: int = 0,
    ) -> None:
        self.actors = actors  # filtered, before the text
        self.matches = matches  # filtered and matching the text, not ranked
        self.phrase = phrase
        self.counted_to = max(COUNT_LIMIT, counted_to)
        self._count: int | None = None
        self._ids: list[int] = []  # the first matches, up to the count's bound

    def counting_to(self, rows: int) -> ActorResults:
        """The same results, counted far enough to tell whether a row past `rows` exists."""
        return ActorResults(self.actors, self.matches, self.phrase, counted_to=rows)

    def count(self) -> int:
        if self._count is None:
            # LIMIT: the database stops at the first `counted_to + 1` rows. With words, their
            # ids are kept: up to COUNT_LIMIT they are every match, ranked without searching
            # the full-text index again.
            bounded = self.matches.order_by().values_list("pk", flat=True)[: self.counted_to + 1]
            if self.phrase:
                self._ids = list(bounded)
                self._count = len(self._ids)
            else:
                self._count = bounded.count()
        return self._count

    def __len__(self) -> int:
        return self.count()

    @property
    def count_is_lower_bound(self) -> bool:
        return self.count() > self.counted_to

    @property
    def shown_count(self) -> int:
        """What to tell people: the exact count, or the bound it passed ("1,000+")."""
        return self.counted_to if self.count_is_lower_bound else self.count()

    def __iter__(self) -> Iterator[Actor]:
        return iter(self[0 : self.count()])

    @overload
    def __getitem__(self, index: int) -> Actor: ...

    @overload
    def __getitem__(self, index: slice) -> list[Actor]: ...

    def __getitem__(self, index: int | slice) -> Actor | list[Actor]:
        if isinstance(index, int):
            row = self[index : index + 1]
            if not row:
                raise IndexError(index)
            return row[0]
        start, stop = index.start or 0, index.stop
        if stop is None or stop <= start:
            return []
        if not self.phrase:
            rows = list(self._ranked(self.matches)[start:stop])
        elif self.count() > COUNT_LIMIT:  # the same test however far a page asked to count
            rows = self._broad_page(start, stop)
        else:
            every = Actor.objects.filter(pk__in=self._ids)
            rows = list(self._ranked(every.annotate(relevance=_relevance(self.phrase)))[start:stop])
        prefetch_related_objects(rows, "themes")
        return rows

    def _ranked(self, actors: QuerySet[Actor]) -> QuerySet[Actor]:
        ordering: list[Any] = ["name", "id"]
        if self.phrase:
            ordering = ["relevance", Length("search_text"), *ordering]
        return actors.select_related("place").only(*_LISTED).order_by(*ordering)

    def _broad_page(self, start: int, stop: int) -> list[Actor]:
        """Rows `start:stop` of a broad search, tier by tier, each read in index order.

        The exact and starts-with tiers read the base rows, not the full-text matches: a text
        that is or starts with the words holds every one of them, and leaving the full-text
        condition out lets the database walk the key index alone.
        """
        phrase = self.phrase
        key = _search_key()
        low, high = phrase[:_KEY_CHARS], _successor(phrase[:_KEY_CHARS])
        acronym = _acronym_is(phrase)
        rows: list[Actor] = []
        skipped = 0
        exact = (
            self.actors.alias(key=key)
            .filter(Q(key=low, search_text=phrase) | acronym)
            .select_related("place")
            .only(*_LISTED)
            .order_by(Length("search_text"), "name", "id")
        )
        starting = (
            self.actors.alias(key=key)
            .filter(key__gte=low, key__lt=high)
            .exclude(search_text=phrase)
            .exclude(acronym)
            .select_related("place")
            .only(*_LISTED)
            .order_by("key", "id")
        )
        rest = (
            self.matches.alias(key=key)
            .exclude(key__gte=low, key__lt=high)
            .exclude(acronym)
            .select_related("place")
            .only(*_LISTED)
            .order_by("id")
        )
        for tier in (exact, starting, rest):
            wanted = stop - start - len(rows)
            if wanted <= 0:
                break
            offset = max(0, start - skipped)
            found = list(tier[offset : offset + wanted])
            rows.extend(found)
            if len(found) < wanted:
                # The page goes on into the next tier: how many rows this one held before it.
                skipped += offset + len(found) if found or offset == 0 else tier.count()
        return rows


def _search_key() -> Any:
    """The indexed prefix of `search_text`, compared code point by code point on both engines.

    Written as raw SQL so that it is character for character the indexed expression.
    """
    key = 'substr("registry_actor"."search_text", 1, 300)'  # 300 = _KEY_CHARS
    if connection.vendor == "postgresql":
        key += ' COLLATE "C"'
    return RawSQL(key, ())  # noqa: S611 (constant text, no parameters)


def _successor(text: str) -> str:
    """The first string after every string that starts with `text`, in code point order."""
    return text[:-1] + chr(min(ord(text[-1]) + 1, 0x10FFFF))


def _acronym_is(phrase: str) -> Q:
    # The indexed expression `upper(acronym)`; both sides upper-cased by the same engine.
    return Q(Exact(Upper("acronym"), Upper(Value(phrase))))


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
    return _matching(words, actors).annotate(relevance=_relevance(" ".join(words)))


def _matching(words: list[str], actors: QuerySet[Actor]) -> QuerySet[Actor]:
    if connection.vendor == "sqlite":
        matching = " AND ".join(f'"{word}"*' for word in words)
        ids = RawSQL(
            "SELECT rowid FROM registry_actor_fts WHERE registry_actor_fts MATCH %s", [matching]
        )
        actors = actors.filter(pk__in=ids)
    else:
        matching = " & ".join(f"'{word}':*" for word in words)
        actors = actors.filter(_TsMatch(F("search_text"), Value(matching)))
    return actors


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
        When(Q(search_text=phrase) | _acronym_is(phrase), then=Value(0)),
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
