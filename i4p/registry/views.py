"""Registry pages: directory, actor page, network, submission and moderation.

Every page is server-rendered and every form works without JavaScript; the only script is the
optional map, drawn with Leaflet from our own static files.
"""

from __future__ import annotations

import uuid as uuid_module
from collections import defaultdict
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Case, CharField, Count, Value, When
from django.db.models.functions import Cast, Concat
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import get_language_bidi
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from i4p.accounts.permissions import Perm
from i4p.accounts.selectors import can, has_anywhere, scope_of
from i4p.core.errors import DomainError, NotFound
from i4p.geo.models import Boundary, Place, PlaceKind
from i4p.registry import diagrams
from i4p.registry.forms import (
    ActorEditForm,
    DirectoryFilterForm,
    MergeForm,
    RejectForm,
    RelationForm,
    SubmitActorForm,
)
from i4p.registry.models import Actor, ActorVersion, Level, Moderation
from i4p.registry.network import (
    NetworkFigures,
    neighbourhood,
    published_actors,
    ready_network_figures,
)
from i4p.registry.selectors import (
    ActorFilters,
    actor_detail,
    actor_relations,
    actor_results,
    contacts_visible_to,
    moderation_queue,
    relations_visible_to,
    search_actors,
    visible_actors,
)
from i4p.registry.services import (
    add_relation,
    find_duplicates,
    merge_actors,
    publish_actor,
    reject_actor,
    submit_actor,
    update_actor,
)

PAGE_SIZE = 25
QUEUE_PAGE_SIZE = 10
# The directory's download links: files of `exchange.files.EXPORTS`, in the order shown.
EXPORT_FORMATS = [
    ("actors.csv", "HXL CSV"),
    ("relations.csv", "HXL CSV (relations)"),
    ("popolo.json", "Popolo JSON"),
    ("actors.geojson", "GeoJSON"),
]
# Above this many actors the network page draws levels and brokers instead of every node.
NETWORK_DRAW_ALL = 80
NEIGHBOURHOOD_LIMIT = 40


def _report(form: Any, error: DomainError) -> None:
    """Put a service's complaint next to the fields it names, or on top of the form."""
    placed = False
    for name, problems in error.fields.items():
        for problem in problems:
            if name in form.fields:
                form.add_error(name, problem)
                placed = True
    if not placed:
        form.add_error(None, error.message)


def _export_links(query: str) -> list[tuple[str, str]]:
    links = []
    for name, label in EXPORT_FORMATS:
        url = reverse("registry:export", kwargs={"format": name})
        links.append((f"{url}?{query}" if query else url, label))
    return links


def _map_settings(place: Place | None = None) -> dict[str, str]:
    """Tiles when the instance has a tile server; else loaded boundaries as an offline base."""
    tiles: str = getattr(settings, "I4P_TILE_URL", "")
    boundaries = ""
    if not tiles and place is not None:
        country = (
            place
            if place.kind == PlaceKind.COUNTRY
            else Place.objects.filter(kind=PlaceKind.COUNTRY, country_code=place.country_code)
            .order_by("depth")
            .first()
        )
        if (
            country is not None
            and Boundary.objects.filter(place__path__startswith=country.path).exists()
        ):
            try:
                url = reverse("api:place_boundaries", kwargs={"place_uuid": country.uuid})
            except NoReverseMatch:  # the places API is not mounted
                url = ""
            # First-level subdivisions, well simplified: a few tens of kilobytes at most.
            boundaries = f"{url}?kind=admin1&tolerance=0.02" if url else ""
    return {
        "tiles": tiles,
        "attribution": getattr(settings, "I4P_TILE_ATTRIBUTION", ""),
        "boundaries": boundaries,
    }


@require_safe
def directory(request: HttpRequest) -> HttpResponse:
    show_pending = has_anywhere(request.user, Perm.VIEW_PRIVATE)
    form = DirectoryFilterForm(request.GET or None, show_pending=show_pending)
    filters = ActorFilters()
    if form.is_valid():
        data = form.cleaned_data
        filters = ActorFilters(
            text=data["q"],
            kind=data["kind"],
            level=data["level"],
            theme=data["theme"].slug if data["theme"] else "",
            place=form.place,
            include_pending=bool(data.get("pending")),
        )
    results = actor_results(request.user, filters)
    # Counted up to 1,000 matches ("1,000+"), or past the page asked for, so Next goes on.
    asked = request.GET.get("page", "1")
    asked_page = int(asked) if asked.isdigit() and len(asked) < 7 else 1
    results = results.counting_to(asked_page * PAGE_SIZE)
    page = Paginator(results, PAGE_SIZE).get_page(asked)
    actors = results.matches
    query = request.GET.copy()
    query.pop("page", None)
    # One marker per seat, counting every match (not only this page), in one query.
    seats = (
        actors.order_by()
        .filter(place__latitude__isnull=False)
        .values("place__name", "place__latitude", "place__longitude")
        .annotate(n=Count("id"))
    )
    points = [
        {
            "name": row["place__name"],
            "lat": row["place__latitude"],
            "lon": row["place__longitude"],
            "n": row["n"],
        }
        for row in seats
    ]
    return render(
        request,
        "registry/directory.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "exports": _export_links(query.urlencode()),
            "points": points,
            "map": _map_settings(form.place if form.is_valid() else None) if points else {},
        },
    )


