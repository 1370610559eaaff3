"""The customer's view of an order, at an unguessable link."""
from flask import Blueprint, abort, render_template

from ..services.checkout import get_order_by_token

bp = Blueprint("orders", __name__, url_prefix="/orders")


@bp.get("/<token>")
def show_order(token: str):
    order = get_order_by_token(token)
    if order is None:
        abort(404)
    return render_template("orders/confirmation.html", order=order)
