"""Orders for a time, in a phone's browser: a Diwali pre-order for pickup (JavaScript on),
the last evening delivery slot booked without JavaScript, a third customer told it is full,
and the owner's production sheet and packing slips adding up to what was ordered."""
from __future__ import annotations

import os
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from sweetshop.extensions import db
from sweetshop.models import Order
from sweetshop.services import cart as cart_service
from sweetshop.services.admin_auth import create_or_reset_admin
from sweetshop.services.checkout import CustomerDetails, new_idempotency_key, place_order
from sweetshop.services.slots import day_label
from tests.factories import make_product, variant_named
from tests.slots.helpers import make_window, set_settings, slot_value, today_ist

EMAIL, PASSWORD = "owner@mithaas.example", "correct horse battery"
SHOTS = "/tmp/slots-shots"


@pytest.fixture
def shop(app):
    os.makedirs(SHOTS, exist_ok=True)
    with app.app_context():
        create_or_reset_admin(EMAIL, PASSWORD)
        set_settings(address="14 Chandni Chowk, Delhi", slot_max_orders=2)
        kaju = make_product("Kaju Katli", stock=0,
                            packs=(("500 g", 500, 58000), ("1 kg", 1000, 115000)))
        barfi = make_product("Milk Barfi", stock=20_000)
        make_window([kaju], name="Diwali 2026", first=2, last=4, capacity_grams=40_000)
        # Someone already booked one of the two places in tomorrow's last evening slot.
        token = cart_service.add_to_cart(None, variant_named(barfi, "500 g").id, 1)[0]
        place_order(token, CustomerDetails(name="Early Bird", phone="+919800000009",
                                           address="1 Park Street, Delhi", pincode="110006",
                                           slot=slot_value(1, 19)), new_idempotency_key())
        carts = {
            "kaju": cart_service.add_to_cart(None, variant_named(kaju, "1 kg").id, 2)[0],
            "barfi": cart_service.add_to_cart(None, variant_named(barfi, "1 kg").id, 1)[0],
            "late": cart_service.add_to_cart(None, variant_named(barfi, "500 g").id, 2)[0],
        }
        db.session.remove()
    return carts


def with_cart(page, live_server, token):
    page.context.add_cookies([{"name": "cart", "value": token, "url": live_server}])
    page.goto(live_server + "/checkout")


def fill_customer(page, name, phone):
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Phone").fill(phone)


def test_pre_order_last_slot_full_slot_and_the_kitchen_sheets(app, live_server, phone,
                                                               phone_without_js, shop):
    festival = today_ist() + timedelta(days=2)
    tomorrow = today_ist() + timedelta(days=1)

    # 1. 2 kg of Kaju Katli for Diwali, picked up: with htmx, the day's slots swap in.
    page = phone
    with_cart(page, live_server, shop["kaju"])
    fill_customer(page, "Asha Rao", "98765 43210")
    page.get_by_label("Pickup from the shop").check()
    expect(page.get_by_text("14 Chandni Chowk, Delhi").first).to_be_visible()
    expect(page.get_by_text("Diwali 2026 orders are for").first).to_be_visible()
    page.get_by_role("radio", name=day_label(festival), exact=True).check()
    expect(page.get_by_role("group", name=f"Times on {day_label(festival)}")).to_be_visible()
    page.get_by_role("radio", name="11 am–1 pm").check()
    page.screenshot(path=f"{SHOTS}/checkout-preorder-360.png", full_page=True)
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_text(f"Pickup on {day_label(festival)}, 11 am–1 pm").first).to_be_visible()
    page.screenshot(path=f"{SHOTS}/confirmation-pickup-360.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert not page.console_errors, page.console_errors

    # 2. Without JavaScript: the last place in tomorrow's 7–9 pm delivery slot.
    page = phone_without_js
    with_cart(page, live_server, shop["barfi"])
    fill_customer(page, "Ravi Kumar", "91234 56789")
    page.get_by_label("Delivery address").fill("22 Lodhi Road, New Delhi")
    page.get_by_label("Pincode").fill("110003")
    page.get_by_role("radio", name=day_label(tomorrow), exact=True).check()
    page.get_by_role("button", name="Show times for this day").click()
    page.get_by_role("radio", name="7–9 pm").check()
    page.screenshot(path=f"{SHOTS}/checkout-nojs-360.png", full_page=True)
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_text(f"Delivery on {day_label(tomorrow)}, 7–9 pm").first).to_be_visible()

    # 3. A third customer finds it full, with the reason beside it.
    page = phone
    page.context.clear_cookies()
    with_cart(page, live_server, shop["late"])
    page.get_by_role("radio", name=day_label(tomorrow), exact=True).check()
    slot = page.get_by_role("radio", name="7–9 pm")
    expect(slot).to_be_disabled()
    expect(page.get_by_role("group", name=f"Times on {day_label(tomorrow)}")
           .get_by_text("Full")).to_be_visible()
    page.screenshot(path=f"{SHOTS}/checkout-full-360.png", full_page=True)

    # 4. The owner: tomorrow's production sheet and the festival's, and the packing slips.
    page.goto(live_server + "/admin/login")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(live_server + "/admin/kitchen")
    sheet = page.get_by_role("table")
    expect(sheet.get_by_role("row", name="Milk Barfi")).to_contain_text("1.5 kg")
    page.goto(live_server + f"/admin/kitchen?date={festival.isoformat()}")
    expect(page.get_by_role("table").get_by_role("row", name="Kaju Katli")).to_contain_text("2 kg")
    page.screenshot(path=f"{SHOTS}/production-360.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.emulate_media(media="print")
    page.screenshot(path=f"{SHOTS}/production-print.png", full_page=True)
    expect(page.get_by_role("navigation", name="Admin")).to_be_hidden()
    page.emulate_media(media="screen")
    page.get_by_role("link", name="Packing slips for the day").click()
    slips = page.get_by_role("article")
    expect(slips).to_have_count(1)
    expect(slips.first).to_contain_text("2 × Kaju Katli, 1 kg")
    expect(slips.first.get_by_role("img", name="QR code of the order")).to_be_visible()
    page.screenshot(path=f"{SHOTS}/slips-360.png", full_page=True)
    with app.app_context():
        assert db.session.query(Order).count() == 3
        db.session.remove()
