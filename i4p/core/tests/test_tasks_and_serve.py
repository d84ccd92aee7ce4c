"""Background work: the worker runs queued tasks; `i4p serve` starts it beside the web server."""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from i4p.core.models import Heartbeat
from i4p.core.tasks import beat, prune_finished_tasks, prune_task_history


@pytest.mark.django_db(transaction=True)
def test_a_queued_task_is_run_by_the_worker_and_its_heartbeat_shows_on_health() -> None:
    assert Client().get("/health/").json()["worker"]["alive"] is False
    beat.enqueue()
    assert not Heartbeat.objects.exists()  # queued, not run in the request
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    assert Heartbeat.objects.filter(name="worker").exists()
    assert Client().get("/health/").json()["worker"]["alive"] is True


@pytest.mark.django_db
def test_the_pruning_removes_long_finished_tasks_and_never_waiting_or_running_ones(
    settings: Any,
) -> None:
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    settings.I4P_TASK_HISTORY_DAYS = 14
    now = timezone.now()

    def queued(status: str, days_ago: int | None) -> str:
        result = beat.enqueue()
        finished = now - dt.timedelta(days=days_ago) if days_ago is not None else None
        DBTaskResult.objects.filter(pk=result.id).update(status=status, finished_at=finished)
        return str(result.id)

    gone = {
        queued(TaskResultStatus.SUCCESSFUL, 15),
        queued(TaskResultStatus.FAILED, 29),
    }
    kept = {
        queued(TaskResultStatus.SUCCESSFUL, 13),
        queued(TaskResultStatus.FAILED, 27),  # a failure is kept twice as long
        queued(TaskResultStatus.READY, None),
        queued(TaskResultStatus.RUNNING, None),
    }
    assert prune_finished_tasks(now=now) == 2
    assert {str(pk) for pk in DBTaskResult.objects.values_list("pk", flat=True)} == kept
    assert not gone & kept
    assert prune_task_history.call() == "0 finished tasks removed"  # what the hour runs


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_serve_runs_the_web_server_and_the_worker_on_a_wal_sqlite_database(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL"}}
    env.update(
        I4P_SQLITE_PATH=str(tmp_path / "i4p.sqlite3"),
        I4P_DATA_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="config.settings",
        # As `make demo` runs it: outside the demo, serve wants production settings.
        I4P_DEMO="1",
        I4P_DEMO_KEYS_DIR=str(tmp_path_factory.mktemp("demo-keys")),
    )
    cli = [sys.executable, "-m", "i4p.cli"]
    subprocess.run([*cli, "migrate", "--noinput", "-v", "0"], env=env, check=True, timeout=300)
    port = _free_port()
    server = subprocess.Popen(
        [*cli, "serve", f"127.0.0.1:{port}"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        health: dict[str, Any] = {}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=2) as r:
                    health = json.load(r)
                if isinstance(health.get("worker"), dict) and health["worker"]["alive"]:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        assert health.get("database") == "sqlite"
        assert isinstance(health.get("worker"), dict) and health["worker"]["alive"] is True
    finally:
        server.terminate()
        server.wait(timeout=30)
    # Stopping `i4p serve` stops the web server and the worker with it: nothing keeps running.
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=2)
    time.sleep(1)
    assert processes_using(tmp_path) == []
    mode = sqlite3.connect(tmp_path / "i4p.sqlite3").execute("PRAGMA journal_mode").fetchone()
    assert mode[0] == "wal"


def processes_using(folder: Path) -> list[int]:
    """Processes whose environment points i4p at this folder (Linux /proc)."""
    marker = f"I4P_DATA_DIR={folder}".encode()
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if marker in environ.read_bytes().split(b"\0"):
                found.append(int(environ.parent.name))
        except OSError:
            continue  # gone meanwhile, or not ours to read
    return found
