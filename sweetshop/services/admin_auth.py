"""Owner sign-in: hashed passwords, server-side sessions, and throttled guessing.

Throttling lives in PostgreSQL (the login_attempt table) so it holds even with Redis down,
and it fails closed: if attempts cannot be counted, sign-in is refused.

Guessing cannot lock the owner out (OWASP's "lock out untrusted clients only"): each
successful sign-in gives the browser a signed known-device token for that account
(issue_device_token; the view keeps it in a long-lived HttpOnly cookie). Then:
- a known device is refused only after REFUSE_AFTER failures of its own;
- an unknown device is refused from a client network with REFUSE_AFTER failures, and,
  while the account has ACCOUNT_LOCK_AFTER failures from unknown devices (guessing from
  rotating addresses), from any network that has failed at all; a network that has not
  failed is only slowed down. So the right password from a known device, or from a network
  with no failures, is never refused; an attacker rotating addresses gets one guess per
  fresh network per WINDOW, each slowed.
"""
from __future__ import annotations

import secrets
import time
from datetime import timedelta
from functools import cache

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import func, literal, or_, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..models import AdminSession, AdminUser, LoginAttempt, utcnow
from .errors import DomainError, InvalidInput

WINDOW = timedelta(minutes=15)
SLOW_AFTER = 3        # failures in the window before each attempt is slowed down
REFUSE_AFTER = 10     # failures per client network, or per known device, before refusing
ACCOUNT_LOCK_AFTER = 10  # an account's failures from unknown devices before they are locked
SESSION_IDLE = timedelta(days=7)  # the absolute limit is the ADMIN_SESSION_MAX_DAYS setting
MIN_PASSWORD = 10
DEVICE_TOKEN_DAYS = 365
DEVICES_PER_TOKEN = 5  # accounts one browser is remembered for
REFUSED = (_l("Too many failed attempts. Please wait 15 minutes and try again, or sign in "
           "on a phone or computer you have signed in on before."))


@cache
def _dummy_hash() -> str:
    """Checked against when the email is unknown, so both cases take the same time.
    Made on the first sign-in, not at import: every process (workers, CLI) imports this."""
    return generate_password_hash("not-a-real-password-used-for-timing")


class SignInRefused(DomainError):
    status_code = 429


class BadCredentials(DomainError):
    status_code = 401


def normalise_email(email: str | None) -> str:
    return (email or "").strip().lower()[:254]


def _sign_in_name(identifier: str | None) -> tuple[str, object]:
    """What a person typed to sign in (an email, or a mobile number in any usual format)
    -> (the normalised name attempts are counted under, the matching condition)."""
    from ..phones import normalise_phone

    text = normalise_email(identifier)
    if "@" not in text:
        phone = normalise_phone(text)
        if phone:
            return phone, AdminUser.phone == phone
    return text, AdminUser.email == text


def create_or_reset_admin(email: str, password: str) -> tuple[AdminUser, bool]:
    """Create an owner account, or reset its password (ending its sessions). Commits."""
    email = normalise_email(email)
    if "@" not in email or len(email) < 3:
        raise InvalidInput(_("Please give a valid email address."), field="email")
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(_('The password needs at least %(MIN_PASSWORD)s characters.', MIN_PASSWORD=MIN_PASSWORD),
                           field="password")
    user = db.session.scalar(select(AdminUser).where(AdminUser.email == email))
    created = user is None
    if created:
        user = AdminUser(email=email, password_hash="", role="owner")
        db.session.add(user)
    user.password_hash = generate_password_hash(password)
    user.active = True
    user.role = "owner"  # the command line makes owners (the staff page makes the others)
    db.session.flush()
    if not created:
        _end_sessions_of(user.id)
    db.session.commit()
    return user, created


def _device_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="admin-known-device")


def _known_devices(token: str | None) -> dict[str, str]:
    """{account id: device id} from a known-device token, {} if absent, forged or too old."""
    if not token or len(token) > 1000:
        return {}
    try:
        devices = _device_serializer().loads(token, max_age=DEVICE_TOKEN_DAYS * 86400)
    except BadSignature:
        return {}
    if not isinstance(devices, dict):
        return {}
    return {str(k): str(v)[:32] for k, v in devices.items()}


