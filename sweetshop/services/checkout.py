"""Placing an order from a cart: the one place stock is taken for a sale."""
from __future__ import annotations

import re
import secrets
from collections import defaultdict
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..formatting import format_rupees
from ..i18n import DEFAULT_LANGUAGE, normalize_language
from ..i18n import gettext as _
from ..models import (
    Cart,
    Order,
    OrderItem,
    OrderStatus,
    OrderStatusChange,
    PaymentMethod,
    PaymentStatus,
    Product,
)
from . import boxes as box_service
from . import cod_risk, slots
from .cart import CartView, is_usable_token, price_lines
from .delivery import new_handover_code
from .errors import (
    CartNeedsAttention,
    DomainError,
    EmptyCart,
    InvalidInput,
    OutOfStock,
    PricesChanged,
    ShopClosed,
)
from .invoices import issue_invoice
from .notifications import queue_order_placed
from .payments.holds import check_payment_holds
from .shop import get_settings
from .stock import record_movement


def online_payment_enabled() -> bool:
    """Checkout offers "Pay online" only when Razorpay's keys are set."""
    from ..integrations.razorpay import is_enabled

    return is_enabled()

IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


@dataclass(frozen=True)
class CustomerDetails:
    """Already validated by the checkout form: phone in E.164, pincode 6 digits."""
    name: str
    phone: str
    address: str
    pincode: str
    note: str = ""
    payment_method: PaymentMethod = PaymentMethod.COD
    notify_whatsapp: bool = False
    # payments.hold_network(client address): what an unpaid online order counts against.
    client_network: str = ""
    # A business customer's GSTIN (checked: services.gst.check_gstin) and name: B2B invoice.
    buyer_gstin: str = ""
    buyer_business_name: str = ""
    # How and when (issue 11): "delivery" or "pickup"; "asap" or a slot's start,
    # "2026-10-31T16:00" (Asia/Kolkata). Pickup needs no address or pincode.
    fulfilment: str = "delivery"
    slot: str = "asap"
    # The language of the checkout page ('en' / 'hi'): the order's messages are written in it.
    language: str = "en"


def new_idempotency_key() -> str:
    return secrets.token_urlsafe(24)


def find_order_by_key(key: str) -> Order | None:
    return db.session.scalars(select(Order).where(Order.idempotency_key == key)).first()


# --- the basket the customer was shown ------------------------------------------------------
# The checkout page carries its lines and total, signed with SECRET_KEY, in a hidden field;
# place_order compares them with the cart it is about to order. Signed, not just hashed,
# so a script cannot state a basket it was never shown, and the page can say what it was.
BASKET_SALT = "sweetshop.checkout.basket"
MAX_BASKET_CHARS = 4096  # far above a real cart (a few dozen characters a line)


def _basket_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=BASKET_SALT)


def _basket_of(view: CartView) -> dict:
    lines = sorted([line.variant.id, line.quantity, line.unit_price_paise] for line in view.lines)
    basket = {"lines": lines, "total": view.total_paise}
    if view.boxes:  # assorted boxes: the cart's box line, how many, the price of one
        basket["boxes"] = sorted([box.cart_box.id, box.quantity, box.unit_price_paise]
                                 for box in view.boxes)
    return basket


def basket_digest(view: CartView) -> str:
    """The signed basket for the checkout form: every line's pack, packs and unit price,
    and the total with delivery."""
    return _basket_serializer().dumps(_basket_of(view))


def read_basket(digest: str | None) -> dict | None:
    """What a checkout form said the customer saw, or None when it is missing or forged."""
    if not digest or len(digest) > MAX_BASKET_CHARS:
        return None
    try:
        basket = _basket_serializer().loads(digest)
    except BadData:
        return None
    return basket if isinstance(basket, dict) else None


def seen_unit_prices(digest: str | None) -> dict[int, int]:
    """Pack id -> the unit price the customer saw, to show beside a changed line."""
    basket = read_basket(digest) or {}
    return {variant_id: price for variant_id, _, price in basket.get("lines", [])}


def seen_total(digest: str | None) -> int | None:
    return (read_basket(digest) or {}).get("total")


def place_order(cart_token: str | None, details: CustomerDetails, idempotency_key: str,
                seen_basket: str | None = None) -> Order:
    """Turn the cart into an order, taking stock for every line in one transaction.

    Guarantees: idempotent per `idempotency_key` (a double submit returns the first order);
    locks the cart row, then the products in id order (no deadlocks between carts), so under
    any concurrency stock never goes below zero and no more is sold than there was; writes
    one ledger row per product and the first status-history row; empties the cart; commits.
    `seen_basket` is the checkout form's basket_digest(): unless the cart as priced for
    this order (with the cart locked; the very lines and prices the order is written with)
    is exactly that basket (lines, unit prices, total with delivery), it raises
    PricesChanged, and a missing or forged one counts as changed. None skips the check, for
    callers that show no basket (scripts, tests). Raises EmptyCart, CartNeedsAttention,
    OutOfStock, PricesChanged, ShopClosed, SlotUnavailable or InvalidInput, writing nothing.

    The time (`details.fulfilment`, `details.slot`) is checked by services.slots against
    what the checkout showed, first without locks (a full slot is refused before the stock
    is locked), again once the stock is locked, and booked by conditional UPDATEs as the
    last statements before the commit (slot, then kitchen capacity), so their rows are held
    only for the commit. Sweets made to order in a pre-order window book capacity instead
    of stock.
    """
    if not idempotency_key or not IDEMPOTENCY_KEY.match(idempotency_key):
        raise InvalidInput(_("This form has expired. Please review your order and try again."))
    try:
        return _place_order(cart_token, details, idempotency_key, seen_basket)
    except IntegrityError:
        # A concurrent submit with the same key won the race: show its order.
        db.session.rollback()
        existing = find_order_by_key(idempotency_key)
        if existing is None:
            raise
        return existing


