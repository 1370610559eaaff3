"""Online payment with Razorpay: the rules, in one place.

Who calls what:
- checkout: `start_online_payment` (after place_order made an awaiting_payment order),
  `confirm_checkout_payment` (the browser's success callback), `switch_to_cod`;
- the webhook: `store_webhook_event` (in the request), `process_webhook_event` (RQ job);
- the periodic sweeper: `reconcile_awaiting`, `expire_unpaid_orders`, `sweep`;
- the owner: `refund`.

Guarantees that hold whichever path a payment arrives by (callback, webhook, reconciliation,
in any order, any number of times):
- `mark_paid` is the only way an order becomes paid. It locks the order row, then the
  payment row, then products in id order (the same order as checkout and cancelling, so no
  deadlocks); it checks amount and currency against what we asked Razorpay for; a payment
  already recorded is a no-op, and an order never moves back from paid.
- Stock moves only through the ledger: held at placement, returned at expiry, taken again
  when a payment arrives after expiry (or refunded automatically when it is gone).
- Refunds carry X-Refund-Idempotency = our key, so retries and double taps refund once.
"""
from __future__ import annotations

import json
import logging
import re
import secrets
from collections import defaultdict
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, or_, select
from sqlalchemy.dialects.postgresql import insert

from ..extensions import db
from ..formatting import format_rupees
from ..integrations import razorpay as gateway_adapter
from ..integrations.razorpay import GatewayUnavailable, PaymentGatewayError
from ..models import (
    Order,
    OrderStatus,
    OrderStatusChange,
    Payment,
    PaymentAttempt,
    PaymentMethod,
    PaymentStatus,
    Product,
    Refund,
    WebhookEvent,
    utcnow,
)
from ..queueing import enqueue
from .errors import InvalidInput, InvalidTransition, NotFound, PaymentRefused, PaymentUnavailable
from .notifications import queue_order_message, queue_order_placed
from .shop import get_settings
from .stock import record_movement

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
REFUND_RANK = {"requested": 0, "pending": 1, "processed": 2, "failed": 2}


# --- reading -------------------------------------------------------------------------------

def expiry_delta() -> timedelta:
    return timedelta(minutes=current_app.config.get("PAYMENT_EXPIRY_MINUTES", 20))


def expires_at(order: Order) -> datetime:
    return order.created_at + expiry_delta()


def payment_for(order_id: int) -> Payment | None:
    return db.session.scalars(select(Payment).where(Payment.order_id == order_id)).first()


def cod_allowed(order: Order) -> bool:
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


# --- starting a payment ------------------------------------------------------------------

def start_online_payment(order_id: int) -> Payment:
    """Create the Razorpay order for an awaiting_payment order, once. Commits.

    Idempotent: an order that already has one gets it back. Locks the order row while it
    asks Razorpay (with the adapter's timeout), so two tabs cannot create two Razorpay
    orders. Raises PaymentUnavailable (nothing stored) when Razorpay cannot be reached or
    online payment is off, InvalidTransition when the order no longer waits for payment.
    """
    existing = payment_for(order_id)
    if existing is not None:
        return existing
    gateway = gateway_adapter.get_gateway()
    if gateway is None:
        raise PaymentUnavailable("Online payment is not available right now. "
                                 "You can pay cash on delivery instead.")
    order = _lock_order(order_id)
    if order is None:
        db.session.rollback()
        raise NotFound("We could not find that order.")
    existing = payment_for(order_id)
    if existing is not None:  # another request made it while we waited for the lock
        db.session.rollback()
        return existing
    if order.status is not S.AWAITING_PAYMENT:
        db.session.rollback()
        raise InvalidTransition("This order is not waiting for a payment.")
    try:
        answer = gateway.create_order(
            amount_paise=order.total_paise, receipt=f"sweetshop-{order.number}",
            notes={"order_id": order.id, "order_number": order.number})
    except PaymentGatewayError as exc:
        db.session.rollback()
        log.warning("Razorpay order for order %s not created: %s", order.id, exc)
        raise PaymentUnavailable("We could not reach the payment service just now. Please try "
                                 "again in a moment, or pay cash on delivery.") from exc
    rzp_id = str(answer.get("id") or "")
    if (not RAZORPAY_ID.match(rzp_id) or answer.get("amount") != order.total_paise
            or answer.get("currency") != "INR"):
        db.session.rollback()
        log.error("Unexpected answer creating a Razorpay order for %s: %r", order.id, answer)
        raise PaymentUnavailable("The payment service gave an unexpected answer. "
                                 "Please try again, or pay cash on delivery.")
    payment = Payment(order_id=order.id, razorpay_order_id=rzp_id,
                      amount_paise=order.total_paise, currency="INR")
    db.session.add(payment)
    db.session.commit()
    return payment


