"""Placing an order: snapshot, totals, status history, stock ledger, idempotency and refusals."""
from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import select
from sqlalchemy import text as sa_text

from sweetshop.extensions import db
from sweetshop.models import (
    CartLine,
    Order,
    OrderStatus,
    OrderStatusChange,
    PaymentMethod,
    PaymentStatus,
    Product,
    StockMovement,
    Unit,
)
from sweetshop.services import cart as cart_service
from sweetshop.services.checkout import (
    BASKET_SALT,
    basket_digest,
    new_idempotency_key,
    place_order,
)
from sweetshop.services.errors import (
    CartNeedsAttention,
    EmptyCart,
    InvalidInput,
    OutOfStock,
    PricesChanged,
    ShopClosed,
)
from tests.factories import make_product, variant_named

pytestmark = pytest.mark.usefixtures("ctx")


def stock_of(product_id: int) -> int:
    db.session.expire_all()
    return db.session.get(Product, product_id).stock


def sale_movements() -> list[StockMovement]:
    return list(db.session.scalars(
        select(StockMovement).where(StockMovement.reason == "sale").order_by(StockMovement.id)))


def assert_nothing_written(product_stock: dict[int, int], lines: int):
    """No order, no history, no sale in the ledger, stock and cart as they were."""
    db.session.rollback()
    assert db.session.query(Order).count() == 0
    assert db.session.query(OrderStatusChange).count() == 0
    assert sale_movements() == []
    for product_id, stock in product_stock.items():
        assert stock_of(product_id) == stock
    assert db.session.query(CartLine).count() == lines


@pytest.fixture
def kaju_and_jamun_cart():
    """A cart with 2 × 500 g Kaju Katli, 1 × 250 g Kaju Katli and 1 tin of Gulab Jamun."""
    kaju = make_product("Kaju Katli", stock=4000)
    jamun = make_product("Gulab Jamun", unit=Unit.PIECE, stock=120,
                         packs=(("Single piece", 1, 2500), ("Tin of 12", 12, 28000)))
    token, _ = cart_service.add_to_cart(None, variant_named(kaju, "500 g").id, 2)
    cart_service.add_to_cart(token, variant_named(kaju, "250 g").id, 1)
    cart_service.add_to_cart(token, variant_named(jamun, "Tin of 12").id, 1)
    return token, kaju.id, jamun.id


# --- the happy path -------------------------------------------------------------------------

def test_placing_a_cod_order_records_a_placed_unpaid_order(kaju_and_jamun_cart, customer,
                                                            shop_settings):
    shop_settings(delivery_fee_paise=4000, free_delivery_above_paise=0)
    token, kaju_id, jamun_id = kaju_and_jamun_cart
    key = new_idempotency_key()

    order = place_order(token, customer, key)

    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert order.number >= 1001
    assert len(order.public_token) >= 32
    assert order.idempotency_key == key
    assert order.status is OrderStatus.PLACED
    assert order.payment_status is PaymentStatus.UNPAID
    assert order.payment_method is PaymentMethod.COD
    assert (order.customer_name, order.phone, order.address, order.pincode, order.note) == (
        "Asha Rao", "+919876543210", "12 MG Road, Indiranagar, Bengaluru", "560038",
        "Please ring twice")
    # 2 × ₹580 + 1 × ₹300 + 1 × ₹280 = ₹1,740, plus ₹40 delivery
    assert order.subtotal_paise == 174000
    assert order.delivery_fee_paise == 4000
    assert order.total_paise == 178000


def test_an_order_keeps_a_snapshot_of_what_was_bought(kaju_and_jamun_cart, customer):
    token, kaju_id, jamun_id = kaju_and_jamun_cart

    order = place_order(token, customer, new_idempotency_key())

    snapshot = [(i.product_id, i.product_name, i.pack_name, i.unit, i.pack_quantity, i.quantity,
                 i.unit_price_paise, i.line_total_paise) for i in order.items]
    assert snapshot == [
        (kaju_id, "Kaju Katli", "500 g", Unit.GRAM, 500, 2, 58000, 116000),
        (kaju_id, "Kaju Katli", "250 g", Unit.GRAM, 250, 1, 30000, 30000),
        (jamun_id, "Gulab Jamun", "Tin of 12", Unit.PIECE, 12, 1, 28000, 28000),
    ]
    # Later catalogue edits do not change the order.
    kaju = db.session.get(Product, kaju_id)
    kaju.name = "Kaju Katli (Special)"
    variant_named(kaju, "500 g").price_paise = 99900
    db.session.commit()
    db.session.expire_all()
    item = db.session.get(Order, order.id).items[0]
    assert (item.product_name, item.unit_price_paise) == ("Kaju Katli", 58000)


