"""The customer's cart: kept in PostgreSQL, found by the token in the cart cookie.

Prices and stock are always read from the catalogue; the cart stores only which pack and
how many, so nothing a browser sends can change what a line costs.
"""
from __future__ import annotations

import re
import secrets
from collections import defaultdict
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import joinedload, selectinload

from ..extensions import db
from ..formatting import format_rupees, indian_digits
from ..i18n import gettext as _
from ..i18n import ngettext
from ..models import Cart, CartLine, Product, Variant
from .errors import InvalidInput, NotFound, OutOfStock
from .messages import stock_left
from .shop import get_settings

TOKEN_BYTES = 24
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass
class CartLineView:
    variant: Variant
    product: Product
    quantity: int
    problem: str | None = None

    @property
    def unit_price_paise(self) -> int:
        return self.variant.price_paise

    @property
    def line_total_paise(self) -> int:
        return self.variant.price_paise * self.quantity

    @property
    def base_quantity(self) -> int:
        return self.variant.quantity * self.quantity


@dataclass
class CartView:
    """A priced, stock-checked view of a cart: what the cart page and checkout show."""
    lines: list[CartLineView] = field(default_factory=list)
    subtotal_paise: int = 0
    delivery_fee_paise: int = 0
    problems: list[str] = field(default_factory=list)
    # Assorted boxes (services/boxes.CartBoxView): lines of their own, parts listed under.
    boxes: list = field(default_factory=list)

    @property
    def total_paise(self) -> int:
        return self.subtotal_paise + self.delivery_fee_paise

    @property
    def count(self) -> int:
        return sum(line.quantity for line in self.lines) + sum(b.quantity for b in self.boxes)

    @property
    def is_empty(self) -> bool:
        return not self.lines and not self.boxes

    @property
    def can_checkout(self) -> bool:
        return (not self.is_empty and not self.problems
                and not any(ln.problem for ln in [*self.lines, *self.boxes]))


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def is_usable_token(token: str | None) -> bool:
    """Shaped like a token we issue; a cookie edited to hold anything else finds no cart."""
    return bool(token) and TOKEN_SHAPE.fullmatch(token) is not None


def _max_line_quantity() -> int:
    return current_app.config["MAX_LINE_QUANTITY"]


QUANTITY_SHAPE = re.compile(r"-?[0-9]{1,9}")


def _parse_quantity(raw, *, allow_zero: bool) -> int:
    # Digits of the Indian scripts people type here ("२" -> "2"), then ASCII digits only,
    # and few of them: int() would also take "1_000", "٣" or 4,000 digits.
    text_value = "" if raw is None else indian_digits(str(raw).strip())
    if not QUANTITY_SHAPE.fullmatch(text_value):
        raise InvalidInput(_("Quantity must be a whole number."), field="quantity")
    quantity = int(text_value)
    low = 0 if allow_zero else 1
    if quantity < low or quantity > _max_line_quantity():
        raise InvalidInput(
            _('Quantity must be between %(low)s and %(high)s.', low=max(low, 1), high=_max_line_quantity()), field="quantity"
        )
    return quantity


def _parse_id(raw) -> int:
    try:
        value = int(str(raw).strip())
    except (TypeError, ValueError):
        raise InvalidInput(_("Please choose a pack."), field="variant_id") from None
    if not 0 < value < 2**31:
        raise InvalidInput(_("Please choose a pack."), field="variant_id")
    return value


def parse_variant_id_or_none(raw) -> int | None:
    try:
        return _parse_id(raw)
    except InvalidInput:
        return None


def sellable_or_none(variant_id: int | None) -> Variant | None:
    """The pack with its product, if it is on sale; else None."""
    if not variant_id:
        return None
    try:
        return _sellable_variant(variant_id)
    except NotFound:
        return None


def _load_cart(token: str | None, *, lock: bool = False) -> Cart | None:
    # Cart writes commit durably like everything else: "Added to your cart" is only said
    # of a change PostgreSQL has on disk (issue 10, item 31; figures in docs/performance.md).
    if not is_usable_token(token):
        return None
    stmt = select(Cart).where(Cart.token == token)
    if lock:
        stmt = stmt.with_for_update()
    return db.session.scalars(stmt).first()


def _sellable_variant(variant_id: int) -> Variant:
    variant = db.session.scalars(
        select(Variant).where(Variant.id == variant_id).options(joinedload(Variant.product))
    ).first()
    if variant is None or not variant.active or not variant.product.active:
        raise NotFound(_("That pack is not on sale any more."), field="variant_id")
    return variant