def checkout_options(order: Order, payment: Payment, shop_name: str) -> dict:
    """What Razorpay Checkout needs in the browser (no secrets: the key id is public)."""
    remaining = int((expires_at(order) - utcnow()).total_seconds())
    return {
        "key": current_app.config["RAZORPAY_KEY_ID"],
        "order_id": payment.razorpay_order_id,
        "amount": payment.amount_paise,
        "currency": payment.currency,
        "name": shop_name,
        "description": f"Order #{order.number}",
        "prefill": {"name": order.customer_name, "contact": order.phone},
        "notes": {"order_number": str(order.number)},
        # The payment window closes before our order expires (at least a minute to act).
        "timeout": max(60, remaining),
        "retry": {"enabled": False},
        "theme": {"color": "#8a1c2b"},
    }


# --- the browser's success callback -----------------------------------------------------

def confirm_checkout_payment(order_token: str, payment_id: str, razorpay_order_id: str,
                             signature: str) -> str:
    """Check what the browser posted after Checkout, then mark the order paid.

    The signature is checked against the Razorpay order id WE stored for this order (the one
    the browser sent must merely agree); then the payment is fetched from Razorpay and its
    order, amount, currency and status checked. Returns "paid", "already", "refunding" (paid too
    late and sold out) or "pending" (genuine but not captured yet, or Razorpay unreachable: the webhook or reconciliation
    completes it). Raises PaymentRefused, changing nothing, when anything does not match.
    """
    from .checkout import get_order_by_token

    order = get_order_by_token(order_token)
    if order is None:
        raise NotFound("We could not find that order.")
    payment = payment_for(order.id)
    gateway = gateway_adapter.get_gateway()
    payment_id, razorpay_order_id, signature = (
        (payment_id or "").strip(), (razorpay_order_id or "").strip(), (signature or "").strip())
    if payment is None or gateway is None:
        raise PaymentRefused("This order has no online payment to confirm.")
    if not RAZORPAY_ID.match(payment_id) or len(signature) > 128:
        raise PaymentRefused("We could not confirm this payment. If money left your account, "
                             "it is refunded automatically; please contact the shop.")
    if (razorpay_order_id and razorpay_order_id != payment.razorpay_order_id) or \
            not gateway.payment_signature_ok(payment.razorpay_order_id, payment_id, signature):
        log.warning("Refused a payment callback for order %s (payment %s)", order.id, payment_id)
        raise PaymentRefused("We could not confirm this payment: it does not belong to this "
                             "order. Nothing was changed.")
    if payment.razorpay_payment_id == payment_id:
        return "already"
    try:
        entity = gateway.fetch_payment(payment_id)
    except PaymentGatewayError as exc:
        log.warning("Could not fetch payment %s: %s; leaving it to the webhook", payment_id, exc)
        _record_attempt_only(payment.razorpay_order_id, {
            "id": payment_id, "status": "pending", "amount": payment.amount_paise,
            "currency": payment.currency}, "checkout")
        return "pending"
    if entity.get("order_id") != payment.razorpay_order_id or entity.get("id") != payment_id:
        raise PaymentRefused("We could not confirm this payment: it does not belong to this "
                             "order. Nothing was changed.")
    outcome = mark_paid(payment.razorpay_order_id, entity, source="checkout")
    if outcome == "refused":
        raise PaymentRefused("This payment does not match the order's amount, so we did not "
                             "accept it. Please contact the shop; nothing more was charged.")
    if outcome in ("paid", "late-paid", "switched"):
        return "paid"
    if outcome in ("already", "refunding"):
        return outcome
    return "pending"


# --- the one way an order becomes paid ----------------------------------------------------

