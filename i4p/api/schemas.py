"""The base of every request body: a JSON object of known fields, nothing else."""

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
