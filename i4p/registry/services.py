"""Registry writes: submission, moderation, edits with history, merges and relations.

Pages, the API, importers and the CLI all come through here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from rapidfuzz import fuzz, process

from i4p.accounts.permissions import Perm
from i4p.accounts.selectors import can
from i4p.core.audit import record_event
from i4p.core.errors import Duplicate, Invalid, NotAllowed, WrongState
from i4p.core.text import fold
from i4p.geo.models import Place
from i4p.registry.models import (
    Actor,
    ActorIdentifier,
    ActorKind,
    ActorStatus,
    ActorVersion,
    ContactPoint,
    Level,
    Moderation,
    Relation,
    RelationKind,
    Representative,
    Theme,
    Visibility,
)

DUPLICATE_THRESHOLD = 90.0


@dataclass
class ActorData:
    """The public facts of an actor, as a form, an API call or an import row gives them."""

    name: str
    kind: str
    level: str
    acronym: str = ""
    other_names: list[str] = field(default_factory=list)
    description: str = ""
    themes: list[str] = field(default_factory=list)  # theme slugs
    place: Place | None = None
    coverage: list[Place] = field(default_factory=list)
    website: str = ""
    founded_on: dt.date | None = None
    status: str = ActorStatus.ACTIVE
    identifiers: list[tuple[str, str]] = field(default_factory=list)  # (scheme, identifier)
    sources: list[dict[str, str]] = field(default_factory=list)  # {"quote", "title", "url"}
    illustrative: bool = False


# Fields compared for the edit history; relations and contacts have their own audit rows.
_HISTORY_FIELDS = [
    "name",
    "acronym",
    "other_names",
    "kind",
    "level",
    "description",
    "website",
    "founded_on",
    "status",
    "illustrative",
    "sources",
]


def _validate(data: ActorData) -> None:
    errors: dict[str, list[str]] = {}
    if not data.name.strip():
        errors["name"] = ["A name is required."]
    elif len(data.name) > 300:
        errors["name"] = ["Keep the name under 300 characters."]
    if data.kind not in ActorKind.values:
        errors["kind"] = [f"Choose one of: {', '.join(ActorKind.values)}."]
    if data.level not in Level.values:
        errors["level"] = [f"Choose one of: {', '.join(Level.values)}."]
    if data.status not in ActorStatus.values:
        errors["status"] = [f"Choose one of: {', '.join(ActorStatus.values)}."]
    if len(data.acronym) > 40:
        errors["acronym"] = ["Keep the acronym under 40 characters."]
    if data.website:
        try:
            URLValidator(schemes=["http", "https"])(data.website)
        except ValidationError:
            errors["website"] = ["Give a full web address starting with https:// or http://."]
    if data.founded_on is not None and data.founded_on > timezone.localdate():
        errors["founded_on"] = ["The founding date cannot be in the future."]
    unknown = sorted(set(data.themes) - set(Theme.objects.values_list("slug", flat=True)))
    if unknown:
        errors["themes"] = [f"Unknown theme: {', '.join(unknown)}."]
    for scheme, identifier in data.identifiers:
        if not scheme.strip() or not identifier.strip():
            errors.setdefault("identifiers", []).append(
                "Each identifier needs a scheme and a value."
            )
    if errors:
        raise Invalid("The organisation has invalid fields.", fields=errors)


def _search_text(data: ActorData | Actor) -> str:
    parts = [data.name, data.acronym, *list(data.other_names or [])]
    return " ".join(fold(part) for part in parts if part)


def _snapshot(actor: Actor) -> dict[str, Any]:
    values = {name: getattr(actor, name) for name in _HISTORY_FIELDS}
    values["founded_on"] = actor.founded_on.isoformat() if actor.founded_on else None
    return values


def _apply(actor: Actor, data: ActorData) -> None:
    for name in (
        "name",
        "acronym",
        "other_names",
        "kind",
        "level",
        "description",
        "website",
        "founded_on",
        "status",
        "sources",
        "illustrative",
        "place",
    ):
        setattr(actor, name, getattr(data, name))
    actor.name = actor.name.strip()
    actor.search_text = _search_text(data)


def _save_links(actor: Actor, data: ActorData) -> None:
    actor.themes.set(Theme.objects.filter(slug__in=data.themes))
    actor.coverage.set(data.coverage)
    wanted = {(scheme.strip(), identifier.strip()) for scheme, identifier in data.identifiers}
    current = {(i.scheme, i.identifier): i for i in actor.identifiers.all()}
    for key, row in current.items():
        if key not in wanted:
            row.delete()
    for scheme, identifier in wanted - set(current):
        taken = ActorIdentifier.objects.filter(scheme=scheme, identifier=identifier).first()
        if taken is not None:
            raise Duplicate(
                f"The identifier {scheme}:{identifier} already belongs to {taken.actor.name}.",
                fields={"identifiers": [f"{identifier} is taken."]},
            )
        ActorIdentifier.objects.create(actor=actor, scheme=scheme, identifier=identifier)


def find_duplicates(
    name: str, *, country_code: str = "", exclude: Actor | None = None, limit: int = 5
) -> list[tuple[Actor, float]]:
    """Actors whose name, other name or acronym is close to `name`, in the same country.

    Two scorers, both vectorised in rapidfuzz: word sets ("National Peace Council" within
    "National Peace Council of Ghana") and characters with spaces removed ("Peace-building"
    against "Peacebuilding"). The threshold keeps "Northern Regional Peace Council" apart from
    "Volta Regional Peace Council".
    """
    folded = fold(name)
    if not folded:
        return []
    candidates = Actor.objects.exclude(moderation__in=[Moderation.REJECTED, Moderation.MERGED])
    if exclude is not None:
        candidates = candidates.exclude(pk=exclude.pk)
    if country_code:
        candidates = candidates.filter(Q(place__country_code=country_code) | Q(place__isnull=True))
    owners: list[int] = []
    names: list[str] = []
    for actor_id, actor_name, acronym, other_names in candidates.values_list(
        "id", "name", "acronym", "other_names"
    ):
        for candidate in [actor_name, *(other_names or [])]:
            owners.append(actor_id)
            names.append(fold(candidate))
        if acronym and fold(acronym) == folded:
            owners.append(actor_id)
            names.append(folded)
    best: dict[int, float] = {}
    squeezed = [n.replace(" ", "") for n in names]
    for query, choices, scorer in (
        (folded, names, fuzz.token_set_ratio),
        (folded.replace(" ", ""), squeezed, fuzz.ratio),
    ):
        for _match, score, index in process.extract(
            query, choices, scorer=scorer, score_cutoff=DUPLICATE_THRESHOLD, limit=limit * 4
        ):
            owner = owners[index]
            best[owner] = max(best.get(owner, 0.0), float(score))
    ranked = sorted(best.items(), key=lambda item: -item[1])[:limit]
    by_id = Actor.objects.in_bulk([actor_id for actor_id, _score in ranked])
    return [(by_id[actor_id], score) for actor_id, score in ranked]


@transaction.atomic
def submit_actor(
    data: ActorData, *, by: Any, submitter_email: str = ""
) -> tuple[Actor, list[tuple[Actor, float]]]:
    """A public submission: stored as pending for a moderator, with likely duplicates named."""
    _validate(data)
    if submitter_email:
        try:
            validate_email(submitter_email)
        except ValidationError as error:
            raise Invalid(
                "Give a valid e-mail address.",
                fields={"submitter_email": ["Not an e-mail address."]},
            ) from error
    duplicates = find_duplicates(
        data.name, country_code=data.place.country_code if data.place else ""
    )
    actor = Actor(moderation=Moderation.PENDING, submitter_email=submitter_email)
    _apply(actor, data)
    actor.save()
    _save_links(actor, data)
    ActorVersion.objects.create(
        actor=actor,
        by=_user(by),
        action="submitted",
        changes={k: [None, v] for k, v in _snapshot(actor).items()},
    )
    record_event(actor, "actor.submitted", by=by, fields=[f.name for f in fields(data)])
    return actor, duplicates


@transaction.atomic
def create_actor(data: ActorData, *, by: Any, publish: bool = True) -> Actor:
    """Staff entry (or import): published at once when the author may edit in that place."""
    if not can(by, Perm.EDIT_ACTOR, data.place):
        raise NotAllowed("You cannot add organisations in this area.")
    _validate(data)
    actor = Actor(moderation=Moderation.PUBLISHED if publish else Moderation.PENDING)
    _apply(actor, data)
    actor.save()
    _save_links(actor, data)
    ActorVersion.objects.create(
        actor=actor,
        by=_user(by),
        action="created",
        changes={k: [None, v] for k, v in _snapshot(actor).items()},
    )
    record_event(actor, "actor.created", by=by, fields=[f.name for f in fields(data)])
    return actor


@transaction.atomic
def update_actor(actor: Actor, data: ActorData, *, by: Any, note: str = "") -> Actor:
    if not can(by, Perm.EDIT_ACTOR, actor.place) or not can(by, Perm.EDIT_ACTOR, data.place):
        raise NotAllowed("You cannot edit organisations in this area.")
    if actor.moderation == Moderation.MERGED:
        raise WrongState("This entry was merged into another; edit that one.")
    _validate(data)
    actor = Actor.objects.select_for_update().get(pk=actor.pk)
    before = _snapshot(actor)
    before_links = _link_snapshot(actor)
    _apply(actor, data)
    after = _snapshot(actor)
    after_links = _wanted_links(data)
    changes = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    changes.update(
        {
            k: [before_links[k], after_links[k]]
            for k in after_links
            if before_links[k] != after_links[k]
        }
    )
    if not changes:
        return actor  # nothing to write: the record and its "updated" time stay as they were
    actor.save()
    _save_links(actor, data)
    if changes:
        ActorVersion.objects.create(
            actor=actor, by=_user(by), action="edited", changes=changes, note=note
        )
        record_event(actor, "actor.edited", by=by, fields=changes.keys(), note=note)
    return actor


def _link_snapshot(actor: Actor) -> dict[str, Any]:
    return {
        "themes": sorted(actor.themes.values_list("slug", flat=True)),
        "coverage": sorted(str(u) for u in actor.coverage.values_list("uuid", flat=True)),
        "place": str(actor.place.uuid) if actor.place else None,
        "identifiers": sorted(f"{i.scheme}:{i.identifier}" for i in actor.identifiers.all()),
    }


def _wanted_links(data: ActorData) -> dict[str, Any]:
    """The same shape as `_link_snapshot`, for the values an edit asks for."""
    return {
        "themes": sorted(set(data.themes)),
        "coverage": sorted({str(place.uuid) for place in data.coverage}),
        "place": str(data.place.uuid) if data.place else None,
        "identifiers": sorted(
            {f"{scheme.strip()}:{identifier.strip()}" for scheme, identifier in data.identifiers}
        ),
    }


def _user(by: Any) -> Any:
    return by if getattr(by, "pk", None) is not None else None


@transaction.atomic
def publish_actor(actor: Actor, *, by: Any) -> Actor:
    if not can(by, Perm.MODERATE, actor.place):
        raise NotAllowed("You cannot moderate organisations in this area.")
    actor = Actor.objects.select_for_update().get(pk=actor.pk)
    if actor.moderation != Moderation.PENDING:
        raise WrongState(f"This entry is {actor.get_moderation_display().lower()}, not pending.")
    actor.moderation = Moderation.PUBLISHED
    actor.verified_at = timezone.now()
    actor.verified_by = _user(by)
    actor.save(update_fields=["moderation", "verified_at", "verified_by", "updated_at"])
    ActorVersion.objects.create(
        actor=actor,
        by=_user(by),
        action="published",
        changes={"moderation": [Moderation.PENDING, Moderation.PUBLISHED]},
    )
    record_event(actor, "actor.published", by=by, fields=["moderation", "verified_at"])
    return actor


@transaction.atomic
def reject_actor(actor: Actor, *, by: Any, reason: str) -> Actor:
    if not can(by, Perm.MODERATE, actor.place):
        raise NotAllowed("You cannot moderate organisations in this area.")
    if not reason.strip():
        raise Invalid(
            "Say why the entry is rejected; the submitter will read it.",
            fields={"reason": ["A reason is required."]},
        )
    actor = Actor.objects.select_for_update().get(pk=actor.pk)
    if actor.moderation != Moderation.PENDING:
        raise WrongState(f"This entry is {actor.get_moderation_display().lower()}, not pending.")
    actor.moderation = Moderation.REJECTED
    actor.rejection_reason = reason.strip()
    actor.save(update_fields=["moderation", "rejection_reason", "updated_at"])
    ActorVersion.objects.create(
        actor=actor,
        by=_user(by),
        action="rejected",
        note=reason,
        changes={"moderation": [Moderation.PENDING, Moderation.REJECTED]},
    )
    record_event(actor, "actor.rejected", by=by, fields=["moderation", "rejection_reason"])
    return actor


@transaction.atomic
def merge_actors(duplicate: Actor, *, into: Actor, by: Any) -> Actor:
    """Fold `duplicate` into `into`: relations, names, identifiers and contacts move over."""
    if duplicate.pk == into.pk:
        raise Invalid("An entry cannot be merged into itself.")
    for actor in (duplicate, into):
        if not can(by, Perm.MERGE, actor.place):
            raise NotAllowed("You cannot merge organisations in this area.")
    if duplicate.moderation == Moderation.MERGED or into.moderation == Moderation.MERGED:
        raise WrongState("One of these entries was already merged.")
    for relation in list(Relation.objects.filter(source=duplicate)):
        _move_relation(relation, source=into, target=relation.target)
    for relation in list(Relation.objects.filter(target=duplicate)):
        _move_relation(relation, source=relation.source, target=into)
    names = [*into.other_names]
    for name in [duplicate.name, duplicate.acronym, *duplicate.other_names]:
        if name and name not in names and name not in (into.name, into.acronym):
            names.append(name)
    into.other_names = names
    into.sources = [*into.sources, *[s for s in duplicate.sources if s not in into.sources]]
    into.search_text = _search_text(into)
    into.save(update_fields=["other_names", "sources", "search_text", "updated_at"])
    ActorIdentifier.objects.filter(actor=duplicate).update(actor=into)
    ContactPoint.objects.filter(actor=duplicate).update(actor=into)
    Representative.objects.filter(actor=duplicate).exclude(
        user__in=Representative.objects.filter(actor=into).values("user")
    ).update(actor=into)
    into.coverage.add(*duplicate.coverage.all())
    into.themes.add(*duplicate.themes.all())
    duplicate.moderation = Moderation.MERGED
    duplicate.merged_into = into
    duplicate.save(update_fields=["moderation", "merged_into", "updated_at"])
    ActorVersion.objects.create(
        actor=into,
        by=_user(by),
        action="merged",
        changes={"merged_from": [None, str(duplicate.uuid)]},
    )
    ActorVersion.objects.create(
        actor=duplicate,
        by=_user(by),
        action="merged",
        changes={"merged_into": [None, str(into.uuid)]},
    )
    record_event(duplicate, "actor.merged", by=by, fields=["merged_into", "moderation"])
    return into


def _move_relation(relation: Relation, *, source: Actor, target: Actor) -> None:
    if source.pk == target.pk:
        relation.delete()  # the two merged entries were linked to each other
        return
    twin = Relation.objects.filter(source=source, target=target, kind=relation.kind).first()
    if twin is not None:
        if not twin.source_text and relation.source_text:
            twin.source_text = relation.source_text
            twin.save(update_fields=["source_text", "updated_at"])
        relation.delete()
        return
    relation.source = source
    relation.target = target
    relation.save(update_fields=["source", "target", "updated_at"])


@dataclass
class RelationData:
    kind: str
    started_on: dt.date | None = None
    ended_on: dt.date | None = None
    source_text: str = ""
    source_url: str = ""
    visibility: str = Visibility.PUBLIC
    illustrative: bool = False


def _validate_relation(source: Actor, target: Actor, data: RelationData) -> None:
    errors: dict[str, list[str]] = {}
    if data.kind not in RelationKind.values:
        errors["kind"] = [f"Choose one of: {', '.join(RelationKind.values)}."]
    if source.pk == target.pk:
        errors["target"] = ["An organisation cannot be related to itself."]
    if data.visibility not in Visibility.values:
        errors["visibility"] = [f"Choose one of: {', '.join(Visibility.values)}."]
    if data.started_on and data.ended_on and data.ended_on < data.started_on:
        errors["ended_on"] = ["The end date is before the start date."]
    if data.source_url:
        try:
            URLValidator(schemes=["http", "https"])(data.source_url)
        except ValidationError:
            errors["source_url"] = ["Give a full web address starting with https:// or http://."]
    if errors:
        raise Invalid("The relation has invalid fields.", fields=errors)


@transaction.atomic
def add_relation(source: Actor, target: Actor, data: RelationData, *, by: Any) -> Relation:
    if not can(by, Perm.EDIT_ACTOR, source.place):
        raise NotAllowed("You cannot edit the relations of organisations in this area.")
    _validate_relation(source, target, data)
    if Relation.objects.filter(source=source, target=target, kind=data.kind).exists():
        raise Duplicate("This relation is already recorded.")
    try:
        with transaction.atomic():
            relation = Relation.objects.create(source=source, target=target, **vars(data))
    except IntegrityError as error:
        raise Duplicate("This relation is already recorded.") from error
    record_event(relation, "relation.added", by=by, fields=["source", "target", *vars(data)])
    return relation


@transaction.atomic
def update_relation(relation: Relation, data: RelationData, *, by: Any) -> Relation:
    if not can(by, Perm.EDIT_ACTOR, relation.source.place):
        raise NotAllowed("You cannot edit the relations of organisations in this area.")
    _validate_relation(relation.source, relation.target, data)
    clash = Relation.objects.filter(
        source=relation.source, target=relation.target, kind=data.kind
    ).exclude(pk=relation.pk)
    if clash.exists():
        raise Duplicate("This relation is already recorded.")
    changed = [name for name, value in vars(data).items() if getattr(relation, name) != value]
    if not changed:
        return relation
    for name, value in vars(data).items():
        setattr(relation, name, value)
    relation.save()
    record_event(relation, "relation.edited", by=by, fields=changed)
    return relation


@transaction.atomic
def remove_relation(relation: Relation, *, by: Any) -> None:
    if not can(by, Perm.EDIT_ACTOR, relation.source.place):
        raise NotAllowed("You cannot edit the relations of organisations in this area.")
    record_event(relation, "relation.removed", by=by, fields=["source", "target", "kind"])
    relation.delete()


@transaction.atomic
def add_contact(
    actor: Actor,
    *,
    by: Any,
    kind: str,
    value: str,
    label: str = "",
    person_name: str = "",
    consent_at: dt.datetime | None = None,
    visibility: str = Visibility.PRIVATE,
) -> ContactPoint:
    if not can(by, Perm.EDIT_ACTOR, actor.place):
        raise NotAllowed("You cannot edit organisations in this area.")
    if kind not in {"email", "phone", "address", "url"}:
        raise Invalid(
            "Unknown contact kind.", fields={"kind": ["Use email, phone, address or url."]}
        )
    if kind == "email":
        try:
            validate_email(value)
        except ValidationError as error:
            raise Invalid(
                "Give a valid e-mail address.", fields={"value": ["Not an e-mail."]}
            ) from error
    if person_name and consent_at is None and visibility == Visibility.PUBLIC:
        raise Invalid(
            "A person's name can be public only with their recorded consent.",
            fields={"consent_at": ["Record when the person agreed."]},
        )
    contact = ContactPoint.objects.create(
        actor=actor,
        kind=kind,
        value=value,
        label=label,
        person_name=person_name,
        consent_at=consent_at,
        visibility=visibility,
    )
    record_event(contact, "contact.added", by=by, fields=["kind", "value", "person_name"])
    return contact


@transaction.atomic
def set_representative(user: Any, actor: Actor, *, by: Any) -> Representative:
    """Let `user` act for `actor` (a responder speaks for their peace committee)."""
    if not can(by, Perm.EDIT_ACTOR, actor.place):
        raise NotAllowed("You cannot manage the people of organisations in this area.")
    representative, _ = Representative.objects.get_or_create(user=user, actor=actor)
    record_event(representative, "representative.set", by=by, fields=["user", "actor"])
    return representative


def ensure_themes(names: Iterable[tuple[str, str]]) -> Sequence[Theme]:
    """Create the given (slug, name) themes when missing; used by the demo and importers."""
    themes = []
    for slug, name in names:
        theme, _ = Theme.objects.get_or_create(slug=slug, defaults={"name": name})
        themes.append(theme)
    return themes
