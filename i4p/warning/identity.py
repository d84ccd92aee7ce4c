"""Reporter identity: encrypted at rest, threaded by a keyed hash, never in a plain column.

Identity keys are Fernet keys (AES-128-CBC + HMAC-SHA256, from `cryptography`), newest first:
every key decrypts, the newest encrypts, so keys rotate without downtime (add a new key in
front, restart, run `i4p rotate_keys`, then drop the old key). The sender hash is an
HMAC-SHA256 under its own keys, kept apart from the database and the identity keys: phone
numbers are few enough that an unkeyed (or leaked-key) hash is a lookup table.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from functools import cache
from pathlib import Path
from typing import Any

import phonenumbers
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

IDENTITY_FIELDS = ("phone", "name", "email", "device")


# Key files read by this process: like keys from the environment, they change with a restart.
_key_files: dict[Path, list[str]] = {}


def _generated_keys(filename: str, make: Any) -> list[str]:
    """Demo keys: kept in a file of their own (mode 0600), not in the database."""
    directory = Path(settings.I4P_SECRETS_DIR)
    path = directory / filename
    if path in _key_files:
        return list(_key_files[path])
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        draft = directory / f".{filename}.{os.getpid()}"
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(make() + "\n")
        try:
            os.link(draft, path)  # atomic: two processes starting at once agree on one key
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    keys = [line.strip() for line in path.read_text().splitlines() if line.strip()]
    _key_files[path] = keys
    return list(keys)


def identity_keys() -> list[str]:
    keys = list(settings.I4P_IDENTITY_KEYS) or _generated_keys(
        "identity.keys", lambda: Fernet.generate_key().decode()
    )
    return keys


def sender_hash_keys() -> list[bytes]:
    keys = list(settings.I4P_SENDER_HASH_KEYS) or _generated_keys(
        "sender-hash.keys", lambda: secrets.token_urlsafe(32)
    )
    return [key.encode() for key in keys]


@cache
def _cipher(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except ValueError as error:
        raise ImproperlyConfigured(
            "I4P_IDENTITY_KEYS must hold Fernet keys (32 url-safe base64 bytes each)."
        ) from error


def cipher() -> MultiFernet:
    return _cipher(tuple(identity_keys()))


def seal(data: dict[str, Any]) -> bytes:
    """Encrypt a JSON-able mapping (an identity, a raw payload) as one token."""
    return cipher().encrypt(json.dumps(data, separators=(",", ":")).encode())


def unseal(token: bytes | memoryview) -> dict[str, Any]:
    if not token:
        return {}
    try:
        value: dict[str, Any] = json.loads(cipher().decrypt(bytes(token)))
    except InvalidToken as error:
        # Not the data: say which configuration is wrong.
        raise ImproperlyConfigured(
            "A sealed record does not open with any key in I4P_IDENTITY_KEYS."
        ) from error
    return value


def reseal(token: bytes | memoryview) -> bytes:
    """The same plaintext under the newest key (key rotation)."""
    return cipher().rotate(bytes(token))


def normalise_address(address: str, *, country: str = "") -> str:
    """A phone number in E.164, an e-mail address in lower case, anything else trimmed."""
    address = address.strip()
    if "@" in address:
        return address.lower()
    try:
        number = phonenumbers.parse(address, country.upper() or None)
    except phonenumbers.NumberParseException:
        return "".join(address.split())
    if not phonenumbers.is_possible_number(number):
        return "".join(address.split())
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def region_of(phone: str, *, country: str = "") -> str:
    """The region (ISO 3166-1 alpha-2) a phone number belongs to, or "" when it is not one."""
    try:
        number = phonenumbers.parse(phone, country.upper() or None)
    except phonenumbers.NumberParseException:
        return ""
    return phonenumbers.region_code_for_number(number) or ""


def _hash(address: str, key: bytes) -> str:
    return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()


def sender_hash(address: str, *, country: str = "") -> str:
    """The keyed hash of a sender under the newest key."""
    return _hash(normalise_address(address, country=country), sender_hash_keys()[0])


def sender_hashes(address: str, *, country: str = "") -> list[str]:
    """Hashes under every key, newest first: a lookup finds senders hashed before a rotation."""
    normal = normalise_address(address, country=country)
    return [_hash(normal, key) for key in sender_hash_keys()]


def new_handle() -> str:
    """A pseudonym staff can say aloud: "R-7F3KQ2". Random, so it tells nothing."""
    alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    return "R-" + "".join(secrets.choice(alphabet) for _ in range(6))
