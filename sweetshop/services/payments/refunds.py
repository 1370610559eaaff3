"""Refunds: the owner's, and automatic ones; sent to Razorpay with our idempotency key."""
import secrets
from datetime import datetime

from sqlalchemy import or_, select

from ...extensions import db
from ...formatting import format_rupees
from ...i18n import gettext as _
from ...integrations import razorpay as gateway_adapter
from ...integrations.razorpay import GatewayUnavailable, PaymentGatewayError
from ...models import (
    Payment,
    PaymentAttempt,
    PaymentStatus,
    Refund,
    utcnow,
)
from ...queueing import enqueue
from ..errors import InvalidInput, InvalidTransition, NotFound
from ..invoices import issue_credit_note
from ..notifications import queue_order_message
from .common import (
    ACTOR,
    RAZORPAY_ID,
    REFUND_JOB,
    REFUND_KEY,
    REFUND_RANK,
    _attention,
    _lock_order,
    _lock_payment,
    log,
    refund_claim_timeout,
    refundable_paise,
)


def new_refund_key() -> str:
    return secrets.token_urlsafe(24)


def refund(order_id: int, amount_paise: int, actor: str, idempotency_key: str,
           reason: str = "") -> Refund:
    """The owner's refund, full or partial. Idempotent per `idempotency_key`: a double tap
    (or a retry) finds the first refund, and Razorpay is asked at most once for it.

    Locks the order then the payment, checks the amount against what is left to refund,
    writes the Refund row (payment status: refund pending), commits, then sends it at once
    through `send_refund`, whose claim makes exactly one request send it (a second tap
    finds it "sending" and leaves it). If Razorpay cannot be reached the sweeper asks again
    later. Raises InvalidInput / InvalidTransition / NotFound, writing nothing."""
    key = (idempotency_key or "").strip()
    if not REFUND_KEY.match(key):
        raise InvalidInput(_("This form has expired. Please reload the page and try again."))
    existing = db.session.scalars(select(Refund).where(Refund.idempotency_key == key)).first()
    if existing is None:
        existing = _create_refund(order_id, amount_paise, actor, key, reason)
    refund_id = existing.id
    if existing.status == "requested":
        send_refund(refund_id)
    db.session.rollback()
    return db.session.get(Refund, refund_id, populate_existing=True)


def _create_refund(order_id, amount_paise, actor, key, reason) -> Refund:
    if not isinstance(amount_paise, int) or amount_paise <= 0:
        raise InvalidInput(_("Please give an amount above zero."), field="amount")
    order = _lock_order(order_id) if 0 < order_id < 2**31 else None
    if order is None:
        db.session.rollback()
        raise NotFound(_("We could not find that order."))
    existing = db.session.scalars(select(Refund).where(Refund.idempotency_key == key)).first()
    if existing is not None:  # the other tap got here first, while we waited for the lock
        db.session.rollback()
        return existing
    payment = _lock_payment(order_id)
    left = refundable_paise(payment)
    if payment is None or payment.razorpay_payment_id is None:
        db.session.rollback()
        raise InvalidTransition(_("This order was not paid online, so there is nothing to refund."))
    if left <= 0:
        db.session.rollback()
        raise InvalidTransition(_("This payment has already been refunded in full."))
    if amount_paise > left:
        db.session.rollback()
        raise InvalidInput(_('At most %(left)s can be refunded.', left=format_rupees(left)), field="amount")
    reason = " ".join((reason or "").split())[:200]
    row = _queue_refund(payment, payment.razorpay_payment_id, amount_paise, key,
                        reason or "Refund by the shop", actor=actor)
    from .. import audit
    audit.record(actor, "refund", f"Order #{order.number}: refund of "
                 f"{format_rupees(amount_paise)} asked ({reason or 'no reason given'})",
                 order_id=order.id)
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


