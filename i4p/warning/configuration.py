"""Configuring early warning without code: extra report questions, message wording, gateways.

The admin site calls these, so every configuration change is validated and audited like any
other write.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models, transaction

from i4p.core.audit import record_event
from i4p.core.errors import Invalid
from i4p.warning import identity
from i4p.warning.models import FieldType, Gateway, ReportField

Config = TypeVar("Config", bound=models.Model)


def check_report_field(field: ReportField) -> None:
    if field.field_type == FieldType.CHOICE:
        choices = field.choices
        if not isinstance(choices, list) or len(choices) < 2:
            raise Invalid(
                "A one-of-a-list question needs at least two answers to choose from.",
                fields={"choices": ["at least two"]},
            )
        if not all(isinstance(choice, str) and choice.strip() for choice in choices):
            raise Invalid("Each answer must be a non-empty text.", fields={"choices": ["text"]})
    elif field.choices:
        raise Invalid(
            "Only one-of-a-list questions have answers to choose from.",
            fields={"choices": ["not for this type"]},
        )


@transaction.atomic
def save_configuration(obj: Config, *, by: Any, fields: Iterable[str] = ()) -> Config:
    """Validate and save a configuration record, and say in the audit log what changed."""
    if isinstance(obj, ReportField):
        check_report_field(obj)
    try:
        obj.full_clean()
    except ValidationError as error:
        raise Invalid(
            "The configuration is not valid.",
            fields={
                key: [str(m) for m in messages] for key, messages in error.message_dict.items()
            },
        ) from error
    created = obj.pk is None
    obj.save()
    action = "configuration.created" if created else "configuration.changed"
    record_event(obj, action, by=by, fields=fields)
    return obj


@transaction.atomic
def set_gateway_secret(gateway: Gateway, *, by: Any, secret: str = "") -> str:
    """Seal a new shared secret (or Twilio auth token) for a gateway; returns it once."""
    value = secret.strip() or secrets.token_urlsafe(24)
    if len(value) < 16:
        raise Invalid(
            "A gateway secret needs at least 16 characters.", fields={"secret": ["too short"]}
        )
    # Other sealed keys (a vendor's API key for sending) stay as they were.
    sealed = identity.unseal(gateway.secret) if gateway.secret else {}
    gateway.secret = identity.seal({**sealed, "secret": value})
    gateway.save(update_fields=["secret", "updated_at"])
    record_event(gateway, "gateway.secret_set", by=by, fields=["secret"])
    return value


def gateway_secret(gateway: Gateway) -> str:
    secret: str = identity.unseal(gateway.secret).get("secret", "")
    return secret
