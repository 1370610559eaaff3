"""The customer's side: choosing to pay online, the payment page, its callback, and the way
back to cash on delivery. Views run as a browser drives them (CSRF on)."""
import json
import re

from sqlalchemy import select

from sweetshop.extensions import db
from sweetshop.models import Notification, Order, OrderStatus, Payment, PaymentStatus, Product
from tests.factories import make_product
from tests.payments.helpers import payment_signature, rzp_id
from tests.views.conftest import VALID_CHECKOUT, Shopper

ONLINE = "Pay online (UPI, cards, netbanking)"


def sweet_in_cart(shopper, in_db, stock=5000):
    """A 500 g pack of a new sweet in the shopper's cart; returns the product id."""
    def make():
        from sweetshop.services.shop import get_settings
        get_settings().owner_phones = "+919812345678"
        product = make_product(stock=stock)
        return product.id, product.slug, product.variants[1].id
    product_id, slug, variant_id = in_db(make)
    token = shopper.token_from(f"/p/{slug}")
    shopper.client.post("/cart/add", data={"csrf_token": token, "variant_id": variant_id,
                                           "quantity": 1})
    return product_id


def checkout(shopper, in_db, method="online", stock=5000):
    product_id = sweet_in_cart(shopper, in_db, stock)
    form = shopper.checkout_form()
    response = shopper.client.post("/checkout", data={**VALID_CHECKOUT, **form,
                                                      "payment_method": method})
    return response, product_id


def the_order(in_db):
    return in_db(lambda: db.session.scalars(select(Order)).one())


def test_online_payment_is_offered_only_with_razorpay_keys(app, client, in_db, monkeypatch):
    shopper = Shopper(client)
    # Without keys: only cash on delivery, and a tampered "online" is refused in words.
    response, _ = checkout(shopper, in_db)
    assert response.status_code == 422
    assert "Online payment is not available right now" in response.get_data(as_text=True)
    assert in_db(lambda: db.session.scalars(select(Order)).all()) == []
    page = client.get("/checkout").get_data(as_text=True)
    assert ONLINE not in page and "Cash on delivery" in page


def test_with_keys_checkout_offers_online_payment(app, client, in_db, fake_razorpay):
    sweet_in_cart(Shopper(client), in_db)
    page = client.get("/checkout").get_data(as_text=True)
    assert ONLINE in page and "Cash on delivery" in page


def test_an_online_order_waits_for_payment_and_opens_razorpay_checkout(
        app, client, in_db, fake_razorpay):
    response, product_id = checkout(Shopper(client), in_db)
    order = the_order(in_db)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/orders/{order.public_token}/pay")
    assert (order.status, order.payment_status) == (OrderStatus.AWAITING_PAYMENT,
                                                    PaymentStatus.UNPAID)
    assert in_db(lambda: db.session.get(Product, product_id).stock) == 4500  # held
    assert in_db(lambda: db.session.scalars(select(Notification)).all()) == []  # not yet
    rzp_order = next(iter(fake_razorpay.orders.values()))
    assert rzp_order["amount"] == order.total_paise and rzp_order["currency"] == "INR"
    assert rzp_order["receipt"] == f"sweetshop-{order.number}"
    assert rzp_order["notes"]["order_id"] == str(order.id)

    page = client.get(f"/orders/{order.public_token}/pay")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self' https://checkout.razorpay.com" in csp
    assert "frame-src https://api.razorpay.com" in csp
    options = json.loads(re.search(
        r'<script type="application/json" id="razorpay-options">(.*?)</script>', html,
        re.S).group(1))
    assert options["key"] == app.config["RAZORPAY_KEY_ID"]
    assert options["order_id"] == rzp_order["id"] and options["amount"] == order.total_paise
    assert options["prefill"] == {"name": "Asha Rao", "contact": "+919876543210"}
    assert "needs JavaScript" in html and "Pay cash on delivery instead" in html
    assert re.search(r"<script(?![^>]*(src=|application/json))", html) is None  # no inline JS
    # Every other page keeps the strict policy.
    assert "razorpay" not in client.get("/").headers["Content-Security-Policy"]


def test_the_checkout_callback_marks_the_order_paid_and_sends_the_messages(
        app, client, in_db, fake_razorpay):
    checkout(Shopper(client), in_db)
    order = the_order(in_db)
    payment = in_db(lambda: db.session.scalars(select(Payment)).one())
    captured = fake_razorpay.add_payment(payment.razorpay_order_id, order.total_paise)
    page = client.get(f"/orders/{order.public_token}/pay").get_data(as_text=True)
    form = {"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page).group(1),
            "razorpay_payment_id": captured["id"],
            "razorpay_order_id": payment.razorpay_order_id,
            "razorpay_signature": payment_signature(payment.razorpay_order_id, captured["id"])}
    response = client.post(f"/orders/{order.public_token}/pay", data=form)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/orders/{order.public_token}")
    assert client.post(f"/orders/{order.public_token}/pay", data=form).status_code == 303
    # Straight after paying, the order page thanks; the next visit is the tracking page.
    thanks = client.get(f"/orders/{order.public_token}").get_data(as_text=True)
    assert "<h1>Thank you, " in thanks
    assert "<h1>Thank you, " not in client.get(f"/orders/{order.public_token}").get_data(True)
    order = the_order(in_db)
    assert (order.status, order.payment_status) == (OrderStatus.PLACED, PaymentStatus.PAID)
    kinds = sorted(n.kind for n in in_db(lambda: db.session.scalars(select(Notification)).all()))
    assert kinds == ["order_placed", "owner_new_order"]
    # Paid: the payment page now sends the customer to the order.
    assert client.get(f"/orders/{order.public_token}/pay").status_code == 303


