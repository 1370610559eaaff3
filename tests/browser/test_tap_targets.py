"""Every link and button on every storefront and admin page (and every field) is at least 44×44 px at phone width.

axe does not check target size, so this measures each visible link and button with
Playwright's bounding_box(). The house rule (docs: DESIGN, "tap targets of at least 44 px")
is stricter than WCAG 2.5.8's 24 px, and we take no exemption for inline links either: the few
links inside a sentence get padding, so a thumb on a shop counter never misses.

SCREENSHOT_DIR=/tmp/ui-shots saves a full-page PNG of every page visited, for looking at.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from sweetshop.extensions import db

MIN = 44
TARGETS = "a[href], button, input[type=submit], input[type=button], summary, [role=button]"
# Fields a person types into or picks from are targets too (the sign-in fields were 176×20).
FIELDS = "input:not([type=checkbox], [type=radio], [type=hidden], [type=submit]), select, textarea"
SCREENSHOT_DIR = os.environ.get("SCREENSHOT_DIR")


@pytest.fixture
def shop(app):
    """The demo catalogue, an owner, an order with some history, a cancelled one, and one
    waiting for online payment."""
    from sweetshop.demo import seed_demo
    from sweetshop.models import OrderStatus, PaymentMethod, Product
    from sweetshop.services.admin_auth import create_or_reset_admin
    from sweetshop.services.orders import change_status
    from tests.factories import make_order

    with app.app_context():
        seed_demo()
        create_or_reset_admin("owner@example.com", "a-long-password-1")
        kaju = db.session.query(Product).filter_by(name="Kaju Katli").one()
        laddoo = db.session.query(Product).filter_by(name="Gulab Jamun").one()
        order = make_order((kaju, "500 g", 1), (laddoo, "Tin of 12", 2))
        change_status(order.id, "accepted", actor="owner@example.com")
        cancelled = make_order((kaju, "250 g", 1), name="Ravi Kumar")
        change_status(cancelled.id, "cancelled", actor="owner@example.com", note="Out of milk")
        online = make_order((kaju, "1 kg", 1), name="Meera Iyer")
        online.status, online.payment_method = OrderStatus.AWAITING_PAYMENT, PaymentMethod.ONLINE
        db.session.commit()
        ids = {"order_id": order.id, "token": order.public_token, "product_id": kaju.id,
               "cancelled_token": cancelled.public_token, "online_token": online.public_token}
        db.session.remove()
    return ids


def small_targets(page) -> list[str]:
    """'text (w×h)' for every visible link, button or field smaller than MIN px either way."""
    found = []
    for element in page.query_selector_all(f"{TARGETS}, {FIELDS}"):
        if not element.is_visible():
            continue
        box = element.bounding_box()
        if box is None or box["x"] + box["width"] <= 0:  # e.g. the skip link, until focused
            continue
        if box["width"] < MIN - 0.5 or box["height"] < MIN - 0.5:
            name = " ".join((element.inner_text() or element.get_attribute("aria-label")
                             or element.get_attribute("value") or element.get_attribute("name")
                             or "").split())[:40]
            found.append(f"{element.evaluate('e => e.tagName.toLowerCase()')} {name!r} "
                         f"({box['width']:.0f}×{box['height']:.0f})")
    return found


def visit(page, url: str, label: str, problems: dict) -> None:
    if url:
        page.goto(url)
    page.wait_for_load_state()
    if SCREENSHOT_DIR:
        Path(SCREENSHOT_DIR).mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-") or "home"
        page.screenshot(path=f"{SCREENSHOT_DIR}/{name}.png", full_page=True)
    if small := small_targets(page):
        problems[label] = small


def test_every_storefront_tap_target_is_at_least_44px(live_server, phone, shop):
    page, problems = phone, {}
    for path in ["/", "/c/barfi-katli", "/p/kaju-katli", "/p/dry-fruit-barfi", "/cart",
                 "/my-orders", "/track", "/no-such-page"]:
        visit(page, live_server + path, path, problems)
    visit(page, f"{live_server}/orders/{shop['token']}", "/orders (tracking)", problems)
    visit(page, f"{live_server}/orders/{shop['cancelled_token']}", "/orders (cancelled)",
          problems)
    visit(page, f"{live_server}/orders/{shop['online_token']}", "/orders (awaiting payment)",
          problems)
    visit(page, f"{live_server}/orders/{shop['online_token']}/pay", "/orders/pay", problems)
    page.goto(live_server + "/p/kaju-katli")
    page.get_by_role("button", name="Add to cart").click()
    page.get_by_text("Added 250 g Kaju Katli").wait_for()
    visit(page, "", "/p/kaju-katli (added)", problems)
    visit(page, live_server + "/cart", "/cart (a line)", problems)
    visit(page, live_server + "/checkout", "/checkout", problems)
    page.get_by_role("button", name="Place order").click()  # every field refused
    visit(page, "", "/checkout (errors)", problems)
    page.get_by_label("Name", exact=True).fill("Asha Rao")
    page.get_by_label("Phone").fill("98765 43210")
    page.get_by_label("Delivery address").fill("12 MG Road, Indiranagar")
    page.get_by_label("Pincode").fill("560038")
    page.get_by_role("button", name="Place order").click()
    page.get_by_role("heading", name="Thank you, Asha!").wait_for()
    visit(page, "", "/orders (confirmation)", problems)
    assert problems == {}, "\n".join(f"{page}: {', '.join(found)}"
                                     for page, found in problems.items())


def test_every_admin_tap_target_is_at_least_44px(live_server, phone, shop):
    page, problems = phone, {}
    visit(page, live_server + "/admin/login", "/admin/login", problems)
    page.get_by_label("Email").fill("owner@example.com")
    page.get_by_label("Password").fill("a-long-password-1")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r".*/admin/$"))
    # The menu wraps rather than hiding its last items off the right edge.
    width = page.viewport_size["width"]
    cut = [a.inner_text() for a in page.locator(".admin-nav a").all()
           if (box := a.bounding_box())["x"] < 0 or box["x"] + box["width"] > width]
    assert cut == [], f"admin menu items cut off at {width} px: {cut}"
    for path in ["/admin/", "/admin/orders", f"/admin/orders/{shop['order_id']}",
                 "/admin/products", "/admin/products/new",
                 f"/admin/products/{shop['product_id']}", "/admin/categories",
                 "/admin/settings", "/admin/no-such-page"]:
        visit(page, live_server + path, path, problems)
    assert problems == {}, "\n".join(f"{page}: {', '.join(found)}"
                                     for page, found in problems.items())


def action_row_problems(page) -> list[str]:
    """Buttons in an .actions row: side by side at least 8 px apart, or stacked at one width
    and at least 8 px apart."""
    boxes = [b.bounding_box() for b in page.locator(".actions > .button").all()]
    problems = []
    for a, b in zip(boxes, boxes[1:], strict=False):
        if abs(a["y"] - b["y"]) < 1:  # one row
            if b["x"] - (a["x"] + a["width"]) < 8:
                problems.append(f"side by side {b['x'] - a['x'] - a['width']:.0f} px apart")
        else:
            if b["y"] - (a["y"] + a["height"]) < 8:
                problems.append(f"stacked {b['y'] - a['y'] - a['height']:.0f} px apart")
            if abs(a["width"] - b["width"]) > 1:
                problems.append(f"stacked at {a['width']:.0f} and {b['width']:.0f} px wide")
    return problems if boxes else ["no .actions row"]


@pytest.mark.parametrize("width", [360, 800])
def test_error_and_order_pages_have_an_even_row_of_actions(live_server, browser, shop, width):
    context = browser.new_context(viewport={"width": width, "height": 740})
    page = context.new_page()
    found = {}
    for label, path in [("error", "/no-such-page"), ("order", f"/orders/{shop['token']}")]:
        page.goto(live_server + path)
        if problems := action_row_problems(page):
            found[label] = problems
    context.close()
    assert found == {}