def test_delivery_is_free_above_the_threshold(kaju_and_jamun_cart, customer, shop_settings):
    shop_settings(delivery_fee_paise=4000, free_delivery_above_paise=150000)
    token, _, _ = kaju_and_jamun_cart

    order = place_order(token, customer, new_idempotency_key())

    assert (order.subtotal_paise, order.delivery_fee_paise, order.total_paise) == (
        174000, 0, 174000)


def test_placing_an_order_writes_the_first_status_history_row(kaju_and_jamun_cart, customer):
    token, _, _ = kaju_and_jamun_cart

    order = place_order(token, customer, new_idempotency_key())

    (change,) = db.session.scalars(select(OrderStatusChange)).all()
    assert change.order_id == order.id
    assert change.from_status is None
    assert change.to_status is OrderStatus.PLACED
    assert change.actor == "customer"
    assert change.created_at.tzinfo is not None


def test_placing_an_order_takes_stock_with_one_ledger_row_per_sweet(kaju_and_jamun_cart,
                                                                    customer):
    token, kaju_id, jamun_id = kaju_and_jamun_cart

    order = place_order(token, customer, new_idempotency_key())

    assert stock_of(kaju_id) == 4000 - 1250
    assert stock_of(jamun_id) == 120 - 12
    sales = {m.product_id: m for m in sale_movements()}
    assert set(sales) == {kaju_id, jamun_id}
    assert (sales[kaju_id].change, sales[kaju_id].stock_after) == (-1250, 2750)
    assert (sales[jamun_id].change, sales[jamun_id].stock_after) == (-12, 108)
    assert all(m.order_id == order.id for m in sales.values())
    # The ledger explains the stock: opening + changes = stock now.
    for product_id in (kaju_id, jamun_id):
        total = sum(m.change for m in db.session.scalars(
            select(StockMovement).where(StockMovement.product_id == product_id)))
        assert total == stock_of(product_id)


def test_placing_an_order_empties_the_cart(kaju_and_jamun_cart, customer):
    token, _, _ = kaju_and_jamun_cart

    place_order(token, customer, new_idempotency_key())

    assert db.session.query(CartLine).count() == 0
    assert cart_service.view_cart(token).is_empty
    assert cart_service.cart_count(token) == 0


def test_the_same_key_twice_returns_the_same_order_and_takes_stock_once(kaju_and_jamun_cart,
                                                                        customer):
    token, kaju_id, _ = kaju_and_jamun_cart
    key = new_idempotency_key()

    first = place_order(token, customer, key)
    second = place_order(token, customer, key)

    assert second.id == first.id
    assert db.session.query(Order).count() == 1
    assert stock_of(kaju_id) == 4000 - 1250
    assert len([m for m in sale_movements() if m.product_id == kaju_id]) == 1


def test_the_same_key_after_refilling_the_cart_still_returns_the_first_order(
        kaju_and_jamun_cart, customer):
    token, kaju_id, _ = kaju_and_jamun_cart
    key = new_idempotency_key()
    first = place_order(token, customer, key)
    cart_service.add_to_cart(token, variant_named(db.session.get(Product, kaju_id), "1 kg").id)

    second = place_order(token, customer, key)

    assert second.id == first.id
    assert db.session.query(Order).count() == 1
    assert cart_service.cart_count(token) == 1  # the new line is still waiting


# --- refusals that write nothing ------------------------------------------------------------

def test_an_empty_cart_cannot_be_ordered(customer):
    make_product()
    with pytest.raises(EmptyCart):
        place_order(None, customer, new_idempotency_key())
    with pytest.raises(EmptyCart):
        place_order("no-such-cart", customer, new_idempotency_key())
    assert db.session.query(Order).count() == 0


def test_an_emptied_cart_cannot_be_ordered(customer):
    kaju = make_product()
    pack = variant_named(kaju, "250 g")
    token, _ = cart_service.add_to_cart(None, pack.id)
    cart_service.set_line_quantity(token, pack.id, 0)

    with pytest.raises(EmptyCart):
        place_order(token, customer, new_idempotency_key())


def test_stock_sold_meanwhile_refuses_the_order_and_writes_nothing(kaju_and_jamun_cart,
                                                                    customer):
    token, kaju_id, jamun_id = kaju_and_jamun_cart
    kaju = db.session.get(Product, kaju_id)
    kaju.stock = 1000  # the cart wants 1250 g
    db.session.commit()

    with pytest.raises(OutOfStock) as refused:
        place_order(token, customer, new_idempotency_key())

    assert "Kaju Katli" in refused.value.message
    assert_nothing_written({kaju_id: 1000, jamun_id: 120}, lines=3)


