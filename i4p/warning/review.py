"""Reviewing reports: edit locks, assignment, verdicts, Admiralty grades, corrections, triage.

Nobody overwrites another reviewer: every write to a report here needs the edit lock, which
expires by itself (`I4P_REVIEW_LOCK_MINUTES`) so a reviewer who walks away blocks nobody for
long, and which an admin may break with a reason. Verification is one thing; sensitivity and
visibility are others, set apart. Every change is an audit event naming the fields, never
their values.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from i4p.accounts.permissions import Perm
from i4p.accounts.selectors import can
from i4p.core.audit import record_event
from i4p.core.errors import Invalid, NotAllowed, NotFound, WrongState
from i4p.geo.models import Place
from i4p.warning import analysis, intake
from i4p.warning.models import (
    EventType,
    InboundMessage,
    InboundState,
    InformationCredibility,
    LocationMethod,
    PlacePrecision,
    Report,
    Sensitivity,
    SourceReliability,
    Verification,
    Visibility,
)

VERDICTS = (
    Verification.VERIFIED,
    Verification.CREDIBLE,
    Verification.FALSE,
    Verification.DUPLICATE,
)


def lock_minutes() -> int:
    return int(getattr(settings, "I4P_REVIEW_LOCK_MINUTES", 15))


def lock_holder(report: Report, *, now: dt.datetime | None = None) -> Any:
    """Who holds the edit lock now, or None: an expired lock is no lock."""
    now = now or timezone.now()
    if report.locked_by_id is None or report.locked_until is None or report.locked_until <= now:
        return None
    return report.locked_by


def can_review(user: Any, report: Report) -> bool:
    return can(user, Perm.REVIEW, report.place)


def _check_scope(user: Any, report: Report) -> None:
    if not can_review(user, report):
        raise NotAllowed("You cannot review reports in this area.")


def _fresh(report: Report) -> Report:
    """The report as stored now, its row locked until the transaction ends."""
    fresh = (
        Report.objects.select_for_update(of=("self",))
        .select_related("place", "locked_by")
        .filter(pk=report.pk)
        .first()
    )
    if fresh is None:
        raise NotFound("No such report.")
    return fresh


def _require_lock(report: Report, by: Any) -> Report:
    """The report, re-read and row-locked, if `by` may review it and holds its edit lock."""
    _check_scope(by, report)
    fresh = _fresh(report)
    holder = lock_holder(fresh)
    if holder is None:
        raise WrongState("Take the edit lock before changing this report.")
    if holder.pk != by.pk:
        raise WrongState(
            f"{holder.username} is editing this report; wait until the lock expires "
            "or ask an admin to break it."
        )
    return fresh


def _copy_back(target: Report, source: Report, names: list[str]) -> None:
    for name in names:
        setattr(target, name, getattr(source, name))


# -- the edit lock -------------------------------------------------------------------------


@transaction.atomic
def take_lock(report: Report, *, by: Any) -> Report:
    """Take the edit lock, or renew one's own: it runs `I4P_REVIEW_LOCK_MINUTES` from now."""
    _check_scope(by, report)
    fresh = _fresh(report)
    holder = lock_holder(fresh)
    if holder is not None and holder.pk != by.pk:
        raise WrongState(f"{holder.username} is editing this report until the lock expires.")
    renewing = holder is not None
    fresh.locked_by = by
    fresh.locked_until = timezone.now() + dt.timedelta(minutes=lock_minutes())
    fresh.save(update_fields=["locked_by", "locked_until", "updated_at"])
    record_event(
        fresh,
        "report.lock_renewed" if renewing else "report.locked",
        by=by,
        fields=["locked_by", "locked_until"],
    )
    _copy_back(report, fresh, ["locked_by_id", "locked_until"])
    report.locked_by = by
    return report


@transaction.atomic
def release_lock(report: Report, *, by: Any) -> Report:
    fresh = _require_lock(report, by)
    fresh.locked_by = None
    fresh.locked_until = None
    fresh.save(update_fields=["locked_by", "locked_until", "updated_at"])
    record_event(fresh, "report.unlocked", by=by, fields=["locked_by", "locked_until"])
    report.locked_by = None
    report.locked_until = None
    return report


