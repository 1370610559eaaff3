"""Checkout's side: start an online payment, confirm the browser's callback, switch to COD."""

from flask import current_app

from ...extensions import db
from ...formatting import format_rupees
from ...i18n import gettext as _
from ...integrations import razorpay as gateway_adapter
from ...integrations.razorpay import PaymentGatewayError
from ...models import (
    Order,
    Payment,
    PaymentMethod,
    PaymentStatus,
    utcnow,
)
from ..errors import InvalidInput, InvalidTransition, NotFound, PaymentRefused, PaymentUnavailable
from ..notifications import queue_order_placed
from ..shop import get_settings
from .capture import _record_attempt_only, mark_paid
from .common import RAZORPAY_ID, S, _history, _lock_order, cod_allowed, expires_at, log, payment_for


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
        raise PaymentUnavailable(_("Online payment is not available right now. "
                                 "You can pay cash on delivery instead."))
    order = _lock_order(order_id)
    if order is None:
        db.session.rollback()
        raise NotFound(_("We could not find that order."))
    existing = payment_for(order_id)
    if existing is not None:  # another request made it while we waited for the lock
        db.session.rollback()
        return existing
    if order.status is not S.AWAITING_PAYMENT:
        db.session.rollback()
        raise InvalidTransition(_("This order is not waiting for a payment."))
    try:
        answer = gateway.create_order(
            amount_paise=order.online_amount_paise, receipt=f"sweetshop-{order.number}",
            notes={"order_id": order.id, "order_number": order.number})
    except PaymentGatewayError as exc:
        db.session.rollback()
        log.warning("Razorpay order for order %s not created: %s", order.id, exc)
        raise PaymentUnavailable(_("We could not reach the payment service just now. Please try "
                                 "again in a moment, or pay cash on delivery.")) from exc
    rzp_id = str(answer.get("id") or "")
    if (not RAZORPAY_ID.match(rzp_id) or answer.get("amount") != order.online_amount_paise
            or answer.get("currency") != "INR"):
        db.session.rollback()
        log.error("Unexpected answer creating a Razorpay order for %s: %r", order.id, answer)
        raise PaymentUnavailable(_("The payment service gave an unexpected answer. "
                                 "Please try again, or pay cash on delivery."))
    payment = Payment(order_id=order.id, razorpay_order_id=rzp_id,
                      amount_paise=order.online_amount_paise, currency="INR")
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
        "description": _('Order #%(number)s', number=order.number),
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
    from ..checkout import get_order_by_token

    order = get_order_by_token(order_token)
    if order is None:
        raise NotFound(_("We could not find that order."))
    payment = payment_for(order.id)
    gateway = gateway_adapter.get_gateway()
    payment_id, razorpay_order_id, signature = (
        (payment_id or "").strip(), (razorpay_order_id or "").strip(), (signature or "").strip())
    if payment is None or gateway is None:
        raise PaymentRefused(_("This order has no online payment to confirm."))
    if not RAZORPAY_ID.match(payment_id) or len(signature) > 128:
        raise PaymentRefused(_("We could not confirm this payment. If money left your account, "
                             "it is refunded automatically; please contact the shop."))
    if (razorpay_order_id and razorpay_order_id != payment.razorpay_order_id) or \
            not gateway.payment_signature_ok(payment.razorpay_order_id, payment_id, signature):
        log.warning("Refused a payment callback for order %s (payment %s)", order.id, payment_id)
        raise PaymentRefused(_("We could not confirm this payment: it does not belong to this "
                             "order. Nothing was changed."))
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
        raise PaymentRefused(_("We could not confirm this payment: it does not belong to this "
                             "order. Nothing was changed."))
    outcome = mark_paid(payment.razorpay_order_id, entity, source="checkout")
    if outcome == "refused":
        raise PaymentRefused(_("This payment does not match the order's amount, so we did not "
                             "accept it. Please contact the shop; nothing more was charged."))
    if outcome in ("paid", "late-paid", "switched"):
        return "paid"
    if outcome in ("already", "refunding"):
        return outcome
    return "pending"


def switch_to_cod(order_token: str) -> Order:
    """Turn an order waiting for online payment into a cash-on-delivery order (placed).

    Locks the order; refuses when it is no longer waiting (paid meanwhile, or expired) or
    when the shop's cash-on-delivery limit is below the total. Queues the usual placed
    messages. Commits. A payment that still lands later is recorded by mark_paid."""
    from ..checkout import get_order_by_token

    found = get_order_by_token(order_token)
    if found is None:
        raise NotFound(_("We could not find that order."))
    order = _lock_order(found.id)
    if order.status is not S.AWAITING_PAYMENT:
        db.session.rollback()
        if order.payment_status is PaymentStatus.PAID:
            raise InvalidTransition(_("Your payment has already gone through: nothing to pay "
                                    "on delivery."))
        raise InvalidTransition(_("This order is %(status)s, so it cannot be switched to cash on "
                                  "delivery.", status=order.status.label.lower()))
    if not cod_allowed(order):
        db.session.rollback()
        raise InvalidInput(_('Cash on delivery is available for orders up to %(cod_max_paise)s.', cod_max_paise=format_rupees(get_settings().cod_max_paise)))
    order.payment_method = PaymentMethod.COD
    order.payment_status = PaymentStatus.UNPAID
    _history(order, S.PLACED, "Customer chose cash on delivery instead", actor="customer")
    queue_order_placed(order)
    db.session.commit()
    return order
