"""The owner's side of an order: finding orders, and moving them through their statuses.

The allowed moves live in TRANSITIONS, and change_status is the only function that changes
Order.status after checkout, so every change is checked, locked and recorded in one place.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..formatting import KOLKATA, ascii_digits
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..models import (
    Order,
    OrderStatus,
    OrderStatusChange,
    Product,
    utcnow,
)
from ..phones import normalise_phone
from ..queueing import enqueue
from . import audit, slots
from .alerts import stop_ladder
from .errors import InvalidInput, InvalidTransition, NotFound
from .invoices import issue_credit_note
from .notifications import queue_status_message
from .stock import record_movement

S = OrderStatus

# Where an order may go from each status, by the owner's hand. Payment webhooks and the
# expiry sweeper move orders out of awaiting_payment; delivered and cancelled are final.
TRANSITIONS: dict[OrderStatus, tuple[OrderStatus, ...]] = {
    S.PLACED: (S.ACCEPTED, S.CANCELLED),
    S.ACCEPTED: (S.READY, S.OUT_FOR_DELIVERY, S.CANCELLED),
    S.READY: (S.OUT_FOR_DELIVERY, S.DELIVERED, S.CANCELLED),
    S.OUT_FOR_DELIVERY: (S.DELIVERED, S.RETURNED, S.CANCELLED),
}
# Reached only through services/delivery.py: delivered needs the customer's handover code
# (or the owner's recorded override); returned needs the delivery person's reason.
DELIVERY_ONLY = (S.DELIVERED, S.RETURNED)

# The button for each move, in the order they are offered (the accessible names matter).
ACTIONS: dict[OrderStatus, str] = {
    S.ACCEPTED: _l("Accept"),
    S.READY: _l("Mark ready"),
    S.OUT_FOR_DELIVERY: _l("Out for delivery"),
    S.DELIVERED: _l("Delivered"),
    S.CANCELLED: _l("Cancel order"),
    S.RETURNED: _l("Could not deliver"),
}

MAX_NOTE = 500
PAGE_SIZE = 25
MAX_PAGE = 10_000


def allowed_transitions(status: OrderStatus) -> tuple[OrderStatus, ...]:
    return TRANSITIONS.get(status, ())


def parse_status(raw, field: str = "to_status") -> OrderStatus:
    """A status sent by a form: refuses anything that is not one of ours (a tampered form)."""
    if isinstance(raw, OrderStatus):
        return raw
    try:
        return OrderStatus(str(raw or "").strip())
    except ValueError:
        raise InvalidInput(_("That is not an order status."), field=field) from None


def get_order(order_id: int) -> Order:
    """One order with its items and history, for the order page. Raises NotFound."""
    order = db.session.scalars(
        select(Order).where(Order.id == order_id)
        .options(selectinload(Order.items), selectinload(Order.history))
    ).first() if 0 < order_id < 2**31 else None
    if order is None:
        raise NotFound(_("We could not find that order."))
    return order


def change_status(order_id: int, to_status, actor: str, note: str = "",
                  expected_from=None, assign_to: int | None = None) -> Order:
    """Move an order to `to_status`, if that is allowed from the status it has now.

    Guarantees: locks the order row (FOR UPDATE) before reading its status, so two owners
    pressing buttons at once are applied one after the other and the second is checked
    against the first's result. `expected_from` is the status the owner saw; if the order
    has moved on since, nothing is changed and InvalidTransition says what it is now.
    Writes one OrderStatusChange row (who, note). Cancelling returns every item's stock
    through the ledger (products locked in id order; items whose product was deleted are
    skipped) and needs a reason in `note`. Out for delivery assigns the order to the delivery
    person `assign_to` (an active member of staff with the delivery role, or None) and makes
    sure it has a handover code. Delivered and returned are refused here: they go through
    services/delivery.py (the handover code). A first cash order still waiting for the
    customer's confirmation cannot be accepted. Commits; on any refusal writes nothing.
    Raises NotFound, InvalidInput or InvalidTransition.
    """
    to_status = parse_status(to_status)
    expected = parse_status(expected_from, "expected_from") if expected_from else None
    note = " ".join((note or "").split())
    if len(note) > MAX_NOTE:
        raise InvalidInput(_('Please keep the note under %(MAX_NOTE)s characters.', MAX_NOTE=MAX_NOTE), field="note")
    if to_status is S.CANCELLED and not note:
        raise InvalidInput(_("Please give a reason for cancelling."), field="note")

    order = db.session.scalars(
        select(Order).where(Order.id == order_id).with_for_update()
        .execution_options(populate_existing=True)
    ).first() if 0 < order_id < 2**31 else None
    if order is None:
        db.session.rollback()
        raise NotFound(_("We could not find that order."))
    current = order.status
    if (expected is not None and expected is not current) or to_status is current:
        db.session.rollback()
        raise InvalidTransition(_("This order is already %(status)s.", status=current.label.lower()))
    if to_status not in allowed_transitions(current):
        db.session.rollback()
        raise InvalidTransition(
            _("An order that is %(status)s cannot be marked %(new_status)s.",
              status=current.label.lower(), new_status=to_status.label.lower()))
    if to_status in DELIVERY_ONLY:
        db.session.rollback()
        raise InvalidInput(_("Please enter the customer's handover code to mark it delivered."),
                           field="code")
    if to_status is S.ACCEPTED and order.cod_confirmation == "pending":
        db.session.rollback()
        raise InvalidTransition(_("This first cash order is not confirmed by the customer yet. "
                                  "Call them and confirm it first."))
    if to_status is S.OUT_FOR_DELIVERY:
        _assign(order, assign_to)
    ringing = apply_transition(order, to_status, actor, note)
    db.session.commit()
    if ringing:  # calls placed just before: ended by a job, not while the owner waits
        enqueue("sweetshop.jobs.hang_up_calls", ringing, queue="notifications")
    return order


def apply_transition(order: Order, to_status: OrderStatus, actor, note: str = "") -> list:
    """Record a checked move on a locked order: status, history row, audit row, stock back
    for a cancellation, the customer's message; a new order's alerts stop (issue 17).
    Does not commit. Returns the calls to hang up once the caller has committed."""
    current = order.status
    order.status = to_status
    db.session.add(OrderStatusChange(order=order, from_status=current, to_status=to_status,
                                     actor=actor, note=note))
    # Accepted or cancelled, by any channel: the new order's alerts stop in this transaction.
    ringing = stop_ladder(order, actor, to_status) if current is S.PLACED else []
    audit.record(actor, "status", f"Order #{order.number}: {current.label.lower()} → "
                 f"{to_status.label.lower()}{f' ({note})' if note else ''}", order_id=order.id)
    if to_status is S.CANCELLED:
        _return_stock(order, actor)
        slots.release(order)  # after the stock locks, as checkout books
    # The customer's message is written in this transaction (outbox): it commits with the
    # status and is enqueued after the commit. A paid order's refund is the owner's
    # decision, offered on the order page after cancelling.
    queue_status_message(order, to_status.value, note)
    if to_status is S.CANCELLED:  # the invoice stands; a credit note cancels it out
        issue_credit_note(order, reason=note, for_cancellation=True)
    return ringing


def _assign(order: Order, assign_to: int | None) -> None:
    from ..models import AdminUser
    from .delivery import new_handover_code

    if assign_to:
        person = db.session.get(AdminUser, assign_to) if 0 < assign_to < 2**31 else None
        if person is None or not person.active or person.role != "delivery":
            db.session.rollback()
            raise InvalidInput(_("Please choose one of the delivery staff."), field="assign_to")
    order.assigned_to_id = assign_to or None
    order.out_for_delivery_at = utcnow()
    if not order.handover_code:
        order.handover_code = new_handover_code()


def _return_stock(order: Order, actor: str) -> None:
    returned: dict[int, int] = {}
    for item in order.items:  # a pack's sweet, or every part of a box (deleted ones left out)
        for product_id, quantity in item.stock_draws().items():
            returned[product_id] = returned.get(product_id, 0) + quantity
    if not returned:
        return
    products = db.session.scalars(
        select(Product).where(Product.id.in_(sorted(returned))).order_by(Product.id)
        .with_for_update().execution_options(populate_existing=True)
    ).all()
    for product in products:
        record_movement(product, returned[product.id], "order cancelled", order_id=order.id,
                        actor=actor)


# --- Finding orders -------------------------------------------------------------------------

@dataclass
class OrderPage:
    orders: list[Order]
    page: int
    pages: int
    total: int

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def local_day_bounds(day: date) -> tuple[datetime, datetime]:
    """The start and end (exclusive) of a calendar day in Asia/Kolkata, as aware datetimes."""
    start = datetime.combine(day, time.min, tzinfo=KOLKATA)
    return start, start + timedelta(days=1)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _search_condition(q: str):
    """Order number ('1042' or '#1042'), phone in any usual format, or part of the name."""
    conditions = [Order.customer_name.ilike(f"%{_escape_like(q)}%", escape="\\")]
    number = re.fullmatch(r"#?\s*(\d{1,9})", q)
    if number:
        conditions.append(Order.number == int(number.group(1)))
    phone = normalise_phone(q)
    if phone:
        conditions.append(Order.phone == phone)
    digits = ascii_digits(re.sub(r"[\s().+-]", "", q))
    if re.fullmatch(r"[0-9]{5,15}", digits):
        # Part of a number ("43210", "98765 43") matches anywhere in the stored E.164.
        conditions.append(Order.phone.contains(digits, autoescape=True))
    return or_(*conditions)


def list_orders(*, status: OrderStatus | None = None, date_from: date | None = None,
                date_to: date | None = None, q: str = "", page: int = 1,
                per_page: int = PAGE_SIZE, due_on: date | None = None,
                slot: str = "") -> OrderPage:
    """Orders newest first, filtered; dates are days in Asia/Kolkata, both ends included.

    `due_on`: only orders due that day, sorted by when they are due (slot orders by their
    slot, "as soon as possible" ones by placed + preparation time); `slot` ("17:00", or
    "asap") narrows that to one slot."""
    stmt = select(Order)
    if due_on is not None:
        start, end = local_day_bounds(due_on)
        stmt = stmt.where(Order.due_at >= start, Order.due_at < end)
        if slot == "asap":
            stmt = stmt.where(Order.slot_starts_at.is_(None))
        elif re.fullmatch(r"\d{2}:\d{2}", slot or ""):
            at = datetime.combine(due_on, time.fromisoformat(slot), tzinfo=KOLKATA)
            stmt = stmt.where(Order.slot_starts_at == at)
    if status is not None:
        stmt = stmt.where(Order.status == status)
    if date_from is not None:
        stmt = stmt.where(Order.created_at >= local_day_bounds(date_from)[0])
    if date_to is not None:
        stmt = stmt.where(Order.created_at < local_day_bounds(date_to)[1])
    q = " ".join((q or "").split())[:100]
    if q:
        stmt = stmt.where(_search_condition(q))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages, MAX_PAGE)
    ordering = ((Order.due_at, Order.id) if due_on is not None
                else (Order.created_at.desc(), Order.id.desc()))
    orders = db.session.scalars(
        stmt.order_by(*ordering)
        .limit(per_page).offset((page - 1) * per_page)
    ).all()
    return OrderPage(orders=list(orders), page=page, pages=pages, total=total)

