"""Full-text search of actor names on the engine of the database that runs (FTS5 or tsvector)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse

from i4p.registry import selectors
from i4p.registry.models import Actor
from i4p.registry.selectors import ActorFilters, actor_results, search_actors, text_matches
from i4p.registry.services import ActorData, update_actor
from i4p.registry.tests.builders import make_actor, registry_admin

pytestmark = pytest.mark.django_db


def names(text: str) -> list[str]:
    return [actor.name for actor in search_actors(None, ActorFilters(text=text))]


def test_the_first_letters_of_an_acronym_find_it_while_someone_types() -> None:
    make_actor("West Africa Network for Peacebuilding", acronym="WANEP")
    make_actor("Women in Peacebuilding Network", acronym="WIPNET")
    assert names("wan") == ["West Africa Network for Peacebuilding"]
    assert names("WANEP") == ["West Africa Network for Peacebuilding"]


def test_every_word_must_match_each_as_a_word_or_the_start_of_one() -> None:
    make_actor("Northern Regional Peace Council")
    make_actor("Volta Regional Peace Council")
    make_actor("Northern Youth Forum")
    assert names("north peace") == ["Northern Regional Peace Council"]
    assert sorted(names("regional council")) == [
        "Northern Regional Peace Council",
        "Volta Regional Peace Council",
    ]


def test_a_fragment_from_inside_a_word_does_not_match() -> None:
    make_actor("West Africa Network for Peacebuilding", acronym="WANEP")
    assert names("anep") == []


def test_case_and_accents_do_not_matter() -> None:
    make_actor("Réseau Ivoirien pour la Paix", other_names=["Côte d'Ivoire peace network"])
    assert names("reseau") == ["Réseau Ivoirien pour la Paix"]
    assert names("CÔTE IVOIRE") == ["Réseau Ivoirien pour la Paix"]


def test_other_names_are_searched_too() -> None:
    make_actor("Kenya National Steering Committee", other_names=["NSC on Peacebuilding"])
    assert names("nsc") == ["Kenya National Steering Committee"]


def test_names_in_other_scripts_are_found() -> None:
    make_actor("Лига миротворцев", other_names=["Peacemakers League"])
    assert names("миротвор") == ["Лига миротворцев"]


def test_the_exact_acronym_comes_first_then_names_that_start_with_the_words() -> None:
    make_actor("Christian Council and Pentecostal Churches")
    make_actor("Ghana Pentecostal Council")
    make_actor("Partnership for Education and Peace Network", acronym="PEN")
    make_actor("Pen Makers Union")
    make_actor("Peace Education Network")  # no word starts with "pen": not found
    assert names("pen") == [
        "Partnership for Education and Peace Network",  # the exact acronym
        "Pen Makers Union",  # the name starts with it
        "Ghana Pentecostal Council",  # a later word starts with it; shorter first
        "Christian Council and Pentecostal Churches",
    ]


def paged(text: str, size: int = 2) -> list[str]:
    """Every result of a search, read page by page as a client would."""
    results = actor_results(None, ActorFilters(text=text))
    found: list[str] = []
    while True:
        page = results.counting_to(len(found) + size)[len(found) : len(found) + size]
        found += [actor.name for actor in page]
        if len(page) < size:
            return found


def few_ranked(monkeypatch: pytest.MonkeyPatch, limit: int = 3) -> None:
    """Make a handful of matches a broad search, as 1,000 are in a real registry."""
    monkeypatch.setattr(selectors, "COUNT_LIMIT", limit)


def test_an_exact_acronym_comes_first_even_when_too_many_actors_match_to_rank_them_all(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    few_ranked(monkeypatch)
    make_actor("Christian Council and Pentecostal Churches")
    make_actor("Ghana Pentecostal Council")
    make_actor("Pentecostal Youth Forum")
    make_actor("Pen Makers Union")
    make_actor("Pen and Paper Association")
    make_actor("Partnership for Education and Peace Network", acronym="PEN")  # entered last
    assert paged("pen") == [
        "Partnership for Education and Peace Network",  # the exact acronym
        "Pen and Paper Association",  # names starting with "pen", alphabetical
        "Pen Makers Union",
        "Pentecostal Youth Forum",
        "Christian Council and Pentecostal Churches",  # the rest, in the order entered
        "Ghana Pentecostal Council",
    ]


def test_an_exact_name_comes_before_longer_names_that_start_with_it_in_a_broad_search(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    few_ranked(monkeypatch, limit=2)
    make_actor("Tamale Peace Council Youth Wing")
    make_actor("Tamale Peace Council Elders")
    make_actor("Women of Tamale Peace Council")
    make_actor("Tamale Peace Council")
    assert paged("Tamale peace council", size=1)[:3] == [
        "Tamale Peace Council",
        "Tamale Peace Council Elders",
        "Tamale Peace Council Youth Wing",
    ]


def test_pages_of_a_broad_search_hold_every_match_once(monkeypatch: pytest.MonkeyPatch) -> None:
    few_ranked(monkeypatch)
    wanted = set()
    for number in range(5):
        wanted.add(make_actor(f"Peace Forum {number}").name)
        wanted.add(make_actor(f"Bawku Peace Committee {number}", acronym="PEACE").name)
        wanted.add(make_actor(f"Youth for Peace {number}").name)
    make_actor("Youth Association")
    for size in (1, 2, 4, 7):
        found = paged("peace", size=size)
        assert len(found) == len(wanted) and set(found) == wanted, size
        assert found[:5] == [f"Bawku Peace Committee {n}" for n in range(5)]  # the acronym


def test_a_narrow_search_keeps_the_full_ranking(monkeypatch: pytest.MonkeyPatch) -> None:
    few_ranked(monkeypatch, limit=10)
    make_actor("Ghana Pentecostal Council")
    make_actor("Christian Council and Pentecostal Churches")
    make_actor("Pen Makers Union")
    assert paged("pen") == [
        "Pen Makers Union",
        "Ghana Pentecostal Council",  # shorter first, not the order entered
        "Christian Council and Pentecostal Churches",
    ]


def test_the_count_stops_past_the_limit_and_says_it_is_a_lower_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    few_ranked(monkeypatch)
    for number in range(5):
        make_actor(f"Peace Forum {number}")
    broad = actor_results(None, ActorFilters(text="peace"))
    assert (broad.count(), broad.shown_count, broad.count_is_lower_bound) == (4, 3, True)
    further = broad.counting_to(10)
    assert (further.count(), further.shown_count, further.count_is_lower_bound) == (5, 5, False)
    narrow = actor_results(None, ActorFilters(text="forum 3"))
    assert (narrow.count(), narrow.count_is_lower_bound) == (1, False)


def test_the_directory_says_1000_plus_and_still_pages_forward(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(selectors, "COUNT_LIMIT", 30)
    for number in range(80):
        make_actor(f"Peace Committee {number:02d}")
    first = Client().get(reverse("registry:directory"), {"q": "peace"}).content.decode()
    assert "30+ organisations" in first
    assert "Page 1 of" not in first and 'rel="next"' in first
    # Page 3 lies past what the first page counted: it counts further and offers page 4.
    third = Client().get(reverse("registry:directory"), {"q": "peace", "page": "3"})
    html = third.content.decode()
    assert "Peace Committee 50" in html and "Peace Committee 49" not in html
    assert "page=4" in html
    last = Client().get(reverse("registry:directory"), {"q": "peace", "page": "4"})
    html = last.content.decode()
    assert "80 organisations" in html and "Peace Committee 79" in html
    assert 'rel="next"' not in html


def test_without_search_words_the_directory_stays_in_name_order() -> None:
    make_actor("Zonal Peace Forum")
    make_actor("Accra Peace Forum")
    assert names("") == ["Accra Peace Forum", "Zonal Peace Forum"]
    assert names(" -- ! ") == ["Accra Peace Forum", "Zonal Peace Forum"]


def test_search_syntax_in_what_people_type_is_taken_as_plain_words() -> None:
    make_actor("Peace and Security Council", acronym="PSC")
    typed = ['"peace', "peace*", "(peace", "peace:* |", "peace AND security", "(psc)", "'psc'"]
    for text in typed:
        assert names(text) == ["Peace and Security Council"], text
    assert names("peace NOT security") == []  # NOT is a word to find, not an operator
    assert names("near(psc") == []  # and so is NEAR


def test_the_index_follows_renames_and_deletions() -> None:
    actor = make_actor("Tamale Peace Committee")
    assert names("tamale") == ["Tamale Peace Committee"]
    data = ActorData(name="Sagnarigu Peace Committee", kind=actor.kind, level=actor.level)
    update_actor(actor, data, by=registry_admin())
    assert names("tamale") == []
    assert names("sagnarigu") == ["Sagnarigu Peace Committee"]
    Actor.objects.filter(pk=actor.pk).delete()
    assert names("sagnarigu") == []


def test_text_matches_narrows_the_actors_it_is_given() -> None:
    wanted = make_actor("Bawku Peace Committee")
    make_actor("Bawku Youth Association")
    found = text_matches("bawku", Actor.objects.filter(name__contains="Peace"))
    assert list(found) == [wanted]
    assert {a.name for a in Actor.objects.filter(pk__in=text_matches("bawku"))} == {
        "Bawku Peace Committee",
        "Bawku Youth Association",
    }


def test_the_full_text_index_is_in_place_after_every_migration() -> None:
    """A later migration that rebuilds the actor table on SQLite would drop the triggers."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name FROM sqlite_master"
                " WHERE type = 'trigger' AND tbl_name = 'registry_actor'"
            )
            assert {row[0] for row in cursor.fetchall()} == {
                "registry_actor_fts_insert",
                "registry_actor_fts_update",
                "registry_actor_fts_delete",
            }
        else:
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'registry_actor_search_tsv'"
            )
            (definition,) = cursor.fetchone() or ("",)
            assert "to_tsvector('simple'::regconfig, search_text)" in definition
        # The tiers of a broad search read these (migration 0003).
        indexes = connection.introspection.get_constraints(cursor, "registry_actor")
        assert {"registry_actor_search_key", "registry_actor_acronym_upper"} <= set(indexes)


@pytest.mark.django_db(transaction=True)
def test_the_search_index_migration_can_be_undone_and_redone() -> None:
    make_actor("Bolgatanga Peace Council")
    executor = MigrationExecutor(connection)
    # Every app's latest migration: going back to registry 0001 also unapplies the apps that
    # depend on it (warning), and they must all come back for the tests that follow.
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate([("registry", "0001_initial")])
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT count(*) FROM sqlite_master WHERE name LIKE 'registry_actor_fts%'"
            )
        else:
            cursor.execute(
                "SELECT count(*) FROM pg_indexes WHERE indexname = 'registry_actor_search_tsv'"
            )
        assert cursor.fetchone() == (0,)
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(latest)
    # Entries made before the index existed are found once it is built.
    assert names("bolga") == ["Bolgatanga Peace Council"]
