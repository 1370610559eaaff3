"""Orders: a snapshot of what was bought, with order and payment status kept apart."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Enum,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..i18n import gettext as _
from .base import created_at_column
from .catalog import Unit


def _enum(cls, name):
    return Enum(cls, name=name, values_callable=lambda e: [m.value for m in e])


class OrderStatus(str, enum.Enum):
    AWAITING_PAYMENT = "awaiting_payment"
    PLACED = "placed"
    ACCEPTED = "accepted"
    READY = "ready"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    EXPIRED = "expired"

    @property
    def label(self) -> str:
        return {
            "awaiting_payment": _("Awaiting payment"), "placed": _("Placed"),
            "accepted": _("Accepted"), "ready": _("Ready"),
            "out_for_delivery": _("Out for delivery"), "delivered": _("Delivered"),
            "cancelled": _("Cancelled"), "expired": _("Expired"),
        }[self.value]


class PaymentStatus(str, enum.Enum):
    UNPAID = "unpaid"
    PAID = "paid"
    FAILED = "failed"
    REFUND_PENDING = "refund_pending"
    PARTLY_REFUNDED = "partly_refunded"
    REFUNDED = "refunded"

    @property
    def label(self) -> str:
        return {
            "unpaid": _("Unpaid"), "paid": _("Paid"), "failed": _("Failed"),
            "refund_pending": _("Refund pending"), "partly_refunded": _("Partly refunded"),
            "refunded": _("Refunded"),
        }[self.value]


class PaymentMethod(str, enum.Enum):
    COD = "cod"
    ONLINE = "online"

    @property
    def label(self) -> str:
        return {"cod": _("Cash on delivery"), "online": _("Paid online")}[self.value]


class Order(db.Model):
    __tablename__ = "order"
    __table_args__ = (
        Index("ix_order_awaiting_phone", "phone", postgresql_where="status = 'awaiting_payment'"),
        Index("ix_order_awaiting_cart", "hold_cart_id",
              postgresql_where="status = 'awaiting_payment'"),
        Index("ix_order_awaiting_network", "hold_network",
              postgresql_where="status = 'awaiting_payment'"),
        CheckConstraint("subtotal_paise >= 0 AND delivery_fee_paise >= 0 AND total_paise >= 0",
                        name="amounts_not_negative"),
        CheckConstraint("total_paise = subtotal_paise + delivery_fee_paise", name="total_adds_up"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    # Customer-facing number; an identity column so it never repeats, even across rollbacks.
    number: Mapped[int] = mapped_column(Integer, Identity(start=1001), unique=True)
    # Unguessable id for the customer's confirmation / tracking link.
    public_token: Mapped[str] = mapped_column(String(43), unique=True)
    # The checkout form's one-time key: a second submit finds this order instead of a new one.
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[OrderStatus] = mapped_column(_enum(OrderStatus, "order_status"), index=True)
    payment_status: Mapped[PaymentStatus] = mapped_column(_enum(PaymentStatus, "payment_status"))
    payment_method: Mapped[PaymentMethod] = mapped_column(_enum(PaymentMethod, "payment_method"))
    customer_name: Mapped[str] = mapped_column(String(80))
    phone: Mapped[str] = mapped_column(String(20), index=True)  # E.164
    address: Mapped[str] = mapped_column(String(500))
    pincode: Mapped[str] = mapped_column(String(6))
    note: Mapped[str] = mapped_column(String(500), default="")
    notify_whatsapp: Mapped[bool] = mapped_column(Boolean, default=False)
    # The language the customer checked out in: every message to them is written in it.
    language: Mapped[str] = mapped_column(String(5), default="en", server_default="en")
    # Money is BIGINT: ORDER_MAX_PAISE caps an order, the columns never should.
    subtotal_paise: Mapped[int] = mapped_column(BigInteger)
    delivery_fee_paise: Mapped[int] = mapped_column(BigInteger, default=0)
    total_paise: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = created_at_column()
    # Who holds stock while an online order awaits payment (limits per device and network;
    # see services/payments/holds.py). The cart's id, not its secret token.
    hold_cart_id: Mapped[int | None] = mapped_column(Integer)
    hold_network: Mapped[str] = mapped_column(String(64), default="", server_default="")
    # First view of the pay page: until then the order holds its stock for a shorter time.
    pay_page_opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A cash-on-delivery order marked delivered: the cash was received then, by that admin.
    cash_received_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cash_received_by: Mapped[str | None] = mapped_column(String(120))

    items: Mapped[list[OrderItem]] = relationship(back_populates="order", order_by="OrderItem.id")
    history: Mapped[list[OrderStatusChange]] = relationship(
        back_populates="order", order_by="OrderStatusChange.id"
    )


class OrderItem(db.Model):
    """What was bought, copied at the time: later catalogue edits never change an order."""
    __tablename__ = "order_item"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("line_total_paise = unit_price_paise * quantity", name="line_adds_up"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id"), index=True)
    # Indexed: search ranks the sweets it found by what they sold (search/service.py).
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id", ondelete="SET NULL"),
                                                   index=True)
    variant_id: Mapped[int | None] = mapped_column(ForeignKey("variant.id", ondelete="SET NULL"))
    product_name: Mapped[str] = mapped_column(String(120))
    pack_name: Mapped[str] = mapped_column(String(60))
    # The Hindi names as they were when ordered ('' when the owner had given none).
    product_name_hi: Mapped[str] = mapped_column(String(120), default="", server_default="")
    pack_name_hi: Mapped[str] = mapped_column(String(60), default="", server_default="")
    unit: Mapped[Unit] = mapped_column(_enum(Unit, "unit"))
    pack_quantity: Mapped[int] = mapped_column(Integer)  # grams or pieces in one pack
    quantity: Mapped[int] = mapped_column(Integer)       # number of packs
    unit_price_paise: Mapped[int] = mapped_column(BigInteger)
    line_total_paise: Mapped[int] = mapped_column(BigInteger)

    order: Mapped[Order] = relationship(back_populates="items")

    @property
    def base_quantity(self) -> int:
        return self.pack_quantity * self.quantity


class OrderStatusChange(db.Model):
    __tablename__ = "order_status_change"
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id"), index=True)
    from_status: Mapped[OrderStatus | None] = mapped_column(_enum(OrderStatus, "order_status"))
    to_status: Mapped[OrderStatus] = mapped_column(_enum(OrderStatus, "order_status"))
    actor: Mapped[str] = mapped_column(String(120), default="customer")
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = created_at_column()

    order: Mapped[Order] = relationship(back_populates="history")
