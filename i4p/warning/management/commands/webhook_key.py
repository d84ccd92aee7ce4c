"""`i4p webhook_key URL`: the key a webhook receiver checks i4p's signatures with."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from i4p.registry.models import ContactPoint
from i4p.warning.channels.webhook import HEADER, key_for


class Command(BaseCommand):
    help = (
        "Print the key each webhook receiver at this address checks the "
        f"{HEADER} header with (HMAC-SHA256 of the body). Each receiver has its own key, "
        "derived from I4P_WEBHOOK_SECRET: give it to that receiver's administrator only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("url", help="the webhook address, as recorded on the mechanism")

    def handle(self, *args: Any, **options: Any) -> None:
        url = options["url"].strip()
        contacts = ContactPoint.objects.filter(kind="url", value=url).select_related("actor")
        if not contacts:
            raise CommandError(f"No mechanism has the webhook address {url}.")
        for contact in contacts.order_by("actor__name"):
            self.stdout.write(f"{contact.actor.name}\t{key_for(contact)}")