def add_to_cart(token: str | None, variant_id, quantity=1) -> tuple[str, Variant]:
    """Add packs to the cart (creating it if needed); returns the cart token and the pack.

    Refuses a pack that is not on sale, a quantity beyond the line limit, and more than the
    stock left after what this cart already holds of the sweet (all its packs together),
    with what is left in this pack ("Only 3 × Box of 6 left"). Stock is checked again,
    under lock, when the order is placed: this check only spares the customer a surprise.
    """
    variant = _sellable_variant(_parse_id(variant_id))
    quantity = _parse_quantity(quantity, allow_zero=False)
    # Made to order in a pre-order window (issue 11): booked on kitchen capacity, not stock.
    made_to_order = _made_to_order(variant.product_id)
    if variant.quantity > variant.product.stock and not made_to_order:
        raise OutOfStock(_("Sorry, %(name)s (%(pack)s) is sold out just now.",
                           name=variant.product.name, pack=variant.name), field="variant_id")
    cart = _load_cart(token, lock=True)
    held = _held_of_product(cart, variant.product_id) if cart is not None else 0
    if not made_to_order and held + variant.quantity * quantity > variant.product.stock:
        db.session.rollback()
        raise OutOfStock(_packs_left_message(variant, held), field="variant_id")
    if cart is None:
        cart = Cart(token=new_token())
        db.session.add(cart)
        db.session.flush()
    limit = _max_line_quantity()
    # One statement, so two quick taps on "Add to cart" add two packs and never fail.
    db.session.execute(
        insert(CartLine)
        .values(cart_id=cart.id, variant_id=variant.id, quantity=quantity)
        .on_conflict_do_update(
            constraint="uq_cart_line_cart_variant",
            set_={"quantity": db.func.least(CartLine.quantity + quantity, limit)},
        )
    )
    cart.updated_at = db.func.now()
    token = cart.token
    _commit_keeping_loaded()  # the caller shows the pack's name: no need to read it again
    return token, variant


def _held_of_product(cart: Cart, product_id: int) -> int:
    """How much of a sweet (base unit) the cart holds, across its packs."""
    return int(db.session.scalar(
        select(db.func.coalesce(db.func.sum(CartLine.quantity * Variant.quantity), 0))
        .join(Variant, Variant.id == CartLine.variant_id)
        .where(CartLine.cart_id == cart.id, Variant.product_id == product_id)) or 0)


