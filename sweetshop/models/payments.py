"""Online payments: our record of each Razorpay order, the attempts on it, refunds, and
every webhook Razorpay sent us (kept verbatim, so nothing it told us is ever lost)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import created_at_column, utcnow
from .orders import Order


class Payment(db.Model):
    """One Razorpay order for one of our orders (created when the customer chose to pay
    online). `razorpay_payment_id` is the captured payment that paid it, once there is one."""
    __tablename__ = "payment"
    __table_args__ = (
        CheckConstraint("amount_paise >= 100", name="amount_at_least_one_rupee"),
        CheckConstraint("refunded_paise >= 0 AND refunded_paise <= amount_paise",
                        name="refunded_within_amount"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id"), unique=True)
    razorpay_order_id: Mapped[str] = mapped_column(String(40), unique=True)
    amount_paise: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="INR")
    razorpay_payment_id: Mapped[str | None] = mapped_column(String(40), unique=True)
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Refunds Razorpay has processed (pending ones are in the refund table).
    refunded_paise: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # Something the owner should know, in words: paid after expiry and refunded, etc.
    attention: Mapped[str] = mapped_column(Text, default="", server_default="")
    failure_notified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When reconciliation last asked Razorpay about this order.
    checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at_column()

    order: Mapped[Order] = relationship()
    attempts: Mapped[list[PaymentAttempt]] = relationship(
        back_populates="payment", order_by="PaymentAttempt.id")
    refunds: Mapped[list[Refund]] = relationship(back_populates="payment",
                                                 order_by="Refund.id")


class PaymentAttempt(db.Model):
    """One Razorpay payment (a try with a card, UPI app, bank) against our Razorpay order."""
    __tablename__ = "payment_attempt"
    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payment.id"), index=True)
    razorpay_payment_id: Mapped[str] = mapped_column(String(40), unique=True)
    # Razorpay's status: created, authorized, captured, failed, refunded; plus our
    # "refused" for a payment whose amount or currency did not match the order.
    status: Mapped[str] = mapped_column(String(20))
    method: Mapped[str] = mapped_column(String(20), default="")
    amount_paise: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    error: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(20))  # checkout, webhook, reconciliation
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow,
                                                 onupdate=utcnow)

    payment: Mapped[Payment] = relationship(back_populates="attempts")


class Refund(db.Model):
    """A refund we asked for (or Razorpay told us about). The idempotency key goes to Razorpay
    as X-Refund-Idempotency, so asking again (double tap, retry) never refunds twice."""
    __tablename__ = "refund"
    __table_args__ = (
        CheckConstraint("amount_paise > 0", name="amount_positive"),
        CheckConstraint("status IN ('requested', 'sending', 'pending', 'processed', 'failed')",
                        name="known_status"),
        Index("ix_refund_unsent", "status",
              postgresql_where="status IN ('requested', 'sending')"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payment.id"), index=True)
    # The Razorpay payment refunded (usually Payment.razorpay_payment_id; a duplicate
    # payment on the same order is refunded by its own id).
    razorpay_payment_id: Mapped[str] = mapped_column(String(40))
    amount_paise: Mapped[int] = mapped_column(BigInteger)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    razorpay_refund_id: Mapped[str | None] = mapped_column(String(40), unique=True)
    # requested (not yet sent) -> sending (claimed: one HTTP call in flight, claimed_at set,
    # committed before the call) -> pending -> processed | failed
    status: Mapped[str] = mapped_column(String(20), default="requested")
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str] = mapped_column(String(200), default="")
    actor: Mapped[str] = mapped_column(String(120))
    error: Mapped[str] = mapped_column(Text, default="")
    tries: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow,
                                                 onupdate=utcnow)

    payment: Mapped[Payment] = relationship(back_populates="refunds")


class WebhookEvent(db.Model):
    """A Razorpay webhook, stored before we answer 200, processed later by a job."""
    __tablename__ = "webhook_event"
    __table_args__ = (
        Index("ix_webhook_event_unprocessed", "received_at",
              postgresql_where="processed_at IS NULL"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(20), default="razorpay")
    # x-razorpay-event-id: Razorpay delivers at least once; this makes a repeat a no-op.
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    event_type: Mapped[str] = mapped_column(String(60))
    body: Mapped[str] = mapped_column(Text)        # as signed (NUL dropped: webhook_bodies)
    signature: Mapped[str] = mapped_column(String(128))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str] = mapped_column(String(60), default="")
    tries: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
