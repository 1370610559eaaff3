"""Customers finding their own orders: one-time codes sent to a phone, and lookup attempts.

A customer who proved their phone gets a LookupSession row, whose id is what the signed
session cookie holds, so "Sign out" and expiry end it on the server.

The code and attempt tables also carry the rate limits (codes per phone and per address, failed tries per
address), so the limits hold in PostgreSQL even when Redis is down.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, DateTime, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import created_at_column


class LookupCode(db.Model):
    """A 6-digit code sent to a phone. Only its HMAC is kept; the newest one for a phone is
    the only one that counts (asking again replaces the earlier code)."""
    __tablename__ = "lookup_code"
    __table_args__ = (
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        Index("ix_lookup_code_phone_created_at", "phone", "created_at"),
        Index("ix_lookup_code_address_created_at", "address", "created_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20))          # E.164
    code_hash: Mapped[str] = mapped_column(String(64))      # hex HMAC-SHA256 of phone + code
    address: Mapped[str] = mapped_column(String(64))        # who asked (IPv6 as its /64)
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # wrong tries so far
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at_column()


class LookupAttempt(db.Model):
    """One try at a code ("verify") or at an order number with a phone ("track")."""
    __tablename__ = "lookup_attempt"
    __table_args__ = (
        Index("ix_lookup_attempt_kind_address_created_at", "kind", "address", "created_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    address: Mapped[str] = mapped_column(String(64))
    succeeded: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = created_at_column()


class LookupSession(db.Model):
    """A phone proven by a code: the signed cookie holds only this row's id, so signing out
    (ended_at) or expiry ends it for every copy of the cookie."""
    __tablename__ = "lookup_session"
    __table_args__ = (Index("ix_lookup_session_expires_at", "expires_at"),)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    phone: Mapped[str] = mapped_column(String(20))          # E.164
    created_at: Mapped[datetime] = created_at_column()
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
