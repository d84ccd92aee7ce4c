"""CAP exchange of alerts: each alert as CAP 1.2 (XML and JSON), the public Atom feed, and the
import of CAP alerts from other systems.

`cap_of` turns an `Alert` into `cap.CapAlert`: one `info` per `AlertText` language, one `area`
per place (its name, its codes as `geocode` pairs, a circle around its point), times in the
place's time zone with an explicit offset. It reads the alert, its texts and its places only,
never its reports: a CAP document names places and counts, never the people who reported.

`import_cap` stores a CAP alert from another system as an `Alert` of origin IMPORTED, keeping
the document as it came and what its signature said (`captrust`: "signed by a trusted
sender" only when a trust anchor configured for the alert's sender vouches for the signer).
A better-signed copy of a known alert replaces the stored one, never the reverse. Its place is
found from the areas' codes (ISO 3166-1/2, P-codes, GeoNames ids), from the points of its
polygons and circles, and from the area names; when none of these names a place of this
instance, the import is refused with the reason, and the importer may name the place
themselves. An alert cannot be unplaced: access to alerts and their routing are both decided
by place.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from lxml import etree

from i4p.accounts.permissions import Perm
from i4p.accounts.selectors import can
from i4p.core.audit import record_event
from i4p.core.errors import Duplicate, Invalid, NotAllowed, NotFound
from i4p.geo.geocode import geocode
from i4p.geo.localtime import zone_of
from i4p.geo.locate import locate
from i4p.geo.models import CodeScheme, Place, PlaceCode, PlaceKind
from i4p.warning import cap, captrust
from i4p.warning.alert_selectors import RELEASED, visible_alerts
from i4p.warning.models import (
    Alert,
    AlertEvent,
    AlertOrigin,
    AlertState,
    AlertText,
    CapMsgType,
    CapScope,
    CapStatus,
    SignatureState,
    TimelineKind,
)

# How CAP names the code schemes of places (`geocode/valueName`).
GEOCODE_NAMES: dict[str, str] = {
    CodeScheme.ISO3166_1: "ISO 3166-1",
    CodeScheme.ISO3166_1_A3: "ISO 3166-1 alpha-3",
    CodeScheme.ISO3166_2: "ISO 3166-2",
    CodeScheme.PCODE: "P-code",
    CodeScheme.GEONAMES: "GeoNames",
}
# The circle drawn around a place's point, by kind: a rough extent, not a boundary.
RADIUS_KM: dict[str, float] = {
    PlaceKind.COUNTRY: 250.0,
    PlaceKind.ADMIN1: 75.0,
    PlaceKind.ADMIN2: 25.0,
    PlaceKind.ADMIN3: 10.0,
    PlaceKind.LOCALITY: 5.0,
}
# Imported areas: a polygon or circle point counts for a country only this close to a place.
NEAR_METRES = 50_000.0
# The feed lists this many alerts, newest first.
FEED_SIZE = 200
CAP_MEDIA_TYPE = "application/cap+xml"
ATOM = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


# -- languages ---------------------------------------------------------------------------


def cap_language(code: str) -> str:
    """Django's language code as CAP writes it (RFC 3066): "pt-br" → "pt-BR"."""
    parts = code.replace("_", "-").split("-")
    head, rest = parts[0].lower(), parts[1:]
    tail = [part.upper() if len(part) == 2 else part.title() for part in rest]
    return "-".join([head, *tail])


def stored_language(code: str) -> str:
    """CAP's language as i4p stores it (Django's form): "en-US" → "en-us"."""
    return (code.strip().replace("_", "-").lower() or "en-us")[:10]


# -- writing: one alert as CAP -----------------------------------------------------------


def _area(place: Place, codes: Iterable[PlaceCode]) -> cap.CapArea:
    pairs = [(GEOCODE_NAMES.get(c.scheme, c.scheme), c.code) for c in codes]
    if place.kind == PlaceKind.COUNTRY and place.country_code:
        iso = ("ISO 3166-1", place.country_code.upper())
        if iso not in pairs:
            pairs.insert(0, iso)
    circles = []
    if place.latitude is not None and place.longitude is not None:
        radius = RADIUS_KM.get(place.kind, 10.0)
        circles.append(f"{place.latitude:.4f},{place.longitude:.4f} {radius:g}")
    return cap.CapArea(description=place.name, circles=circles, geocodes=sorted(pairs))


