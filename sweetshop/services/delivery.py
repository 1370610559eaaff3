"""Delivering orders: the handover code, money taken at the door, refused and unreachable
orders, and the delivery person's list.

Guarantees of deliver(): the order row is locked (FOR UPDATE) before its status and tries
are read, so tries made at the same moment (two phones, a double tap) are counted one after
the other and at most MAX_CODE_TRIES wrong codes are ever checked; a wrong code is counted
and committed and never marks the order delivered; once locked, only the owner's recorded
override (with a reason) delivers it. Collecting cash or UPI marks the payment paid and
records who took how much, in the same transaction as the delivery.
"""
from __future__ import annotations

import hmac
import re
import secrets
from datetime import date
from urllib.parse import quote

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..formatting import format_rupees
from ..i18n import DEFAULT_LANGUAGE, in_language, ngettext
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..models import (
    Order,
    OrderStatus,
    PaymentStatus,
    Product,
    utcnow,
)
from . import audit
from .errors import DomainError, InvalidInput, InvalidTransition, NotFound
from .orders import allowed_transitions, apply_transition
from .stock import record_movement

S = OrderStatus
MAX_CODE_TRIES = 5
RETURN_REASONS = {"refused": _l("Refused at the door"),
                  "unreachable": _l("Customer not reachable")}
UPI_REFERENCE = re.compile(r"^[0-9A-Za-z]{4,12}$")


class WrongHandoverCode(DomainError):
    status_code = 422
    field = "code"


class HandoverLocked(DomainError):
    status_code = 423
    field = "code"


def new_handover_code() -> str:
    return f"{secrets.randbelow(10_000):04d}"


def tries_left(order: Order) -> int:
    return max(0, MAX_CODE_TRIES - order.handover_attempts)


def is_cash_due(order: Order) -> bool:
    """Money to take at the door: an unpaid cash order's total, or the balance of a
    pre-order whose advance was paid online (Order.amount_to_collect_paise)."""
    return order.payment_status is not PaymentStatus.REFUNDED and order.amount_to_collect_paise > 0


def _locked_order(order_id: int, actor) -> Order:
    order = db.session.scalars(
        select(Order).where(Order.id == order_id).with_for_update()
        .execution_options(populate_existing=True)
    ).first() if 0 < order_id < 2**31 else None
    # A delivery person reaches only the orders assigned to them.
    if order is None or (getattr(actor, "role", None) == "delivery"
                         and order.assigned_to_id != actor.staff_id):
        db.session.rollback()
        raise NotFound(_("We could not find that delivery."))
    return order


def deliver(order_id: int, *, actor, code: str | None = None, method: str | None = None,
            upi_reference: str = "", override_reason: str = "") -> Order:
    """Mark an order delivered with the customer's handover code, or, for the owner only,
    with `override_reason` instead (recorded in the history and the audit trail).

    For a cash order still unpaid, `method` says how the customer paid at the door: "cash"
    or "upi" (with the last digits of the UPI reference). Checked before the code, so a
    missing choice costs no try. Commits (a wrong code too: its try is counted). Raises
    InvalidInput, NotFound, InvalidTransition, WrongHandoverCode or HandoverLocked.
    """
    code = (code or "").strip()
    override_reason = " ".join((override_reason or "").split())[:300]
    upi_reference = (upi_reference or "").strip()
    if override_reason and getattr(actor, "role", None) != "owner":
        raise InvalidInput(_("Only the owner can deliver without the handover code."),
                           field="override_reason")
    order = _locked_order(order_id, actor)
    if S.DELIVERED not in allowed_transitions(order.status):
        db.session.rollback()
        raise InvalidTransition(_("This order is already %(status)s.",
                                  status=order.status.label.lower()))
    cash_due = is_cash_due(order)
    if cash_due:
        if method not in ("cash", "upi"):
            db.session.rollback()
            raise InvalidInput(_("Please say how the customer paid: cash or UPI."),
                               field="method")
        if method == "upi" and not UPI_REFERENCE.match(upi_reference):
            db.session.rollback()
            raise InvalidInput(_("Please type the last 4 to 12 letters or digits of the UPI "
                                 "reference."), field="upi_reference")
    if not override_reason:
        if order.handover_attempts >= MAX_CODE_TRIES:
            db.session.rollback()
            raise HandoverLocked(_("Too many wrong codes: this order is locked. Please call "
                                   "the shop; the owner can mark it delivered."))
        if not re.fullmatch(r"[0-9]{4}", code):
            db.session.rollback()
            raise InvalidInput(_("Please type the customer's 4-digit code."), field="code")
        if not order.handover_code or not hmac.compare_digest(code, order.handover_code):
            order.handover_attempts += 1
            left = tries_left(order)
            audit.record(actor, "delivery", f"Order #{order.number}: wrong handover code "
                         f"({order.handover_attempts} of {MAX_CODE_TRIES})", order_id=order.id)
            db.session.commit()
            if left == 0:
                raise HandoverLocked(_("That code is wrong, and that was the last try: this "
                                       "order is locked. Please call the shop."))
            raise WrongHandoverCode(ngettext(
                "That code is wrong. %(num)d try left.", "That code is wrong. %(num)d tries left.",
                left))
    now = utcnow()
    note = (_("Delivered without the handover code: %(reason)s", reason=override_reason)
            if override_reason else _("Handover code checked"))
    if cash_due:
        due = order.amount_to_collect_paise
        order.payment_status = PaymentStatus.PAID
        order.collected_paise = due
        order.collected_method = method
        order.collected_by_id = getattr(actor, "staff_id", None)
        order.cash_received_at = now
        order.cash_received_by = str(actor)[:120]
        if method == "upi":
            order.upi_reference = upi_reference
            note += ". " + _("Paid %(amount)s by UPI (ref …%(ref)s) to %(name)s",
                             amount=format_rupees(due), ref=upi_reference,
                             name=str(actor))
        else:
            note += ". " + _("Cash collected %(amount)s by %(name)s",
                             amount=format_rupees(due), name=str(actor))
    order.delivered_at = now
    apply_transition(order, S.DELIVERED, actor, note)
    db.session.commit()
    return order