def issue_device_token(user_id: int, previous: str | None = None) -> str:
    """A fresh signed known-device token for `user_id` (a new device id), keeping the other
    accounts the browser was remembered for. Set at each successful sign-in."""
    devices = _known_devices(previous)
    devices.pop(str(user_id), None)
    devices[str(user_id)] = secrets.token_urlsafe(16)
    kept = dict(list(devices.items())[-DEVICES_PER_TOKEN:])
    return _device_serializer().dumps(kept)


def _recent_failures(email: str, address: str, device: str | None) -> tuple[int, int, int]:
    """Failures in the window: (account's from unknown devices, network's, this device's)."""
    since = utcnow() - WINDOW
    by_account, by_network, by_device = db.session.execute(
        select(
            func.count().filter(LoginAttempt.email == email, LoginAttempt.device.is_(None)),
            func.count().filter(LoginAttempt.address == address),
            func.count().filter(LoginAttempt.device == device) if device else literal(0),
        ).where(
            LoginAttempt.succeeded.is_(False), LoginAttempt.created_at > since,
            or_(LoginAttempt.email == email, LoginAttempt.address == address),
        )
    ).one()
    return by_account, by_network, by_device


def sign_in(email: str, password: str, address: str, user_agent: str = "",
            device_token: str | None = None, sleep=time.sleep) -> AdminSession:
    """Check the credentials and open a new server-side session. Commits.

    `address` is the client network (rate_limits.client_network()); `device_token` the
    browser's known-device token, if any. Refuses (SignInRefused) and slows down as the
    module docstring says. The message never says whether the email exists.
    """
    email, matches = _sign_in_name(email)
    address = (address or "unknown")[:64]
    user = db.session.scalar(select(AdminUser).where(matches))
    device = _known_devices(device_token).get(str(user.id)) if user else None
    by_account, by_network, by_device = _recent_failures(email, address, device)
    if device:
        refused, failures = by_device >= REFUSE_AFTER, by_device
    else:
        refused = by_network >= REFUSE_AFTER or (by_account >= ACCOUNT_LOCK_AFTER
                                                  and by_network > 0)
        failures = max(by_account, by_network)
    if refused:
        raise SignInRefused(REFUSED)
    if failures >= SLOW_AFTER:
        sleep(min(0.25 * 2 ** (failures - SLOW_AFTER), 3.0))
    # Staff who have not used their set-up link yet have no password: nothing matches.
    has_password = bool(user and user.password_hash)
    valid = check_password_hash(user.password_hash if has_password else _dummy_hash(),
                                password or "") and has_password
    ok = bool(user and user.active and valid)
    db.session.add(LoginAttempt(email=email, address=address, device=device, succeeded=ok))
    if not ok:
        db.session.commit()
        raise BadCredentials(_("That email or phone and password do not match an account."))
    session = AdminSession(id=secrets.token_urlsafe(32), user_id=user.id,
                           user_agent=(user_agent or "")[:200])
    db.session.add(session)
    db.session.commit()
    return session


def current_admin(session_id: str | None) -> AdminUser | None:
    """The owner behind a live session id, or None. Touches last_seen at most once a minute.

    A session ends after SESSION_IDLE unused, and ADMIN_SESSION_MAX_DAYS after sign-in
    however often it is used (so a copied cookie cannot live for ever).
    """
    if not session_id or len(session_id) > 64:
        return None
    row = db.session.get(AdminSession, session_id)
    now = utcnow()
    if row is None or row.ended_at is not None or not row.user.active:
        return None
    if now - row.last_seen_at > SESSION_IDLE:
        return None
    if now - row.created_at > timedelta(days=current_app.config["ADMIN_SESSION_MAX_DAYS"]):
        return None
    if now - row.last_seen_at > timedelta(minutes=1):
        row.last_seen_at = now
        db.session.commit()
    return row.user


def sign_out(session_id: str | None) -> None:
    if not session_id:
        return
    db.session.execute(update(AdminSession).where(AdminSession.id == session_id,
                                                  AdminSession.ended_at.is_(None))
                       .values(ended_at=utcnow()))
    db.session.commit()


def _end_sessions_of(user_id: int) -> None:
    db.session.execute(update(AdminSession).where(AdminSession.user_id == user_id,
                                                  AdminSession.ended_at.is_(None))
                       .values(ended_at=utcnow()))
