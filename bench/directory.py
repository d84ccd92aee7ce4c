"""Benchmark of the directory without search words: the landing page and `GET /api/v1/actors`.

    .venv/bin/python bench/search.py          # first: fills the 100,000-actor databases
    .venv/bin/python bench/directory.py       # SQLite, then PostgreSQL

Reuses the databases `bench/search.py` leaves behind (a copy of the SQLite file; the
PostgreSQL database `i4p_bench_search`, migrated to the current schema). Same run, same
requests, side by side: the schema as it is, and the baseline of the same database without the
two directory indexes (`registry_actor_directory`, `registry_actor_seats`), which are dropped for
the second measurement and made again afterwards.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SQLITE_SOURCE = Path("/tmp/i4p_bench_search.sqlite3")
SQLITE_COPY = Path("/tmp/i4p_bench_directory.sqlite3")
PG_URL = os.environ.get("I4P_BENCH_PG", "postgres://postgres@127.0.0.1:5432") + "/i4p_bench_search"
URLS = ["/", "/?page=3", "/api/v1/actors", "/api/v1/actors?offset=40"]
INDEXES = {
    "registry_actor_directory": '"moderation", "name", "id"',
    "registry_actor_seats": '"moderation", "place_id"',
}


def measure(requests: int) -> dict[str, tuple[float, float]]:
    from django.test import Client

    client = Client()
    results = {}
    for url in URLS:
        client.get(url)  # warm the caches once
        times = []
        for _ in range(requests):
            start = time.perf_counter()
            answer = client.get(url)
            times.append((time.perf_counter() - start) * 1000)
            assert answer.status_code == 200, (url, answer.status_code)
        times.sort()
        results[url] = (statistics.median(times), times[int(len(times) * 0.95) - 1])
    return results


def run(vendor: str, requests: int) -> None:
    import django
    from django.db import connection

    django.setup()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    current = measure(requests)
    with connection.cursor() as cursor:
        for name in INDEXES:
            cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute("ANALYZE")
    baseline = measure(requests)
    with connection.cursor() as cursor:
        for name, columns in INDEXES.items():
            cursor.execute(f'CREATE INDEX "{name}" ON "registry_actor" ({columns})')
        cursor.execute("ANALYZE")
    print(f"\n{vendor}: {requests} requests each, milliseconds (p50 / p95)")
    print("| request | i4p p50 | p95 | without the indexes p50 | p95 |")
    print("|---|---:|---:|---:|---:|")
    for url in URLS:
        (p50, p95), (b50, b95) = current[url], baseline[url]
        print(f"| `{url}` | {p50:.1f} | {p95:.1f} | {b50:.1f} | {b95:.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--child", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        sys.path.insert(0, str(ROOT))
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        os.environ.setdefault("I4P_DEMO", "1")  # generated keys, as in the demo
        run(args.child, args.requests)
        return
    for vendor in ["sqlite", "postgresql"] if args.database == "both" else [args.database]:
        env = dict(os.environ)
        env.pop("DATABASE_URL", None)
        if vendor == "sqlite":
            if not SQLITE_SOURCE.exists():
                sys.exit(f"{SQLITE_SOURCE} is missing: run bench/search.py first")
            shutil.copy(SQLITE_SOURCE, SQLITE_COPY)
            env["I4P_SQLITE_PATH"] = str(SQLITE_COPY)
        else:
            env["DATABASE_URL"] = PG_URL
        cli = [sys.executable, "-m", "i4p.cli"]
        subprocess.run([*cli, "migrate", "-v", "0"], env=env, check=True, cwd=ROOT)
        subprocess.run(
            [sys.executable, __file__, "--child", vendor, "--requests", str(args.requests)],
            env=env,
            check=True,
            cwd=ROOT,
        )


if __name__ == "__main__":
    main()
