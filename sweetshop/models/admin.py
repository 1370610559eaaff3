"""Shop owners who may sign in to the admin pages, their sessions and sign-in attempts."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import created_at_column, utcnow


class AdminUser(db.Model):
    __tablename__ = "admin_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-case
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = created_at_column()


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