def record_return(order_id: int, *, actor, reason: str, note: str = "") -> Order:
    """The delivery person could not hand the order over: refused, or not reachable. The
    order becomes returned; the owner then decides restock or wastage. Commits."""
    if reason not in RETURN_REASONS:
        raise InvalidInput(_("Please choose why it could not be delivered."), field="reason")
    note = " ".join((note or "").split())[:400]
    order = _locked_order(order_id, actor)
    if S.RETURNED not in allowed_transitions(order.status):
        db.session.rollback()
        raise InvalidTransition(_("This order is already %(status)s.",
                                  status=order.status.label.lower()))
    with in_language(DEFAULT_LANGUAGE):  # the history's note, as before: in English
        words = str(RETURN_REASONS[reason]) + (f": {note}" if note else "")
    order.return_reason = f"{reason}: {note}" if note else reason
    apply_transition(order, S.RETURNED, actor, words)
    db.session.commit()
    return order


def decide_return(order_id: int, *, decision: str, actor) -> Order:
    """The owner's decision for a returned order's sweets: back to stock ("restock"), or
    thrown away ("wastage": back in, then out as wastage, so the ledger shows both). Once per
    order: the order row is locked and the decision recorded. Commits."""
    if decision not in ("restock", "wastage"):
        raise InvalidInput(_("Please choose back to stock or wastage."), field="decision")
    order = _locked_order(order_id, actor)
    if order.status is not S.RETURNED or order.returned_stock:
        db.session.rollback()
        raise InvalidTransition(_("The sweets of this order are already dealt with."))
    returned: dict[int, int] = {}
    for item in order.items:
        if item.product_id is not None:
            returned[item.product_id] = returned.get(item.product_id, 0) + item.base_quantity
    products = db.session.scalars(
        select(Product).where(Product.id.in_(sorted(returned))).order_by(Product.id)
        .with_for_update().execution_options(populate_existing=True)).all() if returned else []
    for product in products:
        record_movement(product, returned[product.id], "order returned", order_id=order.id,
                        actor=actor)
        if decision == "wastage":
            record_movement(product, -returned[product.id], "wastage", order_id=order.id,
                            actor=actor, note=f"returned order #{order.number}")
    order.returned_stock = decision
    audit.record(actor, "stock", f"Order #{order.number} returned: sweets "
                 f"{'back to stock' if decision == 'restock' else 'to wastage'}",
                 order_id=order.id)
    db.session.commit()
    return order


# --- the delivery person's list ---------------------------------------------------------

def assigned_orders(staff_id: int) -> list[Order]:
    """Orders out for delivery with this person, oldest sent out first (the order they are
    due in)."""
    return list(db.session.scalars(
        select(Order).where(Order.status == S.OUT_FOR_DELIVERY, Order.assigned_to_id == staff_id)
        .options(selectinload(Order.items))
        .order_by(Order.out_for_delivery_at.asc().nulls_last(), Order.created_at, Order.id)))


def delivered_today(staff_id: int, day: date) -> list[Order]:
    from .orders import local_day_bounds
    start, end = local_day_bounds(day)
    return list(db.session.scalars(
        select(Order).where(Order.assigned_to_id == staff_id,
                            Order.status.in_((S.DELIVERED, S.RETURNED)),
                            func.coalesce(Order.delivered_at, Order.created_at) >= start,
                            func.coalesce(Order.delivered_at, Order.created_at) < end)
        .order_by(Order.delivered_at.desc().nulls_last())))


def map_link(order: Order) -> str:
    return ("https://www.google.com/maps/search/?api=1&query="
            + quote(f"{order.address} {order.pincode}", safe=""))


def whatsapp_link(order: Order) -> str:
    return "https://wa.me/" + order.phone.lstrip("+")


def items_count(order: Order) -> int:
    return sum(item.quantity for item in order.items)


# --- UPI at the door --------------------------------------------------------------------

def upi_uri(vpa: str, shop_name: str, amount_paise: int, order_number: int) -> str:
    """The UPI deep link for the exact amount (NPCI's upi://pay parameters)."""
    amount = f"{amount_paise // 100}.{amount_paise % 100:02d}"
    params = [("pa", vpa), ("pn", shop_name), ("am", amount), ("cu", "INR"),
              ("tn", f"Order {order_number}")]
    return "upi://pay?" + "&".join(f"{k}={quote(v, safe='@.')}" for k, v in params)


def upi_qr_svg(uri: str) -> str:
    """The QR code of `uri`, drawn server-side as SVG (no script, no inline style)."""
    import io

    import segno

    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", scale=6, border=2, xmldecl=False,
                                    svgns=True, title=_("UPI QR code"), dark="#000", light="#fff")
    return out.getvalue().decode()

