"""Benchmark of actor search: `GET /api/v1/actors?q=…` over 100,000 actors, on both databases.

    .venv/bin/python bench/search.py                      # SQLite, then PostgreSQL
    .venv/bin/python bench/search.py --database sqlite    # one of them
    .venv/bin/python bench/search.py --actors 20000 --queries 200

Each database is a throwaway: a SQLite file in /tmp and the PostgreSQL database
`i4p_bench_search` (dropped and made again; set I4P_BENCH_PG to another server URL).
Same run, same queries: the full API stack in-process (Django's test Client: URL routing,
middleware, auth, scoping, schemas, JSON) side by side with the baseline, the bare full-text
SQL query of that database returning the same first page of ids. Every query checks that both
return the same page.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SQLITE_PATH = "/tmp/i4p_bench_search.sqlite3"
PG_SERVER = os.environ.get("I4P_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
PG_NAME = "i4p_bench_search"
PAGE = 20
TARGET_P95_MS = 20.0
COUNT_LIMIT = 1000  # i4p.registry.selectors.COUNT_LIMIT

PLACES = [
    "Tamale",
    "Bawku",
    "Bolgatanga",
    "Yendi",
    "Wa",
    "Ho",
    "Kumasi",
    "Accra",
    "Techiman",
    "Sunyani",
    "Nairobi",
    "Kisumu",
    "Eldoret",
    "Garissa",
    "Mombasa",
    "Marsabit",
    "Osh",
    "Jalal-Abad",
    "Batken",
    "Bishkek",
    "Kaduna",
    "Jos",
    "Maiduguri",
    "Bamenda",
    "Goma",
    "Bukavu",
    "Bunia",
    "Gulu",
    "Juba",
    "Malakal",
    "Bamako",
    "Mopti",
    "Gao",
    "Tillaberi",
    "Dori",
    "Ouahigouya",
    "Kidal",
    "Agadez",
    "Zinder",
    "Abeche",
    "Bangui",
    "Bossangoa",
    "Cotabato",
    "Marawi",
    "Ambon",
    "Poso",
    "Dili",
    "Honiara",
    "Bougainville",
    "Suva",
]
# A few rare words: each lands in only a handful of names.
RARE = [
    "Zanzibari",
    "Ouarzazate",
    "Tombouctou",
    "Kpandai",
    "Chereponi",
    "Nkwanta",
    "Saboba",
    "Gushegu",
]
QUALIFIERS = [
    "Women's",
    "Youth",
    "Interfaith",
    "Community",
    "Traditional",
    "Christian",
    "Muslim",
    "Farmers",
    "Herders",
    "Students",
    "Elders",
    "Veterans",
    "Pastoralist",
    "Civic",
    "Democratic",
    "Regional",
    "District",
    "National",
    "Local",
    "Grassroots",
]
BODIES = [
    "Peace Committee",
    "Peace Council",
    "Peace Network",
    "Forum for Peace",
    "Dialogue Platform",
    "Association",
    "Initiative",
    "Coalition",
    "Union",
    "Centre for Conflict Resolution",
    "Mediation Group",
    "Early Warning Network",
    "Peacebuilding Network",
    "Reconciliation Committee",
    "Development Trust",
    "Foundation",
    "Alliance",
    "Council of Elders",
    "Human Rights Watch Group",
    "Action Network",
]
FRENCH = ["Réseau", "Comité de paix", "Conseil", "Association", "Forum", "Plateforme de dialogue"]
KINDS = ["cso", "network", "lpc", "peace_council", "government", "traditional", "academic"]
LEVELS = ["community", "district", "subnational", "national", "regional"]
THEMES = ["mediation", "early-warning", "youth", "women", "land", "elections", "religion"]


def initials(name: str) -> str:
    letters = [w[0] for w in name.replace("'", "").split() if w[0].isalpha() and len(w) > 2]
    return "".join(letters).upper()[:8]


def make_name(rng: random.Random) -> tuple[str, str, list[str]]:
    place = rng.choice(PLACES)
    if rng.random() < 0.002:
        place = rng.choice(RARE)
    body = rng.choice(BODIES)
    shape = rng.random()
    if shape < 0.4:
        name = f"{place} {rng.choice(QUALIFIERS)} {body}"
    elif shape < 0.7:
        name = f"{rng.choice(QUALIFIERS)} {body} of {place}"
    else:
        name = f"{place} {body}"
    acronym = initials(name) if rng.random() < 0.6 else ""
    other_names = [f"{rng.choice(FRENCH)} de {place}"] if rng.random() < 0.15 else []
    return name, acronym, other_names


# -- one database, in its own process (Django settings are per process) ---------------------


def fill(count: int, seed: int) -> list[str]:
    """Make the schema and `count` actors; return their acronyms (for acronym queries)."""
    from django.core.management import call_command
    from django.db import connection, transaction

    from i4p.geo.models import Place
    from i4p.registry.models import Actor, Theme
    from i4p.registry.services import _search_text

    call_command("migrate", verbosity=0)
    rng = random.Random(seed)
    started = time.perf_counter()
    with transaction.atomic():
        country = Place.objects.create(name="Benchland", kind="country", country_code="BL")
        country.path = f"/{country.pk}/"
        country.save()
        places = []
        for name in PLACES[:40]:
            place = Place.objects.create(
                name=name, kind="admin1", parent=country, country_code="BL", depth=1
            )
            place.path = f"{country.path}{place.pk}/"
            place.save()
            places.append(place)
        themes = [Theme.objects.create(slug=slug, name=slug.title()) for slug in THEMES]
        actors = []
        acronyms = []
        for _ in range(count):
            name, acronym, other_names = make_name(rng)
            actor = Actor(
                name=name,
                acronym=acronym,
                other_names=other_names,
                kind=rng.choice(KINDS),
                level=rng.choice(LEVELS),
                place=rng.choice(places),
                moderation="published" if rng.random() < 0.95 else "pending",
            )
            actor.search_text = _search_text(actor)
            actors.append(actor)
            if acronym:
                acronyms.append(acronym)
        # The insert trigger fills the FTS5 index row by row on SQLite; PostgreSQL's GIN index
        # is maintained by the insert itself.
        Actor.objects.bulk_create(actors, batch_size=2000)
        links = []
        through = Actor.themes.through
        for actor in Actor.objects.only("id"):
            for theme in rng.sample(themes, rng.choice([0, 1, 1, 2])):
                links.append(through(actor_id=actor.pk, theme_id=theme.pk))
        through.objects.bulk_create(links, batch_size=5000)
    with connection.cursor() as cursor:
        # What autovacuum would have done by the time anyone searches.
        cursor.execute("ANALYZE" if connection.vendor == "sqlite" else "VACUUM ANALYZE")
        if connection.vendor == "sqlite":
            cursor.execute("INSERT INTO registry_actor_fts(registry_actor_fts) VALUES ('optimize')")
    print(f"  filled {count:,} actors in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return acronyms


def queries(acronyms: list[str], per_kind: int, seed: int) -> list[tuple[str, str]]:
    rng = random.Random(seed + 1)
    common = ["peace", "committee", "network", "youth", "council", "women", "forum"]
    prefixes = [p[:3].lower() for p in PLACES] + ["pea", "com", "net", "you", "wo", "me"]
    made: list[tuple[str, str]] = []
    for _ in range(per_kind):
        made.append(("common word", rng.choice(common)))
        made.append(("rare word", rng.choice(RARE)))
        made.append(("prefix", rng.choice(prefixes)))
        made.append(("two words", f"{rng.choice(PLACES)} {rng.choice(['peace', 'youth'])}"))
        made.append(("acronym", rng.choice(acronyms)))
    rng.shuffle(made)
    return made


def baseline_sql(vendor: str) -> dict[str, str]:
    """The same matching, the same order, the first page: what the API would cost at best.

    Up to 1,000 matches every one is ranked; past that ("1,000+") exact names and acronyms
    come first, then names starting with the words (alphabetical), then the rest by entry.
    """
    if vendor == "sqlite":
        matching = (
            "id IN (SELECT rowid FROM registry_actor_fts WHERE registry_actor_fts MATCH %(q)s)"
        )
        key = "substr(search_text, 1, 300)"
    else:
        matching = "to_tsvector('simple', search_text) @@ to_tsquery('simple', %(q)s)"
        key = 'substr(search_text, 1, 300) COLLATE "C"'
    acronym = "upper(acronym) = upper(%(phrase)s)"
    starts = f"{key} >= %(low)s AND {key} < %(high)s"
    order = (
        f"CASE WHEN search_text = %(phrase)s OR {acronym} THEN 0 "
        "WHEN search_text LIKE %(starts)s THEN 1 WHEN search_text LIKE %(word)s THEN 2 "
        "ELSE 3 END, length(search_text), name, id"
    )
    published = "SELECT uuid FROM registry_actor WHERE moderation = 'published'"
    return {
        "count": (
            f"SELECT count(*) FROM (SELECT 1 FROM registry_actor "
            f"WHERE moderation = 'published' AND {matching} LIMIT {COUNT_LIMIT + 1}) AS s"
        ),
        "ranked": f"{published} AND {matching} ORDER BY {order} LIMIT {PAGE}",
        "exact": (
            f"{published} AND (({key} = %(low)s AND search_text = %(phrase)s) OR {acronym}) "
            f"ORDER BY length(search_text), name, id LIMIT %(n)s"
        ),
        "starting": (
            f"{published} AND {starts} AND search_text <> %(phrase)s AND NOT {acronym} "
            f"ORDER BY {key}, id LIMIT %(n)s"
        ),
        "rest": (
            f"{published} AND {matching} AND NOT ({starts}) AND NOT {acronym} "
            f"ORDER BY id LIMIT %(n)s"
        ),
    }


def measure(acronyms: list[str], per_kind: int, seed: int) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client

    from i4p.registry.selectors import search_words

    client = Client()
    sql = baseline_sql(connection.vendor)
    runs = queries(acronyms, per_kind, seed)

    def baseline(text: str) -> list[str]:
        words = search_words(text)
        if connection.vendor == "sqlite":
            q = " AND ".join(f'"{w}"*' for w in words)
        else:
            q = " & ".join(f"'{w}':*" for w in words)
        phrase = " ".join(words)
        low = phrase[:300]
        params: dict[str, Any] = {
            "q": q,
            "phrase": phrase,
            "starts": f"{phrase}%",
            "word": f"% {phrase}%",
            "low": low,
            "high": low[:-1] + chr(ord(low[-1]) + 1),
        }
        with connection.cursor() as cursor:
            cursor.execute(sql["count"], params)
            if cursor.fetchone()[0] <= COUNT_LIMIT:
                cursor.execute(sql["ranked"], params)
                return [str(uuid.UUID(str(row[0]))) for row in cursor.fetchall()]
            page: list[str] = []
            for tier in ("exact", "starting", "rest"):
                cursor.execute(sql[tier], {**params, "n": PAGE - len(page)})
                page += [str(uuid.UUID(str(row[0]))) for row in cursor.fetchall()]
                if len(page) == PAGE:
                    break
            return page

    def api(text: str) -> tuple[list[str], int]:
        answer = client.get("/api/v1/actors", {"q": text, "limit": str(PAGE)})
        assert answer.status_code == 200, answer.content
        data = json.loads(answer.content)
        assert not data["count_is_lower_bound"] or data["count"] == COUNT_LIMIT, data["count"]
        # A count that stopped at the bound is kept as one more, shown as "1,000+".
        count = data["count"] + (1 if data["count_is_lower_bound"] else 0)
        return [item["uuid"] for item in data["items"]], count

    for _kind, text in runs[:20]:  # warm caches and connections
        api(text)
        baseline(text)
    timings: dict[str, dict[str, list[float]]] = {}
    counts: dict[str, list[int]] = {}
    for kind, text in runs:
        started = time.perf_counter()
        ids, count = api(text)
        api_ms = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        expected = baseline(text)
        sql_ms = (time.perf_counter() - started) * 1000
        assert ids == expected, (text, ids[:3], expected[:3])
        for group in (kind, "all"):
            timings.setdefault(group, {"api": [], "sql": []})
            timings[group]["api"].append(api_ms)
            timings[group]["sql"].append(sql_ms)
        counts.setdefault(kind, []).append(count)
    return {
        "vendor": connection.vendor,
        "timings": timings,
        "matches": {kind: statistics.median(values) for kind, values in counts.items()},
    }


def run_one(database: str, actors: int, per_kind: int, seed: int) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ.setdefault("I4P_DEMO", "1")  # generated keys, as in the demo
    import django

    django.setup()
    acronyms = fill(actors, seed)
    result = measure(acronyms, per_kind, seed)
    print(json.dumps(result))


# -- driver ---------------------------------------------------------------------------------


def prepare(database: str) -> dict[str, str]:
    env = dict(os.environ)
    if database == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(SQLITE_PATH + suffix).unlink(missing_ok=True)
        env.pop("DATABASE_URL", None)
        env["I4P_SQLITE_PATH"] = SQLITE_PATH
    else:
        for statement in (f"DROP DATABASE IF EXISTS {PG_NAME}", f"CREATE DATABASE {PG_NAME}"):
            subprocess.run(
                ["psql", f"{PG_SERVER}/postgres", "-q", "-c", statement],
                check=True,
                capture_output=True,
            )
        env["DATABASE_URL"] = f"{PG_SERVER}/{PG_NAME}"
    return env


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def report(result: dict[str, Any]) -> None:
    print(f"\n{result['vendor']}: GET /api/v1/actors?q=… (full stack) vs bare full-text SQL, ms")
    header = (
        f"{'query':<12} {'n':>4} {'matches':>8} | {'API p50':>8} {'p95':>7} {'p99':>7} "
        f"| {'SQL p50':>8} {'p95':>7} {'p99':>7}"
    )
    print(header)
    print("-" * len(header))
    for group, values in result["timings"].items():
        if group == "all":
            continue
        report_row(group, values, result["matches"].get(group))
    report_row("all", result["timings"]["all"], None)
    p95 = percentile(result["timings"]["all"]["api"], 0.95)
    verdict = "met" if p95 < TARGET_P95_MS else "MISSED"
    print(f"target p95 < {TARGET_P95_MS:.0f} ms through the API: {verdict} ({p95:.1f} ms)")


def report_row(group: str, values: dict[str, list[float]], matches: float | None) -> None:
    api, sql = values["api"], values["sql"]
    shown = f"{matches:,.0f}" if matches is not None else ""
    if matches is not None and matches > COUNT_LIMIT:
        shown = f"{COUNT_LIMIT:,}+"
    print(
        f"{group:<12} {len(api):>4} {shown:>8} | {percentile(api, 0.5):>8.2f} "
        f"{percentile(api, 0.95):>7.2f} {percentile(api, 0.99):>7.2f} | "
        f"{percentile(sql, 0.5):>8.2f} {percentile(sql, 0.95):>7.2f} {percentile(sql, 0.99):>7.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--actors", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300, help="total, five kinds alike")
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    per_kind = max(1, args.queries // 5)
    if args.one:
        run_one(args.one, args.actors, per_kind, args.seed)
        return
    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    print(f"{args.actors:,} actors, {per_kind * 5} queries, page of {PAGE}", file=sys.stderr)
    for database in databases:
        print(f"{database}:", file=sys.stderr)
        env = prepare(database)
        command = [
            sys.executable,
            __file__,
            "--one",
            database,
            "--actors",
            str(args.actors),
            "--queries",
            str(args.queries),
            "--seed",
            str(args.seed),
        ]
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        sys.stderr.write(done.stderr)
        if done.returncode:
            sys.exit(f"the {database} run failed")
        report(json.loads(done.stdout.strip().splitlines()[-1]))


if __name__ == "__main__":
    main()
