"""Registry endpoints of /api/v1: actors and relations."""

from ninja import Router

router = Router(tags=["registry"])
