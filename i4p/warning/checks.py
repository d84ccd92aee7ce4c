"""System checks of the reporter-protection keys (ids i4p.E010-E019): a malformed key fails
every check; a missing key, or one the demo generated, fails `i4p check --deploy` and
`i4p serve`."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register

from i4p.warning import identity

# setting, key file of the demo, what a good key is, the ids: malformed, missing, generated.
_KEYS = (
    (
        "I4P_IDENTITY_KEYS",
        identity.IDENTITY_KEYS_FILE,
        identity.is_identity_key,
        "a Fernet key (32 url-safe base64-encoded bytes)",
        ("i4p.E010", "i4p.E011", "i4p.E012"),
    ),
    (
        "I4P_SENDER_HASH_KEYS",
        identity.SENDER_HASH_KEYS_FILE,
        identity.is_sender_hash_key,
        f"a random string of at least {identity.SENDER_HASH_KEY_MIN_LENGTH} characters",
        ("i4p.E013", "i4p.E014", "i4p.E015"),
    ),
)
_HINT = "Generate keys as docs/operations.md says and set them in the environment."


@register(Tags.security)
def check_key_format(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    for setting, _file, is_good, good, (malformed, _missing, _generated) in _KEYS:
        for position, key in enumerate(getattr(settings, setting), start=1):
            if not is_good(key):
                errors.append(
                    Error(f"{setting}: key {position} is not {good}.", hint=_HINT, id=malformed)
                )
    return errors


@register(Tags.security, deploy=True)
def check_keys_for_production(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    for setting, filename, _is_good, _good, (_malformed, missing, generated) in _KEYS:
        keys = list(getattr(settings, setting))
        if not keys:
            errors.append(Error(f"{setting} is not set.", hint=_HINT, id=missing))
        elif set(keys) & identity.demo_generated_keys(filename):
            errors.append(
                Error(
                    f"{setting} holds a key the demo generated "
                    f"({settings.I4P_DEMO_KEYS_DIR / filename}).",
                    hint=_HINT,
                    id=generated,
                )
            )
    return errors
