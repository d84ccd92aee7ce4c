"""Done means: replaying UCDP's Syria events (GED 19.1, 2016 to November 2019) month by month
raises signals in the governorates and months where the data itself shows an escalation.

Every event becomes a report in its governorate (GED's `adm_1`, spelled as the gazetteer of
`test_ucdp_syria_replay` knows it), or in Syria alone when GED knows only a region or the
country (`where_prec` 5-6, or no `adm_1`); its time precision is GED's (`date_prec`: day,
week, month or year). Reports are bulk-created, not posted through the API: the API replay
of every event takes minutes (see `test_ucdp_syria_replay`), and what is tested here is the
analysis. At the end of each month the month's reports go in, the count cells they touch are
recounted (`recount`, the task's own path) and the series of those places scanned for that
month (`scan(places=..., since=month start, until=month end)`): what the incremental task does.

The framework scans months only, with the default methods (EARS C2 and CUSUM) and the default
monthly parameters (docs/analysis.md); the measure is the number of events.

The escalations named (each visible in the monthly event counts of the file; the test prints
them): the Raqqa campaign (Ar Raqqah, March-October 2017), the Deir ez-Zor offensives (May-June
and September-November 2017), Eastern Ghouta (Rif Dimashq, February-April 2018), Daraa and the
south (February 2017; June-July 2018), the Idlib / northern Hama offensive (April-August 2019,
Latakia's mountains with it) and the Turkish offensive in the north-east (Al Hasakah and Ar
Raqqah, October-November 2019). Also in the data and named: Afrin (Aleppo, January-March 2018),
Yarmouk camp (Damascus, April-May 2018), the attacks on As Suwayda (June-August 2018).

Not found, and why: Aleppo in late 2016 (the siege and fall of eastern Aleppo). The file starts
in January 2016 with Aleppo already at war: November 2016 (251 events) against the six months
before (mean 178, sd 55) is 1.3 standard deviations, no anomaly for any method; only the data
before 2016 would show that escalation.
"""

from __future__ import annotations

import collections
import csv
import datetime as dt
import gzip
from pathlib import Path

import pytest

from conftest import shared_file
from i4p.geo.loaders import load_places
from i4p.geo.matching import match_key
from i4p.geo.models import Place, PlaceKind
from i4p.warning import analysis
from i4p.warning.external import UCDP_TIME, UCDP_VIOLENCE
from i4p.warning.frameworks import load_default_framework
from i4p.warning.models import Channel, EventType, PlacePrecision, Report, Signal
from i4p.warning.tests.test_ucdp_syria_replay import governorate_polygons, names_of_governorates

pytestmark = pytest.mark.django_db

Month = tuple[int, int]


