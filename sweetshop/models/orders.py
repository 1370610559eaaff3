"""Orders: a snapshot of what was bought, with order and payment status kept apart."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from .boxes import OrderItemPart


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
    # Refused at the door or not reachable: back at the shop, the owner decides restock or
    # wastage (Order.returned_stock).
    RETURNED = "returned"

    @property
    def label(self) -> str:
        return {
            "awaiting_payment": _("Awaiting payment"), "placed": _("Placed"),
            "accepted": _("Accepted"), "ready": _("Ready"),
            "out_for_delivery": _("Out for delivery"), "delivered": _("Delivered"),
            "cancelled": _("Cancelled"), "expired": _("Expired"),
            "returned": _("Returned"),
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


def paid_how(order) -> str:
    """How an order was paid, in words, once it is: cash or UPI at the door, or online."""
    if order.collected_method == "upi":
        return _("Paid by UPI at the door")
    if order.collected_method == "cash" or order.cash_received_at:
        return _("Paid in cash")
    return _("Paid online")


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
        # payment_adjustment_paise: + the COD fee, - the prepaid discount (both settings).
        CheckConstraint("total_paise = subtotal_paise + delivery_fee_paise "
                        "+ payment_adjustment_paise", name="total_adds_up"),
        CheckConstraint("handover_attempts >= 0", name="handover_attempts_not_negative"),
        CheckConstraint("collected_paise IS NULL OR collected_paise >= 0",
                        name="collected_not_negative"),
        CheckConstraint("collected_method IS NULL OR collected_method IN ('cash', 'upi')",
                        name="known_collected_method"),
        Index("ix_order_assigned_out", "assigned_to_id",
              postgresql_where="status = 'out_for_delivery'"),
        Index("ix_order_collected_by_at", "collected_by_id", "cash_received_at"),
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
    # A business customer's details for a B2B invoice (optional at checkout).
    buyer_gstin: Mapped[str] = mapped_column(String(15), default="", server_default="")
    buyer_business_name: Mapped[str] = mapped_column(String(120), default="", server_default="")
    # When and how (issue 11). A slot order has its slot's start and end; "as soon as
    # possible" has none. `due_at` is when it is due either way (ASAP: placed + preparation
    # time), what the owner's lists sort by. Older orders are ASAP deliveries.
    fulfilment: Mapped[str] = mapped_column(String(8), default="delivery",
                                            server_default="delivery")
    slot_starts_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    slot_ends_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    slot_booking_id: Mapped[int | None] = mapped_column(ForeignKey("slot_booking.id"))
    # Grams the order booked on its slot's kilogram cap (given back on cancel/expiry).
    slot_grams: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    preorder_window_id: Mapped[int | None] = mapped_column(ForeignKey("preorder_window.id"))
    # The share paid online before the day (a pre-order's advance); 0: the whole total.
    advance_paise: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    reminder_queued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def is_pickup(self) -> bool:
        return self.fulfilment == "pickup"

    @property
    def online_amount_paise(self) -> int:
        """What Razorpay is asked for: the advance when there is one, else the total."""
        return self.advance_paise or self.total_paise

    @property
    def amount_to_collect_paise(self) -> int:
        """Cash to take at the door or the counter: a cash order's total, or the balance
        after an advance paid online."""
        if self.cash_received_at is not None:
            return 0
        if self.payment_method is PaymentMethod.COD:
            return self.total_paise if self.payment_status is not PaymentStatus.PAID else 0
        if self.advance_paise and self.payment_status is PaymentStatus.PAID:
            return self.total_paise - self.advance_paise
        return 0
    # + COD fee / - prepaid discount, fixed at checkout (in total_paise).
    payment_adjustment_paise: Mapped[int] = mapped_column(BigInteger, default=0,
                                                          server_default="0")
    # --- delivery (services/delivery.py) ---
    # The 4 digits the customer gives the delivery person; tries counted, locked at 5.
    handover_code: Mapped[str | None] = mapped_column(String(4))
    handover_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    assigned_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("admin_user.id", ondelete="SET NULL"))
    out_for_delivery_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Money taken at the door: cash, or UPI to the shop's VPA (reference's last digits).
    collected_paise: Mapped[int | None] = mapped_column(BigInteger)
    collected_method: Mapped[str | None] = mapped_column(String(10))
    collected_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("admin_user.id", ondelete="SET NULL"))
    upi_reference: Mapped[str] = mapped_column(String(12), default="", server_default="")
    # Refused at the door / not reachable: why, and the owner's decision for the sweets.
    return_reason: Mapped[str] = mapped_column(String(500), default="", server_default="")
    returned_stock: Mapped[str] = mapped_column(String(10), default="", server_default="")
    # --- COD risk (services/cod_risk.py): a first cash order waits for the customer's yes.
    # '' (not needed), 'pending', 'confirmed'.
    cod_confirmation: Mapped[str] = mapped_column(String(10), default="", server_default="")
    cod_confirmed_by: Mapped[str] = mapped_column(String(120), default="", server_default="")

    assigned_to = relationship("AdminUser", foreign_keys=[assigned_to_id])
    collected_by = relationship("AdminUser", foreign_keys=[collected_by_id])
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
    # An assorted box (issue 16): no product or pack of its own; its parts say what is in
    # one box, each drawn from its own sweet's stock.
    box_type_id: Mapped[int | None] = mapped_column(
        ForeignKey("box_type.id", ondelete="SET NULL"))
    gift_message: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # Made to order in a pre-order window: booked on kitchen capacity, not taken from stock.
    made_to_order: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")

    order: Mapped[Order] = relationship(back_populates="items")
    parts: Mapped[list[OrderItemPart]] = relationship(
        order_by="OrderItemPart.id", lazy="selectin", cascade="all, delete-orphan")

    @property
    def base_quantity(self) -> int:
        return self.pack_quantity * self.quantity

    @property
    def is_box(self) -> bool:
        return bool(self.parts)

    def stock_draws(self) -> dict[int, int]:
        """Product id -> how much of its stock this line took: the pack's sweet, or every
        part of a box times the number of boxes. Sweets deleted since are left out."""
        if self.parts:
            draws: dict[int, int] = {}
            for part in self.parts:
                if part.product_id is not None:
                    draws[part.product_id] = (draws.get(part.product_id, 0)
                                              + part.quantity * self.quantity)
            return draws
        # made to order: booked on kitchen capacity, never taken from the shelf
        if self.product_id is None or self.made_to_order:
            return {}
        return {self.product_id: self.base_quantity}


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
