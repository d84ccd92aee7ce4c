"""Registry pages through the Django test client: filters, scoping, forms, query counts."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from i4p.accounts.models import Role, User
from i4p.accounts.services import grant_role
from i4p.accounts.tests.factories import make_user, two_factor_ready
from i4p.geo.models import Boundary, Place
from i4p.geo.services import create_place
from i4p.geo.tests.factories import make_place
from i4p.registry import diagrams
from i4p.registry.exchange.files import EXPORTS
from i4p.registry.models import (
    Actor,
    ActorKind,
    ActorVersion,
    ContactPoint,
    Level,
    Moderation,
    Relation,
    RelationKind,
    Visibility,
)
from i4p.registry.services import ActorData, RelationData, add_relation, submit_actor
from i4p.registry.tests.builders import make_actor, registry_admin
from i4p.web.tests.world import logged_in

pytestmark = pytest.mark.django_db


@dataclass
class Ghana:
    ghana: Place
    northern: Place
    tamale: Place
    volta: Place
    togo: Place
    moderator: User  # of the Northern region only


def ghana() -> Ghana:
    country = make_place("Ghana", country_code="GH", lat=7.9, lon=-1.0)
    northern = make_place("Northern", kind="admin1", parent=country, lat=9.5, lon=-1.0)
    tamale = make_place("Tamale", kind="admin2", parent=northern, lat=9.4, lon=-0.85)
    volta = make_place("Volta", kind="admin1", parent=country, lat=6.6, lon=0.45)
    togo = make_place("Togo", country_code="TG", lat=8.6, lon=0.8)
    moderator = two_factor_ready(make_user("northern-moderator"))
    grant_role(moderator, by=None, role=Role.MODERATOR, place=northern)
    return Ghana(country, northern, tamale, volta, togo, moderator)


def pending(name: str, place: Place, **fields: Any) -> Actor:
    actor, _duplicates = submit_actor(
        ActorData(
            name=name, kind=ActorKind.CSO, level=Level.DISTRICT, place=place, coverage=[place]
        ),
        by=None,
        **fields,
    )
    return actor


def names_in(response: Any) -> str:
    return str(response.content.decode())


# --- Directory ---------------------------------------------------------------------------------


def test_the_directory_filters_by_kind_level_theme_country_subdivision_and_text() -> None:
    g = ghana()
    make_actor(
        "Northern Regional Peace Council",
        kind=ActorKind.PEACE_COUNCIL,
        level=Level.SUBNATIONAL,
        place=g.northern,
        themes=["mediation"],
    )
    make_actor("Tamale Women Mediators", place=g.tamale, level=Level.DISTRICT, themes=["mediation"])
    make_actor(
        "Volta Youth Network", kind=ActorKind.NETWORK, place=g.volta, level=Level.SUBNATIONAL
    )
    make_actor("Lomé Dialogue Centre", place=g.togo, level=Level.NATIONAL)
    client = Client()

    def shown(**query: str) -> set[str]:
        page = names_in(client.get(reverse("registry:directory"), query))
        every = {
            "Northern Regional Peace Council",
            "Tamale Women Mediators",
            "Volta Youth Network",
            "Lomé Dialogue Centre",
        }
        return {name for name in every if name in page}

    assert len(shown()) == 4
    assert shown(kind="network") == {"Volta Youth Network"}
    assert shown(level="district") == {"Tamale Women Mediators"}
    assert shown(theme="mediation") == {"Northern Regional Peace Council", "Tamale Women Mediators"}
    assert shown(country=str(g.togo.uuid)) == {"Lomé Dialogue Centre"}
    assert shown(country=str(g.ghana.uuid), area=str(g.northern.uuid)) == {
        "Northern Regional Peace Council",
        "Tamale Women Mediators",
    }
    assert shown(q="mediators") == {"Tamale Women Mediators"}


def test_the_directory_offers_the_subdivisions_of_the_chosen_country_only() -> None:
    g = ghana()
    page = names_in(Client().get(reverse("registry:directory"), {"country": str(g.ghana.uuid)}))
    assert f'value="{g.northern.uuid}"' in page
    assert f'value="{g.volta.uuid}"' in page
    assert str(g.togo.uuid) in page  # as a country choice
    plain = names_in(Client().get(reverse("registry:directory")))
    assert f'value="{g.northern.uuid}"' not in plain


def test_a_subdivision_outside_the_chosen_country_is_a_clear_error() -> None:
    g = ghana()
    make_actor("Lomé Dialogue Centre", place=g.togo)
    response = Client().get(
        reverse("registry:directory"), {"country": str(g.togo.uuid), "area": str(g.northern.uuid)}
    )
    assert "This place is not in the chosen country." in names_in(response)


def test_a_bad_filter_value_is_reported_and_the_list_is_not_filtered_by_it() -> None:
    make_actor("Tamale Women Mediators")
    response = Client().get(reverse("registry:directory"), {"kind": "spaceship"})
    assert response.status_code == 200
    assert "Select a valid choice" in names_in(response)
    assert "Tamale Women Mediators" in names_in(response)


def test_the_directory_paginates_and_counts_every_result() -> None:
    for number in range(30):
        make_actor(f"Peace Committee {number:02d}")
    first = names_in(Client().get(reverse("registry:directory")))
    assert "30 organisations" in first
    assert "Peace Committee 00" in first and "Peace Committee 29" not in first
    assert "Page 1 of 2" in first
    second = names_in(Client().get(reverse("registry:directory"), {"page": "2"}))
    assert "Peace Committee 29" in second and "Peace Committee 00" not in second


def test_the_pager_keeps_the_filters() -> None:
    for number in range(30):
        make_actor(f"Peace Committee {number:02d}", level=Level.DISTRICT)
    page = names_in(Client().get(reverse("registry:directory"), {"level": "district"}))
    assert "?q=&amp;kind=&amp;level=district" in page or "level=district&amp;page=2" in page


def test_illustrative_entries_carry_a_badge_and_pending_ones_show_only_to_moderators() -> None:
    g = ghana()
    make_actor("Made-up Peace Hut", illustrative=True, place=g.tamale)
    pending("Tamale Youth for Peace", g.tamale)
    public = names_in(Client().get(reverse("registry:directory")))
    assert "illustrative" in public
    assert "Tamale Youth for Peace" not in public
    staff = names_in(logged_in(g.moderator).get(reverse("registry:directory"), {"pending": "on"}))
    assert "Tamale Youth for Peace" in staff
    assert "Awaiting moderation" in staff


def test_every_download_link_of_the_directory_gives_its_file() -> None:
    g = ghana()
    council = make_actor("Tamale Peace Council", place=g.tamale)
    national = make_actor("National Peace Council", place=g.ghana)
    add_relation(council, national, RelationData(kind="reports-to"), by=registry_admin())
    page = Client().get(reverse("registry:directory")).content.decode()
    links = re.findall(r'<p class="downloads">(.*?)</p>', page, re.S)
    assert len(links) == 1
    hrefs = [html.unescape(href) for href in re.findall(r'href="([^"]+)"', links[0])]
    assert len(hrefs) == len(EXPORTS)
    for href in hrefs:
        answer: Any = Client().get(href)
        assert answer.status_code == 200, href
        body = b"".join(answer.streaming_content) if answer.streaming else answer.content
        assert "Tamale Peace Council" in body.decode(), href


def test_the_directory_query_count_does_not_grow_with_the_results(
    django_assert_num_queries: Any,
) -> None:
    g = ghana()
    for number in range(3):
        make_actor(f"Peace Committee {number}", place=g.tamale, themes=["mediation"])
    client = Client()
    # count, page, themes of the page, map seats, theme and country choices
    with django_assert_num_queries(6):
        client.get(reverse("registry:directory"))
    for number in range(3, 20):
        make_actor(f"Peace Committee {number}", place=g.volta, themes=["early-warning"])
    with django_assert_num_queries(6):
        client.get(reverse("registry:directory"))


def test_a_filtered_directory_costs_a_fixed_number_of_queries(
    django_assert_num_queries: Any,
) -> None:
    g = ghana()
    for number in range(10):
        make_actor(f"Peace Committee {number}", place=g.tamale, themes=["mediation"])
    query = {"country": str(g.ghana.uuid), "area": str(g.northern.uuid), "theme": "mediation"}
    # + the chosen country, area and theme, the subdivisions of the country, and for the map
    # the country of the area and whether boundaries are loaded for it
    with django_assert_num_queries(12):
        response = Client().get(reverse("registry:directory"), query)
    assert "10 organisations" in names_in(response)


# --- Actor page --------------------------------------------------------------------------------


def test_the_actor_page_shows_every_public_fact_and_relations_both_ways() -> None:
    g = ghana()
    council = make_actor(
        "Northern Regional Peace Council",
        acronym="NRPC",
        other_names=["Conseil régional"],
        place=g.northern,
        website="https://nrpc.example.org",
        sources=[
            {
                "quote": "The council mediates chieftaincy disputes",
                "title": "Act 818",
                "url": "https://example.org/act818",
            }
        ],
        identifiers=[("iati", "GH-NRPC-1")],
        themes=["mediation"],
    )
    member = make_actor("Tamale Women Mediators", place=g.tamale, level=Level.DISTRICT)
    national = make_actor("National Peace Council", level=Level.NATIONAL, place=g.ghana)
    add_relation(member, council, RelationData(kind=RelationKind.MEMBER_OF), by=registry_admin())
    add_relation(council, national, RelationData(kind=RelationKind.REPORTS_TO), by=registry_admin())
    ContactPoint.objects.create(
        actor=council, kind="email", value="info@nrpc.example.org", visibility=Visibility.PUBLIC
    )
    ContactPoint.objects.create(
        actor=council, kind="phone", value="+233 20 000 0000", visibility=Visibility.PRIVATE
    )
    page = names_in(Client().get(reverse("registry:actor", args=[council.uuid])))
    for fact in (
        "NRPC",
        "Conseil régional",
        "https://nrpc.example.org",
        "iati:GH-NRPC-1",
        "The council mediates chieftaincy disputes",
        "Act 818",
        "Mediation",
        "info@nrpc.example.org",
        "Tamale Women Mediators",
        "National Peace Council",
    ):
        assert fact in page, fact
    assert "+233 20 000 0000" not in page
    assert "is a member of" in page and "reports to" in page
    assert 'data-testid="network-svg"' in page
    staff = names_in(logged_in(g.moderator).get(reverse("registry:actor", args=[council.uuid])))
    assert "+233 20 000 0000" in staff
    assert "Edit history" in staff


def test_the_edit_history_and_edit_links_are_for_staff_of_the_area_only() -> None:
    g = ghana()
    inside = make_actor("Northern Regional Peace Council", place=g.northern)
    outside = make_actor("Volta Regional Peace Council", place=g.volta)
    client = logged_in(g.moderator)
    mine = names_in(client.get(reverse("registry:actor", args=[inside.uuid])))
    theirs = names_in(client.get(reverse("registry:actor", args=[outside.uuid])))
    assert "Edit history" in mine and reverse("registry:actor_edit", args=[inside.uuid]) in mine
    assert "Edit history" not in theirs
    assert reverse("registry:actor_edit", args=[outside.uuid]) not in theirs
    public = names_in(Client().get(reverse("registry:actor", args=[inside.uuid])))
    assert "Edit history" not in public


def test_the_actor_page_of_an_illustrative_entry_says_so() -> None:
    actor = make_actor("Made-up Peace Hut", illustrative=True)
    page = names_in(Client().get(reverse("registry:actor", args=[actor.uuid])))
    assert "Illustrative entry" in page


def test_a_pending_entry_is_not_found_by_the_public() -> None:
    g = ghana()
    entry = pending("Tamale Youth for Peace", g.tamale)
    assert Client().get(reverse("registry:actor", args=[entry.uuid])).status_code == 404
    assert (
        logged_in(g.moderator).get(reverse("registry:actor", args=[entry.uuid])).status_code == 200
    )


# --- Editing -----------------------------------------------------------------------------------


def edit_form(actor: Actor, client: Client, **changes: Any) -> dict[str, Any]:
    page = client.get(reverse("registry:actor_edit", args=[actor.uuid]))
    seen = page.context["seen"]
    data = {
        "name": actor.name,
        "acronym": actor.acronym,
        "kind": actor.kind,
        "level": actor.level,
        "status": actor.status,
        "description": actor.description,
        "website": actor.website,
        "seen": seen,
    }
    data.update(changes)
    return data


def test_a_moderator_edits_an_actor_in_their_area_and_the_history_records_it() -> None:
    g = ghana()
    actor = make_actor("Northern Regional Peace Council", place=g.northern)
    client = logged_in(g.moderator)
    response = client.post(
        reverse("registry:actor_edit", args=[actor.uuid]),
        edit_form(
            actor, client, acronym="NRPC", identifiers="iati:GH-NRPC-1", note="Acronym from the Act"
        ),
    )
    assert response.status_code == 302
    actor.refresh_from_db()
    assert actor.acronym == "NRPC"
    assert actor.identifiers.get().identifier == "GH-NRPC-1"
    assert ActorVersion.objects.filter(actor=actor, action="edited", by=g.moderator).exists()


def test_a_moderator_of_one_region_cannot_edit_an_actor_of_another() -> None:
    g = ghana()
    actor = make_actor("Volta Regional Peace Council", place=g.volta)
    client = logged_in(g.moderator)
    assert client.get(reverse("registry:actor_edit", args=[actor.uuid])).status_code == 403
    response = client.post(
        reverse("registry:actor_edit", args=[actor.uuid]),
        {"name": "Taken over", "kind": "cso", "level": "district", "status": "active"},
    )
    assert response.status_code == 403
    actor.refresh_from_db()
    assert actor.name == "Volta Regional Peace Council"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "This field is required."),
        ({"website": "not a web address"}, "Enter a valid URL."),
        ({"founded_on": "2999-01-01"}, "The founding date cannot be in the future."),
        ({"identifiers": "no scheme here"}, "Write each identifier as scheme:value"),
        ({"kind": "spaceship"}, "Select a valid choice"),
    ],
)
def test_bad_input_on_the_edit_form_is_explained_and_changes_nothing(
    changes: dict[str, str], message: str
) -> None:
    g = ghana()
    actor = make_actor("Northern Regional Peace Council", place=g.northern)
    client = logged_in(g.moderator)
    response = client.post(
        reverse("registry:actor_edit", args=[actor.uuid]), edit_form(actor, client, **changes)
    )
    assert response.status_code == 200
    assert message in names_in(response)
    actor.refresh_from_db()
    assert actor.name == "Northern Regional Peace Council" and not actor.website
    assert not ActorVersion.objects.filter(actor=actor, action="edited").exists()


def test_an_identifier_taken_by_another_actor_is_reported_next_to_the_field() -> None:
    g = ghana()
    make_actor("Volta Regional Peace Council", place=g.volta, identifiers=[("iati", "GH-1")])
    actor = make_actor("Northern Regional Peace Council", place=g.northern)
    client = logged_in(g.moderator)
    response = client.post(
        reverse("registry:actor_edit", args=[actor.uuid]),
        edit_form(actor, client, identifiers="iati:GH-1"),
    )
    assert "GH-1 is taken." in names_in(response)
    assert not actor.identifiers.exists()


def test_an_edit_over_a_newer_version_is_stopped_and_explained() -> None:
    g = ghana()
    actor = make_actor("Northern Regional Peace Council", place=g.northern)
    client = logged_in(g.moderator)
    stale = edit_form(actor, client, acronym="OLD")
    other = edit_form(actor, client, acronym="NEW")
    assert client.post(reverse("registry:actor_edit", args=[actor.uuid]), other).status_code == 302
    response = client.post(reverse("registry:actor_edit", args=[actor.uuid]), stale)
    assert "Someone changed this entry while you were editing it." in names_in(response)
    actor.refresh_from_db()
    assert actor.acronym == "NEW"


# --- Relations ---------------------------------------------------------------------------------


def test_a_relation_is_added_to_a_target_found_by_name() -> None:
    g = ghana()
    council = make_actor("Northern Regional Peace Council", place=g.northern)
    national = make_actor("National Peace Council", place=g.ghana)
    client = logged_in(g.moderator)
    url = reverse("registry:relation_add", args=[council.uuid])
    found = names_in(client.get(url, {"target_q": "national peace"}))
    assert f'value="{national.uuid}"' in found
    response = client.post(
        url,
        {
            "target_q": "national peace",
            "target": str(national.uuid),
            "direction": "out",
            "kind": "reports-to",
            "visibility": "public",
        },
    )
    assert response.status_code == 302
    assert Relation.objects.filter(source=council, target=national, kind="reports-to").exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"kind": ""}, "This field is required."),
        (
            {"ended_on": "2001-01-01", "started_on": "2010-01-01"},
            "The end date is before the start date.",
        ),
        ({"source_url": "not a web address"}, "Enter a valid URL."),
        ({"target": "00000000-0000-0000-0000-000000000000"}, "Select a valid choice"),
    ],
)
def test_bad_input_on_the_relation_form_is_explained_and_adds_nothing(
    changes: dict[str, str], message: str
) -> None:
    g = ghana()
    council = make_actor("Northern Regional Peace Council", place=g.northern)
    national = make_actor("National Peace Council", place=g.ghana)
    data = {
        "target_q": "national",
        "target": str(national.uuid),
        "direction": "out",
        "kind": "reports-to",
        "visibility": "public",
        **changes,
    }
    response = logged_in(g.moderator).post(
        reverse("registry:relation_add", args=[council.uuid]), data
    )
    assert response.status_code == 200
    assert message in names_in(response)
    assert not Relation.objects.exists()


def test_a_relation_recorded_twice_is_refused_with_a_message() -> None:
    g = ghana()
    council = make_actor("Northern Regional Peace Council", place=g.northern)
    national = make_actor("National Peace Council", place=g.ghana)
    add_relation(council, national, RelationData(kind="reports-to"), by=registry_admin())
    response = logged_in(g.moderator).post(
        reverse("registry:relation_add", args=[council.uuid]),
        {
            "target_q": "national",
            "target": str(national.uuid),
            "direction": "out",
            "kind": "reports-to",
            "visibility": "public",
        },
    )
    assert "This relation is already recorded." in names_in(response)
    assert Relation.objects.count() == 1


def test_a_moderator_cannot_add_relations_to_an_actor_outside_their_area() -> None:
    g = ghana()
    outside = make_actor("Volta Regional Peace Council", place=g.volta)
    national = make_actor("National Peace Council", place=g.ghana)
    response = logged_in(g.moderator).post(
        reverse("registry:relation_add", args=[outside.uuid]),
        {
            "target_q": "national",
            "target": str(national.uuid),
            "direction": "out",
            "kind": "reports-to",
            "visibility": "public",
        },
    )
    assert response.status_code == 403
    assert not Relation.objects.exists()


# --- Submission --------------------------------------------------------------------------------


def test_anyone_submits_an_organisation_and_sees_likely_duplicates_on_the_thank_you_page() -> None:
    g = ghana()
    existing = make_actor("Tamale Women Mediators Network", place=g.tamale)
    response = Client().post(
        reverse("registry:submit"),
        {
            "name": "Tamale Women Mediators Netwrk",
            "kind": "cso",
            "level": "district",
            "country": str(g.ghana.uuid),
            "submitter_email": "me@example.org",
        },
    )
    assert response.status_code == 200
    page = names_in(response)
    assert "is waiting for a moderator" in page
    assert 'data-testid="duplicates"' in page and str(existing.uuid) in page
    entry = Actor.objects.get(name="Tamale Women Mediators Netwrk")
    assert entry.moderation == Moderation.PENDING
    assert entry.submitter_email == "me@example.org"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": ""}, "name", "This field is required."),
        ({"kind": ""}, "kind", "This field is required."),
        ({"country": ""}, "country", "This field is required."),
        ({"website": "not a web address"}, "website", "Enter a valid URL."),
        ({"submitter_email": "me-at-example"}, "submitter_email", "Enter a valid email address."),
        ({"level": "galactic"}, "level", "Select a valid choice"),
    ],
)
def test_bad_input_on_the_submission_form_is_explained_and_saves_nothing(
    changes: dict[str, str], field: str, message: str
) -> None:
    g = ghana()
    data = {
        "name": "Tamale Youth for Peace",
        "kind": "cso",
        "level": "district",
        "country": str(g.ghana.uuid),
        **changes,
    }
    response = Client().post(reverse("registry:submit"), data)
    assert response.status_code == 200
    assert "Please correct the fields marked below." in names_in(response)
    assert message in str(response.context["form"].errors[field])
    assert not Actor.objects.exists()


# --- Moderation --------------------------------------------------------------------------------


def test_a_moderator_sees_only_the_queue_of_their_region() -> None:
    g = ghana()
    pending("Tamale Youth for Peace", g.tamale)
    pending("Ho Youth for Peace", g.volta)
    page = names_in(logged_in(g.moderator).get(reverse("registry:moderation")))
    assert "Tamale Youth for Peace" in page
    assert "Ho Youth for Peace" not in page
    assert "1 entry in your areas" in page


def test_a_moderator_publishes_an_entry_in_their_region() -> None:
    g = ghana()
    entry = pending("Tamale Youth for Peace", g.tamale)
    response = logged_in(g.moderator).post(
        reverse("registry:moderate", args=[entry.uuid]), {"decision": "publish"}
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.moderation == Moderation.PUBLISHED
    assert "Tamale Youth for Peace" in names_in(Client().get(reverse("registry:directory")))


def test_a_moderator_in_one_region_cannot_publish_or_reject_an_entry_in_another() -> None:
    g = ghana()
    entry = pending("Ho Youth for Peace", g.volta)
    client = logged_in(g.moderator)
    for decision in ({"decision": "publish"}, {"decision": "reject", "reason": "spam"}):
        response = client.post(reverse("registry:moderate", args=[entry.uuid]), decision)
        assert response.status_code == 404
    entry.refresh_from_db()
    assert entry.moderation == Moderation.PENDING


def test_someone_without_a_moderator_role_has_no_queue() -> None:
    g = ghana()
    entry = pending("Tamale Youth for Peace", g.tamale)
    member = make_user("member")
    client = logged_in(member)
    assert client.get(reverse("registry:moderation")).status_code == 404
    assert (
        client.post(
            reverse("registry:moderate", args=[entry.uuid]), {"decision": "publish"}
        ).status_code
        == 404
    )
    assert Client().get(reverse("registry:moderation")).status_code == 302  # to the login
    entry.refresh_from_db()
    assert entry.moderation == Moderation.PENDING


def test_a_rejection_needs_a_reason_and_without_one_nothing_changes() -> None:
    g = ghana()
    entry = pending("Tamale Youth for Peace", g.tamale)
    client = logged_in(g.moderator)
    response = client.post(
        reverse("registry:moderate", args=[entry.uuid]),
        {"decision": "reject", "reason": "  "},
        follow=True,
    )
    assert "Say why the entry is rejected" in names_in(response)
    entry.refresh_from_db()
    assert entry.moderation == Moderation.PENDING
    client.post(
        reverse("registry:moderate", args=[entry.uuid]),
        {"decision": "reject", "reason": "Not a peace organisation."},
    )
    entry.refresh_from_db()
    assert entry.moderation == Moderation.REJECTED
    assert entry.rejection_reason == "Not a peace organisation."


def test_the_queue_shows_likely_duplicates_and_merges_into_the_chosen_one() -> None:
    g = ghana()
    original = make_actor("Tamale Women Mediators Network", place=g.tamale)
    entry = pending("Tamale Women Mediators Netwrk", g.tamale)
    client = logged_in(g.moderator)
    page = names_in(client.get(reverse("registry:moderation")))
    assert f'name="into" value="{original.uuid}"' in page
    response = client.post(
        reverse("registry:moderate", args=[entry.uuid]),
        {"decision": "merge", "into": str(original.uuid)},
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    original.refresh_from_db()
    assert entry.moderation == Moderation.MERGED and entry.merged_into == original
    assert "Tamale Women Mediators Netwrk" in original.other_names


def test_a_merge_into_an_entry_outside_the_moderators_region_changes_nothing() -> None:
    g = ghana()
    outside = make_actor("Tamale Women Mediators Network", place=g.volta)
    entry = pending("Tamale Women Mediators Netwrk", g.tamale)
    response = logged_in(g.moderator).post(
        reverse("registry:moderate", args=[entry.uuid]),
        {"decision": "merge", "into": str(outside.uuid)},
        follow=True,
    )
    assert "You cannot merge organisations in this area." in names_in(response)
    entry.refresh_from_db()
    assert entry.moderation == Moderation.PENDING


def test_a_merge_without_a_target_is_explained() -> None:
    g = ghana()
    entry = pending("Tamale Youth for Peace", g.tamale)
    response = logged_in(g.moderator).post(
        reverse("registry:moderate", args=[entry.uuid]),
        {"decision": "merge", "into": "x"},
        follow=True,
    )
    assert "Choose the entry to merge into." in names_in(response)
    entry.refresh_from_db()
    assert entry.moderation == Moderation.PENDING


# --- Network -----------------------------------------------------------------------------------


def test_the_network_page_draws_levels_and_shows_the_figures() -> None:
    g = ghana()
    council = make_actor(
        "Northern Regional Peace Council",
        kind=ActorKind.PEACE_COUNCIL,
        level=Level.SUBNATIONAL,
        place=g.northern,
    )
    national = make_actor("National Peace Council", level=Level.NATIONAL, place=g.ghana)
    committee = make_actor(
        "Tamale Peace Committee",
        kind=ActorKind.LOCAL_PEACE_COMMITTEE,
        level=Level.DISTRICT,
        place=g.tamale,
    )
    add_relation(committee, council, RelationData(kind="reports-to"), by=registry_admin())
    add_relation(council, national, RelationData(kind="reports-to"), by=registry_admin())
    page = names_in(Client().get(reverse("registry:network")))
    assert 'data-testid="network-svg"' in page
    assert "Top brokers" in page and "Northern Regional Peace Council" in page
    assert "Brokers between levels" in page
    assert "Coverage gaps per country" in page
    assert '<svg class="bar"' in page


def test_a_large_network_is_drawn_as_levels_and_brokers() -> None:
    g = ghana()
    hub = make_actor("National Peace Council", level=Level.NATIONAL, place=g.ghana)
    for number in range(85):
        spoke = make_actor(f"Peace Committee {number}", level=Level.COMMUNITY, place=g.tamale)
        add_relation(spoke, hub, RelationData(kind="reports-to"), by=registry_admin())
    response = Client().get(reverse("registry:network"))
    assert response.context["aggregated"] is True
    picture = response.context["picture"]
    assert len(picture.nodes) <= 20
    assert any(edge.label.endswith("(85)") for edge in picture.edges)


def test_the_banded_layout_puts_global_on_top_and_mirrors_for_right_to_left() -> None:
    nodes = [diagrams.NodeIn("a", "Local", Level.COMMUNITY), diagrams.NodeIn("b", "UN", "global")]
    left = diagrams.banded(nodes, [diagrams.EdgeIn("a", "b", "member-of")])
    right = diagrams.banded(nodes, [], rtl=True)
    top, bottom = sorted(left.nodes, key=lambda n: n.y)
    assert top.label == "UN" and bottom.label == "Local"
    assert left.edges[0].kind == "member-of"
    assert {round(n.x) for n in right.nodes} == {round(diagrams.WIDTH - n.x) for n in left.nodes}


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_the_drawings_keep_plain_numbers_in_languages_with_a_decimal_comma(language: str) -> None:
    g = ghana()
    council = make_actor(
        "Northern Regional Peace Council", level=Level.SUBNATIONAL, place=g.northern
    )
    national = make_actor("National Peace Council", level=Level.NATIONAL, place=g.ghana)
    add_relation(council, national, RelationData(kind="reports-to"), by=registry_admin())
    client = Client()
    client.cookies["django_language"] = language
    for url in (reverse("registry:network"), reverse("registry:actor", args=[council.uuid])):
        page = names_in(client.get(url))
        numbers = re.findall(r' (?:cx|cy|x1|y1|x2|y2|width)="([^"]*)"', page)
        assert numbers, url
        assert all(re.fullmatch(r"[0-9.]+", number) for number in numbers), numbers[:10]


def test_an_empty_submission_shows_the_required_fields_and_saves_nothing() -> None:
    response = Client().post(reverse("registry:submit"), {})
    assert "Please correct the fields marked below." in names_in(response)
    assert not Actor.objects.exists()


def test_the_read_only_pages_refuse_posts() -> None:
    actor = make_actor("National Peace Council")
    for url in (
        reverse("registry:directory"),
        reverse("registry:network"),
        reverse("registry:actor", args=[actor.uuid]),
    ):
        assert Client().post(url, {"name": "x"}).status_code == 405


def test_the_map_uses_tiles_when_configured_else_loaded_boundaries_else_markers_only(
    settings: Any,
) -> None:
    g = ghana()
    actor = make_actor("Northern Regional Peace Council", place=g.northern)
    url = reverse("registry:actor", args=[actor.uuid])
    bare = names_in(Client().get(url))
    assert 'data-tiles=""' in bare and 'data-boundaries=""' in bare
    assert "/static/vendor/leaflet/leaflet.js" in bare and "unpkg" not in bare
    Boundary.objects.create(
        place=g.northern,
        geometry={"type": "Polygon", "coordinates": [[[-1, 9], [0, 9], [0, 10], [-1, 9]]]},
        min_lon=-1,
        min_lat=9,
        max_lon=0,
        max_lat=10,
    )
    offline = names_in(Client().get(url))
    assert f"/api/v1/places/{g.ghana.uuid}/boundaries.geojson?kind=admin1" in offline
    settings.I4P_TILE_URL = "https://tiles.example.org/{z}/{x}/{y}.png"
    online = names_in(Client().get(url))
    assert 'data-tiles="https://tiles.example.org/{z}/{x}/{y}.png"' in online
    assert 'data-boundaries=""' in online


def test_a_submission_seated_in_a_town_reaches_the_moderator_of_that_region() -> None:
    ghana = create_place("Ghana", kind="country", country_code="GH")
    north = create_place("Northern", kind="admin1", parent=ghana)
    create_place("Tamale", kind="locality", parent=north, latitude=9.4, longitude=-0.85)
    moderator = two_factor_ready(make_user())
    grant_role(moderator, by=None, role=Role.MODERATOR, place=north)
    form = {
        "name": "Tamale Women Mediators",
        "kind": "cso",
        "level": "district",
        "country": str(ghana.uuid),
        "town": "Tamalé",
    }
    assert Client().post("/submit/", form).status_code == 200
    entry = Actor.objects.get(name="Tamale Women Mediators")
    assert entry.place is not None and entry.place.name == "Tamale"
    assert "Tamale Women Mediators" in logged_in(moderator).get("/moderation/").content.decode()


def test_a_town_that_is_not_in_the_country_is_asked_again_and_nothing_is_stored() -> None:
    ghana = create_place("Ghana", kind="country", country_code="GH")
    answer = Client().post(
        "/submit/",
        {
            "name": "Somewhere Group",
            "kind": "cso",
            "level": "district",
            "country": str(ghana.uuid),
            "town": "Xqzzyville",
        },
    )
    assert answer.status_code == 200
    assert "We could not find" in answer.content.decode()
    assert not Actor.objects.exists()
