"""The owner on a phone: signs in, sees a new order arrive on the dashboard without reloading,
accepts one order in place, cancels another with a reason, and sees its stock come back."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from sweetshop.extensions import db
from sweetshop.models import Order, OrderStatus, Product, Unit
from sweetshop.services.admin_auth import create_or_reset_admin
from tests.factories import make_order, make_product

EMAIL, PASSWORD = "owner@mithaas.example", "correct horse battery"

# A stand-in for the Web Audio API that counts notes, so the test hears the chime.
FAKE_AUDIO = """
window.__notes = 0;
window.AudioContext = class {
  constructor() { this.state = "suspended"; this.currentTime = 0; this.destination = {}; }
  resume() {
    this.state = "running";
    if (this.onstatechange) this.onstatechange();
    return Promise.resolve();
  }
  createOscillator() {
    return { frequency: {}, connect() {}, start() { window.__notes += 1; }, stop() {} };
  }
  createGain() {
    const param = { setValueAtTime() {}, exponentialRampToValueAtTime() {} };
    return { gain: param, connect() {} };
  }
};
"""


@pytest.fixture
def shop(app):
    """An owner, and Rasgulla (12 pieces, low at 6) with one order waiting for a tin of 12."""
    with app.app_context():
        create_or_reset_admin(EMAIL, PASSWORD)
        rasgulla = make_product("Rasgulla", unit=Unit.PIECE, stock=12,
                                packs=(("Single", 1, 2000), ("Tin of 12", 12, 22000)))
        rasgulla.low_stock_threshold = 6
        ladoo = make_product("Ladoo", stock=10_000)
        db.session.commit()
        tin = make_order((rasgulla, "Tin of 12", 1), name="Asha Rao")
        ids = {"tin": (tin.id, tin.number), "ladoo": ladoo.id}
        db.session.remove()
    return ids


def place_ladoo_order(app, ladoo_id) -> int:
    with app.app_context():
        order = make_order((db.session.get(Product, ladoo_id), "1 kg", 1), name="Ravi Kumar",
                           phone="+919123456789")
        number = order.number
        db.session.remove()
    return number


def state(app, order_id):
    with app.app_context():
        order = db.session.get(Order, order_id)
        result = order.status, db.session.query(Product).filter_by(name="Rasgulla").one().stock
        db.session.remove()
    return result


def test_owner_takes_orders_on_a_phone(app, live_server, phone, shop):
    page = phone
    page.add_init_script(FAKE_AUDIO)
    tin_id, tin_number = shop["tin"]

    page.goto(live_server + "/admin/")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page).to_have_title(re.compile(r"^\(1\) Dashboard"))
    waiting = page.locator("#waiting")
    expect(waiting).to_contain_text(f"#{tin_number}")
    # The tin emptied the Rasgulla: it shows as running low.
    expect(page.get_by_role("region", name="Running low")).to_contain_text("Rasgulla")
    page.screenshot(path="/tmp/orders-shots/admin-dashboard-360.png", full_page=True)

    # The sound toggle remembers its state; switching it on plays a sample chime.
    toggle = page.get_by_role("button", name="Sound")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "false")
    page.reload()
    expect(toggle).to_have_attribute("aria-pressed", "false")
    expect(page.get_by_text("New orders will not chime.")).to_be_visible()
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    page.wait_for_function("window.__notes === 2")
    expect(page.get_by_text("New orders will chime.")).to_be_visible()

    # A customer orders while the phone sits on the counter: it appears without a reload.
    new_number = place_ladoo_order(app, shop["ladoo"])
    expect(waiting).to_contain_text(f"#{new_number}", timeout=15_000)
    expect(page).to_have_title(re.compile(r"^\(2\) Dashboard"))
    expect(page.locator("[data-new-orders-announcer]")).to_have_text("1 new order")
    page.wait_for_function("window.__notes === 4")  # it chimed for the new order

    # Accept the new order, in place.
    waiting.get_by_role("link", name=re.compile(f"#{new_number}")).click()
    expect(page.get_by_role("heading", name=f"Order #{new_number}")).to_be_visible()
    expect(page.get_by_role("button", name="Mark ready")).to_have_count(0)
    page.get_by_role("button", name="Accept", exact=True).click()
    expect(page.get_by_role("status").filter(has_text=f"Order #{new_number} accepted.")
           ).to_be_visible()
    expect(page.get_by_role("button", name="Mark ready")).to_be_visible()
    expect(page.get_by_role("button", name="Accept", exact=True)).to_have_count(0)
    expect(page.locator(".history")).to_contain_text(EMAIL)
    # The Messages panel came with the change: the acceptance message is listed, no reload.
    expect(page.locator("#messages")).to_contain_text("Order accepted")
    page.screenshot(path="/tmp/orders-shots/admin-order-360.png", full_page=True)

    # Cancel the tin with a reason: the stock goes back.
    page.get_by_role("link", name="Dashboard").click()
    page.locator("#waiting").get_by_role("link", name=re.compile(f"#{tin_number}")).click()
    page.get_by_role("button", name="Cancel order").click()
    expect(page.get_by_text("Please give a reason for cancelling.")).to_be_visible()
    page.get_by_label("Reason for cancelling").fill("Customer called: wrong address")
    page.get_by_role("button", name="Cancel order").click()
    expect(page.locator("#order-status")).to_contain_text("Cancelled")
    expect(page.locator(".history")).to_contain_text("Customer called: wrong address")
    expect(page.locator("#messages")).to_contain_text("Order cancelled")
    expect(page.get_by_role("button", name="Cancel order")).to_have_count(0)
    assert state(app, tin_id) == (OrderStatus.CANCELLED, 12)

    page.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("region", name="Running low")).to_contain_text(
        "above its low-stock mark")
    expect(page).to_have_title(re.compile(r"^Dashboard"))
    assert [e for e in page.console_errors if "Failed to load resource" not in e] == []


def test_the_orders_and_settings_pages_fit_a_phone(app, live_server, phone, shop):
    page = phone
    page.goto(live_server + "/admin/login")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    for path, name in (("/admin/orders", "orders"), ("/admin/settings", "settings")):
        page.goto(live_server + path)
        page.screenshot(path=f"/tmp/orders-shots/admin-{name}-360.png", full_page=True)
        # Nothing wider than the screen.
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, path
    page.goto(live_server + "/admin/settings")
    page.get_by_label("Delivery fee (₹)").fill("forty")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Please give an amount in rupees")).to_be_visible()
    page.get_by_label("Delivery fee (₹)").fill("40")
    page.get_by_role("radio", name="Closed").check()
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status")).to_contain_text("Settings saved.")
    with app.app_context():
        from sweetshop.services.shop import get_settings
        settings = get_settings()
        assert (settings.delivery_fee_paise, settings.is_open) == (4000, False)
        db.session.remove()
