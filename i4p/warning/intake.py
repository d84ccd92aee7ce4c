"""The one intake service: web form, API, SMS gateways and e-mail all end here.

A message is stored (sealed) before anyone answers its sender; then it becomes a report, is
threaded onto an earlier report, or waits in triage. Nothing is dropped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from i4p.core.audit import audit_row, record_event
from i4p.core.errors import Invalid
from i4p.core.kept import Kept
from i4p.core.redact import mask_text
from i4p.core.rows import insert, insert_together
from i4p.geo.geocode import geocode
from i4p.geo.locate import locate_one
from i4p.geo.models import Place, PlaceKind
from i4p.warning import active, analysis, identity
from i4p.warning.models import (
    Channel,
    EventType,
    FieldType,
    InboundMessage,
    InboundState,
    Indicator,
    IndicatorFramework,
    LocationMethod,
    Observation,
    PlacePrecision,
    Report,
    Reporter,
    ReportField,
    ReportKind,
    TimePrecision,
    Trust,
    ValueType,
)

# A place name matched at least this well is taken without asking a person.
SURE_GEOCODE_SCORE = 95.0
# Farther than this from any known place, a located point still goes to triage.
FAR_FROM_PLACES_M = 50_000.0

PRECISION_OF_KIND: dict[str, str] = {
    PlaceKind.COUNTRY: PlacePrecision.COUNTRY,
    PlaceKind.ADMIN1: PlacePrecision.ADMIN1,
    PlaceKind.ADMIN2: PlacePrecision.ADMIN2,
    PlaceKind.ADMIN3: PlacePrecision.ADMIN3,
    PlaceKind.LOCALITY: PlacePrecision.LOCALITY,
}


@dataclass
class Draft:
    """What a channel understood of a message, before it becomes a report."""

    kind: str = ReportKind.INCIDENT
    framework: IndicatorFramework | None = None
    event_type: EventType | None = None
    occurred_at: dt.datetime | None = None
    occurred_until: dt.datetime | None = None
    time_precision: str = TimePrecision.DAY
    place: Place | None = None
    latitude: float | None = None
    longitude: float | None = None
    location_text: str = ""
    country: str = ""  # ISO 3166-1 alpha-2 hint for geocoding
    title: str = ""
    description: str = ""
    language: str = ""
    actors_text: str = ""
    killed: int | None = None
    injured: int | None = None
    displaced: int | None = None
    answers: dict[str, Any] = field(default_factory=dict)
    observations: dict[str, Any] = field(default_factory=dict)  # indicator code → value
    triage_reasons: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Identity:
    """Who sent it, as far as the channel knows. Sealed on arrival, never stored in clear."""

    phone: str = ""
    name: str = ""
    email: str = ""
    device: str = ""

    def sealed(self) -> dict[str, str]:
        return {key: value for key, value in vars(self).items() if value}

    @property
    def address(self) -> str:
        return self.phone or self.email


def active_framework() -> IndicatorFramework:
    return active.framework()


# -- reporters -------------------------------------------------------------------------


def find_reporter(address: str, *, country: str = "") -> Reporter | None:
    if not address.strip():
        return None
    hashes = identity.sender_hashes(address, country=country)
    return Reporter.objects.filter(sender_hash__in=hashes).first()


# The reporter behind an account, kept per process: a machine client sends hundreds a second.
# A change of trust (a block) saved here is seen at once, elsewhere within `kept.SECONDS`.
_account_reporters: Kept[Reporter | None] = Kept(
    "account reporters", changed_by=(Reporter,), copies=True
)


def reporter_for(who: Identity, *, user: Any = None, country: str = "") -> Reporter | None:
    """The reporter behind a message: by account, else by keyed hash of the address."""
    if user is not None and getattr(user, "is_authenticated", False):
        reporter = _account_reporters.read(
            user.pk, lambda: Reporter.objects.filter(user=user).first()
        )
        if reporter is None:
            try:
                with transaction.atomic():  # two first reports of one account at once
                    reporter = Reporter.objects.create(
                        handle=identity.new_handle(), user=user, trust=Trust.KNOWN
                    )
            except IntegrityError:  # the other made it: this report joins that reporter
                reporter = Reporter.objects.get(user=user)
        return reporter
    if not who.address and not who.name:
        return None
    reporter = find_reporter(who.address, country=country) if who.address else None
    if reporter is not None:
        newest = identity.sender_hash(who.address, country=country)
        if reporter.sender_hash != newest:  # hashed under an older key: move it forward
            reporter.sender_hash = newest
            reporter.save(update_fields=["sender_hash", "updated_at"])
        return reporter
    details = who.sealed()
    if "phone" in details:
        details["phone"] = identity.normalise_address(who.phone, country=country)
    return Reporter.objects.create(
        handle=identity.new_handle(),
        identity=identity.seal(details),
        sender_hash=identity.sender_hash(who.address, country=country) if who.address else None,
    )


# -- storing what arrives ------------------------------------------------------------------


def _existing(
    *, gateway: Any, external_id: str, idempotency_scope: str, idempotency_key: str
) -> InboundMessage | None:
    if external_id and gateway is not None:
        return InboundMessage.objects.filter(gateway=gateway, external_id=external_id).first()
    if idempotency_key:
        return InboundMessage.objects.filter(
            idempotency_scope=idempotency_scope, idempotency_key=idempotency_key
        ).first()
    return None


def store_inbound(
    channel: str,
    payload: Mapping[str, Any],
    *,
    sender: Identity = Identity(),
    user: Any = None,
    gateway: Any = None,
    external_id: str = "",
    idempotency_scope: str = "",
    idempotency_key: str = "",
    place: Place | None = None,
) -> tuple[InboundMessage, bool]:
    """Store a raw message, sealed, and commit it. Returns (message, whether it is new).

    A re-delivery (same gateway message id, same idempotency key) returns the first copy:
    retries are safe. Call this before answering the sender, outside any open transaction.
    """
    found = _existing(
        gateway=gateway,
        external_id=external_id,
        idempotency_scope=idempotency_scope,
        idempotency_key=idempotency_key,
    )
    if found is not None:
        return found, False
    country = getattr(gateway, "country_code", "") or (place.country_code if place else "")
    try:
        with transaction.atomic():
            reporter = reporter_for(sender, user=user, country=country)
            inbound = InboundMessage.objects.create(
                channel=channel,
                gateway=gateway,
                received_at=timezone.now(),
                payload=identity.seal({"payload": dict(payload), "sender": sender.sealed()}),
                external_id=external_id[:120],
                idempotency_scope=idempotency_scope[:80],
                idempotency_key=idempotency_key[:200],
                reporter=reporter,
                place=place,
            )
            record_event(inbound, "inbound.received", by=user)
    except IntegrityError:
        # Two deliveries of one message raced: the other one was stored first.
        found = _existing(
            gateway=gateway,
            external_id=external_id,
            idempotency_scope=idempotency_scope,
            idempotency_key=idempotency_key,
        )
        if found is None:
            raise
        return found, False
    return inbound, True


def inbound_payload(inbound: InboundMessage) -> dict[str, Any]:
    """The raw payload as it arrived (without the sealed sender)."""
    payload: dict[str, Any] = identity.unseal(inbound.payload).get("payload", {})
    return payload


def inbound_sender(inbound: InboundMessage) -> Identity:
    """Only for sending replies and for an audited reveal: never shown, never logged."""
    sender = identity.unseal(inbound.payload).get("sender", {})
    return Identity(**{key: sender.get(key, "") for key in identity.IDENTITY_FIELDS})


# -- a reporter's words ----------------------------------------------------------------------


@dataclass(frozen=True)
class Words:
    """How a reporter's words are stored and shown: phone numbers, e-mail addresses and the
    sender's own name masked. The words as sent stay in the sealed raw message, and only the
    reveal of who sent them (`protection.reveal_identity`) tells the rest."""

    names: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()

    @classmethod
    def of(
        cls, sender: Identity = Identity(), *, reporter: Reporter | None = None, country: str = ""
    ) -> Words:
        names = [sender.name]
        if reporter is not None and reporter.identity:
            names.append(str(identity.unseal(reporter.identity).get("name", "")))
        home = identity.region_of(sender.phone, country=country) if sender.phone else ""
        return cls(
            names=tuple(name for name in names if name),
            regions=tuple(code for code in (country, home) if code),
        )

    def mask(self, text: str, *, names: bool = True) -> str:
        if not text or not text.strip():
            return text
        return mask_text(text, regions=self.regions, names=self.names if names else ())

    def draft(self, draft: Draft) -> Draft:
        """A copy of the draft with every free-text field masked."""
        masked = replace(draft)
        masked.title = self.mask(draft.title)
        masked.description = self.mask(draft.description)
        masked.actors_text = self.mask(draft.actors_text)
        # A place name may be a family's name too: only numbers and addresses leave it.
        masked.location_text = self.mask(draft.location_text, names=False)
        masked.answers = {key: self._value(value) for key, value in draft.answers.items()}
        masked.observations = {
            code: self._value(value) for code, value in draft.observations.items()
        }
        return masked

    def _value(self, value: Any) -> Any:
        return self.mask(value) if isinstance(value, str) else value


def _has_words(draft: Draft) -> bool:
    texts = [draft.title, draft.description, draft.actors_text, draft.location_text]
    values = [*draft.answers.values(), *draft.observations.values()]
    return any(texts) or any(isinstance(value, str) for value in values)


def _country_of(draft: Draft) -> str:
    return draft.place.country_code if draft.place is not None else draft.country


# -- locating --------------------------------------------------------------------------


def _deepest(location: Any) -> Place | None:
    for ref in (location.admin2, location.admin1, location.country):
        if ref is not None:
            return Place.objects.filter(uuid=ref.uuid).first()
    return None


def locate_draft(draft: Draft) -> tuple[Place | None, str, str, list[str]]:
    """(place, place precision, method, triage reasons) from coordinates, choice or text."""
    reasons: list[str] = []
    if draft.latitude is not None and draft.longitude is not None:
        location = locate_one(draft.latitude, draft.longitude)
        place = _deepest(location)
        if place is not None:
            method = (
                LocationMethod.COORDINATES
                if location.method == "boundary"
                else LocationMethod.NEAREST
            )
            if location.method != "boundary" and location.distance_m > FAR_FROM_PLACES_M:
                reasons.append("The point is far from any known place.")
            if draft.place is not None and not place.path.startswith(draft.place.path):
                reasons.append("The point lies outside the place that was named.")
            return place, PlacePrecision.EXACT, method, reasons
        reasons.append("The point could not be placed.")
    if draft.place is not None:
        return (
            draft.place,
            PRECISION_OF_KIND.get(draft.place.kind, PlacePrecision.UNKNOWN),
            LocationMethod.CHOSEN,
            reasons,
        )
    if draft.location_text.strip():
        candidates = geocode(draft.location_text, draft.country or None, limit=3)
        if candidates:
            best = candidates[0]
            rivals = [
                c for c in candidates[1:] if c.score >= best.score - 3 and c.place != best.place
            ]
            if best.score < SURE_GEOCODE_SCORE:
                reasons.append(f"The place name was matched only loosely ({best.matched_name}).")
            elif rivals:
                reasons.append(
                    f"The place name fits several places ({best.matched_name}, "
                    f"{rivals[0].matched_name})."
                )
            return (
                best.place,
                PRECISION_OF_KIND.get(best.place.kind, PlacePrecision.UNKNOWN),
                LocationMethod.GEOCODED,
                reasons,
            )
        reasons.append("No known place has that name.")
    if draft.country:
        country = Place.objects.filter(kind=PlaceKind.COUNTRY, country_code=draft.country).first()
        if country is not None:
            reasons.append("Only the country is known.")
            return country, PlacePrecision.COUNTRY, LocationMethod.GATEWAY, reasons
    reasons.append("The report has no place.")
    return None, PlacePrecision.UNKNOWN, LocationMethod.NONE, reasons


# -- validating ------------------------------------------------------------------------


def clean_answers(
    framework: IndicatorFramework, kind: str, answers: Mapping[str, Any]
) -> dict[str, Any]:
    """The admin's extra fields: known keys only, typed, required ones present."""
    fields = {f.key: f for f in active.fields(framework.pk) if f.report_kind in ("", kind)}
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    for key in answers:
        if key not in fields:
            errors.setdefault(f"answers.{key}", []).append("This form has no such question.")
    for key, spec in fields.items():
        value = answers.get(key)
        if value in (None, ""):
            if spec.required:
                errors.setdefault(f"answers.{key}", []).append("This question needs an answer.")
            continue
        try:
            clean[key] = _typed(spec, value)
        except (TypeError, ValueError) as problem:
            errors.setdefault(f"answers.{key}", []).append(str(problem))
    if errors:
        raise Invalid("Some answers do not fit the form.", fields=errors)
    return clean


