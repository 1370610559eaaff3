"""A customer on a phone fills a 1 kg assorted box with four sweets, adds it with a 500 g
Kaju Katli pack and checks out, JavaScript on and off; the owner sees the box and its parts,
every sweet's stock went down by exactly its grams, one ledger row per sweet."""
from __future__ import annotations

import os
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from sweetshop.demo import seed_demo
from sweetshop.extensions import db
from sweetshop.models import Order, Product, StockMovement
from sweetshop.services.admin_auth import create_or_reset_admin
from tests.boxes.helpers import make_box_type

EMAIL, PASSWORD = "owner@mithaas.example", "correct horse battery"
FOUR = ("Kaju Katli", "Milk Cake", "Motichoor Laddoo", "Besan Laddoo")
SHOTS = os.environ.get("BOX_SCREENSHOTS")  # a folder: save screenshots there to look at


@pytest.fixture
def box_shop(app):
    with app.app_context():
        seed_demo()
        create_or_reset_admin(EMAIL, PASSWORD)
        sweets = list(db.session.scalars(select(Product).where(Product.name.in_(
            [*FOUR, "Dry Fruit Barfi"]))))
        make_box_type(sweets, min_sweets=2, box_charge_paise=0)
        stock = {p.name: p.stock for p in sweets}
        db.session.remove()
    return stock


def shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def _fill_box_and_check_out(page, base, *, javascript: bool, tag: str):
    page.goto(base + "/")
    page.get_by_role("link", name="Assorted gift box").click()
    expect(page.get_by_role("heading", name="Assorted gift box", level=1)).to_be_visible()
    expect(page.get_by_text("Filled 0 of 1000 g")).to_be_visible()
    # Dry Fruit Barfi is out of stock: it cannot be chosen
    expect(page.get_by_label("Dry Fruit Barfi")).to_be_disabled()
    add = page.get_by_role("button", name="Add box to cart")
    expect(add).to_be_disabled()
    update = page.get_by_role("button", name="Update box")
    if javascript:
        expect(update).to_be_hidden()
    for n, name in enumerate(FOUR, start=1):
        page.get_by_label(name).select_option(label="1 × 250 g")
        if javascript and n == 3:  # fill and price swap in place
            expect(page.locator("#box-status")).to_contain_text("Filled 750 of 1000 g")
            expect(add).to_be_disabled()
    page.get_by_label("Gift message (optional)").fill("Happy Diwali, Meera!")
    if not javascript:
        update.click()
    expect(page.locator("#box-status")).to_contain_text("Filled 1000 of 1000 g")
    expect(page.locator("#box-status")).to_contain_text("₹748")  # (1150+680+560+600)/4
    expect(add).to_be_enabled()
    shot(page, f"{tag}-1-builder-full")
    add.click()
    if javascript:
        expect(page.get_by_role("status").filter(has_text="Added Assorted gift box")).to_be_visible()
    else:
        expect(page.get_by_role("heading", name="Your cart")).to_be_visible()

    page.goto(base + "/")
    page.get_by_role("link", name="Kaju Katli").click()
    page.get_by_role("radio", name="500 g").check()
    page.get_by_role("button", name="Add to cart").click()
    if javascript:
        expect(page.get_by_role("link", name=re.compile(r"^Cart"))).to_contain_text("2")
    page.get_by_role("link", name=re.compile(r"^Cart")).click()
    expect(page.locator(".line-box")).to_contain_text("In each box: Kaju Katli 250 g")
    expect(page.locator(".line-box")).to_contain_text("Happy Diwali, Meera!")
    page.get_by_role("button", name="More boxes").click()
    expect(page.locator(".line-box .qty-value")).to_have_text("2")
    expect(page.locator(".totals .total")).to_contain_text("₹2,076")  # 2 × 748 + 580
    page.get_by_role("button", name="Fewer boxes").click()
    expect(page.locator(".line-box .qty-value")).to_have_text("1")
    expect(page.locator(".totals .total")).to_contain_text("₹1,328")
    shot(page, f"{tag}-2-cart")

    page.get_by_role("link", name="Checkout").click()
    page.get_by_label("Name", exact=True).fill("Asha Rao")
    page.get_by_label("Phone").fill("+91-98765-43210")
    page.get_by_label("Delivery address").fill("12 MG Road, Indiranagar, Bengaluru")
    page.get_by_label("Pincode").fill("560038")
    page.get_by_role("radio", name="Cash on delivery").check()
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_role("heading", name="Thank you, Asha!")).to_be_visible()
    expect(page.locator(".summary-lines")).to_contain_text("Besan Laddoo 250 g")
    shot(page, f"{tag}-3-thanks")


def _owner_sees_the_parts(page, base, tag):
    page.goto(base + "/admin/login")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(base + "/admin/orders")
    page.get_by_role("link", name=re.compile("#1001")).first.click()
    expect(page.locator("#items-heading + .summary-lines")).to_contain_text(
        "In each box: Kaju Katli 250 g, Milk Cake 250 g")
    expect(page.get_by_text("Happy Diwali, Meera!")).to_be_visible()
    shot(page, f"{tag}-4-admin-order")
    page.get_by_role("link", name="Packing slip").click()
    expect(page.locator(".slip-number")).to_have_text("#1001")
    shot(page, f"{tag}-5-slip")


def _stock_went_down_by_exactly_its_grams(app, before):
    with app.app_context():
        order = db.session.scalars(select(Order)).one()
        after = {p.name: p.stock for p in db.session.scalars(select(Product).where(
            Product.name.in_(FOUR)))}
        assert after == {"Kaju Katli": before["Kaju Katli"] - 750,
                         "Milk Cake": before["Milk Cake"] - 250,
                         "Motichoor Laddoo": before["Motichoor Laddoo"] - 250,
                         "Besan Laddoo": before["Besan Laddoo"] - 250}
        rows = db.session.scalars(select(StockMovement).where(
            StockMovement.order_id == order.id)).all()
        assert sorted((m.product.name, m.change) for m in rows) == sorted(
            [("Kaju Katli", -750), ("Milk Cake", -250), ("Motichoor Laddoo", -250),
             ("Besan Laddoo", -250)])
        db.session.remove()


def test_a_box_and_a_pack_checked_out_with_javascript(phone, live_server, box_shop, app):
    _fill_box_and_check_out(phone, live_server, javascript=True, tag="js")
    _owner_sees_the_parts(phone, live_server, "js")
    _stock_went_down_by_exactly_its_grams(app, box_shop)
    assert phone.console_errors == []


def test_a_box_and_a_pack_checked_out_without_javascript(phone_without_js, live_server,
                                                         box_shop, app):
    _fill_box_and_check_out(phone_without_js, live_server, javascript=False, tag="nojs")
    _owner_sees_the_parts(phone_without_js, live_server, "nojs")
    _stock_went_down_by_exactly_its_grams(app, box_shop)
