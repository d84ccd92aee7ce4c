"""What each role may do. Places scope the grant; this table says which actions it allows."""

from __future__ import annotations

from enum import StrEnum

from i4p.accounts.models import Role


class Perm(StrEnum):
    VIEW_PRIVATE = "registry.view_private"  # non-public relations, contacts, pending entries
    EDIT_ACTOR = "registry.edit_actor"
    MODERATE = "registry.moderate"
    MERGE = "registry.merge"
    IMPORT = "registry.import"
    MANAGE_PLACES = "geo.manage"
    MANAGE_USERS = "accounts.manage"
    # Early warning. Everyone signed in may report; a monitor sees only their own reports.
    VIEW_REPORTS = "warning.view_reports"  # every report in the place scope
    REVIEW = "warning.review"  # triage, verify, grade, group into incidents
    BREAK_LOCK = "warning.break_lock"  # take over another reviewer's edit lock
    REVEAL_IDENTITY = "warning.reveal_identity"  # a separate grant: asks a reason, audited
    MESSAGE_REPORTERS = "warning.message_reporters"  # follow-up questions through the gateway
    EXPORT_REPORTS = "warning.export"
    IMPORT_EVENTS = "warning.import_events"
    CONFIGURE_WARNING = "warning.configure"  # frameworks, form fields, gateways, wording
    VIEW_ALERTS = "warning.view_alerts"  # restricted alerts, signals and risk in the scope
    ISSUE_ALERTS = "warning.issue_alerts"  # draft, issue, update, cancel, close; import CAP
    RESPOND = "warning.respond"  # acknowledge an alert, record a response and its outcome


ROLE_PERMISSIONS: dict[str, frozenset[Perm]] = {
    # Revealing who a reporter is stays out of every role but admin, and even there each
    # reveal asks a reason and is audited.
    Role.ADMIN: frozenset(Perm),
    Role.MODERATOR: frozenset(
        {Perm.VIEW_PRIVATE, Perm.EDIT_ACTOR, Perm.MODERATE, Perm.MERGE, Perm.IMPORT}
    ),
    Role.ANALYST: frozenset(
        {
            Perm.VIEW_PRIVATE,
            Perm.VIEW_REPORTS,
            Perm.REVIEW,
            Perm.MESSAGE_REPORTERS,
            Perm.EXPORT_REPORTS,
            Perm.IMPORT_EVENTS,
            Perm.VIEW_ALERTS,
            Perm.ISSUE_ALERTS,
            Perm.RESPOND,
        }
    ),
    Role.RESPONDER: frozenset({Perm.VIEW_PRIVATE, Perm.VIEW_ALERTS, Perm.RESPOND}),
    Role.MONITOR: frozenset(),
    Role.MEMBER: frozenset(),
}


def roles_with(perm: Perm) -> list[str]:
    return [role for role, perms in ROLE_PERMISSIONS.items() if perm in perms]
