"""Benchmark: from a report's commit to its alert's delivery, at a fixed rate of reports.

    .venv/bin/python bench/delivery.py                                # SQLite, 100/s for 20 s
    .venv/bin/python bench/delivery.py --database postgresql --task-workers 2
    .venv/bin/python bench/delivery.py --database postgresql --task-workers 2 --alerting 0.03
    .venv/bin/python bench/delivery.py --rate 5 --seconds 3           # a quick small run

What runs: gunicorn (the product's WSGI app with `bench.delivery_app` settings) and
`--task-workers` database task workers (`i4p db_worker`, 0.1 s poll), as `i4p serve` runs them
(`I4P_TASK_WORKERS`, `I4P_TASK_POLL_SECONDS`).
Reports are POSTed to `/api/v1/reports` at `--rate` per second (open loop, from this process).
`--alerting` is the share of them that make an alert, spread evenly through the run:
- `--alerting 1` (the default, the stress case): every report is about a district of its own
  and makes its own signal and alert (one alert per place and series is the product's rule),
  so 100 reports/s are 100 alerts/s;
- `--alerting 0.03` (the issue's load): 100 reports/s of which 3 a second complete a burst and
  make an alert; the others are ordinary reports, at most two today in each of their districts,
  which are counted and scanned like any report but raise nothing (the run counts the alerts
  they made nonetheless: "alerts made by ordinary reports").
A rule issues at once; the national peace council covering the country is alerted by e-mail
(its address and its member's) and in the app.

Measured per report that makes an alert, from its commit (`Report.created_at`, written in the
commit):
- *i4p*: to the first `Delivery.sent_at` of the alert it made, and to the last one; the path is
  report commit → count task → signal → rule → alert issued → routed → delivery task → sent;
- *bare task round trip* (the baseline, same run, same workers): to a task queued on the same
  commit that only writes a timestamp. It is queued for the reports that make an alert only
  (all of them in the stress case): the floor one task hop sets under the same load.
E-mail goes through Django's console backend into /dev/null: the whole of i4p's send path,
without the latency of a mail server, which is the mail server's and not i4p's.

`--analysis product` (the default, the measure of record) is the product's own path: each
district of a report that makes an alert was primed with three clashes today (no signal yet),
so the report the bench sends is the fourth, and the count task it queues in its commit
recounts, scans, finds the signal and applies the rule. `--analysis stand-in` skips counting
and detection: `bench/delivery_hook.py` writes the signal the scan would write and applies the
rule (the product's count task still runs beside it in the same worker): what is left of the
latency without the analysis.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SQLITE_PATH = "/tmp/i4p_bench_delivery.sqlite3"
PG_SERVER = os.environ.get("I4P_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
PG_NAME = "i4p_bench_delivery"
PORT = 8766
# In the description of the reports that make an alert: the bench hook (`delivery_hook.MARK`,
# the same words) queues the baseline task for them, and the measurement picks them out.
MARK = "[bench: makes an alert]"


def alerting_plan(total: int, share: float) -> list[bool]:
    """Which of the `total` reports make an alert: `share` of them, evenly spread."""
    return [int((i + 1) * share) > int(i * share) for i in range(total)]


def environment(database: str, analysis: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)
    env["DJANGO_SETTINGS_MODULE"] = "bench.delivery_app"
    env.setdefault("I4P_DEMO", "1")  # generated keys, as in the demo
    env["I4P_ALLOWED_HOSTS"] = "127.0.0.1,localhost,testserver"
    env["I4P_EMAIL_BACKEND"] = "django.core.mail.backends.console.EmailBackend"
    env["BENCH_ANALYSIS"] = analysis
    env["I4P_LOG_LEVEL"] = "WARNING"  # no line per task from the workers
    if database == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(SQLITE_PATH + suffix).unlink(missing_ok=True)
        env.pop("DATABASE_URL", None)
        env["I4P_SQLITE_PATH"] = SQLITE_PATH
    else:
        for statement in (f"DROP DATABASE IF EXISTS {PG_NAME}", f"CREATE DATABASE {PG_NAME}"):
            subprocess.run(["psql", f"{PG_SERVER}/postgres", "-q", "-c", statement], check=True)
        env["DATABASE_URL"] = f"{PG_SERVER}/{PG_NAME}"
    return env


# -- children: set-up and measurement, inside Django -----------------------------------------


def setup_child(total: int, share: float) -> None:
    """A country with a district for each report that makes an alert and one for every two
    ordinary reports, the national council, a member, a rule, a token; prints the district of
    each report in the order they are sent, and whether it makes an alert."""
    import django

    django.setup()
    from i4p.accounts.services import issue_token
    from i4p.geo.tests.factories import make_place
    from i4p.registry.models import (
        Actor,
        ActorKind,
        ContactPoint,
        Level,
        Moderation,
        Representative,
    )
    from i4p.warning.models import AlertRule
    from i4p.warning.tests.builders import build_warning_world, staff

    world = build_warning_world()
    plan = alerting_plan(total, share)
    alerting = sum(plan)
    ordinary = (total - alerting + 1) // 2
    districts = [
        make_place(f"District {n}", kind="admin2", parent=world.northern)
        for n in range(alerting + ordinary)
    ]
    bursting, quiet = districts[:alerting], districts[alerting:]
    council = Actor.objects.create(
        name="National Peace Council",
        kind=ActorKind.PEACE_COUNCIL,
        level=Level.NATIONAL,
        moderation=Moderation.PUBLISHED,
    )
    council.coverage.add(world.ghana)
    ContactPoint.objects.create(actor=council, kind="email", value="npc@example.org")
    member = staff("npc-member", "member", world.ghana)
    Representative.objects.create(user=member, actor=council)
    AlertRule.objects.create(
        framework=world.framework,
        name="Bench: every signal, at once",
        methods=[],
        min_observed=1,
        issue_at_once=True,
    )
    if os.environ.get("BENCH_ANALYSIS") == "product":
        prime_for_bursts(world, bursting)
    _token, plain = issue_token(world.monitor, by=None, name="bench", scope="write")
    sent: list[tuple[str, bool]] = []
    next_burst, next_quiet = iter(bursting), iter(quiet * 2)
    for alerts in plan:
        sent.append((str(next(next_burst if alerts else next_quiet).uuid), alerts))
    print(json.dumps({"token": plain, "reports": sent}))


def prime_for_bursts(world: Any, districts: list[Any]) -> None:
    """For the product's own analysis: each district had one clash five weeks ago and three
    today, counted and scanned (no signal: three where none are usual is not yet improbable
    enough, P = 0.002 against the default 0.001), so the report the bench sends, the fourth,
    is the one that makes the signal (P = 0.0001) and the alert."""
    import datetime as dt

    from django.utils import timezone

    from i4p.warning import analysis
    from i4p.warning.models import Alert, EventType, Report

    clash = EventType.objects.get(framework=world.framework, code="battles.armed_clash")
    now = timezone.now()
    Report.objects.bulk_create(
        Report(
            kind="incident",
            framework=world.framework,
            channel="web",
            received_at=when,
            occurred_at=when,
            place=place,
            place_precision="admin2",
            event_type=clash,
        )
        for place in districts
        for when in (
            now - dt.timedelta(days=35),
            *[now - dt.timedelta(minutes=m) for m in (1, 2, 3)],
        )
    )
    analysis.rebuild_counts()
    analysis.scan()
    assert not Alert.objects.exists(), "the priming alone must not alert"


def measure_child(expected: int, wait: float) -> None:
    """Wait for the deliveries, then the latencies (ms) per report that makes an alert, as
    JSON."""
    import django

    django.setup()
    from django.db.models import Max, Min

    from i4p.core.models import Heartbeat
    from i4p.warning.models import Alert, Delivery, DeliveryState, Report

    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        pending = Delivery.objects.exclude(state=DeliveryState.SENT).count()
        sent = Report.objects.filter(
            channel="api", description__contains=MARK, alerts__deliveries__isnull=False
        )
        reached = sent.distinct().count()
        if reached >= expected and pending == 0:
            break
        time.sleep(0.5)
    first: list[float] = []
    last: list[float] = []
    bare: list[float] = []
    beats = dict(Heartbeat.objects.filter(name__startswith="b-").values_list("name", "seen_at"))
    # The reports the bench sent to make an alert (the primed ones came in by the web form).
    reports = (
        Report.objects.filter(channel="api", description__contains=MARK)
        .annotate(first=Min("alerts__deliveries__sent_at"), last=Max("alerts__deliveries__sent_at"))
        .values_list("uuid", "created_at", "first", "last")
    )
    missing = 0
    for uuid, created, sent_first, sent_last in reports:
        if sent_first is None:
            missing += 1
        else:
            first.append((sent_first - created).total_seconds() * 1000)
            last.append((sent_last - created).total_seconds() * 1000)
        beat = beats.get(f"b-{uuid}")
        if beat is not None:
            bare.append((beat - created).total_seconds() * 1000)
    failed = Delivery.objects.filter(state=DeliveryState.FAILED).count()
    # Alerts made by ordinary reports would mean the scenario is not what it says.
    stray = Alert.objects.exclude(reports__description__contains=MARK).count()
    print(
        json.dumps(
            {
                "first": first,
                "last": last,
                "bare": bare,
                "missing": missing,
                "failed": failed,
                "stray": stray,
            }
        )
    )


# -- the run ----------------------------------------------------------------------------------


def post_reports(token: str, reports: list[list[Any]], rate: float) -> dict[str, Any]:
    """Open loop: report i is due at start + i/rate, about its district."""
    due: queue.Queue[tuple[float, str, bool] | None] = queue.Queue()
    failures = [0]
    lock = threading.Lock()
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}

    def worker() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        while (item := due.get()) is not None:
            _when, place, alerts = item
            words = "Two groups clashed near the market."
            body = json.dumps(
                {
                    "event_type": "battles.armed_clash",
                    "place": place,
                    "description": f"{words} {MARK}" if alerts else words,
                }
            )
            try:
                connection.request("POST", "/api/v1/reports", body=body, headers=headers)
                answer = connection.getresponse()
                answer.read()
                ok = answer.status in (200, 201)
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
                ok = False
            with lock:
                failures[0] += not ok

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(32)]
    for thread in threads:
        thread.start()
    start = time.perf_counter()
    for i, (place, alerts) in enumerate(reports):
        when = start + i / rate
        pause = when - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        due.put((when, place, alerts))
    for _ in threads:
        due.put(None)
    for thread in threads:
        thread.join()
    return {"n": len(reports), "failures": failures[0]}


def start(env: dict[str, str], web_workers: int, task_workers: int) -> list[subprocess.Popen[Any]]:
    processes: list[subprocess.Popen[Any]] = [
        subprocess.Popen(
            [sys.executable, "-m", "i4p.cli", "db_worker", "--interval", "0.1", "--no-reload"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,  # the console e-mail backend writes here
        )
        for _ in range(task_workers)
    ]
    processes.append(
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi:application",
                "--bind",
                f"127.0.0.1:{PORT}",
                "--workers",
                str(web_workers),
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=ROOT,
        )
    )
    for _ in range(100):
        try:
            http.client.HTTPConnection("127.0.0.1", PORT, timeout=1).request("GET", "/health/")
            return processes
        except OSError:
            time.sleep(0.2)
    stop(processes)
    raise SystemExit("gunicorn did not start")


def stop(processes: list[subprocess.Popen[Any]]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def percentiles(values: list[float]) -> str:
    if not values:
        return "| — | — | — | — |"
    values = sorted(values)

    def pct(share: float) -> float:
        return values[min(len(values) - 1, int(len(values) * share))]

    return f"| {pct(0.5):.0f} | {pct(0.95):.0f} | {pct(0.99):.0f} | {values[-1]:.0f} |"


def child(env: dict[str, str], *args: str) -> dict[str, Any]:
    output = subprocess.run(
        [sys.executable, __file__, *args],
        env=env,
        check=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout
    answer: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return answer


def run(database: str, args: argparse.Namespace) -> None:
    env = environment(database, args.analysis)
    subprocess.run(
        [sys.executable, "-m", "i4p.cli", "migrate", "-v", "0"], env=env, check=True, cwd=ROOT
    )
    total = int(args.rate * args.seconds)
    world = child(env, "--child-setup", str(total), "--alerting", str(args.alerting))
    alerting = sum(alerts for _place, alerts in world["reports"])
    processes = start(env, args.web_workers, args.task_workers)
    try:
        posted = post_reports(world["token"], world["reports"], args.rate)
        # A failed post is most likely an alerting one in the stress case; in general the
        # wait ends at `--wait` when fewer arrive.
        result = child(env, "--child-measure", str(alerting - posted["failures"]))
    finally:
        stop(processes)
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    print(
        f"\n{database}: {posted['n']} reports at {args.rate:g}/s, {alerting} of them making an "
        f"alert ({alerting / args.seconds:g}/s), {args.web_workers} web and "
        f"{args.task_workers} task workers; load average {load} at the end"
    )
    print("| from report commit to … (ms) | p50 | p95 | p99 | max |")
    print("|---|---:|---:|---:|---:|")
    print(f"| bare task round trip (baseline) {percentiles(result['bare'])}")
    print(f"| i4p: first delivery sent {percentiles(result['first'])}")
    print(f"| i4p: every delivery of the alert sent {percentiles(result['last'])}")
    print(
        f"posting failures {posted['failures']}, reports with no delivery {result['missing']}, "
        f"failed deliveries {result['failed']}, alerts made by ordinary reports "
        f"{result['stray']}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--task-workers", type=int, default=1)
    parser.add_argument("--analysis", choices=["stand-in", "product"], default="product")
    parser.add_argument(
        "--alerting", type=float, default=1.0, help="Share of the reports that make an alert."
    )
    parser.add_argument("--wait", type=float, default=120, help="Seconds to wait to drain.")
    parser.add_argument("--child-setup", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--child-measure", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_setup is not None:
        setup_child(args.child_setup, args.alerting)
        return
    if args.child_measure is not None:
        measure_child(args.child_measure, args.wait)
        return
    for database in ("sqlite", "postgresql") if args.database == "both" else (args.database,):
        run(database, args)


if __name__ == "__main__":
    main()
