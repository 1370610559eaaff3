"""axe-core (npm, pinned in package.json) on every storefront and admin page, at phone width:
zero violations. The pages are also checked with an error state where they have one."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from sweetshop.extensions import db
from tests.browser.conftest import CHROMIUM_ARGS, PHONE  # noqa: F401

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture
def shop_with_an_order(app):
    from sweetshop.demo import seed_demo
    from sweetshop.models import Product
    from sweetshop.services.admin_auth import create_or_reset_admin
    from tests.factories import make_order

    with app.app_context():
        seed_demo()
        create_or_reset_admin("owner@example.com", "a-long-password-1")
        kaju = db.session.query(Product).filter_by(name="Kaju Katli").one()
        order = make_order((kaju, "500 g", 1))
        ids = {"order_id": order.id, "token": order.public_token, "product_id": kaju.id}
        db.session.remove()
    return ids


@pytest.fixture
def axe_page(browser):
    if not AXE.exists():
        pytest.fail("node_modules/axe-core is missing: run `make setup`")
    # axe is injected as a script, which our strict CSP would (rightly) refuse.
    context = browser.new_context(viewport=PHONE, bypass_csp=True)
    page = context.new_page()
    yield page
    context.close()


def violations(page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => JSON.stringify((await axe.run(document)).violations)")
    return [{"id": v["id"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"]][:3]} for v in json.loads(result)]


def check(page, url: str, problems: dict) -> None:
    page.goto(url)
    found = violations(page)
    if found:
        problems[url] = found


def test_storefront_pages_have_no_accessibility_violations(live_server, axe_page,
                                                           shop_with_an_order):
    page, problems = axe_page, {}
    for path in ["/", "/c/barfi-katli", "/p/kaju-katli", "/p/dry-fruit-barfi", "/cart",
                 "/my-orders", "/track", "/no-such-page", "/about", "/policies/privacy",
                 "/delivery-check?pincode=110001"]:
        check(page, live_server + path, problems)
    page.goto(live_server + "/p/kaju-katli")
    page.get_by_role("button", name="Add to cart").click()
    page.get_by_text("Added 250 g Kaju Katli").wait_for()
    check(page, live_server + "/cart", problems)
    check(page, live_server + "/checkout", problems)
    page.get_by_role("button", name="Place order").click()  # every field refused
    page.wait_for_load_state()
    found = violations(page)
    if found:
        problems["/checkout (errors)"] = found
    check(page, f"{live_server}/orders/{shop_with_an_order['token']}", problems)
    assert problems == {}, json.dumps(problems, indent=1)


def test_admin_pages_have_no_accessibility_violations(live_server, axe_page, shop_with_an_order):
    page, problems = axe_page, {}
    check(page, live_server + "/admin/login", problems)
    page.get_by_label("Email").fill("owner@example.com")
    page.get_by_label("Password").fill("a-long-password-1")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r".*/admin/$"))
    ids = shop_with_an_order
    for path in ["/admin/", "/admin/orders", f"/admin/orders/{ids['order_id']}",
                 "/admin/products", "/admin/products/new", f"/admin/products/{ids['product_id']}",
                 "/admin/categories", "/admin/settings", "/admin/settings/pages/refunds",
                 "/admin/customers/erase"]:
        check(page, live_server + path, problems)
    assert problems == {}, json.dumps(problems, indent=1)
