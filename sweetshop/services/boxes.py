"""Assorted boxes: building a box, pricing it, putting it in the cart, and ordering it.

A box has no stock of its own: every portion is drawn from its sweet's own pool
(Product.stock). Everything a browser sends about a box (which sweets, how much of each)
is checked here against the box type; the price is always computed from the catalogue.
Checkout (services/checkout.py) takes a box's parts with the plain lines, under the same
product locks, in id order.
"""
from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..formatting import format_quantity
from ..i18n import gettext as _
from ..i18n import ngettext
from ..models import (
    BoxPricing,
    BoxType,
    Cart,
    CartBox,
    CartBoxPart,
    OrderItem,
    OrderItemPart,
    Product,
    Unit,
)
from .errors import InvalidInput, NotFound, OutOfStock

PART_FIELD = re.compile(r"^part-([1-9][0-9]{0,9})$")
AMOUNT_SHAPE = re.compile(r"^-?[0-9]{1,7}$")
MAX_GIFT_MESSAGE = 200


# --- rates and prices ----------------------------------------------------------------------

def unit_rate(product: Product) -> Fraction | None:
    """The sweet's own price per gram (or piece), in paise: its per-kg price, read from its
    1 kg pack (a single-piece pack for sweets by the piece), else its largest pack on sale.
    None when it has no pack on sale (then it cannot go in a box)."""
    packs = product.active_variants
    if not packs:
        return None
    base = 1 if Unit(product.unit) is Unit.PIECE else 1000
    pack = next((v for v in packs if v.quantity == base), None) or max(
        packs, key=lambda v: (v.quantity, -v.price_paise))
    return Fraction(pack.price_paise, pack.quantity)


def per_kg_paise(product: Product) -> int | None:
    """The rate shown beside a sweet in the box builder: per kg, or per piece."""
    rate = unit_rate(product)
    if rate is None:
        return None
    return math.ceil(rate * (1 if Unit(product.unit) is Unit.PIECE else 1000))


def box_price(box_type: BoxType, parts: dict[int, int], products: dict[int, Product]) -> int:
    """One box's price in paise: the fixed price, or each portion at its sweet's own rate
    summed and rounded up to the rupee; plus the box charge."""
    if box_type.pricing is BoxPricing.FIXED:
        contents = box_type.fixed_price_paise or 0
    else:
        total = sum((unit_rate(products[pid]) or 0) * qty for pid, qty in parts.items())
        contents = math.ceil(Fraction(total) / 100) * 100
    return contents + box_type.box_charge_paise


def portion_label(box_type: BoxType, quantity: int) -> str:
    """'2 × 250 g' in a box of compartments, '500 g' in one of free portions."""
    if box_type.division.value == "compartments" and quantity:
        return _("%(count)d × %(size)s", count=quantity // box_type.step,
                 size=format_quantity(box_type.step, box_type.unit))
    return format_quantity(quantity, box_type.unit)


def fill_label(box_type: BoxType, filled: int) -> str:
    """'Filled 750 of 1000 g' (grams kept as grams, so the two numbers compare at a glance)."""
    if Unit(box_type.unit) is Unit.PIECE:
        return ngettext("Filled %(filled)d of %(num)d piece", "Filled %(filled)d of %(num)d pieces",
                        box_type.size, filled=filled)
    return _("Filled %(filled)d of %(size)d g", filled=filled, size=box_type.size)


def size_label(box_type: BoxType) -> str:
    return format_quantity(box_type.size, box_type.unit)


# --- reading what the customer chose -------------------------------------------------------

def parse_parts(form) -> dict[int, int]:
    """`part-<product id>` fields -> amounts (0 dropped). Shape only: values are checked
    against the box type by box_problems. Refuses anything that is not a whole number."""
    parts: dict[int, int] = {}
    for key in list(form.keys()):
        match = PART_FIELD.match(str(key))
        if not match:
            continue
        raw = str(form.get(key) or "0").strip() or "0"
        if not AMOUNT_SHAPE.match(raw):
            raise InvalidInput(_("Please choose each portion from the list."), field="parts")
        amount = int(raw)
        if amount < 0:
            raise InvalidInput(_("A portion cannot be less than nothing."), field="parts")
        if amount:
            parts[int(match.group(1))] = amount
    return parts


def parse_gift_message(raw) -> str:
    text = " ".join(str(raw or "").split())
    if len(text) > MAX_GIFT_MESSAGE:
        raise InvalidInput(_("Please keep the gift message to %(n)d characters.",
                             n=MAX_GIFT_MESSAGE), field="gift_message")
    return text


