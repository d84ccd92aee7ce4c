"""The `i4p` command: `i4p serve`, `i4p demo`, and every management command (`i4p migrate`)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from typing import Any


def _queue_every(stop: threading.Event, every: float, job: Any, what: str) -> None:
    """Queue `job` now and every `every` seconds until stopped. The database may be briefly
    busy: a failure is said on stderr and tried again next time."""
    while True:
        try:
            job.enqueue()
        except Exception as error:
            print(f"i4p: could not queue {what}: {error}", file=sys.stderr)
        if stop.wait(every):
            return


def _ready_for_production() -> bool:
    """Outside the demo, the deploy checks first: no start on a public secret key, missing or
    generated keys, or DEBUG. Their warnings are printed; their errors stop the start."""
    from django.conf import settings
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    if settings.I4P_DEMO:
        return True
    try:
        call_command("check", deploy=True, fail_level="ERROR")
    except SystemCheckError as error:
        print(
            f"i4p: not serving, the settings are not fit for production.\n{error}", file=sys.stderr
        )
        return False
    return True


def serve(argv: list[str]) -> int:
    """Run the web server (gunicorn) and the task workers side by side until interrupted.

    `I4P_WEB_WORKERS` web workers (2), `I4P_TASK_WORKERS` task workers (1), each looking for
    a task every `I4P_TASK_POLL_SECONDS` (0.1) while it has none: an alert goes through two
    tasks (the count that finds it, then its deliveries), and each may wait one poll; a poll
    is one indexed query."""
    import django

    django.setup()
    if not _ready_for_production():
        return 1
    from django.core.management import call_command

    # Static files under their hashed names, which browsers keep a year (`web/storage.py`).
    call_command("collectstatic", interactive=False, verbosity=0)
    bind = argv[0] if argv else os.environ.get("I4P_BIND", "127.0.0.1:8000")
    workers = os.environ.get("I4P_WEB_WORKERS", "2")
    # No client address or query string in the access log (a reporter's IP can locate them).
    from i4p.web.access_log import ACCESS_LOG_FORMAT, LOGGER_CLASS

    poll = os.environ.get("I4P_TASK_POLL_SECONDS", "0.1")
    task_workers = [
        subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "i4p.cli", "db_worker", "--interval", poll, "--no-reload"]
        )
        for _ in range(int(os.environ.get("I4P_TASK_WORKERS", "1")))
    ]
    web = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--bind",
            bind,
            "--workers",
            workers,
            "--access-logfile",
            "-",
            "--access-logformat",
            ACCESS_LOG_FORMAT,
            "--logger-class",
            LOGGER_CLASS,
        ]
    )
    from i4p.core.tasks import beat, prune_task_history
    from i4p.warning.channels.tasks import sweep_alerts

    stop = threading.Event()
    for job, every, what in (
        (beat, 60.0, "the worker heartbeat"),  # the worker's answer shows on /health/
        # Escalations that are due, alerts whose routing never ran, deliveries whose retry
        # task was lost (each alert also has a task at its time), count requests left waiting.
        (sweep_alerts, 60.0, "the alert sweep"),
        (prune_task_history, 3600.0, "the pruning of finished tasks"),
    ):
        threading.Thread(target=_queue_every, args=(stop, every, job, what), daemon=True).start()

    def _on_terminate(signum: int, frame: object) -> None:
        # A service manager stops us with SIGTERM: stop both children, never orphan them.
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _on_terminate)
    print(f"i4p: serving on http://{bind}/ with background workers (Ctrl-C stops them all)")
    children = [web, *task_workers]
    try:
        while all(process.poll() is None for process in children):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        for process in children:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in children:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if args and args[0] == "serve":
        return serve(args[1:])
    from django.core.management import execute_from_command_line

    execute_from_command_line(["i4p", *args])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
