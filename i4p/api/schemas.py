"""The base of every request body (a JSON object of known fields, nothing else) and the one
error shape of every answer that is not a success."""

from __future__ import annotations

from typing import Any

from ninja import Schema
from pydantic import ConfigDict, model_validator


class InputSchema(Schema):
    """Unknown fields are errors (a typo must not pass silently as "no change"), and the body
    must be an object: ninja's Schema would otherwise read an array as an object of defaults."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _an_object(cls, data: Any) -> Any:
        if isinstance(data, list | str | int | float | bool) or data is None:
            raise ValueError("Send a JSON object of the fields.")
        return data


# Further than any list reaches, and within the 64-bit integer every database takes for OFFSET.
MAX_OFFSET = 1_000_000_000
# The largest count (people, deaths) a positive integer column holds on every database.
MAX_COUNT = 2_147_483_647


class ErrorOut(Schema):
    """The one error shape of the API."""

    code: str
    message: str
    fields: dict[str, list[str]]


# Every operation lists these beside its successes: any input can be refused (400), any caller
# can send a token that is wrong (401), lack the grant (403), name nothing (404, a malformed id
# in a path too) or meet a state that forbids the change (409).
ERRORS: dict[int, type[ErrorOut]] = {code: ErrorOut for code in (400, 401, 403, 404, 409)}
