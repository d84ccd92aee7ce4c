"""CAP pages: an alert's CAP XML and JSON as link targets, the public Atom feed of alerts, and
the page where analysts import CAP alerts from other systems."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date, quote_etag
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from i4p.accounts.permissions import Perm
from i4p.accounts.selectors import has_anywhere, scope_of
from i4p.core.errors import DomainError
from i4p.geo.geocode import geocode
from i4p.geo.models import Place
from i4p.warning import capfeed
from i4p.warning.cap_api import MAX_DOCUMENT, cap_headers
from i4p.warning.models import Alert


def _visible(request: HttpRequest, uuid: Any) -> Alert:
    try:
        return capfeed.cap_alert_for(request.user, uuid)
    except DomainError:
        raise Http404(_("No such alert, or not one you may see.")) from None


@require_GET
def alert_cap_xml(request: HttpRequest, uuid: Any) -> HttpResponse:
    alert = _visible(request, uuid)
    answer = HttpResponse(capfeed.cap_xml(alert), content_type=capfeed.CAP_MEDIA_TYPE)
    return cap_headers(answer, alert, "xml")


@require_GET
def alert_cap_json(request: HttpRequest, uuid: Any) -> HttpResponse:
    alert = _visible(request, uuid)
    answer = HttpResponse(
        json.dumps(capfeed.cap_json(alert), ensure_ascii=False, indent=1),
        content_type="application/json",
    )
    return cap_headers(answer, alert, "json")


@require_GET
def alert_feed(request: HttpRequest) -> HttpResponse:
    """The public alerts as Atom; anyone may cache it for a minute, and a client that already
    has this version gets 304."""
    alerts = list(capfeed.feed_alerts())
    body = capfeed.atom_feed(
        alerts,
        feed_url=request.build_absolute_uri(reverse("warning:alert_feed")),
        cap_url=lambda alert: request.build_absolute_uri(
            reverse("warning:alert_cap_xml", args=[alert.uuid])
        ),
        title=_("Public alerts"),
    )
    etag = quote_etag(hashlib.sha256(body).hexdigest()[:32])
    newest = max((alert.updated_at for alert in alerts), default=None)
    last_modified = int(newest.timestamp()) if newest is not None else None
    unchanged = get_conditional_response(request, etag=etag, last_modified=last_modified)
    answer = unchanged or HttpResponse(body, content_type="application/atom+xml; charset=utf-8")
    answer["ETag"] = etag
    if last_modified is not None:
        answer["Last-Modified"] = http_date(last_modified)
    answer["Cache-Control"] = "public, max-age=60"
    return answer


class ImportForm(forms.Form):
    document = forms.CharField(
        label=gettext_lazy("CAP alert (XML)"),
        required=False,
        max_length=MAX_DOCUMENT,
        widget=forms.Textarea(attrs={"rows": 12, "dir": "ltr", "spellcheck": "false"}),
    )
    file = forms.FileField(label=gettext_lazy("or a CAP file"), required=False)
    place = forms.CharField(
        label=gettext_lazy("Place"),
        required=False,
        max_length=200,
        help_text=gettext_lazy(
            "Only when the alert's areas name no place i4p knows: the place it is about."
        ),
    )

    def clean_file(self) -> bytes | None:
        upload = self.cleaned_data.get("file")
        if upload is None:
            return None
        if upload.size is not None and upload.size > MAX_DOCUMENT:
            raise forms.ValidationError(_("The file is larger than a megabyte."))
        return bytes(upload.read())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("document", "").strip() and not data.get("file"):
            raise forms.ValidationError(_("Paste a CAP alert or choose a file."))
        return data


def _place(user: Any, name: str) -> Place:
    """The one place in the importer's scope with exactly this name."""
    try:
        candidates = geocode(name, limit=20)
    except DomainError as error:
        raise forms.ValidationError(error.message) from None
    scope = scope_of(user, Perm.ISSUE_ALERTS)
    exact = [c.place for c in candidates if c.kind in ("code", "exact") and scope.covers(c.place)]
    if len(exact) != 1:
        raise forms.ValidationError(
            _("No single place of yours has this name.")
            if not exact
            else _("Several places of yours have this name; give its code.")
        )
    return exact[0]


@login_required
def import_page(request: HttpRequest) -> HttpResponse:
    if not has_anywhere(request.user, Perm.ISSUE_ALERTS):
        raise Http404(_("No such page."))
    posted = request.method == "POST"
    form = ImportForm(request.POST if posted else None, request.FILES if posted else None)
    outcome: capfeed.ImportOutcome | None = None
    if posted and form.is_valid():
        data = form.cleaned_data
        document = data.get("file") or data["document"].strip().encode("utf-8")
        try:
            place = _place(request.user, data["place"]) if data.get("place") else None
            outcome = capfeed.import_cap_document(document, by=request.user, place=place)
        except forms.ValidationError as error:
            form.add_error("place", error)
        except DomainError as error:
            form.add_error(None, error.message)
            for reason in error.fields.get("cap", [])[:10]:
                form.add_error(None, reason)
    # A refused document comes back on the page with the reasons (200, as every form here).
    return render(request, "warning/cap/import.html", {"form": form, "outcome": outcome})
