"""Network figures: degree, components, brokers, coverage gaps, isolation, scoping and caching."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from io import StringIO
from typing import Any

import igraph as ig
import numpy as np
import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.core.management import call_command
from django_tasks import default_task_backend

from i4p.accounts.models import Role, User
from i4p.accounts.services import grant_role
from i4p.accounts.tests.factories import make_user
from i4p.core.errors import NotFound
from i4p.geo.models import Place
from i4p.geo.tests.factories import make_place
from i4p.registry import network
from i4p.registry.models import Actor, ActorKind, Level, Relation, RelationKind, Visibility
from i4p.registry.network import (
    betweenness_error,
    build_graph,
    neighbourhood,
    network_figures,
    ready_network_figures,
)
from i4p.registry.selectors import relations_visible_to
from i4p.registry.services import ActorData, RelationData, add_relation, create_actor

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def own_cache(settings: Any) -> Iterator[None]:
    # Each test starts with an empty cache of its own: figures of one test never leak into another.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()
    yield
    cache.clear()


def admin() -> User:
    user = User.objects.filter(username="network-admin").first()
    return user or make_user("network-admin", is_superuser=True, is_staff=True)


def actor(
    name: str,
    *,
    kind: str = ActorKind.CSO,
    level: str = Level.NATIONAL,
    place: Place | None = None,
    coverage: list[Place] | None = None,
    publish: bool = True,
) -> Actor:
    data = ActorData(name=name, kind=kind, level=level, place=place, coverage=coverage or [])
    return create_actor(data, by=admin(), publish=publish)


def link(
    source: Actor,
    target: Actor,
    kind: str = RelationKind.PARTNER_OF,
    *,
    visibility: str = Visibility.PUBLIC,
) -> Relation:
    return add_relation(source, target, RelationData(kind=kind, visibility=visibility), by=admin())


def names(rows: list[Any]) -> list[str]:
    return [row.actor.name for row in rows]


def test_degree_and_components_are_counted_on_a_known_graph() -> None:
    hub, a, b, c = (actor(name) for name in ("Hub", "Alpha", "Beta", "Gamma"))
    link(a, hub, RelationKind.MEMBER_OF)
    link(b, hub, RelationKind.MEMBER_OF)
    link(hub, c, RelationKind.FUNDS)
    link(c, hub, RelationKind.REPORTS_TO)  # a second relation with the same partner
    pair_one, pair_two = actor("Pair one"), actor("Pair two")
    link(pair_one, pair_two)
    actor("Alone")

    figures = network_figures(AnonymousUser())

    assert (figures.actors, figures.relations) == (7, 5)
    top = figures.degree[0]
    assert (top.actor.name, top.in_degree, top.out_degree, top.degree) == ("Hub", 3, 1, 4)
    degrees = {row.actor.name: row.degree for row in figures.degree}
    assert degrees["Gamma"] == 2
    assert degrees["Alone"] == 0
    components = figures.components
    assert (components.count, components.largest, components.singletons) == (3, 4, 1)
    assert components.sizes == {4: 1, 2: 1, 1: 1}
    assert components.small_total == 1
    assert sorted(a.name for a in components.small[0].actors) == ["Pair one", "Pair two"]
    # Only the hub stands between others: Alpha, Beta and Gamma reach each other through it.
    assert figures.betweenness.method == "exact"
    assert names(figures.betweenness.top) == ["Hub"]
    assert figures.betweenness.top[0].betweenness == 3.0


def test_the_broker_between_a_local_committee_and_a_national_council_is_found() -> None:
    committee = actor(
        "Tamale Peace Committee", kind=ActorKind.LOCAL_PEACE_COMMITTEE, level=Level.COMMUNITY
    )
    council = actor("National Peace Council", kind=ActorKind.PEACE_COUNCIL, level=Level.NATIONAL)
    district = actor("District Peace Network", kind=ActorKind.NETWORK, level=Level.DISTRICT)
    other_committee = actor(
        "Yendi Peace Committee", kind=ActorKind.LOCAL_PEACE_COMMITTEE, level=Level.COMMUNITY
    )
    link(committee, district, RelationKind.MEMBER_OF)
    link(other_committee, district, RelationKind.MEMBER_OF)
    link(district, council, RelationKind.REPORTS_TO)

    figures = network_figures(AnonymousUser())

    assert names(figures.level_brokers) == ["District Peace Network"]
    broker = figures.level_brokers[0]
    assert broker.bands == ["local", "national"]
    assert broker.levels == [Level.COMMUNITY, Level.NATIONAL]
    assert broker.cross_pairs == 2  # each committee paired with the council
    assert figures.level_brokers_total == 1


def test_a_district_without_a_committee_is_a_coverage_gap() -> None:
    country = make_place("Ghana", country_code="GH")
    region = make_place("Northern", kind="admin1", parent=country)
    other_region = make_place("Volta", kind="admin1", parent=country)
    tamale = make_place("Tamale", kind="admin2", parent=region)
    yendi = make_place("Yendi", kind="admin2", parent=region)
    village = make_place("Kumbungu", kind="locality", parent=tamale)
    actor(
        "Kumbungu Peace Committee",
        kind=ActorKind.LOCAL_PEACE_COMMITTEE,
        level=Level.COMMUNITY,
        place=village,
    )
    # A national council covering the country does not make each district covered.
    actor("National Peace Council", kind=ActorKind.PEACE_COUNCIL, place=country, coverage=[country])
    # Nor does a CSO in Yendi: it is no peace mechanism.
    actor("Yendi Youth Forum", level=Level.DISTRICT, place=yendi)
    make_place("Togo", country_code="TG")
    lome = make_place("Maritime", kind="admin1", parent=Place.objects.get(name="Togo"))
    actor("Lomé Women's Group", level=Level.DISTRICT, place=lome)

    coverage = network_figures(AnonymousUser()).coverage

    gaps = {(gap.place.name, gap.within.name) for gap in coverage.gaps}
    assert gaps == {("Yendi", "Northern"), ("Volta", "Ghana")}
    yendi_gap = next(gap for gap in coverage.gaps if gap.place.name == "Yendi")
    assert (yendi_gap.siblings, yendi_gap.siblings_covered) == (2, 1)
    assert yendi_gap.place.uuid == str(yendi.uuid)
    assert [(c.country.name, c.subdivisions, c.covered) for c in coverage.countries] == [
        ("Ghana", 2, 1)
    ]
    assert [place.name for place in coverage.countries_without_mechanism] == ["Togo"]
    assert str(other_region.uuid) in {gap.place.uuid for gap in coverage.gaps}


def test_an_isolated_small_organisation_is_found() -> None:
    council = actor("Peace Council", kind=ActorKind.PEACE_COUNCIL)
    network_one = actor("Network", kind=ActorKind.NETWORK, level=Level.DISTRICT)
    connected = actor(
        "Connected Committee", kind=ActorKind.LOCAL_PEACE_COMMITTEE, level=Level.COMMUNITY
    )
    link(connected, network_one)
    link(connected, council)
    link(network_one, council)
    alone = actor("Lonely Women's Group", level=Level.COMMUNITY)
    one_link = actor(
        "Village Committee", kind=ActorKind.LOCAL_PEACE_COMMITTEE, level=Level.COMMUNITY
    )
    link(one_link, council)
    # Two small groups tied to each other but to nobody else are outside the main network.
    twin_a = actor("Twin A", level=Level.DISTRICT)
    twin_b = actor("Twin B", level=Level.DISTRICT)
    twin_c = actor("Twin C", level=Level.DISTRICT)
    link(twin_a, twin_b)
    link(twin_b, twin_c)
    # A national CSO with no link is not a *small* organisation.
    actor("National CSO", level=Level.NATIONAL)

    figures = network_figures(AnonymousUser())

    found = {row.actor.name: row.reason for row in figures.isolated}
    assert found == {
        alone.name: "no-links",
        one_link.name: "one-link",
        twin_a.name: "one-link",
        twin_c.name: "one-link",
        twin_b.name: "outside-main-network",
    }
    assert figures.isolated[0].actor.name == alone.name  # the least connected first
    assert figures.isolated_total == 5


def _preferential_graph(size: int, links: int, seed: int) -> ig.Graph:
    """Actors joining one by one, linking to well-connected ones more often; a few alone."""
    rng = np.random.default_rng(seed)
    ends = [0, 1, 1, 2, 2, 0]
    edges = [(0, 1), (1, 2), (2, 0)]
    for vertex in range(3, size):
        count = 0 if rng.random() < 0.05 else 1 + int(rng.integers(0, links))
        chosen: set[int] = set()
        while len(chosen) < count:
            chosen.add(ends[int(rng.integers(0, len(ends)))])
        for other in chosen:
            edges.append((vertex, other))
            ends += [vertex, other]
    return ig.Graph(n=size, edges=edges)


def test_sampled_betweenness_stays_close_to_exact_on_a_generated_graph() -> None:
    graph = _preferential_graph(3_000, 3, seed=11)

    error = betweenness_error(graph, samples=100, seed=11, top=20)

    # Bounds measured over several seeds (spearman 0.96-0.98, overlap 0.75-0.9, error 0.15-0.23)
    # with a margin; an estimator that forgets to scale up or picks biased pivots fails them.
    assert error.actors == 3_000
    assert error.spearman >= 0.95
    assert error.top_overlap >= 0.7
    assert error.top_relative_error <= 0.3


def test_betweenness_is_sampled_above_the_threshold_and_names_the_same_main_broker() -> None:
    hub = actor("Hub")
    spokes = [actor(f"Spoke {i}") for i in range(8)]
    for spoke in spokes:
        link(spoke, hub)

    sampled = network_figures(AnonymousUser(), sample_threshold=5, samples=4, seed=3)
    exact = network_figures(AnonymousUser())

    assert (sampled.betweenness.method, sampled.betweenness.samples) == ("sampled", 4)
    assert exact.betweenness.method == "exact"
    assert names(sampled.betweenness.top) == names(exact.betweenness.top) == ["Hub"]


def test_a_private_relation_is_left_out_for_the_public_but_counted_for_a_scoped_analyst() -> None:
    country = make_place("Kenya", country_code="KE")
    county = make_place("Turkana", kind="admin1", parent=country)
    elsewhere = make_place("Kisumu", kind="admin1", parent=country)
    committee = actor(
        "Lodwar Peace Committee",
        kind=ActorKind.LOCAL_PEACE_COMMITTEE,
        level=Level.COMMUNITY,
        place=county,
    )
    council = actor(
        "Turkana Peace Forum", kind=ActorKind.PEACE_COUNCIL, level=Level.SUBNATIONAL, place=county
    )
    link(committee, council, RelationKind.REPORTS_TO, visibility=Visibility.PRIVATE)
    analyst = make_user("turkana-analyst")
    grant_role(analyst, by=None, role=Role.ANALYST, place=county)
    outsider = make_user("kisumu-analyst")
    grant_role(outsider, by=None, role=Role.ANALYST, place=elsewhere)

    public = network_figures(AnonymousUser())
    scoped = network_figures(analyst)
    other = network_figures(outsider)

    assert (public.relations, scoped.relations, other.relations) == (0, 1, 0)
    assert public.components.singletons == 2
    assert scoped.components.largest == 2
    assert {row.actor.name: row.degree for row in scoped.degree}[committee.name] == 1
    assert "Turkana Peace Forum" not in json.dumps(public.as_dict()["components"]["small"])
    assert network.neighbourhood(AnonymousUser(), committee).edges == []
    assert len(network.neighbourhood(analyst, committee).edges) == 1


def test_the_neighbourhood_of_an_actor_holds_its_partners_and_theirs_at_depth_two() -> None:
    committee = actor(
        "Bawku Peace Committee", kind=ActorKind.LOCAL_PEACE_COMMITTEE, level=Level.COMMUNITY
    )
    regional = actor(
        "Upper East Peace Council", kind=ActorKind.PEACE_COUNCIL, level=Level.SUBNATIONAL
    )
    national = actor("National Peace Council", kind=ActorKind.PEACE_COUNCIL)
    ecowas = actor("ECOWAS", kind=ActorKind.RIGO, level=Level.REGIONAL)
    link(committee, regional, RelationKind.REPORTS_TO)
    link(regional, national, RelationKind.REPORTS_TO)
    link(national, ecowas, RelationKind.LIAISES_WITH)
    pending = actor("Pending Group", publish=False)

    one = neighbourhood(AnonymousUser(), regional, depth=1)
    two = neighbourhood(AnonymousUser(), committee, depth=2)

    assert [(n.name, n.hops, n.level_rank) for n in one.nodes] == [
        ("Upper East Peace Council", 0, 2),
        ("Bawku Peace Committee", 1, 0),
        ("National Peace Council", 1, 3),
    ]
    assert {(e.source, e.target, e.kind) for e in one.edges} == {
        (str(committee.uuid), str(regional.uuid), RelationKind.REPORTS_TO),
        (str(regional.uuid), str(national.uuid), RelationKind.REPORTS_TO),
    }
    assert [n.name for n in two.nodes] == [
        "Bawku Peace Committee",
        "Upper East Peace Council",
        "National Peace Council",
    ]
    assert not two.truncated
    assert two.as_dict()["centre"] == str(committee.uuid)
    with pytest.raises(NotFound):
        neighbourhood(AnonymousUser(), pending)


def test_a_crowded_neighbourhood_is_cut_to_the_size_a_page_can_draw() -> None:
    hub = actor("Hub")
    for i in range(6):
        link(actor(f"Member {i}"), hub, RelationKind.MEMBER_OF)

    drawn = neighbourhood(AnonymousUser(), hub, max_nodes=4)

    assert drawn.truncated
    assert len(drawn.nodes) == 4
    kept = {node.uuid for node in drawn.nodes}
    assert all(edge.source in kept and edge.target in kept for edge in drawn.edges)


def test_figures_as_json_name_actors_and_places_by_uuid_never_by_integer_id() -> None:
    country = make_place("Ghana", country_code="GH")
    district = make_place("Tamale", kind="admin1", parent=country)
    make_place("Yendi", kind="admin1", parent=country)
    committee = actor(
        "Tamale Peace Committee",
        kind=ActorKind.LOCAL_PEACE_COMMITTEE,
        level=Level.COMMUNITY,
        place=district,
    )
    council = actor("National Peace Council", kind=ActorKind.PEACE_COUNCIL, place=country)
    link(committee, council, RelationKind.REPORTS_TO)

    data = json.loads(json.dumps(network_figures(AnonymousUser()).as_dict()))

    text = json.dumps(data)
    uuids = {str(committee.uuid), str(council.uuid)}
    assert {row["actor"]["uuid"] for row in data["degree"]} == uuids
    assert set(data["degree"][0]["actor"]) == {"uuid", "name", "kind", "level"}
    assert {gap["place"]["name"] for gap in data["coverage"]["gaps"]} == {"Yendi"}
    assert data["coverage"]["gaps"][0]["place"]["uuid"] == str(Place.objects.get(name="Yendi").uuid)
    assert {"degree", "betweenness", "level_brokers", "components", "coverage", "isolated"} <= set(
        data
    )
    assert '"id"' not in text and "_id" not in text


def test_figures_come_from_the_cache_until_the_registry_changes(
    django_assert_max_num_queries: Callable[..., Any],
) -> None:
    a, b, c = actor("A"), actor("B"), actor("C")
    link(a, b)
    first = network_figures(AnonymousUser())

    with django_assert_max_num_queries(4):  # the registry version, and nothing else
        again = network_figures(AnonymousUser())
    link(b, c)
    changed = network_figures(AnonymousUser())

    assert again.computed_at == first.computed_at
    assert (first.relations, changed.relations) == (1, 2)


def test_a_large_registry_is_left_to_the_worker_and_the_last_figures_shown_meanwhile(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(network, "BACKGROUND_THRESHOLD", 0)
    a, b = actor("A"), actor("B")
    link(a, b)
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    first = ready_network_figures(AnonymousUser())  # the task runs at once
    actor("C")
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}

    meanwhile = ready_network_figures(AnonymousUser())  # queued; no worker has run it yet
    asked_again = ready_network_figures(AnonymousUser())

    assert first.current and first.figures is not None and first.figures.actors == 2
    # The figures from before the new actor, marked as such, while the worker computes.
    assert meanwhile.computing and not meanwhile.current
    assert meanwhile.figures is not None and meanwhile.figures.actors == 2
    queued = default_task_backend.results  # type: ignore[attr-defined]
    assert [result.task.name for result in queued] == ["compute_network_figures"]
    assert asked_again.computing and len(queued) == 1  # queued once, however often asked


def test_build_graph_reads_only_what_the_selectors_let_through() -> None:
    a, b = actor("A"), actor("B")
    hidden = actor("Pending", publish=False)
    link(a, b)
    Relation.objects.create(source=a, target=hidden, kind=RelationKind.PARTNER_OF)

    graph = build_graph(Actor.objects.filter(moderation="published"), relations_visible_to(None))

    assert graph.names == ["A", "B"]
    assert graph.sources.tolist() == [0] and graph.targets.tolist() == [1]
    assert graph.graph.ecount() == 1


def test_the_command_prints_the_figures_as_json() -> None:
    a, b = actor("Alpha"), actor("Beta")
    link(a, b)
    out, err = StringIO(), StringIO()

    call_command("analyse_network", "--json", stdout=out, stderr=err)

    data = json.loads(out.getvalue())
    assert data["relations"] == 1
    assert {row["actor"]["name"] for row in data["degree"]} == {"Alpha", "Beta"}
    assert "network" in err.getvalue()  # the progress bar went to stderr


def test_the_command_prints_a_summary_for_people() -> None:
    link(actor("Alpha"), actor("Beta"))
    out = StringIO()

    call_command("analyse_network", stdout=out, stderr=StringIO())

    assert "2 actors, 1 relations" in out.getvalue()
    assert "Components: 1" in out.getvalue()