def choosable(box_type: BoxType, product: Product) -> bool:
    """A sweet may be picked: allowed in this box, on sale, of the box's unit, priced."""
    return (product.active and Unit(product.unit) is Unit(box_type.unit)
            and unit_rate(product) is not None
            and any(p.id == product.id for p in box_type.sweets))


def box_problems(box_type: BoxType, parts: dict[int, int],
                 available: dict[int, int] | None = None) -> list[str]:
    """Why this box cannot be ordered as it is (empty list: it can). `available` is how much
    of each sweet is left for this box (stock less the rest of the cart); None skips stock."""
    problems: list[str] = []
    allowed = {p.id: p for p in box_type.sweets}
    for pid, qty in parts.items():
        product = allowed.get(pid)
        if product is None:
            problems.append(_("One of the sweets you chose cannot go in this box."))
            continue
        if not choosable(box_type, product):
            problems.append(_("%(name)s is not on sale just now. Please choose another sweet.",
                              name=product.name))
        elif qty <= 0 or qty % box_type.step:
            problems.append(_("%(name)s: please choose a portion from the list.",
                              name=product.name))
        elif available is not None and qty > available.get(pid, 0):
            problems.append(amount_left(product, max(available.get(pid, 0), 0)))
    filled = sum(parts.values())
    if filled > box_type.size:
        problems.append(_("That is more than the box holds: %(filled)s of %(size)s.",
                          filled=format_quantity(filled, box_type.unit), size=size_label(box_type)))
    elif filled < box_type.size:
        problems.append(_("The box is not full yet: %(filled)s of %(size)s.",
                          filled=format_quantity(filled, box_type.unit), size=size_label(box_type)))
    if len(parts) < box_type.min_sweets:
        problems.append(ngettext("Please choose at least %(num)d sweet.",
                                 "Please choose at least %(num)d different sweets.",
                                 box_type.min_sweets))
    elif len(parts) > box_type.max_sweets:
        problems.append(ngettext("This box takes at most %(num)d sweet.",
                                 "This box takes at most %(num)d different sweets.",
                                 box_type.max_sweets))
    return list(dict.fromkeys(problems))


def amount_left(product: Product, left: int) -> str:
    """'Only 200 g of Kaju Katli is left.', adding 'beside what your cart holds' when the
    cart already takes some of it."""
    amount = format_quantity(left, product.unit)
    if left < product.stock:
        return _("Only %(amount)s of %(name)s is left beside what your cart already holds.",
                 amount=amount, name=product.name)
    return _("Only %(amount)s of %(name)s is left.", amount=amount, name=product.name)


# --- the box builder ----------------------------------------------------------------------

@dataclass
class BuilderRow:
    product: Product
    quantity: int
    available: int       # left for this box, after the rest of the cart
    options: list[tuple[int, str, bool]]  # (amount, label, enabled)

    @property
    def sold_out(self) -> bool:
        return self.available < 0 or len([o for o in self.options if o[2]]) <= 1


@dataclass
class BoxBuilder:
    box_type: BoxType
    rows: list[BuilderRow]
    parts: dict[int, int]
    price_paise: int | None
    problems: list[str]
    gift_message: str = ""

    @property
    def filled(self) -> int:
        return sum(self.parts.values())

    @property
    def can_add(self) -> bool:
        return not self.problems


def get_box_type(slug_or_id, *, include_hidden: bool = False) -> BoxType:
    stmt = select(BoxType).options(
        selectinload(BoxType.sweets).selectinload(Product.variants), selectinload(BoxType.mixes))
    if isinstance(slug_or_id, int):
        stmt = stmt.where(BoxType.id == slug_or_id)
    else:
        stmt = stmt.where(BoxType.slug == str(slug_or_id)[:140])
    if not include_hidden:
        stmt = stmt.where(BoxType.active.is_(True))
    box_type = db.session.scalars(stmt).first()
    if box_type is None:
        raise NotFound(_("We could not find that box. It may no longer be on sale."))
    return box_type


def cart_draws(token: str | None, *, except_box: int | None = None) -> dict[int, int]:
    """Product id -> how much of it the cart already wants (packs and boxes)."""
    from .cart import is_usable_token

    wanted: dict[int, int] = defaultdict(int)
    if not is_usable_token(token):
        return wanted
    cart = db.session.scalars(select(Cart).where(Cart.token == token).options(
        selectinload(Cart.lines), selectinload(Cart.boxes))).first()
    if cart is None:
        return wanted
    for line in cart.lines:
        wanted[line.variant.product_id] += line.variant.quantity * line.quantity
    for box in cart.boxes:
        if box.id != except_box:
            for part in box.parts:
                wanted[part.product_id] += part.quantity * box.quantity
    return wanted


