"""The second factor: a session without it opens nothing, whatever header it sends; codes are
good once and wrong ones lock the account; security keys and passkeys serve beside the app."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pyotp
import pytest
from django.test import Client
from django.utils import timezone
from webauthn.helpers import bytes_to_base64url

from i4p.accounts.middleware import _OPEN_PATHS, _OPEN_PREFIXES, SESSION_KEY
from i4p.accounts.models import Role, SecurityKey, User
from i4p.accounts.services import grant_role
from i4p.accounts.tests.factories import PASSWORD, make_user, two_factor_ready
from i4p.accounts.tests.softkey import SoftKey
from i4p.api.tests.test_contract import PREFIX, fill_path, operations
from i4p.core.models import AuditEvent
from i4p.warning.frameworks import load_default_framework
from i4p.warning.intake import Draft, Identity, submit_report
from i4p.warning.models import Channel, Report
from i4p.web.tests.test_every_page import page_routes
from i4p.web.tests.world import build_world, logged_in

pytestmark = pytest.mark.django_db

STAFF_ROLES = [Role.ADMIN, Role.MODERATOR, Role.ANALYST, Role.RESPONDER]
JUNK: dict[str, str] = {"Authorization": "Bearer x"}
PHONE = "+233 55 501 0299"
ORIGIN = "http://testserver"


def password_only(user: User) -> Client:
    """A browser that typed the right password and stopped at the two-factor step."""
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    assert SESSION_KEY not in client.session
    return client


def staff_of(role: str, place: Any = None) -> User:
    user = two_factor_ready(make_user(f"staff-{role}"))
    grant_role(user, by=None, role=role, place=place)
    return user


def report_with_reporter(place: Any) -> Report:
    load_default_framework()
    draft = Draft(description="Youths gathered with machetes near the market.", place=place)
    report, _new = submit_report(
        draft,
        by=None,
        channel=Channel.WEB,
        payload={"description": draft.description},
        sender=Identity(phone=PHONE, name="Abena Fictitious"),
    )
    assert report.reporter is not None
    return report


def is_open(route: str) -> bool:
    return "/" + route in _OPEN_PATHS or ("/" + route).startswith(_OPEN_PREFIXES)


def is_two_factor_redirect(answer: Any) -> bool:
    return bool(
        answer.status_code == 302 and answer["Location"].startswith("/accounts/two-factor/")
    )


def test_the_pages_open_before_the_second_factor_are_only_login_logout_and_the_step_itself() -> (
    None
):
    open_names = {name for route, name in page_routes() if is_open(route)}
    assert open_names == {
        "accounts:login",
        "accounts:logout",
        "accounts:two_factor",
        "accounts:key_login_options",
        "accounts:key_login",
        "accounts:key_register_options",
        "accounts:key_register",
        "set_language",
    }


@pytest.mark.slow
def test_a_session_without_its_second_factor_opens_no_page_and_no_operation_whatever_it_sends() -> (
    None
):
    world = build_world()
    report = report_with_reporter(world.tamale)
    assert report.reporter is not None
    ids = [str(report.reporter.uuid), str(report.uuid), str(world.published.uuid)]
    sessions = {role: password_only(staff_of(role, world.northern)) for role in STAFF_ROLES}
    routes = [(r, n) for r, n in page_routes() if not is_open(r)]
    urls = sorted(
        {fill_path("/" + _braces(route), value) for route, _name in routes for value in ids}
    )
    calls = [
        (method, fill_path(path, value))
        for path, method, _operation in operations()
        for value in ids
    ]
    pages_answered = operations_answered = 0
    for role, client in sessions.items():
        for url in urls:
            for method in ("get", "post"):
                for headers in ({}, JUNK):
                    answer = getattr(client, method)(url, headers=headers)
                    assert is_two_factor_redirect(answer), (role, method, url, headers)
                    pages_answered += 1
        for method, url in calls:
            for headers in ({}, JUNK):
                answer = client.generic(
                    method, url, "{}", content_type="application/json", headers=headers
                )
                assert answer.status_code in {401, 403}, (role, method, url, headers)
                assert answer.json()["code"] in {"two_factor_required", "unauthenticated"}
                operations_answered += 1
    # The sweep met the whole site: every page and operation, for each role, both ways.
    assert len(routes) >= 50 and len({p for p, _m, _o in operations()}) >= 40
    assert pages_answered == len(STAFF_ROLES) * len(urls) * 4
    assert operations_answered == len(STAFF_ROLES) * len(calls) * 2


def _braces(route: str) -> str:
    """A resolver route with `<uuid:name>` written as the document's `{name}`."""
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)