def _sent(alert: Alert) -> dt.datetime:
    return alert.issued_at or alert.created_at


def _reference(alert: Alert) -> str:
    """ "sender,identifier,sent" as that alert's own CAP document wrote it."""
    sent = ""
    if alert.origin == AlertOrigin.IMPORTED and alert.source_document:
        sent = _original_sent(alert.source_document)
    if not sent:
        sent = cap.cap_time(_sent(alert).astimezone(zone_of(alert.place)))
    return f"{alert.sender},{alert.identifier},{sent}"


def _original_sent(document: str) -> str:
    match = re.search(r"<(?:\w+:)?sent>\s*([^<\s]+)\s*</", document)
    return match.group(1) if match else ""


def _earlier(alert: Alert) -> list[Alert]:
    """The messages this one follows, oldest first (an update of an update names both)."""
    chain: list[Alert] = []
    seen = {alert.pk}
    current = alert.references
    while current is not None and current.pk not in seen:
        chain.append(current)
        seen.add(current.pk)
        current = current.references
    return chain[::-1]


def _source(alert: Alert) -> str:
    if alert.origin == AlertOrigin.RULE and alert.rule is not None:
        return f"i4p rule: {alert.rule.name}"[:200]
    return f"i4p {alert.origin}"


def cap_of(alert: Alert) -> cap.CapAlert:
    """The alert as CAP 1.2: every field of the model, one `info` per language."""
    zone = zone_of(alert.place)

    def local(moment: dt.datetime | None) -> dt.datetime | None:
        return moment.astimezone(zone) if moment is not None else None

    places = [alert.place, *(p for p in alert.places.all() if p.pk != alert.place_id)]
    codes: dict[int, list[PlaceCode]] = {}
    for code in PlaceCode.objects.filter(place__in=places).order_by("scheme", "code"):
        codes.setdefault(code.place_id, []).append(code)
    areas = [_area(place, codes.get(place.pk, [])) for place in places]
    sent = local(_sent(alert))
    assert sent is not None
    parameters = [("i4p-state", alert.state)]
    if alert.event_type is not None:
        parameters.append(("i4p-event-type", alert.event_type.code))
    infos = [
        cap.CapInfo(
            language=cap_language(text.language),
            categories=[alert.category or "Security"],
            event=text.event,
            urgency=alert.urgency,
            severity=alert.severity,
            certainty=alert.certainty,
            effective=sent,
            onset=local(alert.onset),
            expires=local(alert.expires),
            headline=text.headline,
            description=text.description,
            instruction=text.instruction,
            parameters=parameters,
            areas=areas,
        )
        for text in alert.texts.all()
    ]
    restriction = ""
    if alert.scope == CapScope.RESTRICTED:
        restriction = alert.restriction or (
            f"Staff of the early-warning system who may see alerts in {alert.place.name}."
        )
    addresses = ""
    if alert.scope == CapScope.PRIVATE:
        names = sorted({d.actor.name for d in alert.deliveries.select_related("actor")})
        addresses = " ".join(f'"{name}"' if " " in name else name for name in names)
    return cap.CapAlert(
        identifier=alert.identifier,
        sender=alert.sender,
        sent=sent,
        # A draft is not actionable, whatever status it will be issued with.
        status=CapStatus.DRAFT if alert.state == AlertState.DRAFT else alert.status,
        msg_type=alert.msg_type,
        scope=alert.scope,
        source=_source(alert),
        restriction=restriction,
        addresses=addresses,
        references=[_reference(earlier) for earlier in _earlier(alert)],
        incidents=" ".join(str(incident.uuid) for incident in alert.incidents.all()),
        infos=infos,
    )


def _original_bytes(alert: Alert) -> bytes:
    declared = re.match(r"""<\?xml[^>]*encoding\s*=\s*["']([\w.-]+)["']""", alert.source_document)
    encoding = declared.group(1) if declared else "utf-8"
    try:
        return alert.source_document.encode(encoding)
    except (LookupError, UnicodeEncodeError):
        return alert.source_document.encode("utf-8")


