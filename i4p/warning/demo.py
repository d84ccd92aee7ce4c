"""The early-warning side of `i4p demo`: the default framework, a demo SMS gateway, a district
monitor and two analysts, and about forty invented reports across Ghana's Northern region and
elsewhere.

Every reporter is invented, and says so: names end in "(fictitious)" and numbers are taken from
+233 20 000 0xxx. Their identities are sealed like real ones. Reports come in through the
same intake service as real ones (web form and SMS), so re-running the demo stores nothing
twice: each carries an idempotency key or a gateway message id.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from i4p.accounts.models import STAFF_ROLES, Role, RoleGrant, User
from i4p.accounts.services import create_user, grant_role, start_two_factor
from i4p.core.audit import record_event
from i4p.geo.models import CodeScheme, Place, PlaceCode, PlaceKind
from i4p.registry.demo.data import DEMO_PASSWORD
from i4p.registry.demo.loader import DemoLogin, DemoSummary
from i4p.warning import analysis
from i4p.warning.configuration import save_configuration, set_gateway_secret
from i4p.warning.frameworks import load_default_framework
from i4p.warning.intake import (
    Draft,
    Identity,
    report_from_inbound,
    send_to_triage,
    store_inbound,
    submit_report,
)
from i4p.warning.models import (
    AlertRule,
    Channel,
    EventType,
    Gateway,
    InboundMessage,
    Indicator,
    IndicatorFramework,
    Period,
    Report,
    ReportKind,
    Sensitivity,
    SourceReliability,
    TimePrecision,
    ValueType,
    Verification,
)

Progress = Callable[[str], None]
GATEWAY_SLUG = "demo-sms"


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    region: str  # ISO 3166-2 code, or an ISO 3166-1 country code
    town: str = ""  # a district or town inside it, when there is one


USERS = (
    DemoUser("demo-monitor-tamale", Role.MONITOR, "GH-NP", "Tamale"),
    DemoUser("demo-analyst-northern", Role.ANALYST, "GH-NP"),
    DemoUser("demo-analyst-ghana", Role.ANALYST, "GH"),
)


@dataclass(frozen=True)
class DemoReport:
    key: str
    town: str
    region: str
    days_ago: int
    event: str = ""  # event type code; "" for a situation report
    description: str = ""
    killed: int | None = None
    injured: int | None = None
    displaced: int | None = None
    observations: dict[str, Any] = field(default_factory=dict)
    channel: str = "web"  # "web", "sms" or "monitor" (sent by the demo monitor's account)
    verdict: str = Verification.PENDING
    restricted: bool = False
    unsure: str = ""  # a triage reason


NP, UE, SV, NE, AA, AH = "GH-NP", "GH-UE", "GH-SV", "GH-NE", "GH-AA", "GH-AH"
V, C, F, P = Verification.VERIFIED, Verification.CREDIBLE, Verification.FALSE, Verification.PENDING

REPORTS: tuple[DemoReport, ...] = (
    DemoReport("r01", "Tamale", NP, 2, "battles.armed_clash", "Two youth groups clashed near the central market after a dispute over a stall; shops closed early.", 0, 4, channel="monitor", verdict=V),  # noqa: E501
    DemoReport("r02", "Tamale", NP, 3, "riots.mob_violence", "A crowd attacked a man accused of theft at the lorry station before police arrived.", 1, 2, verdict=V),  # noqa: E501
    DemoReport("r03", "Tamale", NP, 5, "protests.peaceful_protest", "Traders marched to the assembly about market tolls; it ended peacefully.", channel="monitor", verdict=V),  # noqa: E501
    DemoReport("r04", "Tamale", NP, 6, "strategic_developments.arrests", "Police arrested six young men after last week's clash; families gathered at the station.", channel="sms"),  # noqa: E501
    DemoReport("r05", "Tamale", NP, 8, "violence_against_civilians.attack", "Gunmen on a motorbike shot at a house on the outskirts at night.", 0, 1, channel="sms", verdict=C),  # noqa: E501
    DemoReport("r06", "Tamale", NP, 1, "", "Weekly situation in the district.", observations={"hate_speech": 2, "small_arms": 1, "dialogue_held": True, "peace_committee_active": True}, channel="monitor"),  # noqa: E501
    DemoReport("r07", "Yendi", NP, 2, "battles.armed_clash", "Exchange of gunfire between supporters of two gates of the chieftaincy; roads to the palace blocked.", 2, 5, 40, verdict=V, restricted=True),  # noqa: E501
    DemoReport("r08", "Yendi", NP, 4, "riots.violent_demonstration", "Youths burnt tyres on the main road to protest a curfew.", 0, 3, channel="sms", verdict=V),  # noqa: E501
    DemoReport("r09", "Yendi", NP, 7, "strategic_developments.change_to_group", "Soldiers deployed to the town; a curfew from 8 pm to 6 am announced.", verdict=V),  # noqa: E501
    DemoReport("r10", "Yendi", NP, 9, "violence_against_civilians.abduction", "A farmer taken from his farm by unknown men; his family received a call.", channel="sms"),  # noqa: E501
    DemoReport("r11", "Yendi", NP, 3, "", "Situation after the curfew.", observations={"chieftaincy_disputes": 3, "roadblocks": 2, "food_prices": 3}, verdict=V),  # noqa: E501
    DemoReport("r12", "Savelugu", NP, 4, "riots.mob_violence", "Fight at a funeral between two families; elders intervened.", 0, 2, channel="sms"),  # noqa: E501
    DemoReport("r13", "Savelugu", NP, 10, "protests.peaceful_protest", "Students protested the closure of a school; no violence.", verdict=V),  # noqa: E501
    DemoReport("r14", "Savelugu", NP, 6, "", "Monthly indicators.", observations={"farmer_herder": 2, "land_disputes": 1, "joint_markets": True}, channel="monitor"),  # noqa: E501
    DemoReport("r15", "Gushegu", NP, 5, "battles.armed_clash", "Clash between farmers and herders over crops destroyed by cattle.", 1, 3, 25, verdict=V),  # noqa: E501
    DemoReport("r16", "Gushegu", NP, 11, "violence_against_civilians.attack", "Herders' camp attacked at dawn; cattle killed.", 0, 2, 60, channel="sms", verdict=C),  # noqa: E501
    DemoReport("r17", "Bimbilla", NP, 3, "battles.armed_clash", "Renewed shooting between the two factions of the Nanumba chieftaincy dispute.", 3, 6, 120, verdict=V),  # noqa: E501
    DemoReport("r18", "Bimbilla", NP, 4, "strategic_developments.agreement", "Elders of both factions agreed to a ceasefire brokered by the regional peace council.", verdict=V),  # noqa: E501
    DemoReport("r19", "Bimbilla", NP, 12, "", "Situation report.", observations={"chieftaincy_disputes": 4, "armed_group_presence": 2, "security_presence": 3}, channel="sms"),  # noqa: E501
    DemoReport("r20", "Kpandai", NP, 6, "battles.armed_clash", "Land dispute between two communities turned violent; houses burnt.", 2, 4, 200),  # noqa: E501
    DemoReport("r21", "Kpandai", NP, 8, "riots.violent_demonstration", "Youths blocked the highway demanding the release of suspects.", 0, 1, channel="sms", verdict=F),  # noqa: E501
    DemoReport("r22", "Zabzugu", NP, 9, "violence_against_civilians.attack", "A trader robbed and beaten on the road to the market.", 0, 1, channel="sms"),  # noqa: E501
    DemoReport("r23", "Karaga", NP, 13, "protests.peaceful_protest", "Women's group met the district chief executive about water points.", verdict=V),  # noqa: E501
    DemoReport("r24", "Tolon", NP, 4, "", "Weekly situation.", observations={"water_scarcity": 3, "food_prices": 2, "farmer_herder": 1}, verdict=V),  # noqa: E501
    DemoReport("r25", "Tamale", NP, 0, "riots.mob_violence", "Shouting and stones thrown near the big mosque; not sure where exactly.", 0, 0, channel="sms", unsure="The place name was matched only loosely (Tamale)."),  # noqa: E501
    DemoReport("r26", "Bawku", UE, 2, "battles.armed_clash", "Gunfire between Kusasi and Mamprusi youths in the Natinga area; several houses burnt.", 4, 7, 300, verdict=V),  # noqa: E501
    DemoReport("r27", "Bawku", UE, 5, "violence_against_civilians.attack", "Travellers ambushed on the Bawku to Pusiga road.", 2, 3, channel="sms", verdict=C),  # noqa: E501
    DemoReport("r28", "Bawku", UE, 7, "strategic_developments.arrests", "Security forces seized weapons and arrested suspects in a dawn search.", verdict=V),  # noqa: E501
    DemoReport("r29", "Bawku", UE, 3, "", "Situation in the municipality.", observations={"small_arms": 3, "hate_speech": 3, "security_presence": 4}, verdict=V),  # noqa: E501
    DemoReport("r30", "Bolgatanga", UE, 9, "protests.peaceful_protest", "Traders protested new market tolls.", channel="sms"),  # noqa: E501
    DemoReport("r31", "Damongo", SV, 6, "battles.armed_clash", "Clash between herders and a local vigilance group.", 1, 2, 15, verdict=V),  # noqa: E501
    DemoReport("r32", "Salaga", SV, 10, "riots.mob_violence", "A dispute over a market stall turned into a fight between two groups.", 0, 3, channel="sms"),  # noqa: E501
    DemoReport("r33", "Walewale", NE, 8, "violence_against_civilians.abduction", "Two young women reported missing after a night market.", channel="sms", verdict=C),  # noqa: E501
    DemoReport("r34", "Walewale", NE, 4, "", "Situation report.", observations={"youth_unemployment": 3, "food_prices": 3, "dialogue_held": False}),  # noqa: E501
    DemoReport("r35", "Accra", AA, 3, "protests.peaceful_protest", "Demonstration at parliament about the cost of living.", verdict=V),  # noqa: E501
    DemoReport("r36", "Accra", AA, 12, "riots.violent_demonstration", "Supporters of two parties threw stones after a rally.", 0, 5, verdict=V),  # noqa: E501
    DemoReport("r37", "Kumasi", AH, 5, "riots.mob_violence", "Mob attacked a suspected thief at Kejetia market.", 1, 0, channel="sms"),  # noqa: E501
    DemoReport("r38", "Kumasi", AH, 14, "strategic_developments.agreement", "Traders' associations and the assembly agreed on market hours.", verdict=V),  # noqa: E501
    DemoReport("r39", "Yendi", NP, 1, "explosions.grenade", "A loud explosion heard near the palace; police are investigating.", 0, 2, channel="sms", restricted=False),  # noqa: E501
    DemoReport("r40", "Tamale", NP, 15, "", "Monthly district review by the peace committee.", observations={"peace_committee_active": True, "authorities_responded": True, "communal_clashes": 2}, verdict=V),  # noqa: E501
)  # fmt: skip
# A message no one could read: it waits in the triage queue.
TRIAGE_TEXT = "pls come quick they are gathering again"


@dataclass
class WarningDemoSummary:
    reports: int = 0
    new_reports: int = 0
    situations: int = 0
    verified: int = 0
    pending: int = 0
    restricted: int = 0
    triage: int = 0
    gateway: str = GATEWAY_SLUG
    logins: list[DemoLogin] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [
            f"  Early warning: {self.reports} reports ({self.new_reports} new) — "
            f"{self.situations} situation reports, {self.verified} verified, "
            f"{self.pending} not yet reviewed, {self.restricted} restricted, "
            f"{self.triage} message(s) in triage",
            f"  SMS gateway:   {self.gateway} (generic JSON, Ghana); its reporters are invented "
            "(+233 20 000 0xxx, names marked fictitious)",
        ]


def reporter_identity(number: int) -> Identity:
    """A clearly invented reporter: a fictitious name and a number from +233 20 000 0xxx."""
    names = ("Abena", "Kwame", "Fuseini", "Amina", "Issah", "Mariama", "Yakubu", "Salamatu")
    return Identity(
        phone=f"+233 20 000 0{number:03d}",
        name=f"{names[number % len(names)]} Demo-Reporter-{number:03d} (fictitious)",
    )


def _region(code: str) -> Place | None:
    scheme = CodeScheme.ISO3166_2 if "-" in code else CodeScheme.ISO3166_1
    found = PlaceCode.objects.filter(scheme=scheme, code=code).select_related("place").first()
    return found.place if found is not None else None


def _place(town: str, region_code: str) -> Place | None:
    """The town (or district) inside the region, else the region, else the country."""
    region = _region(region_code) or _region(region_code.split("-")[0])
    if region is None:
        return None
    if town:
        inside = Place.objects.filter(path__startswith=region.path, name__iexact=town)
        order = [PlaceKind.ADMIN2, PlaceKind.ADMIN3, PlaceKind.LOCALITY]
        for kind in order:
            place = inside.filter(kind=kind).first()
            if place is not None:
                return place
    return region


def _user(username: str, *, by: Any, summary: DemoSummary) -> User:
    user = User.objects.filter(username=username).first()
    if user is not None:
        summary.users.unchanged += 1
        return user
    summary.users.created += 1
    return create_user(username, by=by, password=DEMO_PASSWORD, email=f"{username}@demo.invalid")


def _load_user(entry: DemoUser, *, by: Any, summary: DemoSummary) -> tuple[User, DemoLogin]:
    user = _user(entry.username, by=by, summary=summary)
    place = _place(entry.town, entry.region)
    if place is None:
        raise LookupError(f"The demo needs the place {entry.region}; load places first.")
    if not RoleGrant.objects.filter(user=user, role=entry.role, place=place).exists():
        grant_role(user, by=by, role=entry.role, place=place)
    secret = (user.totp_secret or start_two_factor(user)) if entry.role in STAFF_ROLES else ""
    login = DemoLogin(
        username=user.username,
        role=entry.role,
        scope=f"{place.name} ({entry.region})" if not entry.town else place.name,
        represents="",
        totp_secret=secret,
    )
    return user, login


def _gateway(by: Any) -> Gateway:
    gateway = Gateway.objects.filter(slug=GATEWAY_SLUG).first()
    if gateway is not None:
        return gateway
    gateway = save_configuration(
        Gateway(
            name="Demo SMS gateway",
            slug=GATEWAY_SLUG,
            kind=Channel.GENERIC,
            number="+233 20 000 0000",
            country_code="GH",
            language="en",
        ),
        by=by,
        fields=["name", "slug", "kind", "number", "country_code", "language"],
    )
    # Made here (sealed like an identity), so no two demo instances share it.
    set_gateway_secret(gateway, by=by)
    return gateway


def _observations(framework: IndicatorFramework, wanted: dict[str, Any]) -> dict[str, Any]:
    """The demo's values, fitted to each indicator's type (and skipped if it is not there)."""
    kinds = dict(
        Indicator.objects.filter(framework=framework, code__in=wanted).values_list(
            "code", "value_type"
        )
    )
    fitted: dict[str, Any] = {}
    for code, value in wanted.items():
        kind = kinds.get(code)
        if kind is None:
            continue
        if kind == ValueType.YES_NO:
            fitted[code] = bool(value)
        elif kind == ValueType.SCALE:
            fitted[code] = min(4, int(value))
        elif kind == ValueType.TEXT:
            fitted[code] = str(value)
        else:
            fitted[code] = int(value)
    return fitted


def _draft(entry: DemoReport, framework: IndicatorFramework, place: Place | None) -> Draft:
    today = timezone.now().replace(hour=9, minute=0, second=0, microsecond=0)
    occurred = today - dt.timedelta(days=entry.days_ago + 1, hours=int(entry.key[1:]) % 9)
    situation = not entry.event
    return Draft(
        kind=ReportKind.SITUATION if situation else ReportKind.INCIDENT,
        framework=framework,
        event_type=(
            EventType.objects.filter(framework=framework, code=entry.event).first()
            if entry.event
            else None
        ),
        occurred_at=occurred,
        occurred_until=occurred + dt.timedelta(days=7) if situation else None,
        time_precision=TimePrecision.WEEK if situation else TimePrecision.DAY,
        place=place,
        location_text=entry.town,
        country="GH",
        title=entry.description.split(";")[0][:80] if not situation else "",
        description=entry.description,
        language="en",
        killed=entry.killed,
        injured=entry.injured,
        displaced=entry.displaced,
        observations=_observations(framework, entry.observations),
        triage_reasons=[entry.unsure] if entry.unsure else [],
    )


def _review(report: Report, entry: DemoReport, *, analyst: User) -> None:
    """The state a reviewer would have left the report in (the demo's history says so)."""
    changed: list[str] = []
    if entry.verdict != Verification.PENDING and report.verification == Verification.PENDING:
        report.verification = entry.verdict
        report.reviewed_by = analyst
        report.reviewed_at = report.received_at + dt.timedelta(hours=6)
        report.source_reliability = SourceReliability.B
        report.information_credibility = "2" if entry.verdict == Verification.VERIFIED else "3"
        changed += [
            "verification",
            "reviewed_by",
            "reviewed_at",
            "source_reliability",
            "information_credibility",
        ]
    if entry.restricted and report.sensitivity != Sensitivity.RESTRICTED:
        report.sensitivity = Sensitivity.RESTRICTED
        changed.append("sensitivity")
    if changed:
        report.save(update_fields=[*changed, "updated_at"])
        record_event(report, "report.reviewed", by=analyst, fields=changed, note="demo")


@transaction.atomic
def _load_report(
    number: int,
    entry: DemoReport,
    *,
    framework: IndicatorFramework,
    gateway: Gateway,
    monitor: User,
    analyst: User,
) -> tuple[Report, bool]:
    place = _place(entry.town, entry.region)
    draft = _draft(entry, framework, place)
    if entry.channel == "sms":
        sender = reporter_identity(number)
        inbound, new = store_inbound(
            Channel.GENERIC,
            {"from": sender.phone, "text": entry.description[:160], "to": gateway.number},
            sender=sender,
            gateway=gateway,
            external_id=f"demo-{entry.key}",
        )
        report = report_from_inbound(inbound, draft)
    elif entry.channel == "monitor":
        report, new = submit_report(
            draft,
            by=monitor,
            channel=Channel.WEB,
            payload={"description": entry.description},
            idempotency_key=f"demo-{entry.key}",
        )
    else:
        report, new = submit_report(
            draft,
            by=None,
            channel=Channel.WEB,
            payload={"description": entry.description},
            sender=reporter_identity(number),
            idempotency_key=f"demo-{entry.key}",
        )
    _review(report, entry, analyst=analyst)
    return report, new


def load_warning_demo(summary: DemoSummary, *, progress: Progress | None = None) -> list[str]:
    """Load the early-warning demo; its logins join `summary.logins`. Returns lines to print."""
    say: Progress = progress or (lambda _message: None)
    admin = User.objects.filter(username="demo-admin").first()
    result = WarningDemoSummary()
    with transaction.atomic():
        say("Early warning: framework, SMS gateway, monitor and analysts…")
        framework = load_default_framework(by=admin)
        gateway = _gateway(admin)
        users: dict[str, User] = {}
        for entry in USERS:
            user, login = _load_user(entry, by=admin, summary=summary)
            users[entry.username] = user
            summary.logins.append(login)
            result.logins.append(login)
    monitor = users["demo-monitor-tamale"]
    analyst = users["demo-analyst-northern"]
    say(f"Early warning: reports ({len(REPORTS)})…")
    keys = []
    for number, item in enumerate(REPORTS, start=1):
        report, new = _load_report(
            number, item, framework=framework, gateway=gateway, monitor=monitor, analyst=analyst
        )
        keys.append(report.pk)
        result.new_reports += int(new)
    unread, _new = store_inbound(
        Channel.GENERIC,
        {"from": reporter_identity(99).phone, "text": TRIAGE_TEXT, "to": gateway.number},
        sender=reporter_identity(99),
        gateway=gateway,
        external_id="demo-triage-1",
    )
    if unread.state != "triage":
        send_to_triage(unread, problem="No event code and no place in the message.")
    say("Early warning: counts, signals and an alert rule…")
    AlertRule.objects.get_or_create(
        framework=framework,
        name="Unusual number of events in a place (daily)",
        defaults={"methods": ["c2", "cusum"], "period": Period.DAY, "min_observed": 3},
    )
    analysis.rebuild_counts()
    analysis.scan()
    reports = Report.objects.filter(pk__in=keys)
    result.reports = reports.count()
    result.situations = reports.filter(kind=ReportKind.SITUATION).count()
    result.verified = reports.filter(verification=Verification.VERIFIED).count()
    result.pending = reports.filter(verification=Verification.PENDING).count()
    result.restricted = reports.filter(sensitivity=Sensitivity.RESTRICTED).count()
    result.triage = InboundMessage.objects.filter(gateway=gateway, state="triage").count()
    return result.lines()