def _typed(spec: ReportField, value: Any) -> Any:
    if spec.field_type == FieldType.NUMBER:
        if isinstance(value, bool):
            raise ValueError("Give a number.")
        return float(value)
    if spec.field_type == FieldType.YES_NO:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in {"yes", "true", "1", "on"}:
            return True
        if text in {"no", "false", "0", "off"}:
            return False
        raise ValueError("Answer yes or no.")
    if spec.field_type == FieldType.CHOICE:
        if str(value) not in [str(choice) for choice in spec.choices]:
            raise ValueError("Choose one of the listed answers.")
        return str(value)
    if spec.field_type == FieldType.DATE:
        return dt.date.fromisoformat(str(value)).isoformat()
    text = str(value).strip()
    if len(text) > 2000:
        raise ValueError("Keep the answer under 2,000 characters.")
    return text


def clean_observations(
    framework: IndicatorFramework, observations: Mapping[str, Any]
) -> list[tuple[Indicator, float | None, str]]:
    if not observations:
        # Most reports are incidents with no indicator values: reading the framework's
        # indicators for them was a fifth of the intake's time (bench/README.md, intake).
        return []
    indicators = {i.code: i for i in Indicator.objects.filter(framework=framework)}
    errors: dict[str, list[str]] = {}
    rows: list[tuple[Indicator, float | None, str]] = []
    for code, value in observations.items():
        indicator = indicators.get(code)
        if indicator is None:
            errors.setdefault(f"observations.{code}", []).append("No such indicator.")
            continue
        try:
            rows.append((indicator, *_observed(indicator, value)))
        except (TypeError, ValueError) as problem:
            errors.setdefault(f"observations.{code}", []).append(str(problem))
    if errors:
        raise Invalid("Some indicator values do not fit.", fields=errors)
    return rows


