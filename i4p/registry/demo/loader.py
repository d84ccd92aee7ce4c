"""Loading the demo: places, themes, actors with their sources, relations and one user per role.

Everything goes through the services, so the audit log tells the demo's story like any other
data. Running it again changes nothing: actors are matched by name, relations by their ends
and kind, users by username, and only what differs is written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from i4p.accounts.models import STAFF_ROLES, Role, RoleGrant, User
from i4p.accounts.services import create_user, grant_role, start_two_factor
from i4p.core.audit import record_event
from i4p.geo.models import CodeScheme, Place, PlaceCode
from i4p.registry.demo import data
from i4p.registry.models import Actor, Moderation, Relation, Representative
from i4p.registry.services import (
    ActorData,
    RelationData,
    add_relation,
    create_actor,
    ensure_themes,
    set_representative,
    update_actor,
    update_relation,
)

Progress = Callable[[str], None]


@dataclass
class Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class DemoLogin:
    username: str
    role: str
    scope: str  # place name, or "everywhere"
    represents: str  # actor name, or ""
    totp_secret: str  # empty for roles without two-factor


@dataclass
class DemoSummary:
    actors: Tally = field(default_factory=Tally)
    relations: Tally = field(default_factory=Tally)
    users: Tally = field(default_factory=Tally)
    actor_total: int = 0
    actor_illustrative: int = 0
    relation_total: int = 0
    relation_illustrative: int = 0
    themes: int = 0
    missing_places: list[str] = field(default_factory=list)
    logins: list[DemoLogin] = field(default_factory=list)
    password: str = data.DEMO_PASSWORD


def load_real_places(codes: Sequence[str]) -> None:
    """Load the countries (with subdivisions and towns) that the demo refers to."""
    from i4p.geo.loaders import DEMO_COUNTRIES, load_places

    countries = sorted({code.split("-")[0] for code in codes} | set(DEMO_COUNTRIES))
    load_places(countries, progress=False)


def load_demo(
    *,
    places: Callable[[Sequence[str]], None] | None = load_real_places,
    progress: Progress | None = None,
) -> DemoSummary:
    """Load the whole demo; `places=None` uses the places already in the database."""
    say: Progress = progress or (lambda _message: None)
    summary = DemoSummary()
    codes = data.place_codes()
    # Loading places writes an audit row per run; when they are all there, a re-run skips it.
    if places is not None and len(_places_by_code(codes)) < len(codes):
        say("Loading places (countries, ISO 3166-2 subdivisions, towns)…")
        places(codes)
    with transaction.atomic():
        found = _places_by_code(codes)
        summary.missing_places = sorted(set(codes) - set(found))
        say("Themes…")
        summary.themes = len(ensure_themes(data.THEMES))
        admin = _admin(summary)
        say(f"Organisations ({len(data.ACTORS)})…")
        actors = {
            entry.key: _load_actor(entry, found, by=admin, tally=summary.actors)
            for entry in data.ACTORS
        }
        say(f"Relations ({len(data.RELATIONS)})…")
        for relation in data.RELATIONS:
            _load_relation(relation, actors, by=admin, tally=summary.relations)
        say("Demo users…")
        for entry in data.USERS:
            summary.logins.append(_load_user(entry, found, actors, by=admin, summary=summary))
    summary.actor_total = Actor.objects.filter(name__in=[a.name for a in data.ACTORS]).count()
    summary.actor_illustrative = Actor.objects.filter(
        name__in=[a.name for a in data.ACTORS], illustrative=True
    ).count()
    demo_relations = Relation.objects.filter(source__in=actors.values())
    summary.relation_total = demo_relations.count()
    summary.relation_illustrative = demo_relations.filter(illustrative=True).count()
    return summary


def _places_by_code(codes: Iterable[str]) -> dict[str, Place]:
    rows = PlaceCode.objects.filter(
        scheme__in=[CodeScheme.ISO3166_1, CodeScheme.ISO3166_2], code__in=list(codes)
    ).select_related("place")
    return {row.code: row.place for row in rows}


# -- Actors -------------------------------------------------------------------------------


def _sources(entry: data.DemoActor) -> list[dict[str, str]]:
    sources = [{"title": q.title, "quote": q.quote, "url": q.url} for q in entry.quotes]
    if entry.illustrative_note:
        # The note leads, so a reader sees first that the entry is not from the documents.
        sources.insert(
            0,
            {"title": data.ILLUSTRATIVE, "quote": "", "url": "", "note": (entry.illustrative_note)},
        )
    return sources


def _actor_data(entry: data.DemoActor, places: dict[str, Place]) -> ActorData:
    return ActorData(
        name=entry.name,
        kind=entry.kind,
        level=entry.level,
        acronym=entry.acronym,
        other_names=list(entry.other_names),
        description=entry.description,
        themes=list(entry.themes),
        place=places.get(entry.seat) if entry.seat else None,
        coverage=[places[code] for code in entry.coverage if code in places],
        website=entry.website,
        status=entry.status,
        identifiers=[("iati", entry.iati)] if entry.iati else [],
        sources=_sources(entry),
        illustrative=bool(entry.illustrative_note),
    )


def _differs(actor: Actor, wanted: ActorData) -> bool:
    plain = (
        "name", "kind", "level", "acronym", "other_names", "description", "website", "status",
        "sources", "illustrative",
    )  # fmt: skip
    if any(getattr(actor, name) != getattr(wanted, name) for name in plain):
        return True
    if actor.place_id != (wanted.place.pk if wanted.place else None):
        return True
    if set(actor.themes.values_list("slug", flat=True)) != set(wanted.themes):
        return True
    if set(actor.coverage.values_list("pk", flat=True)) != {p.pk for p in wanted.coverage}:
        return True
    have = {(i.scheme, i.identifier) for i in actor.identifiers.all()}
    return have != set(wanted.identifiers)


def _load_actor(
    entry: data.DemoActor, places: dict[str, Place], *, by: User, tally: Tally
) -> Actor:
    wanted = _actor_data(entry, places)
    actor = Actor.objects.filter(name=entry.name).exclude(moderation=Moderation.MERGED).first()
    if actor is None:
        tally.created += 1
        return create_actor(wanted, by=by)
    if _differs(actor, wanted):
        tally.updated += 1
        return update_actor(actor, wanted, by=by, note="Demo data refreshed.")
    tally.unchanged += 1
    return actor


# -- Relations ----------------------------------------------------------------------------


def _relation_data(entry: data.DemoRelation) -> RelationData:
    if entry.illustrative_note:
        return RelationData(kind=entry.kind, source_text=entry.illustrative_note, illustrative=True)
    assert entry.quote is not None, f"{entry.source} {entry.kind} {entry.target} needs a quote"
    return RelationData(kind=entry.kind, source_text=entry.quote.quote, source_url=entry.quote.url)


def _load_relation(
    entry: data.DemoRelation, actors: dict[str, Actor], *, by: User, tally: Tally
) -> None:
    source, target = actors[entry.source], actors[entry.target]
    wanted = _relation_data(entry)
    relation = Relation.objects.filter(source=source, target=target, kind=entry.kind).first()
    if relation is None:
        add_relation(source, target, wanted, by=by)
        tally.created += 1
    elif any(getattr(relation, name) != value for name, value in vars(wanted).items()):
        update_relation(relation, wanted, by=by)
        tally.updated += 1
    else:
        tally.unchanged += 1


# -- Users --------------------------------------------------------------------------------


def _user(username: str, *, by: Any, summary: DemoSummary, is_superuser: bool = False) -> User:
    user = User.objects.filter(username=username).first()
    if user is not None:
        summary.users.unchanged += 1
        return user
    summary.users.created += 1
    return create_user(
        username,
        by=by,
        password=data.DEMO_PASSWORD,
        email=f"{username}@demo.invalid",
        is_superuser=is_superuser,
    )


def _grant(user: User, role: str, place: Place | None, *, by: Any) -> None:
    # grant_role writes an audit row on every call; the demo asks only for what is missing.
    if not RoleGrant.objects.filter(user=user, role=role, place=place).exists():
        grant_role(user, by=by, role=role, place=place)


def _admin(summary: DemoSummary) -> User:
    """The demo's administrator, made first: every other demo write is done by them. A
    superuser, since gateways and escalation times are set in the Django admin."""
    entry = next(u for u in data.USERS if u.role == Role.ADMIN)
    admin = _user(entry.username, by=None, summary=summary, is_superuser=True)
    if not (admin.is_superuser and admin.is_staff):
        # A demo loaded before the admin was a superuser: the next run makes it one.
        admin.is_superuser = admin.is_staff = True
        admin.save(update_fields=["is_superuser", "is_staff"])
        record_event(admin, "user.updated", by=None, fields=["is_superuser", "is_staff"])
    _grant(admin, Role.ADMIN, None, by=None)
    return admin


def _load_user(
    entry: data.DemoUser,
    places: dict[str, Place],
    actors: dict[str, Actor],
    *,
    by: User,
    summary: DemoSummary,
) -> DemoLogin:
    if entry.role == Role.ADMIN:
        user = User.objects.get(username=entry.username)
    else:
        user = _user(entry.username, by=by, summary=summary)
    place = places.get(entry.place) if entry.place else None
    if entry.place and place is None:
        raise LookupError(f"The demo needs the place {entry.place}; load places first.")
    _grant(user, entry.role, place, by=by)
    represents = ""
    if entry.represents:
        actor = actors[entry.represents]
        if not Representative.objects.filter(user=user, actor=actor).exists():
            set_representative(user, actor, by=by)
        represents = actor.name
    secret = ""
    if entry.role in STAFF_ROLES:
        # Staff must use two-factor: the secret is made once and printed, so a person can add
        # it to an authenticator app; the first login confirms it.
        secret = user.totp_secret or start_two_factor(user)
    return DemoLogin(
        username=user.username,
        role=entry.role,
        scope=f"{place.name} ({entry.place})" if place is not None else "everywhere",
        represents=represents,
        totp_secret=secret,
    )
