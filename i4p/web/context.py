"""Template context shared by every page."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import get_language_info

from i4p.accounts.permissions import Perm, roles_with
from i4p.accounts.selectors import active_grants, has_anywhere


def own_names() -> list[tuple[str, str]]:
    """Each language named in itself, so a reader lost in a script they cannot read finds theirs."""
    return [(code, get_language_info(code)["name_local"]) for code, _ in settings.LANGUAGES]


def _warning_perms(user: object) -> dict[str, bool]:
    if user is None:
        return {"perms_review": False, "perms_alerts": False}
    if getattr(user, "is_superuser", False) and getattr(user, "is_active", False):
        return {"perms_review": True, "perms_alerts": True}
    roles = {grant.role for grant in active_grants(user)}
    return {
        "perms_review": bool(roles & set(roles_with(Perm.REVIEW))),
        "perms_alerts": bool(roles & set(roles_with(Perm.VIEW_ALERTS))),
    }


def chrome(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    return {
        "I4P_LANGUAGES": own_names(),
        "perms_moderate": has_anywhere(user, Perm.MODERATE) if user is not None else False,
        # Early warning: the report form for everyone the instance lets report, review for
        # reviewers, the situation room for staff who see alerts (one query for both).
        **_warning_perms(user),
        "public_reports": settings.I4P_PUBLIC_REPORTS,
    }
