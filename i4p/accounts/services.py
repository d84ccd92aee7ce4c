"""Account write operations: users, grants, lockout, two-factor and API tokens."""

from __future__ import annotations

import copy
import hashlib
import hmac
import secrets
import time
from datetime import datetime, timedelta
from typing import Any

import pyotp
from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from django.utils.translation import gettext as _

from i4p.accounts.models import STAFF_ROLES, ApiToken, Role, RoleGrant, TokenScope, User
from i4p.accounts.permissions import Perm
from i4p.accounts.selectors import active_grants, can
from i4p.core.audit import record_event
from i4p.core.errors import DomainError, Invalid, NotAllowed
from i4p.geo.models import Place

TOKEN_PREFIX = "i4p_"


@transaction.atomic
def create_user(
    username: str,
    *,
    by: Any,
    password: str,
    email: str = "",
    language: str = "",
    is_superuser: bool = False,
) -> User:
    if User.objects.filter(username=username).exists():
        raise Invalid("This username is taken.", fields={"username": ["Already taken."]})
    user = User(
        username=username,
        email=email,
        language=language,
        is_superuser=is_superuser,
        is_staff=is_superuser,
    )
    user.set_password(password)
    user.save()
    record_event(user, "user.created", by=by, fields=["username", "email", "language"])
    return user


@transaction.atomic
def grant_role(
    user: User,
    *,
    by: Any,
    role: str,
    place: Place | None = None,
    expires_at: datetime | None = None,
) -> RoleGrant:
    if role not in Role.values:
        raise Invalid(f"Unknown role {role!r}.", fields={"role": ["Unknown role."]})
    if by is not None and not can(by, Perm.MANAGE_USERS, place):
        raise NotAllowed("You cannot grant roles in this area.")
    grant, _ = RoleGrant.objects.update_or_create(
        user=user,
        role=role,
        place=place,
        defaults={"expires_at": expires_at, "granted_by": by},
    )
    record_event(grant, "grant.given", by=by, fields=["role", "place", "expires_at"])
    return grant


@transaction.atomic
def revoke_grant(grant: RoleGrant, *, by: Any) -> None:
    if by is not None and not can(by, Perm.MANAGE_USERS, grant.place):
        raise NotAllowed("You cannot revoke roles in this area.")
    record_event(grant, "grant.revoked", by=by, fields=["role", "place"])
    grant.delete()


def needs_two_factor(user: Any) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    return active_grants(user).filter(role__in=list(STAFF_ROLES)).exists()


# Lockout: after N failed logins the account waits M minutes; the count resets on success.
@transaction.atomic
def register_failed_login(username: str) -> None:
    user = User.objects.select_for_update().filter(username=username).first()
    if user is None:
        return
    user.failed_logins += 1
    fields = ["failed_logins"]
    if user.failed_logins >= settings.I4P_LOCKOUT_THRESHOLD:
        user.locked_until = timezone.now() + timedelta(minutes=settings.I4P_LOCKOUT_MINUTES)
        fields.append("locked_until")
        record_event(user, "user.locked", by=None, fields=fields)
    user.save(update_fields=fields)


def register_login(user: User) -> None:
    if user.failed_logins or user.locked_until:
        user.failed_logins = 0
        user.locked_until = None
        user.save(update_fields=["failed_logins", "locked_until"])


@transaction.atomic
def start_two_factor(user: User) -> str:
    """Give the user a new TOTP secret to add to their authenticator app."""
    user.totp_secret = pyotp.random_base32()
    user.totp_confirmed_at = None
    user.totp_last_step = None
    user.save(update_fields=["totp_secret", "totp_confirmed_at", "totp_last_step"])
    record_event(user, "user.two_factor_started", by=user, fields=["totp_secret"])
    return user.totp_secret


def totp_uri(user: User) -> str:
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.username, issuer_name="i4p")


# A code is accepted one time step (30 s) either side of now, for phones whose clock drifts.
_TOTP_WINDOW = 1


def _matching_step(user: User, code: str) -> int | None:
    """The time step whose code this is, if it is one of the window's; else None."""
    if not user.totp_secret:
        return None
    totp = pyotp.TOTP(user.totp_secret)
    now = totp.timecode(timezone.now())
    for step in range(now - _TOTP_WINDOW, now + _TOTP_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code.strip()):
            return step
    return None


class SecondFactorLocked(DomainError):
    code = "locked"
    status = 403


