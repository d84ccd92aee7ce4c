"""App config of web; also closes the Django admin to everyone but superusers."""

from django.apps import AppConfig
from django.http import HttpRequest


def _superusers_only(request: HttpRequest) -> bool:
    user = request.user
    return bool(user.is_active and user.is_superuser)


class WebConfig(AppConfig):
    name = "i4p.web"
    label = "web"
    verbose_name = "Web"

    def ready(self) -> None:
        from django.contrib import admin

        # The admin is for configuration by superusers; it must not bypass place scoping.
        admin.site.has_permission = _superusers_only  # type: ignore[method-assign]
        admin.site.site_header = "i4p configuration"
