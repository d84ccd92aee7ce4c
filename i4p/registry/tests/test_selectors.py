"""Registry reads: a search keeps its scoping, its filters and a stable order."""

from __future__ import annotations

from typing import Any

import pytest

from i4p.accounts.models import Role
from i4p.accounts.services import grant_role
from i4p.accounts.tests.factories import make_user
from i4p.geo.tests.factories import make_place
from i4p.registry import selectors
from i4p.registry.models import Moderation
from i4p.registry.selectors import ActorFilters, actor_results, search_actors, search_words
from i4p.registry.tests.builders import make_actor

pytestmark = pytest.mark.django_db


def test_a_search_finds_pending_entries_only_for_moderators_of_their_area() -> None:
    ghana = make_place("Ghana", country_code="GH")
    northern = make_place("Northern", kind="admin1", parent=ghana)
    volta = make_place("Volta", kind="admin1", parent=ghana)
    make_actor("Tamale Youth Peace Forum", place=northern, moderation=Moderation.PENDING)
    make_actor("Ho Youth Peace Forum", place=volta, moderation=Moderation.PENDING)
    make_actor("Accra Youth Peace Forum", place=ghana)
    moderator = make_user("mod")
    grant_role(moderator, by=None, role=Role.MODERATOR, place=northern)

    def names(user: object, include_pending: bool) -> set[str]:
        filters = ActorFilters(text="youth peace", include_pending=include_pending)
        return {actor.name for actor in search_actors(user, filters)}

    assert names(None, include_pending=True) == {"Accra Youth Peace Forum"}
    assert names(moderator, include_pending=False) == {"Accra Youth Peace Forum"}
    assert names(moderator, include_pending=True) == {
        "Accra Youth Peace Forum",
        "Tamale Youth Peace Forum",
    }


def test_every_tier_of_a_broad_search_keeps_the_scoping_and_the_filters(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(selectors, "COUNT_LIMIT", 1)
    ghana = make_place("Ghana", country_code="GH")
    northern = make_place("Northern", kind="admin1", parent=ghana)
    volta = make_place("Volta", kind="admin1", parent=ghana)
    pending = Moderation.PENDING
    make_actor("Ho Dialogue Forum", acronym="PEACE", place=volta, moderation=pending)  # exact
    make_actor("Peace Forum of Ho", place=volta, moderation=pending)  # starts with the words
    make_actor("Ho Youth for Peace", place=volta, moderation=pending)  # the rest
    make_actor("Peace Committee of Tamale", kind="lpc", place=northern)
    make_actor("Peace Network of Tamale", kind="network", place=northern)
    make_actor("Tamale Peace Council", kind="lpc", place=northern)
    moderator = make_user("mod")
    grant_role(moderator, by=None, role=Role.MODERATOR, place=northern)

    def names(user: object, **filters: Any) -> list[str]:
        results = actor_results(user, ActorFilters(text="peace", **filters))
        assert results.count_is_lower_bound  # broad: the tiers are read from their indexes
        return [actor.name for actor in results[0:10]]

    public = ["Peace Committee of Tamale", "Peace Network of Tamale", "Tamale Peace Council"]
    assert names(None, include_pending=True) == public
    assert names(moderator, include_pending=True) == public
    assert names(None, kind="lpc") == ["Peace Committee of Tamale", "Tamale Peace Council"]


def test_rejected_and_merged_entries_are_never_found_by_the_public() -> None:
    make_actor("Bawku Peace Forum", moderation=Moderation.REJECTED)
    make_actor("Bawku Peace Committee", moderation=Moderation.MERGED)
    make_actor("Bawku Peace Council")
    found = search_actors(None, ActorFilters(text="bawku", include_pending=True))
    assert [actor.name for actor in found] == ["Bawku Peace Council"]


def test_words_combine_with_the_place_and_kind_filters() -> None:
    ghana = make_place("Ghana", country_code="GH")
    tamale = make_place(
        "Tamale", kind="admin2", parent=make_place("Northern", kind="admin1", parent=ghana)
    )
    make_actor("Tamale Peace Committee", kind="lpc", place=tamale)
    make_actor("Tamale Peace Network", kind="network", coverage=[tamale])
    make_actor(
        "Kumasi Peace Committee",
        kind="lpc",
        place=make_place("Kumasi", kind="admin1", parent=ghana),
    )
    found = search_actors(None, ActorFilters(text="peace", kind="lpc", place=ghana))
    assert [actor.name for actor in found] == ["Kumasi Peace Committee", "Tamale Peace Committee"]
    found = search_actors(None, ActorFilters(text="peace", place=tamale))
    assert [actor.name for actor in found] == ["Tamale Peace Network", "Tamale Peace Committee"]


def test_the_search_words_are_folded_split_and_capped() -> None:
    assert search_words("Côte-d'Ivoire  réseau_paix") == ["cote", "d", "ivoire", "reseau", "paix"]
    assert len(search_words("peace " * 50)) == 8
    assert search_words("¿!") == []
