"""Issue 14, done when: at 360 px the owner adds a delivery person, who sets a password from
the link, sees only their two deliveries, enters a wrong then the right handover code,
collects cash for one and UPI for the other; the owner records the cash handed over and the
day balances to zero. A counter user cannot open settings (refused). JS on and off."""
from __future__ import annotations

import os
import re

import pytest
from playwright.sync_api import expect

from sweetshop.extensions import db
from sweetshop.models import Order, OrderStatus
from sweetshop.services.admin_auth import create_or_reset_admin
from sweetshop.services.orders import change_status
from sweetshop.services.shop import get_settings
from tests.browser.conftest import _page
from tests.factories import make_order, make_product

EMAIL, PASSWORD = "owner@mithaas.example", "correct horse battery"
SHOTS = os.environ.get("STAFF_SHOTS")  # a folder: save screenshots there to look at


def shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


@pytest.fixture
def shop(app):
    with app.app_context():
        create_or_reset_admin(EMAIL, PASSWORD)
        settings = get_settings()
        settings.upi_vpa = "mithaas@okhdfcbank"
        db.session.commit()
        kaju = make_product("Kaju Katli", stock=10_000)
        first = make_order((kaju, "500 g", 1), name="Asha Rao", phone="+919876500001")
        second = make_order((kaju, "1 kg", 1), name="Vikram Shah", phone="+919876500002")
        ids = [first.id, second.id]
        for order_id in ids:
            change_status(order_id, OrderStatus.ACCEPTED, EMAIL)
        db.session.remove()
    return ids


