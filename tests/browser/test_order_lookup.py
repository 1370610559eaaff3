"""A customer on a phone finds their orders, reorders, and watches a tracking page settle."""
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from sweetshop.demo import seed_demo
from sweetshop.extensions import db
from sweetshop.models import Order, OrderStatus, OrderStatusChange, Product
from tests.factories import make_order
from tests.lookup.conftest import codes  # noqa: F401  (captures the one-time codes)


@pytest.fixture
def earlier_order(in_db):
    """A demo shop, and an order placed earlier with 98765 43210: 2 × Kaju Katli 500 g."""

    def build():
        seed_demo()
        kaju = db.session.scalars(select(Product).where(Product.name == "Kaju Katli")).one()
        order = make_order((kaju, "500 g", 2), phone="+919876543210")
        return {"number": order.number, "token": order.public_token, "id": order.id}

    return in_db(build)


def _fits_the_screen(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-js"])
def test_a_customer_finds_their_orders_and_reorders(request, live_server, codes,
                                                    earlier_order, javascript):
    page = request.getfixturevalue("phone" if javascript else "phone_without_js")
    page.goto(live_server + "/")
    page.get_by_role("link", name="My orders").click()
    expect(page.get_by_role("heading", name="My orders", level=1)).to_be_visible()
    _fits_the_screen(page)

    page.get_by_label("Phone").fill("098765 43210")
    page.get_by_role("button", name="Send code").click()
    expect(page.get_by_text("If this number has orders with us, we have sent a code")).to_be_visible()
    page.get_by_label("Code").fill("000000" if codes[-1] != "000000" else "111111")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("That code is not right. 4 tries left.")).to_be_visible()
    page.get_by_label("Code").fill(codes[-1])
    page.get_by_role("button", name="Verify").click()

    number = earlier_order["number"]
    expect(page.get_by_role("heading", name=f"Order #{number}")).to_be_visible()
    expect(page.get_by_text("2 × Kaju Katli, 500 g")).to_be_visible()
    _fits_the_screen(page)
    page.screenshot(path=f"/tmp/lookup-orders-{'js' if javascript else 'nojs'}.png", full_page=True)

    page.get_by_role("button", name="Reorder").click()
    # Reorder lands on checkout, filled in for the verified number (issue 13).
    expect(page.get_by_role("heading", name="Checkout")).to_be_visible()
    expect(page.get_by_text("Added to your cart at today's prices: 2 × Kaju Katli, 500 g."))\
        .to_be_visible()
    expect(page.get_by_role("link", name=re.compile(r"^Cart"))).to_contain_text("2")
    if javascript:
        assert [e for e in page.console_errors if "Failed to load resource" not in e] == []


def test_the_tracking_page_stops_polling_once_delivered(app, live_server, phone,
                                                         earlier_order, in_db, monkeypatch):
    monkeypatch.setattr("sweetshop.orders.views.POLL_SECONDS", 1)
    polls = []
    phone.on("request", lambda r: polls.append(r.url) if "seen=" in r.url else None)
    phone.goto(f"{live_server}/orders/{earlier_order['token']}")
    expect(phone.get_by_role("heading", name=f"Order #{earlier_order['number']}")).to_be_visible()
    expect(phone.locator("#order-status")).to_contain_text("Your order is placed")
    _fits_the_screen(phone)
    phone.screenshot(path="/tmp/lookup-tracking.png", full_page=True)

    def deliver():
        order = db.session.get(Order, earlier_order["id"])
        for status in (OrderStatus.ACCEPTED, OrderStatus.DELIVERED):
            order.history.append(OrderStatusChange(from_status=order.status, to_status=status,
                                                   actor="owner"))
            order.status = status
        db.session.commit()
    in_db(deliver)

    expect(phone.locator("#order-status")).to_contain_text("Your order is delivered",
                                                           timeout=5000)
    expect(phone.locator("ol.steps > li")).to_have_count(4)
    expect(phone.locator('ol.steps > li[aria-current="step"]')).to_contain_text("Delivered")
    settled = len(polls)
    assert settled >= 1
    phone.wait_for_timeout(2500)
    assert len(polls) == settled, "the page kept polling after the order was delivered"
    assert phone.locator("#order-status[hx-trigger]").count() == 0
