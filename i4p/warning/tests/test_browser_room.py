"""Done means, in real headless Chromium: the situation room shows the map (markers drawn), the
charts and the alert board; an analyst issues an alert by hand and a responder acknowledges
it; an analyst drafts and publishes a situation report."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from i4p.warning.models import Alert, AlertState, SituationReport, SituationReportState
from i4p.warning.tests.roomworld import build_room_world
from i4p.warning.tests.test_browser_review import log_in

DESK = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}
# Bytes a first visit of the room downloads, uncompressed (Leaflet alone is 147 kB of it;
# gzip, which WhiteNoise serves, makes the whole about a third).
ROOM_BUDGET = 300 * 1024


def _context(browser: Any, live_server: Any, viewport: dict[str, int]) -> Any:
    context = browser.new_context(base_url=live_server.url, locale="en-GB", viewport=viewport)
    context.set_default_timeout(10_000)
    return context


def _size(response: Any) -> int:
    try:
        return len(response.body()) if response.ok else 0
    except Exception:  # a page that navigated on: its earlier bodies are gone
        return 0


def _markers(page: Any) -> int:
    return int(
        page.evaluate(
            "document.querySelectorAll('#room-map .leaflet-interactive,"
            " #room-map .room-cluster').length"
        )
    )


@pytest.mark.django_db(transaction=True)
def test_the_room_shows_map_charts_and_board_and_an_alert_is_issued_then_acknowledged(
    browser: Any, live_server: Any, screenshots: Path
) -> None:
    world = build_room_world()
    w = world.warning

    desk = _context(browser, live_server, DESK)
    page = desk.new_page()
    # What a first visit downloads: every response from the room's own HTML on.
    seen: list[tuple[str, int]] = []
    page.on("response", lambda r: seen.append((r.url, _size(r))))
    log_in(page, w.tamale_analyst, then="/room/")
    # The map: Leaflet drew the markers (clusters or circles) of the four layers.
    page.wait_for_selector("#room-map[data-markers]")
    assert int(page.get_attribute("#room-map", "data-markers") or 0) == 8  # 4+1+1+2
    page.wait_for_selector("#room-map .leaflet-interactive, #room-map .room-cluster")
    page.wait_for_load_state("networkidle")
    start = max(i for i, (url, _size) in enumerate(seen) if url.endswith("/room/"))
    weight = seen[start:]
    total = sum(size for _url, size in weight)
    assert total < ROOM_BUDGET, weight
    print(f"room page weight: {total} bytes in {len(weight)} responses")
    for url, size in weight:
        print(f"  {size:>8}  {url}")
    # The charts: one for Tamale, its bars and the marked signal.
    expect(page.get_by_test_id("chart")).to_have_count(1)
    assert page.locator("[data-testid=chart] svg rect").count() == 30
    expect(page.locator("[data-testid=chart] svg rect.sig")).to_have_count(1)
    # The board: the issued alert (district level, a failed delivery) and the draft.
    expect(page.get_by_test_id("board-row")).to_have_count(2)
    expect(page.get_by_test_id("failed")).to_have_text("1 failed")
    page.screenshot(path=str(screenshots / "room-desk.png"), full_page=True)

    # Layer toggles: hiding reports and incidents leaves the signal and the two alerts.
    assert _markers(page) > 0
    page.locator("#room-layers input[value=reports]").uncheck()
    page.locator("#room-layers input[value=incidents]").uncheck()
    expect(page.locator("#room-map")).to_have_attribute("data-shown", "3")
    # Alone, the signal's marker opens a popup with its method and figures.
    page.locator("#room-layers input[value=alerts]").uncheck()
    expect(page.locator("#room-map")).to_have_attribute("data-shown", "1")
    page.locator("#room-map path.leaflet-interactive[stroke='#d97706']").click()
    expect(page.locator(".leaflet-popup-content")).to_contain_text("EARS C2: 2 / 0.3")
    expect(page.locator(".leaflet-popup")).to_have_css("opacity", "1")
    page.screenshot(path=str(screenshots / "room-signal-popup.png"))
    for layer in ("reports", "incidents", "alerts"):
        page.locator(f"#room-layers input[value={layer}]").check()
    expect(page.locator("#room-map")).to_have_attribute("data-shown", "8")

    # The analyst drafts an alert by hand and issues it from the board.
    page.get_by_text("Draft an alert by hand").click()
    page.select_option("#alert_place", str(w.tamale.uuid))
    page.select_option("#alert_event_type", label="Attack on civilians")
    page.get_by_test_id("draft-alert").click()
    row = page.get_by_test_id("board-row").filter(has_text="Attack on civilians")
    expect(row.get_by_test_id("board-state")).to_have_text("Draft")
    row.get_by_test_id("issue-alert").click()
    row = page.get_by_test_id("board-row").filter(has_text="Attack on civilians")
    expect(row.get_by_test_id("board-state")).to_have_text("Issued")
    page.screenshot(path=str(screenshots / "room-alert-issued.png"), full_page=True)
    desk.close()
    alert = Alert.objects.get(event_type__code="violence_against_civilians.attack")
    assert alert.state == AlertState.ISSUED and alert.created_by == w.tamale_analyst

    # The responder of Tamale, on a phone, acknowledges it.
    phone = _context(browser, live_server, PHONE)
    page = phone.new_page()
    log_in(page, world.responder, then="/room/")
    row = page.get_by_test_id("board-row").filter(has_text="Attack on civilians")
    expect(row.get_by_test_id("issue-alert")).to_have_count(0)  # responders do not issue
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    row.get_by_test_id("acknowledge-alert").click()
    row = page.get_by_test_id("board-row").filter(has_text="Attack on civilians")
    expect(row.get_by_test_id("board-state")).to_have_text("Acknowledged")
    expect(row).to_contain_text("responder-tamale")
    page.wait_for_selector("#room-map[data-markers]")
    page.screenshot(path=str(screenshots / "room-responder-360.png"), full_page=True)
    phone.close()
    alert.refresh_from_db()
    assert alert.state == AlertState.ACKNOWLEDGED and alert.acknowledged_by == world.responder


@pytest.mark.django_db(transaction=True)
def test_an_analyst_drafts_edits_and_publishes_a_situation_report(
    browser: Any, live_server: Any, screenshots: Path
) -> None:
    world = build_room_world()
    w = world.warning
    desk = _context(browser, live_server, DESK)
    page = desk.new_page()
    log_in(page, w.tamale_analyst, then="/situation/")
    page.get_by_text("Draft a situation report from the data").click()
    page.select_option("#id_place", str(w.tamale.uuid))
    page.get_by_test_id("sitrep-draft").click()
    page.wait_for_url(re.compile(r"/situation/[0-9a-f-]+/edit/$"))
    page.fill("#id_title", "Tamale: clashes at the market")
    page.fill("#id_summary", "Three clashes in two days; the committee mediated.")
    page.fill("#id_note_incidents", "The market clash was confirmed by two monitors.")
    page.get_by_test_id("sitrep-save").click()
    page.wait_for_url(re.compile(r"/situation/[0-9a-f-]+/$"))
    expect(page.get_by_test_id("sitrep-title")).to_have_text("Tamale: clashes at the market")
    expect(page.get_by_test_id("fig-reports")).to_have_text("4")
    expect(page.get_by_test_id("fig-killed")).to_have_text("3")
    expect(page.get_by_test_id("notable")).to_have_count(1)
    assert page.locator("svg.placemap circle").count() == 1
    page.get_by_test_id("sitrep-publish").click()
    expect(page.get_by_test_id("sitrep-state")).to_have_count(0)  # no longer a draft
    page.screenshot(path=str(screenshots / "situation-report.png"), full_page=True)
    sitrep = SituationReport.objects.get()
    assert sitrep.state == SituationReportState.PUBLISHED
    # The printed form, as Chromium prints it to PDF.
    pdf = page.request.get(f"/situation/{sitrep.uuid}/report.pdf")
    if pdf.ok:
        assert pdf.body().startswith(b"%PDF-")
        (screenshots / "situation-report.pdf").write_bytes(pdf.body())
    desk.close()
