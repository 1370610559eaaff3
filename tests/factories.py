"""Small builders for test data, committed so other connections see it."""
from __future__ import annotations

from sweetshop.extensions import db
from sweetshop.models import Category, Product, Unit, Variant
from sweetshop.services.stock import record_movement

_counter = {"n": 0}


def make_product(name: str | None = None, *, stock: int = 5000, unit: Unit = Unit.GRAM,
                 packs=(("250 g", 250, 30000), ("500 g", 500, 58000), ("1 kg", 1000, 115000)),
                 active: bool = True, category: Category | None = None) -> Product:
    _counter["n"] += 1
    n = _counter["n"]
    name = name or f"Sweet {n}"
    if category is None:
        category = Category(name=f"Category {n}", slug=f"category-{n}", position=n)
        db.session.add(category)
    slug = name.lower().replace(" ", "-") + f"-{n}"
    product = Product(name=name, slug=slug, category=category, unit=unit, stock=0,
                      active=active, description=f"About {name}.")
    db.session.add(product)
    for i, (pack, quantity, price) in enumerate(packs):
        product.variants.append(Variant(name=pack, quantity=quantity, price_paise=price,
                                        position=i, is_default=(i == 0)))
    db.session.flush()
    if stock:
        record_movement(product, stock, "opening stock", actor="test")
    db.session.commit()
    return product


def variant_named(product: Product, name: str) -> Variant:
    return next(v for v in product.variants if v.name == name)


def make_order(*lines: tuple[Product, str, int], name: str = "Asha Rao",
               phone: str = "+919876543210", created_at=None, pincode: str = "560038"):
    """Place a cash-on-delivery order through checkout: make_order((kaju, "500 g", 2)).

    `created_at` (aware datetime) back-dates it, for date filters and the dashboard.
    """
    from sweetshop.services import cart as cart_service
    from sweetshop.services.checkout import CustomerDetails, new_idempotency_key, place_order

    token = None
    for product, pack, quantity in lines:
        token, _ = cart_service.add_to_cart(token, variant_named(product, pack).id, quantity)
    order = place_order(token, CustomerDetails(
        name=name, phone=phone, address="12 MG Road, Indiranagar, Bengaluru",
        pincode=pincode), new_idempotency_key())
    if created_at is not None:
        order.created_at = created_at
        for change in order.history:
            change.created_at = created_at
        db.session.commit()
    return order


def deliver_order(order_id: int, actor="owner@mithaas.example", method: str = "cash"):
    """Mark an order delivered the way the shop does: with the customer's handover code
    (and, for a cash order, the cash taken)."""
    from sweetshop.models import Order
    from sweetshop.services.delivery import deliver

    db.session.expire_all()
    code = db.session.get(Order, order_id).handover_code
    return deliver(order_id, actor=actor, code=code, method=method)
