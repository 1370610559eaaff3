"""Assorted boxes through cart and checkout: prices, parts, stock, the ledger, cancelling."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from sweetshop.extensions import db
from sweetshop.models import (
    CartBox,
    Order,
    OrderItem,
    OrderItemPart,
    OrderStatus,
    Product,
    StockMovement,
    utcnow,
)
from sweetshop.services import boxes as box_service
from sweetshop.services import cart as cart_service
from sweetshop.services.checkout import CustomerDetails, new_idempotency_key, place_order
from sweetshop.services.errors import InvalidInput, NotFound, OutOfStock
from sweetshop.services.orders import change_status
from tests.boxes.helpers import add_box, make_box_type, make_sweets
from tests.factories import variant_named

CUSTOMER = CustomerDetails(name="Asha Rao", phone="+919876543210",
                           address="12 MG Road, Indiranagar, Bengaluru", pincode="560038")


def stock_of(product_id: int) -> int:
    db.session.expire_all()
    return db.session.get(Product, product_id).stock


def ledger(order_id: int) -> list[tuple[int, int]]:
    return sorted(db.session.execute(
        select(StockMovement.product_id, StockMovement.change)
        .where(StockMovement.order_id == order_id)).tuples())


def test_a_one_kg_box_of_four_and_a_kaju_pack_take_exactly_their_grams(ctx):
    kaju, milk, moti, besan = make_sweets(stock=5000)
    box_type = make_box_type([kaju, milk, moti, besan], box_charge_paise=4000)
    token = add_box(None, box_type, {kaju: 250, milk: 250, moti: 250, besan: 250},
                    gift_message="Happy Diwali, Meera!")
    token, _ = cart_service.add_to_cart(token, variant_named(kaju, "500 g").id, 1)

    view = cart_service.view_cart(token)
    assert view.can_checkout and view.count == 2
    # 250 g each at ₹1,150, ₹800, ₹600, ₹520 a kg = ₹767.50, rounded up to ₹768, + ₹40 box
    assert view.boxes[0].unit_price_paise == 76800 + 4000
    assert view.subtotal_paise == 80800 + 58500

    order = place_order(token, CUSTOMER, new_idempotency_key())
    assert order.subtotal_paise == 80800 + 58500
    box = next(i for i in order.items if i.is_box)
    assert (box.product_name, box.pack_name, box.quantity) == ("Assorted gift box", "1 kg", 1)
    assert box.gift_message == "Happy Diwali, Meera!"
    assert sorted((p.product_name, p.quantity) for p in box.parts) == [
        ("Besan Laddoo", 250), ("Kaju Katli", 250), ("Milk Cake", 250),
        ("Motichoor Laddoo", 250)]
    assert stock_of(kaju.id) == 5000 - 750
    assert [stock_of(p.id) for p in (milk, moti, besan)] == [4750, 4750, 4750]
    # one ledger row per sweet for the order, Kaju Katli's covering the pack and its part
    assert ledger(order.id) == sorted([(kaju.id, -750), (milk.id, -250), (moti.id, -250),
                                       (besan.id, -250)])
    assert db.session.query(CartBox).count() == 0


def test_cancelling_returns_every_part_of_every_box(ctx):
    kaju, milk, moti, besan = make_sweets(stock=3000)
    box_type = make_box_type([kaju, milk, moti, besan])
    token = add_box(None, box_type, {kaju: 500, milk: 500}, quantity=2)
    order = place_order(token, CUSTOMER, new_idempotency_key())
    assert stock_of(kaju.id) == 2000 and stock_of(milk.id) == 2000

    change_status(order.id, OrderStatus.CANCELLED, actor="owner@example.com",
                  note="Customer called")
    assert stock_of(kaju.id) == 3000 and stock_of(milk.id) == 3000
    returned = db.session.scalars(select(StockMovement).where(
        StockMovement.order_id == order.id, StockMovement.reason == "order cancelled")).all()
    assert sorted((m.product_id, m.change) for m in returned) == [(kaju.id, 1000),
                                                                  (milk.id, 1000)]


def test_an_expired_online_order_returns_its_box_parts(ctx):
    from sweetshop.services.payments.expiry import _expire_one

    kaju, milk, moti, besan = make_sweets(stock=3000)
    box_type = make_box_type([kaju, milk, moti, besan])
    order = place_order(add_box(None, box_type, {moti: 750, besan: 250}), CUSTOMER,
                        new_idempotency_key())
    order.status = OrderStatus.AWAITING_PAYMENT  # as an unpaid online order would be
    db.session.commit()

    assert _expire_one(order.id, utcnow() + timedelta(days=1))
    assert stock_of(moti.id) == 3000 and stock_of(besan.id) == 3000


def test_a_box_counts_with_the_same_sweets_elsewhere_in_the_cart(ctx):
    kaju, milk, moti, besan = make_sweets(stock=1200)
    box_type = make_box_type([kaju, milk, moti, besan])
    token, _ = cart_service.add_to_cart(None, variant_named(kaju, "1 kg").id, 1)

    # 1 kg in the cart and 250 g in the box need 1.25 kg; there is 1.2 kg
    with pytest.raises(OutOfStock, match="Kaju Katli"):
        add_box(token, box_type, {kaju: 250, milk: 750})
    assert db.session.query(CartBox).count() == 0
    builder = box_service.build_box(box_type, {kaju.id: 250, milk.id: 750},
                                    token)
    assert not builder.can_add
    row = next(r for r in builder.rows if r.product.id == kaju.id)
    assert [amount for amount, _, enabled in row.options if enabled] == [0]

    # A box already in the cart and a pack added later: the cart shows the shortage
    token2 = add_box(None, box_type, {kaju: 1000})
    token2, _ = cart_service.add_to_cart(token2, variant_named(kaju, "250 g").id, 1)
    view = cart_service.view_cart(token2)
    assert not view.can_checkout
    assert "Kaju Katli" in view.boxes[0].problem and view.lines[0].problem
    with pytest.raises(OutOfStock):
        place_order(token2, CUSTOMER, new_idempotency_key())
    assert stock_of(kaju.id) == 1200


def test_quantity_buttons_work_on_whole_boxes(ctx):
    kaju, milk, moti, besan = make_sweets(stock=5000)
    box_type = make_box_type([kaju, milk, moti, besan])
    token = add_box(None, box_type, {kaju: 500, milk: 500})
    add_box(token, box_type, {kaju: 500, milk: 500})  # the same box again: one line, two
    view = cart_service.view_cart(token)
    assert [(b.quantity, b.line_total_paise) for b in view.boxes] == [(2, 2 * 97500)]
    assert cart_service.cart_count(token) == 2

    box_service.set_box_quantity(token, view.boxes[0].cart_box.id, 3)
    order = place_order(token, CUSTOMER, new_idempotency_key())
    assert stock_of(kaju.id) == 5000 - 1500 and stock_of(milk.id) == 5000 - 1500
    assert order.items[0].quantity == 3 and order.items[0].line_total_paise == 3 * 97500


def test_a_fixed_price_box_with_free_portions(ctx):
    kaju, milk, moti, besan = make_sweets(stock=5000)
    box_type = make_box_type([kaju, milk, moti, besan], name="Half kilo mix", size=500,
                             step=50, min_sweets=2, max_sweets=3, fixed_price_paise=49900,
                             box_charge_paise=1000)
    token = add_box(None, box_type, {kaju: 150, moti: 350})
    view = cart_service.view_cart(token)
    assert view.boxes[0].unit_price_paise == 49900 + 1000
    order = place_order(token, CUSTOMER, new_idempotency_key())
    assert order.total_paise == 50900
    assert stock_of(kaju.id) == 4850 and stock_of(moti.id) == 4650


@pytest.mark.parametrize("parts, message", [
    ({"kaju": 500, "milk": 750}, "more than the box holds"),                  # overfilled
    ({"kaju": 250, "milk": 250}, "not full yet"),                             # underfilled
    ({"kaju": 750, "jalebi": 250}, "cannot go in this box"),                  # not allowed
    ({"kaju": 750, "hidden": 250}, "not on sale"),                            # hidden sweet
    ({"kaju": 1250, "milk": -250}, "less than nothing"),                      # negative
    ({"kaju": 900, "milk": 100}, "portion from the list"),                    # off the steps
    ({"kaju": 250, "milk": 250, "moti": 250, "besan": 250}, "at most 3"),     # too many
    ({"kaju": 1000}, "at least 2"),                                           # too few
    ({"kaju": "lots", "milk": 500}, "from the list"),                         # not a number
])
def test_a_tampered_box_gets_a_clear_message_and_writes_nothing(ctx, parts, message):
    kaju, milk, moti, besan = make_sweets(stock=5000)
    from tests.factories import make_product

    jalebi = make_product("Jalebi", stock=5000)
    hidden = make_product("Old Barfi", stock=5000)
    box_type = make_box_type([kaju, milk, moti, besan, hidden], min_sweets=2, max_sweets=3)
    hidden.active = False
    db.session.commit()
    named = {"kaju": kaju, "milk": milk, "moti": moti, "besan": besan, "jalebi": jalebi,
             "hidden": hidden}
    form = {f"part-{named[k].id}": str(v) for k, v in parts.items()}

    class Form(dict):  # what request.form looks like to parse_parts
        pass

    with pytest.raises((InvalidInput, OutOfStock)) as error:
        box_service.add_box_to_cart(None, box_type.id, Form(form), "")
    assert message in error.value.message
    assert db.session.query(CartBox).count() == 0
    assert db.session.query(Order).count() == 0


def test_a_hidden_box_type_cannot_be_added_and_blocks_checkout(ctx):
    kaju, milk, moti, besan = make_sweets(stock=5000)
    box_type = make_box_type([kaju, milk, moti, besan])
    token = add_box(None, box_type, {kaju: 500, milk: 500})
    box_type.active = False
    db.session.commit()
    with pytest.raises(NotFound):
        add_box(token, box_type, {kaju: 500, milk: 500})
    view = cart_service.view_cart(token)
    assert not view.can_checkout and "no longer on sale" in view.boxes[0].problem
    with pytest.raises(Exception, match="no longer on sale"):
        place_order(token, CUSTOMER, new_idempotency_key())
    assert db.session.scalar(select(func.count()).select_from(OrderItem)) == 0
    assert db.session.scalar(select(func.count()).select_from(OrderItemPart)) == 0


def test_a_box_by_the_piece_takes_pieces_and_refuses_sweets_sold_by_weight(ctx):
    from sweetshop.models import Unit
    from tests.factories import make_product

    jamun = make_product("Gulab Jamun", unit=Unit.PIECE, stock=30,
                         packs=(("Single piece", 1, 2500), ("Tin of 12", 12, 28000)))
    rasgulla = make_product("Rasgulla", unit=Unit.PIECE, stock=30,
                            packs=(("Single piece", 1, 2000),))
    kaju = make_product("Kaju Katli", stock=5000)
    with pytest.raises(InvalidInput, match="Kaju Katli is not sold by the piece"):
        make_box_type([jamun, rasgulla, kaju], name="Syrup box", unit=Unit.PIECE, size=12,
                      compartments=None, step=2)
    box_type = make_box_type([jamun, rasgulla], name="Syrup box", unit=Unit.PIECE, size=12,
                             compartments=None, step=2, min_sweets=2, max_sweets=2)
    order = place_order(add_box(None, box_type, {jamun: 8, rasgulla: 4}), CUSTOMER,
                        new_idempotency_key())
    # a piece at its single-piece price: 8 × ₹25 + 4 × ₹20
    assert order.items[0].unit_price_paise == 28000
    assert stock_of(jamun.id) == 22 and stock_of(rasgulla.id) == 26
