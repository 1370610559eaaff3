"""The one way an order becomes paid (`mark_paid`), and the record of every payment attempt."""
from collections import defaultdict

from sqlalchemy import select

from ...extensions import db
from ...formatting import format_rupees
from ...models import (
    Order,
    Payment,
    PaymentAttempt,
    PaymentMethod,
    PaymentStatus,
    Product,
    utcnow,
)
from ..invoices import issue_invoice
from ..notifications import queue_order_message, queue_order_placed
from ..stock import record_movement
from .common import (
    ACTOR,
    ATTEMPT_RANK,
    RAZORPAY_ID,
    S,
    _attention,
    _history,
    _lock_order,
    _lock_payment,
    log,
)
from .refunds import _commit_then_send_refund, _queue_refund


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
        issue_invoice(order)  # paid: invoiced now (the counter's lock is taken last)
        db.session.commit()
        return "paid"

    if order.status is S.EXPIRED:
        short = _take_stock_again(order)
        if not short:
            _history(order, S.PLACED, "Paid after the payment window closed; stock taken again")
            queue_order_placed(order)
            issue_invoice(order)
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
    if order.cash_received_at is not None:
        _attention(payment, "The customer chose cash on delivery and paid in cash, then the "
                            "online payment went through too: refund the online payment.")
    elif order.status in (S.OUT_FOR_DELIVERY, S.DELIVERED):
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
    for item in order.items:  # a pack's sweet, or every part of an assorted box
        for product_id, quantity in item.stock_draws().items():
            wanted[product_id] += quantity
    products = {p.id: p for p in db.session.scalars(
        select(Product).where(Product.id.in_(sorted(wanted))).order_by(Product.id)
        .with_for_update().execution_options(populate_existing=True))}
    short = [p.name for pid, p in products.items() if p.stock < wanted[pid]]
    short += [i.product_name for i in order.items if i.product_id is None  # deleted since
              and not i.is_box]
    short += [part.product_name for i in order.items for part in i.parts
              if part.product_id is None]
    if short:
        return short
    for product_id in sorted(products):
        record_movement(products[product_id], -wanted[product_id], "sale", order_id=order.id,
                        actor=ACTOR, note="paid after expiry")
    from ..slots import rebook
    rebook(order)  # its slot and kitchen capacity again: the customer has paid for them
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
