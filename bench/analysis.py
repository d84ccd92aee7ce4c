"""Benchmark of the anomaly scan: 10,000,000 reports across 5,000 districts and 3 years.

    .venv/bin/python bench/analysis.py                      # PostgreSQL, 10M reports
    .venv/bin/python bench/analysis.py --reports 100000     # the small scale
    .venv/bin/python bench/analysis.py --keep-counts        # the counts of the last run

The places (1 country, 50 regions, 5,000 districts) and the reports are made once per scale
in the PostgreSQL database `i4p_bench_analysis_<reports>` with COPY (the reports' uuid comes
from a column default set for the load) and kept for the next run. Reports fall on districts
and days at random (about 1.8 a district-day at full scale), 97% known to the day, 2% to the
week, 1% to the month, with 40 bursts of 25 reports in one district on one day.

Measured in one run, in one process, each step timed on its own:
- `rebuild_counts`: the count table from every report (what `i4p analyse` does first);
- the full scan from the maintained counts, `scan()` (read the counts, detect with the
  framework's methods over every series at once, store the signals) — the target is < 10 s;
  on PostgreSQL the counts come in parts, the next read while this one is judged, so "read"
  is the time spent waiting for them; then the same scan again (signals already stored:
  compares, writes nothing);
- baseline 1, pandas: read the reports, expand every report to its district, region and
  country, `groupby(place, type, day).size()`, unstack into the same series x days matrix and
  run the same detection (numpy, 2,048 series at a time) on it: the straightforward way;
- baseline 2, the bare aggregate query of the database: `SELECT place, type, date, count(*)
  GROUP BY` over the reports (districts only, days only, no detection), fetched.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = os.environ.get("I4P_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
FIRST_DAY = dt.date(2021, 1, 1)
DAYS = 3 * 365
DISTRICTS = 5000
REGIONS = 50
BURSTS = 40


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def fill(count: int, seed: int) -> None:
    from django.db import connection, transaction

    from i4p.geo.models import Place
    from i4p.geo.services import create_place
    from i4p.warning.frameworks import load_default_framework
    from i4p.warning.models import EventType, Report

    framework = load_default_framework()
    if Report.objects.count() >= count:
        return
    start = time.perf_counter()
    country = Place.objects.filter(kind="country", country_code="GH").first() or create_place(
        "Ghana", kind="country", parent=None, country_code="GH", latitude=7.9, longitude=-1.0
    )
    if not Place.objects.filter(kind="admin2").exists():
        regions = [
            create_place(f"Region {r}", kind="admin1", parent=country, country_code="GH")
            for r in range(REGIONS)
        ]
        per = DISTRICTS // REGIONS
        districts = Place.objects.bulk_create(
            Place(
                name=f"District {r}.{d}",
                kind="admin2",
                parent=region,
                depth=2,
                country_code="GH",
                name_folded=f"district {r}.{d}",
            )
            for r, region in enumerate(regions)
            for d in range(per)
        )
        for place in districts:
            assert place.parent is not None
            place.path = f"{place.parent.path}{place.pk}/"
        Place.objects.bulk_update(districts, ["path"], batch_size=2000)
        say(f"  {len(districts):,} districts in {REGIONS} regions")
    districts_ids = list(Place.objects.filter(kind="admin2").values_list("pk", flat=True))
    types = list(EventType.objects.filter(framework=framework).values_list("pk", flat=True))
    rng = random.Random(seed)
    table = Report._meta.db_table
    columns = [
        "created_at",
        "updated_at",
        "kind",
        "framework_id",
        "channel",
        "received_at",
        "occurred_at",
        "time_precision",
        "place_id",
        "place_precision",
        "location_method",
        "location_text",
        "event_type_id",
        "title",
        "description",
        "language",
        "actors_text",
        "killed",
        "answers",
        "verification",
        "source_reliability",
        "information_credibility",
        "needs_triage",
        "triage_reasons",
        "sensitivity",
        "visibility",
    ]

    def rows() -> Any:
        bursts = [(rng.choice(districts_ids), rng.randrange(30, DAYS)) for _ in range(BURSTS)]
        plain = count - BURSTS * 25
        for n in range(count):
            if n < plain:
                place, day = rng.choice(districts_ids), rng.randrange(DAYS)
            else:
                place, day = bursts[(n - plain) // 25]
            when = dt.datetime.combine(
                FIRST_DAY + dt.timedelta(days=day), dt.time(rng.randrange(24)), tzinfo=dt.UTC
            )
            roll = rng.random()
            precision = "day" if roll < 0.97 else ("week" if roll < 0.99 else "month")
            yield (
                when,
                when,
                "incident",
                framework.pk,
                "api",
                when,
                when,
                precision,
                place,
                "admin2",
                "chosen",
                "",
                rng.choice(types),
                "",
                "bench",
                "",
                "",
                rng.choice((0, 0, 0, 1, 2)),
                "{}",
                "pending",
                "F",
                "6",
                False,
                "[]",
                "normal",
                "private",
            )
            if n and n % 1_000_000 == 0:
                say(f"  {n:,} reports")

    have = Report.objects.count()
    if have:
        Report.objects.all().delete()
    names = ", ".join(f'"{c}"' for c in columns)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f'ALTER TABLE {table} ALTER COLUMN "uuid" SET DEFAULT gen_random_uuid()')
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows():
                    copy.write_row(row)
        else:
            import uuid

            marks = ", ".join(["%s"] * (len(columns) + 1))
            batch: list[tuple[Any, ...]] = []
            for row in rows():
                batch.append((*row, uuid.uuid4().hex))
                if len(batch) == 10_000:
                    cursor.executemany(
                        f'INSERT INTO {table} ({names}, "uuid") VALUES ({marks})', batch
                    )
                    batch = []
            if batch:
                cursor.executemany(f'INSERT INTO {table} ({names}, "uuid") VALUES ({marks})', batch)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # after the commit: deferred checks are done
            cursor.execute(f'ALTER TABLE {table} ALTER COLUMN "uuid" DROP DEFAULT')
        cursor.execute("ANALYZE")
    say(f"  {count:,} reports loaded in {time.perf_counter() - start:.1f} s")


def timed(name: str, work: Any, results: dict[str, Any]) -> Any:
    say(f"  {name}…")
    begin = time.perf_counter()
    value = work()
    results[name] = round(time.perf_counter() - begin, 2)
    say(f"  {name}: {results[name]} s")
    return value


def pandas_baseline(until: dt.date) -> dict[str, Any]:
    """Reports → counts per place (with ancestors) x type x day → matrix → EARS C2 and CUSUM."""
    import numpy as np
    import pandas as pd
    from django.db import connection

    from i4p.geo.models import Place
    from i4p.warning import detection

    begin = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT place_id, event_type_id, occurred_at FROM warning_report "
            "WHERE time_precision IN ('minute', 'hour', 'day')"
        )
        frame = pd.DataFrame(cursor.fetchall(), columns=["place", "type", "at"])
    read = time.perf_counter() - begin
    frame["day"] = pd.to_datetime(frame["at"], utc=True).dt.floor("D")
    chains = pd.DataFrame(
        [
            (pk, int(a))
            for pk, path in Place.objects.values_list("pk", "path")
            for a in path.strip("/").split("/")
        ],
        columns=["place", "ancestor"],
    )
    expanded = frame.merge(chains, on="place")
    by_type = expanded.groupby(["ancestor", "type", "day"]).size()
    by_place = expanded.groupby(["ancestor", "day"]).size()
    days = pd.date_range(str(FIRST_DAY), str(until), tz="UTC")
    alarms = 0
    for counts in (by_type, by_place):
        matrix = counts.unstack("day", fill_value=0).reindex(columns=days, fill_value=0)
        values = matrix.to_numpy(dtype=np.float64)
        for method in ("ears_c2", "cusum"):
            # In blocks of rows, as the scan does: the whole matrix at once, with the
            # methods' intermediate matrices, does not fit in this machine's memory.
            for block in range(0, len(values), 2048):
                alarms += int(detection.detect(values[block : block + 2048], method).alarm.sum())
    return {"read_s": round(read, 2), "alarms": alarms, "rows": len(frame)}


def bare_aggregate() -> int:
    from django.db import connection

    day = "occurred_at::date" if connection.vendor == "postgresql" else "date(occurred_at)"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT place_id, event_type_id, {day}, count(*) FROM warning_report GROUP BY 1, 2, 3"
        )
        return len(cursor.fetchall())


def measure(reports: int, *, keep_counts: bool = False) -> dict[str, Any]:
    from i4p.warning import analysis
    from i4p.warning.models import Count, IndicatorFramework, Signal

    until = FIRST_DAY + dt.timedelta(days=DAYS - 1)
    results: dict[str, Any] = {"reports": reports}
    framework = IndicatorFramework.objects.get(is_active=True)
    results["methods"] = list(analysis.settings_of(framework).methods)
    Signal.objects.all().delete()
    if keep_counts and Count.objects.exists():
        say("  rebuild_counts: skipped (--keep-counts)")
    else:
        timed("rebuild_counts", analysis.rebuild_counts, results)
    results["count_rows"] = Count.objects.count()
    first = timed("scan (first: stores every signal)", lambda: analysis.scan(until=until), results)
    results["scan_parts"] = {k: round(v, 2) for k, v in first.seconds.items()}
    results["series"], results["cells"] = first.series, first.cells
    results["alarms"], results["signals"] = first.alarms, Signal.objects.count()
    again = timed("scan (again: signals stored)", lambda: analysis.scan(until=until), results)
    results["again_parts"] = {k: round(v, 2) for k, v in again.seconds.items()}
    return results


def baselines() -> dict[str, Any]:
    """Run in a process of their own: the pandas baseline needs most of the machine's memory
    at full scale, and must not inherit what the scan left behind."""
    until = FIRST_DAY + dt.timedelta(days=DAYS - 1)
    results: dict[str, Any] = {}
    results["pandas"] = timed("pandas group-by baseline", lambda: pandas_baseline(until), results)
    results["aggregate_rows"] = timed("bare aggregate query", bare_aggregate, results)
    return results


def child(task: str, reports: int, seed: int, keep_counts: bool) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("I4P_DEMO", "1")  # generated keys, as in the demo
    import django

    django.setup()
    if task == "fill":
        fill(reports, seed)
    elif task == "baselines":
        print(json.dumps(baselines()), flush=True)
    else:
        print(json.dumps(measure(reports, keep_counts=keep_counts)), flush=True)


def environment(database: str, reports: int) -> dict[str, str]:
    env = dict(os.environ)
    if database == "sqlite":
        env.pop("DATABASE_URL", None)
        env["I4P_SQLITE_PATH"] = f"/tmp/i4p_bench_analysis_{reports}.sqlite3"
        return env
    name = f"i4p_bench_analysis_{reports}"
    exists = subprocess.run(
        [
            "psql",
            f"{PG_SERVER}/postgres",
            "-tAc",
            f"SELECT 1 FROM pg_database WHERE datname = '{name}'",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    if not exists:
        subprocess.run(
            ["psql", f"{PG_SERVER}/postgres", "-q", "-c", f"CREATE DATABASE {name}"],
            check=True,
            capture_output=True,
        )
    env["DATABASE_URL"] = f"{PG_SERVER}/{name}"
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument("--reports", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--keep-counts",
        action="store_true",
        help="Skip rebuild_counts when the count table is already filled (same reports).",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.reports, args.seed, args.keep_counts)
        return
    env = environment(args.database, args.reports)
    env["I4P_TASKS_BACKEND"] = "django_tasks.backends.dummy.DummyBackend"
    subprocess.run(
        [sys.executable, "-m", "i4p.cli", "migrate", "-v", "0"], env=env, check=True, cwd=ROOT
    )
    me = [sys.executable, __file__, "--reports", str(args.reports), "--seed", str(args.seed)]
    if args.keep_counts:
        me.append("--keep-counts")
    say(f"building {args.reports:,} reports on {args.database} (once per scale)")
    subprocess.run([*me, "--child", "fill"], env=env, check=True, cwd=ROOT)
    load = Path("/proc/loadavg").read_text().split()[:3]

    def step_result(step: str) -> dict[str, Any]:
        """Run one step in its own process; its last line of output is its JSON result."""
        out = subprocess.run(
            [*me, "--child", step], env=env, check=True, cwd=ROOT, stdout=subprocess.PIPE, text=True
        ).stdout
        result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
        return result

    r = step_result("measure")
    r.update(step_result("baselines"))
    print(
        f"\n{args.database}: {r['reports']:,} reports, load average {' '.join(load)} at the start"
    )
    print(
        f"methods {', '.join(r['methods'])}; {r['count_rows']:,} count rows; "
        f"{r['series']:,} series, {r['cells']:,} cells; {r['alarms']:,} alarms, "
        f"{r['signals']:,} signals"
    )
    print("| step | seconds | detail |")
    print("|---|---:|---|")
    rebuilt = r.get("rebuild_counts", "kept from the last run")
    print(f"| rebuild_counts | {rebuilt} | {r['count_rows']:,} rows |")
    print(
        f"| scan, first (stores the signals) | {r['scan (first: stores every signal)']} "
        f"| {r['scan_parts']} |"
    )
    print(
        f"| scan, again (nothing new) | {r['scan (again: signals stored)']} | {r['again_parts']} |"
    )
    print(f"| pandas group-by baseline | {r['pandas group-by baseline']} | {r['pandas']} |")
    print(
        f"| bare aggregate query | {r['bare aggregate query']} | {r['aggregate_rows']:,} groups |"
    )


if __name__ == "__main__":
    main()
