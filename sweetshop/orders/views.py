"""The customer's view of an order, at an unguessable link: confirmation, then tracking.

Right after checkout or payment the page thanks the customer (once: a mark in the session,
set by thank_on_next_visit); every other visit, from a message, My orders or a bookmark, is
the tracking page. The link travels in every message and may be forwarded, so the page
shows the address and phone masked. While the order is not final, its status block polls
this same URL (htmx asks for the block only) and stops once the order is delivered,
cancelled or expired.
"""
from flask import Blueprint, abort, flash, make_response, redirect, request, session, url_for

from ..formatting import mask_address
from ..htmx import render_page_or_block, wants_fragment
from ..phones import mask_phone
from ..services.checkout import get_order_by_token
from ..services.order_lookup import is_final
from ..services.order_progress import order_progress

bp = Blueprint("orders", __name__, url_prefix="/orders")

POLL_SECONDS = 15
THANKS_KEY = "thank_for_order"


def thank_on_next_visit(token: str) -> None:
    """Make the next full view of this order the thank-you page (after checkout, payment)."""
    session[THANKS_KEY] = token


def status_version(order) -> str:
    """Changes whenever what the status block shows changes."""
    version = f"{order.status.value}.{order.payment_status.value}.{len(order.history)}"
    return f"{version}.{order.cod_confirmation}" if order.cod_confirmation else version


@bp.post("/<token>/confirm")
def confirm_cod(token: str):
    """The customer's yes to their first cash order (the button on this page, from the SMS
    link). Confirming twice is harmless."""
    from ..i18n import gettext as _
    from ..services import cod_risk

    order = get_order_by_token(token)
    if order is None:
        abort(404)
    if cod_risk.confirm(order.id, "customer", "link"):
        flash(_("Thank you! Your order is confirmed."), "success")
    return redirect(url_for("orders.show_order", token=token), 303)


@bp.get("/<token>")
def show_order(token: str):
    order = get_order_by_token(token)
    if order is None:
        abort(404)
    version = status_version(order)
    if wants_fragment() and request.args.get("seen") == version:
        response = make_response("", 204)  # nothing new: htmx swaps nothing, polling goes on
    else:
        thanks = not wants_fragment() and session.get(THANKS_KEY) == token
        if thanks:
            session.pop(THANKS_KEY)
        response = render_page_or_block(
            "orders/confirmation.html", "order_status", order=order, version=version,
            final=is_final(order), poll_seconds=POLL_SECONDS, thanks=thanks,
            progress=order_progress(order),
            first_name=(order.customer_name.split() or [""])[0],
            masked_address=mask_address(order.address), masked_phone=mask_phone(order.phone))
    response.headers["Vary"] = "HX-Request"
    response.headers["Cache-Control"] = "private, no-store"
    return response
