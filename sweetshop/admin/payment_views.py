"""The owner's side of online payments: the payment panel on an order, and refunds.

The panel is a partial (templates/admin/orders/_payment.html) that the order page includes;
it asks `payment_panel(order)` for what it shows. Refunds go through
services.payments.refund, which makes a double tap refund once.
"""
from __future__ import annotations

from flask import flash, redirect, request, url_for

from ..formatting import format_rupees, parse_rupees
from ..i18n import gettext as _
from ..services import payments as payments_service
from ..services.errors import DomainError
from . import actor, bp


@bp.context_processor
def payment_panel_helper():
    return {"payment_panel": payments_service.payment_panel}


@bp.post("/orders/<id:order_id>/refund")
def refund_order(order_id: int):
    amount = parse_rupees(request.form.get("amount"))
    if amount is None or amount <= 0:
        flash(_("Please give the amount to refund in rupees, e.g. 250 or 250.50."), "error")
        return redirect(url_for("admin.show_order", order_id=order_id, _anchor="payment"), 303)
    try:
        refund = payments_service.refund(
            order_id, amount, actor(), request.form.get("idempotency_key", "")[:64],
            reason=request.form.get("reason", "")[:200])
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("admin.show_order", order_id=order_id, _anchor="payment"), 303)
    words = {
        "requested": _("will be sent to Razorpay shortly"),
        # Claimed by this request or a double tap's first; or Razorpay's answer is late.
        "sending": _("has gone to Razorpay; its answer is not in yet (checked again shortly)"),
        "pending": _("is on its way: Razorpay accepted it"),
        "processed": _("is done"),
        "failed": _("was refused by Razorpay; see the payment panel"),
    }[refund.status]
    flash(_('Refund of %(amount_paise)s %(words)s.', amount_paise=format_rupees(refund.amount_paise), words=words),
          "error" if refund.status == "failed" else "success")
    return redirect(url_for("admin.show_order", order_id=order_id, _anchor="payment"), 303)
