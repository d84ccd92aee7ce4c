"""Accounts: lockout, two-factor for staff, tokens hashed and revocable, scoped grants."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pyotp
import pytest
from django.test import Client
from django.utils import timezone

from config import settings as production
from i4p.accounts.models import ApiToken, Role
from i4p.accounts.permissions import Perm
from i4p.accounts.selectors import can, scope_of
from i4p.accounts.services import authenticate_token, grant_role, issue_token, revoke_token
from i4p.accounts.tests.factories import make_user
from i4p.core.models import AuditEvent
from i4p.geo.tests.factories import make_place

pytestmark = pytest.mark.django_db


def test_passwords_are_hashed_with_argon2(settings: Any) -> None:
    # The suite hashes with MD5 for speed (conftest.py): this test puts the production list back.
    settings.PASSWORD_HASHERS = production.PASSWORD_HASHERS
    user = make_user()
    assert user.password.startswith("argon2")


def test_an_account_locks_after_repeated_failed_logins_even_for_the_right_password(
    settings: object,
) -> None:
    user = make_user(username="amina")
    client = Client()
    for _ in range(5):
        client.post("/accounts/login/", {"username": "amina", "password": "wrong"})
    user.refresh_from_db()
    assert user.is_locked
    answer = client.post(
        "/accounts/login/", {"username": "amina", "password": "a-long-test-passphrase"}
    )
    assert answer.status_code == 200  # the form again, not a redirect into the site
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="user.locked", target_uuid=user.uuid).exists()


def test_a_staff_role_must_pass_two_factor_before_any_page() -> None:
    user = make_user(username="mod")
    grant_role(user, by=None, role=Role.MODERATOR)
    client = Client()
    client.force_login(user)
    answer = client.get("/moderation/")
    assert answer.status_code == 302
    assert answer["Location"].startswith("/accounts/two-factor/")
    setup = client.get(answer["Location"])
    user.refresh_from_db()
    assert user.totp_secret and user.totp_secret in setup.content.decode()
    code = pyotp.TOTP(user.totp_secret).now()
    client.post("/accounts/two-factor/?next=/moderation/", {"code": code})
    assert client.get("/moderation/").status_code == 200


def test_a_member_needs_no_second_factor() -> None:
    user = make_user()
    grant_role(user, by=None, role=Role.MEMBER)
    client = Client()
    client.force_login(user)
    assert client.get("/").status_code == 200


def test_tokens_are_stored_hashed_and_stop_working_when_revoked() -> None:
    user = make_user()
    token, plain = issue_token(user, by=user, name="sync")
    assert plain not in {t.digest for t in ApiToken.objects.all()}
    assert authenticate_token(plain) == token
    revoke_token(token, by=user)
    assert authenticate_token(plain) is None


def test_a_token_revoked_or_its_user_deactivated_in_another_process_stops_within_seconds(
    monkeypatch: pytest.MonkeyPatch, django_assert_num_queries: Any
) -> None:
    from i4p.accounts import services

    clock = [100.0]
    monkeypatch.setattr(services, "token_clock", lambda: clock[0])
    user = make_user()
    token, plain = issue_token(user, by=user, name="sync")
    assert authenticate_token(plain) == token  # read, and its last use written
    with django_assert_num_queries(0):
        assert authenticate_token(plain) == token  # kept: a busy client reads nothing
    # Another process revokes it: a bare UPDATE, which sends no signal to this process.
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    assert authenticate_token(plain) == token
    clock[0] += services.TOKEN_SECONDS
    assert authenticate_token(plain) is None
    # The same for a user deactivated elsewhere.
    other, other_plain = issue_token(user, by=user, name="second")
    assert authenticate_token(other_plain) == other
    type(user).objects.filter(pk=user.pk).update(is_active=False)
    clock[0] += services.TOKEN_SECONDS
    assert authenticate_token(other_plain) is None


def test_each_request_gets_its_own_copy_of_a_kept_token_and_user() -> None:
    user = make_user()
    _token, plain = issue_token(user, by=user, name="sync")
    first = authenticate_token(plain)
    assert first is not None
    first.user.first_name = "changed by one request"
    second = authenticate_token(plain)
    assert second is not None and second.user.first_name != "changed by one request"


def test_a_forged_token_is_never_kept_and_always_refused() -> None:
    from i4p.accounts import services

    for _ in range(3):
        assert authenticate_token("i4p_forged") is None
    assert not services._tokens


def test_an_expired_token_does_not_authenticate() -> None:
    user = make_user()
    _token, plain = issue_token(
        user, by=user, name="old", expires_at=timezone.now() - timedelta(minutes=1)
    )
    assert authenticate_token(plain) is None


def test_a_grant_for_a_district_covers_places_inside_it_and_nothing_else() -> None:
    ghana = make_place("Ghana", country_code="GH")
    north = make_place("Northern", kind="admin1", parent=ghana)
    tamale = make_place("Tamale", kind="admin2", parent=north)
    volta = make_place("Volta", kind="admin1", parent=ghana)
    user = make_user()
    grant_role(user, by=None, role=Role.MODERATOR, place=north)
    assert can(user, Perm.MODERATE, tamale)
    assert can(user, Perm.MODERATE, north)
    assert not can(user, Perm.MODERATE, volta)
    assert not can(user, Perm.MODERATE, ghana)
    assert not can(user, Perm.MANAGE_USERS, tamale)


def test_an_expired_grant_gives_nothing() -> None:
    user = make_user()
    grant_role(user, by=None, role=Role.ADMIN, expires_at=timezone.now() - timedelta(days=1))
    assert scope_of(user, Perm.MODERATE).nowhere


def test_the_django_admin_is_closed_to_staff_who_are_not_superusers() -> None:
    user = make_user(is_staff=True)
    grant_role(user, by=None, role=Role.ADMIN)
    client = Client()
    client.force_login(user)
    session = client.session
    session["i4p_two_factor_ok"] = True
    session.save()
    answer = client.get("/admin/registry/theme/")
    assert answer.status_code == 302 and "/admin/login/" in answer["Location"]


def test_an_unscoped_grant_widens_a_public_filter_instead_of_vanishing_from_it() -> None:
    from django.db.models import Q

    from i4p.accounts.models import User as UserModel

    admin = make_user()
    grant_role(admin, by=None, role=Role.ADMIN)
    other = make_user()
    scope = scope_of(admin, Perm.VIEW_PRIVATE)
    # "public rows, or rows inside the scope": everywhere must mean every row.
    rows = UserModel.objects.filter(Q(username="nobody") | scope.q("grants__place"))
    assert {admin, other} <= set(rows)
