"""Owner alerts: the devices that get Web Push, and each new order's escalation ladder."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from ..extensions import db
from .base import created_at_column


class PushSubscription(db.Model):
    """One browser (phone or computer) that asked for alerts, for one admin user.

    The endpoint is the push service's URL for that browser; p256dh and auth are its keys
    (RFC 8291), with which every push is encrypted. Deleted when the user stops alerts on
    it, or when the push service answers 404/410 (the browser dropped it)."""
    __tablename__ = "push_subscription"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("admin_user.id", ondelete="CASCADE"),
                                         index=True)
    endpoint: Mapped[str] = mapped_column(Text, unique=True)
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(60))
    label: Mapped[str] = mapped_column(String(80), default="")  # "Chrome on Android"
    created_at: Mapped[datetime] = created_at_column()
    last_pushed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user = relationship("AdminUser")


class OrderAlert(db.Model):
    """A new order's escalation ladder: which step comes next and when.

    Written in the order's transaction. The periodic tick (services/alerts.py) takes the
    due step under this row's lock, writes that step's outbox rows and moves `step` on in
    the same commit, so a step is taken once however many ticks run. Accepting or
    cancelling the order (any channel) sets `stopped_at` in its own transaction."""
    __tablename__ = "order_alert"
    __table_args__ = (
        Index("ix_order_alert_due", "next_at", postgresql_where="stopped_at IS NULL"),
    )
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id", ondelete="CASCADE"),
                                          primary_key=True)
    step: Mapped[int] = mapped_column(Integer, default=1)  # 1: reminder, 2+i: call phone i
    next_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    stopped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    stopped_reason: Mapped[str] = mapped_column(String(200), default="", server_default="")
    created_at: Mapped[datetime] = created_at_column()

    order = relationship("Order", backref=backref("alert", uselist=False))