def mark_paid(razorpay_order_id: str, entity: dict, *, source: str) -> str:
    """Record a captured payment for our Razorpay order. Idempotent. Commits.

    Returns what happened: "paid" (awaiting -> placed), "late-paid" (expired, stock taken
    again), "switched" (a cash-on-delivery order paid online after all), "already" (this
    payment was recorded before), "refunding" (no stock left / order cancelled / a second
    payment: refunded automatically, the owner is told why), "pending" (not captured yet),
    "refused" (amount or currency wrong) or "unknown" (not one of our Razorpay orders).
    """
    payment_row = db.session.scalars(
        select(Payment).where(Payment.razorpay_order_id == razorpay_order_id)).first()
    if payment_row is None:
        db.session.rollback()
        return "unknown"
    order = _lock_order(payment_row.order_id)
    payment = _lock_payment(payment_row.order_id)
    pid = str(entity.get("id") or "")
    status = str(entity.get("status") or "")
    if not RAZORPAY_ID.match(pid):
        db.session.rollback()
        return "refused"
    attempt = _upsert_attempt(payment, entity, source)

    if entity.get("amount") != payment.amount_paise or entity.get("currency") != payment.currency:
        attempt.status = "refused"
        attempt.error = (f"Amount {entity.get('amount')} {entity.get('currency')} does not match "
                         f"the order's {payment.amount_paise} {payment.currency}")
        _attention(payment, f"Payment {pid} refused: {attempt.error}. Check it in Razorpay.")
        db.session.commit()
        log.error("Refused payment %s for order %s: %s", pid, order.id, attempt.error)
        return "refused"
    if status != "captured":
        db.session.commit()  # the attempt is recorded; the capture will come
        return "pending"
    if payment.razorpay_payment_id == pid:
        db.session.commit()
        return "already"
    if payment.razorpay_payment_id is not None:
        # A second captured payment on the same order: give it back.
        row = _queue_refund(payment, pid, payment.amount_paise, f"auto-dup-{pid}",
                            "Second payment for the same order")
        _attention(payment, f"A second payment {pid} of {format_rupees(payment.amount_paise)} "
                            "came in for this order; it is being refunded automatically.")
        return _commit_then_send_refund("refunding", row.id)

    payment.razorpay_payment_id = pid
    payment.paid_at = utcnow()
    order.payment_method = PaymentMethod.ONLINE
    order.payment_status = PaymentStatus.PAID

    if order.status is S.AWAITING_PAYMENT:
        _history(order, S.PLACED, f"Paid online ({format_rupees(payment.amount_paise)})")
        queue_order_placed(order)  # the customer's confirmation and the owner's alert
        db.session.commit()
        return "paid"

    if order.status is S.EXPIRED:
        short = _take_stock_again(order)
        if not short:
            _history(order, S.PLACED, "Paid after the payment window closed; stock taken again")
            queue_order_placed(order)
            db.session.commit()
            return "late-paid"
        row = _queue_refund(payment, pid, payment.amount_paise, f"auto-late-{pid}",
                            "Paid after the order expired; sold out")
        _attention(payment, "Paid after the order had expired, but "
                            f"{', '.join(short)} sold out meanwhile: the payment is being "
                            "refunded automatically.")
        return _commit_then_send_refund("refunding", row.id)

    if order.status is S.CANCELLED:
        row = _queue_refund(payment, pid, payment.amount_paise, f"auto-cancelled-{pid}",
                            "Paid after the order was cancelled")
        _attention(payment, "Paid after the order was cancelled: the payment is being "
                            "refunded automatically.")
        return _commit_then_send_refund("refunding", row.id)

    # Switched to cash on delivery, then the earlier online payment landed after all.
    if order.status in (S.OUT_FOR_DELIVERY, S.DELIVERED):
        _attention(payment, "The customer chose cash on delivery, then the online payment went "
                            "through. If cash was collected too, refund the online payment.")
    else:
        _attention(payment, "The customer chose cash on delivery, then the online payment went "
                            "through: nothing to collect on delivery.")
    db.session.commit()
    return "switched"