def _observed(indicator: Indicator, value: Any) -> tuple[float | None, str]:
    if indicator.value_type == ValueType.TEXT:
        return None, str(value)[:500]
    if indicator.value_type == ValueType.YES_NO:
        if isinstance(value, bool):
            return float(value), ""
        text = str(value).strip().lower()
        if text in {"yes", "true", "1"}:
            return 1.0, ""
        if text in {"no", "false", "0"}:
            return 0.0, ""
        raise ValueError("Answer yes or no.")
    if isinstance(value, bool):
        raise ValueError("Give a number.")
    number = float(value)
    if indicator.value_type == ValueType.SCALE and not 0 <= number <= 4:
        raise ValueError("Give a value from 0 to 4.")
    if indicator.value_type == ValueType.COUNT and (number < 0 or number != int(number)):
        raise ValueError("Give a whole number, 0 or more.")
    return number, ""


def check_draft(draft: Draft) -> None:
    """Refuse what cannot be right, so bad input changes nothing."""
    errors: dict[str, list[str]] = {}
    if draft.kind not in ReportKind.values:
        errors["kind"] = ["Choose incident or situation."]
    if draft.kind == ReportKind.SITUATION and not draft.observations and not draft.description:
        errors["observations"] = ["A situation report needs indicator values or a description."]
    if draft.kind == ReportKind.INCIDENT and not (draft.description.strip() or draft.event_type):
        errors["description"] = ["Say what happened, or choose the type of event."]
    for name in ("killed", "injured", "displaced"):
        value = getattr(draft, name)
        if value is not None and value < 0:
            errors[name] = ["Give a number of people, 0 or more."]
    now = timezone.now()
    if draft.occurred_at is not None and draft.occurred_at > now + dt.timedelta(hours=1):
        errors["occurred_at"] = ["This time is in the future."]
    if (
        draft.occurred_at is not None
        and draft.occurred_until is not None
        and draft.occurred_until < draft.occurred_at
    ):
        errors["occurred_until"] = ["The period ends before it starts."]
    if (draft.latitude is None) != (draft.longitude is None):
        errors["latitude"] = ["Give both latitude and longitude, or neither."]
    elif (
        draft.latitude is not None
        and draft.longitude is not None
        and not (-90 <= draft.latitude <= 90 and -180 <= draft.longitude <= 180)
    ):
        errors["latitude"] = ["This is not a latitude and longitude."]
    if draft.time_precision not in TimePrecision.values:
        errors["time_precision"] = ["Unknown precision."]
    if (
        draft.event_type is not None
        and draft.framework is not None
        and draft.event_type.framework_id != draft.framework.pk
    ):
        errors["event_type"] = ["This event type belongs to another framework."]
    if errors:
        raise Invalid("The report is not complete.", fields=errors)


