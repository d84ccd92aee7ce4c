"""Typed builders for registry tests: actors made through the same service as staff entries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from i4p.accounts.models import User
from i4p.accounts.tests.factories import make_user
from i4p.geo.models import Place
from i4p.registry.models import Actor, ActorKind, Level, Moderation
from i4p.registry.services import ActorData, create_actor, ensure_themes


def registry_admin() -> User:
    """A superuser who may write anywhere; builders act as this user."""
    user = User.objects.filter(username="registry-admin").first()
    return user or make_user("registry-admin", is_superuser=True, is_staff=True)


def make_actor(
    name: str,
    *,
    acronym: str = "",
    other_names: Sequence[str] = (),
    kind: str = ActorKind.CSO,
    level: str = Level.NATIONAL,
    place: Place | None = None,
    coverage: Sequence[Place] = (),
    themes: Sequence[str] = (),
    moderation: str = Moderation.PUBLISHED,
    **fields: Any,
) -> Actor:
    ensure_themes((slug, slug.replace("-", " ").capitalize()) for slug in themes)
    actor = create_actor(
        ActorData(
            name=name,
            kind=kind,
            level=level,
            acronym=acronym,
            other_names=list(other_names),
            place=place,
            coverage=list(coverage),
            themes=list(themes),
            **fields,
        ),
        by=registry_admin(),
        publish=moderation == Moderation.PUBLISHED,
    )
    if moderation not in (Moderation.PUBLISHED, Moderation.PENDING):
        Actor.objects.filter(pk=actor.pk).update(moderation=moderation)
        actor.refresh_from_db()
    return actor
