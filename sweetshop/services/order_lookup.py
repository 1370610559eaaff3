"""Customers finding their orders: by a verified phone, or by order number plus phone.

A verified phone is a lookup_session row (start_lookup_session); the signed cookie holds
only its id, so signing out or expiry ends it for every copy of the cookie.

Also "Reorder": the same packs again, into the cart, as far as stock allows today.
"""
from __future__ import annotations

import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, select, update
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..formatting import format_quantity, parse_whole_number
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..models import Cart, CartLine, LookupSession, Order, OrderStatus, Product, Variant, utcnow
from ..phones import normalise_phone
from . import boxes as box_service
from . import cart as cart_service
from .errors import DomainError, NotFound
from .otp import TooManyRequests, recent_failures, record_attempt

MAX_ORDERS_SHOWN = 50
TRACK_FAILURES_PER_ADDRESS = 10   # per TRACK_WINDOW
TRACK_WINDOW = timedelta(hours=1)
VERIFIED_FOR = timedelta(minutes=30)   # a proven phone shows its orders this long
KEEP_ENDED_SESSIONS = timedelta(days=1)  # prune_lookup_sessions() removes rows older than that
FINAL_STATUSES = frozenset({OrderStatus.DELIVERED, OrderStatus.CANCELLED, OrderStatus.EXPIRED})
NO_MATCH = (_l("We could not find an order with that number and phone. "
            "Please check both and try again."))


class OrderNotFound(DomainError):
    status_code = 422


def is_final(order: Order) -> bool:
    return order.status in FINAL_STATUSES


def start_lookup_session(phone: str) -> str:
    """A new server-side session for a phone just proven by a code; its id. Commits."""
    now = utcnow()
    row = LookupSession(id=secrets.token_urlsafe(32), phone=phone, created_at=now,
                        expires_at=now + VERIFIED_FOR)
    db.session.add(row)
    db.session.commit()
    return row.id


def phone_of_lookup_session(session_id: str | None) -> str | None:
    """The phone of a live lookup session (not ended, not expired), else None."""
    if not isinstance(session_id, str) or not session_id or len(session_id) > 64:
        return None
    row = db.session.get(LookupSession, session_id)
    if row is None or row.ended_at is not None or row.expires_at <= utcnow():
        return None
    return row.phone


def end_lookup_session(session_id: str | None) -> None:
    """Sign out: the session stops working for every copy of the cookie. Commits."""
    if not isinstance(session_id, str) or not session_id:
        return
    db.session.execute(update(LookupSession).where(LookupSession.id == session_id,
                                                   LookupSession.ended_at.is_(None))
                       .values(ended_at=utcnow()))
    db.session.commit()


def prune_lookup_sessions(now=None) -> int:
    """Delete sessions expired more than KEEP_ENDED_SESSIONS ago (periodic task). Commits."""
    cutoff = (now or utcnow()) - KEEP_ENDED_SESSIONS
    n = db.session.execute(delete(LookupSession).where(LookupSession.expires_at < cutoff)).rowcount
    db.session.commit()
    return n


def orders_for_phone(phone: str) -> list[Order]:
    """The newest orders placed with this phone (E.164), items loaded."""
    return list(db.session.scalars(
        select(Order).where(Order.phone == phone)
        .options(selectinload(Order.items))
        .order_by(Order.created_at.desc(), Order.id.desc()).limit(MAX_ORDERS_SHOWN)
    ))


def parse_order_number(raw) -> int | None:
    return parse_whole_number(str(raw or "").strip().lstrip("#"))


def find_order_by_number_and_phone(number, phone, address: str) -> Order:
    """The order with this number placed with this phone (any usual format). Commits.

    Every miss is recorded against the client address; after TRACK_FAILURES_PER_ADDRESS
    misses in an hour the address is refused (TooManyRequests). A wrong number, a wrong
    phone and a number that does not exist get the same OrderNotFound message.
    """
    if recent_failures("track", address, TRACK_WINDOW) >= TRACK_FAILURES_PER_ADDRESS:
        raise TooManyRequests(_("Too many lookups from here. Please wait an hour and try again, "
                              "or use the link in your order messages."))
    number, phone = parse_order_number(number), normalise_phone(phone)
    order = None
    if number is not None and phone is not None:
        order = db.session.scalars(
            select(Order).where(Order.number == number, Order.phone == phone)).first()
    record_attempt("track", address, order is not None)
    db.session.commit()
    if order is None:
        raise OrderNotFound(NO_MATCH)
    return order