def test_each_sweet_short_of_stock_is_one_sentence_of_the_refusal(customer):
    kaju = make_product("Kaju Katli", stock=2000)
    laddoo = make_product("Besan Laddoo", stock=2000)
    token, _ = cart_service.add_to_cart(None, variant_named(kaju, "1 kg").id, 2)
    cart_service.add_to_cart(token, variant_named(laddoo, "1 kg").id, 2)
    kaju.stock, laddoo.stock = 1500, 1000
    db.session.commit()

    with pytest.raises(OutOfStock) as refused:
        place_order(token, customer, new_idempotency_key())

    assert refused.value.message == (
        "Some sweets sold out while you were shopping: "
        "Only 1.5 kg of Kaju Katli is left. Please reduce the quantity. "
        "Only 1 kg of Besan Laddoo is left. Please reduce the quantity.")


def test_one_pack_larger_than_the_stock_left_is_out_of_stock(customer):
    kaju = make_product("Kaju Katli", stock=2000)
    token, _ = cart_service.add_to_cart(None, variant_named(kaju, "1 kg").id, 1)
    kaju.stock = 500
    db.session.commit()

    with pytest.raises(OutOfStock):
        place_order(token, customer, new_idempotency_key())

    assert_nothing_written({kaju.id: 500}, lines=1)


def test_packs_that_only_together_exceed_the_stock_are_out_of_stock(customer):
    kaju = make_product("Kaju Katli", stock=1500)
    token, _ = cart_service.add_to_cart(None, variant_named(kaju, "500 g").id, 1)
    cart_service.add_to_cart(token, variant_named(kaju, "1 kg").id, 1)
    # Sold in the shop meanwhile (adding beyond the stock is refused at once since issue 13).
    db.session.get(Product, kaju.id).stock = 1000
    db.session.commit()

    with pytest.raises(OutOfStock):
        place_order(token, customer, new_idempotency_key())

    assert_nothing_written({kaju.id: 1000}, lines=2)


def test_a_sweet_taken_off_sale_needs_attention_and_writes_nothing(kaju_and_jamun_cart,
                                                                   customer):
    token, kaju_id, jamun_id = kaju_and_jamun_cart
    db.session.get(Product, kaju_id).active = False
    db.session.commit()

    with pytest.raises(CartNeedsAttention):
        place_order(token, customer, new_idempotency_key())

    assert_nothing_written({kaju_id: 4000, jamun_id: 120}, lines=3)


def test_a_closed_shop_takes_no_orders(kaju_and_jamun_cart, customer, shop_settings):
    shop_settings(is_open=False)
    token, kaju_id, jamun_id = kaju_and_jamun_cart

    with pytest.raises(ShopClosed):
        place_order(token, customer, new_idempotency_key())

    assert_nothing_written({kaju_id: 4000, jamun_id: 120}, lines=3)


def test_an_order_below_the_minimum_is_refused(kaju_and_jamun_cart, customer, shop_settings):
    shop_settings(min_order_paise=200000)
    token, kaju_id, jamun_id = kaju_and_jamun_cart

    with pytest.raises(CartNeedsAttention) as refused:
        place_order(token, customer, new_idempotency_key())

    assert "₹2,000" in refused.value.message
    assert_nothing_written({kaju_id: 4000, jamun_id: 120}, lines=3)


def test_an_order_at_the_minimum_is_accepted(kaju_and_jamun_cart, customer, shop_settings):
    shop_settings(min_order_paise=174000)
    token, _, _ = kaju_and_jamun_cart

    assert place_order(token, customer, new_idempotency_key()).subtotal_paise == 174000


def test_a_pincode_outside_the_delivery_area_is_refused(kaju_and_jamun_cart, customer,
                                                        shop_settings):
    shop_settings(serviceable_pincodes="560001, 560002\n560038")
    token, kaju_id, jamun_id = kaju_and_jamun_cart

    with pytest.raises(InvalidInput) as refused:
        place_order(token, dataclasses.replace(customer, pincode="110001"),
                    new_idempotency_key())

    assert refused.value.field == "pincode"
    assert "110001" in refused.value.message
    assert_nothing_written({kaju_id: 4000, jamun_id: 120}, lines=3)

    assert place_order(token, customer, new_idempotency_key()).pincode == "560038"


