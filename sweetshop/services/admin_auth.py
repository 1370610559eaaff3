"""Owner sign-in: hashed passwords, server-side sessions, and throttled guessing.

Throttling lives in PostgreSQL (the login_attempt table) so it holds even with Redis down,
and it fails closed: if attempts cannot be counted, sign-in is refused.
"""
from __future__ import annotations

import secrets
import time
from datetime import timedelta
from functools import cache

from sqlalchemy import func, or_, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..models import AdminSession, AdminUser, LoginAttempt, utcnow
from .errors import DomainError, InvalidInput

WINDOW = timedelta(minutes=15)
SLOW_AFTER = 3        # failures in the window before each attempt is slowed down
REFUSE_AFTER = 10     # failures per account or per address before refusing for the window
SESSION_IDLE = timedelta(days=7)
MIN_PASSWORD = 10


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


def create_or_reset_admin(email: str, password: str) -> tuple[AdminUser, bool]:
    """Create an owner account, or reset its password (ending its sessions). Commits."""
    email = normalise_email(email)
    if "@" not in email or len(email) < 3:
        raise InvalidInput("Please give a valid email address.", field="email")
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"The password needs at least {MIN_PASSWORD} characters.",
                           field="password")
    user = db.session.scalar(select(AdminUser).where(AdminUser.email == email))
    created = user is None
    if created:
        user = AdminUser(email=email, password_hash="")
        db.session.add(user)
    user.password_hash = generate_password_hash(password)
    user.active = True
    db.session.flush()
    if not created:
        _end_sessions_of(user.id)
    db.session.commit()
    return user, created


def _recent_failures(email: str, address: str) -> tuple[int, int]:
    since = utcnow() - WINDOW
    by_email, by_address = db.session.execute(
        select(
            func.count().filter(LoginAttempt.email == email),
            func.count().filter(LoginAttempt.address == address),
        ).where(
            LoginAttempt.succeeded.is_(False), LoginAttempt.created_at > since,
            or_(LoginAttempt.email == email, LoginAttempt.address == address),
        )
    ).one()
    return by_email, by_address


def sign_in(email: str, password: str, address: str, user_agent: str = "",
            sleep=time.sleep) -> AdminSession:
    """Check the credentials and open a new server-side session. Commits.

    Refuses for a while after REFUSE_AFTER failures for the account or the address, and
    slows each attempt after SLOW_AFTER. The message never says whether the email exists.
    """
    email = normalise_email(email)
    address = (address or "unknown")[:64]
    failures = max(_recent_failures(email, address))
    if failures >= REFUSE_AFTER:
        raise SignInRefused("Too many failed attempts. Please wait 15 minutes and try again.")
    if failures >= SLOW_AFTER:
        sleep(min(0.25 * 2 ** (failures - SLOW_AFTER), 3.0))
    user = db.session.scalar(select(AdminUser).where(AdminUser.email == email))
    valid = check_password_hash(user.password_hash if user else _dummy_hash(), password or "")
    ok = bool(user and user.active and valid)
    db.session.add(LoginAttempt(email=email, address=address, succeeded=ok))
    if not ok:
        db.session.commit()
        raise BadCredentials("That email and password do not match an account.")
    session = AdminSession(id=secrets.token_urlsafe(32), user_id=user.id,
                           user_agent=(user_agent or "")[:200])
    db.session.add(session)
    db.session.commit()
    return session


def current_admin(session_id: str | None) -> AdminUser | None:
    """The owner behind a live session id, or None. Touches last_seen at most once a minute."""
    if not session_id or len(session_id) > 64:
        return None
    row = db.session.get(AdminSession, session_id)
    now = utcnow()
    if row is None or row.ended_at is not None or not row.user.active:
        return None
    if now - row.last_seen_at > SESSION_IDLE:
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
