"""The deploy checks: the documented production settings pass them without a message; the
demo's settings are named errors, and `i4p serve` refuses to start on them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.checks import run_checks

from i4p import cli

ROOT = Path(__file__).resolve().parents[3]


def documented_exports(document: str, heading: str) -> list[str]:
    """The `export` lines of the first shell block under a heading of a document."""
    text = (ROOT / document).read_text(encoding="utf-8")
    section = text.split(f"\n{heading}\n", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert block is not None, f"{document} has no shell block under {heading}"
    exports = [line for line in block.group(1).splitlines() if line.startswith("export ")]
    assert exports, f"{document} sets nothing under {heading}"
    return exports


@pytest.mark.slow
@pytest.mark.parametrize(
    ("document", "heading"),
    [("README.md", "## Deploy on PostgreSQL"), ("docs/operations.md", "## Production settings")],
)
def test_the_documented_production_settings_pass_the_deploy_checks_without_a_message(
    document: str, heading: str, tmp_path: Path
) -> None:
    # A clean environment: only what the document sets, run as a shell would run it.
    env = {
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": str(tmp_path),
        "PYTHONPATH": str(ROOT),
        "I4P_DATA_DIR": str(tmp_path / "data"),
    }
    script = "\n".join(
        ["set -e", *documented_exports(document, heading), "exec python -m i4p.cli check --deploy"]
    )
    done = subprocess.run(
        ["bash", "-c", script],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "System check identified no issues (0 silenced)."
    assert done.stderr == ""


def error_ids() -> set[str]:
    return {m.id or "" for m in run_checks(include_deployment_checks=True) if m.is_serious()}


def test_the_demo_the_public_secret_key_and_debug_are_named_errors_of_the_deploy_checks(
    settings: Any,
) -> None:
    settings.SECRET_KEY = settings.DEMO_SECRET_KEY
    settings.I4P_DEMO = True
    settings.DEBUG = True
    assert {"i4p.E001", "i4p.E002", "i4p.E003"} <= error_ids()
    settings.SECRET_KEY = "a-secret-of-this-instance-" + "k" * 40
    settings.I4P_DEMO = False
    settings.DEBUG = False
    assert not {"i4p.E001", "i4p.E002", "i4p.E003"} & error_ids()


def test_serve_outside_the_demo_refuses_the_public_secret_key_and_starts_nothing(
    monkeypatch: pytest.MonkeyPatch, settings: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    settings.SECRET_KEY = settings.DEMO_SECRET_KEY
    started: list[Any] = []
    monkeypatch.setattr(subprocess, "Popen", lambda *args, **kwargs: started.append(args))
    assert cli.serve(["127.0.0.1:0"]) == 1
    assert started == []
    said = capsys.readouterr().err
    assert "not serving" in said and "i4p.E002" in said and "I4P_SECRET_KEY" in said


def test_serve_outside_the_demo_refuses_a_missing_identity_key_and_debug(
    monkeypatch: pytest.MonkeyPatch, settings: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    settings.SECRET_KEY = "a-secret-of-this-instance-" + "k" * 40
    settings.I4P_IDENTITY_KEYS = []
    settings.DEBUG = True
    started: list[Any] = []
    monkeypatch.setattr(subprocess, "Popen", lambda *args, **kwargs: started.append(args))
    assert cli.serve(["127.0.0.1:0"]) == 1
    assert started == []
    said = capsys.readouterr().err
    assert "I4P_IDENTITY_KEYS is not set" in said and "I4P_DEBUG is on" in said
