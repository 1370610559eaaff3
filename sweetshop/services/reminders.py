"""The morning reminder of an order for a later day (a pre-order, a slot booked ahead)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from ..extensions import db
from ..formatting import KOLKATA
from ..models import Order, OrderStatus, utcnow
from .notifications import queue_order_message
from .orders import local_day_bounds

REMINDER_HOUR = 8  # Asia/Kolkata: not before 8 am on the day
REMINDED = (OrderStatus.PLACED, OrderStatus.ACCEPTED, OrderStatus.READY)


def queue_day_reminders(now: datetime | None = None) -> int:
    """From 8 am (Asia/Kolkata) on an order's day, one reminder message (through the
    outbox) for each slot order due that day that was placed on an earlier day and is
    still on its way. Returns how many it queued.

    Idempotent and safe to run twice at once: each order is claimed under its row lock
    (SKIP LOCKED) by setting reminder_queued_at, in the same commit as its message.
    """
    now = (now or utcnow()).astimezone(KOLKATA)
    if now.hour < REMINDER_HOUR:
        return 0
    start, end = local_day_bounds(now.date())
    ids = db.session.scalars(
        select(Order.id).where(Order.slot_starts_at >= start, Order.slot_starts_at < end,
                               Order.created_at < start, Order.status.in_(REMINDED),
                               Order.reminder_queued_at.is_(None))
        .order_by(Order.slot_starts_at, Order.id).limit(500)).all()
    db.session.rollback()
    queued = 0
    for order_id in ids:
        order = db.session.scalars(
            select(Order).where(Order.id == order_id, Order.reminder_queued_at.is_(None),
                                Order.status.in_(REMINDED))
            .with_for_update(skip_locked=True).execution_options(populate_existing=True)).first()
        if order is None:
            db.session.rollback()
            continue
        order.reminder_queued_at = utcnow()
        queue_order_message(order, "order_reminder")
        db.session.commit()
        queued += 1
    return queued
