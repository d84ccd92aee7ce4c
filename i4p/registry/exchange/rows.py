"""What an import file says, row by row, before anything is written; and what went wrong."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from i4p.core.text import fold
from i4p.registry.models import ActorKind, ActorStatus, Level, RelationKind, Visibility


@dataclass
class Problem:
    """One thing wrong in a file, said so that its author can fix it."""

    location: str  # "Row 7", "Organisation 3": what the author looks for in the file
    column: str  # the column (header and hashtag) or the field
    message: str
    row: int = 0

    def __str__(self) -> str:
        if self.column:
            return f"{self.location}, {self.column}: {self.message}"
        return f"{self.location}: {self.message}"


@dataclass
class ActorRef:
    """How a file points at an actor: our id, its id in the file, identifiers, name + country."""

    uuid: uuid.UUID | None = None
    ref: str = ""
    name: str = ""
    country: str = ""
    identifiers: list[tuple[str, str]] = field(default_factory=list)

    def describe(self) -> str:
        return self.name or self.ref or (str(self.uuid) if self.uuid else "?")


@dataclass
class ActorRow:
    row: int
    location: str
    ref: ActorRef
    # ActorData fields the file gives (a column left out keeps what is stored).
    values: dict[str, Any] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)  # field -> column, for messages
    # Identifier schemes the file speaks for; None when its identifiers are the whole list.
    identifier_schemes: set[str] | None = None
    # Popolo links need a URL: stored sources without one are kept on re-import.
    keep_sources_without_url: bool = False


@dataclass
class RelationRow:
    row: int
    location: str
    uuid: uuid.UUID | None
    source: ActorRef
    target: ActorRef
    values: dict[str, Any] = field(default_factory=dict)  # RelationData fields given
    columns: dict[str, str] = field(default_factory=dict)


@dataclass
class ParsedFile:
    kind: str  # "actors", "relations" or "popolo"
    actors: list[ActorRow] = field(default_factory=list)
    relations: list[RelationRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class BadValue(ValueError):
    """A cell that cannot be read; the message goes to the file's author as it is."""


def _choice(text: str, choices: list[tuple[str, Any]], what: str) -> str:
    value = text.strip()
    for code, label in choices:
        if value == code or fold(value) in {fold(code), fold(str(label))}:
            return str(code)
    codes = ", ".join(code for code, _label in choices)
    raise BadValue(
        _("“%(value)s” is not a %(what)s; use one of: %(codes)s.")
        % {"value": value, "what": what, "codes": codes}
    )


def read_kind(text: str) -> str:
    return _choice(text, ActorKind.choices, _("kind of organisation"))


def read_level(text: str) -> str:
    return _choice(text, Level.choices, _("level"))


def read_status(text: str) -> str:
    return _choice(text, ActorStatus.choices, _("status"))


def read_relation_kind(text: str) -> str:
    if text.strip().lower() in {"member", "membership"}:
        return RelationKind.MEMBER_OF
    return _choice(text, RelationKind.choices, _("kind of relation"))


def read_visibility(text: str) -> str:
    if not text.strip():
        return Visibility.PUBLIC
    return _choice(text, Visibility.choices, _("visibility"))


def read_date(text: str) -> dt.date | None:
    value = text.strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise BadValue(
            _("“%(value)s” is not a date; write it as YYYY-MM-DD, e.g. 2004-03-17.")
            % {"value": value}
        ) from None


def read_flag(text: str) -> bool:
    value = text.strip().lower()
    if value in {"", "no", "false", "0", "n"}:
        return False
    if value in {"yes", "true", "1", "y", "x"}:
        return True
    raise BadValue(_("“%(value)s” is neither yes nor no.") % {"value": text.strip()})


def read_uuid(text: str) -> uuid.UUID | None:
    value = text.strip()
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise BadValue(_("“%(value)s” is not an i4p id.") % {"value": value}) from None


def split_list(text: str) -> list[str]:
    """Several values in one cell are separated by “|”."""
    return [part.strip() for part in text.split("|") if part.strip()]
