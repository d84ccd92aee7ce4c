"""Template context shared by every page."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import get_language_info

from i4p.accounts.permissions import Perm
from i4p.accounts.selectors import has_anywhere


def own_names() -> list[tuple[str, str]]:
    """Each language named in itself, so a reader lost in a script they cannot read finds theirs."""
    return [(code, get_language_info(code)["name_local"]) for code, _ in settings.LANGUAGES]


def chrome(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    return {
        "I4P_LANGUAGES": own_names(),
        "perms_moderate": has_anywhere(user, Perm.MODERATE) if user is not None else False,
        # Early warning: the report form for everyone the instance lets report, review for
        # reviewers.
        "perms_review": has_anywhere(user, Perm.REVIEW) if user is not None else False,
        "public_reports": settings.I4P_PUBLIC_REPORTS,
    }