def test_cash_on_delivery_above_its_limit_is_refused(kaju_and_jamun_cart, customer,
                                                     shop_settings):
    shop_settings(cod_max_paise=150000, delivery_fee_paise=4000)
    token, kaju_id, jamun_id = kaju_and_jamun_cart

    with pytest.raises(InvalidInput) as refused:
        place_order(token, customer, new_idempotency_key())

    assert refused.value.field == "payment_method"
    assert "₹1,500" in refused.value.message
    assert_nothing_written({kaju_id: 4000, jamun_id: 120}, lines=3)


def test_the_cash_on_delivery_limit_counts_the_delivery_fee(kaju_and_jamun_cart, customer,
                                                            shop_settings):
    shop_settings(cod_max_paise=178000, delivery_fee_paise=4000)
    token, _, _ = kaju_and_jamun_cart

    assert place_order(token, customer, new_idempotency_key()).total_paise == 178000


@pytest.mark.parametrize("key", ["", None, "short", "x" * 65, "has spaces in it 123",
                                 "semi;colon;key;0123456789", "ключ-ключ-ключ-ключ"])
def test_a_malformed_idempotency_key_is_refused(kaju_and_jamun_cart, customer, key):
    token, kaju_id, jamun_id = kaju_and_jamun_cart

    with pytest.raises(InvalidInput):
        place_order(token, customer, key)

    assert_nothing_written({kaju_id: 4000, jamun_id: 120}, lines=3)


def test_a_second_tab_submitting_the_same_cart_finds_it_already_ordered(app, customer):
    """Tab B priced the cart (checkout page) before tab A's order emptied it: B sees it empty,
    not the stale lines it loaded earlier."""
    kaju = make_product("Kaju Katli", stock=5000)
    token, _ = cart_service.add_to_cart(None, variant_named(kaju, "500 g").id, 1)
    with app.app_context():  # tab B
        cart_service.view_cart(token)
        with app.app_context():  # tab A places the order meanwhile
            place_order(token, customer, new_idempotency_key())
            db.session.remove()
        with pytest.raises(EmptyCart):
            place_order(token, customer, new_idempotency_key())
        db.session.remove()

    assert db.session.query(Order).count() == 1
    assert stock_of(kaju.id) == 4500


# --- the largest order (issue 10, item 4) ---------------------------------------------------

LAKH_PACK = (("Gift hamper", 1000, 10_000_000),)  # ₹1,00,000


def test_an_order_at_the_order_limit_is_placed_and_one_rupee_more_is_refused(
        app, customer, shop_settings):
    """ORDER_MAX_PAISE counts the delivery fee: ₹2,00,000 in all is the most."""
    shop_settings(delivery_fee_paise=100, free_delivery_above_paise=0)
    hamper = make_product("Hamper", stock=10_000,
                          packs=(("Gift hamper", 1000, 10_000_000 - 50),))
    token, _ = cart_service.add_to_cart(None, variant_named(hamper, "Gift hamper").id, 2)
    assert cart_service.view_cart(token).total_paise == app.config["ORDER_MAX_PAISE"]

    assert place_order(token, customer, new_idempotency_key()).total_paise == 20_000_000

    token, _ = cart_service.add_to_cart(None, variant_named(hamper, "Gift hamper").id, 2)
    shop_settings(delivery_fee_paise=200)
    with pytest.raises(CartNeedsAttention) as refused:
        place_order(token, customer, new_idempotency_key())
    assert "up to ₹2,00,000" in refused.value.message
    assert db.session.query(Order).count() == 1


def test_twelve_lakh_packs_times_twenty_are_refused_with_a_message_not_a_database_error(
        app, customer):
    limit = app.config["MAX_LINE_QUANTITY"]
    token = None
    for n in range(12):
        hamper = make_product(f"Hamper {n}", stock=1000 * limit, packs=LAKH_PACK)
        token, _ = cart_service.add_to_cart(token, variant_named(hamper, "Gift hamper").id,
                                            limit)

    with pytest.raises(CartNeedsAttention) as refused:
        place_order(token, customer, new_idempotency_key())

    assert "up to ₹2,00,000" in refused.value.message
    db.session.rollback()
    assert db.session.query(Order).count() == 0 and sale_movements() == []


def test_money_columns_are_bigint():
    rows = db.session.execute(sa_text(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'public' AND column_name LIKE '%paise' "
        "AND table_name IN ('order', 'order_item', 'payment', 'payment_attempt', 'refund', "
        "'cash_entry')"
    )).all()
    # + order.advance_paise (issue 11), the order's COD fee / prepaid discount and cash
    # collected, and cash handed over (issue 14)
    assert len(rows) == 13
    assert {data_type for _, _, data_type in rows} == {"bigint"}, rows