def cap_xml(alert: Alert) -> bytes:
    """The alert's CAP XML; an imported alert is served exactly as it came (its signature
    still verifies)."""
    if alert.origin == AlertOrigin.IMPORTED and alert.source_document:
        return _original_bytes(alert)
    return cap.to_xml(cap_of(alert))


def cap_json(alert: Alert) -> dict[str, Any]:
    """The alert's CAP as JSON, with CAP's element names."""
    if alert.origin == AlertOrigin.IMPORTED and alert.source_document:
        data = cap.to_json(cap.read_alert(_original_bytes(alert)).alert)
        # Unlike the XML, the JSON carries no signature a reader could check: say what ours
        # said.
        state = alert.signature or SignatureState.UNSIGNED
        data["signature"] = {
            "state": state,
            "label": str(SignatureState(state).label),
            "signer": alert.signer,
        }
        return data
    return cap.to_json(cap_of(alert))


# -- reading: who may see which alert's CAP ---------------------------------------------------


def _with_related(alerts: QuerySet[Alert]) -> QuerySet[Alert]:
    return alerts.select_related("place", "place__parent", "rule", "event_type").prefetch_related(
        Prefetch("texts", queryset=AlertText.objects.order_by("language")),
        "places",
        "incidents",
    )


def cap_alert_for(user: Any, alert_uuid: Any) -> Alert:
    """The alert whose CAP `user` asks for: whoever may read the alert may read its CAP
    (`alert_selectors.visible_alerts`), the members of a mechanism it reached included."""
    alert = (
        visible_alerts(user)
        .select_related("place__parent", "rule")
        .prefetch_related("places", "incidents")
        .filter(uuid=alert_uuid)
        .first()
    )
    if alert is None:
        raise NotFound("No such alert, or not one you may see.")
    return alert


def feed_alerts() -> QuerySet[Alert]:
    """The public feed: i4p's own public alerts and updates once issued (acknowledged and
    closed ones too) and its public Cancel messages; a cancelled alert or update leaves the
    feed to its Cancel. Imported alerts belong to their senders' feeds."""
    listed = Q(state__in=(AlertState.ISSUED, AlertState.ACKNOWLEDGED, AlertState.CLOSED))
    cancels = Q(msg_type=CapMsgType.CANCEL, state__in=RELEASED)
    return _with_related(
        Alert.objects.filter(listed | cancels, scope=CapScope.PUBLIC)
        .exclude(origin=AlertOrigin.IMPORTED)
        .order_by("-issued_at", "-created_at")
    )[:FEED_SIZE]


# -- the Atom feed ---------------------------------------------------------------------------


def _text_in(alert: Alert, language: str) -> AlertText | None:
    texts = list(alert.texts.all())
    for text in texts:
        if text.language == language:
            return text
    for text in texts:
        if text.language.split("-")[0] == language.split("-")[0]:
            return text
    return texts[0] if texts else None


