"""Benchmark of report exports: 1,000,000 reports as HXL CSV, GeoJSON and JSON, streamed.

    .venv/bin/python bench/export.py                       # SQLite, then PostgreSQL
    .venv/bin/python bench/export.py --database sqlite --reports 100000

The reports are made once per database with bulk inserts (SQLite `/tmp/i4p_bench_export.sqlite3`,
PostgreSQL `i4p_bench_export`) and kept for the next run. Each export runs in a fresh process
(so its peak RSS is its own), writing to a byte counter, as a national analyst (the full staff
export: exact points, every column) and as the public. RSS is read from /proc at 10,000,
100,000 and 1,000,000 rows; "peak" is the process's high-water mark (VmHWM) at the end.

Baseline in the same run and process kind: the bare read of the same columns (the same
`values_list` SQL) through a plain cursor (server-side on PostgreSQL), written with
`csv.writer` without any conversion, place lookup or redaction.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SQLITE_PATH = "/tmp/i4p_bench_export.sqlite3"
PG_SERVER = os.environ.get("I4P_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
PG_NAME = "i4p_bench_export"
MARKS = (10_000, 100_000, 1_000_000)


def rss_mb(field: str = "VmRSS") -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


class Counter:
    """A sink that counts what it is given (the export's bytes go nowhere)."""

    def __init__(self) -> None:
        self.chars = 0

    def write(self, text: str) -> None:
        self.chars += len(text)


# -- the data, once -----------------------------------------------------------------------


def fill(count: int, seed: int) -> None:
    import datetime as dt

    from django.db import connection, transaction
    from django.utils import timezone

    from i4p.accounts.models import Role, User
    from i4p.geo.models import Place
    from i4p.geo.services import create_place
    from i4p.warning.frameworks import load_default_framework
    from i4p.warning.models import EventType, Report, Reporter, Visibility
    from i4p.warning.tests.builders import staff

    have = Report.objects.count()
    if have >= count:
        return
    rng = random.Random(seed)
    start = time.perf_counter()
    framework = load_default_framework()
    country = Place.objects.filter(kind="country", country_code="GH").first() or create_place(
        "Ghana", kind="country", parent=None, country_code="GH", latitude=7.9, longitude=-1.0
    )
    districts = list(Place.objects.filter(kind="admin2", country_code="GH"))
    if not districts:
        for r in range(10):
            region = create_place(
                f"Region {r}",
                kind="admin1",
                parent=country,
                country_code="GH",
                latitude=6 + r * 0.5,
                longitude=-2 + r * 0.3,
            )
            for d in range(5):
                districts.append(
                    create_place(
                        f"District {r}.{d}",
                        kind="admin2",
                        parent=region,
                        country_code="GH",
                        latitude=6 + r * 0.5 + d * 0.05,
                        longitude=-2 + r * 0.3 + d * 0.05,
                    )
                )
    if not Reporter.objects.exists():
        Reporter.objects.bulk_create(Reporter(handle=f"R-B{i:05d}") for i in range(2000))
    reporters = list(Reporter.objects.values_list("pk", flat=True))
    types = list(EventType.objects.filter(framework=framework).values_list("pk", flat=True))
    if not User.objects.filter(username="bench-analyst").exists():
        staff("bench-analyst", Role.ANALYST, country)  # a national analyst

    now = timezone.now()
    words = ["houses", "burnt", "near", "the", "market", "youths", "clashed", "water"]
    # A first 10,000 reports from Python, then copies of them made by the database itself
    # (INSERT … SELECT with new ids): a million reports in seconds instead of minutes.
    seedling = min(count, 10_000)
    rows = []
    for _ in range(max(seedling - have, 0)):
        place = rng.choice(districts)
        when = now - dt.timedelta(minutes=rng.randrange(0, 525_600))
        has_point = rng.random() < 0.6
        rows.append(
            Report(
                kind="incident",
                framework=framework,
                reporter_id=rng.choice(reporters),
                channel=rng.choice(["web", "api", "twilio", "rapidpro"]),
                received_at=when,
                occurred_at=when,
                place=place,
                place_precision="admin2",
                location_method="chosen",
                latitude=(place.latitude or 0) + rng.uniform(-0.1, 0.1) if has_point else None,
                longitude=(place.longitude or 0) + rng.uniform(-0.1, 0.1) if has_point else None,
                event_type_id=rng.choice(types),
                title=" ".join(rng.choices(words, k=3)),
                description=" ".join(rng.choices(words, k=25)),
                killed=rng.choice([None, 0, 1, 2, 5]),
                injured=rng.choice([None, 0, 3]),
                answers={"weapons": "yes"} if rng.random() < 0.2 else {},
                visibility=Visibility.PUBLIC if rng.random() < 0.3 else Visibility.PRIVATE,
            )
        )
    with transaction.atomic():
        Report.objects.bulk_create(rows, batch_size=2000)
    columns = [f.column for f in Report._meta.concrete_fields if f.column not in ("id", "uuid")]
    names = ", ".join(f'"{c}"' for c in columns)
    new_uuid = (
        "lower(hex(randomblob(16)))" if connection.vendor == "sqlite" else "gen_random_uuid()"
    )
    total = Report.objects.count()
    while total < count:
        step = min(total, count - total, 100_000)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f'INSERT INTO "warning_report" ({names}, "uuid") '
                f'SELECT {names}, {new_uuid} FROM "warning_report" ORDER BY "id" LIMIT %s',
                [step],
            )
        total += step
        print(f"  {total:,} reports", file=sys.stderr, flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        json.dumps({"fill_s": time.perf_counter() - start, "reports": Report.objects.count()}),
        flush=True,
    )


