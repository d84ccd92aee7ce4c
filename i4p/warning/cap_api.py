"""CAP exchange API: each alert as CAP 1.2 XML and JSON, and the import of CAP alerts."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema, Status

from i4p.accounts.permissions import Perm
from i4p.accounts.selectors import has_anywhere
from i4p.api.auth import anyone, require_write, token_or_session
from i4p.api.schemas import InputSchema
from i4p.core.errors import NotAllowed
from i4p.warning import capfeed
from i4p.warning.models import Alert, AlertState, CapScope
from i4p.warning.schemas import ErrorOut
from i4p.warning.selectors import place_named

router = Router(tags=["alerts (CAP)"])

ERRORS: dict[int, type[ErrorOut]] = {code: ErrorOut for code in (400, 401, 403, 404, 409)}
# A CAP alert is a few kilobytes; a megabyte leaves room for long texts and signatures.
MAX_DOCUMENT = 1_000_000


def cap_headers(response: HttpResponse, alert: Alert, extension: str) -> HttpResponse:
    """Public alerts may be cached by anyone for a minute; the others by nobody."""
    public = alert.scope == CapScope.PUBLIC and alert.state != AlertState.DRAFT
    response["Cache-Control"] = "public, max-age=60" if public else "private, no-store"
    response["Content-Disposition"] = f'inline; filename="alert-{alert.uuid}.{extension}"'
    return response


@router.get(
    "/alerts/{alert_uuid}/cap.xml",
    auth=anyone,
    response={200: None, **ERRORS},
    summary="An alert as CAP 1.2 XML",
)
def alert_cap_xml(request: HttpRequest, alert_uuid: UUID) -> HttpResponse:
    """Public alerts to anyone; restricted, private and draft ones to holders of the alert
    grant in the alert's place (anyone else gets 404, as for an unknown alert)."""
    alert = capfeed.cap_alert_for(request.user, alert_uuid)
    answer = HttpResponse(capfeed.cap_xml(alert), content_type=capfeed.CAP_MEDIA_TYPE)
    return cap_headers(answer, alert, "xml")


class CapJsonOut(Schema):
    identifier: str
    sender: str
    sent: str
    status: str
    msgType: str  # CAP's element name
    scope: str
    info: list[dict[str, Any]]
    signature: dict[str, str] | None = Field(
        None,
        description="Imported alerts only: what their signature says (state, label, signer).",
    )


@router.get(
    "/alerts/{alert_uuid}/cap.json",
    auth=anyone,
    response={200: CapJsonOut, **ERRORS},
    summary="An alert as CAP 1.2 JSON",
)
def alert_cap_json(request: HttpRequest, alert_uuid: UUID) -> HttpResponse:
    """The same alert with CAP's element names, as JSON."""
    alert = capfeed.cap_alert_for(request.user, alert_uuid)
    answer = HttpResponse(
        json.dumps(capfeed.cap_json(alert), ensure_ascii=False),
        content_type="application/json",
    )
    return cap_headers(answer, alert, "json")


class CapImportIn(InputSchema):
    document: str = Field(
        ..., min_length=1, max_length=MAX_DOCUMENT, description="The CAP 1.2 alert as XML."
    )
    place: UUID | None = Field(
        None, description="The place the alert is about, when its areas name none i4p knows."
    )


class CapImportOut(Schema):
    uuid: UUID
    identifier: str
    sender: str
    msg_type: str
    scope: str
    place: UUID
    signature: str = Field(
        description='"trusted" (signed by a trusted sender: a trust anchor configured for the '
        'alert\'s sender vouches for the signer), "untrusted" (signed, but the signer is not '
        'trusted) or "unsigned".'
    )
    signature_label: str = Field(description="The signature state in words.")
    signer: str = Field(description="The signer's certificate, and the anchor that vouched.")
    created: bool = Field(description="False when this identifier was imported before.")
    replaced: bool = Field(
        description="True when this better-signed copy replaced the one stored before."
    )
    note: str = Field(description="What happened to a copy of a known alert.")
    cap_xml: str


@router.post(
    "/alerts/import",
    auth=token_or_session,
    response={200: CapImportOut, 201: CapImportOut, **ERRORS},
    summary="Import a CAP 1.2 alert from another system",
)
def import_alert(request: HttpRequest, payload: CapImportIn) -> Status[CapImportOut]:
    """Valid alerts are stored (201; 200 when the identifier was imported before); invalid
    ones are refused with the schema's reasons, a signature that does not verify is refused,
    an unsigned alert is accepted as unsigned. A signature counts as trusted only through a
    trust anchor an admin configured for the alert's sender. A known alert is replaced by a
    better-signed copy (`replaced`), never by a worse one (`note` says so)."""
    require_write(request)
    if not has_anywhere(request.user, Perm.ISSUE_ALERTS):
        raise NotAllowed("You cannot import alerts.")
    place = place_named(payload.place, "place")
    outcome = capfeed.import_cap_document(
        payload.document.encode("utf-8"), by=request.user, place=place
    )
    alert = outcome.alert
    return Status(
        201 if outcome.created else 200,
        CapImportOut(
            uuid=alert.uuid,
            identifier=alert.identifier,
            sender=alert.sender,
            msg_type=alert.msg_type,
            scope=alert.scope,
            place=alert.place.uuid,
            signature=alert.signature,
            signature_label=alert.get_signature_display(),
            signer=alert.signer,
            created=outcome.created,
            replaced=outcome.replaced,
            note=outcome.note,
            cap_xml=f"/api/v1/alerts/{alert.uuid}/cap.xml",
        ),
    )