def atom_feed(
    alerts: Sequence[Alert],
    *,
    feed_url: str,
    cap_url: Callable[[Alert], str],
    title: str,
    language: str | None = None,
) -> bytes:
    """An Atom 1.0 index of alerts, each entry linking to its CAP XML (as the NWS feed does)."""
    language = language or settings.LANGUAGE_CODE
    feed = etree.Element(f"{{{ATOM}}}feed", nsmap={None: ATOM, "cap": cap.NS})  # type: ignore[dict-item]
    feed.set(XML_LANG, cap_language(language))

    def add(parent: etree._Element, tag: str, text: str, ns: str = ATOM) -> etree._Element:
        element = etree.SubElement(parent, f"{{{ns}}}{tag}")
        element.text = text
        return element

    add(feed, "id", feed_url)
    add(feed, "title", title)
    newest = max((alert.updated_at for alert in alerts), default=None)
    add(feed, "updated", cap.cap_time(newest or timezone.now()))
    author = etree.SubElement(feed, f"{{{ATOM}}}author")
    add(author, "name", title)
    etree.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=feed_url)
    add(feed, "generator", "i4p")
    zones: dict[int, Any] = {}
    for alert in alerts:
        # One time zone per place, not one lookup up the tree per entry.
        zone = zones.setdefault(alert.place_id, zone_of(alert.place))
        text = _text_in(alert, language)
        entry = etree.SubElement(feed, f"{{{ATOM}}}entry")
        add(entry, "id", f"urn:uuid:{alert.uuid}")
        add(entry, "title", text.headline if text else alert.identifier)
        add(entry, "updated", cap.cap_time(alert.updated_at.astimezone(zone)))
        add(entry, "published", cap.cap_time(_sent(alert).astimezone(zone)))
        entry_author = etree.SubElement(entry, f"{{{ATOM}}}author")
        add(entry_author, "name", alert.sender)
        etree.SubElement(
            entry, f"{{{ATOM}}}link", rel="alternate", type=CAP_MEDIA_TYPE, href=cap_url(alert)
        )
        if text is not None and text.description:
            summary = add(entry, "summary", text.description[:1000])
            summary.set("type", "text")
        for tag, value in (
            ("identifier", alert.identifier),
            ("sender", alert.sender),
            ("sent", cap.cap_time(_sent(alert).astimezone(zone))),
            ("status", alert.status),
            ("msgType", alert.msg_type),
            ("scope", alert.scope),
            ("event", text.event if text else ""),
            ("category", alert.category),
            ("urgency", alert.urgency),
            ("severity", alert.severity),
            ("certainty", alert.certainty),
            ("onset", cap.cap_time(alert.onset.astimezone(zone)) if alert.onset else ""),
            ("expires", cap.cap_time(alert.expires.astimezone(zone)) if alert.expires else ""),
            ("areaDesc", "; ".join(place.name for place in _places_of(alert))),
        ):
            if value:
                add(entry, tag, value, cap.NS)
    return etree.tostring(feed, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _places_of(alert: Alert) -> list[Place]:
    return [alert.place, *(p for p in alert.places.all() if p.pk != alert.place_id)]


# -- import ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportOutcome:
    alert: Alert
    created: bool  # False when this identifier was imported before
    replaced: bool = False  # a better-signed copy replaced the one stored before
    note: str = ""  # what happened to a copy of a known alert, in words


def _scheme(value_name: str) -> str:
    """The code scheme a CAP `geocode/valueName` names, or "" for one i4p does not keep."""
    key = re.sub(r"[\s_:.-]", "", value_name.lower())
    return {
        "iso31661": CodeScheme.ISO3166_1,
        "iso31661alpha2": CodeScheme.ISO3166_1,
        "iso31661alpha3": CodeScheme.ISO3166_1_A3,
        "iso31662": CodeScheme.ISO3166_2,
        "pcode": CodeScheme.PCODE,
        "ochapcode": CodeScheme.PCODE,
        "geonames": CodeScheme.GEONAMES,
        "geonamesid": CodeScheme.GEONAMES,
    }.get(key, "")


def _by_code(area: cap.CapArea) -> list[Place]:
    found: list[Place] = []
    for name, value in area.geocodes:
        scheme = _scheme(name)
        if not scheme or not value:
            continue
        row = (
            PlaceCode.objects.filter(scheme=scheme, code__iexact=value.strip())
            .select_related("place")
            .first()
        )
        if row is not None:
            found.append(row.place)
        elif scheme == CodeScheme.ISO3166_1:
            country = Place.objects.filter(
                kind=PlaceKind.COUNTRY, country_code=value.strip().upper()[:2]
            ).first()
            if country is not None:
                found.append(country)
    return found


def _points(area: cap.CapArea) -> list[tuple[float, float]]:
    points: list[tuple[float, float]] = []
    for ring in area.polygons:
        for pair in ring.split():
            points.extend(_point(pair))
    for circle in area.circles:
        points.extend(_point(circle.split()[0]) if circle.split() else [])
    return points


def _point(pair: str) -> list[tuple[float, float]]:
    try:
        lat, lon = (float(part) for part in pair.split(","))
    except ValueError:
        return []
    return [(lat, lon)] if abs(lat) <= 90 and abs(lon) <= 180 else []


def _root(place: Place) -> int:
    """The id of the country a place lies in (the first id of its path)."""
    head = place.path.strip("/").split("/")[0]
    return int(head) if head.isdigit() else place.pk


def _countries_of_points(area: cap.CapArea) -> tuple[Counter[int], int]:
    """How many of the area's points lie in each country (inside a boundary, or near one of
    the country's places), and how many points there are."""
    points = _points(area)
    if not points:
        return Counter(), 0
    located = locate([p[0] for p in points], [p[1] for p in points])
    ids = located.place_ids("country")
    near = located.inside | (located.distance_m <= NEAR_METRES)
    votes = Counter(
        int(i) for i, ok in zip(ids.tolist(), near.tolist(), strict=True) if ok and i >= 0
    )
    return votes, len(points)


def _named(area: cap.CapArea) -> list[Place]:
    """Places whose name, alias or code is exactly the area's description."""
    try:
        candidates = geocode(area.description, limit=10)
    except Invalid:
        return []
    exact = {c.place.pk: c.place for c in candidates if c.kind in ("code", "exact")}
    return list(exact.values())


def _nearest(places: list[Place], points: list[tuple[float, float]]) -> list[Place]:
    """Of places with the same name, the one clearly nearest the area's points (the second
    nearest at least twice as far), or none."""
    if not points:
        return []
    lat = sum(p[0] for p in points) / len(points)
    lon = sum(p[1] for p in points) / len(points)

    def distance(place: Place) -> float:
        if place.latitude is None or place.longitude is None:
            return math.inf
        north = math.radians(place.latitude - lat)
        east = math.radians(place.longitude - lon) * math.cos(math.radians(lat))
        return math.hypot(north, east)

    ranked = sorted(places, key=distance)
    first, second = distance(ranked[0]), distance(ranked[1])
    return [ranked[0]] if math.isfinite(first) and second >= 2 * first else []


def _place_of_area(area: cap.CapArea) -> list[Place]:
    """Codes decide; else a name, with the area's points choosing between places of the same
    name in different countries; else the one country most of the points lie in."""
    coded = _by_code(area)
    if coded:
        return coded
    named = _named(area)
    if len(named) == 1:
        return named
    if named:
        return _nearest(named, _points(area))
    votes, points = _countries_of_points(area)
    located = sum(votes.values())
    if not votes or located * 2 < points:
        return []
    country, count = votes.most_common(1)[0]
    if count * 3 < located * 2:
        return []  # the points straddle countries: no one country is the area
    found = Place.objects.filter(pk=country).first()
    return [found] if found is not None else []


def places_of_areas(areas: Iterable[cap.CapArea]) -> tuple[list[Place], list[str]]:
    """The places the areas name (codes first, then points and names), and the areas that
    name none."""
    found: dict[int, Place] = {}
    unplaced: list[str] = []
    seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
    for area in areas:
        key = (area.description, tuple(area.geocodes))
        if key in seen:
            continue
        seen.add(key)
        places = _place_of_area(area)
        if not places:
            unplaced.append(area.description)
        for place in places:
            found.setdefault(place.pk, place)
    # Areas in other languages repeat the same places: a name found in one covers the rest.
    if found:
        unplaced = []
    return list(found.values()), unplaced


def common_place(places: Sequence[Place]) -> Place | None:
    """The deepest place that holds all of them (None when they lie in different countries)."""
    if not places:
        return None
    chains = [[part for part in place.path.split("/") if part] for place in places]
    shared: list[str] = []
    for parts in zip(*chains, strict=False):
        if len(set(parts)) != 1:
            break
        shared.append(parts[0])
    if not shared:
        return None
    return Place.objects.filter(pk=int(shared[-1])).first()


def _decoded(document: bytes) -> str:
    try:
        return document.decode("utf-8")
    except UnicodeDecodeError:
        encoding = (
            etree.fromstring(document, etree.XMLParser(resolve_entities=False, no_network=True))
            .getroottree()
            .docinfo.encoding
        )
        return document.decode(encoding or "latin-1", errors="replace")


def _follows(imported: cap.CapAlert) -> Alert | None:
    """The known alert an Update or Cancel names last in its references."""
    for reference in reversed(imported.references):
        parts = reference.split(",")
        if len(parts) < 2:
            continue
        known = Alert.objects.filter(sender=parts[0], identifier=parts[1]).first()
        if known is not None:
            return known
    return None


def _timeline(alert: Alert, kind: str, *, by: Any, note: str) -> None:
    AlertEvent.objects.create(
        alert=alert,
        at=timezone.now(),
        kind=kind,
        by=by if getattr(by, "pk", None) is not None else None,
        note=note,
    )


def _place_for(message: cap.CapAlert, place: Place | None) -> tuple[Place, list[Place]]:
    """The alert's place (named by the importer, else found from its areas) and the places
    its areas name."""
    places, unplaced = places_of_areas(area for info in message.infos for area in info.areas)
    primary = place or common_place(places) or (places[0] if places else None)
    if primary is None:
        names = ", ".join(unplaced) or "no area"
        raise Invalid(
            f"No place of this instance matches the alert's areas ({names}); "
            "name the place the alert is about to import it.",
            fields={"place": [f"Unknown area: {name}" for name in unplaced] or ["No area."]},
        )
    return primary, places


def _fill(alert: Alert, message: cap.CapAlert, document: bytes, trust: captrust.Trust) -> None:
    """Everything of the alert that its CAP document decides."""
    first = message.infos[0] if message.infos else None
    alert.status = message.status
    alert.msg_type = message.msg_type
    alert.scope = message.scope
    alert.restriction = message.restriction[:300]
    alert.references = (
        _follows(message) if message.msg_type in (CapMsgType.UPDATE, CapMsgType.CANCEL) else None
    )
    alert.category = (first.categories[0] if first and first.categories else "Other")[:10]
    alert.urgency = first.urgency if first else "Unknown"
    alert.severity = first.severity if first else "Unknown"
    alert.certainty = first.certainty if first else "Unknown"
    alert.onset = first.onset if first else None
    alert.expires = first.expires if first else None
    alert.issued_at = message.sent
    alert.source_document = _decoded(document)
    alert.signature = trust.state
    alert.signer = trust.signer[:300]


def _texts(alert: Alert, message: cap.CapAlert) -> list[AlertText]:
    texts: dict[str, AlertText] = {}
    for info in message.infos:
        language = stored_language(info.language)
        # A second info in the same language (another event or area) stays in the document.
        texts.setdefault(
            language,
            AlertText(
                alert=alert,
                language=language,
                event=info.event[:200],
                headline=(info.headline or info.event)[:300],
                description=info.description,
                instruction=info.instruction,
            ),
        )
    return list(texts.values())


@transaction.atomic
def import_cap_document(document: bytes, *, by: Any, place: Place | None = None) -> ImportOutcome:
    """Store a CAP alert from another system (see the module's docstring).

    Refused: documents the official schema rejects (with its reasons), a signature that does
    not verify, areas that name no place of this instance (unless `place` is given), and
    places outside the importer's scope. The same identifier from the same sender is stored
    once: a later copy that is better signed (signed over unsigned, trusted over untrusted)
    replaces the stored one, any other changes nothing. An Update or Cancel of a known alert
    is linked to it, and a Cancel from the sender of an imported alert, signed at least as
    well as it, cancels it.
    """
    read = cap.read_alert(document)
    message = read.alert
    if len(message.identifier) > 200 or len(message.sender) > 200:
        raise Invalid("The alert's identifier or sender is longer than 200 characters.")
    trust = captrust.trust_of(read, sender=message.sender)
    existing = Alert.objects.filter(identifier=message.identifier).first()
    if existing is not None:
        return _again(existing, message, document, trust, by=by)
    primary, places = _place_for(message, place)
    if not can(by, Perm.ISSUE_ALERTS, primary):
        raise NotAllowed("You cannot import alerts about this place.")
    alert = Alert(
        identifier=message.identifier,
        sender=message.sender,
        state=AlertState.ISSUED,
        origin=AlertOrigin.IMPORTED,
        place=primary,
        created_by=by if getattr(by, "pk", None) is not None else None,
    )
    _fill(alert, message, document, trust)
    try:
        with transaction.atomic():
            alert.save()
    except IntegrityError:
        # Imported at the same moment by someone else: the first one stands.
        existing = Alert.objects.filter(identifier=message.identifier).first()
        if existing is None:
            raise
        return _again(existing, message, document, trust, by=by)
    alert.places.set([p for p in places if p.pk != primary.pk])
    AlertText.objects.bulk_create(_texts(alert, message))
    note = f"Imported from {message.sender}; signature: {trust.describe()}"[:1000]
    _timeline(alert, TimelineKind.CREATED, by=by, note=note)
    record_event(alert, "alert.imported", by=by, fields=["signature"], note=note[:300])
    _apply_to_earlier(alert, by=by)
    return ImportOutcome(alert=alert, created=True)


def _again(
    existing: Alert, message: cap.CapAlert, document: bytes, trust: captrust.Trust, *, by: Any
) -> ImportOutcome:
    """Another copy of a known alert: it replaces the stored one only when better signed."""
    if existing.sender != message.sender:
        raise Duplicate(
            "Another sender's alert has this identifier.",
            fields={"identifier": ["Already used by another sender."]},
        )
    if not can(by, Perm.VIEW_ALERTS, existing.place):
        raise Duplicate("This alert was imported before.")
    stored = existing.signature or SignatureState.UNSIGNED
    better = captrust.RANK[trust.state] > captrust.RANK.get(stored, 0)
    if existing.origin != AlertOrigin.IMPORTED or not better:
        note = (
            f"This alert was imported before ({captrust.describe(stored, existing.signer)}); "
            f"this copy is {trust.label}, so nothing changed."
        )
        return ImportOutcome(alert=existing, created=False, note=note)
    if not can(by, Perm.ISSUE_ALERTS, existing.place):
        raise NotAllowed("You cannot import alerts about this place.")
    return _replace(existing, message, document, trust, by=by)


def _replace(
    existing: Alert, message: cap.CapAlert, document: bytes, trust: captrust.Trust, *, by: Any
) -> ImportOutcome:
    """A better-signed copy replaces the document, its words and its areas; the alert keeps
    its place (access was decided by it), its state and its timeline."""
    alert = Alert.objects.select_for_update().get(pk=existing.pk)
    before = captrust.describe(alert.signature or SignatureState.UNSIGNED, alert.signer)
    _fill(alert, message, document, trust)
    alert.save()
    alert.texts.all().delete()
    AlertText.objects.bulk_create(_texts(alert, message))
    places, _unplaced = places_of_areas(area for info in message.infos for area in info.areas)
    alert.places.set([p for p in places if p.pk != alert.place_id])
    note = (
        f"Replaced by a copy {trust.describe()}, because it is better signed than the copy "
        f"stored before ({before})."
    )[:1000]
    _timeline(alert, TimelineKind.UPDATED, by=by, note=note)
    record_event(
        alert, "alert.import_replaced", by=by, fields=["signature", "source_document"], note=note
    )
    if alert.msg_type == CapMsgType.CANCEL:
        _apply_to_earlier(alert, by=by)
    return ImportOutcome(alert=alert, created=False, replaced=True, note=note)


def _apply_to_earlier(alert: Alert, *, by: Any) -> None:
    """An imported Update or Cancel shows on the alert it follows; a Cancel from the same
    sender cancels an imported alert (never one i4p issued), unless it is less well signed
    than that alert: an unsigned copy cannot undo what a trusted sender signed."""
    earlier = alert.references
    if earlier is None:
        return
    if alert.msg_type == CapMsgType.UPDATE:
        _timeline(earlier, TimelineKind.UPDATED, by=by, note=f"Updated by {alert.identifier}")
        return
    if (
        alert.msg_type == CapMsgType.CANCEL
        and earlier.origin == AlertOrigin.IMPORTED
        and earlier.sender == alert.sender
        and earlier.state != AlertState.CANCELLED
    ):
        if captrust.RANK.get(alert.signature, 0) < captrust.RANK.get(earlier.signature, 0):
            said = SignatureState(alert.signature or SignatureState.UNSIGNED).label
            _timeline(
                earlier,
                TimelineKind.UPDATED,
                by=by,
                note=f"Not cancelled by {alert.identifier}: that Cancel is {said}, "
                f"and this alert is {SignatureState(earlier.signature).label}.",
            )
            return
        earlier.state = AlertState.CANCELLED
        earlier.cancelled_at = alert.issued_at or timezone.now()
        earlier.save(update_fields=["state", "cancelled_at", "updated_at"])
        _timeline(earlier, TimelineKind.CANCELLED, by=by, note=f"Cancelled by {alert.identifier}")
        record_event(earlier, "alert.cancelled", by=by, note=f"by {alert.identifier}"[:300])


def import_cap(document: bytes, *, by: Any, place: Place | None = None) -> Alert:
    """Import a CAP alert from another system; the alert as stored (new or known before)."""
    return import_cap_document(document, by=by, place=place).alert