def _packs_left_message(variant: Variant, held: int) -> str:
    more = max(0, (variant.product.stock - held) // variant.quantity)
    if held and not more:
        return _("Your cart already has all the %(name)s we have left.",
                 name=variant.product.name)
    if held:
        return ngettext("Only %(num)d more × %(pack)s can be added: the rest is in your cart.",
                        "Only %(num)d more × %(pack)s can be added: the rest is in your cart.",
                        more, pack=variant.name)
    return ngettext("Only %(num)d × %(pack)s left.", "Only %(num)d × %(pack)s left.",
                    more, pack=variant.name)


def cart_summary(token: str | None) -> tuple[int, int]:
    """(packs, subtotal in paise) of the cart at catalogue prices, in one query: what the
    sticky "View cart" bar shows. (0, 0) without a cart."""
    if not is_usable_token(token):
        return 0, 0
    from ..models import CartBox

    boxes = (select(db.func.coalesce(db.func.sum(CartBox.quantity), 0))
             .join(Cart, Cart.id == CartBox.cart_id).where(Cart.token == token)
             .scalar_subquery())
    count, subtotal, box_count = db.session.execute(
        select(db.func.coalesce(db.func.sum(CartLine.quantity), 0),
               db.func.coalesce(db.func.sum(CartLine.quantity * Variant.price_paise), 0), boxes)
        .select_from(Cart)
        .outerjoin(CartLine, CartLine.cart_id == Cart.id)
        .outerjoin(Variant, Variant.id == CartLine.variant_id)
        .where(Cart.token == token)).one() if token else (0, 0, 0)
    if box_count:  # an assorted box's price is its parts' (services/boxes): price the cart
        return int(count) + int(box_count), view_cart(token).subtotal_paise
    return int(count), int(subtotal)


def quantities_in_cart(token: str | None) -> dict[int, int]:
    """{variant id: packs} of the cart, for the cards' steppers."""
    if not is_usable_token(token):
        return {}
    rows = db.session.execute(
        select(CartLine.variant_id, CartLine.quantity)
        .join(Cart, Cart.id == CartLine.cart_id).where(Cart.token == token)).all()
    return {variant_id: quantity for variant_id, quantity in rows}


def _commit_keeping_loaded() -> None:
    """Commit without expiring what this session has loaded (a later commit still does)."""
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


def set_line_quantity(token: str | None, variant_id, quantity) -> None:
    """Set how many of a pack the cart holds; 0 removes the line. Idempotent."""
    variant_id = _parse_id(variant_id)
    quantity = _parse_quantity(quantity, allow_zero=True)
    cart = _load_cart(token, lock=True)
    line = None
    if cart is not None:
        line = next((ln for ln in cart.lines if ln.variant_id == variant_id), None)
    if line is None:
        db.session.rollback()
        if quantity == 0:
            return  # already gone: a second tap on "Remove" is fine
        raise NotFound(_("That item is no longer in your cart."), field="variant_id")
    if quantity == 0:
        db.session.delete(line)
    else:
        line.quantity = quantity
    cart.updated_at = db.func.now()
    db.session.commit()


def cart_count(token: str | None) -> int:
    if not is_usable_token(token):
        return 0
    from ..models import CartBox

    packs = (select(db.func.coalesce(db.func.sum(CartLine.quantity), 0))
             .join(Cart, Cart.id == CartLine.cart_id).where(Cart.token == token)
             .scalar_subquery())
    boxes = (select(db.func.coalesce(db.func.sum(CartBox.quantity), 0))
             .join(Cart, Cart.id == CartBox.cart_id).where(Cart.token == token)
             .scalar_subquery())
    total = db.session.scalar(select(packs + boxes))  # one statement for the header badge
    return int(total or 0)


def view_cart(token: str | None) -> CartView:
    """Price the cart from the catalogue and check stock across all packs of each sweet."""
    cart = None
    if is_usable_token(token):
        cart = db.session.scalars(
            select(Cart).where(Cart.token == token).options(
                # Product.variants too: a stock message names the smallest pack (no N+1).
                selectinload(Cart.lines).joinedload(CartLine.variant).joinedload(Variant.product)
                .selectinload(Product.variants),
                _boxes_loader(),
            )
        ).first()
    return price_lines(cart.lines if cart else [], boxes=cart.boxes if cart else ())


def _boxes_loader():
    """Boxes with their type (allowed sweets) and parts (sweets, packs): a few queries
    whatever the cart holds, and one (finding none) for a cart without boxes."""
    from ..models import BoxType, CartBox, CartBoxPart

    return selectinload(Cart.boxes).options(
        joinedload(CartBox.box_type).selectinload(BoxType.sweets),
        selectinload(CartBox.parts).joinedload(CartBoxPart.product)
        .selectinload(Product.variants))


def _made_to_order(product_id: int) -> bool:
    from .slots import made_to_order_ids

    return product_id in made_to_order_ids()


def price_lines(lines: list[CartLine], boxes=(),
                made_to_order: set[int] | None = None) -> CartView:
    """`made_to_order`: sweets a pre-order window makes to order (they need no stock); None
    asks the windows, and only when some line wants more than the shelf has. Box parts
    always come from the shelf."""
    from . import boxes as box_service

    view = CartView()
    wanted: dict[int, int] = defaultdict(int)
    packs_of: dict[int, int] = defaultdict(int)  # product id -> how many of its packs
    for line in lines:
        view.lines.append(CartLineView(variant=line.variant, product=line.variant.product,
                                       quantity=line.quantity))
        wanted[line.variant.product_id] += line.variant.quantity * line.quantity
        packs_of[line.variant.product_id] += 1
    # A box's parts draw on the same pools: 1 kg of a sweet and a box with 250 g of it
    # need 1.25 kg, and both lines say so when there is less.
    for box in boxes:
        for part in box.parts:
            wanted[part.product_id] += part.quantity * box.quantity
            packs_of[part.product_id] += 1
    view.boxes = box_service.price_cart_boxes(boxes, wanted)
    if made_to_order is None:
        made_to_order = set()
        if any(wanted[ln.product.id] > ln.product.stock for ln in view.lines):
            from .slots import made_to_order_ids
            made_to_order = made_to_order_ids()
    for line in view.lines:
        product, variant = line.product, line.variant
        if not product.active or not variant.active:
            line.problem = _("This pack is no longer on sale. Please remove it.")
        elif wanted[product.id] > product.stock and product.id not in made_to_order:
            if product.stock < min(v.quantity for v in product.active_variants):
                line.problem = _('%(name)s is sold out. Please remove it.', name=product.name)
            else:
                line.problem = stock_left(product, variant, shared=packs_of[product.id] > 1)
    view.subtotal_paise = (sum(ln.line_total_paise for ln in view.lines)
                           + sum(b.line_total_paise for b in view.boxes))
    settings = get_settings()
    if not view.is_empty:
        view.delivery_fee_paise = settings.delivery_fee_for(view.subtotal_paise)
        if not settings.is_open:
            view.problems.append(_("The shop is closed for orders right now. Please come back soon."))
        if settings.min_order_paise and view.subtotal_paise < settings.min_order_paise:
            view.problems.append(
                _('The smallest order we can deliver is %(min_order_paise)s.', min_order_paise=format_rupees(settings.min_order_paise))
            )
        # One order's money must fit its columns and be a sale the shop can deliver.
        order_max = current_app.config["ORDER_MAX_PAISE"]
        if view.total_paise > order_max:
            view.problems.append(
                _('We take orders of up to %(order_max)s online. Please reduce your cart, or call us for a larger order.', order_max=format_rupees(order_max)))
    return view
