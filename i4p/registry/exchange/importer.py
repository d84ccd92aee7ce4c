"""Importing a file: every row through the registry services, all of it or nothing.

A dry run does the same work and then rolls it back, so its report is exactly what a real
import would do. Rows are matched to stored actors by i4p id, then by an identifier (an IATI
organisation id), then by exact name in the same country: importing a file twice updates,
and never adds a second entry.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from i4p.accounts.permissions import Perm
from i4p.accounts.selectors import can
from i4p.core.audit import record_event
from i4p.core.errors import DomainError
from i4p.core.text import fold
from i4p.registry.exchange.rows import ActorRef, ActorRow, ParsedFile, Problem, RelationRow
from i4p.registry.exchange.source import actor_data_of, same_data
from i4p.registry.models import Actor, ActorIdentifier, Moderation, Relation
from i4p.registry.selectors import text_matches
from i4p.registry.services import (
    ActorData,
    RelationData,
    add_relation,
    create_actor,
    update_actor,
    update_relation,
)

Progress = Callable[[int], object]


@dataclass
class Outcome:
    location: str
    label: str
    action: str  # "created", "updated", "unchanged"


@dataclass
class ImportReport:
    dry_run: bool
    outcomes: list[Outcome] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    applied: bool = False

    def count(self, action: str) -> int:
        return sum(1 for outcome in self.outcomes if outcome.action == action)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        figures = {
            "created": self.count("created"),
            "updated": self.count("updated"),
            "unchanged": self.count("unchanged"),
        }
        if self.problems:
            return _("%(count)d problems: nothing was imported.") % {"count": len(self.problems)}
        if self.dry_run:
            return (
                _(
                    "Dry run: %(created)d would be created, %(updated)d updated, "
                    "%(unchanged)d left as they are. Nothing was changed."
                )
                % figures
            )
        return _("%(created)d created, %(updated)d updated, %(unchanged)d unchanged.") % figures


class _Skip(Exception):
    """A row that has a problem recorded goes no further."""


class _RollBack(Exception):
    """Leaves the import's transaction without keeping anything."""


def run_import(
    parsed: ParsedFile, *, by: Any, dry_run: bool = False, progress: Progress | None = None
) -> ImportReport:
    """Apply a parsed file as `by`; on any problem (or a dry run) nothing is kept."""
    report = ImportReport(dry_run=dry_run, problems=list(parsed.problems), notes=parsed.notes)
    try:
        with transaction.atomic():
            _Importer(by, report, progress).run(parsed)
            if report.problems or dry_run:
                raise _RollBack
            record_event(
                None,
                "registry.imported",
                by=by,
                fields=["actors", "relations"],
                note=report.summary(),
            )
    except _RollBack:
        pass
    report.applied = not report.problems and not dry_run
    return report


