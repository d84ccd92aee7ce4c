"""Login with lockout: repeated failures lock the account for a while."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from i4p.accounts.models import User
from i4p.accounts.services import register_failed_login, register_login


class LockoutBackend(ModelBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if username is None or password is None:
            return None
        existing = User.objects.filter(username=username).first()
        if existing is not None and existing.is_locked:
            # A locked account answers like a wrong password, even to the right password.
            return None
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            register_failed_login(username)
            return None
        register_login(user)
        return user
