"""Customers racing for the last boxes.

These tests use REAL COMMITS AND SEVERAL DATABASE CONNECTIONS at once: every customer is a
thread with its own application context, session and connection, and all of them are
released together by a barrier. They rely on the per-test TRUNCATE (not a rolled-back
transaction) for a clean start, and on a dedicated app whose connection pool is large
enough that every thread holds its own connection while it races.
"""
from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import func, select, text

from sweetshop import create_app
from sweetshop.extensions import db
from sweetshop.models import CartLine, Order, OrderItem, Product, StockMovement, Unit
from sweetshop.services import cart as cart_service
from sweetshop.services.checkout import CustomerDetails, new_idempotency_key, place_order
from tests.factories import make_product, variant_named

CUSTOMERS = 20
CUSTOMER = CustomerDetails(name="Asha Rao", phone="+919876543210",
                           address="12 MG Road, Indiranagar, Bengaluru", pincode="560038")


@pytest.fixture(scope="module")
def racing_app(app):
    """The test app's settings, with a connection pool big enough for every customer."""
    keys = ("SWEETSHOP_ENV", "ENV_NAME", "TESTING", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI",
            "REDIS_URL", "SESSION_COOKIE_SECURE", "SERVER_NAME")
    config = {key: app.config[key] for key in keys if key in app.config}
    config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_size": CUSTOMERS + 5, "max_overflow": 0,
                                           "pool_timeout": 30}
    racing = create_app(config)
    yield racing
    with racing.app_context():
        db.engine.dispose()


def race(app, attempts: list[tuple[str, str]]) -> list[object]:
    """Place one order per (cart token, idempotency key), all threads starting together.

    Returns, in order, the order id each attempt got or the exception it raised.
    """
    barrier = threading.Barrier(len(attempts), timeout=30)
    results: list[object] = [None] * len(attempts)

    def customer(i: int, token: str, key: str):
        with app.app_context():
            try:
                db.session.execute(text("SELECT 1"))  # hold a connection before the start
                db.session.rollback()
                barrier.wait()
                results[i] = place_order(token, CUSTOMER, key).id
            except Exception as exc:  # recorded and asserted on by the test
                results[i] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=customer, args=(i, token, key))
               for i, (token, key) in enumerate(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a customer never finished"
    return results


def outcome(results: list[object]) -> Counter:
    return Counter("order" if isinstance(r, int) else type(r).__name__ for r in results)


def fill_carts(variant_id: int, count: int, packs: int = 1) -> list[str]:
    return [cart_service.add_to_cart(None, variant_id, packs)[0] for _ in range(count)]


def ledger_total(product_id: int) -> int:
    return db.session.scalar(
        select(func.coalesce(func.sum(StockMovement.change), 0))
        .where(StockMovement.product_id == product_id))


def test_twenty_customers_cannot_buy_more_than_the_last_five_pieces(racing_app):
    with racing_app.app_context():
        jamun = make_product("Gulab Jamun", unit=Unit.PIECE, stock=5,
                             packs=(("Single piece", 1, 2500),))
        product_id = jamun.id
        tokens = fill_carts(variant_named(jamun, "Single piece").id, CUSTOMERS)
        db.session.remove()

    results = race(racing_app, [(token, new_idempotency_key()) for token in tokens])

    assert outcome(results) == {"order": 5, "OutOfStock": CUSTOMERS - 5}, results
    with racing_app.app_context():
        assert db.session.get(Product, product_id).stock == 0
        assert db.session.query(Order).count() == 5
        assert db.session.scalar(select(func.sum(OrderItem.quantity))) == 5
        # opening stock (+5) and five sales (-1 each) explain the stock exactly
        assert ledger_total(product_id) == 0
        sales = db.session.scalars(
            select(StockMovement).where(StockMovement.reason == "sale")).all()
        assert sorted(m.order_id for m in sales) == sorted(r for r in results if isinstance(r, int))
        assert sorted(m.stock_after for m in sales) == [0, 1, 2, 3, 4]
        # the customers who missed out still have their cart
        assert db.session.query(CartLine).count() == CUSTOMERS - 5
        db.session.remove()


def test_half_kilo_boxes_racing_for_one_kilo_sell_exactly_two(racing_app):
    customers = 10
    with racing_app.app_context():
        kaju = make_product("Kaju Katli", stock=1000)
        product_id = kaju.id
        tokens = fill_carts(variant_named(kaju, "500 g").id, customers)
        db.session.remove()

    results = race(racing_app, [(token, new_idempotency_key()) for token in tokens])

    assert outcome(results) == {"order": 2, "OutOfStock": customers - 2}, results
    with racing_app.app_context():
        assert db.session.get(Product, product_id).stock == 0
        assert db.session.query(Order).count() == 2
        assert ledger_total(product_id) == 0
        db.session.remove()


def test_mixed_packs_of_one_sweet_never_oversell_the_shared_pool(racing_app):
    """Carts wanting 250 g, 500 g and 1 kg race for 1.5 kg: never more than 1.5 kg is sold."""
    with racing_app.app_context():
        kaju = make_product("Kaju Katli", stock=1500)
        product_id = kaju.id
        tokens = []
        for name in ("250 g", "500 g", "1 kg") * 4:
            tokens += fill_carts(variant_named(kaju, name).id, 1)
        db.session.remove()

    results = race(racing_app, [(token, new_idempotency_key()) for token in tokens])

    assert set(outcome(results)) <= {"order", "OutOfStock"}, results
    with racing_app.app_context():
        sold = db.session.scalar(
            select(func.coalesce(func.sum(OrderItem.pack_quantity * OrderItem.quantity), 0)))
        stock = db.session.get(Product, product_id).stock
        assert 0 < sold <= 1500
        assert stock == 1500 - sold >= 0
        assert ledger_total(product_id) == stock
        # nobody was refused while a pack they wanted was still there
        assert stock < 250 or outcome(results)["OutOfStock"] == 0
        db.session.remove()


def test_a_cart_submitted_twice_at_once_makes_one_order(racing_app):
    with racing_app.app_context():
        kaju = make_product("Kaju Katli", stock=5000)
        product_id = kaju.id
        (token,) = fill_carts(variant_named(kaju, "500 g").id, 1, packs=2)
        db.session.remove()
    key = new_idempotency_key()

    results = race(racing_app, [(token, key)] * 5)

    assert outcome(results) == {"order": 5}, results
    assert len(set(results)) == 1
    with racing_app.app_context():
        assert db.session.query(Order).count() == 1
        assert db.session.get(Product, product_id).stock == 4000
        assert db.session.query(StockMovement).filter_by(reason="sale").count() == 1
        db.session.remove()


def test_first_orders_of_a_brand_new_shop_do_not_collide(racing_app):
    """No settings row exists yet: the racing orders must not trip over creating it."""
    with racing_app.app_context():
        laddoo = make_product("Besan Laddoo", stock=5000)
        tokens = fill_carts(variant_named(laddoo, "250 g").id, 8)
        from sweetshop.models import ShopSettings
        db.session.query(ShopSettings).delete()
        db.session.commit()
        db.session.remove()

    results = race(racing_app, [(token, new_idempotency_key()) for token in tokens])

    assert outcome(results) == {"order": 8}, results