@dataclass
class ReorderResult:
    cart_token: str | None
    added: list[str] = field(default_factory=list)     # "2 × Kaju Katli, 500 g"
    missing: list[str] = field(default_factory=list)   # "Motichoor Laddoo, 1 kg: sold out"

    @property
    def added_count(self) -> int:
        return len(self.added)


def reorder(cart_token: str | None, order_number: int, phone: str) -> ReorderResult:
    """Put the packs of one of `phone`'s orders into the cart, as far as stock allows.

    For each line: the same pack if it is still on sale, as many packs as the stock left
    (after what the cart already holds of that sweet, for all its packs) and the cart's line
    limit allow. What could not be added, or only in part, is listed with the reason.
    Prices are today's. Adds through cart.add_to_cart (which commits); stock is taken only
    at checkout, under lock, as for any cart. Raises NotFound for another phone's order.
    """
    order = db.session.scalars(
        select(Order).where(Order.number == order_number, Order.phone == phone)
        .options(selectinload(Order.items))
    ).first()
    if order is None:
        raise NotFound(_("We could not find that order for your number."))
    result = ReorderResult(cart_token=cart_token)

    variant_ids = [i.variant_id for i in order.items if i.variant_id is not None]
    variants = {v.id: v for v in db.session.scalars(
        select(Variant).where(Variant.id.in_(variant_ids))
        .options(selectinload(Variant.product).selectinload(Product.variants)))}
    in_cart = _cart_quantities(cart_token)            # variant id -> packs already in cart
    wanted: dict[int, int] = defaultdict(int)         # product id -> base quantity claimed
    for variant_id, packs in in_cart.items():
        v = variants.get(variant_id) or db.session.get(Variant, variant_id)
        if v is not None:
            wanted[v.product_id] += v.quantity * packs
    limit = current_app.config["MAX_LINE_QUANTITY"]

    for item in order.items:
        label = f"{item.product_name}, {item.pack_name}"
        if item.is_box:  # the same box again, checked like a new one (services/boxes.py)
            try:
                result.cart_token, _box = box_service.add_box_to_cart(
                    result.cart_token, item.box_type_id or 0,
                    {p.product_id: p.quantity for p in item.parts if p.product_id},
                    item.gift_message, min(item.quantity, limit))
            except DomainError as error:
                result.missing.append(f"{label}: {error.message}")
                continue
            result.added.append(f"{min(item.quantity, limit)} × {label}")
            continue
        variant = variants.get(item.variant_id)
        if variant is None or not variant.active or not variant.product.active:
            result.missing.append(_('%(label)s: no longer on sale', label=label))
            continue
        product = variant.product
        left = max(product.stock - wanted[product.id], 0)
        room = max(limit - in_cart.get(variant.id, 0), 0)
        packs = min(item.quantity, left // variant.quantity, room)
        if packs == 0:
            if room == 0:
                reason = _('your cart already holds the most we allow (%(limit)s packs)', limit=limit)
            elif product.stock < variant.quantity:
                reason = _("sold out just now")
            else:
                reason = (_('only %(left)s left, and your cart already holds some', left=format_quantity(left, product.unit)))
            result.missing.append(f"{label}: {reason}")
            continue
        try:
            result.cart_token, _variant = cart_service.add_to_cart(result.cart_token, variant.id, packs)
        except DomainError as error:  # sold out between our look and the add
            result.missing.append(f"{label}: {error.message}")
            continue
        wanted[product.id] += variant.quantity * packs
        in_cart[variant.id] = in_cart.get(variant.id, 0) + packs
        result.added.append(f"{packs} × {label}")
        if packs < item.quantity:
            result.missing.append(
                _('%(label)s: only %(packs)s of %(quantity)s packs added ', label=label, packs=packs, quantity=item.quantity)
                + (_("(the most we allow in one line)") if packs == room else
                   _('(only %(left)s left)', left=format_quantity(left, product.unit))))
    return result


def _cart_quantities(token: str | None) -> dict[int, int]:
    if not cart_service.is_usable_token(token):
        return {}
    rows = db.session.execute(
        select(CartLine.variant_id, CartLine.quantity).join(Cart, Cart.id == CartLine.cart_id)
        .where(Cart.token == token)).all()
    return {variant_id: quantity for variant_id, quantity in rows}