def _take_stock_again(order: Order) -> list[str]:
    """For an expired order that got paid: take its stock again if all of it is there.
    Returns the names of sweets that are short (then nothing is taken)."""
    wanted: dict[int, int] = defaultdict(int)
    for item in order.items:
        if item.product_id is not None:
            wanted[item.product_id] += item.base_quantity
    products = {p.id: p for p in db.session.scalars(
        select(Product).where(Product.id.in_(sorted(wanted))).order_by(Product.id)
        .with_for_update().execution_options(populate_existing=True))}
    short = [p.name for pid, p in products.items() if p.stock < wanted[pid]]
    short += [i.product_name for i in order.items if i.product_id is None]  # deleted since
    if short:
        return short
    for product_id in sorted(products):
        record_movement(products[product_id], -wanted[product_id], "sale", order_id=order.id,
                        actor=ACTOR, note="paid after expiry")
    return []


def _upsert_attempt(payment: Payment, entity: dict, source: str) -> PaymentAttempt:
    """The attempt row for this Razorpay payment, created or moved forward (caller holds the
    order lock, so two deliveries of the same event cannot both insert)."""
    pid = str(entity.get("id"))
    status = str(entity.get("status") or "created")
    status = status if status in ATTEMPT_RANK else "created"
    attempt = db.session.scalars(
        select(PaymentAttempt).where(PaymentAttempt.razorpay_payment_id == pid)
        .with_for_update()).first()
    amount = entity.get("amount") if isinstance(entity.get("amount"), int) else 0
    error = " ".join(str(entity.get(k) or "") for k in ("error_description", "error_reason")
                     ).strip()
    if attempt is None:
        attempt = PaymentAttempt(payment=payment, razorpay_payment_id=pid, status=status,
                                 method=str(entity.get("method") or "")[:20],
                                 amount_paise=amount,
                                 currency=str(entity.get("currency") or "")[:3],
                                 error=error[:500], source=source)
        db.session.add(attempt)
        db.session.flush()
        return attempt
    if ATTEMPT_RANK[status] > ATTEMPT_RANK.get(attempt.status, 0) and attempt.status != "refused":
        attempt.status = status
        if error:
            attempt.error = error[:500]
    if entity.get("method"):
        attempt.method = str(entity["method"])[:20]
    return attempt


def _record_attempt_only(razorpay_order_id: str, entity: dict, source: str) -> str:
    payment_row = db.session.scalars(
        select(Payment).where(Payment.razorpay_order_id == razorpay_order_id)).first()
    if payment_row is None:
        db.session.rollback()
        return "unknown"
    _lock_order(payment_row.order_id)
    payment = _lock_payment(payment_row.order_id)
    _upsert_attempt(payment, entity, source)
    db.session.commit()
    return "recorded"


def record_failed_attempt(razorpay_order_id: str, entity: dict, *, source: str,
                          notify: bool = True) -> str:
    """A payment that failed: recorded; the customer is told once per order (with a link to
    try again) while the order still waits for payment. Idempotent. Commits."""
    payment_row = db.session.scalars(
        select(Payment).where(Payment.razorpay_order_id == razorpay_order_id)).first()
    if payment_row is None or not RAZORPAY_ID.match(str(entity.get("id") or "")):
        db.session.rollback()
        return "unknown"
    order = _lock_order(payment_row.order_id)
    payment = _lock_payment(payment_row.order_id)
    entity = {**entity, "status": "failed"}
    _upsert_attempt(payment, entity, source)
    outcome = "recorded"
    if order.status is S.AWAITING_PAYMENT and payment.razorpay_payment_id is None:
        order.payment_status = PaymentStatus.FAILED
        if notify and payment.failure_notified_at is None:
            payment.failure_notified_at = utcnow()
            queue_order_message(order, "payment_failed")
            outcome = "notified"
    db.session.commit()
    return outcome


# --- the customer gives up on paying online -------------------------------------------

