"""The customer's payment page: Razorpay Checkout, its success callback, and the way out
to cash on delivery. The rules live in services/payments/; this only reads forms."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from ..i18n import gettext as _
from ..models import OrderStatus, PaymentStatus
from ..orders.views import thank_on_next_visit
from ..services import payments as payments_service
from ..services.checkout import get_order_by_token
from ..services.errors import DomainError, PaymentUnavailable
from ..services.shop import get_settings

bp = Blueprint("payments", __name__, url_prefix="/orders")

CHECKOUT_JS = "https://checkout.razorpay.com/v1/checkout.js"
# Only this page may load Razorpay's script and frame. Checkout draws its modal with
# inline styles in our document, so style-src relaxes here, and only here; scripts do not.
PAY_CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self' https://checkout.razorpay.com",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: https://*.razorpay.com https://res.cloudinary.com",
    "connect-src 'self' https://api.razorpay.com https://lumberjack.razorpay.com",
    "frame-src https://api.razorpay.com https://checkout.razorpay.com",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
RESULTS = {"failed", "dismissed", "unavailable"}


def _order_or_404(token: str):
    order = get_order_by_token(token)
    if order is None:
        abort(404)
    return order


def _paid(order) -> bool:
    return order.payment_status not in (PaymentStatus.UNPAID, PaymentStatus.FAILED)


@bp.get("/<token>/pay")
def pay_order(token: str):
    order = _order_or_404(token)
    if order.status is not OrderStatus.AWAITING_PAYMENT and \
            (order.status is not OrderStatus.EXPIRED or _paid(order)):
        # Paid (or switched to cash on delivery): the order page says what happens next.
        return redirect(url_for("orders.show_order", token=token), 303)
    result = request.args.get("result", "")
    result = result if result in RESULTS else ""
    payment, error, state = None, None, "ready"
    if order.status is OrderStatus.EXPIRED:
        state = "expired"
    else:
        payments_service.note_pay_page_opened(order.id)  # the full hold from now on
        try:
            payment = payments_service.start_online_payment(order.id)
        except PaymentUnavailable as exc:
            state, error = "unavailable", exc.message
        except DomainError:
            return redirect(url_for("orders.show_order", token=token), 303)
    if state == "ready" and result:
        state = "failed"
    elif state == "ready" and payment is not None and any(
            a.status in ("pending", "authorized") for a in payment.attempts):
        state = "confirming"
    settings = get_settings()
    options = (payments_service.checkout_options(order, payment, settings.name)
               if payment is not None else None)
    response = render_template(
        "payments/pay.html", order=order, state=state, result=result, error=error,
        options=options, checkout_js=CHECKOUT_JS,
        cod_allowed=payments_service.cod_allowed(order),
        expires_at=payments_service.expires_at(order),
        # This order's hold: shorter if the page was first opened only after it lapsed.
        expiry_minutes=int((payments_service.expires_at(order) - order.created_at)
                           .total_seconds() // 60),
    ), (503 if state == "unavailable" else 200)
    body, status = response
    return body, status, {"Content-Security-Policy": PAY_CSP,
                          "Cache-Control": "private, no-store"}


@bp.post("/<token>/pay")
def confirm_payment(token: str):
    """Razorpay Checkout's success: our pay.js posts the three values here as a form."""
    _order_or_404(token)
    form = request.form
    try:
        outcome = payments_service.confirm_checkout_payment(
            token, form.get("razorpay_payment_id", "")[:64],
            form.get("razorpay_order_id", "")[:64], form.get("razorpay_signature", "")[:200])
    except DomainError as error:
        return render_template("payments/refused.html", message=error.message, token=token), \
            error.status_code
    if outcome == "pending":
        return redirect(url_for("payments.pay_order", token=token), 303)
    if outcome == "refunding":
        flash(_("Your payment came after the order had expired and the sweets have sold out "
              "meanwhile, so it is being refunded to you automatically. We are sorry."), "info")
    else:
        flash(_("Payment received. Thank you!"), "success")
    thank_on_next_visit(token)
    return redirect(url_for("orders.show_order", token=token), 303)


@bp.post("/<token>/pay/cod")
def pay_cash_instead(token: str):
    _order_or_404(token)
    try:
        payments_service.switch_to_cod(token)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("payments.pay_order", token=token), 303)
    flash(_("Done: you pay in cash when your order arrives."), "success")
    thank_on_next_visit(token)
    return redirect(url_for("orders.show_order", token=token), 303)
