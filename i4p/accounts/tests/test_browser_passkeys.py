"""A security key in real headless Chromium (its virtual authenticator, as DevTools offers):
a new analyst registers one at the two-factor step, then logs in with it alone."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from i4p.accounts.models import Role, SecurityKey
from i4p.accounts.services import grant_role
from i4p.accounts.tests.factories import PASSWORD, make_user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def with_virtual_authenticator(page: Any) -> Any:
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "usb",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp


def log_in_with_password(page: Any, username: str) -> None:
    page.goto("/accounts/login/?next=/review/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/accounts/two-factor/"))


def test_an_analyst_registers_a_security_key_then_logs_in_with_it_alone(
    page: Any, screenshots: Path
) -> None:
    user = make_user("field-analyst")
    grant_role(user, by=None, role=Role.ANALYST)
    with_virtual_authenticator(page)
    page.set_viewport_size({"width": 360, "height": 740})
    log_in_with_password(page, user.username)
    register = page.get_by_role("button", name="Register a security key")
    register.wait_for()  # shown once the script found WebAuthn in the browser
    page.screenshot(path=str(screenshots / "two-factor-setup-phone.png"), full_page=True)
    page.fill("#passkey-name", "Keyring key")
    register.click()
    page.wait_for_url(re.compile(r"^[^?]*/review/$"))
    assert SecurityKey.objects.get(user=user).name == "Keyring key"

    page.context.clear_cookies()  # another day: the same key, a new session
    log_in_with_password(page, user.username)
    assert page.locator("#id_code").count() == 0  # no authenticator app to ask a code of
    page.get_by_role("button", name="Use my security key").click()
    page.wait_for_url(re.compile(r"^[^?]*/review/$"))
    assert page.get_by_role("heading", level=1).count() == 1
    key = SecurityKey.objects.get(user=user)
    assert key.sign_count >= 1 and key.last_used_at is not None
    page.goto("/accounts/")
    assert page.get_by_test_id("security-key").count() == 1
    page.screenshot(path=str(screenshots / "account-security-keys-phone.png"), full_page=True)