def _place_order(cart_token, details: CustomerDetails, key: str, seen_basket) -> Order:
    # The booking rows this order may update exist before its transaction takes any lock
    # (their own short commit), so racing checkouts only ever queue on an UPDATE.
    slots.ensure_rows_for(get_settings(), details.fulfilment, details.slot)
    db.session.commit()
    cart = None
    if is_usable_token(cart_token):
        cart = db.session.scalars(
            select(Cart).where(Cart.token == cart_token).with_for_update()
        ).first()
    # Checked after taking the cart lock, so a second tap waits for the first and finds it.
    existing = find_order_by_key(key)
    if existing is not None:
        db.session.rollback()
        return existing
    if cart is None or not (cart.lines or cart.boxes):
        db.session.rollback()
        raise EmptyCart(_("Your cart is empty. Add some sweets before checking out."))

    settings = get_settings()
    if not settings.is_open:
        db.session.rollback()
        raise ShopClosed(_("The shop is closed for orders right now. Please come back soon."))

    # The time first, lock-free: a full, past or tampered slot is refused before any stock
    # lock is queued for.
    try:
        chosen = slots.choose(settings, details.fulfilment, details.slot,
                              [slots.LineDemand(ln.variant.product, ln.variant.quantity
                                                * ln.quantity) for ln in cart.lines])
    except DomainError:
        db.session.rollback()
        raise
    made = set(chosen.demand.made)

    # Lock every product in the cart, in id order, before reading its stock.
    # Assorted boxes draw on the same sweets: their parts join the same sorted lock order.
    product_ids = sorted({line.variant.product_id for line in cart.lines}
                         | box_service.product_ids(cart.boxes))
    products = {
        p.id: p for p in db.session.scalars(
            select(Product).where(Product.id.in_(product_ids)).order_by(Product.id)
            .with_for_update().execution_options(populate_existing=True)
        )
    }
    view = price_lines(cart.lines, boxes=cart.boxes, made_to_order=made)
    # Short means all packs of a sweet together want more than its pool, not just one line.
    wanted: dict[int, int] = defaultdict(int)
    for line in view.lines:
        wanted[line.product.id] += line.base_quantity
    for box in view.boxes:
        for product_id, quantity in box.draws.items():
            wanted[product_id] += quantity
    short = [ln for ln in view.lines if ln.problem and wanted[ln.product.id] > ln.product.stock]
    short += [box for box in view.boxes if box.short]
    problems = " ".join(dict.fromkeys(
        ln.problem for ln in [*view.lines, *view.boxes] if ln.problem))
    if problems:
        db.session.rollback()
        if short:
            raise OutOfStock(_("Some sweets sold out while you were shopping: ") + problems)
        raise CartNeedsAttention(_("Please check your cart: ") + problems)
    if view.problems:
        db.session.rollback()
        raise CartNeedsAttention(" ".join(view.problems))
    if seen_basket is not None and read_basket(seen_basket) != _basket_of(view):
        db.session.rollback()
        raise PricesChanged(_("Prices changed, please check your order below and place it again."))
    try:  # waited behind other checkouts for the stock? the slot may have filled since
        slots.still_free(settings, chosen)
    except DomainError:
        db.session.rollback()
        raise
    pickup = chosen.kind == slots.PICKUP
    delivery_fee = 0 if pickup else view.delivery_fee_paise  # pickup travels free
    total = view.subtotal_paise + delivery_fee
    window = chosen.demand.window
    _check_rules(settings, details, total, pickup=pickup, window=window)
    # COD fee or prepaid discount (issue 14) is part of the total, and so of any advance.
    adjustment = cod_risk.payment_adjustment(settings, details.payment_method, total)
    total += adjustment
    advance = slots.advance_for(window, total)
    pending_yes = (details.payment_method is PaymentMethod.COD
                   and cod_risk.needs_confirmation(details.phone, settings))
    # An online order holds its stock while it waits for payment; it is "placed" (and the
    # messages go out) only once paid. services/payments/ takes it from here.
    online = details.payment_method is PaymentMethod.ONLINE
    if online:  # limits on how much unpaid orders hold (may refuse, writing nothing)
        check_payment_holds(phone=details.phone, cart_id=cart.id, network=details.client_network)
    first_status = OrderStatus.AWAITING_PAYMENT if online else OrderStatus.PLACED

    order = Order(
        public_token=secrets.token_urlsafe(32),
        idempotency_key=key,
        status=first_status,
        payment_status=PaymentStatus.UNPAID,
        payment_method=details.payment_method,
        customer_name=details.name,
        phone=details.phone,
        address="" if pickup else details.address,
        pincode="" if pickup else details.pincode,
        note=details.note,
        notify_whatsapp=details.notify_whatsapp,
        language=normalize_language(details.language) or DEFAULT_LANGUAGE,
        subtotal_paise=view.subtotal_paise,
        delivery_fee_paise=delivery_fee,
        payment_adjustment_paise=adjustment,
        total_paise=total,
        advance_paise=advance if online else 0,
        fulfilment=chosen.kind,
        due_at=chosen.due_at,
        handover_code=new_handover_code(),
        cod_confirmation="pending" if pending_yes else "",
        hold_cart_id=cart.id if online else None,
        hold_network=details.client_network if online else "",
        buyer_gstin=details.buyer_gstin, buyer_business_name=details.buyer_business_name,
    )
    db.session.add(order)
    taken: dict[int, int] = defaultdict(int)
    for line in view.lines:
        order.items.append(OrderItem(
            product_id=line.product.id, variant_id=line.variant.id,
            product_name=line.product.name, pack_name=line.variant.name,
            product_name_hi=line.product.name_hi or "", pack_name_hi=line.variant.name_hi or "",
            unit=line.product.unit, pack_quantity=line.variant.quantity,
            quantity=line.quantity, unit_price_paise=line.unit_price_paise,
            line_total_paise=line.line_total_paise,
            made_to_order=line.product.id in made,
        ))
        if line.product.id not in made:  # made to order: booked on capacity below
            taken[line.product.id] += line.base_quantity
    for box in view.boxes:  # one line per box, its parts beside it (services/boxes.py)
        order.items.append(box_service.order_item_for(box))
        for product_id, quantity in box.draws.items():
            taken[product_id] += quantity
    order.history.append(OrderStatusChange(
        from_status=None, to_status=first_status, actor="customer",
        note="Order placed, waiting for online payment" if online else _("Order placed")))
    db.session.flush()  # the order id, for the ledger
    for product_id in product_ids:
        if product_id in taken:
            record_movement(products[product_id], -taken[product_id], "sale",
                            order_id=order.id, actor="customer")
    for line in list(cart.lines):
        db.session.delete(line)
    for box in list(cart.boxes):
        db.session.delete(box)
    # The slot and the kitchen's capacity, last: their rows are locked only until the commit.
    try:
        slots.book(settings, order, chosen)
    except DomainError:
        db.session.rollback()
        raise
    # Messages are written in this same transaction; they are enqueued once it commits.
    if not online:
        queue_order_placed(order)
        issue_invoice(order)  # a cash order is invoiced now; takes the counter lock last
    db.session.commit()
    return order