def test_a_callback_signed_for_another_order_is_refused(app, client, in_db, fake_razorpay):
    checkout(Shopper(client), in_db)
    order = the_order(in_db)
    payment = in_db(lambda: db.session.scalars(select(Payment)).one())
    # A genuine payment, signature and all, but for some other Razorpay order.
    other_order_id = rzp_id("order")
    elsewhere = fake_razorpay.add_payment(other_order_id, order.total_paise)
    page = client.get(f"/orders/{order.public_token}/pay").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    for claimed_order_id in (other_order_id, payment.razorpay_order_id, ""):
        response = client.post(f"/orders/{order.public_token}/pay", data={
            "csrf_token": csrf, "razorpay_payment_id": elsewhere["id"],
            "razorpay_order_id": claimed_order_id,
            "razorpay_signature": payment_signature(other_order_id, elsewhere["id"])})
        assert response.status_code == 400
        assert "does not belong to this order" in response.get_data(as_text=True)
    order = the_order(in_db)
    assert (order.status, order.payment_status) == (OrderStatus.AWAITING_PAYMENT,
                                                    PaymentStatus.UNPAID)


def test_a_tampered_amount_is_refused_at_the_callback(app, client, in_db, fake_razorpay):
    checkout(Shopper(client), in_db)
    order = the_order(in_db)
    payment = in_db(lambda: db.session.scalars(select(Payment)).one())
    cheap = fake_razorpay.add_payment(payment.razorpay_order_id, 100)
    page = client.get(f"/orders/{order.public_token}/pay").get_data(as_text=True)
    response = client.post(f"/orders/{order.public_token}/pay", data={
        "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page).group(1),
        "razorpay_payment_id": cheap["id"], "razorpay_order_id": payment.razorpay_order_id,
        "razorpay_signature": payment_signature(payment.razorpay_order_id, cheap["id"])})
    assert response.status_code == 400
    assert the_order(in_db).payment_status is PaymentStatus.UNPAID


def test_after_a_failed_payment_the_customer_can_try_again_or_pay_cash(
        app, client, in_db, fake_razorpay):
    checkout(Shopper(client), in_db)
    order = the_order(in_db)
    page = client.get(f"/orders/{order.public_token}/pay?result=failed")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "The payment did not go through" in html and "Try again" in html
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    response = client.post(f"/orders/{order.public_token}/pay/cod", data={"csrf_token": csrf})
    assert response.status_code == 303
    thanks = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<h1>Thank you, " in thanks and "you pay in cash when it arrives" in thanks
    order = the_order(in_db)
    assert (order.status, order.payment_method.value, order.payment_status) == (
        OrderStatus.PLACED, "cod", PaymentStatus.UNPAID)
    kinds = sorted(n.kind for n in in_db(lambda: db.session.scalars(select(Notification)).all()))
    assert kinds == ["order_placed", "owner_new_order"]


def test_cash_on_delivery_is_not_offered_above_the_shops_limit(
        app, client, in_db, fake_razorpay):
    from sweetshop.services.shop import get_settings

    def limit():
        get_settings().cod_max_paise = 10000
        db.session.commit()
    in_db(limit)
    checkout(Shopper(client), in_db)
    order = the_order(in_db)
    html = client.get(f"/orders/{order.public_token}/pay?result=dismissed").get_data(as_text=True)
    assert "Pay cash on delivery instead" not in html
    assert "needs to be paid online" in html
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    client.post(f"/orders/{order.public_token}/pay/cod", data={"csrf_token": csrf})
    assert the_order(in_db).status is OrderStatus.AWAITING_PAYMENT


def test_when_razorpay_cannot_be_reached_the_page_says_so_and_offers_cash(
        app, client, in_db, fake_razorpay):
    fake_razorpay.fail_orders = True
    response, _ = checkout(Shopper(client), in_db)
    order = the_order(in_db)
    assert response.status_code == 303  # the order is kept, waiting for payment
    page = client.get(f"/orders/{order.public_token}/pay")
    html = page.get_data(as_text=True)
    assert page.status_code == 503
    assert "could not reach the payment service" in html
    assert "Pay cash on delivery instead" in html
    fake_razorpay.fail_orders = False
    assert client.get(f"/orders/{order.public_token}/pay").status_code == 200
    assert len(fake_razorpay.orders) == 1
