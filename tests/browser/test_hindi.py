"""Issue 12's "done when", in Chromium at 360 px: a customer switches to Hindi, searches
"लड्डू", finds both laddoos, orders and is written to in Hindi; another types "kaju kalti"
and finds Kaju Katli. With JavaScript on and off; axe finds nothing on the Hindi pages."""
from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from sweetshop.extensions import db
from tests.browser.conftest import PHONE
from tests.browser.test_accessibility import AXE, violations


@pytest.fixture
def demo_shop(app):
    from sweetshop.demo import seed_demo

    with app.app_context():
        seed_demo()
        db.session.remove()


def _hindi_order(page, server: str, *, javascript: bool) -> None:
    page.goto(server + "/")
    page.get_by_role("link", name="हिन्दी").click()
    expect(page.locator("html")).to_have_attribute("lang", "hi-IN")
    expect(page.get_by_role("heading", name="सभी मिठाइयाँ")).to_be_visible()

    search = page.get_by_role("searchbox", name="मिठाई खोजें")
    search.fill("लड्डू")
    search.press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q="))
    results = page.locator("#search-results")
    expect(results.get_by_role("link", name="मोतीचूर लड्डू")).to_be_visible()
    expect(results.get_by_role("link", name="बेसन लड्डू")).to_be_visible()
    if javascript:  # on the search page, typing updates the results in place
        page.get_by_role("searchbox", name="मिठाई खोजें").fill("kaju kalti")
        expect(results.get_by_role("link", name="काजू कतली")).to_be_visible()
        expect(page).to_have_url(re.compile(r"q=kaju\+kalti|q=kaju%20kalti"))
        page.go_back()
        page.goto(server + "/search?q=" + "लड्डू")

    page.locator("#search-results").get_by_role("link", name="मोतीचूर लड्डू").click()
    expect(page.get_by_role("heading", name="मोतीचूर लड्डू")).to_be_visible()
    page.get_by_role("radio", name="500 ग्राम").check()
    page.get_by_role("button", name="कार्ट में डालें").click()
    expect(page.get_by_role("status").filter(has_text="आपके कार्ट में डाल दी गई")).to_be_visible()
    page.locator("a.cart-link").click()
    page.get_by_role("link", name="ऑर्डर करें").click()
    page.get_by_label("नाम", exact=True).fill("आशा राव")
    page.get_by_label("फ़ोन").fill("९८७६५ ४३२१०")  # Devanagari digits
    page.get_by_label("डिलीवरी का पता").fill("12 एमजी रोड, इंदिरानगर, बेंगलुरु")
    page.get_by_label("पिनकोड").fill("५६००३८")
    page.get_by_role("button", name="ऑर्डर करें").click()
    expect(page.get_by_role("heading", name="धन्यवाद, आशा!")).to_be_visible()
    expect(page.get_by_text("₹330", exact=True)).to_be_visible()  # 290 + 40 delivery


def _messages(app) -> dict[str, str]:
    from sweetshop.models import Notification

    with app.app_context():
        rows = {n.kind: n.body for n in db.session.query(Notification)}
        db.session.remove()
    return rows


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_customer_orders_in_hindi_and_is_written_to_in_hindi(app, live_server, browser,
                                                              demo_shop, javascript):
    context = browser.new_context(viewport=PHONE, java_script_enabled=javascript,
                                  locale="en-IN", is_mobile=True, has_touch=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        _hindi_order(page, live_server, javascript=javascript)
    finally:
        context.close()
    placed = _messages(app)["order_placed"]
    assert "धन्यवाद! ऑर्डर #" in placed and "डिलीवरी पर नकद" in placed


def test_kaju_kalti_finds_kaju_katli_in_english_without_javascript(live_server, phone_without_js,
                                                                   demo_shop):
    page = phone_without_js
    page.goto(live_server + "/")
    page.get_by_role("searchbox", name="Search sweets").fill("kaju kalti")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.locator("#search-results").get_by_role("link", name="Kaju Katli")).to_be_visible()


def test_hindi_pages_have_no_accessibility_violations(live_server, browser, demo_shop):
    if not AXE.exists():
        pytest.fail("node_modules/axe-core is missing: run `make setup`")
    context = browser.new_context(viewport=PHONE, bypass_csp=True)
    context.add_cookies([{"name": "lang", "value": "hi", "url": live_server}])
    page = context.new_page()
    problems = {}
    for path in ["/", "/c/laddoo", "/p/kaju-katli", "/search?q=लड्डू", "/search?q=rasmalai",
                 "/cart", "/my-orders", "/track", "/no-such-page"]:
        page.goto(live_server + path)
        found = violations(page)
        if found:
            problems[path] = found
    context.close()
    assert problems == {}, json.dumps(problems, indent=1, ensure_ascii=False)
