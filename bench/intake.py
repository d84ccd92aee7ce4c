"""Benchmark of report intake over HTTP with durable commits, beside two baselines.

    apt-get install wrk                       # the load generator for the throughput runs
    .venv/bin/python bench/intake.py          # SQLite (synchronous FULL and NORMAL), PostgreSQL
    .venv/bin/python bench/intake.py --database sqlite --sync FULL --seconds 5

For each database, in the same run and against the same database file or server:
1. *raw insert*: one-row insert transactions from Python (sqlite3 / psycopg, autocommit),
   committed one at a time, one connection: the database's own durable-commit rate;
2. *minimal view*: a Django view that does one insert (`bench/intake_app.py`), under gunicorn;
3. *i4p intake*: `POST` a report with a bearer token; it goes through
   `i4p.warning.intake.submit_report` (sealed raw message, located, audited, one commit).
   `--endpoint /api/v1/reports` uses the product's API operation instead of the bench view.
Views 2 and 3 run under gunicorn with the same worker count (`--workers`, default 2 = the
CPUs). Throughput: `wrk` (closed loop, keep-alive, 2 threads, 16 connections). Latency: an
open-loop Python client sending at a fixed rate (100/s) from a separate process, each request's
time counted from when it was due (so a stall is not hidden by the client waiting).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import re
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SQLITE_PATH = "/tmp/i4p_bench_intake.sqlite3"
PG_SERVER = os.environ.get("I4P_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
PG_NAME = "i4p_bench_intake"
PORT = 8765
BODY = {"description": "Youths clashed near the water point; two houses burnt.", "killed": 0}


def environment(database: str, sync: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)
    env["DJANGO_SETTINGS_MODULE"] = "bench.intake_app"
    env.setdefault("I4P_DEMO", "1")  # generated keys, as in the demo
    env["I4P_ALLOWED_HOSTS"] = "127.0.0.1,localhost,testserver"
    if database == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(SQLITE_PATH + suffix).unlink(missing_ok=True)
        env.pop("DATABASE_URL", None)
        env["I4P_SQLITE_PATH"] = SQLITE_PATH
        env["BENCH_SQLITE_SYNC"] = sync
    else:
        for statement in (f"DROP DATABASE IF EXISTS {PG_NAME}", f"CREATE DATABASE {PG_NAME}"):
            subprocess.run(
                ["psql", f"{PG_SERVER}/postgres", "-q", "-c", statement],
                check=True,
                capture_output=True,
            )
        env["DATABASE_URL"] = f"{PG_SERVER}/{PG_NAME}"
    return env


def cpu_child(requests: int) -> None:
    """CPU milliseconds per request in one process (Django's test client): what a loaded
    machine does not change much, unlike wall time."""
    import django

    django.setup()
    from django.test import Client

    setup_child()
    world = json.loads(_SETUP_OUTPUT[-1])
    client = Client()
    auth = {"Authorization": f"Bearer {world['token']}"}
    body = json.dumps({**BODY, "place": world["place"]})
    for path in ("/bench/minimal", "/bench/submit"):
        for _ in range(20):
            client.post(path, body, content_type="application/json", headers=auth)
        cpu = time.process_time()
        for _ in range(requests):
            answer = client.post(path, body, content_type="application/json", headers=auth)
            assert answer.status_code in (200, 201), answer.status_code
        ms = (time.process_time() - cpu) / requests * 1000
        print(f"| {path} | {ms:.2f} |")


_SETUP_OUTPUT: list[str] = []


def setup_child() -> None:
    """Places, the default framework, a monitor with a token, the baseline table."""
    import django

    django.setup()
    from django.db import connection

    from i4p.accounts.services import issue_token
    from i4p.warning.tests.builders import build_warning_world

    world = build_warning_world()
    _token, plain = issue_token(world.monitor, by=None, name="bench", scope="write")
    kind = "integer PRIMARY KEY" if connection.vendor == "sqlite" else "bigserial PRIMARY KEY"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS bench_row (id {kind}, body text)")
    _SETUP_OUTPUT.append(json.dumps({"token": plain, "place": str(world.tamale.uuid)}))
    print(_SETUP_OUTPUT[-1])


# -- baseline 1: raw inserts ------------------------------------------------------------------


def raw_inserts(database: str, sync: str, seconds: float) -> float:
    count = 0
    body = json.dumps(BODY)
    if database == "sqlite":
        db = sqlite3.connect(SQLITE_PATH, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute(f"PRAGMA synchronous={sync}")
        end = time.perf_counter() + seconds
        start = time.perf_counter()
        while time.perf_counter() < end:
            db.execute("BEGIN IMMEDIATE")
            db.execute("INSERT INTO bench_row (body) VALUES (?)", (body,))
            db.execute("COMMIT")
            count += 1
        db.close()
    else:
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/{PG_NAME}", autocommit=True) as pg:
            start = time.perf_counter()
            end = start + seconds
            while time.perf_counter() < end:
                pg.execute("INSERT INTO bench_row (body) VALUES (%s)", (body,))
                count += 1
    return count / (time.perf_counter() - start)


# -- load ------------------------------------------------------------------------------------


def wrk(path: str, token: str, body: str, seconds: int) -> dict[str, Any]:
    script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)  # noqa: SIM115
    script.write(
        'wrk.method = "POST"\n'
        f"wrk.body = {json.dumps(body)}\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.headers["Authorization"] = "Bearer {token}"\n'
    )
    script.close()
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            "-c16",
            "--timeout",
            "10s",
            f"-d{seconds}s",
            "--latency",
            "-s",
            script.name,
            f"http://127.0.0.1:{PORT}{path}",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    os.unlink(script.name)
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rate": rate,
        "non2xx": int(bad.group(1)) if bad else 0,
        "socket_errors": errors.group(1) if errors else "",
    }


def fixed_rate(path: str, token: str, body: str, rate: float, seconds: float) -> dict[str, Any]:
    """Open loop: request i is due at start + i/rate; its latency counts from then."""
    due: queue.Queue[float | None] = queue.Queue()
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}

    def worker() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        while (when := due.get()) is not None:
            try:
                connection.request("POST", path, body=body, headers=headers)
                answer = connection.getresponse()
                answer.read()
                ok = answer.status in (200, 201)
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
                ok = False
            took = time.perf_counter() - when
            with lock:
                latencies.append(took)
                failures[0] += not ok

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(32)]
    for thread in threads:
        thread.start()
    start = time.perf_counter()
    total = int(rate * seconds)
    for i in range(total):
        when = start + i / rate
        pause = when - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        due.put(when)
    for _ in threads:
        due.put(None)
    for thread in threads:
        thread.join()
    latencies.sort()

    def pct(share: float) -> float:
        return latencies[min(len(latencies) - 1, int(len(latencies) * share))] * 1000

    return {
        "n": total,
        "failures": failures[0],
        "p50": pct(0.5),
        "p95": pct(0.95),
        "p99": pct(0.99),
        "max": latencies[-1] * 1000,
    }


def serve(env: dict[str, str], workers: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "bench.intake_wsgi:application",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
    )
    for _ in range(100):
        try:
            http.client.HTTPConnection("127.0.0.1", PORT, timeout=1).request("GET", "/health/")
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not start")


def run(database: str, sync: str, args: argparse.Namespace) -> None:
    env = environment(database, sync)
    subprocess.run(
        [sys.executable, "-m", "i4p.cli", "migrate", "-v", "0"], env=env, check=True, cwd=ROOT
    )
    setup = subprocess.run(
        [sys.executable, __file__, "--child-setup"],
        env=env,
        check=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout
    world = json.loads(setup.strip().splitlines()[-1])
    report_body = json.dumps({**BODY, "place": world["place"]})
    raw = raw_inserts(database, sync, args.seconds)
    server = serve(env, args.workers)
    try:
        # Each worker imports the app on its first request: warm both before measuring.
        fixed_rate("/bench/minimal", world["token"], json.dumps(BODY), 10, 2)
        fixed_rate(args.endpoint, world["token"], report_body, 10, 2)
        minimal = wrk("/bench/minimal", world["token"], json.dumps(BODY), args.seconds)
        intake = wrk(args.endpoint, world["token"], report_body, args.seconds)
        minimal_fixed = fixed_rate(
            "/bench/minimal", world["token"], json.dumps(BODY), args.rate, args.seconds
        )
        intake_fixed = fixed_rate(
            args.endpoint, world["token"], report_body, args.rate, args.seconds
        )
    finally:
        server.terminate()
        server.wait()
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    label = f"{database}" + (f" (synchronous={sync})" if database == "sqlite" else "")
    print(f"\n{label}, {args.workers} gunicorn workers, load average {load} at the end")
    print("| what | max rate (req/s) | at a fixed rate: p50 | p95 | p99 | max (ms) | failed |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    print(f"| raw insert, one-row transactions | {raw:,.0f} | | | | | |")
    for name, most, fixed in (
        ("minimal Django view (one insert)", minimal, minimal_fixed),
        (f"i4p intake `{args.endpoint}`", intake, intake_fixed),
    ):
        print(
            f"| {name} | {most['rate']:,.0f} | {fixed['p50']:.1f} | {fixed['p95']:.1f} "
            f"| {fixed['p99']:.1f} | {fixed['max']:.1f} | {most['non2xx'] + fixed['failures']} |"
        )
    print(
        f"i4p / minimal view: **{intake['rate'] / max(minimal['rate'], 1e-9):.2f}** "
        f"(fixed rate {args.rate:g}/s for {args.seconds} s)",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--sync", default="FULL,NORMAL", help="SQLite synchronous modes to run.")
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--endpoint", default="/bench/submit")
    parser.add_argument("--cpu", action="store_true", help="CPU ms per request, SQLite FULL.")
    parser.add_argument("--child-setup", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child-cpu", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_setup:
        setup_child()
        return
    if args.child_cpu:
        cpu_child(300)
        return
    if args.cpu:
        env = environment("sqlite", "FULL")
        subprocess.run(
            [sys.executable, "-m", "i4p.cli", "migrate", "-v", "0"], env=env, check=True, cwd=ROOT
        )
        print("| request | CPU ms |\n|---|---:|", flush=True)
        subprocess.run([sys.executable, __file__, "--child-cpu"], env=env, check=True, cwd=ROOT)
        return
    for database in ["sqlite", "postgresql"] if args.database == "both" else [args.database]:
        for sync in args.sync.split(",") if database == "sqlite" else [""]:
            run(database, sync, args)


if __name__ == "__main__":
    main()
