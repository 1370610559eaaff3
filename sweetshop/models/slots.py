"""Orders for a time: booked slots, pre-order windows and the kitchen capacity they book.

A slot's bookings live in one row per (fulfilment, start time), created on first use and
changed only by conditional UPDATEs in the order's transaction (services/slots.py), so a
cap is never passed however many checkouts race for it. Kitchen capacity is booked the
same way, one row per (window, day, sweet), product_id 0 standing for the whole kitchen.
"""
from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import created_at_column

DELIVERY = "delivery"
PICKUP = "pickup"
FULFILMENTS = (DELIVERY, PICKUP)
WHOLE_KITCHEN = 0  # CapacityBooking.product_id for the window's overall daily capacity


class SlotBooking(db.Model):
    __tablename__ = "slot_booking"
    __table_args__ = (
        UniqueConstraint("kind", "starts_at", name="uq_slot_booking_kind_starts_at"),
        CheckConstraint("orders >= 0 AND grams >= 0", name="booked_not_negative"),
        CheckConstraint("kind IN ('delivery', 'pickup')", name="kind_known"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    orders: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    grams: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class PreorderWindow(db.Model):
    """E.g. "Diwali 2026": orders taken from `orders_from` for `first_day`..`last_day`."""
    __tablename__ = "preorder_window"
    __table_args__ = (
        CheckConstraint("first_day <= last_day AND orders_from <= last_day", name="days_in_order"),
        CheckConstraint("daily_capacity_grams >= 0", name="capacity_not_negative"),
        CheckConstraint("advance_percent BETWEEN 0 AND 100", name="advance_is_a_percentage"),
        CheckConstraint("cod_max_paise >= 0", name="cod_max_not_negative"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    orders_from: Mapped[date] = mapped_column(Date)
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    # Grams of made-to-order sweets sold by weight the kitchen can make a day; 0: no limit.
    daily_capacity_grams: Mapped[int] = mapped_column(Integer, default=0)
    # Orders for a day close at this time (Asia/Kolkata) the day before.
    order_by: Mapped[time] = mapped_column(Time, default=time(14, 0))
    # 0: no advance; 100: paid in full online; else that share online, the rest on the day.
    advance_percent: Mapped[int] = mapped_column(Integer, default=0)
    cod_allowed: Mapped[bool] = mapped_column(Boolean, default=True)
    cod_max_paise: Mapped[int] = mapped_column(Integer, default=0)  # 0: no limit
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = created_at_column()

    items: Mapped[list[PreorderItem]] = relationship(
        back_populates="window", cascade="all, delete-orphan", order_by="PreorderItem.product_id")

    def covers(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day


class PreorderItem(db.Model):
    """A sweet made to order in a window: it draws on capacity, not on the shelf's stock."""
    __tablename__ = "preorder_item"
    __table_args__ = (CheckConstraint("daily_cap >= 0", name="cap_not_negative"),)
    window_id: Mapped[int] = mapped_column(ForeignKey("preorder_window.id", ondelete="CASCADE"),
                                           primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"),
                                            primary_key=True)
    # In the sweet's base unit (grams or pieces) a day; 0: only the kitchen's limit.
    daily_cap: Mapped[int] = mapped_column(Integer, default=0)

    window: Mapped[PreorderWindow] = relationship(back_populates="items")
    product = relationship("Product")


class CapacityBooking(db.Model):
    __tablename__ = "capacity_booking"
    __table_args__ = (
        UniqueConstraint("window_id", "day", "product_id", name="uq_capacity_booking_day"),
        CheckConstraint("booked >= 0", name="booked_not_negative"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    window_id: Mapped[int] = mapped_column(ForeignKey("preorder_window.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    product_id: Mapped[int] = mapped_column(Integer, default=WHOLE_KITCHEN)  # no FK: 0 = all
    booked: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