def test_a_junk_bearer_header_does_not_open_the_review_queue_or_the_api_to_a_password() -> None:
    world = build_world()
    analyst = staff_of(Role.ANALYST, world.northern)
    client = password_only(analyst)
    assert is_two_factor_redirect(client.get("/review/"))
    assert is_two_factor_redirect(client.get("/review/", headers=JUNK))
    assert is_two_factor_redirect(client.get("/reports/export.csv", headers=JUNK))
    assert is_two_factor_redirect(client.get("/room/", headers=JUNK))
    answer = client.get(f"{PREFIX}/reports?limit=1", headers=JUNK)
    assert answer.status_code in {401, 403} and "items" not in answer.json()


def test_a_password_only_session_cannot_reveal_a_reporter_with_or_without_a_header() -> None:
    world = build_world()
    report = report_with_reporter(world.tamale)
    assert report.reporter is not None
    client = password_only(world.admin)
    url = f"/reporters/{report.reporter.uuid}/reveal/"
    reason = {"reason": "A credible threat against the reporter."}
    for headers in ({}, JUNK):
        answer = client.post(url, reason, headers=headers)
        assert is_two_factor_redirect(answer)
        assert "501" not in answer.content.decode()
    assert not AuditEvent.objects.filter(action="reporter.revealed").exists()
    # Past the second factor, the same request shows the identity: the sweep is not blind.
    full = logged_in(world.admin).post(url, reason)
    assert full.status_code == 200 and "+233555010299" in full.content.decode()


def test_the_account_page_which_issues_api_tokens_waits_for_the_second_factor() -> None:
    moderator = staff_of(Role.MODERATOR)
    client = password_only(moderator)
    assert is_two_factor_redirect(client.get("/accounts/"))
    assert is_two_factor_redirect(client.post("/accounts/", {"name": "mine", "scope": "write"}))
    assert not moderator.api_tokens.exists()
    assert logged_in(moderator).get("/accounts/").status_code == 200


def test_a_wrong_token_never_falls_back_to_the_session_it_came_with() -> None:
    world = build_world()
    client = logged_in(world.admin)  # a full session, past its second factor
    assert client.get(f"{PREFIX}/actors").status_code == 200
    assert client.get(f"{PREFIX}/reports?limit=1").status_code == 200
    for url in (f"{PREFIX}/reports?limit=1", f"{PREFIX}/actors"):
        answer = client.get(url, headers=JUNK)
        assert answer.status_code == 401, url
        assert answer.json()["code"] == "unauthenticated"


def test_a_valid_token_works_on_its_own_and_a_session_without_a_header_still_works() -> None:
    world = build_world()
    report = report_with_reporter(world.tamale)
    machine = Client(HTTP_AUTHORIZATION=f"Bearer {world.admin_token_plain}")
    answer = machine.get(f"{PREFIX}/reports?limit=1")
    assert answer.status_code == 200
    assert [item["uuid"] for item in answer.json()["items"]] == [str(report.uuid)]
    assert logged_in(world.moderator).get(f"{PREFIX}/actors").status_code == 200


# -- codes: good once, and a few wrong ones lock the account --------------------------------