def _neighbourhood(user: Any, actor: Actor) -> diagrams.Picture:
    """The actor, its partners and their partners, as the user may see them."""
    try:
        hood = neighbourhood(user, actor, depth=2, max_nodes=NEIGHBOURHOOD_LIMIT)
    except NotFound:  # not published yet: nothing links to it
        return diagrams.Picture(width=diagrams.WIDTH, height=0)
    # Acronyms make the shortest labels ("NPC"); the analysis does not carry them.
    acronyms = {
        str(uuid): acronym
        for uuid, acronym in Actor.objects.filter(uuid__in=[n.uuid for n in hood.nodes])
        .exclude(acronym="")
        .values_list("uuid", "acronym")
    }
    nodes = [
        diagrams.NodeIn(
            key=node.uuid,
            label=acronyms.get(node.uuid) or node.name,
            level=node.level,
            title=node.name,
            focus=node.uuid == hood.centre,
            url="" if node.uuid == hood.centre else reverse("registry:actor", args=[node.uuid]),
        )
        for node in hood.nodes
    ]
    edges = [diagrams.EdgeIn(edge.source, edge.target, edge.kind) for edge in hood.edges]
    return diagrams.banded(nodes, edges, rtl=get_language_bidi())


def _grouped_relations(user: Any, actor: Actor) -> list[dict[str, Any]]:
    """Relations by kind, each in both directions: "member of …" and "… are members"."""
    groups: dict[str, dict[str, Any]] = defaultdict(lambda: {"out": [], "in": []})
    labels: dict[str, str] = {}
    for relation in actor_relations(user, actor):
        labels[relation.kind] = relation.get_kind_display()
        if relation.source_id == actor.pk:
            groups[relation.kind]["out"].append(relation)
        else:
            groups[relation.kind]["in"].append(relation)
    return [
        {"kind": kind, "label": labels[kind], **sides} for kind, sides in sorted(groups.items())
    ]


@require_safe
def actor_page(request: HttpRequest, uuid: str) -> HttpResponse:
    actor = actor_detail(request.user, uuid)
    if actor is None:
        raise Http404(_("No such organisation."))
    staff = scope_of(request.user, Perm.VIEW_PRIVATE).covers(actor.place)
    place = actor.place
    point = (
        {"lat": place.latitude, "lon": place.longitude, "name": actor.name}
        if place is not None and place.latitude is not None and place.longitude is not None
        else None
    )
    return render(
        request,
        "registry/actor.html",
        {
            "actor": actor,
            "relation_groups": _grouped_relations(request.user, actor),
            "contacts": contacts_visible_to(request.user, actor),
            "picture": _neighbourhood(request.user, actor),
            "history": (
                ActorVersion.objects.filter(actor=actor).select_related("by")[:50] if staff else []
            ),
            "can_edit": can(request.user, Perm.EDIT_ACTOR, actor.place),
            "map": _map_settings(place),
            "point": point,
            "point_list": [point] if point else [],
        },
    )


def _editable(request: HttpRequest, uuid: str) -> Actor:
    actor = actor_detail(request.user, uuid)
    if actor is None:
        raise Http404(_("No such organisation."))
    if not can(request.user, Perm.EDIT_ACTOR, actor.place):
        raise PermissionDenied(_("You cannot edit organisations in this area."))
    return actor


@login_required
def actor_edit(request: HttpRequest, uuid: str) -> HttpResponse:
    actor = _editable(request, uuid)
    seen = actor.updated_at.isoformat()
    form = ActorEditForm(
        request.POST if request.method == "POST" else None, initial=ActorEditForm.initial_for(actor)
    )
    if request.method == "POST" and form.is_valid():
        # Two editors on one entry: the second is told, instead of silently overwriting.
        if request.POST.get("seen") != seen:
            # Their input is kept; sending again (now knowing) saves over the newer version.
            form.add_error(
                None,
                _(
                    "Someone changed this entry while you were editing it. "
                    "Compare with the page, then send your change again."
                ),
            )
        else:
            try:
                update_actor(
                    actor, form.actor_data(actor), by=request.user, note=form.cleaned_data["note"]
                )
            except DomainError as error:
                _report(form, error)
            else:
                messages.success(request, _("Changes saved."))
                return redirect("registry:actor", uuid=actor.uuid)
    return render(request, "registry/actor_edit.html", {"actor": actor, "form": form, "seen": seen})