def switch_to_cod(order_token: str) -> Order:
    """Turn an order waiting for online payment into a cash-on-delivery order (placed).

    Locks the order; refuses when it is no longer waiting (paid meanwhile, or expired) or
    when the shop's cash-on-delivery limit is below the total. Queues the usual placed
    messages. Commits. A payment that still lands later is recorded by mark_paid."""
    from .checkout import get_order_by_token

    found = get_order_by_token(order_token)
    if found is None:
        raise NotFound("We could not find that order.")
    order = _lock_order(found.id)
    if order.status is not S.AWAITING_PAYMENT:
        db.session.rollback()
        if order.payment_status is PaymentStatus.PAID:
            raise InvalidTransition("Your payment has already gone through: nothing to pay "
                                    "on delivery.")
        raise InvalidTransition(f"This order is {order.status.label.lower()}, so it cannot "
                                "be switched to cash on delivery.")
    if not cod_allowed(order):
        db.session.rollback()
        raise InvalidInput(f"Cash on delivery is available for orders up to "
                           f"{format_rupees(get_settings().cod_max_paise)}.")
    order.payment_method = PaymentMethod.COD
    order.payment_status = PaymentStatus.UNPAID
    _history(order, S.PLACED, "Customer chose cash on delivery instead", actor="customer")
    queue_order_placed(order)
    db.session.commit()
    return order


# --- expiry and reconciliation (periodic) -----------------------------------------------

