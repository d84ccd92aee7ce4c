"""Open-data pages: downloads of the directory (HXL CSV, Popolo, GeoJSON) and the import page.

Downloads stream, so a registry of 100,000 actors leaves the server a batch at a time, and
follow the directory's filters from the query string. The import page works without
JavaScript: upload, read the dry-run preview, confirm.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from i4p.accounts.permissions import Perm
from i4p.accounts.selectors import has_anywhere
from i4p.core.audit import record_event
from i4p.geo.models import Place
from i4p.registry.exchange.files import EXPORTS, parse_file
from i4p.registry.exchange.importer import run_import
from i4p.registry.exchange.places import as_uuid
from i4p.registry.exchange.source import ExportSource
from i4p.registry.models import ActorKind, Level
from i4p.registry.selectors import ActorFilters

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
_SESSION_KEY = "i4p_pending_import"


class BadFilters(Exception):
    """A download link whose filters name nothing that exists."""


def filters_from_query(request: HttpRequest) -> ActorFilters:
    """The directory's filters (q, kind, level, theme, country, area, pending) from the URL."""
    query = request.GET
    kind, level = query.get("kind", ""), query.get("level", "")
    if kind not in ("", *ActorKind.values) or level not in ("", *Level.values):
        raise BadFilters(_("Unknown kind or level."))
    place = None
    for name in ("area", "country", "place"):
        value = query.get(name, "")
        if value:
            place_id = as_uuid(value)
            place = Place.objects.filter(uuid=place_id).first() if place_id else None
            if place is None:
                raise BadFilters(_("No place has the id “%(id)s”.") % {"id": value})
            break
    pending = query.get("pending", "") in {"1", "on", "true", "yes"}
    return ActorFilters(
        text=query.get("q", "")[:200],
        kind=kind,
        level=level,
        theme=query.get("theme", "")[:60],
        place=place,
        include_pending=pending and has_anywhere(request.user, Perm.VIEW_PRIVATE),
    )


@require_GET
def export(request: HttpRequest, format: str) -> HttpResponseBase:
    chosen = EXPORTS.get(format)
    if chosen is None:
        raise Http404(_("No such export."))
    try:
        filters = filters_from_query(request)
    except BadFilters as error:
        return HttpResponse(str(error), status=400, content_type="text/plain; charset=utf-8")
    user = request.user
    if has_anywhere(user, Perm.VIEW_PRIVATE):
        # Staff exports may hold private relations and contacts: a read worth recording.
        record_event(
            None, "registry.exported", by=user, fields=[format], note=request.GET.urlencode()
        )
    response = StreamingHttpResponse(
        chosen.write(ExportSource(user=user, filters=filters)), content_type=chosen.content_type
    )
    response["Content-Disposition"] = f'attachment; filename="i4p-{chosen.filename}"'
    return response


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File to import"),
        help_text=gettext_lazy(
            "A CSV with HXL hashtags (as the directory's CSV download) or a Popolo JSON file."
        ),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 10 MB; split it."))
        return upload


class ConfirmForm(forms.Form):
    digest = forms.CharField(max_length=64, min_length=64)


@login_required
def import_page(request: HttpRequest) -> HttpResponse:
    if not has_anywhere(request.user, Perm.IMPORT):
        raise PermissionDenied(_("You may not import organisations."))
    context: dict[str, Any] = {"form": ImportForm()}
    if request.method == "POST" and request.POST.get("step") == "confirm":
        return _confirm(request, context)
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        context["form"] = form
        if form.is_valid():
            content = form.cleaned_data["file"].read()
            report = run_import(parse_file(content), by=request.user, dry_run=True)
            context["report"] = report
            if report.ok:
                digest = hashlib.sha256(content).hexdigest()
                request.session[_SESSION_KEY] = {
                    "digest": digest,
                    "name": form.cleaned_data["file"].name,
                    "content": content.decode("utf-8-sig"),
                }
                context["confirm"] = {"digest": digest, "name": form.cleaned_data["file"].name}
    return render(request, "registry/exchange/import.html", context)


def _confirm(request: HttpRequest, context: dict[str, Any]) -> HttpResponse:
    form = ConfirmForm(request.POST)
    pending = request.session.get(_SESSION_KEY) or {}
    if not form.is_valid() or form.cleaned_data["digest"] != pending.get("digest"):
        context["stale"] = True
        return render(request, "registry/exchange/import.html", context)
    report = run_import(parse_file(pending["content"].encode()), by=request.user)
    request.session.pop(_SESSION_KEY, None)
    context["report"] = report
    context["done"] = report.applied
    return render(request, "registry/exchange/import.html", context)
