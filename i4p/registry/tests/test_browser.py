"""Registry pages in real headless Chromium: browse, filter, submit, moderate, weigh, RTL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyotp
import pytest
from playwright.sync_api import expect
from pytest_django.live_server_helper import LiveServer

from i4p.accounts.models import Role, User
from i4p.accounts.services import grant_role
from i4p.accounts.tests.factories import PASSWORD, make_user, two_factor_ready
from i4p.geo.models import Place
from i4p.geo.tests.factories import make_place
from i4p.registry.models import Actor, ActorKind, Level, Moderation
from i4p.registry.services import RelationData, add_relation
from i4p.registry.tests.builders import make_actor, registry_admin

PAGE_BUDGET = 100 * 1024  # bytes on the wire for a first visit, map tiles excepted


class _ThroughTheApp:
    """Hands /static/ to the application itself, so WhiteNoise serves it as in production."""

    def __init__(self, application: Any) -> None:
        self.application = application

    def __call__(self, environ: Any, start_response: Any) -> Any:
        return self.application(environ, start_response)


@pytest.fixture(scope="module")
def live_server() -> Iterator[LiveServer]:
    """The live server, but with static files (gzipped Leaflet) served the production way.

    Page weight means what a browser on a slow line downloads; Django's test static handler
    sends every file uncompressed, which no deployment does.
    """
    server = LiveServer("localhost", start=False)
    server.thread.static_handler = _ThroughTheApp  # type: ignore[assignment]
    server.start()
    yield server
    server.stop()


@dataclass
class Network:
    ghana: Place
    northern: Place
    tamale: Place
    moderator: User
    council: Actor


def demo_like_network() -> Network:
    """A small network in the shape of the Ghanaian infrastructure for peace."""
    ghana = make_place("Ghana", country_code="GH", lat=7.95, lon=-1.03)
    northern = make_place("Northern", kind="admin1", parent=ghana, lat=9.54, lon=-0.9)
    volta = make_place("Volta", kind="admin1", parent=ghana, lat=6.58, lon=0.45)
    accra = make_place("Greater Accra", kind="admin1", parent=ghana, lat=5.6, lon=-0.19)
    tamale = make_place("Tamale", kind="admin2", parent=northern, lat=9.4, lon=-0.85)
    bawku = make_place("Bawku", kind="admin2", parent=northern, lat=11.06, lon=-0.24)
    nigeria = make_place("Nigeria", country_code="NG", lat=9.06, lon=7.49)
    ethiopia = make_place("Ethiopia", country_code="ET", lat=9.03, lon=38.74)
    netherlands = make_place("Netherlands", country_code="NL", lat=52.08, lon=4.3)
    moderator = two_factor_ready(make_user("northern-moderator"))
    grant_role(moderator, by=None, role=Role.MODERATOR, place=northern)

    def actor(name: str, acronym: str, kind: str, level: str, place: Place, **kw: Any) -> Actor:
        return make_actor(
            name, acronym=acronym, kind=kind, level=level, place=place, coverage=[place], **kw
        )

    npc = actor(
        "National Peace Council",
        "NPC",
        ActorKind.PEACE_COUNCIL,
        Level.NATIONAL,
        accra,
        themes=["mediation"],
        website="https://www.npc.gov.gh",
        sources=[
            {
                "quote": "The National Peace Council Act, 2011 (Act 818)",
                "title": "Act 818",
                "url": "",
            }
        ],
    )
    council = actor(
        "Northern Regional Peace Council",
        "NRPC",
        ActorKind.PEACE_COUNCIL,
        Level.SUBNATIONAL,
        northern,
        themes=["mediation", "early-warning"],
    )
    volta_council = actor(
        "Volta Regional Peace Council",
        "",
        ActorKind.PEACE_COUNCIL,
        Level.SUBNATIONAL,
        volta,
        themes=["mediation"],
    )
    wanep = actor(
        "West Africa Network for Peacebuilding",
        "WANEP",
        ActorKind.NETWORK,
        Level.REGIONAL,
        accra,
        themes=["early-warning"],
    )
    wanep_gh = actor(
        "WANEP Ghana", "", ActorKind.NETWORK, Level.NATIONAL, accra, themes=["early-warning"]
    )
    ecowas = actor(
        "Economic Community of West African States",
        "ECOWAS",
        ActorKind.RIGO,
        Level.REGIONAL,
        nigeria,
        themes=["early-warning"],
    )
    au = actor("African Union", "AU", ActorKind.RIGO, Level.CONTINENTAL, ethiopia)
    gppac = actor(
        "Global Partnership for the Prevention of Armed Conflict",
        "GPPAC",
        ActorKind.NETWORK,
        Level.GLOBAL,
        netherlands,
    )
    tamale_lpc = actor(
        "Tamale Peace Committee",
        "",
        ActorKind.LOCAL_PEACE_COMMITTEE,
        Level.DISTRICT,
        tamale,
        illustrative=True,
    )
    bawku_women = actor(
        "Bawku Women Peace Mediators",
        "",
        ActorKind.CSO,
        Level.COMMUNITY,
        bawku,
        illustrative=True,
        themes=["mediation"],
    )
    admin = registry_admin()
    for source, target, kind in [
        (council, npc, "reports-to"),
        (volta_council, npc, "reports-to"),
        (tamale_lpc, council, "reports-to"),
        (bawku_women, council, "liaises-with"),
        (wanep_gh, wanep, "member-of"),
        (wanep, gppac, "member-of"),
        (wanep, ecowas, "partner-of"),
        (ecowas, au, "liaises-with"),
        (wanep_gh, npc, "partner-of"),
    ]:
        add_relation(source, target, RelationData(kind=kind), by=admin)
    return Network(ghana, northern, tamale, moderator, council)


def weigh(page: Any, path: str) -> int:
    """Bytes a first visit to `path` downloads (bodies as sent, with headers), tiles excepted."""
    sizes: list[int] = []

    def finished(request: Any) -> None:
        if "/tile" in request.url:
            return
        measured = request.sizes()
        sizes.append(measured["responseBodySize"] + measured["responseHeadersSize"])

    page.on("requestfinished", finished)
    page.goto(path)
    page.wait_for_load_state("networkidle")
    page.remove_listener("requestfinished", finished)
    return sum(sizes)


def test_a_visitor_browses_and_filters_the_directory_without_javascript(
    browser: Any, live_server: LiveServer, screenshots: Path
) -> None:
    net = demo_like_network()
    context = browser.new_context(
        base_url=live_server.url, java_script_enabled=False, locale="en-GB"
    )
    page = context.new_page()
    try:
        page.goto("/")
        expect(page.get_by_test_id("result-count")).to_have_text("10 organisations")
        page.select_option("#id_level", "subnational")
        page.get_by_role("button", name="Filter").click()
        expect(page.get_by_test_id("result-count")).to_have_text("2 organisations")
        expect(page.get_by_role("link", name="Northern Regional Peace Council")).to_be_visible()
        # The subdivision list appears once a country is chosen: no script needed.
        page.goto("/")
        page.select_option("#id_country", str(net.ghana.uuid))
        page.get_by_role("button", name="Filter").click()
        page.select_option("#id_area", str(net.northern.uuid))
        page.get_by_role("button", name="Filter").click()
        expect(page.get_by_test_id("actor-row")).to_have_count(3)
        expect(page.get_by_text("illustrative").first).to_be_visible()
        page.fill("#id_q", "bawku")
        page.get_by_role("button", name="Filter").click()
        expect(page.get_by_test_id("result-count")).to_have_text("1 organisation")
        page.screenshot(path=str(screenshots / "directory-filtered-nojs.png"), full_page=True)
    finally:
        context.close()


def test_a_visitor_opens_an_actor_with_its_map_relations_and_neighbourhood(
    page: Any, screenshots: Path
) -> None:
    demo_like_network()
    page.set_viewport_size({"width": 1200, "height": 900})
    page.goto("/")
    page.wait_for_selector(".leaflet-interactive")  # the map of the result set drew markers
    # docs/screenshots/directory.png (in the README) is this picture, reduced to 64 colours.
    page.screenshot(
        path=str(screenshots / "directory.png"), clip={"x": 0, "y": 0, "width": 1200, "height": 760}
    )
    page.get_by_role("link", name="Northern Regional Peace Council").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile(r"^Northern Regional Peace Council")
    )
    expect(page.get_by_test_id("relation-group")).to_have_count(2)  # reports to; liaises with
    expect(page.get_by_text("Tamale Peace Committee reports to NRPC")).to_be_visible()
    expect(page.get_by_text("NRPC reports to National Peace Council")).to_be_visible()
    svg = page.get_by_test_id("network-svg")
    assert svg.locator("circle").count() >= 5
    page.wait_for_selector(".leaflet-interactive")
    page.screenshot(path=str(screenshots / "actor.png"), full_page=True)
    svg.locator("text", has_text="NPC").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile(r"^National Peace Council")
    )


def log_in_with_two_factor(page: Any, user: User) -> None:
    """Through the real login and two-factor pages, the code computed like an app would."""
    page.goto("/accounts/login/?next=/moderation/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/accounts/two-factor/"))
    page.fill("#id_code", pyotp.TOTP(user.totp_secret).now())
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(re.compile(r"/moderation/$"))


def test_a_submitted_organisation_is_published_by_a_moderator_and_reaches_directory_and_api(
    page: Any, screenshots: Path
) -> None:
    net = demo_like_network()
    page.goto("/submit/")
    page.get_by_role("button", name="Send for moderation").click()
    expect(page.get_by_test_id("form-errors")).to_be_visible()  # nothing filled in: errors shown
    page.fill("#id_name", "Northern Regional Peace Councl")  # a near duplicate, on purpose
    page.select_option("#id_kind", "cso")
    page.select_option("#id_level", "district")
    page.select_option("#id_country", str(net.ghana.uuid))
    page.fill("#id_website", "not a web address")
    page.get_by_role("button", name="Send for moderation").click()
    expect(page.get_by_text("Enter a valid URL.")).to_be_visible()
    page.fill("#id_website", "https://nrpc.example.org")
    page.get_by_role("button", name="Send for moderation").click()
    expect(page.get_by_role("status")).to_have_text(re.compile(r"^Northern Regional Peace Councl"))
    expect(page.get_by_test_id("duplicates")).to_be_visible()
    page.screenshot(path=str(screenshots / "submitted.png"), full_page=True)
    # The public form places an entry in a country; the region's moderator sees it once it is
    # placed in the region (the secretariat does this), so place it as they would.
    entry = Actor.objects.get(name="Northern Regional Peace Councl")
    Actor.objects.filter(pk=entry.pk).update(place=net.tamale)
    log_in_with_two_factor(page, net.moderator)
    card = page.get_by_test_id("pending").filter(has_text="Northern Regional Peace Councl")
    expect(card.get_by_test_id("duplicates")).to_be_visible()
    page.screenshot(path=str(screenshots / "moderation.png"), full_page=True)
    card.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Northern Regional Peace Councl is published.")).to_be_visible()
    entry.refresh_from_db()
    assert entry.moderation == Moderation.PUBLISHED
    page.goto("/?q=councl")
    expect(page.get_by_role("link", name="Northern Regional Peace Councl")).to_be_visible()
    answer = page.request.get("/api/v1/actors?q=councl")
    assert answer.status == 200
    assert "Northern Regional Peace Councl" in [item["name"] for item in answer.json()["items"]]


def test_the_arabic_pages_are_laid_out_right_to_left(page: Any, screenshots: Path) -> None:
    demo_like_network()
    page.set_viewport_size({"width": 1200, "height": 900})
    page.goto("/")
    page.select_option("#lang", "ar")
    page.locator("form.lang button").click()
    page.wait_for_selector("html[dir=rtl]")
    assert page.locator("html").get_attribute("lang") == "ar"
    # The first column sits at the table's right edge, the second to its left (how wide each
    # is depends on the translated labels, so no fixed share of the table is assumed).
    header = page.locator("table th").first.bounding_box()
    second = page.locator("table th").nth(1).bounding_box()
    table = page.locator("table").bounding_box()
    assert abs(header["x"] + header["width"] - (table["x"] + table["width"])) < 2
    assert second["x"] + second["width"] <= header["x"] + 1
    page.screenshot(path=str(screenshots / "directory-ar.png"))
    page.goto("/network/")
    assert page.locator("html").get_attribute("dir") == "rtl"
    page.screenshot(path=str(screenshots / "network-ar.png"), full_page=True)


def test_every_registry_page_weighs_less_than_100_kb_on_a_first_visit(
    browser: Any, live_server: LiveServer, screenshots: Path
) -> None:
    net = demo_like_network()
    weights = {}
    for name, path in [
        ("directory", "/"),
        ("actor", f"/actors/{net.council.uuid}/"),
        ("network", "/network/"),
        ("submit", "/submit/"),
    ]:
        # A new context each time: an empty cache, as on a first visit.
        context = browser.new_context(base_url=live_server.url, locale="en-GB")
        try:
            weights[name] = weigh(context.new_page(), path)
        finally:
            context.close()
    print("page weights (bytes):", weights)  # the figure goes into the report
    assert all(size <= PAGE_BUDGET for size in weights.values()), weights
    assert weights["actor"] > 40_000  # Leaflet came along: the measure sees the whole page
