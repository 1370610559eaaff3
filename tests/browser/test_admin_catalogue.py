"""The owner on a phone: sign in, add a sweet with packs, add a pack in place, set stock."""
from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

from sweetshop.extensions import db
from sweetshop.models import Category, Product
from tests.admin.helpers import OWNER_EMAIL, OWNER_PASSWORD

SHOTS = os.environ.get("SCREENSHOTS_DIR")  # set it to look at the pages at 360 px


@pytest.fixture
def owner_and_category(app):
    from sweetshop.services.admin_auth import create_or_reset_admin

    with app.app_context():
        create_or_reset_admin(OWNER_EMAIL, OWNER_PASSWORD)
        db.session.add(Category(name="Barfi", slug="barfi", position=1))
        db.session.commit()
        db.session.remove()


def _shot(page, name):
    if SHOTS:
        # caret="initial": hiding the caret would inject a style the CSP (rightly) blocks
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True, caret="initial")


def _stock_of(app, name):
    with app.app_context():
        value = db.session.query(Product.stock).filter_by(name=name).scalar()
        db.session.remove()
        return value


def test_owner_adds_a_sweet_a_pack_and_stock_on_a_phone(phone, live_server, app,
                                                       owner_and_category):
    page = phone
    page.goto(live_server + "/admin/login?next=/admin/products")
    page.get_by_label("Email").fill(OWNER_EMAIL)
    page.get_by_label("Password").fill(OWNER_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="New product").click()

    page.get_by_label("Name", exact=True).fill("Kaju Katli")
    page.get_by_label("Description").fill("Cashew fudge with silver leaf.")
    page.get_by_label("Category").select_option(label="Barfi")
    page.get_by_label("Weight").check()
    page.get_by_label("Low-stock threshold").fill("1000")
    page.get_by_label("Pack name").first.fill("250 g")
    page.get_by_label("Quantity").first.fill("250")
    page.get_by_label("Price (₹)").first.fill("300")
    page.get_by_role("button", name="Add pack").click()
    expect(page.get_by_label("Pack name")).to_have_count(2)
    expect(page.get_by_label("Pack name").first).to_have_value("250 g")  # kept as typed
    page.get_by_label("Pack name").nth(1).fill("500 g")
    page.get_by_label("Quantity").nth(1).fill("500")
    page.get_by_label("Price (₹)").nth(1).fill("580.50")
    _shot(page, "1-new-product")
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.get_by_role("heading", name="Kaju Katli", level=1)).to_be_visible()
    expect(page.get_by_text("Kaju Katli is saved.")).to_be_visible()

    # A third pack, added in place: the page does not reload, the packs section is swapped.
    page.evaluate("window.__same_page = true")
    new_pack = page.locator(".pack-new")
    new_pack.get_by_label("Pack name").fill("1 kg")
    new_pack.get_by_label("Quantity").fill("1000")
    new_pack.get_by_label("Price (₹)").fill("1150")
    new_pack.get_by_role("button", name="Add pack").click()
    expect(page.get_by_role("status").filter(has_text="Added the pack 1 kg.")).to_be_visible()
    expect(page.locator(".pack-edit")).to_have_count(3)
    page.get_by_role("button", name="Move 1 kg up").click()
    expect(page.locator(".pack-edit .pack-title strong").nth(1)).to_have_text("1 kg")
    assert page.evaluate("window.__same_page") is True

    # Stock in kilograms, with a reason; the ledger shows it without a reload.
    stock = page.locator("#stock")
    stock.get_by_label("Stock", exact=True).fill("2.5")
    stock.get_by_label("Reason").select_option(label="Fresh batch")
    stock.get_by_role("button", name="Update stock").click()
    expect(page.get_by_role("status").filter(has_text="now 2.5 kg")).to_be_visible()
    expect(page.locator("#ledger")).to_contain_text("+2.5 kg")
    expect(page.locator("#ledger")).to_contain_text(OWNER_EMAIL)
    assert page.evaluate("window.__same_page") is True
    assert _stock_of(app, "Kaju Katli") == 2500
    _shot(page, "2-product-page")

    # Taking off more than there is: refused next to the field, nothing changes.
    stock = page.locator("#stock")
    stock.get_by_label("Change").select_option(label="Take off")
    stock.get_by_label("Stock", exact=True).fill("3")
    stock.get_by_label("Reason").select_option(label="Wastage")
    stock.get_by_role("button", name="Update stock").click()
    expect(page.locator("#stock .field-error")).to_contain_text("Only 2.5 kg in stock")
    assert _stock_of(app, "Kaju Katli") == 2500

    page.get_by_role("link", name="Products").click()
    expect(page.locator(".prow")).to_contain_text("2.5 kg")
    page.get_by_text("Change stock").click()
    _shot(page, "3-products-list")
    unexpected = [e for e in page.console_errors if "status of 422" not in e]  # the refusal
    assert not unexpected, unexpected

    page.goto(live_server + "/")
    expect(page.get_by_role("link", name="Kaju Katli")).to_be_visible()


def test_categories_page_at_phone_width(phone, live_server, owner_and_category):
    page = phone
    page.goto(live_server + "/admin/login?next=/admin/categories")
    page.get_by_label("Email").fill(OWNER_EMAIL)
    page.get_by_label("Password").fill(OWNER_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.locator(".cat-new").get_by_label("Category name").fill("Ladoo")
    page.get_by_role("button", name="Add category").click()
    expect(page.get_by_role("status").filter(has_text="Added Ladoo.")).to_be_visible()
    page.get_by_role("button", name="Move Ladoo up").click()
    expect(page.locator(".cat-list li").first.get_by_label("Category name")).to_have_value("Ladoo")
    _shot(page, "4-categories")
    page_width = page.evaluate("document.documentElement.scrollWidth")
    assert page_width <= 360, "the page scrolls sideways at 360 px"
    assert not page.console_errors, page.console_errors