def send_refund(refund_id: int, now: datetime | None = None) -> str:
    """Ask Razorpay for one refund, at most once however many callers race (the owner's
    request, a double tap, the RQ job, the sweeper). Commits.

    Claims the row first, as the notification outbox does: `FOR UPDATE SKIP LOCKED` (a row
    another caller holds is left to it: "busy"), status "sending" with `claimed_at`,
    committed before the one HTTP call. A row found "sending" is somebody's call in flight
    ("in-flight"); past REFUND_CLAIM_TIMEOUT that call was cut off, and Razorpay's refunds
    of the payment are looked up (our row id is in each refund's notes) before anything is
    sent again. Records Razorpay's refund id and status ("sent" / "recovered"); a refusal
    marks the refund failed and tells the owner ("failed"); a network error or timeout
    leaves it "sending", to be looked up after the claim timeout ("retry")."""
    now = now or utcnow()
    row = db.session.scalars(
        select(Refund).where(Refund.id == refund_id).with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)).first()
    if row is None:
        db.session.rollback()
        return "busy"
    if row.status not in ("requested", "sending"):
        db.session.rollback()
        return "done"
    if row.status == "sending" and row.claimed_at and now - row.claimed_at < refund_claim_timeout():
        db.session.rollback()
        return "in-flight"
    gateway = gateway_adapter.get_gateway()
    if gateway is None:
        db.session.rollback()
        return "disabled"
    if row.status == "sending":  # a call cut off: did Razorpay take it?
        try:
            found = _find_at_razorpay(gateway, row)
        except GatewayUnavailable as exc:
            row.claimed_at, row.tries, row.error = now, row.tries + 1, str(exc)[:500]
            db.session.commit()
            log.warning("Refund %s: could not ask Razorpay about it: %s", refund_id, exc)
            return "retry"
        if found is not None:
            db.session.rollback()
            apply_refund_update({**found, "notes": {"refund": refund_id}}, source="lookup")
            return "recovered"
    row.status, row.claimed_at, row.tries = "sending", now, row.tries + 1
    args = dict(payment_id=row.razorpay_payment_id, amount_paise=row.amount_paise,
                idempotency_key=row.idempotency_key,
                notes={"refund": row.id, "order_id": row.payment.order_id})
    order_id = row.payment.order_id
    db.session.commit()  # the claim: nobody else sends it now
    try:
        answer = gateway.refund(args.pop("payment_id"), **args)
    except GatewayUnavailable as exc:
        # Maybe Razorpay took it (a timeout after it answered): stays "sending", and is
        # looked up before any resend once the claim times out.
        row = db.session.get(Refund, refund_id, with_for_update=True, populate_existing=True)
        row.error = str(exc)[:500]
        db.session.commit()
        log.warning("Refund %s not confirmed yet: %s", refund_id, exc)
        return "retry"
    except PaymentGatewayError as exc:
        _lock_order(order_id)
        payment = _lock_payment(order_id)
        row = db.session.get(Refund, refund_id, with_for_update=True, populate_existing=True)
        if row.status in ("requested", "sending"):
            row.status, row.error = "failed", str(exc)[:500]
            _attention(payment, f"Refund of {format_rupees(row.amount_paise)} was refused by "
                                f"Razorpay: {exc}")
            _settle_payment_status(payment)
        db.session.commit()
        return "failed"
    try:
        apply_refund_update({**answer, "notes": {"refund": refund_id}}, source="api")
    except ValueError:  # an answer without a refund id: the webhook or the lookup tells us
        db.session.rollback()
        log.error("Unexpected refund answer for refund %s: %r", refund_id, answer)
    return "sent"


def _find_at_razorpay(gateway, row: Refund) -> dict | None:
    """The refund Razorpay made for our row, if any: its refunds of the payment, matched by
    our row id in the notes we send with every refund."""
    for entity in gateway.payment_refunds(row.razorpay_payment_id):
        notes = entity.get("notes") if isinstance(entity.get("notes"), dict) else {}
        if str(notes.get("refund", "")) == str(row.id):
            return entity
    return None


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
        if row.razorpay_payment_id == payment.razorpay_payment_id:
            # A refund of the invoiced payment: a credit note for what the cancellation's
            # did not already cover (a second payment refunded was never invoiced).
            issue_credit_note(order, reason=row.reason or "Refund", amount_paise=row.amount_paise,
                              refund=row)
    _settle_payment_status(payment)
    db.session.commit()
    return status


def _settle_payment_status(payment: Payment) -> None:
    """The order's payment status from the refunds of its (main) payment."""
    order = payment.order
    if payment.razorpay_payment_id is None:
        return
    main = [r for r in payment.refunds if r.razorpay_payment_id == payment.razorpay_payment_id]
    if any(r.status in ("requested", "sending", "pending") for r in main):
        order.payment_status = PaymentStatus.REFUND_PENDING
    elif payment.refunded_paise >= payment.amount_paise:
        order.payment_status = PaymentStatus.REFUNDED
    elif payment.refunded_paise > 0:
        order.payment_status = PaymentStatus.PARTLY_REFUNDED
    else:
        order.payment_status = PaymentStatus.PAID
