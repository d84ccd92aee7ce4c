"""The reveal in real headless Chromium on a phone-sized screen: the reporter page shows a
pseudonym, the reveal asks a reason, and the identity shown once is not kept by the browser."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from i4p.registry.tests.test_browser import log_in_with_two_factor
from i4p.warning.tests.builders import build_warning_world
from i4p.warning.tests.test_protection import NAME, reporter_in_tamale

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_admin_reveals_a_reporter_with_a_reason_on_a_small_phone(
    page: Any, screenshots: Path
) -> None:
    world = build_warning_world()
    reporter = reporter_in_tamale(world)
    page.set_viewport_size({"width": 360, "height": 740})
    log_in_with_two_factor(page, world.admin)
    page.goto(f"/reporters/{reporter.uuid}/")
    assert reporter.handle in page.content() and NAME not in page.content()
    page.screenshot(path=str(screenshots / "warning-reporter-phone.png"), full_page=True)
    page.get_by_role("link", name="Reveal who this is…").click()
    page.wait_for_url(re.compile(r"/reveal/$"))
    page.fill("#id_reason", "short")
    page.get_by_role("button", name="Reveal", exact=True).click()
    assert NAME not in page.content()
    page.fill("#id_reason", "A credible threat against the reporter was received.")
    answer_headers: dict[str, str] = {}
    page.on("response", lambda r: answer_headers.update(r.headers) if "/reveal/" in r.url else None)
    page.get_by_role("button", name="Reveal", exact=True).click()
    page.wait_for_selector("[data-testid=revealed]")
    assert NAME in page.content()
    assert "no-store" in answer_headers.get("cache-control", "")
    page.screenshot(path=str(screenshots / "warning-reveal-phone.png"), full_page=True)