# -- measuring -----------------------------------------------------------------------------


def export_once(fmt: str, who: str) -> dict[str, Any]:
    from django.contrib.auth.models import AnonymousUser

    from i4p.accounts.models import User
    from i4p.warning.exports import FORMATS, ReportExport

    user: Any = AnonymousUser() if who == "public" else User.objects.get(username="bench-analyst")
    export = ReportExport(user)
    sink = Counter()
    marks: dict[str, float] = {}
    pending = list(MARKS)
    start, cpu = time.perf_counter(), time.process_time()
    for chunk in FORMATS[fmt].write(export):
        sink.write(chunk)
        while pending and export.count >= pending[0]:
            marks[f"{pending.pop(0):,}"] = round(rss_mb(), 1)
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu
    return {
        "what": f"i4p {fmt} ({who})",
        "rows": export.count,
        "seconds": seconds,
        "rows_s": export.count / seconds,
        "cpu_rows_s": export.count / cpu,
        "mb": sink.chars / 1e6,
        "rss": marks,
        "peak": round(rss_mb("VmHWM"), 1),
    }


def baseline_once() -> dict[str, Any]:
    import csv

    from django.db import connection

    from i4p.warning.exports import _FIELDS
    from i4p.warning.models import Report

    sql, params = Report.objects.order_by("pk").values_list(*_FIELDS).query.sql_with_params()
    sink = Counter()
    writer = csv.writer(sink, lineterminator="\r\n")
    rows = 0
    marks: dict[str, float] = {}
    pending = list(MARKS)
    start, cpu = time.perf_counter(), time.process_time()
    connection.ensure_connection()
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while True:
            fetched = cursor.fetchmany(2000)
            if not fetched:
                break
            writer.writerows(fetched)
            rows += len(fetched)
            while pending and rows >= pending[0]:
                marks[f"{pending.pop(0):,}"] = round(rss_mb(), 1)
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu
    return {
        "what": "baseline: plain cursor + csv.writer",
        "rows": rows,
        "seconds": seconds,
        "rows_s": rows / seconds,
        "cpu_rows_s": rows / cpu,
        "mb": sink.chars / 1e6,
        "rss": marks,
        "peak": round(rss_mb("VmHWM"), 1),
    }


def child(task: str, reports: int, seed: int) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("I4P_DEMO", "1")  # generated keys, as in the demo
    import django

    django.setup()
    if task == "fill":
        fill(reports, seed)
    elif task == "baseline":
        print(json.dumps(baseline_once()), flush=True)
    else:
        fmt, who = task.split(":")
        print(json.dumps(export_once(fmt, who)), flush=True)


# -- driver --------------------------------------------------------------------------------


def environment(database: str) -> dict[str, str]:
    env = dict(os.environ)
    if database == "sqlite":
        env.pop("DATABASE_URL", None)
        env["I4P_SQLITE_PATH"] = SQLITE_PATH
    else:
        exists = subprocess.run(
            [
                "psql",
                f"{PG_SERVER}/postgres",
                "-tAc",
                f"SELECT 1 FROM pg_database WHERE datname = '{PG_NAME}'",
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        if not exists:
            subprocess.run(
                ["psql", f"{PG_SERVER}/postgres", "-q", "-c", f"CREATE DATABASE {PG_NAME}"],
                check=True,
                capture_output=True,
            )
        env["DATABASE_URL"] = f"{PG_SERVER}/{PG_NAME}"
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument(
        "--tasks",
        default="baseline,csv:staff,geojson:staff,json:staff,csv:public",
        help="Comma-separated: baseline, <format>:staff, <format>:public.",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.reports, args.seed)
        return
    for database in ["sqlite", "postgresql"] if args.database == "both" else [args.database]:
        env = environment(database)
        cli = [sys.executable, "-m", "i4p.cli"]
        subprocess.run([*cli, "migrate", "-v", "0"], env=env, check=True, cwd=ROOT)
        me = [sys.executable, __file__, "--reports", str(args.reports), "--seed", str(args.seed)]
        subprocess.run([*me, "--child", "fill"], env=env, check=True, cwd=ROOT)
        load = Path("/proc/loadavg").read_text().split()[:3]
        print(
            f"\n{database}: {args.reports:,} reports (MB = characters written / 10^6), "
            f"load average {' '.join(load)} at the start"
        )
        print(
            "| export | rows | seconds | rows/s | rows per CPU second | MB | RSS at "
            + " / ".join(f"{m:,}" for m in MARKS)
            + " rows (MB) | peak RSS (MB) |"
        )
        print("|---|---:|---:|---:|---:|---:|---|---:|")
        for task in args.tasks.split(","):
            out = subprocess.run(
                [*me, "--child", task],
                env=env,
                check=True,
                cwd=ROOT,
                capture_output=True,
                text=True,
            ).stdout
            r = json.loads(out.strip().splitlines()[-1])
            rss = " / ".join(str(v) for v in r["rss"].values())
            print(
                f"| {r['what']} | {r['rows']:,} | {r['seconds']:.1f} | {r['rows_s']:,.0f} "
                f"| {r['cpu_rows_s']:,.0f} "
                f"| {r['mb']:.0f} | {rss} | {r['peak']} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