def sign_in(page, base, who, password):
    page.goto(f"{base}/admin/login")
    page.get_by_label("Email or mobile number").fill(who)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_owner_delivery_person_and_counter_at_360px(app, browser, live_server, shop,
                                                    javascript):
    tag = "js" if javascript else "nojs"
    owner_ctx, owner = _page(browser, javascript)
    sign_in(owner, live_server, EMAIL, PASSWORD)
    shot(owner, f"{tag}-0-owner-signed-in")
    expect(owner.get_by_role("heading", name="Dashboard")).to_be_visible()

    # The owner adds Ravi, a delivery person, and copies his set-up link.
    owner.get_by_role("link", name="Staff").click()
    owner.get_by_label("Name", exact=True).fill("Ravi Kumar")
    owner.get_by_label("Mobile number").fill("98450 12345")
    owner.get_by_label("Role", exact=True).select_option("delivery")
    owner.get_by_role("button", name="Add and make a set-up link").click()
    link = owner.get_by_role("textbox", name="Set-up link").input_value()
    shot(owner, f"{tag}-1-owner-staff-link")

    # Both orders go out with Ravi (the owner picks him on each order page).
    for order_id in shop:
        owner.goto(f"{live_server}/admin/orders/{order_id}")
        owner.get_by_label("Delivery person").select_option(label="Ravi Kumar")
        owner.get_by_role("button", name="Out for delivery").click()
        expect(owner.get_by_text("Delivery person: Ravi Kumar")).to_be_visible()
    shot(owner, f"{tag}-2-owner-order-out")

    # Ravi sets his password from the link and lands on his deliveries.
    ravi_ctx, ravi = _page(browser, javascript)
    ravi.goto(link)
    ravi.get_by_label("New password").fill("ravi's own long password")
    ravi.get_by_role("button", name="Set password").click()
    sign_in(ravi, live_server, "98450 12345", "ravi's own long password")
    expect(ravi.get_by_role("heading", name="My deliveries")).to_be_visible()
    cards = ravi.locator(".delivery-card")
    expect(cards).to_have_count(2)
    expect(cards.first.locator(".collect-amount")).to_have_text("₹580")
    expect(cards.first.get_by_role("link", name="Call")).to_have_attribute(
        "href", "tel:+919876500001")
    expect(cards.first.get_by_role("link", name="WhatsApp")).to_have_attribute(
        "href", "https://wa.me/919876500001")
    shot(ravi, f"{tag}-3-ravi-list")

    with app.app_context():
        codes = [db.session.get(Order, i).handover_code for i in shop]
        numbers = [db.session.get(Order, i).number for i in shop]
        db.session.remove()

    # First order: a wrong code, then the right one; cash.
    ravi.get_by_role("link", name=f"Hand over order #{numbers[0]}").click()
    ravi.get_by_label("Handover code from the customer").fill(
        f"{(int(codes[0]) + 1) % 10000:04d}")
    ravi.get_by_role("button", name="Delivered").click()
    expect(ravi.get_by_role("alert")).to_contain_text("That code is wrong. 4 tries left.")
    shot(ravi, f"{tag}-4-ravi-wrong-code")
    ravi.get_by_label("Cash").check()
    ravi.get_by_label("Handover code from the customer").fill(codes[0])
    ravi.get_by_role("button", name="Delivered").click()
    expect(ravi.get_by_text(re.compile(r"Cash collected ₹580 by Ravi Kumar"))).to_be_visible()

    # Second order: UPI at the door, with the QR code for the exact amount.
    ravi.get_by_role("link", name=f"Hand over order #{numbers[1]}").click()
    if javascript:
        ravi.get_by_text("Show the UPI QR code").click()
        qr = ravi.get_by_role("img", name=re.compile("UPI QR code for ₹1,150"))
        expect(qr).to_be_visible()
    shot(ravi, f"{tag}-5-ravi-upi")
    ravi.get_by_label("UPI", exact=True).check()
    ravi.get_by_label("If UPI: last digits of the reference").fill("7788")
    ravi.get_by_label("Handover code from the customer").fill(codes[1])
    ravi.get_by_role("button", name="Delivered").click()
    expect(ravi.get_by_text("Paid ₹1,150 by UPI.")).to_be_visible()
    expect(ravi.locator(".delivery-card")).to_have_count(0)
    shot(ravi, f"{tag}-6-ravi-done")

    # The customer's tracking page and the owner's order page both say paid.
    with app.app_context():
        token = db.session.get(Order, shop[1]).public_token
        db.session.remove()
    owner.goto(f"{live_server}/orders/{token}")
    expect(owner.get_by_text(re.compile("Paid by UPI at the door"))).to_be_visible()

    # The owner records the cash Ravi hands over: the day balances to zero.
    owner.goto(f"{live_server}/admin/cash")
    person = owner.locator(".cash-person", has_text="Ravi Kumar")
    expect(person).to_contain_text("₹580")
    person.get_by_label("Cash handed over by Ravi (₹)").fill("580")
    person.get_by_role("button", name="Record handover from Ravi").click()
    person = owner.locator(".cash-person", has_text="Ravi Kumar")
    expect(person.locator(".cash-balanced")).to_contain_text("balanced")
    shot(owner, f"{tag}-7-owner-cash")

    # A counter user cannot open the settings.
    owner.goto(f"{live_server}/admin/staff")
    owner.get_by_label("Name", exact=True).fill("Kiran Das")
    owner.get_by_label("Mobile number").fill("98450 54321")
    owner.get_by_label("Role", exact=True).select_option("counter")
    owner.get_by_role("button", name="Add and make a set-up link").click()
    counter_link = owner.get_by_role("textbox", name="Set-up link").input_value()
    counter_ctx, counter = _page(browser, javascript)
    counter.goto(counter_link)
    counter.get_by_label("New password").fill("kiran's own long password")
    counter.get_by_role("button", name="Set password").click()
    sign_in(counter, live_server, "9845054321", "kiran's own long password")
    expect(counter.get_by_role("link", name="Settings")).to_have_count(0)
    response = counter.goto(f"{live_server}/admin/settings")
    assert response.status == 403
    expect(counter.get_by_role("heading", name="Not for your role")).to_be_visible()
    shot(counter, f"{tag}-8-counter-refused")

    for page in (owner, ravi, counter):  # the wrong code's 422 and the 403 are on purpose
        assert [e for e in page.console_errors
                if not re.search(r"status of (422|423|403)", e)] == []
    for ctx in (owner_ctx, ravi_ctx, counter_ctx):
        ctx.close()