def expire_unpaid_orders(now: datetime | None = None) -> int:
    """Expire online orders not paid within PAYMENT_EXPIRY_MINUTES. Returns how many.

    Each order: Razorpay is asked first (a payment whose webhook is late completes it
    instead); otherwise, under the order lock (SKIP LOCKED: one being paid right now is left
    for the next run), the order becomes expired, its stock returns through the ledger and
    the customer is told. One commit per order. Idempotent."""
    now = now or utcnow()
    cutoff = now - expiry_delta()
    ids = db.session.scalars(
        select(Order.id).where(Order.status == S.AWAITING_PAYMENT, Order.created_at < cutoff)
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
        if _expire_one(order_id):
            expired += 1
    return expired


def _expire_one(order_id: int) -> bool:
    order = db.session.scalars(
        select(Order).where(Order.id == order_id).with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)).first()
    if order is None or order.status is not S.AWAITING_PAYMENT:
        db.session.rollback()
        return False
    minutes = int(expiry_delta().total_seconds() // 60)
    _history(order, S.EXPIRED, f"Payment not completed within {minutes} minutes", actor="system")
    returned: dict[int, int] = defaultdict(int)
    for item in order.items:
        if item.product_id is not None:
            returned[item.product_id] += item.base_quantity
    products = db.session.scalars(
        select(Product).where(Product.id.in_(sorted(returned))).order_by(Product.id)
        .with_for_update().execution_options(populate_existing=True)).all()
    for product in products:
        record_movement(product, returned[product.id], "payment expired", order_id=order.id,
                        actor="system")
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


# --- webhooks --------------------------------------------------------------------------

def store_webhook_event(event_id: str, body: str, signature: str) -> int | None:
    """Keep a verified webhook, keyed by Razorpay's event id. Returns the new row's id, or
    None for a repeat delivery (already stored). Commits. The caller enqueues the job."""
    try:
        event_type = str(json.loads(body).get("event") or "")[:60]
    except (ValueError, AttributeError):
        event_type = ""
    row_id = db.session.execute(
        insert(WebhookEvent).values(event_id=event_id, event_type=event_type or "unreadable",
                                    body=body, signature=signature, provider="razorpay",
                                    received_at=utcnow(), outcome="", tries=0, error="")
        .on_conflict_do_nothing(index_elements=["event_id"]).returning(WebhookEvent.id)
    ).scalar()
    db.session.commit()
    return row_id


def process_webhook_event(event_row_id: int) -> str:
    """The RQ job's body: apply one stored webhook. Idempotent: a processed event is skipped,
    and every handler is itself idempotent, so a repeat (sweeper, two workers) is harmless.
    A temporary failure leaves it unprocessed for the sweeper; an unreadable one is closed
    with the error recorded."""
    event = db.session.get(WebhookEvent, event_row_id)
    if event is None or event.processed_at is not None:
        db.session.rollback()
        return "done"
    body = event.body
    db.session.rollback()
    try:
        outcome = _dispatch(json.loads(body))
        error = ""
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        db.session.rollback()
        outcome, error = "unreadable", f"{exc.__class__.__name__}: {exc}"[:500]
    except Exception as exc:
        db.session.rollback()
        event = db.session.get(WebhookEvent, event_row_id, with_for_update=True)
        event.tries += 1
        event.error = f"{exc.__class__.__name__}: {exc}"[:500]
        db.session.commit()
        log.exception("Webhook event %s failed; the sweeper retries it", event_row_id)
        return "retry"
    event = db.session.get(WebhookEvent, event_row_id, with_for_update=True)
    if event.processed_at is None:
        event.processed_at = utcnow()
        event.outcome = outcome[:60]
        event.tries += 1
        event.error = error
    db.session.commit()
    return outcome


def _dispatch(data: dict) -> str:
    kind = data.get("event")
    payload = data.get("payload") or {}
    payment_entity = ((payload.get("payment") or {}).get("entity")) or {}
    if kind in ("payment.captured", "order.paid"):
        return mark_paid(str(payment_entity["order_id"]), payment_entity, source="webhook")
    if kind == "payment.failed":
        return record_failed_attempt(str(payment_entity["order_id"]), payment_entity,
                                     source="webhook")
    if kind == "payment.authorized":
        return _record_attempt_only(str(payment_entity["order_id"]), payment_entity, "webhook")
    if kind in ("refund.created", "refund.processed", "refund.failed"):
        return apply_refund_update((payload.get("refund") or {})["entity"], source="webhook")
    return "ignored"


# --- refunds ---------------------------------------------------------------------------

def new_refund_key() -> str:
    return secrets.token_urlsafe(24)


def refund(order_id: int, amount_paise: int, actor: str, idempotency_key: str,
           reason: str = "") -> Refund:
    """The owner's refund, full or partial. Idempotent per `idempotency_key`: a double tap
    (or a retry) finds the first refund and never asks Razorpay twice for it.

    Locks the order then the payment, checks the amount against what is left to refund,
    writes the Refund row (payment status: refund pending), commits, then asks Razorpay at
    once with X-Refund-Idempotency = the key. If Razorpay cannot be reached the refund
    stays "requested" and the sweeper asks again with the same key. Raises InvalidInput /
    InvalidTransition / NotFound, writing nothing."""
    key = (idempotency_key or "").strip()
    if not REFUND_KEY.match(key):
        raise InvalidInput("This form has expired. Please reload the page and try again.")
    existing = db.session.scalars(select(Refund).where(Refund.idempotency_key == key)).first()
    if existing is None:
        existing = _create_refund(order_id, amount_paise, actor, key, reason)
    if existing.status == "requested":
        send_refund(existing.id)
        db.session.refresh(existing)
    return existing


def _create_refund(order_id, amount_paise, actor, key, reason) -> Refund:
    if not isinstance(amount_paise, int) or amount_paise <= 0:
        raise InvalidInput("Please give an amount above zero.", field="amount")
    order = _lock_order(order_id) if 0 < order_id < 2**31 else None
    if order is None:
        db.session.rollback()
        raise NotFound("We could not find that order.")
    existing = db.session.scalars(select(Refund).where(Refund.idempotency_key == key)).first()
    if existing is not None:  # the other tap got here first, while we waited for the lock
        db.session.rollback()
        return existing
    payment = _lock_payment(order_id)
    left = refundable_paise(payment)
    if payment is None or payment.razorpay_payment_id is None:
        db.session.rollback()
        raise InvalidTransition("This order was not paid online, so there is nothing to refund.")
    if left <= 0:
        db.session.rollback()
        raise InvalidTransition("This payment has already been refunded in full.")
    if amount_paise > left:
        db.session.rollback()
        raise InvalidInput(f"At most {format_rupees(left)} can be refunded.", field="amount")
    reason = " ".join((reason or "").split())[:200]
    row = _queue_refund(payment, payment.razorpay_payment_id, amount_paise, key,
                        reason or "Refund by the shop", actor=actor)
    db.session.commit()
    return row


def _queue_refund(payment: Payment, razorpay_payment_id: str, amount_paise: int, key: str,
                  reason: str, actor: str = ACTOR) -> Refund:
    """A refund row in the caller's transaction (sent after commit)."""
    row = db.session.scalars(select(Refund).where(Refund.idempotency_key == key)).first()
    if row is not None:
        return row
    row = Refund(payment=payment, razorpay_payment_id=razorpay_payment_id,
                 amount_paise=amount_paise, idempotency_key=key, status="requested",
                 reason=reason[:200], actor=actor[:120], error="", tries=0)
    db.session.add(row)
    db.session.flush()
    _settle_payment_status(payment)
    return row


def _commit_then_send_refund(outcome: str, refund_id: int) -> str:
    db.session.commit()
    enqueue(REFUND_JOB, refund_id, queue="default")  # if Redis is down the sweeper sends it
    return outcome


def send_refund(refund_id: int) -> str:
    """Ask Razorpay for one requested refund (the RQ job's body, and the owner's request).

    Safe to run any number of times, even concurrently: the same idempotency key goes to
    Razorpay each time, so it refunds once. Records Razorpay's refund id and status; a
    refusal marks the refund failed and tells the owner; a network error leaves it for
    the sweeper. Commits."""
    row = db.session.get(Refund, refund_id)
    if row is None or row.status != "requested":
        db.session.rollback()
        return "done"
    gateway = gateway_adapter.get_gateway()
    if gateway is None:
        db.session.rollback()
        return "disabled"
    args = dict(payment_id=row.razorpay_payment_id, amount_paise=row.amount_paise,
                idempotency_key=row.idempotency_key,
                notes={"refund": row.id, "order_id": row.payment.order_id})
    order_id = row.payment.order_id
    db.session.rollback()
    try:
        answer = gateway.refund(args.pop("payment_id"), **args)
    except GatewayUnavailable as exc:
        row = db.session.get(Refund, refund_id, with_for_update=True)
        row.tries += 1
        row.error = str(exc)[:500]
        db.session.commit()
        log.warning("Refund %s not sent yet: %s", refund_id, exc)
        return "retry"
    except PaymentGatewayError as exc:
        _lock_order(order_id)
        payment = _lock_payment(order_id)
        row = db.session.get(Refund, refund_id, with_for_update=True)
        if row.status == "requested":
            row.status, row.error, row.tries = "failed", str(exc)[:500], row.tries + 1
            _attention(payment, f"Refund of {format_rupees(row.amount_paise)} was refused by "
                                f"Razorpay: {exc}")
            _settle_payment_status(payment)
        db.session.commit()
        return "failed"
    try:
        apply_refund_update({**answer, "notes": {"refund": refund_id}}, source="api")
    except ValueError:  # an answer without a refund id: the webhook will tell us
        db.session.rollback()
        log.error("Unexpected refund answer for refund %s: %r", refund_id, answer)
    return "sent"


def apply_refund_update(entity: dict, *, source: str) -> str:
    """Razorpay's word on a refund (our API call's answer or a refund.* webhook): status
    only moves forward; "processed" adds to the refunded total and tells the customer once.
    A refund made in Razorpay's dashboard is recorded too. Commits."""
    rzp_refund_id = str(entity.get("id") or "")
    notes = entity.get("notes") if isinstance(entity.get("notes"), dict) else {}
    status = {"created": "pending", "pending": "pending", "processed": "processed",
              "failed": "failed"}.get(str(entity.get("status") or ""), "pending")
    if not RAZORPAY_ID.match(rzp_refund_id):
        raise ValueError("refund without an id")
    row = db.session.scalars(
        select(Refund).where(Refund.razorpay_refund_id == rzp_refund_id)).first()
    if row is None and str(notes.get("refund", "")).isdigit():
        row = db.session.get(Refund, int(notes["refund"]))
    if row is not None:
        payment_row = row.payment
    else:
        rzp_payment_id = str(entity.get("payment_id") or "")
        payment_row = db.session.scalars(select(Payment).where(or_(
            Payment.razorpay_payment_id == rzp_payment_id,
            Payment.id.in_(select(PaymentAttempt.payment_id).where(
                PaymentAttempt.razorpay_payment_id == rzp_payment_id))))).first()
        if payment_row is None:
            db.session.rollback()
            return "unknown"
    order = _lock_order(payment_row.order_id)
    payment = _lock_payment(payment_row.order_id)
    if row is None:
        row = db.session.scalars(
            select(Refund).where(Refund.razorpay_refund_id == rzp_refund_id)).first()
    if row is None:  # made in Razorpay's dashboard: record it
        row = Refund(payment=payment, razorpay_payment_id=str(entity.get("payment_id")),
                     amount_paise=int(entity.get("amount") or 0), idempotency_key=rzp_refund_id,
                     razorpay_refund_id=rzp_refund_id, status="requested",
                     reason="Refunded in Razorpay's dashboard", actor=ACTOR, error="", tries=0)
        db.session.add(row)
        db.session.flush()
    else:
        row = db.session.get(Refund, row.id, with_for_update=True, populate_existing=True)
    row.razorpay_refund_id = row.razorpay_refund_id or rzp_refund_id
    before = row.status
    if REFUND_RANK[status] <= REFUND_RANK[before] or before in ("processed", "failed"):
        db.session.commit()
        return "already"
    row.status = status
    if status == "failed":
        row.error = "Razorpay reported the refund failed"
        _attention(payment, f"Refund {rzp_refund_id} of {format_rupees(row.amount_paise)} "
                            "failed at Razorpay. Refund the customer another way.")
    if status == "processed" and row.razorpay_payment_id == payment.razorpay_payment_id:
        payment.refunded_paise = min(payment.amount_paise,
                                     payment.refunded_paise + row.amount_paise)
    if status == "processed":
        queue_order_message(order, "refund_done", amount_paise=row.amount_paise)
    _settle_payment_status(payment)
    db.session.commit()
    return status


def _settle_payment_status(payment: Payment) -> None:
    """The order's payment status from the refunds of its (main) payment."""
    order = payment.order
    if payment.razorpay_payment_id is None:
        return
    main = [r for r in payment.refunds if r.razorpay_payment_id == payment.razorpay_payment_id]
    if any(r.status in ("requested", "pending") for r in main):
        order.payment_status = PaymentStatus.REFUND_PENDING
    elif payment.refunded_paise >= payment.amount_paise:
        order.payment_status = PaymentStatus.REFUNDED
    elif payment.refunded_paise > 0:
        order.payment_status = PaymentStatus.PARTLY_REFUNDED
    else:
        order.payment_status = PaymentStatus.PAID


# --- the sweeper ------------------------------------------------------------------------

def sweep(now: datetime | None = None) -> int:
    """Re-run intent whose job was lost: webhook events never processed, refunds never sent.
    Returns how many it handed on. The jobs are idempotent, so a duplicate is harmless."""
    now = now or utcnow()
    event_ids = db.session.scalars(
        select(WebhookEvent.id).where(WebhookEvent.processed_at.is_(None),
                                      WebhookEvent.received_at <= now - SWEEP_GRACE,
                                      WebhookEvent.tries < MAX_EVENT_TRIES)
        .order_by(WebhookEvent.id).limit(200)).all()
    refund_ids = db.session.scalars(
        select(Refund.id).where(Refund.status == "requested",
                                Refund.updated_at <= now - SWEEP_GRACE,
                                Refund.tries < MAX_REFUND_TRIES)
        .order_by(Refund.id).limit(50)).all()
    db.session.rollback()
    # Run here rather than enqueue: Redis may be the very thing that lost them.
    for event_id in event_ids:
        process_webhook_event(event_id)
    for refund_id in refund_ids:
        send_refund(refund_id)
    return len(event_ids) + len(refund_ids)


def payment_tasks():
    """The periodic sweeps for payments, in the order they should run."""
    return [("payment_events", sweep), ("payment_reconcile", reconcile_awaiting),
            ("payment_expiry", expire_unpaid_orders)]


# --- the owner's payment panel ------------------------------------------------------------

class PaymentPanel:
    """What the admin order page shows about an online payment."""

    def __init__(self, order: Order):
        self.order = order
        self.payment = payment_for(order.id)
        self.refundable_paise = refundable_paise(self.payment)
        self.refund_key = new_refund_key()

    @property
    def attempts(self):
        return self.payment.attempts if self.payment else []

    @property
    def refunds(self):
        return self.payment.refunds if self.payment else []

    @property
    def can_refund(self) -> bool:
        return self.refundable_paise > 0 and gateway_adapter.is_enabled()

    @property
    def refund_urged(self) -> bool:
        """A paid order that was cancelled (or expired) still holds the customer's money."""
        return self.can_refund and self.order.status in (S.CANCELLED, S.EXPIRED)


def payment_panel(order: Order) -> PaymentPanel:
    return PaymentPanel(order)
