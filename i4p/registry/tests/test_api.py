"""The registry API: public reads, scoped writes with tokens, one error shape, no N+1."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from i4p.accounts.models import Role, TokenScope, User
from i4p.accounts.services import grant_role, issue_token
from i4p.accounts.tests.factories import make_user
from i4p.geo.models import Place
from i4p.geo.tests.factories import make_place
from i4p.registry import selectors
from i4p.registry.models import (
    Actor,
    ActorKind,
    Level,
    Moderation,
    Relation,
    RelationKind,
    Visibility,
)
from i4p.registry.services import (
    ActorData,
    RelationData,
    add_contact,
    add_relation,
    submit_actor,
    update_actor,
)
from i4p.registry.tests.builders import make_actor, registry_admin

pytestmark = pytest.mark.django_db

API = "/api/v1"


@dataclass
class Area:
    ghana: Place
    northern: Place
    tamale: Place
    volta: Place


@pytest.fixture
def area() -> Area:
    ghana = make_place("Ghana", country_code="GH")
    northern = make_place("Northern", kind="admin1", parent=ghana)
    tamale = make_place("Tamale", kind="admin2", parent=northern)
    volta = make_place("Volta", kind="admin1", parent=ghana)
    return Area(ghana=ghana, northern=northern, tamale=tamale, volta=volta)


def token_for(user: User, scope: str = TokenScope.WRITE) -> Client:
    _token, plain = issue_token(user, by=None, name="machine", scope=scope)
    return Client(HTTP_AUTHORIZATION=f"Bearer {plain}")


def moderator_of(place: Place, username: str = "northern-mod") -> User:
    user = make_user(username)
    grant_role(user, by=None, role=Role.MODERATOR, place=place)
    return user


def body(answer: Any) -> Any:
    return json.loads(answer.content)


def send(client: Client, method: str, path: str, payload: dict[str, Any]) -> Any:
    call = getattr(client, method)
    return call(f"{API}{path}", data=json.dumps(payload), content_type="application/json")


def new_actor(place: Place | None = None, **fields: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "name": "Savelugu Peace Committee",
        "kind": "lpc",
        "level": "district",
    }
    if place is not None:
        payload["place"] = str(place.uuid)
    return payload | fields


def walk_keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in walk_keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in walk_keys(v)}
    return set()


# -- reading --------------------------------------------------------------------------------


def test_anyone_lists_published_actors_but_not_pending_ones(area: Area) -> None:
    make_actor("Northern Regional Peace Council", place=area.northern)
    make_actor("Pending Youth Group", place=area.tamale, moderation=Moderation.PENDING)
    answer = Client().get(f"{API}/actors")
    assert answer.status_code == 200
    data = body(answer)
    assert data["count"] == 1
    assert [item["name"] for item in data["items"]] == ["Northern Regional Peace Council"]
    assert data["items"][0]["place"] == str(area.northern.uuid)


def test_the_list_filters_by_words_kind_level_theme_and_place(area: Area) -> None:
    make_actor(
        "Tamale Peace Committee",
        kind=ActorKind.LOCAL_PEACE_COMMITTEE,
        level=Level.DISTRICT,
        place=area.tamale,
        themes=["mediation"],
    )
    make_actor("Volta Peace Committee", kind=ActorKind.LOCAL_PEACE_COMMITTEE, place=area.volta)
    make_actor("Covering Network", kind=ActorKind.NETWORK, coverage=[area.tamale])
    make_actor("West Africa Network for Peacebuilding", acronym="WANEP", kind=ActorKind.NETWORK)

    def names(query: str) -> list[str]:
        return [item["name"] for item in body(Client().get(f"{API}/actors?{query}"))["items"]]

    assert names("q=wan") == ["West Africa Network for Peacebuilding"]
    assert sorted(names("q=peace+committee&kind=lpc")) == [
        "Tamale Peace Committee",
        "Volta Peace Committee",
    ]
    assert names("level=district") == ["Tamale Peace Committee"]
    assert names("theme=mediation") == ["Tamale Peace Committee"]
    assert names(f"place={area.northern.uuid}") == ["Covering Network", "Tamale Peace Committee"]
    assert names(f"place={area.northern.uuid}&kind=network") == ["Covering Network"]


def test_the_list_pages_through_a_stable_order_with_a_total_count() -> None:
    for name in ["Delta", "Alpha", "Charlie", "Bravo", "Echo"]:
        make_actor(name)
    make_actor("Alpha")  # same name twice: the order still does not wobble
    first = body(Client().get(f"{API}/actors?limit=4"))
    second = body(Client().get(f"{API}/actors?limit=4&offset=4"))
    assert first["count"] == second["count"] == 6
    names = [i["name"] for i in first["items"]] + [i["name"] for i in second["items"]]
    assert names == ["Alpha", "Alpha", "Bravo", "Charlie", "Delta", "Echo"]
    uuids = [i["uuid"] for i in first["items"] + second["items"]]
    assert len(set(uuids)) == 6
    assert body(Client().get(f"{API}/actors?limit=4"))["items"] == first["items"]


def test_an_unknown_place_is_a_field_error_not_a_server_error(area: Area) -> None:
    unknown = "6f1c1a4e-0000-4000-8000-000000000000"
    answer = Client().get(f"{API}/actors?place={unknown}")
    assert answer.status_code == 400
    assert body(answer)["code"] == "invalid"
    assert "place" in body(answer)["fields"]
    admin = token_for(registry_admin())
    answer = send(admin, "post", "/actors", new_actor(coverage=[str(area.ghana.uuid), unknown]))
    assert answer.status_code == 400
    assert body(answer)["fields"] == {"coverage": [f"No place has the UUID {unknown}."]}
    assert not Actor.objects.exists()


def test_a_malformed_request_answers_the_same_error_shape() -> None:
    answer = Client().get(f"{API}/actors?limit=1000")
    assert answer.status_code == 400
    assert set(body(answer)) == {"code", "message", "fields"}
    assert "limit" in body(answer)["fields"]
    answer = Client().get(f"{API}/actors/not-a-uuid")
    assert answer.status_code == 400
    assert set(body(answer)) == {"code", "message", "fields"}


def test_an_actor_shows_what_the_caller_may_see_and_never_the_submitters_email(
    area: Area,
) -> None:
    actor, _duplicates = submit_actor(
        ActorData(
            name="Tamale Peace Committee",
            kind=ActorKind.LOCAL_PEACE_COMMITTEE,
            level=Level.DISTRICT,
            place=area.tamale,
            coverage=[area.tamale],
            identifiers=[("iati", "GH-TPC-1")],
        ),
        by=None,
        submitter_email="submitter@example.org",
    )
    actor.moderation = Moderation.PUBLISHED
    actor.save()
    council = make_actor("Northern Regional Peace Council", place=area.northern)
    hidden = make_actor("Volta Peace Council", place=area.volta)
    admin = registry_admin()
    add_relation(actor, council, RelationData(kind=RelationKind.REPORTS_TO), by=admin)
    add_relation(
        actor,
        hidden,
        RelationData(kind=RelationKind.LIAISES_WITH, visibility=Visibility.PRIVATE),
        by=admin,
    )
    add_contact(actor, by=admin, kind="email", value="office@tpc.example", visibility="public")
    add_contact(actor, by=admin, kind="phone", value="+233 20 000 0000", visibility="private")

    public = Client().get(f"{API}/actors/{actor.uuid}")
    assert public.status_code == 200
    data = body(public)
    assert data["identifiers"] == [{"scheme": "iati", "identifier": "GH-TPC-1"}]
    assert data["coverage"] == [str(area.tamale.uuid)]
    assert [r["target"]["name"] for r in data["relations"]] == ["Northern Regional Peace Council"]
    assert [c["value"] for c in data["contacts"]] == ["office@tpc.example"]
    assert "submitter@example.org" not in public.content.decode()
    assert not {"id", "submitter_email", "pk"} & walk_keys(data)

    staff = body(token_for(moderator_of(area.northern)).get(f"{API}/actors/{actor.uuid}"))
    assert {r["kind"] for r in staff["relations"]} == {"reports-to", "liaises-with"}
    assert {c["value"] for c in staff["contacts"]} == {"office@tpc.example", "+233 20 000 0000"}
    assert "submitter@example.org" not in json.dumps(staff)


def test_an_unknown_actor_is_not_found() -> None:
    answer = Client().get(f"{API}/actors/6f1c1a4e-0000-4000-8000-000000000000")
    assert answer.status_code == 404
    assert body(answer)["code"] == "not_found"


def test_themes_are_listed_by_name() -> None:
    make_actor("Forum", themes=["youth", "early-warning"])
    assert body(Client().get(f"{API}/themes")) == [
        {"slug": "early-warning", "name": "Early warning"},
        {"slug": "youth", "name": "Youth"},
    ]


# -- who may write --------------------------------------------------------------------------


def test_staff_with_a_write_token_add_a_published_actor(area: Area) -> None:
    client = token_for(moderator_of(area.northern))
    answer = send(
        client,
        "post",
        "/actors",
        new_actor(
            area.tamale,
            acronym="SPC",
            identifiers=[{"scheme": "registration", "identifier": "NR-77"}],
            coverage=[str(area.tamale.uuid)],
        ),
    )
    assert answer.status_code == 201, answer.content
    data = body(answer)
    assert data["moderation"] == "published"
    assert data["place"] == str(area.tamale.uuid)
    assert Actor.objects.get(uuid=data["uuid"]).identifiers.get().identifier == "NR-77"
    found = body(Client().get(f"{API}/actors?q=spc"))["items"]
    assert [item["uuid"] for item in found] == [data["uuid"]]


def test_without_a_token_nobody_can_write(area: Area) -> None:
    actor = make_actor("Tamale Peace Committee", place=area.tamale)
    anonymous = Client()
    assert send(anonymous, "post", "/actors", new_actor()).status_code == 401
    answer = send(anonymous, "patch", f"/actors/{actor.uuid}", {"name": "Renamed"})
    assert answer.status_code == 401
    assert set(body(answer)) == {"code", "message", "fields"}
    assert anonymous.post(f"{API}/actors/{actor.uuid}/publish").status_code == 401
    assert not Actor.objects.filter(name="Renamed").exists()


def test_a_read_only_token_cannot_write(area: Area) -> None:
    actor = make_actor("Tamale Peace Committee", place=area.tamale)
    client = token_for(moderator_of(area.northern), scope=TokenScope.READ)
    answer = send(client, "post", "/actors", new_actor(area.tamale))
    assert answer.status_code == 403
    assert body(answer)["code"] == "not_allowed"
    assert send(client, "patch", f"/actors/{actor.uuid}", {"name": "X"}).status_code == 403
    assert client.get(f"{API}/actors/{actor.uuid}").status_code == 200
    assert Actor.objects.count() == 1


def test_a_moderator_of_one_district_cannot_add_an_actor_outside_it(area: Area) -> None:
    client = token_for(moderator_of(area.northern))
    answer = send(client, "post", "/actors", new_actor(area.volta))
    assert answer.status_code == 403
    assert not Actor.objects.exists()


def test_a_moderator_of_one_district_cannot_edit_an_actor_outside_it(area: Area) -> None:
    outside = make_actor("Volta Peace Council", place=area.volta)
    inside = make_actor("Tamale Peace Committee", place=area.tamale)
    client = token_for(moderator_of(area.northern))
    answer = send(client, "patch", f"/actors/{outside.uuid}", {"name": "Taken Over"})
    assert answer.status_code == 403
    # Nor move one of its own entries out of its area.
    answer = send(client, "patch", f"/actors/{inside.uuid}", {"place": str(area.volta.uuid)})
    assert answer.status_code == 403
    outside.refresh_from_db()
    inside.refresh_from_db()
    assert outside.name == "Volta Peace Council"
    assert inside.place == area.tamale


def test_a_moderator_of_one_district_does_not_see_pending_entries_outside_it(
    area: Area,
) -> None:
    mine = make_actor("Tamale Youth", place=area.tamale, moderation=Moderation.PENDING)
    theirs = make_actor("Volta Youth", place=area.volta, moderation=Moderation.PENDING)
    client = token_for(moderator_of(area.northern))
    listed = body(client.get(f"{API}/actors?moderation=pending"))
    assert [item["name"] for item in listed["items"]] == ["Tamale Youth"]
    assert client.get(f"{API}/actors/{mine.uuid}").status_code == 200
    assert client.get(f"{API}/actors/{theirs.uuid}").status_code == 404
    assert client.post(f"{API}/actors/{theirs.uuid}/publish").status_code == 404
    assert body(Client().get(f"{API}/actors?moderation=pending"))["count"] == 0


def test_a_partial_update_changes_only_the_fields_sent(area: Area) -> None:
    actor = make_actor(
        "Tamale Peace Committee",
        acronym="TPC",
        place=area.tamale,
        themes=["mediation"],
        coverage=[area.tamale],
        identifiers=[("iati", "GH-TPC-1")],
    )
    client = token_for(moderator_of(area.northern))
    answer = send(
        client,
        "patch",
        f"/actors/{actor.uuid}",
        {"description": "Mediates chieftaincy disputes.", "note": "from their report"},
    )
    assert answer.status_code == 200, answer.content
    data = body(answer)
    assert data["description"] == "Mediates chieftaincy disputes."
    assert data["acronym"] == "TPC"
    assert data["themes"] == ["mediation"]
    assert data["coverage"] == [str(area.tamale.uuid)]
    assert data["identifiers"] == [{"scheme": "iati", "identifier": "GH-TPC-1"}]
    assert data["place"] == str(area.tamale.uuid)
    version = actor.versions.filter(action="edited").get()
    assert set(version.changes) == {"description"}
    assert version.note == "from their report"
    answer = send(client, "patch", f"/actors/{actor.uuid}", {"name": None})
    assert answer.status_code == 400
    assert "name" in body(answer)["fields"]


def test_anyone_may_submit_an_entry_and_hears_of_published_look_alikes(area: Area) -> None:
    make_actor("West Africa Network for Peacebuilding", acronym="WANEP")
    make_actor("West Africa Network for Peace-building", moderation=Moderation.PENDING)
    answer = send(
        Client(),
        "post",
        "/actors/submissions",
        new_actor(
            area.tamale,
            name="West Africa Network for Peacebuilding Ghana",
            submitter_email="me@example.org",
        ),
    )
    assert answer.status_code == 201, answer.content
    data = body(answer)
    assert data["moderation"] == "pending"
    # A pending entry is not public, even as a look-alike.
    assert [d["actor"]["name"] for d in data["duplicates"]] == [
        "West Africa Network for Peacebuilding"
    ]
    created = Actor.objects.get(uuid=data["uuid"])
    assert created.submitter_email == "me@example.org"
    assert "me@example.org" not in answer.content.decode()
    assert body(Client().get(f"{API}/actors?q=ghana"))["count"] == 0


def test_a_submission_with_invalid_fields_names_them(area: Area) -> None:
    answer = send(Client(), "post", "/actors/submissions", new_actor(kind="army"))
    assert answer.status_code == 400
    assert set(body(answer)["fields"]) == {"kind"}
    answer = send(Client(), "post", "/actors/submissions", new_actor(name=" ", website="ftp:x"))
    assert answer.status_code == 400
    assert set(body(answer)["fields"]) == {"name", "website"}
    assert not Actor.objects.exists()


def test_a_moderator_publishes_and_rejects_entries_of_their_area(area: Area) -> None:
    first = make_actor("Tamale Youth", place=area.tamale, moderation=Moderation.PENDING)
    second = make_actor("Tamale Spam", place=area.tamale, moderation=Moderation.PENDING)
    client = token_for(moderator_of(area.northern))
    published = client.post(f"{API}/actors/{first.uuid}/publish")
    assert published.status_code == 200
    assert body(published)["moderation"] == "published"
    assert client.post(f"{API}/actors/{first.uuid}/publish").status_code == 409
    assert send(client, "post", f"/actors/{second.uuid}/reject", {"reason": " "}).status_code == 400
    rejected = send(client, "post", f"/actors/{second.uuid}/reject", {"reason": "Advertising."})
    assert rejected.status_code == 200
    assert body(rejected)["rejection_reason"] == "Advertising."
    assert [i["name"] for i in body(Client().get(f"{API}/actors"))["items"]] == ["Tamale Youth"]


def test_a_member_without_a_moderator_role_cannot_publish(area: Area) -> None:
    pending = make_actor("Tamale Youth", place=area.tamale, moderation=Moderation.PENDING)
    member = make_user("member")
    grant_role(member, by=None, role=Role.ANALYST, place=area.northern)
    answer = token_for(member).post(f"{API}/actors/{pending.uuid}/publish")
    assert answer.status_code == 403
    pending.refresh_from_db()
    assert pending.moderation == Moderation.PENDING


def test_merging_folds_an_entry_into_the_one_that_stays(area: Area) -> None:
    keep = make_actor("Tamale Peace Committee", place=area.tamale)
    twin = make_actor("Tamale District Peace Committee", acronym="TDPC", place=area.tamale)
    council = make_actor("Northern Regional Peace Council", place=area.northern)
    add_relation(twin, council, RelationData(kind="reports-to"), by=registry_admin())
    client = token_for(moderator_of(area.northern))
    answer = send(client, "post", f"/actors/{twin.uuid}/merge", {"into": str(keep.uuid)})
    assert answer.status_code == 200, answer.content
    data = body(answer)
    assert data["uuid"] == str(keep.uuid)
    assert "TDPC" in data["other_names"]
    assert [r["target"]["uuid"] for r in data["relations"]] == [str(council.uuid)]
    assert client.get(f"{API}/actors/{twin.uuid}").status_code == 404
    assert [i["uuid"] for i in body(Client().get(f"{API}/actors?q=tdpc"))["items"]] == [
        str(keep.uuid)
    ]
    answer = send(client, "post", f"/actors/{keep.uuid}/merge", {"into": str(twin.uuid)})
    assert answer.status_code == 400
    assert "into" in body(answer)["fields"]


def test_the_history_is_for_staff_of_the_entrys_area(area: Area) -> None:
    actor = make_actor("Tamale Peace Committee", place=area.tamale)
    update_actor(
        actor,
        ActorData(
            name="Tamale Metropolitan Peace Committee",
            kind="lpc",
            level="district",
            place=area.tamale,
        ),
        by=registry_admin(),
        note="renamed in 2024",
    )
    staff = token_for(moderator_of(area.northern)).get(f"{API}/actors/{actor.uuid}/history")
    assert staff.status_code == 200
    versions = body(staff)
    assert [v["action"] for v in versions] == ["edited", "created"]
    assert versions[0]["changes"]["name"] == [
        "Tamale Peace Committee",
        "Tamale Metropolitan Peace Committee",
    ]
    assert versions[0]["by"] == "registry-admin"
    elsewhere = token_for(moderator_of(area.volta, "volta-mod"))
    assert elsewhere.get(f"{API}/actors/{actor.uuid}/history").status_code == 403
    assert Client().get(f"{API}/actors/{actor.uuid}/history").status_code == 401


# -- relations ------------------------------------------------------------------------------


def test_relations_are_listed_by_actor_and_kind_without_private_ones_for_the_public(
    area: Area,
) -> None:
    tpc = make_actor("Tamale Peace Committee", place=area.tamale)
    council = make_actor("Northern Regional Peace Council", place=area.northern)
    wanep = make_actor("WANEP Ghana")
    admin = registry_admin()
    add_relation(tpc, council, RelationData(kind="reports-to"), by=admin)
    add_relation(tpc, wanep, RelationData(kind="member-of"), by=admin)
    add_relation(council, wanep, RelationData(kind="partner-of", visibility="private"), by=admin)

    def kinds(query: str, client: Client | None = None) -> list[str]:
        answer = (client or Client()).get(f"{API}/relations?{query}")
        assert answer.status_code == 200
        return [item["kind"] for item in body(answer)["items"]]

    assert kinds("") == ["member-of", "reports-to"]
    assert kinds(f"actor={council.uuid}") == ["reports-to"]
    assert kinds("kind=member-of") == ["member-of"]
    staff = token_for(moderator_of(area.northern))
    assert kinds(f"actor={council.uuid}", staff) == ["partner-of", "reports-to"]
    answer = Client().get(f"{API}/relations?actor=6f1c1a4e-0000-4000-8000-000000000000")
    assert answer.status_code == 400
    assert "actor" in body(answer)["fields"]


def test_staff_add_change_and_remove_a_relation(area: Area) -> None:
    tpc = make_actor("Tamale Peace Committee", place=area.tamale)
    council = make_actor("Northern Regional Peace Council", place=area.northern)
    client = token_for(moderator_of(area.northern))
    payload = {"source": str(tpc.uuid), "target": str(council.uuid), "kind": "reports-to"}
    created = send(client, "post", "/relations", payload)
    assert created.status_code == 201, created.content
    uuid = body(created)["uuid"]
    assert send(client, "post", "/relations", payload).status_code == 409
    changed = send(client, "patch", f"/relations/{uuid}", {"started_on": "2019-03-01"})
    assert changed.status_code == 200
    assert body(changed)["started_on"] == "2019-03-01"
    assert body(changed)["kind"] == "reports-to"
    bad = send(client, "patch", f"/relations/{uuid}", {"ended_on": "2018-01-01"})
    assert bad.status_code == 400
    assert "ended_on" in body(bad)["fields"]
    assert client.delete(f"{API}/relations/{uuid}").status_code == 204
    assert not Relation.objects.exists()
    assert client.delete(f"{API}/relations/{uuid}").status_code == 404


def test_a_relation_to_an_unknown_actor_is_a_field_error(area: Area) -> None:
    tpc = make_actor("Tamale Peace Committee", place=area.tamale)
    client = token_for(moderator_of(area.northern))
    unknown = "6f1c1a4e-0000-4000-8000-000000000000"
    answer = send(
        client, "post", "/relations", {"source": str(tpc.uuid), "target": unknown, "kind": "funds"}
    )
    assert answer.status_code == 400
    assert list(body(answer)["fields"]) == ["target"]


def test_relations_of_an_actor_outside_ones_area_cannot_be_changed(area: Area) -> None:
    volta = make_actor("Volta Peace Council", place=area.volta)
    council = make_actor("Northern Regional Peace Council", place=area.northern)
    relation = add_relation(volta, council, RelationData(kind="partner-of"), by=registry_admin())
    client = token_for(moderator_of(area.northern))
    payload = {"source": str(volta.uuid), "target": str(council.uuid), "kind": "funds"}
    assert send(client, "post", "/relations", payload).status_code == 403
    assert (
        send(client, "patch", f"/relations/{relation.uuid}", {"kind": "funds"}).status_code == 403
    )
    assert client.delete(f"{API}/relations/{relation.uuid}").status_code == 403
    assert Relation.objects.get().kind == "partner-of"


# -- no N+1 ---------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [25, 60])
def test_listing_actors_takes_three_queries_however_many_rows(
    rows: int, area: Area, django_assert_num_queries: Any
) -> None:
    for number in range(rows):
        make_actor(
            f"Peace Committee {number:03}",
            place=area.tamale,
            coverage=[area.northern],
            themes=["mediation", "youth"],
        )
    client = Client()
    # The page with its places, the themes of the page, the total.
    with django_assert_num_queries(3):
        answer = client.get(f"{API}/actors?limit=20&q=peace")
    assert len(body(answer)["items"]) == 20
    assert body(answer)["count"] == rows
    assert body(answer)["items"][0]["themes"] == ["mediation", "youth"]
    # And one more to find the place named by its UUID.
    with django_assert_num_queries(4):
        answer = client.get(f"{API}/actors?limit=20&place={area.ghana.uuid}&theme=youth&offset=5")
    assert len(body(answer)["items"]) == 20
    assert body(answer)["count"] == rows


def test_a_broad_search_counts_up_to_the_limit_and_says_more_match(
    monkeypatch: pytest.MonkeyPatch, django_assert_num_queries: Any
) -> None:
    monkeypatch.setattr(selectors, "COUNT_LIMIT", 4)
    for number in range(7):
        make_actor(f"Peace Forum {number}")
    make_actor("Forum for Dialogue", acronym="PEACE")
    client = Client()
    # The bounded count, the exact and starts-with tiers (which fill the page), the themes.
    with django_assert_num_queries(4):
        first = body(client.get(f"{API}/actors?q=peace&limit=2"))
    assert (first["count"], first["count_is_lower_bound"]) == (4, True)
    assert [item["name"] for item in first["items"]] == ["Forum for Dialogue", "Peace Forum 0"]
    # A page past the bound counts past that page.
    further = body(client.get(f"{API}/actors?q=peace&limit=2&offset=4"))
    assert (further["count"], further["count_is_lower_bound"]) == (6, True)
    assert [item["name"] for item in further["items"]] == ["Peace Forum 3", "Peace Forum 4"]
    last = body(client.get(f"{API}/actors?q=peace&limit=2&offset=6"))
    assert (last["count"], last["count_is_lower_bound"]) == (8, False)
    narrow = body(client.get(f"{API}/actors?q=dialogue"))
    assert (narrow["count"], narrow["count_is_lower_bound"]) == (1, False)


def test_a_page_past_the_end_still_tells_the_total() -> None:
    for number in range(5):
        make_actor(f"Forum {number}")
    answer = body(Client().get(f"{API}/actors?limit=20&offset=40"))
    assert answer["items"] == []
    assert answer["count"] == 5
    assert body(Client().get(f"{API}/actors?q=nothing+like+it"))["count"] == 0


def test_a_first_page_shorter_than_the_limit_needs_no_count_query(
    django_assert_num_queries: Any,
) -> None:
    for number in range(5):
        make_actor(f"Forum {number}", themes=["youth"])
    with django_assert_num_queries(2):
        answer = Client().get(f"{API}/actors?limit=20")
    assert body(answer)["count"] == 5


@pytest.mark.parametrize("rows", [10, 40])
def test_listing_relations_takes_two_queries_however_many_rows(
    rows: int, django_assert_num_queries: Any
) -> None:
    hub = make_actor("Hub Network")
    admin = registry_admin()
    for number in range(rows):
        spoke = make_actor(f"Member {number:03}")
        add_relation(spoke, hub, RelationData(kind="member-of"), by=admin)
    with django_assert_num_queries(2):
        answer = Client().get(f"{API}/relations?limit=5")
    assert [item["target"]["name"] for item in body(answer)["items"]] == ["Hub Network"] * 5
    assert body(answer)["count"] == rows
