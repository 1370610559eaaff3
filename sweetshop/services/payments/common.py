"""What every part of payments shares: constants, reading helpers, the locks in their fixed
order (order row, then payment row)."""
import logging
import re
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from ...extensions import db
from ...models import (
    Order,
    OrderStatus,
    OrderStatusChange,
    Payment,
    utcnow,
)
from ..shop import get_settings

log = logging.getLogger(__name__)

S = OrderStatus
EVENT_JOB = "sweetshop.jobs.process_payment_event"
REFUND_JOB = "sweetshop.jobs.send_refund"
ACTOR = "razorpay"
RECONCILE_GRACE = timedelta(minutes=2)      # let the callback / webhook come first
RECONCILE_EVERY = timedelta(minutes=2)      # per awaiting order
RECONCILE_EXPIRED_EVERY = timedelta(minutes=30)
RECONCILE_EXPIRED_FOR = timedelta(days=3)   # Razorpay may authorise late for up to 3 days
SWEEP_GRACE = timedelta(seconds=30)
MAX_EVENT_TRIES = 10
MAX_REFUND_TRIES = 10
REFUND_KEY = re.compile(r"^[A-Za-z0-9_-]{10,64}$")
RAZORPAY_ID = re.compile(r"^[A-Za-z0-9_]{1,40}$")
# Attempt statuses only move forward (a late "failed" never undoes "captured"); a failed
# payment may still be authorised late, so failed ranks below authorized.
ATTEMPT_RANK = {"created": 0, "pending": 1, "failed": 2, "authorized": 3, "captured": 4,
                "refunded": 5, "refused": 6}
REFUND_RANK = {"requested": 0, "sending": 0, "pending": 1, "processed": 2, "failed": 2}


# --- reading -------------------------------------------------------------------------------

def refund_claim_timeout() -> timedelta:
    """How long a refund's claim (one HTTP call in flight) is respected before the call is
    taken as cut off and Razorpay is asked what became of it."""
    return timedelta(seconds=current_app.config.get("REFUND_CLAIM_TIMEOUT", 120))


def expiry_delta() -> timedelta:
    """How long an online order whose payment page was opened holds its stock."""
    return timedelta(minutes=current_app.config.get("PAYMENT_EXPIRY_MINUTES", 20))


def unopened_expiry_delta() -> timedelta:
    """How long an online order whose payment page was never opened holds its stock."""
    return timedelta(minutes=current_app.config.get("PAYMENT_UNOPENED_EXPIRY_MINUTES", 5))


def hold_delta(order: Order) -> timedelta:
    return expiry_delta() if order.pay_page_opened_at is not None else unopened_expiry_delta()


def expires_at(order: Order) -> datetime:
    return order.created_at + hold_delta(order)


def payment_for(order_id: int) -> Payment | None:
    return db.session.scalars(select(Payment).where(Payment.order_id == order_id)).first()


def cod_allowed(order: Order) -> bool:
    if order.advance_paise:  # a pre-order's advance is paid online (issue 11)
        return False
    if order.preorder_window_id is not None:
        from ...models import PreorderWindow
        window = db.session.get(PreorderWindow, order.preorder_window_id)
        if window is not None and (not window.cod_allowed or (
                window.cod_max_paise and order.total_paise > window.cod_max_paise)):
            return False
    limit = get_settings().cod_max_paise
    return not limit or order.total_paise <= limit


def refundable_paise(payment: Payment | None) -> int:
    """What can still be refunded: the captured amount less every refund not failed."""
    if payment is None or payment.razorpay_payment_id is None:
        return 0
    asked = sum(r.amount_paise for r in payment.refunds
                if r.status != "failed" and r.razorpay_payment_id == payment.razorpay_payment_id)
    return max(0, payment.amount_paise - asked)


def _lock_order(order_id: int) -> Order | None:
    return db.session.scalars(
        select(Order).where(Order.id == order_id).with_for_update()
        .execution_options(populate_existing=True)).first()


def _lock_payment(order_id: int) -> Payment | None:
    return db.session.scalars(
        select(Payment).where(Payment.order_id == order_id).with_for_update()
        .execution_options(populate_existing=True)).first()


def _history(order: Order, to_status: OrderStatus, note: str, actor: str = ACTOR) -> None:
    db.session.add(OrderStatusChange(order=order, from_status=order.status, to_status=to_status,
                                     actor=actor, note=note))
    order.status = to_status


def _attention(payment: Payment, text: str) -> None:
    stamp = utcnow().strftime("%Y-%m-%d %H:%M UTC")
    payment.attention = (payment.attention + "\n" if payment.attention else "") + f"{stamp}: {text}"
