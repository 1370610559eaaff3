"""The notification outbox: every message we mean to send, written with the change that causes it."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from ..extensions import db
from ..i18n import gettext as _
from .base import created_at_column, utcnow

# Delivery states only move forward (a late "sent" callback never undoes "delivered").
STATUS_RANK = {
    "queued": 0, "sending": 1, "accepted": 2, "sent": 3, "undelivered": 4, "failed": 4,
    "delivered": 5, "read": 6,
}
FINAL_SEND_STATES = {"sent", "delivered", "read", "undelivered", "failed", "accepted"}


class Notification(db.Model):
    __tablename__ = "notification"
    __table_args__ = (
        Index("ix_notification_pending", "status", "next_attempt_at",
              postgresql_where="status IN ('queued', 'sending')"),
        # The daily cap on messages to numbers not yet known counts by number and time.
        Index("ix_notification_to_created_at", "to", "created_at"),
        # An escalation step writes its rows once: never two reminders or calls to one
        # phone (or device) for one order.
        Index("uq_notification_alert_step", "order_id", "kind", "to", unique=True,
              postgresql_where="kind IN ('owner_reminder', 'owner_call')"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("order.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))          # order_placed, owner_new_order, ...
    channel: Mapped[str] = mapped_column(String(10))       # sms | whatsapp | push | call
    to: Mapped[str] = mapped_column(String(20))            # E.164 (push: "push:<device id>")
    # A push's device; emptied when the device is removed (the row stays, for the timeline).
    push_subscription_id: Mapped[int | None] = mapped_column(
        ForeignKey("push_subscription.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)                 # the text (SMS, or WhatsApp free text)
    # The language `body` is written in (the order's, or the page's for a one-time code).
    language: Mapped[str] = mapped_column(String(5), default="en", server_default="en")
    variables: Mapped[dict] = mapped_column(JSON, default=dict)  # WhatsApp template variables
    status: Mapped[str] = mapped_column(String(20), default="queued")
    provider_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Set when an attempt may have reached Twilio without our knowing (a timeout, a worker
    # killed mid-send): before any new send, Twilio's messages since then are searched.
    lookup_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error_code: Mapped[str | None] = mapped_column(String(20))
    error_message: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow,
                                                 onupdate=utcnow)

    order = relationship("Order", backref=backref("notifications", order_by="Notification.id"))
    push_subscription = relationship("PushSubscription")

    @property
    def kind_label(self) -> str:
        labels = {
            "order_placed": _("Order placed"), "order_accepted": _("Order accepted"),
            "order_ready": _("Order ready"), "order_out_for_delivery": _("Out for delivery"),
            "order_delivered": _("Order delivered"), "order_cancelled": _("Order cancelled"),
            "order_expired": _("Order expired"), "payment_failed": _("Payment failed"),
            "refund_done": _("Refund done"), "lookup_code": _("Lookup code"),
            "owner_new_order": _("Owner new order"),
        }
        return labels.get(self.kind) or self.kind.replace("_", " ").capitalize()


class WhatsAppWindow(db.Model):
    """When a customer last wrote to us on WhatsApp: free text is allowed for 24 hours after."""
    __tablename__ = "whatsapp_window"
    phone: Mapped[str] = mapped_column(String(20), primary_key=True)
    last_inbound_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class KnownPhone(db.Model):
    """A number shown to belong to a customer: it verified a one-time code, an order was
    delivered to it, or it wrote to us on WhatsApp. Messages to other numbers are capped
    per day (services/notifications)."""
    __tablename__ = "known_phone"
    phone: Mapped[str] = mapped_column(String(20), primary_key=True)  # E.164
    reason: Mapped[str] = mapped_column(String(20))   # "verified" | "delivered" | "whatsapp"
    known_since: Mapped[datetime] = created_at_column()
