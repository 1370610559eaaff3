"""Unpaid online orders cannot hold all the stock: a few per phone, device and network at
once, and a short hold until the payment page is opened."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from sweetshop.extensions import db
from sweetshop.models import Order, OrderStatus, PaymentMethod, Product
from sweetshop.services import cart as cart_service
from sweetshop.services import checkout, payments
from sweetshop.services.errors import InvalidInput
from tests.factories import make_product, variant_named
from tests.payments.test_checkout_payment import checkout as checkout_view
from tests.views.conftest import Shopper

PHONE, OTHER_PHONE = "+919876543210", "+919812300000"


def details(phone=PHONE, network="203.0.113.7", method=PaymentMethod.ONLINE):
    return checkout.CustomerDetails(name="Asha Rao", phone=phone, address="12 MG Road",
                                    pincode="560038", payment_method=method,
                                    client_network=network)


def order_from(product, customer, token=None):
    """Put one 500 g pack in the cart `token` (a new cart if None) and check out."""
    token, _ = cart_service.add_to_cart(token, variant_named(product, "500 g").id, 1)
    return checkout.place_order(token, customer, checkout.new_idempotency_key()), token


def waiting_count():
    return db.session.scalar(select(func.count()).select_from(Order).where(
        Order.status == OrderStatus.AWAITING_PAYMENT))


def test_a_phone_holds_at_most_two_unpaid_online_orders(ctx, fake_razorpay):
    product = make_product(stock=5000)
    for network in ("203.0.113.1", "203.0.113.2"):  # other carts, other networks: same phone
        order_from(product, details(network=network))
    with pytest.raises(InvalidInput) as refused:
        order_from(product, details(network="203.0.113.3"))
    assert refused.value.field == "payment_method"
    assert refused.value.message == (
        "You already have 2 orders waiting for payment. Pay for one of them (or switch it to "
        "cash on delivery), or choose cash on delivery for this order.")
    assert db.session.get(Product, product.id).stock == 4000  # nothing more held
    assert waiting_count() == 2
    # Cash on delivery, or another phone, still orders.
    order_from(product, details(network="203.0.113.3", method=PaymentMethod.COD))
    order_from(product, details(phone=OTHER_PHONE, network="203.0.113.4"))


def test_a_device_holds_at_most_two_whatever_the_phone(ctx, fake_razorpay):
    product = make_product(stock=5000)
    _, token = order_from(product, details(phone="+919800000001", network="203.0.113.1"))
    order_from(product, details(phone="+919800000002", network="203.0.113.2"), token)
    with pytest.raises(InvalidInput, match="already have 2 orders waiting"):
        order_from(product, details(phone="+919800000003", network="203.0.113.3"), token)
    assert waiting_count() == 2


def test_a_network_holds_at_most_its_limit_and_an_ipv6_64_is_one_network(
        ctx, app, fake_razorpay, monkeypatch):
    monkeypatch.setitem(app.config, "PAYMENT_HOLDS_PER_NETWORK", 3)
    product = make_product(stock=5000)
    addresses = ["2001:db8:1:2::a", "2001:db8:1:2:ffff::1", "2001:db8:1:2:1:2:3:4"]
    for i, address in enumerate(addresses):
        order_from(product, details(phone=f"+91980000000{i}",
                                    network=payments.hold_network(address)))
    with pytest.raises(InvalidInput, match="Too many orders from your network"):
        order_from(product, details(phone="+919800000009",
                                    network=payments.hold_network("2001:db8:1:2::beef")))
    order_from(product, details(phone="+919800000009",  # the next /64 is someone else
                                network=payments.hold_network("2001:db8:1:3::1")))
    assert payments.hold_network("203.0.113.7") == "203.0.113.7"
    assert payments.hold_network("::ffff:203.0.113.7") == "203.0.113.7"
    assert payments.hold_network("2001:db8:1:2::a") == "2001:db8:1:2::/64"


def test_a_paid_or_expired_order_frees_its_place(ctx, fake_razorpay):
    product = make_product(stock=5000)
    first, _ = order_from(product, details(network="203.0.113.1"))
    order_from(product, details(network="203.0.113.2"))
    payments.expire_unpaid_orders(now=first.created_at + timedelta(minutes=6))  # both unopened
    assert waiting_count() == 0
    order_from(product, details(network="203.0.113.3"))


def test_two_carts_racing_for_the_last_place_of_one_phone_get_one_order(
        app, in_db, fake_razorpay, monkeypatch):
    """REAL COMMITS, two connections: both checkouts count under the phone's advisory lock."""
    monkeypatch.setitem(app.config, "PAYMENT_HOLDS_PER_PHONE", 1)

    def carts():
        product = make_product(stock=5000)
        return [cart_service.add_to_cart(None, variant_named(product, "500 g").id, 1)[0]
                for _ in range(2)]
    tokens = in_db(carts)
    barrier = threading.Barrier(2, timeout=30)
    results: list[object] = [None, None]

    def customer(i):
        with app.app_context():
            try:
                db.session.execute(text("SELECT 1"))
                db.session.rollback()
                barrier.wait()
                results[i] = checkout.place_order(
                    tokens[i], details(network=f"203.0.113.{i}"),
                    checkout.new_idempotency_key()).id
            except Exception as exc:
                results[i] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=customer, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(type(r).__name__ for r in results) == ["InvalidInput", "int"], results
    assert in_db(waiting_count) == 1