class _Importer:
    def __init__(self, by: Any, report: ImportReport, progress: Progress | None) -> None:
        self.by = by
        self.report = report
        self.progress = progress
        self.by_ref: dict[str, Actor] = {}  # ids the file gives its own organisations
        self.claimed: dict[int, str] = {}  # actor pk -> the row that already wrote it

    def run(self, parsed: ParsedFile) -> None:
        for row in parsed.actors:
            self._actor_row(row)
            self._tick()
        for relation_row in parsed.relations:
            self._relation_row(relation_row)
            self._tick()

    def _tick(self) -> None:
        if self.progress is not None:
            self.progress(1)

    def _problem(self, row: ActorRow | RelationRow, column: str, message: str) -> None:
        self.report.problems.append(Problem(row.location, column, message, row=row.row))

    def _domain_problem(self, row: ActorRow | RelationRow, error: DomainError) -> None:
        if not error.fields:
            self._problem(row, "", error.message)
        for name, messages in error.fields.items():
            self._problem(row, row.columns.get(name, name), " ".join(messages))

    # Actors ------------------------------------------------------------------------------

    def _actor_row(self, row: ActorRow) -> None:
        try:
            existing = self._match(row, row.ref)
        except _Skip:
            return
        data = self._data(row, existing)
        if existing is None and not (data.kind and data.level):
            for name in ("kind", "level"):
                if not getattr(data, name):
                    self._problem(
                        row,
                        row.columns.get(name, name),
                        _("A new organisation needs its %(what)s.") % {"what": name},
                    )
            return
        if not self._may_import(row, data, existing):
            return
        if existing is not None and existing.pk in self.claimed:
            self._problem(
                row,
                "",
                _("This is the same organisation as %(other)s (%(name)s).")
                % {"other": self.claimed[existing.pk], "name": existing.name},
            )
            return
        try:
            with transaction.atomic():
                if existing is None:
                    actor = create_actor(data, by=self.by)
                    action = "created"
                elif same_data(actor_data_of(existing), data):
                    actor, action = existing, "unchanged"
                else:
                    actor = update_actor(existing, data, by=self.by, note=_("Import"))
                    action = "updated"
        except DomainError as error:
            self._domain_problem(row, error)
            return
        self.claimed[actor.pk] = row.location
        if row.ref.ref:
            self.by_ref[row.ref.ref] = actor
        self.report.outcomes.append(Outcome(row.location, actor.name, action))

    def _may_import(self, row: ActorRow, data: ActorData, existing: Actor | None) -> bool:
        places = [data.place]
        if existing is not None and existing.place != data.place:
            places.append(existing.place)
        for place in places:
            if not can(self.by, Perm.IMPORT, place):
                where = place.name if place is not None else _("no place")
                self._problem(
                    row,
                    row.columns.get("place", ""),
                    _(
                        "You cannot import organisations seated in %(where)s: it is outside "
                        "the area where you may import."
                    )
                    % {"where": where},
                )
                return False
        return True

    def _match(self, row: ActorRow | RelationRow, ref: ActorRef) -> Actor | None:
        """The stored actor a row speaks of, or None for a new one."""
        if ref.ref and ref.ref in self.by_ref:
            return self.by_ref[ref.ref]
        if ref.uuid is not None:
            actor = Actor.objects.filter(uuid=ref.uuid).first()
            if actor is not None:
                return _followed(actor)
        owners = {
            found.actor_id
            for scheme, identifier in ref.identifiers
            for found in ActorIdentifier.objects.filter(scheme=scheme, identifier=identifier)
        }
        if len(owners) > 1:
            self._problem(
                row,
                row.columns.get("identifiers", ""),
                _("These identifiers belong to different organisations."),
            )
            raise _Skip
        if owners:
            return _followed(Actor.objects.get(pk=owners.pop()))
        return self._by_name(row, ref)

    def _by_name(self, row: ActorRow | RelationRow, ref: ActorRef) -> Actor | None:
        folded = fold(ref.name)
        if not folded:
            return None
        place = row.values.get("place") if isinstance(row, ActorRow) else None
        country = place.country_code if place is not None else ref.country
        # The full-text index narrows the search; the exact folded name decides.
        candidates = text_matches(ref.name, Actor.objects.all()).exclude(
            moderation__in=[Moderation.REJECTED, Moderation.MERGED]
        )
        if country:
            candidates = candidates.filter(place__country_code=country)
        elif isinstance(row, ActorRow) and "place" in row.values:
            candidates = candidates.filter(place__isnull=True)
        found = [actor for actor in candidates if fold(actor.name) == folded]
        if len(found) > 1:
            self._problem(
                row,
                row.columns.get("name", ""),
                _("Several organisations are called “%(name)s”; give their i4p id.")
                % {"name": ref.name},
            )
            raise _Skip
        return found[0] if found else None

    def _data(self, row: ActorRow, existing: Actor | None) -> ActorData:
        data = actor_data_of(existing) if existing else ActorData(name="", kind="", level="")
        stored_identifiers = list(data.identifiers)
        stored_sources = list(data.sources)
        data = dataclasses.replace(data, **row.values)
        if "identifiers" in row.values and row.identifier_schemes is not None:
            # A file with only an IATI column leaves other schemes as they are.
            kept = [(s, i) for s, i in stored_identifiers if s not in row.identifier_schemes]
            data.identifiers = sorted({*kept, *row.values["identifiers"]})
        if "sources" in row.values and row.keep_sources_without_url:
            kept_sources = [s for s in stored_sources if not s.get("url")]
            data.sources = [*row.values["sources"], *kept_sources]
        return data

    # Relations ---------------------------------------------------------------------------

    def _relation_row(self, row: RelationRow) -> None:
        ends = []
        for ref in (row.source, row.target):
            try:
                actor = self._match(row, ref)
            except _Skip:
                return
            if actor is None:
                self._problem(
                    row,
                    "",
                    _("No organisation matches “%(name)s”.") % {"name": ref.describe()},
                )
                return
            ends.append(actor)
        source, target = ends
        relation = self._find_relation(row, source, target)
        current = _relation_data_of(relation) if relation else RelationData(kind="")
        data = dataclasses.replace(current, **row.values)
        if not can(self.by, Perm.IMPORT, source.place):
            where = source.place.name if source.place else _("no place")
            self._problem(
                row,
                "",
                _("You cannot import relations of organisations seated in %(where)s.")
                % {"where": where},
            )
            return
        label = f"{source.name} → {target.name}"
        try:
            with transaction.atomic():
                if relation is None:
                    add_relation(source, target, data, by=self.by)
                    action = "created"
                elif data == current:
                    action = "unchanged"
                else:
                    update_relation(relation, data, by=self.by)
                    action = "updated"
        except DomainError as error:
            self._domain_problem(row, error)
            return
        self.report.outcomes.append(Outcome(row.location, label, action))

    def _find_relation(self, row: RelationRow, source: Actor, target: Actor) -> Relation | None:
        if row.uuid is not None:
            same = Relation.objects.filter(uuid=row.uuid, source=source, target=target).first()
            if same is not None:
                return same
        kind = row.values.get("kind", "")
        return Relation.objects.filter(source=source, target=target, kind=kind).first()


def _followed(actor: Actor) -> Actor:
    """An entry merged into another stands for that one."""
    seen = {actor.pk}
    while actor.merged_into_id is not None and actor.merged_into_id not in seen:
        assert actor.merged_into is not None
        actor = actor.merged_into
        seen.add(actor.pk)
    return actor


def _relation_data_of(relation: Relation) -> RelationData:
    return RelationData(
        kind=relation.kind,
        started_on=relation.started_on,
        ended_on=relation.ended_on,
        source_text=relation.source_text,
        source_url=relation.source_url,
        visibility=relation.visibility,
        illustrative=relation.illustrative,
    )