# -- making reports ----------------------------------------------------------------------


@dataclass(frozen=True)
class Prepared:
    """What a draft becomes before anything is written: place, checked answers and values."""

    place: Place | None
    precision: str
    method: str
    reasons: list[str]
    answers: dict[str, Any]
    observations: list[tuple[Indicator, float | None, str]]


def prepare(draft: Draft, framework: IndicatorFramework) -> Prepared:
    """Locate the draft and check its answers: reads only, so it runs before the write
    transaction (on SQLite that holds the write lock for less time)."""
    place, precision, method, reasons = locate_draft(draft)
    return Prepared(
        place=place,
        precision=precision,
        method=method,
        reasons=reasons,
        answers=clean_answers(framework, draft.kind, draft.answers),
        observations=clean_observations(framework, draft.observations),
    )


def _new_report(
    draft: Draft,
    *,
    reporter: Reporter | None,
    channel: str,
    received_at: dt.datetime,
    framework: IndicatorFramework,
) -> Report:
    """Save the report with its indicator values."""
    prepared = prepare(draft, framework)
    report = _report_row(
        draft,
        reporter=reporter,
        channel=channel,
        received_at=received_at,
        framework=framework,
        prepared=prepared,
    )
    insert(report)
    _observe(report, prepared)
    analysis.count_on_commit([report])
    return report


