"""Template context shared by every page."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from i4p.accounts.permissions import Perm
from i4p.accounts.selectors import has_anywhere


def chrome(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    return {
        "I4P_LANGUAGES": settings.LANGUAGES,
        "perms_moderate": has_anywhere(user, Perm.MODERATE) if user is not None else False,
    }