def test_an_order_whose_pay_page_was_never_opened_is_held_for_five_minutes(ctx, fake_razorpay):
    product = make_product(stock=5000)
    unopened, _ = order_from(product, details(network="203.0.113.1"))
    opened, _ = order_from(product, details(phone=OTHER_PHONE, network="203.0.113.2"))
    assert payments.note_pay_page_opened(opened.id, now=opened.created_at + timedelta(minutes=1))
    assert payments.expires_at(unopened) == unopened.created_at + timedelta(minutes=5)
    assert payments.expires_at(opened) == opened.created_at + timedelta(minutes=20)
    assert payments.expire_unpaid_orders(now=unopened.created_at + timedelta(minutes=4)) == 0
    assert payments.expire_unpaid_orders(now=unopened.created_at + timedelta(minutes=6)) == 1
    db.session.expire_all()
    assert db.session.get(Order, unopened.id).status is OrderStatus.EXPIRED
    assert db.session.get(Order, opened.id).status is OrderStatus.AWAITING_PAYMENT
    assert db.session.get(Product, product.id).stock == 4500  # the unopened one's back
    assert payments.expire_unpaid_orders(now=opened.created_at + timedelta(minutes=21)) == 1


def test_opening_the_pay_page_after_the_short_hold_does_not_extend_it(ctx, fake_razorpay):
    product = make_product(stock=5000)
    order, _ = order_from(product, details())
    late = order.created_at + timedelta(minutes=6)
    assert not payments.note_pay_page_opened(order.id, now=late)
    assert payments.expire_unpaid_orders(now=late) == 1


def test_the_customer_over_the_limit_is_told_next_to_the_payment_choice(
        app, client, in_db, fake_razorpay):
    shopper = Shopper(client)
    for _ in range(2):
        response, _ = checkout_view(shopper, in_db)
        assert response.status_code == 303
        client.get(response.headers["Location"])  # the pay page, opened
    response, product_id = checkout_view(shopper, in_db)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert ('<p class="field-error" id="payment_method-error">You already have 2 orders '
            "waiting for payment.") in html
    assert in_db(waiting_count) == 2
    assert in_db(lambda: db.session.get(Product, product_id).stock) == 5000  # nothing held
    orders = in_db(lambda: db.session.scalars(select(Order)).all())
    assert all(o.pay_page_opened_at is not None for o in orders)
    assert {o.hold_network for o in orders} == {"127.0.0.1"}


def test_a_pay_page_opened_after_the_short_hold_lapsed_says_five_minutes(
        app, client, in_db, fake_razorpay):
    response, product_id = checkout_view(Shopper(client), in_db)  # the redirect not followed
    order = in_db(lambda: db.session.scalars(select(Order)).one())
    assert in_db(lambda: payments.expire_unpaid_orders(
        now=order.created_at + timedelta(minutes=6))) == 1
    assert in_db(lambda: db.session.get(Product, product_id).stock) == 5000
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "complete within 5 minutes" in " ".join(page.split())
