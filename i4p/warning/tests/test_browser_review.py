"""Done means, in real headless Chromium: a monitor reports from a small phone, an analyst of the
district verifies it, and an analyst of another district cannot see it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pyotp
import pytest
from playwright.sync_api import expect

from i4p.accounts.models import User
from i4p.accounts.tests.factories import PASSWORD
from i4p.warning.models import Report, Verification
from i4p.warning.tests.builders import build_warning_world

PHONE = {"width": 360, "height": 740}
PAGE_BUDGET = 100 * 1024  # bytes a first visit of the form downloads


def log_in(page: Any, user: User, *, then: str) -> None:
    page.goto(f"/accounts/login/?next={then}")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    if "/two-factor/" in page.url:
        page.fill("#id_code", pyotp.TOTP(user.totp_secret).now())
        page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(re.compile(re.escape(then) + "$"))


@pytest.mark.django_db(transaction=True)
def test_a_monitor_reports_from_a_phone_a_district_analyst_verifies_another_cannot_see(
    browser: Any, live_server: Any, screenshots: Path
) -> None:
    world = build_warning_world()

    # A monitor on a small phone.
    phone = browser.new_context(base_url=live_server.url, locale="en-GB", viewport=PHONE)
    page = phone.new_page()
    page.set_default_timeout(10_000)
    log_in(page, world.monitor, then="/report/")
    weight: list[int] = []
    page.on("response", lambda r: weight.append(len(r.body()) if r.ok else 0))
    page.reload()
    assert sum(weight) < PAGE_BUDGET, sum(weight)
    # The form fits the screen: nothing wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.select_option("#id_event_type", label="Armed clash")
    page.fill("#id_description", "Two groups fought with machetes at the market.")
    page.fill("#id_place_query", "Tamale")
    page.fill("#id_injured", "3")
    page.screenshot(path=str(screenshots / "warning-report-form-360.png"), full_page=True)
    page.get_by_test_id("send-report").click()
    page.wait_for_url(re.compile(r"/reports/mine/$"))
    expect(page.get_by_test_id("my-report")).to_have_count(1)
    expect(page.get_by_test_id("status")).to_have_text("Not yet reviewed")
    page.screenshot(path=str(screenshots / "warning-my-reports-360.png"), full_page=True)
    phone.close()
    report = Report.objects.get()
    assert report.place == world.tamale

    # The district's analyst finds it in the queue, takes the lock and verifies it.
    desk = browser.new_context(base_url=live_server.url, locale="en-GB", viewport=PHONE)
    page = desk.new_page()
    page.set_default_timeout(10_000)
    log_in(page, world.tamale_analyst, then="/review/")
    expect(page.get_by_test_id("queued")).to_have_count(1)
    page.screenshot(path=str(screenshots / "warning-queue-360.png"), full_page=True)
    page.get_by_role("link", name="Armed clash").click()
    page.get_by_test_id("take-lock").click()
    page.get_by_label("Verified", exact=True).check()
    page.select_option("#id_reliability", "B")
    page.select_option("#id_credibility", "2")
    page.get_by_test_id("save-verdict").click()
    expect(page.get_by_test_id("status")).to_have_text("Verified")
    expect(page.get_by_test_id("history")).to_contain_text("gave a verdict")
    page.screenshot(path=str(screenshots / "warning-report-verified-360.png"), full_page=True)
    desk.close()
    assert Report.objects.get().verification == Verification.VERIFIED

    # The analyst of the neighbouring district sees neither the report nor its page.
    other = browser.new_context(base_url=live_server.url, locale="en-GB")
    page = other.new_page()
    page.set_default_timeout(10_000)
    log_in(page, world.yendi_analyst, then="/review/")
    expect(page.get_by_test_id("queued")).to_have_count(0)
    answer = page.goto(f"/review/reports/{report.uuid}/")
    assert answer is not None and answer.status == 404
    page.screenshot(path=str(screenshots / "warning-other-district-404.png"))
    other.close()
