"""Periodic: expire unpaid online orders, and reconcile with Razorpay when a webhook is lost."""
from collections import defaultdict
from datetime import datetime

from sqlalchemy import and_, or_, select

from ...extensions import db
from ...integrations import razorpay as gateway_adapter
from ...integrations.razorpay import GatewayUnavailable
from ...models import (
    Order,
    Payment,
    Product,
    utcnow,
)
from ..notifications import queue_order_message
from ..slots import release as release_booking
from ..stock import record_movement
from .capture import _record_attempt_only, mark_paid, record_failed_attempt
from .common import (
    ATTEMPT_RANK,
    RECONCILE_EVERY,
    RECONCILE_EXPIRED_EVERY,
    RECONCILE_EXPIRED_FOR,
    RECONCILE_GRACE,
    S,
    _history,
    expires_at,
    expiry_delta,
    hold_delta,
    log,
    payment_for,
    unopened_expiry_delta,
)


def expire_unpaid_orders(now: datetime | None = None) -> int:
    """Expire online orders not paid within PAYMENT_EXPIRY_MINUTES (within
    PAYMENT_UNOPENED_EXPIRY_MINUTES if the payment page was never opened). Returns how many.

    Each order: Razorpay is asked first (a payment whose webhook is late completes it
    instead); otherwise, under the order lock (SKIP LOCKED: one being paid right now is left
    for the next run), the order becomes expired, its stock returns through the ledger and
    the customer is told. One commit per order. Idempotent."""
    now = now or utcnow()
    due = or_(Order.created_at < now - expiry_delta(),
              and_(Order.pay_page_opened_at.is_(None),
                   Order.created_at < now - unopened_expiry_delta()))
    ids = db.session.scalars(
        select(Order.id).where(Order.status == S.AWAITING_PAYMENT, due)
        .order_by(Order.id).limit(200)).all()
    db.session.rollback()
    expired = 0
    for order_id in ids:
        payment = payment_for(order_id)
        if payment is not None and gateway_adapter.is_enabled():
            try:
                if _reconcile_one(payment.id, now) == "paid":
                    continue
            except GatewayUnavailable as exc:
                log.warning("Could not ask Razorpay about order %s before expiry: %s",
                            order_id, exc)
                db.session.rollback()
        if _expire_one(order_id, now):
            expired += 1
    return expired


def _expire_one(order_id: int, now: datetime) -> bool:
    order = db.session.scalars(
        select(Order).where(Order.id == order_id).with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)).first()
    # Re-checked under the lock: the pay page may have been opened since (a longer hold).
    if order is None or order.status is not S.AWAITING_PAYMENT or expires_at(order) > now:
        db.session.rollback()
        return False
    minutes = int(hold_delta(order).total_seconds() // 60)
    _history(order, S.EXPIRED, f"Payment not completed within {minutes} minutes", actor="system")
    returned: dict[int, int] = defaultdict(int)
    for item in order.items:  # a pack's sweet, or every part of an assorted box
        for product_id, quantity in item.stock_draws().items():
            returned[product_id] += quantity
    products = db.session.scalars(
        select(Product).where(Product.id.in_(sorted(returned))).order_by(Product.id)
        .with_for_update().execution_options(populate_existing=True)).all()
    for product in products:
        record_movement(product, returned[product.id], "payment expired", order_id=order.id,
                        actor="system")
    release_booking(order)  # the slot and kitchen capacity, after the stock locks
    queue_order_message(order, "order_expired")
    db.session.commit()
    return True


def reconcile_awaiting(now: datetime | None = None) -> int:
    """Ask Razorpay about orders still waiting for payment (and recently expired ones), so a
    webhook that never came does not leave a paid order unpaid. Returns how many it found
    paid. Each order is asked at most every few minutes; stops at the first network error."""
    if gateway_adapter.get_gateway() is None:
        return 0
    now = now or utcnow()
    due = or_(
        and_(Order.status == S.AWAITING_PAYMENT, Order.created_at < now - RECONCILE_GRACE,
             or_(Payment.checked_at.is_(None), Payment.checked_at < now - RECONCILE_EVERY)),
        and_(Order.status == S.EXPIRED, Payment.razorpay_payment_id.is_(None),
             Order.created_at > now - RECONCILE_EXPIRED_FOR,
             or_(Payment.checked_at.is_(None),
                 Payment.checked_at < now - RECONCILE_EXPIRED_EVERY)),
    )
    ids = db.session.scalars(
        select(Payment.id).join(Order, Order.id == Payment.order_id).where(due)
        .order_by(Payment.id).limit(50)).all()
    db.session.rollback()
    found = 0
    for payment_id in ids:
        try:
            if _reconcile_one(payment_id, now) in ("paid",):
                found += 1
        except GatewayUnavailable as exc:
            db.session.rollback()
            log.warning("Reconciliation paused, Razorpay unreachable: %s", exc)
            break
    return found


def _reconcile_one(payment_id: int, now: datetime) -> str:
    """Fetch the payments of one Razorpay order and apply them. Returns "paid" if it is."""
    payment = db.session.get(Payment, payment_id)
    rzp_order_id = payment.razorpay_order_id
    db.session.rollback()
    items = gateway_adapter.get_gateway().order_payments(rzp_order_id)
    result = "unpaid"
    for entity in sorted(items, key=lambda e: ATTEMPT_RANK.get(e.get("status"), 0)):
        if entity.get("order_id") not in (None, rzp_order_id):
            continue
        status = entity.get("status")
        if status == "captured":
            outcome = mark_paid(rzp_order_id, entity, source="reconciliation")
            if outcome in ("paid", "late-paid", "already", "switched", "refunding"):
                result = "paid"
        elif status == "failed":
            record_failed_attempt(rzp_order_id, entity, source="reconciliation", notify=False)
        elif status in ATTEMPT_RANK:
            _record_attempt_only(rzp_order_id, entity, "reconciliation")
    row = db.session.get(Payment, payment_id, with_for_update=True)
    row.checked_at = now
    db.session.commit()
    return result