def _code_at(user: User, step_offset: int = 0) -> str:
    totp = pyotp.TOTP(user.totp_secret)
    return totp.generate_otp(totp.timecode(timezone.now()) + step_offset)


def test_after_five_wrong_codes_even_the_right_code_is_refused_and_the_lock_is_audited() -> None:
    user = staff_of(Role.ANALYST)
    client = password_only(user)
    for _ in range(5):
        answer = client.post("/accounts/two-factor/", {"code": "000000"})
        assert answer.status_code == 200 and "That code is not right" in answer.content.decode()
    user.refresh_from_db()
    assert user.is_locked
    assert AuditEvent.objects.filter(action="user.locked", target_uuid=user.uuid).exists()
    right = client.post("/accounts/two-factor/", {"code": _code_at(user)})
    assert right.status_code == 200 and "locked" in right.content.decode()
    assert SESSION_KEY not in client.session
    # The lock ends on its own.
    User.objects.filter(pk=user.pk).update(locked_until=timezone.now() - timedelta(seconds=1))
    later = client.post("/accounts/two-factor/?next=/review/", {"code": _code_at(user)})
    assert later.status_code == 302 and later["Location"] == "/review/"


def test_logging_in_again_does_not_give_an_attacker_fresh_tries_at_the_code() -> None:
    user = staff_of(Role.ANALYST)
    for _ in range(5):
        client = password_only(user)  # a right password each time
        client.post("/accounts/two-factor/", {"code": "000000"})
    user.refresh_from_db()
    assert user.is_locked


def test_one_code_opens_one_session_only() -> None:
    user = staff_of(Role.RESPONDER)
    first, second = password_only(user), password_only(user)
    code = _code_at(user)
    assert first.post("/accounts/two-factor/", {"code": code}).status_code == 302
    again = second.post("/accounts/two-factor/", {"code": code})
    assert again.status_code == 200 and SESSION_KEY not in second.session
    # An older code than the last accepted one is refused too; the next one is good.
    assert second.post("/accounts/two-factor/", {"code": _code_at(user, -1)}).status_code == 200
    assert second.post("/accounts/two-factor/", {"code": _code_at(user, 1)}).status_code == 302


# -- security keys and passkeys -------------------------------------------------------------


def _register(client: Client, key: SoftKey, name: str = "Blue key") -> Any:
    options = client.post("/accounts/two-factor/key/register/options/")
    assert options.status_code == 200, options.content
    body = {"name": name, "credential": key.create(options.content.decode(), origin=ORIGIN)}
    return client.post(
        "/accounts/two-factor/key/register/", json.dumps(body), content_type="application/json"
    )


def _log_in_with(client: Client, key: SoftKey) -> Any:
    options = client.post("/accounts/two-factor/key/options/")
    assert options.status_code == 200, options.content
    body = {"credential": key.get(options.content.decode(), origin=ORIGIN)}
    return client.post(
        "/accounts/two-factor/key/verify/?next=/review/",
        json.dumps(body),
        content_type="application/json",
    )


def test_a_new_staff_member_sets_up_a_security_key_instead_of_an_app_and_logs_in_with_it() -> None:
    user = make_user("field-officer")
    grant_role(user, by=None, role=Role.ANALYST)
    client = password_only(user)
    page = client.get("/accounts/two-factor/")
    assert 'data-passkey="register"' in page.content.decode()
    key = SoftKey()
    answer = _register(client, key)
    assert answer.status_code == 200, answer.content
    assert client.get("/review/").status_code == 200  # holding the key passed the step
    stored = SecurityKey.objects.get(user=user)
    assert stored.name == "Blue key"
    assert AuditEvent.objects.filter(action="user.security_key_added").count() == 1
    # The next day: password, then the key alone.
    user.refresh_from_db()
    assert user.has_two_factor and not user.has_totp
    tomorrow = password_only(user)
    page = tomorrow.get("/accounts/two-factor/")
    assert 'data-passkey="login"' in page.content.decode()
    assert 'name="code"' not in page.content.decode()  # no app to ask a code of
    done = _log_in_with(tomorrow, key)
    assert done.status_code == 200 and done.json()["next"] == "/review/"
    assert tomorrow.get("/review/").status_code == 200
    stored.refresh_from_db()
    assert stored.sign_count == 1 and stored.last_used_at is not None