@transaction.atomic
def break_lock(report: Report, *, by: Any, reason: str) -> Report:
    """An admin frees a report another reviewer holds. The reason goes in the audit log."""
    if not can(by, Perm.BREAK_LOCK, report.place):
        raise NotAllowed("Only an admin of this area can break an edit lock.")
    reason = reason.strip()
    if not reason:
        raise Invalid("Say why the lock is broken.", fields={"reason": ["Give a reason."]})
    fresh = _fresh(report)
    holder = lock_holder(fresh)
    if holder is None:
        raise WrongState("Nobody holds the edit lock of this report.")
    fresh.locked_by = None
    fresh.locked_until = None
    fresh.save(update_fields=["locked_by", "locked_until", "updated_at"])
    record_event(
        fresh,
        "report.lock_broken",
        by=by,
        fields=["locked_by", "locked_until"],
        note=f"held by {holder.username}: {reason[:500]}",
    )
    report.locked_by = None
    report.locked_until = None
    return report


# -- assignment ------------------------------------------------------------------------------


@transaction.atomic
def assign_report(report: Report, *, by: Any, to: Any) -> Report:
    """Give the report to a reviewer of its area (or to nobody, with `to=None`)."""
    fresh = _require_lock(report, by)
    if to is not None and not can(to, Perm.REVIEW, fresh.place):
        raise Invalid(
            "This person cannot review reports in this area.",
            fields={"assigned_to": ["Choose a reviewer of this area."]},
        )
    fresh.assigned_to = to
    fresh.save(update_fields=["assigned_to", "updated_at"])
    record_event(fresh, "report.assigned", by=by, fields=["assigned_to"])
    report.assigned_to = to
    return report


# -- verdicts and grades ---------------------------------------------------------------------


@transaction.atomic
def judge_report(
    report: Report,
    *,
    by: Any,
    verdict: str,
    reliability: str = "",
    credibility: str = "",
    duplicate_of: Report | None = None,
    note: str = "",
) -> Report:
    """Record a verdict (verified, credible, false, duplicate) with the Admiralty grades.

    A duplicate names its original, one the reviewer can also review; other verdicts forget
    any original named before. Grades left empty keep their value.
    """
    fresh = _require_lock(report, by)
    errors: dict[str, list[str]] = {}
    if verdict not in VERDICTS:
        errors["verdict"] = ["Choose verified, credible, false or duplicate."]
    if reliability and reliability not in SourceReliability.values:
        errors["reliability"] = ["Grade the source from A to F."]
    if credibility and credibility not in InformationCredibility.values:
        errors["credibility"] = ["Grade the information from 1 to 6."]
    if verdict == Verification.DUPLICATE:
        if duplicate_of is None:
            errors["duplicate_of"] = ["Name the report this one repeats."]
        elif duplicate_of.pk == fresh.pk:
            errors["duplicate_of"] = ["A report cannot repeat itself."]
        elif not can_review(by, duplicate_of):
            errors["duplicate_of"] = ["Name a report you can review."]
        elif duplicate_of.duplicate_of_id is not None:
            errors["duplicate_of"] = ["That report is itself a duplicate: name its original."]
    elif duplicate_of is not None:
        errors["duplicate_of"] = ["Only a duplicate names an original."]
    if errors:
        raise Invalid("The verdict is not complete.", fields=errors)
    changed = ["verification", "duplicate_of", "reviewed_by", "reviewed_at"]
    fresh.verification = verdict
    fresh.duplicate_of = duplicate_of if verdict == Verification.DUPLICATE else None
    fresh.reviewed_by = by
    fresh.reviewed_at = timezone.now()
    if reliability:
        fresh.source_reliability = reliability
        changed.append("source_reliability")
    if credibility:
        fresh.information_credibility = credibility
        changed.append("information_credibility")
    fresh.save(update_fields=[*changed, "updated_at"])
    record_event(fresh, f"report.judged.{verdict}", by=by, fields=changed, note=note[:500])
    # The verdict decides whether the report counts, and whether it counts as confirmed.
    analysis.count_on_commit([fresh])
    _copy_back(report, fresh, [*changed, "duplicate_of_id"])
    return report


# -- corrections -----------------------------------------------------------------------------


UNCHANGED: Any = object()
# Corrections that change how a report is counted (analysis.py).
COUNTED_FIELDS = {"place", "event_type", "killed", "injured", "displaced"}


@dataclass
class ReportChanges:
    """What a reviewer corrects; fields left UNCHANGED keep their value."""

    place: Place | None = UNCHANGED
    event_type: EventType | None = UNCHANGED
    killed: int | None = UNCHANGED
    injured: int | None = UNCHANGED
    displaced: int | None = UNCHANGED
    sensitivity: str = UNCHANGED
    visibility: str = UNCHANGED

    def given(self) -> dict[str, Any]:
        return {name: value for name, value in vars(self).items() if value is not UNCHANGED}


