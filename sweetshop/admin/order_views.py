"""Orders: the list with filters, one order's page, and the buttons that move it along."""
from datetime import timedelta

from flask import abort, flash, g, redirect, render_template, request, url_for

from ..htmx import is_htmx, render_page_or_block
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..models import OrderStatus
from ..services import cod_risk
from ..services import delivery as delivery_service
from ..services import orders as orders_service
from ..services import staff as staff_service
from ..services.dashboard import today_local as dashboard_today
from ..services.errors import DomainError, InvalidTransition
from ..services.slots import clock_range
from . import actor, bp
from .forms import OrderFilterForm, StatusChangeForm

FILTERS = ("q", "status", "date_from", "date_to", "due_on", "slot")
DONE = {
    OrderStatus.ACCEPTED: _l("Order #{} accepted."),
    OrderStatus.READY: _l("Order #{} is ready."),
    OrderStatus.OUT_FOR_DELIVERY: _l("Order #{} is out for delivery."),
    OrderStatus.DELIVERED: _l("Order #{} delivered."),
    OrderStatus.CANCELLED: _l("Order #{} cancelled; its stock is back on the shelf."),
    OrderStatus.RETURNED: _l("Order #{} is back at the shop."),
}


def slot_filter_choices():
    """Every slot start the hours can have, for the orders list's "Slot" filter."""
    from ..services.shop import get_settings
    from ..services.slots import slot_times

    settings = get_settings()
    today = dashboard_today()
    starts = {}
    for offset in range(7):  # one week covers every weekday's hours
        for kind in ("delivery", "pickup"):
            for start, end in slot_times(settings, kind, today + timedelta(days=offset)):
                starts.setdefault(start.strftime("%H:%M"), clock_range(start, end))
    return [("", _("All times")), ("asap", _("As soon as possible"))] + sorted(starts.items())


def _clean(field):
    """A filter's value, or None if it was left empty or did not make sense."""
    return None if field.errors else (field.data or None)


@bp.get("/orders")
def list_orders():
    form = OrderFilterForm(formdata=request.args)
    form.slot.choices = slot_filter_choices()
    valid = form.validate()
    status = _clean(form.status)
    page = orders_service.list_orders(
        status=OrderStatus(status) if status else None,
        date_from=_clean(form.date_from), date_to=_clean(form.date_to),
        q=_clean(form.q) or "", page=_clean(form.page) or 1,
        due_on=_clean(form.due_on), slot=_clean(form.slot) or "",
    )
    # Only our own filters go into the pager's links (never url_for's _anchor, _external...).
    args = {k: request.args[k] for k in FILTERS if request.args.get(k)}
    return render_template("admin/orders/list.html", form=form, result=page, args=args), \
        200 if valid else 422


def _render_order(order, form=None, status=200, error=None, message=None,
                  with_messages=False, deliver_errors=None):
    """The order page, or its status panel for htmx; `with_messages` adds the Messages panel
    as an <hx-partial>, for a change that queued a message (or found the order moved on)."""
    allowed = orders_service.allowed_transitions(order.status)
    return render_page_or_block(
        "admin/orders/show.html", "status_panel", status=status, order=order,
        form=form or StatusChangeForm(formdata=None), error=error, message=message,
        with_messages=with_messages and is_htmx(),
        # Delivered and returned are not plain buttons: the handover-code form below.
        actions=[(s, orders_service.ACTIONS[s]) for s in allowed
                 if s not in orders_service.DELIVERY_ONLY],
        can_deliver=OrderStatus.DELIVERED in allowed, deliver_errors=deliver_errors or {},
        cash_due=delivery_service.is_cash_due(order), tries_left=delivery_service.tries_left(order),
        is_owner=g.admin.role == "owner",
        delivery_people=staff_service.delivery_people(),
        cod_counts=cod_risk.cash_order_counts(order.phone)
        if order.payment_method.value == "cod" else None,
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
        assign = request.form.get("assign_to", "")
        order = orders_service.change_status(
            order_id, form.to_status.data, actor(), note=form.note.data or "",
            expected_from=form.expected_from.data or None,
            assign_to=int(assign) if assign.isdigit() and len(assign) < 10 else None)
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


@bp.post("/orders/<id:order_id>/deliver")
def deliver_order(order_id: int):
    """Delivered, at the counter or by the owner: with the customer's handover code, or
    (the owner only) without it, with a reason that goes into the history."""
    form = request.form
    override = (form.get("override_reason") or "").strip() if form.get("override") else ""
    if form.get("override") and not override:
        return _render_order(orders_service.get_order(order_id), status=422, deliver_errors={
            "override_reason": _("Please say why the order is delivered without the code.")})
    try:
        order = delivery_service.deliver(
            order_id, actor=actor(), code=form.get("code", "")[:10],
            method=form.get("method") or None, upi_reference=form.get("upi_reference", "")[:20],
            override_reason=override[:300])
    except InvalidTransition as error:
        return _render_order(orders_service.get_order(order_id), status=error.status_code,
                             error=error.message, with_messages=True)
    except DomainError as error:
        return _render_order(orders_service.get_order(order_id), status=error.status_code,
                             deliver_errors={error.field or "code": error.message})
    message = DONE[order.status].format(order.number)
    if is_htmx():
        return _render_order(orders_service.get_order(order_id), message=message,
                             with_messages=True)
    flash(message, "success")
    return redirect(url_for("admin.show_order", order_id=order_id), 303)


@bp.post("/orders/<id:order_id>/returned")
def decide_returned_order(order_id: int):
    """The owner's decision for a returned order's sweets: back to stock, or wastage."""
    try:
        delivery_service.decide_return(order_id, decision=request.form.get("decision", ""),
                                       actor=actor())
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(_("Recorded in the stock ledger."), "success")
    return redirect(url_for("admin.show_order", order_id=order_id), 303)


@bp.post("/orders/<id:order_id>/confirm-cod")
def confirm_cod_order(order_id: int):
    """The counter called the customer, who confirmed their first cash order."""
    if cod_risk.confirm(order_id, actor(), "call"):
        flash(_("Confirmed: the order can go to the kitchen."), "success")
    return redirect(url_for("admin.show_order", order_id=order_id), 303)