def _check_rules(settings, details: CustomerDetails, total_paise: int, *, pickup: bool = False,
                 window=None) -> None:
    if not pickup and (len(details.address or "") < 10 or not details.pincode):
        db.session.rollback()
        raise InvalidInput(_("Please give the address to deliver to."), field="address")
    pincodes = settings.pincodes
    if not pickup and pincodes and details.pincode not in pincodes:
        db.session.rollback()
        raise InvalidInput(
            _('Sorry, we do not deliver to %(pincode)s yet. Please use an address in our delivery area.', pincode=details.pincode), field="pincode")
    if details.payment_method is PaymentMethod.ONLINE and not online_payment_enabled():
        db.session.rollback()
        raise InvalidInput(_("Online payment is not available right now. Please choose cash on "
                           "delivery."), field="payment_method")
    if (details.payment_method is PaymentMethod.COD and settings.cod_max_paise
            and total_paise > settings.cod_max_paise):
        db.session.rollback()
        raise InvalidInput(
            _('Cash on delivery is available for orders up to %(cod_max_paise)s.', cod_max_paise=format_rupees(settings.cod_max_paise)), field="payment_method")
    if window is not None and details.payment_method is PaymentMethod.COD:
        refusal = None
        if window.advance_percent:
            refusal = _("%(name)s pre-orders need an advance of %(pc)s%% paid online.",
                        name=window.name, pc=window.advance_percent)
        elif not window.cod_allowed:
            refusal = _("%(name)s pre-orders are paid online.", name=window.name)
        elif window.cod_max_paise and total_paise > window.cod_max_paise:
            refusal = _("Cash is taken for %(name)s pre-orders up to %(max)s.",
                        name=window.name, max=format_rupees(window.cod_max_paise))
        if refusal:
            db.session.rollback()
            raise InvalidInput(refusal, field="payment_method")
    if details.payment_method is PaymentMethod.COD and cod_risk.refuses_cash(details.phone,
                                                                             settings):
        db.session.rollback()
        raise InvalidInput(str(cod_risk.REFUSED), field="payment_method")


def get_order_by_token(token: str) -> Order | None:
    if not token or len(token) > 64:
        return None
    return db.session.scalars(select(Order).where(Order.public_token == token)).first()

