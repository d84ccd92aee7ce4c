"""What each role may do. Places scope the grant; this table says which actions it allows."""

from __future__ import annotations

from enum import StrEnum

from i4p.accounts.models import Role


class Perm(StrEnum):
    VIEW_PRIVATE = "registry.view_private"  # non-public relations, contacts, pending entries
    EDIT_ACTOR = "registry.edit_actor"
    MODERATE = "registry.moderate"
    MERGE = "registry.merge"
    IMPORT = "registry.import"
    MANAGE_PLACES = "geo.manage"
    MANAGE_USERS = "accounts.manage"


ROLE_PERMISSIONS: dict[str, frozenset[Perm]] = {
    Role.ADMIN: frozenset(Perm),
    Role.MODERATOR: frozenset(
        {Perm.VIEW_PRIVATE, Perm.EDIT_ACTOR, Perm.MODERATE, Perm.MERGE, Perm.IMPORT}
    ),
    Role.ANALYST: frozenset({Perm.VIEW_PRIVATE}),
    Role.RESPONDER: frozenset({Perm.VIEW_PRIVATE}),
    Role.MONITOR: frozenset(),
    Role.MEMBER: frozenset(),
}


def roles_with(perm: Perm) -> list[str]:
    return [role for role, perms in ROLE_PERMISSIONS.items() if perm in perms]