def _report_row(
    draft: Draft,
    *,
    reporter: Reporter | None,
    channel: str,
    received_at: dt.datetime,
    framework: IndicatorFramework,
    prepared: Prepared,
) -> Report:
    """The report a prepared draft becomes, not yet written."""
    place, precision, method = prepared.place, prepared.precision, prepared.method
    reasons = [*draft.triage_reasons, *prepared.reasons]
    if draft.kind == ReportKind.INCIDENT and draft.event_type is None:
        reasons.append("The type of event is not known.")
    if reporter is not None and reporter.trust == Trust.BLOCKED:
        reasons.append("The sender is blocked.")
    return Report(
        kind=draft.kind,
        framework=framework,
        reporter=reporter,
        channel=channel,
        received_at=received_at,
        occurred_at=draft.occurred_at or received_at,
        occurred_until=draft.occurred_until,
        time_precision=draft.time_precision,
        place=place,
        place_precision=precision,
        location_method=method,
        location_text=draft.location_text[:300],
        latitude=draft.latitude,
        longitude=draft.longitude,
        event_type=draft.event_type,
        title=draft.title[:200],
        description=draft.description,
        language=draft.language[:10],
        actors_text=draft.actors_text[:500],
        killed=draft.killed,
        injured=draft.injured,
        displaced=draft.displaced,
        answers=prepared.answers,
        needs_triage=bool(reasons),
        triage_reasons=reasons,
    )


def _observe(report: Report, prepared: Prepared) -> None:
    """Save the report's indicator values (most reports have none)."""
    if prepared.observations:
        Observation.objects.bulk_create(
            Observation(report=report, indicator=indicator, value=value, text=text)
            for indicator, value, text in prepared.observations
        )


def _create_report(
    draft: Draft, *, inbound: InboundMessage, by: Any, framework: IndicatorFramework
) -> Report:
    """A stored message becomes a report."""
    report = _new_report(
        draft,
        reporter=inbound.reporter,
        channel=inbound.channel,
        received_at=inbound.received_at,
        framework=framework,
    )
    inbound.state = InboundState.REPORTED
    inbound.report = report
    inbound.place = report.place
    inbound.save(update_fields=["state", "report", "place", "updated_at"])
    record_event(report, "report.received", by=by, note=inbound.get_channel_display())
    return report


