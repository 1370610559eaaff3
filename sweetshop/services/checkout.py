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
from .cart import CartView, is_usable_token, price_lines
from .errors import (
    CartNeedsAttention,
    EmptyCart,
    InvalidInput,
    OutOfStock,
    PricesChanged,
    ShopClosed,
)
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
    return {"lines": lines, "total": view.total_paise}


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
    OutOfStock, PricesChanged, ShopClosed or InvalidInput, writing nothing.
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
    if cart is None or not cart.lines:
        db.session.rollback()
        raise EmptyCart(_("Your cart is empty. Add some sweets before checking out."))

    settings = get_settings()
    if not settings.is_open:
        db.session.rollback()
        raise ShopClosed(_("The shop is closed for orders right now. Please come back soon."))

    # Lock every product in the cart, in id order, before reading its stock.
    product_ids = sorted({line.variant.product_id for line in cart.lines})
    products = {
        p.id: p for p in db.session.scalars(
            select(Product).where(Product.id.in_(product_ids)).order_by(Product.id)
            .with_for_update().execution_options(populate_existing=True)
        )
    }
    view = price_lines(cart.lines)
    # Short means all packs of a sweet together want more than its pool, not just one line.
    wanted: dict[int, int] = defaultdict(int)
    for line in view.lines:
        wanted[line.product.id] += line.base_quantity
    short = [ln for ln in view.lines if ln.problem and wanted[ln.product.id] > ln.product.stock]
    problems = " ".join(dict.fromkeys(ln.problem for ln in view.lines if ln.problem))
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
    _check_rules(settings, details, view.subtotal_paise + view.delivery_fee_paise)
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
        address=details.address,
        pincode=details.pincode,
        note=details.note,
        notify_whatsapp=details.notify_whatsapp,
        language=normalize_language(details.language) or DEFAULT_LANGUAGE,
        subtotal_paise=view.subtotal_paise,
        delivery_fee_paise=view.delivery_fee_paise,
        total_paise=view.total_paise,
        hold_cart_id=cart.id if online else None,
        hold_network=details.client_network if online else "",
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
        ))
        taken[line.product.id] += line.base_quantity
    order.history.append(OrderStatusChange(
        from_status=None, to_status=first_status, actor="customer",
        note="Order placed, waiting for online payment" if online else _("Order placed")))
    db.session.flush()  # the order id, for the ledger
    for product_id in product_ids:
        record_movement(products[product_id], -taken[product_id], "sale", order_id=order.id,
                        actor="customer")
    for line in list(cart.lines):
        db.session.delete(line)
    # Messages are written in this same transaction; they are enqueued once it commits.
    if not online:
        queue_order_placed(order)
    db.session.commit()
    return order


def _check_rules(settings, details: CustomerDetails, total_paise: int) -> None:
    pincodes = settings.pincodes
    if pincodes and details.pincode not in pincodes:
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


def get_order_by_token(token: str) -> Order | None:
    if not token or len(token) > 64:
        return None
    return db.session.scalars(select(Order).where(Order.public_token == token)).first()

