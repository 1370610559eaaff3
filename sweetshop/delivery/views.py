"""The delivery person's pages, phone-first. Signed-in staff only, by the permission table
(the admin's check, admin.check_signed_in_staff); a delivery person sees only the orders
assigned to them (services/delivery.py refuses any other)."""
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from ..admin import actor, check_signed_in_staff
from ..formatting import local_today
from ..i18n import gettext as _
from ..models import Order, OrderStatus
from ..services import delivery as delivery_service
from ..services.errors import DomainError, InvalidTransition
from ..services.shop import get_settings

bp = Blueprint("delivery", __name__, url_prefix="/delivery")
bp.before_request(check_signed_in_staff)


@bp.after_request
def no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


def _mine(order_id: int) -> Order:
    """An order this person may act on: assigned to them (anyone out, for the owner)."""
    from ..extensions import db

    order = db.session.get(Order, order_id) if 0 < order_id < 2**31 else None
    if order is None or (g.admin.role == "delivery" and order.assigned_to_id != g.admin.id):
        abort(404)
    return order


def _orders_out():
    if g.admin.role == "delivery":
        return delivery_service.assigned_orders(g.admin.id)
    from sqlalchemy import select

    from ..extensions import db
    return list(db.session.scalars(select(Order).where(
        Order.status == OrderStatus.OUT_FOR_DELIVERY).order_by(Order.out_for_delivery_at)))


@bp.get("")
def list_deliveries():
    orders = _orders_out()
    done = delivery_service.delivered_today(g.admin.id, local_today())
    collected = sum(o.collected_paise or 0 for o in done if o.collected_method == "cash")
    return render_template("delivery/list.html", orders=orders, done=done,
                           cash_today=collected, svc=delivery_service)


def _render_one(order, status=200, errors=None, message=None):
    settings = get_settings()
    return render_template("delivery/show.html", order=order, errors=errors or {},
                           message=message, svc=delivery_service,
                           cash_due=delivery_service.is_cash_due(order),
                           upi=bool(settings.upi_vpa),
                           tries_left=delivery_service.tries_left(order),
                           reasons=delivery_service.RETURN_REASONS), status


@bp.get("/orders/<id:order_id>")
def show_delivery(order_id: int):
    return _render_one(_mine(order_id))


@bp.post("/orders/<id:order_id>/deliver")
def deliver(order_id: int):
    _mine(order_id)
    form = request.form
    try:
        order = delivery_service.deliver(
            order_id, actor=actor(), code=form.get("code", "")[:10],
            method=form.get("method") or None, upi_reference=form.get("upi_reference", "")[:20])
    except InvalidTransition as error:
        flash(error.message, "error")
        return redirect(url_for("delivery.list_deliveries"), 303)
    except DomainError as error:
        return _render_one(_mine(order_id), status=error.status_code,
                           errors={error.field or "code": error.message})
    if order.collected_method == "cash":
        message = _("Order #%(n)s delivered. Cash collected %(amount)s by %(name)s.",
                    n=order.number, amount=_rupees(order.collected_paise), name=str(actor()))
    elif order.collected_method == "upi":
        message = _("Order #%(n)s delivered. Paid %(amount)s by UPI.", n=order.number,
                    amount=_rupees(order.collected_paise))
    else:
        message = _("Order #%(n)s delivered.", n=order.number)
    flash(message, "success")
    return redirect(url_for("delivery.list_deliveries"), 303)


def _rupees(paise):
    from ..formatting import format_rupees
    return format_rupees(paise or 0)


@bp.post("/orders/<id:order_id>/return")
def record_return(order_id: int):
    _mine(order_id)
    try:
        order = delivery_service.record_return(order_id, actor=actor(),
                                               reason=request.form.get("reason", ""),
                                               note=request.form.get("note", "")[:400])
    except InvalidTransition as error:
        flash(error.message, "error")
        return redirect(url_for("delivery.list_deliveries"), 303)
    except DomainError as error:
        return _render_one(_mine(order_id), status=error.status_code,
                           errors={error.field or "reason": error.message})
    flash(_("Order #%(n)s recorded as not delivered. Please bring it back to the shop.",
            n=order.number), "success")
    return redirect(url_for("delivery.list_deliveries"), 303)


@bp.get("/orders/<id:order_id>/upi.svg")
def upi_qr(order_id: int):
    """The UPI QR code for the exact amount, drawn here as SVG."""
    order = _mine(order_id)
    settings = get_settings()
    if not settings.upi_vpa or not delivery_service.is_cash_due(order):
        abort(404)
    uri = delivery_service.upi_uri(settings.upi_vpa, settings.name, order.total_paise,
                                   order.number)
    return delivery_service.upi_qr_svg(uri), 200, {"Content-Type": "image/svg+xml"}