def test_a_stolen_password_cannot_add_a_key_to_an_account_that_has_a_second_factor() -> None:
    user = staff_of(Role.ADMIN)
    thief = password_only(user)
    assert thief.post("/accounts/two-factor/key/register/options/").status_code == 403
    answer = thief.post(
        "/accounts/two-factor/key/register/",
        json.dumps({"name": "x", "credential": {}}),
        content_type="application/json",
    )
    assert answer.status_code == 403
    assert not SecurityKey.objects.exists()
    # Past the second factor, the owner adds one from the account page.
    owner = logged_in(user)
    assert 'data-passkey="register"' in owner.get("/accounts/").content.decode()
    assert _register(owner, SoftKey()).status_code == 200
    assert SecurityKey.objects.filter(user=user).count() == 1


def test_a_key_answer_that_is_replayed_cloned_or_someone_elses_is_refused() -> None:
    user = make_user("owner")
    grant_role(user, by=None, role=Role.ANALYST)
    key = SoftKey()
    assert _register(password_only(user), key).status_code == 200
    client = password_only(user)
    options = client.post("/accounts/two-factor/key/options/").content.decode()
    answer = json.dumps({"credential": key.get(options, origin=ORIGIN)})
    verify = "/accounts/two-factor/key/verify/"
    assert client.post(verify, answer, content_type="application/json").status_code == 200
    # The same answer again: its challenge was used up.
    replay = password_only(user)
    refused = replay.post(verify, answer, content_type="application/json")
    assert refused.status_code == 400 and SESSION_KEY not in replay.session
    # A copy of the key whose counter lags the original's.
    clone = SoftKey(credential_id=key.credential_id, private_key=key.private_key, sign_count=0)
    cloned = _log_in_with(password_only(user), clone)
    assert cloned.status_code == 400
    # Another user's key, for this account's challenge.
    other = make_user("other")
    grant_role(other, by=None, role=Role.ANALYST)
    stranger = SoftKey()
    assert _register(password_only(other), stranger).status_code == 200
    mine = password_only(user)
    options = mine.post("/accounts/two-factor/key/options/").content.decode()
    forged = json.loads(options)
    stranger_id = bytes_to_base64url(stranger.credential_id)
    forged["allowCredentials"] = [{"id": stranger_id, "type": "public-key"}]
    body = json.dumps({"credential": stranger.get(json.dumps(forged), origin=ORIGIN)})
    assert mine.post(verify, body, content_type="application/json").status_code == 400
    assert SESSION_KEY not in mine.session
    # An answer made for another site.
    elsewhere = password_only(user)
    options = elsewhere.post("/accounts/two-factor/key/options/").content.decode()
    phished = json.dumps({"credential": key.get(options, origin="https://evil.example")})
    assert elsewhere.post(verify, phished, content_type="application/json").status_code == 400


def test_a_key_is_removed_from_the_account_page_and_the_removal_is_audited() -> None:
    user = staff_of(Role.MODERATOR)
    owner = logged_in(user)
    assert _register(owner, SoftKey(), name="Old key").status_code == 200
    key = SecurityKey.objects.get(user=user)
    page = owner.get("/accounts/").content.decode()
    assert "Old key" in page
    stranger = logged_in(staff_of(Role.ADMIN))
    assert stranger.post(f"/accounts/keys/{key.uuid}/remove/").status_code == 404
    assert owner.post(f"/accounts/keys/{key.uuid}/remove/").status_code == 302
    assert not SecurityKey.objects.exists()
    assert AuditEvent.objects.filter(action="user.security_key_removed").count() == 1
