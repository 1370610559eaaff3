"""A customer on a phone: browse, choose a pack, add, change the cart, check out."""
import re

import pytest
from playwright.sync_api import expect

from sweetshop.demo import seed_demo
from sweetshop.extensions import db
from sweetshop.models import Order, Product


@pytest.fixture
def demo_shop(app):
    with app.app_context():
        seed_demo()
        db.session.remove()


def _order_count(app):
    with app.app_context():
        n = db.session.query(Order).count()
        db.session.remove()
        return n


def _buy_500g_kaju_katli(page, base_url, *, javascript: bool):
    page.goto(base_url + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mithaas Sweets")
    page.get_by_role("link", name="Kaju Katli").click()
    expect(page.get_by_role("heading", name="Kaju Katli")).to_be_visible()

    page.get_by_role("radio", name="500 g").check()
    if javascript:
        # The price and availability swap in place, without a page load.
        expect(page.locator("#pack-status")).to_contain_text("₹580")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("status").filter(has_text="Added 500 g Kaju Katli")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(r"^Cart"))).to_contain_text("1")

    page.get_by_role("link", name=re.compile(r"^Cart")).click()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    page.get_by_role("button", name="Increase quantity").click()
    expect(page.locator(".qty-value")).to_have_text("2")
    expect(page.locator(".totals .total")).to_contain_text("₹1,160")
    page.get_by_role("button", name="Decrease quantity").click()
    expect(page.locator(".qty-value")).to_have_text("1")

    page.get_by_role("link", name="Checkout").click()
    page.get_by_label("Name", exact=True).fill("Asha Rao")
    page.get_by_label("Phone").fill("not a phone")
    page.get_by_label("Delivery address").fill("12 MG Road, Indiranagar, Bengaluru")
    page.get_by_label("Pincode").fill("560038")
    page.get_by_label("Note").fill("Please ring twice")
    page.get_by_role("radio", name="Cash on delivery").check()
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_text("Please give a valid Indian mobile number")).to_be_visible()

    page.get_by_label("Phone").fill("+91-98765-43210")
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_role("heading", name="Thank you, Asha!")).to_be_visible()
    expect(page.get_by_text(re.compile(r"Your order #\d+ is in"))).to_be_visible()
    expect(page.get_by_text("1 × Kaju Katli, 500 g")).to_be_visible()


def test_customer_buys_a_500g_pack_on_a_phone(app, live_server, phone, demo_shop):
    _buy_500g_kaju_katli(phone, live_server, javascript=True)
    assert _order_count(app) == 1
    # Refreshing the confirmation never makes a second order; it is now the tracking page.
    phone.reload()
    expect(phone.get_by_role("heading", name=re.compile(r"^Order #\d+"))).to_be_visible()
    expect(phone.locator('ol.steps > li[aria-current="step"]')).to_contain_text("Order placed")
    assert _order_count(app) == 1
    # The 422 of the invalid attempt is expected; script errors are not.
    assert [e for e in phone.console_errors if "Failed to load resource" not in e] == []


def test_the_same_purchase_works_without_javascript(app, live_server, phone_without_js,
                                                    demo_shop):
    _buy_500g_kaju_katli(phone_without_js, live_server, javascript=False)
    assert _order_count(app) == 1
    with app.app_context():
        order = db.session.query(Order).one()
        assert order.phone == "+919876543210"
        assert (order.subtotal_paise, order.delivery_fee_paise) == (58000, 4000)
        assert order.total_paise == 62000
        kaju = db.session.query(Product).filter_by(name="Kaju Katli").one()
        assert kaju.stock == 4000 - 500
        db.session.remove()


def test_a_sold_out_sweet_says_so_and_cannot_be_added(live_server, phone, demo_shop):
    phone.goto(live_server + "/")
    card = phone.get_by_role("listitem").filter(has=phone.get_by_role("link", name="Dry Fruit Barfi"))
    expect(card).to_contain_text("Out of stock")
    phone.get_by_role("link", name="Dry Fruit Barfi").click()
    expect(phone.get_by_role("button", name="Add to cart")).to_be_disabled()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_price_changed_while_on_the_checkout_form_is_shown_before_ordering(
        app, live_server, browser, demo_shop, javascript):
    from tests.browser.conftest import _page

    context, page = _page(browser, javascript=javascript)
    try:
        page.goto(live_server + "/p/kaju-katli")
        page.get_by_role("radio", name="500 g").check()
        page.get_by_role("button", name="Add to cart").click()
        expect(page.get_by_role("status").filter(has_text="Added 500 g")).to_be_visible()
        page.goto(live_server + "/checkout")
        page.get_by_label("Name", exact=True).fill("Asha Rao")
        page.get_by_label("Phone").fill("98765 43210")
        page.get_by_label("Delivery address").fill("12 MG Road, Indiranagar, Bengaluru")
        page.get_by_label("Pincode").fill("560038")
        with app.app_context():  # the owner re-prices the pack meanwhile
            kaju = db.session.query(Product).filter_by(name="Kaju Katli").one()
            next(v for v in kaju.variants if v.name == "500 g").price_paise = 64000
            db.session.commit()
            db.session.remove()

        page.get_by_role("button", name="Place order").click()

        expect(page.get_by_role("alert")).to_contain_text("Prices changed, please check")
        expect(page.locator(".summary")).to_contain_text("was ₹580")
        expect(page.get_by_label("Name", exact=True)).to_have_value("Asha Rao")
        assert _order_count(app) == 0
        page.get_by_role("button", name="Place order").click()
        expect(page.get_by_role("heading", name="Thank you, Asha!")).to_be_visible()
        with app.app_context():
            assert db.session.query(Order).one().subtotal_paise == 64000
            db.session.remove()
    finally:
        context.close()
