"""Users, their role grants (scoped to places, with expiry) and machine API tokens."""

from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from i4p.core.models import PublicModel
from i4p.geo.models import Place


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    MODERATOR = "moderator", _("Moderator")
    ANALYST = "analyst", _("Analyst")
    RESPONDER = "responder", _("Responder")
    MONITOR = "monitor", _("Community monitor")
    MEMBER = "member", _("Member")


# Staff roles see sensitive data or act for others: they must use two-factor authentication.
STAFF_ROLES = frozenset({Role.ADMIN, Role.MODERATOR, Role.ANALYST, Role.RESPONDER})


class User(AbstractUser):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    language = models.CharField(max_length=10, blank=True, help_text=_("Preferred language."))
    time_zone = models.CharField(max_length=64, blank=True)
    failed_logins = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    totp_secret = models.CharField(max_length=64, blank=True)
    totp_confirmed_at = models.DateTimeField(null=True, blank=True)
    # The time step of the last code accepted: a code is good once, and never one older.
    totp_last_step = models.BigIntegerField(null=True, blank=True)
    # Wrong second-factor codes in a row; a right password does not reset them, a right code does.
    failed_codes = models.PositiveIntegerField(default=0)

    @property
    def has_totp(self) -> bool:
        return bool(self.totp_secret) and self.totp_confirmed_at is not None

    @property
    def has_two_factor(self) -> bool:
        """A confirmed authenticator app, or at least one security key (passkey)."""
        return self.has_totp or self.security_keys.exists()

    @property
    def is_locked(self) -> bool:
        return self.locked_until is not None and self.locked_until > timezone.now()


class RoleGrant(PublicModel):
    """A role for a user within a place (and everything inside it); no place means everywhere."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="grants")
    role = models.CharField(max_length=16, choices=Role.choices)
    place = models.ForeignKey(
        Place, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    granted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "place"], name="accounts_grant_unique")
        ]

    def __str__(self) -> str:
        where = self.place.name if self.place is not None else "everywhere"
        return f"{self.user} as {self.role} in {where}"


class TokenScope(models.TextChoices):
    READ = "read", _("Read")
    WRITE = "write", _("Read and write")


class ApiToken(PublicModel):
    """A machine's key to the API; only a SHA-256 hash is stored, the token is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    scope = models.CharField(max_length=8, choices=TokenScope.choices, default=TokenScope.READ)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class SecurityKey(PublicModel):
    """A WebAuthn credential (a security key or passkey) that serves as a second factor."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="security_keys")
    name = models.CharField(max_length=100)
    credential_id = models.CharField(max_length=1400, unique=True)  # base64url, as browsers send
    public_key = models.BinaryField()
    sign_count = models.PositiveBigIntegerField(default=0)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name