def pass_totp(user: User, *, code: str) -> None:
    """Check a code from the user's authenticator app: the step of a strong second factor.

    A code is good once: the time step of the last accepted code is kept, and a code of that
    step or an older one is refused, so one code cannot open two sessions. Wrong codes count
    as failed logins do: after `I4P_LOCKOUT_THRESHOLD` in a row the account is locked for
    `I4P_LOCKOUT_MINUTES`, and while it is locked even the right code is refused. On the first
    right code the app's set-up is confirmed."""
    outcome = _try_totp(user, code)
    if outcome == "locked":
        raise SecondFactorLocked(
            _("Too many wrong codes: this account is locked for a while. Try again later."),
            fields={"code": [_("Locked after too many wrong codes.")]},
        )
    if outcome == "wrong":
        raise Invalid(
            _("That code is not right. Check the clock of your phone and try again."),
            fields={"code": [_("Wrong code.")]},
        )


@transaction.atomic
def _try_totp(user: User, code: str) -> str:
    """'ok', 'wrong' or 'locked'; the failure is counted in this transaction, not rolled back."""
    row = User.objects.select_for_update().get(pk=user.pk)
    if row.is_locked:
        return "locked"
    step = _matching_step(row, code)
    if step is None or (row.totp_last_step is not None and step <= row.totp_last_step):
        row.failed_codes += 1
        fields = ["failed_codes"]
        if row.failed_codes >= settings.I4P_LOCKOUT_THRESHOLD:
            row.failed_codes = 0
            row.locked_until = timezone.now() + timedelta(minutes=settings.I4P_LOCKOUT_MINUTES)
            fields.append("locked_until")
            record_event(row, "user.locked", by=None, fields=fields, note="wrong codes")
        row.save(update_fields=fields)
        return "wrong"
    row.totp_last_step = step
    row.failed_codes = 0
    fields = ["totp_last_step", "failed_codes"]
    if row.totp_confirmed_at is None:
        row.totp_confirmed_at = timezone.now()
        fields.append("totp_confirmed_at")
        record_event(row, "user.two_factor_confirmed", by=row, fields=["totp_confirmed_at"])
    row.save(update_fields=fields)
    user.totp_last_step, user.failed_codes = row.totp_last_step, row.failed_codes
    user.totp_confirmed_at = row.totp_confirmed_at
    return "ok"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def issue_token(
    user: User,
    *,
    by: Any,
    name: str,
    scope: str = TokenScope.READ,
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """Create a token; the plain text is returned once and only its hash is kept."""
    if scope not in TokenScope.values:
        raise Invalid(f"Unknown scope {scope!r}.", fields={"scope": ["Use read or write."]})
    if not name.strip():
        raise Invalid("Give the token a name.", fields={"name": ["Required."]})
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name.strip(),
        prefix=plain[: len(TOKEN_PREFIX) + 6],
        digest=_digest(plain),
        scope=scope,
        expires_at=expires_at,
    )
    record_event(token, "token.issued", by=by, fields=["name", "scope", "expires_at"])
    return token, plain


@transaction.atomic
def revoke_token(token: ApiToken, *, by: Any) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at", "updated_at"])
        record_event(token, "token.revoked", by=by, fields=["revoked_at"])


# A token found is kept by the process that found it for `TOKEN_SECONDS`: a machine client
# sending hundreds of reports a second then costs one read of its token every two seconds, not
# one a request. Revoking a token, or deactivating its user, takes effect at once in the process
# that saves it (the signals below forget every token) and within `TOKEN_SECONDS` in the others.
TOKEN_SECONDS = 2.0
token_clock = time.monotonic  # tests move it on
_tokens: dict[str, tuple[float, ApiToken]] = {}
_MOST_TOKENS = 10_000


def forget_tokens(**_: Any) -> None:
    """Read every token afresh on its next use."""
    _tokens.clear()


def _token_row(digest: str) -> ApiToken | None:
    now = token_clock()
    hit = _tokens.get(digest)
    if hit is not None and now - hit[0] < TOKEN_SECONDS:
        return hit[1]
    try:
        token = ApiToken.objects.select_related("user").get(
            digest=digest, revoked_at__isnull=True, user__is_active=True
        )
    except ApiToken.DoesNotExist:
        _tokens.pop(digest, None)
        return None  # unknown tokens are never kept: each guess is read from the database
    if len(_tokens) >= _MOST_TOKENS:
        _tokens.clear()
    _tokens[digest] = (now, token)
    return token


def authenticate_token(plain: str) -> ApiToken | None:
    kept = _token_row(_digest(plain))
    if kept is None:
        return None
    now = timezone.now()
    if kept.expires_at is not None and kept.expires_at <= now:
        return None
    # Written at most once a minute, so a busy machine client does not write on every call.
    if kept.last_used_at is None or now - kept.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=kept.pk).update(last_used_at=now)
        kept.last_used_at = now
    # Each request gets its own copies: nothing one request sets on them reaches another.
    token = copy.copy(kept)
    token.user = copy.copy(kept.user)
    return token


for _model in (ApiToken, User):
    post_save.connect(forget_tokens, sender=_model, dispatch_uid=f"tokens-forget-save-{_model}")
    post_delete.connect(forget_tokens, sender=_model, dispatch_uid=f"tokens-forget-del-{_model}")
