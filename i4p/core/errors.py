"""Domain failures with a stable code; one handler maps them to HTTP answers."""

from __future__ import annotations

from collections.abc import Mapping


class DomainError(Exception):
    """A failure the user can understand and act on."""

    code = "invalid"
    status = 400

    def __init__(self, message: str, *, fields: Mapping[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields: dict[str, list[str]] = dict(fields or {})

    def as_dict(self) -> dict[str, object]:
        return {"code": self.code, "message": self.message, "fields": self.fields}


class Invalid(DomainError):
    code = "invalid"
    status = 400


class NotAllowed(DomainError):
    code = "not_allowed"
    status = 403


class NotFound(DomainError):
    code = "not_found"
    status = 404


class WrongState(DomainError):
    code = "wrong_state"
    status = 409


class Duplicate(DomainError):
    code = "duplicate"
    status = 409