# --- what the customer saw is what is ordered (issue 10, item 3) ------------------------------

def seen_at_checkout(token: str) -> str:
    """The signed basket the checkout page carries in its form."""
    return basket_digest(cart_service.view_cart(token))


def reprice(product_id: int, pack: str, price_paise: int) -> None:
    variant_named(db.session.get(Product, product_id), pack).price_paise = price_paise
    db.session.commit()


def test_the_basket_the_customer_saw_is_ordered(kaju_and_jamun_cart, customer):
    token, _, _ = kaju_and_jamun_cart

    order = place_order(token, customer, new_idempotency_key(),
                        seen_basket=seen_at_checkout(token))

    assert order.total_paise == 174000


def test_a_pack_repriced_after_checkout_was_shown_is_not_ordered(kaju_and_jamun_cart,
                                                                 customer):
    token, kaju_id, jamun_id = kaju_and_jamun_cart
    seen = seen_at_checkout(token)
    reprice(kaju_id, "500 g", 99900)

    with pytest.raises(PricesChanged) as refused:
        place_order(token, customer, new_idempotency_key(), seen_basket=seen)

    assert "Prices changed, please check" in refused.value.message
    assert refused.value.status_code == 422
    assert_nothing_written({kaju_id: 4000, jamun_id: 120}, lines=3)
    # Shown again, with a fresh basket, the next submit goes through at the new price.
    order = place_order(token, customer, new_idempotency_key(),
                        seen_basket=seen_at_checkout(token))
    assert order.subtotal_paise == 174000 + 2 * (99900 - 58000)


def test_a_changed_delivery_fee_is_a_changed_basket(kaju_and_jamun_cart, customer,
                                                    shop_settings):
    token, kaju_id, jamun_id = kaju_and_jamun_cart
    seen = seen_at_checkout(token)
    shop_settings(delivery_fee_paise=4000, free_delivery_above_paise=0)

    with pytest.raises(PricesChanged):
        place_order(token, customer, new_idempotency_key(), seen_basket=seen)

    assert_nothing_written({kaju_id: 4000, jamun_id: 120}, lines=3)


def test_a_pack_removed_in_another_tab_is_a_changed_basket(kaju_and_jamun_cart, customer):
    token, kaju_id, jamun_id = kaju_and_jamun_cart
    seen = seen_at_checkout(token)
    jamun_tin = variant_named(db.session.get(Product, jamun_id), "Tin of 12")
    cart_service.set_line_quantity(token, jamun_tin.id, 0)

    with pytest.raises(PricesChanged):
        place_order(token, customer, new_idempotency_key(), seen_basket=seen)

    assert_nothing_written({kaju_id: 4000, jamun_id: 120}, lines=2)


@pytest.mark.parametrize("seen", ["", "x", "null", "e30.forged-signature",
                                  "a" * 5000, "\u00e9\u0000"])
def test_a_missing_or_forged_basket_is_a_changed_basket(kaju_and_jamun_cart, customer, seen):
    token, kaju_id, jamun_id = kaju_and_jamun_cart

    with pytest.raises(PricesChanged):
        place_order(token, customer, new_idempotency_key(), seen_basket=seen)

    assert_nothing_written({kaju_id: 4000, jamun_id: 120}, lines=3)


def test_a_basket_signed_with_another_key_is_refused(app, kaju_and_jamun_cart, customer):
    from itsdangerous import URLSafeSerializer

    token, _, _ = kaju_and_jamun_cart
    genuine = seen_at_checkout(token)
    payload = URLSafeSerializer(app.config["SECRET_KEY"], salt=BASKET_SALT).loads(genuine)
    forged = URLSafeSerializer("another-key", salt=BASKET_SALT).dumps(payload)

    with pytest.raises(PricesChanged):
        place_order(token, customer, new_idempotency_key(), seen_basket=forged)


def test_a_double_submit_with_a_stale_basket_still_finds_the_first_order(kaju_and_jamun_cart,
                                                                         customer):
    token, kaju_id, _ = kaju_and_jamun_cart
    key, seen = new_idempotency_key(), seen_at_checkout(token)
    first = place_order(token, customer, key, seen_basket=seen)
    reprice(kaju_id, "500 g", 99900)

    assert place_order(token, customer, key, seen_basket=seen).id == first.id
    assert db.session.query(Order).count() == 1
