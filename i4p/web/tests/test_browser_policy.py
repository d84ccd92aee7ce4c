"""Done means, in real headless Chromium: the main pages run under the Content Security
Policy with nothing refused — the report form, the review queue, the situation room with its
map, the response figures, the account page and the two-factor step."""

from __future__ import annotations

from typing import Any

import pytest

from i4p.warning.tests.roomworld import build_room_world
from i4p.warning.tests.test_browser_review import log_in

# Seen by every page before its own scripts: a refusal the console might word differently.
_REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`Refused by the policy: ${event.violatedDirective} ${event.blockedURI}`);
});
"""


def _watched(browser: Any, live_server: Any) -> tuple[Any, list[str]]:
    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    context.set_default_timeout(10_000)
    context.add_init_script(_REPORT_VIOLATIONS)
    page = context.new_page()
    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(f"{page.url}: {message.text}")
            if "Refused" in message.text or "Content Security Policy" in message.text
            else None
        ),
    )
    return page, refused


def _visit(page: Any, url: str) -> None:
    answer = page.goto(url)
    assert answer is not None and answer.status == 200, url
    policy = answer.headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy and "style-src 'self'" in policy, url
    assert "unsafe-inline" not in policy
    page.wait_for_load_state("networkidle")


@pytest.mark.django_db(transaction=True)
def test_the_main_pages_run_under_the_policy_with_nothing_refused(
    browser: Any, live_server: Any
) -> None:
    world = build_room_world()
    w = world.warning

    page, refused = _watched(browser, live_server)
    log_in(page, w.monitor, then="/report/")
    _visit(page, "/report/")
    page.select_option("#id_event_type", label="Armed clash")
    page.fill("#id_place_query", "Tamale")
    page.context.close()

    page, analyst_refused = _watched(browser, live_server)
    # Through the two-factor step (its page loads the security-key script).
    log_in(page, w.tamale_analyst, then="/review/")
    _visit(page, "/review/")
    _visit(page, "/room/")
    page.wait_for_selector("#room-map .leaflet-interactive, #room-map .room-cluster")
    _visit(page, "/alerts/figures/")
    _visit(page, f"/alerts/{world.issued.uuid}/chain/")
    _visit(page, "/accounts/")
    _visit(page, "/")
    page.context.close()

    assert refused + analyst_refused == []
