"""Returning customers: a phone (browser) that remembers who orders from it, and the
details checkout fills in from that customer's own orders.

The cookie holds a random token, signed (a forged or edited cookie is refused before any
query) and HttpOnly; the table keeps only its SHA-256 and the phone number, never a name or
an address. Name and up to MAX_ADDRESSES addresses are read from the number's orders, so
"Delete customer data" (services/customer_data) erases them there once, and forgetting a
phone (the customer's "Forget me", or an erasure) deletes its row: a copied cookie stops
working too. Remembering is opt-in at checkout, never the default: on a shared phone the
next person sees the details only if the customer asked for that.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, select

from ..extensions import db
from ..models import Order, RememberedDevice, utcnow

COOKIE = "me"
REMEMBER_FOR = timedelta(days=180)  # since last use
MAX_ADDRESSES = 5


@dataclass
class Prefill:
    phone: str
    name: str = ""
    addresses: list[tuple[str, str]] = field(default_factory=list)  # (address, pincode)


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="remembered-device")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def remember(phone: str) -> str:
    """A new remembered device for `phone`; returns the signed cookie value. Commits."""
    token = secrets.token_urlsafe(32)
    db.session.add(RememberedDevice(token_hash=_digest(token), phone=phone))
    db.session.commit()
    return _signer().dumps(token)


def _token(cookie: str | None) -> str | None:
    if not cookie or len(cookie) > 200:
        return None
    try:
        token = _signer().loads(cookie)
    except BadSignature:
        return None
    return token if isinstance(token, str) else None


def remembered_phone(cookie: str | None) -> str | None:
    """The phone this cookie remembers, if its device row exists and was used in the last
    REMEMBER_FOR. Touches last_used_at at most once a day (no write per page). Commits only
    when it touches."""
    token = _token(cookie)
    if token is None:
        return None
    device = db.session.scalar(select(RememberedDevice).where(
        RememberedDevice.token_hash == _digest(token)))
    if device is None:
        return None
    now = utcnow()
    if now - device.last_used_at > REMEMBER_FOR:
        db.session.delete(device)
        db.session.commit()
        return None
    if now - device.last_used_at > timedelta(days=1):
        device.last_used_at = now
        db.session.commit()
    return device.phone


def forget(cookie: str | None) -> None:
    """Forget this device (the customer's "Forget me"). Idempotent. Commits."""
    token = _token(cookie)
    if token is not None:
        db.session.execute(delete(RememberedDevice).where(
            RememberedDevice.token_hash == _digest(token)))
        db.session.commit()


def forget_phone(phone: str) -> int:
    """Forget every device remembering `phone`, in the caller's transaction."""
    return db.session.execute(delete(RememberedDevice).where(
        RememberedDevice.phone == phone)).rowcount


def details_for(phone: str) -> Prefill:
    """Name (the newest order's) and up to 5 distinct addresses, newest first, from the
    number's orders. Reads only (one query)."""
    rows = db.session.execute(
        select(Order.customer_name, Order.address, Order.pincode)
        .where(Order.phone == phone)
        .order_by(Order.created_at.desc(), Order.id.desc()).limit(50)).all()
    prefill = Prefill(phone=phone)
    seen = set()
    for name, address, pincode in rows:
        if not prefill.name and name:
            prefill.name = name
        key = (" ".join((address or "").split()).lower(), pincode)
        if address and address.strip() and key not in seen:
            seen.add(key)
            prefill.addresses.append((address, pincode))
        if len(prefill.addresses) >= MAX_ADDRESSES:
            break
    return prefill
