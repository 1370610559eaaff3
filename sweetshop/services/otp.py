"""One-time codes that prove a customer holds a phone, before we show that phone's orders.

Guarantees:
- a code is 6 random digits (`secrets`), kept only as an HMAC-SHA256 keyed with SECRET_KEY;
  it works for 10 minutes, once, and only the newest code for a phone counts;
- 5 wrong tries end a code (the right code is refused after that; a new one is needed);
- at most 3 codes per phone per 15 minutes and 10 per day, at most 10 codes per client
  address per hour, and at most 20 failed tries per address per hour. The counts are rows
  in PostgreSQL, taken under an advisory lock, so they hold with Redis down and under races;
- asking for a code does the same work and gives the same answer whether or not the number
  has orders: a code row and an outbox row are written either way; the message is only
  sent to a number with orders (see request_code).
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, select

from ..extensions import db
from ..i18n import gettext as _
from ..i18n import ngettext
from ..models import LookupAttempt, LookupCode, Order, utcnow
from .errors import DomainError
from .notifications import SECRET_LIFETIME, queue_message, remember_known_phone

CODE_DIGITS = 6
CODE_TTL = SECRET_LIFETIME  # the outbox forgets an unsent code at the same age
MAX_WRONG_TRIES = 5
PHONE_WINDOW, PHONE_LIMIT = timedelta(minutes=15), 3
PHONE_DAY_LIMIT = 10          # so 5 tries x 3 codes cannot repeat all day against one phone
ADDRESS_WINDOW, ADDRESS_LIMIT = timedelta(hours=1), 10
VERIFY_FAILURES_PER_ADDRESS = 20  # per ADDRESS_WINDOW, across all phones
KEEP_ROWS = timedelta(days=2)     # prune() removes older codes and attempts


class TooManyRequests(DomainError):
    status_code = 429


class CodeRefused(DomainError):
    """Wrong, expired, used or exhausted code: the form shows the message by the Code field."""
    status_code = 422
    field = "code"


def generate_code() -> str:
    """6 random digits. Tests capture codes by replacing this function."""
    return f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"


def hash_code(phone: str, code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"lookup-code:{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def _lock(*names: str) -> None:
    # Transaction-scoped advisory locks: two requests for one phone (or from one address)
    # count and insert one after the other, so a burst cannot slip past a limit.
    for name in sorted(set(names)):
        db.session.execute(select(func.pg_advisory_xact_lock(func.hashtext(name))))


def request_code(phone: str, address: str) -> None:
    """Write a new code for `phone` (E.164) and queue its message. Commits.

    Raises TooManyRequests (writing nothing) beyond the per-address or per-phone limits;
    those answers are the same for every number, so they reveal nothing about orders.

    Sent only to numbers with orders: a code for any other number would only let strangers
    use the shop to text people (and run up its SMS bill). For a number without orders the
    code row and a 'skipped' outbox row are still written and enqueued, so the request does
    the same statements either way; the caller answers identically.
    """
    _lock(f"lookup-address:{address}", f"lookup-phone:{phone}")
    now = utcnow()
    by_address, by_phone, by_phone_today = db.session.execute(
        select(
            func.count().filter(LookupCode.address == address,
                                LookupCode.created_at > now - ADDRESS_WINDOW),
            func.count().filter(LookupCode.phone == phone,
                                LookupCode.created_at > now - PHONE_WINDOW),
            func.count().filter(LookupCode.phone == phone),
        ).where(LookupCode.created_at > now - timedelta(days=1))
    ).one()
    if by_address >= ADDRESS_LIMIT:
        db.session.rollback()
        raise TooManyRequests(_("Too many codes were asked for from here. "
                              "Please wait an hour and try again."), field="phone")
    if by_phone >= PHONE_LIMIT or by_phone_today >= PHONE_DAY_LIMIT:
        wait = "15 minutes" if by_phone_today < PHONE_DAY_LIMIT else "a day"
        db.session.rollback()
        raise TooManyRequests(_('We have sent several codes to this number already. Please use the latest one, or wait %(wait)s for a new one.', wait=wait), field="phone")

    code = generate_code()
    db.session.add(LookupCode(phone=phone, code_hash=hash_code(phone, code), address=address,
                              attempts=0, expires_at=now + CODE_TTL))
    # The customer's own choice of channel, from their latest order.
    latest = db.session.execute(
        select(Order.notify_whatsapp).where(Order.phone == phone)
        .order_by(Order.created_at.desc(), Order.id.desc()).limit(1)
    ).first()
    queue_message("lookup_code", phone, channel="whatsapp" if latest and latest[0] else "sms",
                  code=code, skip_reason=None if latest else _("no orders for this number"))
    db.session.commit()


def record_attempt(kind: str, address: str, succeeded: bool) -> None:
    db.session.add(LookupAttempt(kind=kind, address=address, succeeded=succeeded))


def recent_failures(kind: str, address: str, window: timedelta = ADDRESS_WINDOW) -> int:
    return db.session.scalar(
        select(func.count()).select_from(LookupAttempt).where(
            LookupAttempt.kind == kind, LookupAttempt.address == address,
            LookupAttempt.succeeded.is_(False), LookupAttempt.created_at > utcnow() - window)
    ) or 0


def verify_code(phone: str, code: str, address: str) -> None:
    """Check `code` against the newest code for `phone`; on success it is used up. Commits.

    Locks the code row, so two tries at once are counted one after the other. Raises
    CodeRefused (wrong, expired, used, or after 5 wrong tries) or TooManyRequests.
    """
    code = "".join((code or "").split())
    if recent_failures("verify", address) >= VERIFY_FAILURES_PER_ADDRESS:
        raise TooManyRequests(_("Too many wrong codes from here. Please wait an hour and try again."),
                              field="code")
    now = utcnow()
    row = db.session.scalars(
        select(LookupCode).where(LookupCode.phone == phone)
        .order_by(LookupCode.created_at.desc(), LookupCode.id.desc()).limit(1).with_for_update()
    ).first()
    if row is None or row.used_at is not None or row.expires_at <= now:
        record_attempt("verify", address, False)
        db.session.commit()
        raise CodeRefused(_("This code has expired or was already used. Please ask for a new code."))
    if row.attempts >= MAX_WRONG_TRIES:
        record_attempt("verify", address, False)
        db.session.commit()
        raise CodeRefused(_("Too many wrong tries for this code. Please ask for a new code."))
    if not hmac.compare_digest(row.code_hash, hash_code(phone, code)):
        row.attempts += 1
        record_attempt("verify", address, False)
        db.session.commit()
        left = MAX_WRONG_TRIES - row.attempts
        if left == 0:
            raise CodeRefused(_("That code is not right, and that was the last try. "
                              "Please ask for a new code."))
        raise CodeRefused(ngettext("That code is not right. %(num)d try left.",
                                   "That code is not right. %(num)d tries left.", left))
    row.used_at = now
    remember_known_phone(phone, "verified")  # its messages are no longer capped
    record_attempt("verify", address, True)
    db.session.commit()


def prune(now=None) -> int:
    """Delete codes and attempts older than any limit looks back (periodic task). Commits."""
    cutoff = (now or utcnow()) - KEEP_ROWS
    n = db.session.execute(delete(LookupCode).where(LookupCode.created_at < cutoff)).rowcount
    n += db.session.execute(delete(LookupAttempt).where(LookupAttempt.created_at < cutoff)).rowcount
    db.session.commit()
    return n