def build_box(box_type: BoxType, parts: dict[int, int], cart_token: str | None = None,
              gift_message: str = "") -> BoxBuilder:
    """The builder page's state: each allowed sweet with the portions it can take (counting
    what the cart already holds of it), how full the box is, its price once it is full, and
    what stops it from going in the cart."""
    in_cart = cart_draws(cart_token)
    rows: list[BuilderRow] = []
    products: dict[int, Product] = {}
    for product in box_type.sweets:
        if not choosable(box_type, product):
            continue  # hidden, another unit or unpriced: simply not offered
        products[product.id] = product
        available = product.stock - in_cart.get(product.id, 0)
        options = [(0, _("None"), True)]
        for amount in range(box_type.step, box_type.size + 1, box_type.step):
            options.append((amount, portion_label(box_type, amount), amount <= available))
        rows.append(BuilderRow(product, parts.get(product.id, 0), available, options))
    available = {pid: p.stock - in_cart.get(pid, 0) for pid, p in products.items()}
    problems = box_problems(box_type, parts, available)
    full = sum(parts.values()) == box_type.size and all(pid in products for pid in parts)
    price = box_price(box_type, parts, products) if full else None
    return BoxBuilder(box_type, rows, parts, price, problems, gift_message)


def can_be_filled(box_type: BoxType) -> bool:
    """Whether any box of this type can be filled from today's stock (for "Sold out")."""
    lots = sorted(((p.stock // box_type.step) * box_type.step for p in box_type.sweets
                   if choosable(box_type, p) and p.stock >= box_type.step), reverse=True)
    if len(lots) < box_type.min_sweets:
        return False
    return sum(min(lot, box_type.size) for lot in lots[:box_type.max_sweets]) >= box_type.size


def list_storefront_boxes() -> list[BoxType]:
    """Box types on sale, with what the cards need, in two queries."""
    return list(db.session.scalars(
        select(BoxType).where(BoxType.active.is_(True))
        .options(selectinload(BoxType.sweets).selectinload(Product.variants))
        .order_by(BoxType.position, BoxType.name)))


def mix_parts(box_type: BoxType, mix_id) -> dict[int, int] | None:
    try:
        wanted = int(str(mix_id))
    except (TypeError, ValueError):
        return None
    mix = next((m for m in box_type.mixes if m.id == wanted), None)
    return {part.product_id: part.quantity for part in mix.parts} if mix else None


def mix_price(box_type: BoxType, mix) -> int | None:
    parts = {part.product_id: part.quantity for part in mix.parts}
    products = {p.id: p for p in box_type.sweets}
    if box_problems(box_type, parts):
        return None
    return box_price(box_type, parts, products)


# --- the box in the cart ------------------------------------------------------------------

@dataclass
class CartBoxView:
    cart_box: CartBox
    box_type: BoxType
    quantity: int
    parts: list[tuple[Product, int]]
    unit_price_paise: int
    problem: str | None = None
    short: bool = False
    draws: dict[int, int] = field(default_factory=dict)

    @property
    def line_total_paise(self) -> int:
        return self.unit_price_paise * self.quantity

    @property
    def gift_message(self) -> str:
        return self.cart_box.gift_message


def product_ids(cart_boxes) -> set[int]:
    return {part.product_id for box in cart_boxes for part in box.parts}


def price_cart_boxes(cart_boxes, wanted: dict[int, int]) -> list[CartBoxView]:
    """Price every box in the cart from the catalogue and check it again: the box type on
    sale, every part still choosable, and stock for everything the cart wants of each sweet
    (`wanted`, which must already count these boxes)."""
    views: list[CartBoxView] = []
    for box in cart_boxes:
        box_type = box.box_type
        parts = {part.product_id: part.quantity for part in box.parts}
        products = {part.product_id: part.product for part in box.parts}
        draws = {pid: qty * box.quantity for pid, qty in parts.items()}
        view = CartBoxView(box, box_type, box.quantity,
                           [(part.product, part.quantity) for part in box.parts],
                           box_price(box_type, parts, products)
                           if all(unit_rate(p) is not None for p in products.values()) else 0,
                           draws=draws)
        short = [products[pid] for pid in parts if wanted[pid] > products[pid].stock]
        if not box_type.active:
            view.problem = _("This box is no longer on sale. Please remove it.")
        elif problems := box_problems(box_type, parts):
            view.problem = _("This box cannot be ordered as it is: %(why)s Please remove it.",
                             why=problems[0])
        elif short:
            view.short = True
            view.problem = " ".join(
                _("Only %(amount)s of %(name)s is left for everything in your cart.",
                  amount=format_quantity(p.stock, p.unit), name=p.name) for p in short
            ) + " " + _("Please take fewer, or remove something.")
        views.append(view)
    return views


def add_box_to_cart(token: str | None, box_type_id, form, gift_message="",
                    quantity: int = 1) -> tuple[str, BoxType]:
    """Put one filled box in the cart (creating the cart if needed); returns the cart token
    and the box type. Checks everything on the server: the box type on sale, each sweet
    allowed and on sale, portions in the box's steps, full and not overfilled, the number
    of different sweets, and stock for this box together with everything else the cart
    holds of the same sweets. A box exactly like one in the cart adds to its quantity.
    Commits; on any refusal raises InvalidInput, NotFound or OutOfStock, writing nothing."""
    from .cart import _load_cart, _max_line_quantity, new_token

    try:
        box_type_id = int(str(box_type_id).strip())
    except (TypeError, ValueError):
        raise NotFound(_("We could not find that box.")) from None
    if not 0 < box_type_id < 2**31:
        raise NotFound(_("We could not find that box."))
    box_type = get_box_type(box_type_id)
    # A posted form (part-<id> fields), or parts already as {product id: amount}.
    parts = (parse_parts(form) if any(isinstance(k, str) for k in form.keys())
             else {int(k): int(v) for k, v in form.items()})
    gift_message = parse_gift_message(gift_message)
    problems = box_problems(box_type, parts)
    if problems:
        db.session.rollback()
        raise InvalidInput(" ".join(problems), field="parts")
    cart = _load_cart(token, lock=True)
    in_cart = cart_draws(cart.token) if cart is not None else {}
    available = {p.id: p.stock - in_cart.get(p.id, 0) for p in box_type.sweets}
    short = [p for p in box_type.sweets
             if p.id in parts and parts[p.id] * quantity > available[p.id]]
    if short:
        db.session.rollback()
        raise OutOfStock(" ".join(box_problems(box_type, parts, available)) or _(
            "Sorry, some of these sweets are sold out just now."), field="parts")
    if cart is None:
        cart = Cart(token=new_token())
        db.session.add(cart)
        db.session.flush()
    same = next((b for b in cart.boxes if b.box_type_id == box_type.id
                 and b.gift_message == gift_message
                 and {p.product_id: p.quantity for p in b.parts} == parts), None)
    if same is not None:
        same.quantity = min(same.quantity + quantity, _max_line_quantity())
    else:
        cart.boxes.append(CartBox(
            box_type=box_type, quantity=quantity, gift_message=gift_message,
            parts=[CartBoxPart(product_id=pid, quantity=qty) for pid, qty in sorted(parts.items())]))
    cart.updated_at = db.func.now()
    token = cart.token
    db.session.commit()
    return token, box_type


def set_box_quantity(token: str | None, cart_box_id, quantity) -> None:
    """Set how many of a box the cart holds; 0 removes it. Idempotent."""
    from .cart import _load_cart, _parse_id, _parse_quantity

    cart_box_id = _parse_id(cart_box_id)
    quantity = _parse_quantity(quantity, allow_zero=True)
    cart = _load_cart(token, lock=True)
    box = next((b for b in cart.boxes if b.id == cart_box_id), None) if cart else None
    if box is None:
        db.session.rollback()
        if quantity == 0:
            return
        raise NotFound(_("That box is no longer in your cart."), field="box_id")
    if quantity == 0:
        db.session.delete(box)
    else:
        box.quantity = quantity
    cart.updated_at = db.func.now()
    db.session.commit()


# --- the box in the order -------------------------------------------------------------------

def order_item_for(view: CartBoxView) -> OrderItem:
    """The order's snapshot of a box: its name and size, the price, every part's sweet and
    amount in one box, and the gift message."""
    box_type = view.box_type
    return OrderItem(
        product_id=None, variant_id=None, box_type_id=box_type.id,
        product_name=box_type.name[:120], pack_name=size_label(box_type)[:60],
        unit=box_type.unit, pack_quantity=box_type.size, quantity=view.quantity,
        unit_price_paise=view.unit_price_paise, line_total_paise=view.line_total_paise,
        gift_message=view.gift_message,
        parts=[OrderItemPart(product_id=product.id, product_name=product.name,
                             unit=product.unit, quantity=qty) for product, qty in view.parts],
    )


def order_draws(order) -> dict[int, int]:
    """Product id -> how much of its stock the order took (plain lines and box parts)."""
    draws: dict[int, int] = defaultdict(int)
    for item in order.items:
        for pid, qty in item.stock_draws().items():
            draws[pid] += qty
    return dict(draws)


def max_boxes() -> int:
    return current_app.config["MAX_LINE_QUANTITY"]