@transaction.atomic
def edit_report(report: Report, *, by: Any, changes: ReportChanges, note: str = "") -> Report:
    """Correct place, type, casualties, sensitivity or visibility. A new place is REVIEWED."""
    fresh = _require_lock(report, by)
    given = changes.given()
    errors: dict[str, list[str]] = {}
    if "place" in given:
        place = given["place"]
        if place is None:
            errors["place"] = ["Choose a place."]
        elif not can(by, Perm.REVIEW, place):
            errors["place"] = ["Choose a place in your area."]
    if "event_type" in given:
        event_type = given["event_type"]
        if event_type is not None and event_type.framework_id != fresh.framework_id:
            errors["event_type"] = ["This event type belongs to another framework."]
    for name in ("killed", "injured", "displaced"):
        value = given.get(name)
        if value is not None and value < 0:
            errors[name] = ["Give a number of people, 0 or more."]
    if "sensitivity" in given and given["sensitivity"] not in Sensitivity.values:
        errors["sensitivity"] = ["Unknown sensitivity."]
    if "visibility" in given and given["visibility"] not in Visibility.values:
        errors["visibility"] = ["Unknown visibility."]
    if errors:
        raise Invalid("The changes do not fit.", fields=errors)
    changed = [name for name, value in given.items() if getattr(fresh, name) != value]
    if not changed:
        return report
    before = analysis.groups_of([fresh])
    for name in changed:
        setattr(fresh, name, given[name])
    if "place" in changed:
        fresh.place_precision = intake.PRECISION_OF_KIND.get(
            fresh.place.kind if fresh.place else "", PlacePrecision.UNKNOWN
        )
        fresh.location_method = LocationMethod.REVIEWED
        changed += ["place_precision", "location_method"]
    fresh.save(update_fields=[*changed, "updated_at"])
    record_event(fresh, "report.edited", by=by, fields=changed, note=note[:500])
    if COUNTED_FIELDS & set(changed):  # recount where it was counted and where it is now
        analysis.count_on_commit([fresh], before=before)
    _copy_back(report, fresh, changed)
    return report


@transaction.atomic
def clear_triage(report: Report, *, by: Any, note: str = "") -> Report:
    """A person has looked: the report leaves the triage list (its reasons stay on record)."""
    fresh = _require_lock(report, by)
    if not fresh.needs_triage:
        raise WrongState("This report is not waiting in triage.")
    fresh.needs_triage = False
    fresh.save(update_fields=["needs_triage", "updated_at"])
    record_event(fresh, "report.triage_cleared", by=by, fields=["needs_triage"], note=note[:500])
    report.needs_triage = False
    return report


# -- triage messages -------------------------------------------------------------------------


def _check_inbound(inbound: InboundMessage, by: Any) -> InboundMessage:
    from i4p.warning.selectors import triage_messages

    fresh = triage_messages(by).select_for_update(of=("self",)).filter(pk=inbound.pk).first()
    if fresh is None:
        raise NotFound("No such message waiting in your triage queue.")
    return fresh


@transaction.atomic
def report_from_triage(inbound: InboundMessage, draft: intake.Draft, *, by: Any) -> Report:
    """A reviewer reads a message no machine could and writes it down as a report."""
    fresh = _check_inbound(inbound, by)
    draft.framework = draft.framework or intake.active_framework()
    intake.check_draft(draft)
    if draft.place is not None and not can(by, Perm.REVIEW, draft.place):
        raise Invalid("Choose a place in your area.", fields={"place": ["Outside your area."]})
    report = intake.report_from_inbound(fresh, draft, by=by)
    if draft.place is not None:
        report.location_method = LocationMethod.REVIEWED
        report.save(update_fields=["location_method", "updated_at"])
    record_event(fresh, "inbound.reported", by=by, fields=["state", "report"])
    inbound.state = InboundState.REPORTED
    inbound.report = report
    return report


@transaction.atomic
def dismiss_inbound(inbound: InboundMessage, *, by: Any, reason: str) -> InboundMessage:
    """Not a report (spam, a test, a greeting): set aside with a reason, never deleted."""
    reason = reason.strip()
    if not reason:
        raise Invalid("Say why it is dismissed.", fields={"reason": ["Give a reason."]})
    fresh = _check_inbound(inbound, by)
    fresh.state = InboundState.DISMISSED
    fresh.save(update_fields=["state", "updated_at"])
    record_event(fresh, "inbound.dismissed", by=by, fields=["state"], note=reason[:500])
    inbound.state = InboundState.DISMISSED
    return inbound