@login_required
def relation_add(request: HttpRequest, uuid: str) -> HttpResponse:
    actor = _editable(request, uuid)
    search = (request.POST.get("target_q") or request.GET.get("target_q") or "").strip()
    candidates: list[Actor] = []
    if search:
        candidates = list(
            search_actors(request.user, ActorFilters(text=search)).exclude(pk=actor.pk)[:15]
        )
    chosen = request.POST.get("target", "")
    if chosen and not any(str(c.uuid) == chosen for c in candidates):
        candidates += list(visible_actors(request.user).filter(uuid=chosen).exclude(pk=actor.pk))
    form = RelationForm(
        request.POST if request.method == "POST" else None,
        targets=candidates,
        initial={"direction": "out"},
    )
    if request.method == "POST" and form.is_valid():
        other = next(c for c in candidates if str(c.uuid) == str(form.cleaned_data["target"]))
        source, target = (
            (actor, other) if form.cleaned_data["direction"] == "out" else (other, actor)
        )
        try:
            add_relation(source, target, form.relation_data(), by=request.user)
        except DomainError as error:
            _report(form, error)
        else:
            messages.success(request, _("Relation added."))
            return redirect("registry:actor", uuid=actor.uuid)
    return render(
        request,
        "registry/relation_add.html",
        {"actor": actor, "form": form, "search": search, "candidates": candidates},
    )


def _network_picture(user: Any, brokers: list[str]) -> tuple[diagrams.Picture, bool]:
    """Every actor when few; else the `brokers` (uuids) one by one and the rest per level."""
    actors = published_actors(user)
    relations = relations_visible_to(user)
    rtl = get_language_bidi()
    if actors.count() <= NETWORK_DRAW_ALL:
        nodes = [
            diagrams.NodeIn(
                key=str(uuid),
                label=acronym or name,
                level=level,
                title=name,
                url=reverse("registry:actor", args=[uuid]),
            )
            for uuid, name, acronym, level in actors.values_list("uuid", "name", "acronym", "level")
        ]
        edges = [
            diagrams.EdgeIn(str(s), str(t), k)
            for s, t, k in relations.values_list("source__uuid", "target__uuid", "kind")
        ]
        return diagrams.banded(nodes, edges, rtl=rtl), False
    # Large: the database counts; only a dozen brokers and seven levels reach the page.
    kept = {
        str(uuid): (name, acronym, level)
        for uuid, name, acronym, level in actors.filter(uuid__in=brokers).values_list(
            "uuid", "name", "acronym", "level"
        )
    }
    counts = dict(actors.values_list("level").annotate(n=Count("id")).order_by())
    nodes = [
        diagrams.NodeIn(
            key=uuid,
            label=acronym or name,
            level=level,
            title=name,
            url=reverse("registry:actor", args=[uuid]),
        )
        for uuid, (name, acronym, level) in kept.items()
    ]
    for level, total in counts.items():
        rest = total - sum(1 for _n, _a, lv in kept.values() if lv == level)
        if rest > 0:
            nodes.append(
                diagrams.NodeIn(key=f"level:{level}", label=str(rest), level=level, weight=rest)
            )
    uuids = list(kept)
    source_is = Case(
        When(source__uuid__in=uuids, then=Cast("source__uuid", CharField())),
        default=Concat(Value("level:"), "source__level"),
        output_field=CharField(),
    )
    target_is = Case(
        When(target__uuid__in=uuids, then=Cast("target__uuid", CharField())),
        default=Concat(Value("level:"), "target__level"),
        output_field=CharField(),
    )
    grouped = (
        relations.filter(source__in=actors, target__in=actors)
        .annotate(a=source_is, b=target_is)
        .values_list("a", "b", "kind")
        .annotate(n=Count("id"))
        .order_by()
    )
    edges = [
        diagrams.EdgeIn(_plain_uuid(a), _plain_uuid(b), kind, weight=n)
        for a, b, kind, n in grouped
        if a != b
    ]
    return diagrams.banded(nodes, edges, rtl=rtl), True


