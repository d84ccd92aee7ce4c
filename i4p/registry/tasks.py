"""Background tasks of the registry: network figures of large registries."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django_tasks import task


@task()
def compute_network_figures(user_id: int | None = None) -> str:
    """Compute the network figures one user sees and leave them in the cache for the pages."""
    from i4p.registry.network import network_figures

    user: Any = AnonymousUser()
    if user_id is not None:
        user = get_user_model().objects.filter(pk=user_id).first() or AnonymousUser()
    figures = network_figures(user)
    return figures.registry_version
