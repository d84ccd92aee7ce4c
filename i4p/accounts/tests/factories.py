"""Typed test builders for accounts (plain functions: factory_boy defeats mypy strict)."""

from __future__ import annotations

import itertools

import pyotp
from django.utils import timezone

from i4p.accounts.models import User

_numbers = itertools.count(1)
PASSWORD = "a-long-test-passphrase"


def make_user(username: str = "", *, password: str = PASSWORD, **fields: object) -> User:
    name = username or f"user{next(_numbers)}"
    user = User(username=name, email=f"{name}@example.org", **fields)
    user.set_password(password)
    user.save()
    return user


def two_factor_ready(user: User) -> User:
    """Give a user a confirmed TOTP secret, as after set-up."""
    user.totp_secret = pyotp.random_base32()
    user.totp_confirmed_at = timezone.now()
    user.save(update_fields=["totp_secret", "totp_confirmed_at"])
    return user