def _plain_uuid(value: str) -> str:
    """PostgreSQL casts a uuid with dashes, SQLite stores 32 hex digits: one spelling for keys."""
    if value.startswith("level:"):
        return value
    return str(uuid_module.UUID(value))


@require_safe
def network(request: HttpRequest) -> HttpResponse:
    ready = ready_network_figures(request.user)
    figures = ready.figures
    brokers = [row.actor.uuid for row in figures.betweenness.top[:12]] if figures else []
    picture, aggregated = _network_picture(request.user, brokers)
    return render(
        request,
        "registry/network.html",
        {
            "picture": picture,
            "aggregated": aggregated,
            "ready": ready,
            "figures": figures,
            **(_figure_charts(figures) if figures else {}),
        },
    )


def _figure_charts(figures: NetworkFigures) -> dict[str, Any]:
    """Bars for the ranked figures; tables read the figures themselves."""

    def url(uuid: str) -> str:
        return reverse("registry:actor", args=[uuid])

    levels = dict(Level.choices)
    return {
        "broker_bars": diagrams.bars(
            (
                row.actor.name,
                round(row.betweenness),
                url(row.actor.uuid),
                str(levels.get(row.actor.level, row.actor.level)),
            )
            for row in figures.betweenness.top[:10]
        ),
        "degree_bars": diagrams.bars(
            (
                row.actor.name,
                row.degree,
                url(row.actor.uuid),
                str(levels.get(row.actor.level, row.actor.level)),
            )
            for row in figures.degree[:10]
        ),
        "gap_bars": diagrams.bars(
            (
                row.country.name,
                row.subdivisions - row.covered,
                "",
                _("%(covered)s of %(total)s covered")
                % {"covered": row.covered, "total": row.subdivisions},
            )
            for row in sorted(figures.coverage.countries, key=lambda r: r.covered - r.subdivisions)[
                :15
            ]
        ),
        "level_names": levels,
    }


def submit(request: HttpRequest) -> HttpResponse:
    form = SubmitActorForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            actor, duplicates = submit_actor(
                form.actor_data(),
                by=request.user,
                submitter_email=form.cleaned_data["submitter_email"],
            )
        except DomainError as error:
            _report(form, error)
        else:
            return render(
                request,
                "registry/submitted.html",
                {
                    "actor": actor,
                    "duplicates": [
                        d for d in duplicates if d[0].moderation == Moderation.PUBLISHED
                    ],
                },
            )
    return render(request, "registry/submit.html", {"form": form})


def _duplicates_for(user: Any, actor: Actor) -> list[tuple[Actor, float]]:
    """Likely duplicates the moderator may see: another area's pending entries stay hidden."""
    found = find_duplicates(
        actor.name, country_code=actor.place.country_code if actor.place else "", exclude=actor
    )
    if not found:
        return []
    allowed = set(
        visible_actors(user).filter(pk__in=[a.pk for a, _s in found]).values_list("pk", flat=True)
    )
    return [(other, score) for other, score in found if other.pk in allowed]


@login_required
def moderation(request: HttpRequest) -> HttpResponse:
    if not has_anywhere(request.user, Perm.MODERATE):
        raise Http404
    page = Paginator(moderation_queue(request.user), QUEUE_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    entries = [
        {"actor": actor, "duplicates": _duplicates_for(request.user, actor)} for actor in page
    ]
    return render(
        request,
        "registry/moderation.html",
        {"page": page, "entries": entries, "reject_form": RejectForm()},
    )


@login_required
@require_POST
def moderate(request: HttpRequest, uuid: str) -> HttpResponse:
    actor = moderation_queue(request.user).filter(uuid=uuid).first()
    if actor is None:
        raise Http404
    decision = request.POST.get("decision")
    try:
        if decision == "publish":
            publish_actor(actor, by=request.user)
            messages.success(request, _("%(name)s is published.") % {"name": actor.name})
        elif decision == "reject":
            form = RejectForm(request.POST)
            reason = form.cleaned_data["reason"] if form.is_valid() else ""
            reject_actor(actor, by=request.user, reason=reason)
            messages.success(request, _("%(name)s is rejected.") % {"name": actor.name})
        elif decision == "merge":
            merge = MergeForm(request.POST)
            into = (
                visible_actors(request.user).filter(uuid=merge.cleaned_data["into"]).first()
                if merge.is_valid()
                else None
            )
            if into is None:
                messages.error(request, _("Choose the entry to merge into."))
            else:
                merge_actors(actor, into=into, by=request.user)
                messages.success(
                    request,
                    _("%(name)s is merged into %(into)s.")
                    % {"name": actor.name, "into": into.name},
                )
        else:
            messages.error(request, _("Choose publish, reject or merge."))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("registry:moderation")