def months(first: Month, last: Month) -> set[Month]:
    found, (year, month) = set(), first
    while (year, month) <= last:
        found.add((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


# Governorate (as the gazetteer names it, folded) → months of escalation named above.
ESCALATIONS: dict[str, set[Month]] = {
    "ar raqqah": months((2016, 11), (2017, 10)) | months((2019, 10), (2019, 11)),
    "rif dimashq": months((2018, 1), (2018, 4)),
    "dar a": months((2017, 2), (2017, 3)) | months((2018, 6), (2018, 7)),
    "al ladhiqiyah": months((2019, 5), (2019, 8)),
    "al hasakah": months((2019, 10), (2019, 11)),
    "halab": months((2018, 1), (2018, 3)),
    "as suwayda": months((2018, 6), (2018, 8)),
    # Named battles the monthly counts also show: the Hama offensive (August-October 2016),
    # Quneitra (September 2016), Palmyra (Homs, December 2016-March 2017), Jobar (Damascus,
    # March-April 2017), Abu al-Duhur (Idlib, December 2017-February 2018), Hajin (Deir
    # ez-Zor, September-December 2018).
    "hamah": months((2016, 8), (2016, 10)) | months((2019, 4), (2019, 8)),
    "al qunaytirah": {(2016, 9)},
    "hims": months((2016, 12), (2017, 3)),
    "dimashq": months((2017, 3), (2017, 4)) | months((2018, 4), (2018, 5)),
    "idlib": months((2017, 12), (2018, 2)) | months((2019, 2), (2019, 8)),
    "dayr az zawr": months((2017, 5), (2017, 6))
    | months((2017, 9), (2017, 11))
    | months((2018, 9), (2018, 12)),
}
# The country's own series adds up every governorate: any month named above is named for it.
ESCALATIONS["syria"] = set().union(*ESCALATIONS.values())
# What the test asserts: a signal in each of these governorate-months (or in one of the months
# of the span given).
MUST_FIND: dict[str, set[Month]] = {
    "ar raqqah": months((2017, 3), (2017, 6)),
    "dayr az zawr": months((2017, 9), (2017, 10)),
    "rif dimashq": months((2018, 2), (2018, 3)),
    "dar a": months((2018, 6), (2018, 7)),
    "idlib": {(2019, 5)},
    "hamah": months((2019, 5), (2019, 6)),
    "al hasakah": {(2019, 10)},
}


@pytest.mark.slow
def test_replaying_ucdp_syria_month_by_month_signals_the_escalations_in_the_data(
    tmp_path: Path,
) -> None:
    source = shared_file("ucdp/data4ds4da_ucdp_syria_ged191.csv.gz")
    load_places(["SY"], progress=False)
    names = names_of_governorates(governorate_polygons(tmp_path))
    framework = load_default_framework()
    framework.parameters = {"periods": ["month"]}
    framework.save(update_fields=["parameters"])
    syria = Place.objects.get(kind=PlaceKind.COUNTRY, country_code="SY")
    governorates = {place.pk: place for place in Place.objects.filter(pk__in=names.values())}
    types = {t.code: t for t in EventType.objects.filter(framework=framework)}
    with gzip.open(source, "rt", encoding="utf-8", newline="") as handle:
        rows = sorted(csv.DictReader(handle), key=lambda row: row["date_start"])

    by_month: dict[Month, list[Report]] = collections.defaultdict(list)
    for row in rows:
        start = dt.date.fromisoformat(row["date_start"][:10])
        governorate = names.get(match_key(row["adm_1"])) if row["adm_1"] else None
        known_place = governorate is not None and float(row["where_prec"]) < 5
        when = dt.datetime.combine(start, dt.time(12), tzinfo=dt.UTC)
        by_month[(start.year, start.month)].append(
            Report(
                kind="incident",
                framework=framework,
                channel=Channel.API,
                received_at=when,
                occurred_at=when,
                time_precision=UCDP_TIME[int(float(row["date_prec"]))],
                place=governorates[governorate] if known_place and governorate else syria,
                place_precision=PlacePrecision.ADMIN1 if known_place else PlacePrecision.COUNTRY,
                event_type=types[UCDP_VIOLENCE[int(float(row["type_of_violence"]))][0]],
                killed=int(float(row["best"])),
                description=row["source_headline"][:2000],
            )
        )

    for year, month in sorted(by_month):
        stored = Report.objects.bulk_create(by_month[(year, month)], batch_size=1000)
        places, _earliest = analysis.recount(analysis.groups_of(stored))
        first = dt.date(year, month, 1)
        analysis.scan(
            framework=framework,
            places=places,
            since=first,
            until=analysis.period_end(first, "month") - dt.timedelta(days=1),
        )

    # The counts kept month by month are the counts of a full rebuild.
    kept = sorted(analysis.read_counts().tolist())
    analysis.rebuild_counts()
    assert sorted(analysis.read_counts().tolist()) == kept

    signals = Signal.objects.filter(period="month", series="all").select_related("place")
    found: dict[str, set[Month]] = collections.defaultdict(set)
    for signal in signals:
        key = match_key(signal.place.name)
        found[key].add((signal.period_start.year, signal.period_start.month))
    named_hits = {g: found[g] & span for g, span in ESCALATIONS.items() if found[g] & span}
    elsewhere = sorted(
        (g, m) for g, hit in found.items() for m in hit if m not in ESCALATIONS.get(g, set())
    )
    gov_months = sum(len(hit) for hit in found.values())
    print(
        f"\nUCDP GED Syria, {len(rows)} events replayed month by month as reports; month "
        f"signals (EARS C2 + CUSUM, events per governorate, 'all' series): {gov_months} "
        f"place-months with a signal, {gov_months - len(elsewhere)} inside the named "
        f"escalations, {len(elsewhere)} elsewhere (false alarms by this test's list):\n  "
        + ", ".join(f"{g} {y}-{m:02d}" for g, (y, m) in elsewhere)
        + "\nNamed escalations found: "
        + "; ".join(
            f"{g}: " + " ".join(f"{y}-{m:02d}" for y, m in sorted(hit))
            for g, hit in sorted(named_hits.items())
        )
    )
    missing = {g: span for g, span in MUST_FIND.items() if not found[g] & span}
    assert not missing, f"no signal in {missing}"
    # No month of the year-long, country-only rows reaches a governorate.
    assert not Signal.objects.filter(place=syria, period="day").exists()
    # Most signals fall inside escalations the data shows, not elsewhere.
    assert len(elsewhere) <= gov_months // 2
