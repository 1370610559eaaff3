"""Reorder: the same packs into the cart, as far as stock allows, saying what was left out."""
from sqlalchemy import select

from sweetshop.extensions import db
from sweetshop.models import Cart, CartLine, Product
from sweetshop.services import cart as cart_service
from sweetshop.services.order_lookup import reorder
from sweetshop.services.stock import record_movement
from tests.factories import make_order, make_product, variant_named
from tests.lookup.conftest import OTHER_PHONE, PHONE


def _set_stock(product_id, grams):
    product = db.session.get(Product, product_id)
    record_movement(product, grams - product.stock, "count correction", actor="test")
    db.session.commit()


def _cart(token):
    lines = db.session.scalars(select(CartLine).join(Cart).where(Cart.token == token)
                               .order_by(CartLine.id)).all()
    return [(line.variant.product.name, line.variant.name, line.quantity) for line in lines]


def test_reorder_puts_the_same_packs_in_a_new_cart(ctx, customer_order):
    result = reorder(None, customer_order["number"], PHONE)
    assert result.added == ["2 × Kaju Katli, 500 g", "1 × Motichoor Laddoo, 1 kg"]
    assert result.missing == []
    assert _cart(result.cart_token) == [("Kaju Katli", "500 g", 2),
                                        ("Motichoor Laddoo", "1 kg", 1)]


def test_reorder_adds_what_stock_allows_and_says_what_it_could_not(ctx, customer_order):
    _set_stock(customer_order["kaju"], 700)     # room for one 500 g pack, not two
    _set_stock(customer_order["laddoo"], 400)   # not even one 1 kg box
    result = reorder(None, customer_order["number"], PHONE)
    assert result.added == ["1 × Kaju Katli, 500 g"]
    assert result.missing == ["Kaju Katli, 500 g: only 1 of 2 packs added (only 700 g left)",
                              "Motichoor Laddoo, 1 kg: sold out just now"]
    assert _cart(result.cart_token) == [("Kaju Katli", "500 g", 1)]


def test_reorder_counts_what_the_cart_already_holds_of_that_sweet(ctx, customer_order):
    _set_stock(customer_order["kaju"], 1000)
    kaju = db.session.get(Product, customer_order["kaju"])
    token, _ = cart_service.add_to_cart(None, variant_named(kaju, "250 g").id, 2)  # 500 g
    result = reorder(token, customer_order["number"], PHONE)
    assert result.cart_token == token
    assert "1 × Kaju Katli, 500 g" in result.added
    assert "Kaju Katli, 500 g: only 1 of 2 packs added (only 500 g left)" in result.missing


def test_a_pack_no_longer_on_sale_is_named(ctx, customer_order):
    kaju = db.session.get(Product, customer_order["kaju"])
    variant_named(kaju, "500 g").active = False
    db.session.commit()
    result = reorder(None, customer_order["number"], PHONE)
    assert result.missing == ["Kaju Katli, 500 g: no longer on sale"]
    assert result.added == ["1 × Motichoor Laddoo, 1 kg"]


def test_another_phones_order_cannot_be_reordered(ctx, customer_order):
    import pytest

    from sweetshop.services.errors import NotFound
    with pytest.raises(NotFound):
        reorder(None, customer_order["number"], OTHER_PHONE)


def test_the_reorder_button_fills_the_cart_and_says_what_was_left_out(
        customer, customer_order, in_db):
    in_db(lambda: _set_stock(customer_order["laddoo"], 0))
    customer.sign_in()
    response = customer.post(f"/my-orders/{customer_order['number']}/reorder")
    assert response.status_code == 303 and response.headers["Location"] == "/cart"
    html = customer.client.get("/cart").get_data(as_text=True)
    assert "Added to your cart at today&#39;s prices: 2 × Kaju Katli, 500 g." in html
    assert "Could not add everything: Motichoor Laddoo, 1 kg: sold out just now." in html
    assert 'class="qty-value" aria-label="Quantity">2<' in html


def test_when_nothing_can_be_added_the_customer_stays_on_my_orders(
        customer, customer_order, in_db):
    in_db(lambda: (_set_stock(customer_order["laddoo"], 0), _set_stock(customer_order["kaju"], 0)))
    customer.sign_in()
    response = customer.post(f"/my-orders/{customer_order['number']}/reorder")
    assert response.headers["Location"] == f"/my-orders#order-{customer_order['number']}"
    html = customer.client.get("/my-orders").get_data(as_text=True)
    assert "Kaju Katli, 500 g: sold out just now" in html


def test_reorder_needs_a_verified_phone(customer, customer_order):
    response = customer.post(f"/my-orders/{customer_order['number']}/reorder")
    assert response.status_code == 303 and response.headers["Location"] == "/my-orders"
    assert "confirm your number again" in customer.client.get("/my-orders").get_data(True)


def test_a_verified_customer_cannot_reorder_someone_elses_order(customer, customer_order, in_db):
    other = in_db(lambda: make_order((make_product("Barfi"), "250 g", 1),
                                     phone=OTHER_PHONE).number)
    customer.sign_in()
    assert customer.post(f"/my-orders/{other}/reorder").status_code == 404
