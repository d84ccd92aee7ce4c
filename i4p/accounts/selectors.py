"""Who may do what where. Every other selector scopes its queries through these functions."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from i4p.accounts.models import RoleGrant, User
from i4p.accounts.permissions import Perm, roles_with
from i4p.geo.models import Place


def active_grants(user: Any) -> QuerySet[RoleGrant]:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return RoleGrant.objects.none()
    now = timezone.now()
    return (
        RoleGrant.objects.filter(user=user)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .select_related("place")
    )


class Scope:
    """The places where a user holds a permission: everywhere, nowhere, or a set of subtrees."""

    def __init__(self, *, everywhere: bool, paths: list[str]) -> None:
        self.everywhere = everywhere
        self.paths = paths

    @property
    def nowhere(self) -> bool:
        return not self.everywhere and not self.paths

    def covers(self, place: Place | None) -> bool:
        if self.everywhere:
            return True
        if place is None:
            return False
        return any(place.path.startswith(prefix) for prefix in self.paths)

    def q(self, place_field: str) -> Q:
        """A filter keeping rows whose `place_field` lies inside the scope."""
        if self.everywhere:
            # Not an empty Q(): `public | Q()` would collapse to `public` and hide the rest.
            return Q(pk__isnull=False)
        if not self.paths:
            return Q(pk__in=[])
        condition = Q()
        for prefix in self.paths:
            condition |= Q(**{f"{place_field}__path__startswith": prefix})
        return condition


def scope_of(user: Any, perm: Perm) -> Scope:
    if user is not None and getattr(user, "is_superuser", False) and user.is_active:
        return Scope(everywhere=True, paths=[])
    grants = active_grants(user).filter(role__in=roles_with(perm))
    paths: list[str] = []
    for grant in grants:
        if grant.place_id is None:
            return Scope(everywhere=True, paths=[])
        assert grant.place is not None
        paths.append(grant.place.path)
    return Scope(everywhere=False, paths=paths)


def can(user: Any, perm: Perm, place: Place | None) -> bool:
    return scope_of(user, perm).covers(place)


def has_anywhere(user: Any, perm: Perm) -> bool:
    return not scope_of(user, perm).nowhere


def user_roles(user: User) -> list[RoleGrant]:
    return list(active_grants(user).order_by("role"))
