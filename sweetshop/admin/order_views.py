"""Orders: the list with filters, one order's page, and the buttons that move it along."""
from flask import abort, flash, redirect, render_template, request, url_for

from ..htmx import is_htmx, render_page_or_block
from ..i18n import lazy_gettext as _l
from ..models import OrderStatus
from ..services import orders as orders_service
from ..services.errors import DomainError, InvalidTransition
from . import actor, bp
from .forms import OrderFilterForm, StatusChangeForm

FILTERS = ("q", "status", "date_from", "date_to")
DONE = {
    OrderStatus.ACCEPTED: _l("Order #{} accepted."),
    OrderStatus.READY: _l("Order #{} is ready."),
    OrderStatus.OUT_FOR_DELIVERY: _l("Order #{} is out for delivery."),
    OrderStatus.DELIVERED: _l("Order #{} delivered."),
    OrderStatus.CANCELLED: _l("Order #{} cancelled; its stock is back on the shelf."),
}


def _clean(field):
    """A filter's value, or None if it was left empty or did not make sense."""
    return None if field.errors else (field.data or None)


@bp.get("/orders")
def list_orders():
    form = OrderFilterForm(formdata=request.args)
    valid = form.validate()
    status = _clean(form.status)
    page = orders_service.list_orders(
        status=OrderStatus(status) if status else None,
        date_from=_clean(form.date_from), date_to=_clean(form.date_to),
        q=_clean(form.q) or "", page=_clean(form.page) or 1,
    )
    # Only our own filters go into the pager's links (never url_for's _anchor, _external...).
    args = {k: request.args[k] for k in FILTERS if request.args.get(k)}
    return render_template("admin/orders/list.html", form=form, result=page, args=args), \
        200 if valid else 422


def _render_order(order, form=None, status=200, error=None, message=None,
                  with_messages=False):
    """The order page, or its status panel for htmx; `with_messages` adds the Messages panel
    as an <hx-partial>, for a change that queued a message (or found the order moved on)."""
    return render_page_or_block(
        "admin/orders/show.html", "status_panel", status=status, order=order,
        form=form or StatusChangeForm(formdata=None), error=error, message=message,
        with_messages=with_messages and is_htmx(),
        actions=[(s, orders_service.ACTIONS[s])
                 for s in orders_service.allowed_transitions(order.status)],
    )


@bp.get("/orders/<id:order_id>")
def show_order(order_id: int):
    return _render_order(orders_service.get_order(order_id))


@bp.post("/orders/<id:order_id>/status")
def change_order_status(order_id: int):
    form = StatusChangeForm()
    if not form.validate():
        if form.csrf_token.errors:
            abort(400)
        return _render_order(orders_service.get_order(order_id), form, status=422)
    try:
        order = orders_service.change_status(
            order_id, form.to_status.data, actor(), note=form.note.data or "",
            expected_from=form.expected_from.data or None)
    except InvalidTransition as error:
        # Someone else moved the order first: show it as it is now, with the right buttons.
        return _render_order(orders_service.get_order(order_id), status=error.status_code,
                             error=error.message, with_messages=True)
    except DomainError as error:
        if error.field == "note":
            form.note.errors = [error.message]
            return _render_order(orders_service.get_order(order_id), form, status=422)
        raise
    message = DONE[order.status].format(order.number)
    if is_htmx():
        return _render_order(orders_service.get_order(order_id), message=message,
                             with_messages=True)
    flash(message, "success")
    return redirect(url_for("admin.show_order", order_id=order_id), 303)
