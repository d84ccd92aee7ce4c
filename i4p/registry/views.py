"""Registry pages: directory, actor page, network, submission and moderation."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from i4p.accounts.permissions import Perm
from i4p.accounts.selectors import has_anywhere
from i4p.core.errors import DomainError
from i4p.registry.forms import DirectoryFilterForm, RejectForm, SubmitActorForm
from i4p.registry.models import Actor
from i4p.registry.selectors import (
    ActorFilters,
    actor_detail,
    actor_relations,
    contacts_visible_to,
    moderation_queue,
    search_actors,
)
from i4p.registry.services import ActorData, publish_actor, reject_actor, submit_actor

PAGE_SIZE = 25


def directory(request: HttpRequest) -> HttpResponse:
    form = DirectoryFilterForm(request.GET or None)
    filters = ActorFilters()
    if form.is_valid():
        data = form.cleaned_data
        filters = ActorFilters(
            text=data["q"],
            kind=data["kind"],
            level=data["level"],
            theme=data["theme"].slug if data["theme"] else "",
            place=data["place"],
        )
    actors = search_actors(request.user, filters)
    page = Paginator(actors, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request, "registry/directory.html", {"form": form, "page": page, "query": query.urlencode()}
    )


def actor_page(request: HttpRequest, uuid: str) -> HttpResponse:
    actor = actor_detail(request.user, uuid)
    if actor is None:
        raise Http404(_("No such organisation."))
    return render(
        request,
        "registry/actor.html",
        {
            "actor": actor,
            "relations": actor_relations(request.user, actor),
            "contacts": contacts_visible_to(request.user, actor),
        },
    )


def network(request: HttpRequest) -> HttpResponse:
    return render(request, "registry/network.html", {})


def submit(request: HttpRequest) -> HttpResponse:
    form = SubmitActorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actor, duplicates = submit_actor(
                ActorData(
                    name=data["name"],
                    acronym=data["acronym"],
                    kind=data["kind"],
                    level=data["level"],
                    place=data["country"],
                    coverage=[data["country"]],
                    description=data["description"],
                    website=data["website"],
                    themes=[theme.slug for theme in data["themes"]],
                ),
                by=request.user,
                submitter_email=data["submitter_email"],
            )
        except DomainError as error:
            for name, problems in error.fields.items():
                for problem in problems:
                    form.add_error(name if name in form.fields else None, problem)
            if not error.fields:
                form.add_error(None, error.message)
        else:
            return render(
                request, "registry/submitted.html", {"actor": actor, "duplicates": duplicates}
            )
    return render(request, "registry/submit.html", {"form": form})


@login_required
def moderation(request: HttpRequest) -> HttpResponse:
    if not has_anywhere(request.user, Perm.MODERATE):
        raise Http404
    return render(
        request,
        "registry/moderation.html",
        {"queue": moderation_queue(request.user), "reject_form": RejectForm()},
    )


@login_required
@require_POST
def moderate(request: HttpRequest, uuid: str) -> HttpResponse:
    actor = moderation_queue(request.user).filter(uuid=uuid).first()
    if actor is None:
        raise Http404
    try:
        if request.POST.get("decision") == "publish":
            publish_actor(actor, by=request.user)
            messages.success(request, _("%(name)s is published.") % {"name": actor.name})
        else:
            form = RejectForm(request.POST)
            reason = form.cleaned_data["reason"] if form.is_valid() else ""
            reject_actor(actor, by=request.user, reason=reason)
            messages.success(request, _("%(name)s is rejected.") % {"name": actor.name})
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("registry:moderation")


def actor_url(actor: Actor) -> str:
    return f"/actors/{actor.uuid}/"