def _submitted(scope: str, idempotency_key: str) -> Report | None:
    """The report a caller already stored under this idempotency key."""
    if not idempotency_key:
        return None
    first = (
        InboundMessage.objects.filter(idempotency_scope=scope, idempotency_key=idempotency_key)
        .select_related("report")
        .first()
    )
    return first.report if first is not None else None


def submit_report(
    draft: Draft,
    *,
    by: Any,
    channel: str,
    payload: Mapping[str, Any],
    sender: Identity = Identity(),
    idempotency_key: str = "",
) -> tuple[Report, bool]:
    """A report from the web form or the API: the report and its sealed raw message are
    stored in one commit, so answering after this returns means nothing can be lost.

    Returns (report, whether it is new): the same idempotency key from the same caller gives
    back the report stored the first time, whatever the body says.
    """
    scope = f"user:{by.pk}" if getattr(by, "pk", None) else "anonymous"
    first = _submitted(scope, idempotency_key)
    if first is not None:
        return first, False
    framework = draft.framework or active_framework()
    draft.framework = framework
    check_draft(draft)
    if _has_words(draft):
        draft = Words.of(sender, country=_country_of(draft)).draft(draft)
    prepared = prepare(draft, framework)
    try:
        return _store_submission(
            draft,
            prepared=prepared,
            by=by,
            channel=channel,
            payload=payload,
            sender=sender,
            scope=scope if idempotency_key else "",
            idempotency_key=idempotency_key,
            framework=framework,
        ), True
    except IntegrityError:
        # The same key sent twice at once: the other request stored it first.
        first = _submitted(scope, idempotency_key)
        if first is None:
            raise
        return first, False


@transaction.atomic
def _store_submission(
    draft: Draft,
    *,
    by: Any,
    channel: str,
    payload: Mapping[str, Any],
    sender: Identity,
    scope: str,
    idempotency_key: str,
    framework: IndicatorFramework,
    prepared: Prepared,
) -> Report:
    received_at = timezone.now()
    country = draft.place.country_code if draft.place is not None else draft.country
    reporter = reporter_for(sender, user=by, country=country)
    report = _report_row(
        draft,
        reporter=reporter,
        channel=channel,
        received_at=received_at,
        framework=framework,
        prepared=prepared,
    )
    # The report, its raw message (written already read, beside its report), its audit row
    # and its count request: one statement on PostgreSQL, which also asks whether a count
    # task is waiting (one round trip where there were four).
    inbound = InboundMessage(
        channel=channel,
        received_at=received_at,
        payload=identity.seal({"payload": dict(payload), "sender": sender.sealed()}),
        idempotency_scope=scope[:80],
        idempotency_key=idempotency_key[:200],
        reporter=reporter,
        state=InboundState.REPORTED,
        report=report,
        place=report.place,
    )
    waiting = insert_together(
        report,
        (inbound, "report"),
        (audit_row(report, "report.received", by=by, note=str(Channel(channel).label)), ""),
        (analysis.count_request(report), "report_id"),
        ask=analysis.count_task_waiting(),
    )
    _observe(report, prepared)
    analysis.counted_on_commit(waiting)
    return report


@transaction.atomic
def report_from_inbound(inbound: InboundMessage, draft: Draft, *, by: Any = None) -> Report:
    """A stored message that a channel has parsed becomes a report."""
    inbound = InboundMessage.objects.select_for_update().get(pk=inbound.pk)
    if inbound.report is not None:
        return inbound.report
    framework = draft.framework or active_framework()
    draft.framework = framework
    if _has_words(draft):
        sender = inbound_sender(inbound)
        words = Words.of(sender, reporter=inbound.reporter, country=_country_of(draft))
        draft = words.draft(draft)
    return _create_report(draft, inbound=inbound, by=by, framework=framework)


@transaction.atomic
def send_to_triage(inbound: InboundMessage, *, problem: str, by: Any = None) -> InboundMessage:
    """A message nobody could read as a report waits for a person: never dropped."""
    inbound.state = InboundState.TRIAGE
    inbound.problem = problem[:300]
    inbound.save(update_fields=["state", "problem", "updated_at"])
    record_event(inbound, "inbound.triaged", by=by, note=problem[:300])
    return inbound
