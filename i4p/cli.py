"""The `i4p` command: `i4p serve`, `i4p demo`, and every management command (`i4p migrate`)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time


def _heartbeat_loop(stop: threading.Event, every: float) -> None:
    """Queue a heartbeat task now and then: the worker's answer shows on /health/."""
    from i4p.core.tasks import beat

    while not stop.is_set():
        try:
            beat.enqueue()
        except Exception as error:  # the database may be briefly busy; try again next beat
            print(f"i4p: could not queue the worker heartbeat: {error}", file=sys.stderr)
        stop.wait(every)


def _alert_sweep_loop(stop: threading.Event, every: float) -> None:
    """Queue the alert sweep every minute: escalations that are due, alerts whose routing
    never ran, deliveries whose retry task was lost (each alert also has a task at its time)."""
    from i4p.warning.channels.tasks import sweep_alerts

    while not stop.wait(every):
        try:
            sweep_alerts.enqueue()
        except Exception as error:  # as for the heartbeat: try again next minute
            print(f"i4p: could not queue the alert sweep: {error}", file=sys.stderr)


def serve(argv: list[str]) -> int:
    """Run the web server (gunicorn) and the task workers side by side until interrupted.

    `I4P_WEB_WORKERS` web workers (2), `I4P_TASK_WORKERS` task workers (1), each looking for
    a task every `I4P_TASK_POLL_SECONDS` (0.1) while it has none: an alert goes through two
    tasks (the count that finds it, then its deliveries), and each may wait one poll; a poll
    is one indexed query."""
    import django

    django.setup()
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
    stop = threading.Event()
    threading.Thread(target=_heartbeat_loop, args=(stop, 60.0), daemon=True).start()
    threading.Thread(target=_alert_sweep_loop, args=(stop, 60.0), daemon=True).start()

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
