"""The shop's staff (owner, counter, delivery) who sign in, their sessions and sign-in
attempts, their one-time set-up links, and the audit trail of who changed what."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import created_at_column, utcnow

ROLES = ("owner", "counter", "delivery")


class AdminUser(db.Model):
    """A member of staff. The role decides every URL they may reach (sweetshop/permissions.py).
    Signs in with the email or the phone; a new member has no password until they follow
    their set-up link (password_hash empty: no password matches)."""
    __tablename__ = "admin_user"
    __table_args__ = (
        CheckConstraint("role IN ('owner', 'counter', 'delivery')", name="known_role"),
        CheckConstraint("email IS NOT NULL OR phone IS NOT NULL", name="can_sign_in"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)  # stored lower-case
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)  # E.164
    name: Mapped[str] = mapped_column(String(80), default="", server_default="")
    role: Mapped[str] = mapped_column(String(10), default="owner", server_default="owner")
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = created_at_column()

    @property
    def display_name(self) -> str:
        return self.name or self.email or self.phone or f"staff #{self.id}"

    @property
    def first_name(self) -> str:
        return (self.display_name.split() or [""])[0]


class AdminSession(db.Model):
    """A signed-in session, so signing out (or a password reset) ends it on the server."""
    __tablename__ = "admin_session"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("admin_user.id", ondelete="CASCADE"),
                                         index=True)
    created_at: Mapped[datetime] = created_at_column()
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    user_agent: Mapped[str] = mapped_column(String(200), default="")

    user: Mapped[AdminUser] = relationship()


class LoginAttempt(db.Model):
    """Failed and successful sign-ins, for slowing down and refusing guessing."""
    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_email_at", "email", "created_at"),
        Index("ix_login_attempt_address_at", "address", "created_at"),
        Index("ix_login_attempt_device_at", "device", "created_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    address: Mapped[str] = mapped_column(String(64))  # client network (IPv6: its /64)
    # The known-device id the browser showed for this account (None: an unknown device).
    device: Mapped[str | None] = mapped_column(String(32))
    succeeded: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = created_at_column()


class StaffSetupLink(db.Model):
    """A one-time link for a new member of staff (or a password reset) to choose a password.
    Only the token's SHA-256 is stored; used_at makes it single use."""
    __tablename__ = "staff_setup_link"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("admin_user.id", ondelete="CASCADE"),
                                         index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = created_at_column()

    user: Mapped[AdminUser] = relationship()


class AuditEvent(db.Model):
    """Who changed what: one row per change by a person (status, stock, price, settings,
    refund, staff, cash, COD). The owner's audit page reads this, filtered by person."""
    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_staff_at", "staff_id", "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("admin_user.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(120))  # the name at the time
    kind: Mapped[str] = mapped_column(String(20), index=True)
    summary: Mapped[str] = mapped_column(Text)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("order.id", ondelete="SET NULL"))
    product_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = created_at_column()

    staff: Mapped[AdminUser | None] = relationship()
