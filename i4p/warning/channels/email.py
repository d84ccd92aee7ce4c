"""E-mail through Django's mail settings: the alert's words in every language, a link to its
page, and its CAP 1.2 XML attached when the CAP writer is installed."""

from __future__ import annotations

import smtplib

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import translation
from django.utils.translation import gettext as _

from i4p.warning.channels.base import DeliveryResult, alert_url, cap_document, texts_of
from i4p.warning.models import CapMsgType, Delivery


def address_of(delivery: Delivery) -> str:
    if delivery.contact is not None:
        return delivery.contact.value.strip()
    if delivery.user is not None:
        return delivery.user.email.strip()
    return ""


def subject_of(delivery: Delivery, language: str) -> str:
    alert = delivery.alert
    texts = texts_of(alert, language)
    headline = texts[0].headline if texts else alert.place.name
    with translation.override(language or None):
        if alert.msg_type == CapMsgType.UPDATE:
            prefix = _("Alert update")
        elif alert.msg_type == CapMsgType.CANCEL:
            prefix = _("Alert cancelled")
        else:
            prefix = _("Alert")
    return f"[{prefix}] {headline}"[:200]


def body_of(delivery: Delivery, language: str) -> str:
    alert = delivery.alert
    with translation.override(language or None):
        lines = [
            _("Place: %(place)s") % {"place": alert.place.name},
            _("Severity: %(severity)s, urgency: %(urgency)s, certainty: %(certainty)s")
            % {
                "severity": alert.get_severity_display(),
                "urgency": alert.get_urgency_display(),
                "certainty": alert.get_certainty_display(),
            },
            _("Sent to %(name)s (%(level)s level).")
            % {"name": delivery.actor.name, "level": delivery.get_level_display()},
            "",
        ]
        for text in texts_of(alert, language):
            lines += [f"[{text.language}] {text.headline}", text.description, text.instruction, ""]
        lines.append(_("Read and acknowledge: %(url)s") % {"url": alert_url(alert)})
    return "\n".join(line for line in lines if line is not None)


def send(delivery: Delivery) -> DeliveryResult:
    to = address_of(delivery)
    if not to or "@" not in to:
        return DeliveryResult(ok=False, error="No e-mail address.", retry=False)
    language = delivery.user.language if delivery.user is not None else ""
    message = EmailMessage(
        subject=subject_of(delivery, language),
        body=body_of(delivery, language),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
    )
    document = cap_document(delivery.alert)
    if document is not None:
        message.attach(f"{delivery.alert.uuid}.cap.xml", document, "application/cap+xml")
    try:
        message.send(fail_silently=False)
    except smtplib.SMTPRecipientsRefused:
        return DeliveryResult(ok=False, error="The mail server refused the address.", retry=False)
    except (smtplib.SMTPException, OSError) as error:
        return DeliveryResult(ok=False, error=f"Mail: {type(error).__name__}: {error}"[:300])
    return DeliveryResult(ok=True)
