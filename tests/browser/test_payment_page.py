"""The payment page in a phone-sized Chromium: Razorpay's checkout.js replaced by a stand-in
(the real one needs the internet), so pay.js, the form post and the pages all run for real."""
import json
import os
import re

import pytest
from sqlalchemy import select

from sweetshop.extensions import db
from sweetshop.models import Order, OrderStatus, Payment, PaymentStatus
from tests.factories import make_product
from tests.payments.conftest import fake_razorpay, razorpay_on  # noqa: F401
from tests.payments.helpers import payment_signature

CHECKOUT_JS = "https://checkout.razorpay.com/v1/checkout.js"
SHOTS = os.environ.get("PAY_SCREENSHOTS")  # a folder: save screenshots there


def shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


@pytest.fixture
def sweet(app, in_db):
    return in_db(lambda: make_product("Kaju Katli").slug)


def order_online(page, base, slug, javascript=True):
    page.goto(f"{base}/p/{slug}")
    page.get_by_role("button", name="Add to cart").click()
    if javascript:  # htmx adds in place: wait for it before leaving the page
        page.get_by_role("status").filter(has_text="Added").wait_for()
    page.goto(f"{base}/checkout")
    page.get_by_label("Name", exact=True).fill("Asha Rao")
    page.get_by_label("Phone").fill("98765 43210")
    page.get_by_label("Delivery address").fill("12 MG Road, Indiranagar, Bengaluru")
    page.get_by_label("Pincode").fill("560038")
    page.get_by_label("Pay online (UPI, cards, netbanking)").check()
    page.get_by_role("button", name="Place order").click()
    page.wait_for_url("**/pay*")


def test_paying_online_in_the_browser_confirms_the_order(
        app, live_server, phone, fake_razorpay, in_db, sweet):
    def stand_in(route):
        payment = in_db(lambda: db.session.scalars(select(Payment)).one())
        captured = fake_razorpay.add_payment(payment.razorpay_order_id, payment.amount_paise)
        answer = {"razorpay_payment_id": captured["id"],
                  "razorpay_order_id": payment.razorpay_order_id,
                  "razorpay_signature": payment_signature(payment.razorpay_order_id,
                                                          captured["id"])}
        route.fulfill(content_type="application/javascript", body=(
            "window.Razorpay = function (o) { this.o = o; };"
            "Razorpay.prototype.on = function () {};"
            "Razorpay.prototype.open = function () { var o = this.o;"
            f" setTimeout(function () {{ o.handler({json.dumps(answer)}); }}, 100); }};"))

    phone.route(CHECKOUT_JS, stand_in)
    order_online(phone, live_server, sweet)
    phone.wait_for_url(lambda url: not url.endswith("/pay"))
    assert phone.get_by_text("Payment received. Thank you!").is_visible()
    order = in_db(lambda: db.session.scalars(select(Order)).one())
    assert (order.status, order.payment_status) == (OrderStatus.PLACED, PaymentStatus.PAID)
    assert phone.console_errors == []


def test_when_checkout_cannot_load_the_page_says_so_and_cash_works(
        app, live_server, phone, fake_razorpay, in_db, sweet):
    phone.route(CHECKOUT_JS, lambda route: route.abort("internetdisconnected"))
    order_online(phone, live_server, sweet)
    shot(phone, "pay-page-offline")
    problem = phone.get_by_role("alert")
    problem.wait_for()
    assert "could not load the payment window" in problem.inner_text()
    assert phone.get_by_role("button", name=re.compile(r"^Pay ₹[\d,]+ online$")).is_enabled()
    shot(phone, "pay-page-offline")
    token = in_db(lambda: db.session.scalars(select(Order)).one().public_token)
    phone.goto(f"{live_server}/orders/{token}/pay?result=failed")
    phone.get_by_role("alert").wait_for()
    assert phone.get_by_role("button", name="Try again").is_visible()
    shot(phone, "pay-page-failed")
    phone.get_by_role("button", name="Pay cash on delivery instead").click()
    phone.get_by_text("you pay in cash when your order arrives").wait_for()
    order = in_db(lambda: db.session.scalars(select(Order)).one())
    assert (order.status, order.payment_method.value) == (OrderStatus.PLACED, "cod")


def test_without_javascript_the_page_explains_and_offers_cash(
        app, live_server, phone_without_js, fake_razorpay, in_db, sweet):
    page = phone_without_js
    order_online(page, live_server, sweet, javascript=False)
    assert page.get_by_text("Paying online needs JavaScript").is_visible()
    assert not page.get_by_role("button", name=re.compile(r"^Pay ₹[\d,]+ online$")).is_visible()
    shot(page, "pay-page-no-js")
    page.get_by_role("button", name="Pay cash on delivery instead").click()
    page.wait_for_url("**/orders/*")
    order = in_db(lambda: db.session.scalars(select(Order)).one())
    assert order.status is OrderStatus.PLACED
