"""The reporter-protection keys: generated for the demo only, outside the data directory and
marked as the demo's; outside the demo a missing, malformed or generated key is a named error."""

from __future__ import annotations

import io
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from i4p.warning import identity

GOOD_IDENTITY_KEY = Fernet.generate_key().decode()
GOOD_HASH_KEY = secrets.token_urlsafe(32)


@pytest.fixture
def demo(settings: Any, tmp_path: Path) -> Iterator[Path]:
    """The demo with no keys set: a data directory, and a keys directory apart from it."""
    settings.I4P_DEMO = True
    settings.I4P_IDENTITY_KEYS = []
    settings.I4P_SENDER_HASH_KEYS = []
    settings.DATA_DIR = tmp_path / "data"
    settings.I4P_DEMO_KEYS_DIR = tmp_path / "keys"
    identity._key_files.clear()
    yield tmp_path
    identity._key_files.clear()


def error_ids(*, deploy: bool) -> set[str]:
    return {
        message.id or ""
        for message in run_checks(include_deployment_checks=deploy)
        if message.is_serious()
    }


def test_the_demo_generates_its_keys_outside_the_data_directory_in_files_marked_as_its_own(
    demo: Path,
) -> None:
    token = identity.seal({"phone": "+233555010299"})
    assert identity.unseal(token) == {"phone": "+233555010299"}
    identity.sender_hash("+233555010299")
    assert not list((demo / "data").rglob("*.keys"))
    for name in (identity.IDENTITY_KEYS_FILE, identity.SENDER_HASH_KEYS_FILE):
        path = demo / "keys" / name
        assert path.read_text().splitlines()[0] == identity.DEMO_MARK
        assert path.stat().st_mode & 0o777 == 0o600
    assert identity.identity_keys() == identity._read_keys(demo / "keys" / "identity.keys")


def test_a_demo_key_kept_beside_the_database_moves_out_of_the_data_directory(
    demo: Path,
) -> None:
    legacy = demo / "data" / "secrets" / identity.IDENTITY_KEYS_FILE
    legacy.parent.mkdir(parents=True)
    legacy.write_text(GOOD_IDENTITY_KEY + "\n")
    assert identity.identity_keys() == [GOOD_IDENTITY_KEY]
    assert not legacy.exists()
    assert identity._read_keys(demo / "keys" / identity.IDENTITY_KEYS_FILE) == [GOOD_IDENTITY_KEY]


def test_outside_the_demo_a_missing_key_is_an_error_naming_it_and_no_file_is_written(
    demo: Path, settings: Any
) -> None:
    settings.I4P_DEMO = False
    with pytest.raises(ImproperlyConfigured, match="I4P_IDENTITY_KEYS is not set"):
        identity.seal({"phone": "+233555010299"})
    with pytest.raises(ImproperlyConfigured, match="I4P_SENDER_HASH_KEYS is not set"):
        identity.sender_hash("+233555010299")
    assert not list(demo.rglob("*.keys"))


def test_a_malformed_identity_key_fails_the_plain_check_by_name(settings: Any) -> None:
    settings.I4P_IDENTITY_KEYS = [GOOD_IDENTITY_KEY, "not-a-key"]
    out = io.StringIO()
    with pytest.raises(SystemCheckError, match=r"i4p\.E010.*I4P_IDENTITY_KEYS: key 2"):
        call_command("check", stdout=out, stderr=out)


def test_a_short_sender_hash_key_fails_the_plain_check_by_name(settings: Any) -> None:
    settings.I4P_SENDER_HASH_KEYS = ["secret"]
    assert "i4p.E013" in error_ids(deploy=False)


def test_missing_keys_are_named_errors_of_the_deploy_checks(settings: Any) -> None:
    settings.I4P_IDENTITY_KEYS = []
    assert "i4p.E011" in error_ids(deploy=True)
    assert "i4p.E011" not in error_ids(deploy=False)
    settings.I4P_IDENTITY_KEYS = [GOOD_IDENTITY_KEY]
    settings.I4P_SENDER_HASH_KEYS = []
    assert "i4p.E014" in error_ids(deploy=True)


def test_keys_the_demo_generated_are_named_errors_of_the_deploy_checks(
    demo: Path, settings: Any
) -> None:
    generated_identity = identity.identity_keys()[0]
    generated_hash = identity.sender_hash_keys()[0].decode()
    settings.I4P_DEMO = False
    settings.I4P_IDENTITY_KEYS = [generated_identity]
    settings.I4P_SENDER_HASH_KEYS = [GOOD_HASH_KEY, generated_hash]
    assert {"i4p.E012", "i4p.E015"} <= error_ids(deploy=True)
    settings.I4P_IDENTITY_KEYS = [GOOD_IDENTITY_KEY]
    settings.I4P_SENDER_HASH_KEYS = [GOOD_HASH_KEY]
    assert not {"i4p.E012", "i4p.E015"} & error_ids(deploy=True)


def test_the_keys_of_this_test_run_pass_every_key_check() -> None:
    assert not {"i4p.E010", "i4p.E011", "i4p.E012", "i4p.E013", "i4p.E014", "i4p.E015"} & (
        error_ids(deploy=True)
    )
