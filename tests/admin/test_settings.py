"""Shop settings: the owner's page, its checks, and checkout applying every setting.

The checkout tests change the settings through the owner's page (not the database), then
shop in another browser, so they prove the whole path from the form to the order.
"""
from __future__ import annotations

import html as html_lib
import re

import pytest

from sweetshop.extensions import db
from sweetshop.models import Order, ShopSettings
from tests.admin.helpers import post_form
from tests.factories import make_product
from tests.views.conftest import VALID_CHECKOUT, Shopper, Sweet

GOOD = {
    "name": "Mithaas Sweets",
    "phone": "98765 43210",
    "is_open": "open",
    "delivery_fee_paise": "40",
    "free_delivery_above_paise": "0",
    "min_order_paise": "0",
    "serviceable_pincodes": "",
}
# The COD limit lives on the cash-on-delivery screen with the other COD settings.
GOOD_COD = {"cod_max_paise": "0", "cod_max_refusals": "2", "cod_autocancel_hours": "0",
            "cod_fee_paise": "0", "prepaid_discount_paise": "0", "upi_vpa": ""}


def field_error(html: str, field: str) -> str | None:
    match = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', html)
    return html_lib.unescape(match.group(1)) if match else None


@pytest.fixture
def saved(in_db):
    """The settings row as stored, read through a fresh session."""
    def read():
        row = db.session.get(ShopSettings, 1)
        return None if row is None else {
            c.name: getattr(row, c.name) for c in ShopSettings.__table__.columns}
    return lambda: in_db(read)


@pytest.fixture
def save_settings(owner_client):
    def save(**changes):
        cod = {k: changes.pop(k) for k in list(changes) if k in GOOD_COD}
        response = post_form(owner_client, "/admin/settings", {**GOOD, **changes})
        assert response.status_code == 303, response.get_data(as_text=True)
        if cod:
            response = post_form(owner_client, "/admin/settings/cod", {**GOOD_COD, **cod})
            assert response.status_code == 303, response.get_data(as_text=True)
        return response
    return save


# --- the settings page ----------------------------------------------------------------------

def test_saving_stores_rupees_as_paise_and_the_phone_in_e164(owner_client, saved):
    response = post_form(owner_client, "/admin/settings", {
        **GOOD, "phone": "098765-43210", "is_open": "closed", "delivery_fee_paise": "40.50",
        "free_delivery_above_paise": "₹1,500", "min_order_paise": "250.5",
        "serviceable_pincodes": "560001, 560002\n560038 560001",
    })
    assert response.status_code == 303
    assert "Settings saved." in owner_client.get(response.headers["Location"]).get_data(
        as_text=True)
    assert post_form(owner_client, "/admin/settings/cod", {
        **GOOD_COD, "cod_max_paise": " 3000 "}).status_code == 303
    row = saved()
    assert (row["name"], row["phone"], row["is_open"]) == ("Mithaas Sweets", "+919876543210",
                                                           False)
    assert (row["delivery_fee_paise"], row["free_delivery_above_paise"], row["min_order_paise"],
            row["cod_max_paise"]) == (4050, 150000, 25050, 300000)
    assert row["serviceable_pincodes"] == "560001, 560002, 560038"


def test_the_page_shows_the_saved_values_in_rupees(owner_client, save_settings):
    save_settings(delivery_fee_paise="40.50", min_order_paise="300",
                  serviceable_pincodes="560001 560002")
    html = owner_client.get("/admin/settings").get_data(as_text=True)
    assert 'value="40.50"' in html and 'value="300"' in html
    assert "560001, 560002</textarea>" in html
    assert re.search(r'value="open"[^>]*checked|checked[^>]*value="open"', html)
    for label in ("Shop name", "Shop phone", "Open", "Closed", "Delivery fee (₹)",
                  "Free delivery from (₹)", "Minimum order (₹)", "Delivery pincodes"):
        assert label in html
    assert "Cash on delivery up to (₹)" in owner_client.get("/admin/settings/cod").get_data(
        as_text=True)


@pytest.mark.parametrize("field, value, message", [
    ("delivery_fee_paise", "-5", "₹0 or more"),
    ("delivery_fee_paise", "forty", "in rupees"),
    ("min_order_paise", "40.555", "in rupees"),
    ("free_delivery_above_paise", "99999999", "between ₹0 and ₹10,00,000"),
    ("min_order_paise", "1" * 40, "in rupees"),
    ("phone", "12345", "valid Indian mobile"),
    ("phone", "+1 415 555 2671", "valid Indian mobile"),
    ("name", "   ", "shop's name"),
    ("name", "x" * 81, "under 80"),
    ("is_open", "maybe", "valid choice"),
])
def test_a_bad_value_is_a_422_by_its_field_and_saves_nothing(owner_client, saved, field, value,
                                                             message):
    before = saved()
    response = post_form(owner_client, "/admin/settings", {**GOOD, field: value})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in (field_error(html, field) or ""), html
    assert "Nothing was saved" in html
    assert saved() == before


def test_bad_pincodes_are_listed_in_the_message(owner_client, saved):
    response = post_form(owner_client, "/admin/settings", {
        **GOOD, "serviceable_pincodes": "560001, 5600, abcdef\n012345, 5600381, 560002"})
    assert response.status_code == 422
    message = field_error(response.get_data(as_text=True), "serviceable_pincodes")
    assert message == "These are not 6-digit pincodes: 5600, abcdef, 012345, 5600381."
    assert (saved() or {}).get("serviceable_pincodes", "") == ""


def test_what_was_typed_comes_back_when_refused(owner_client):
    response = post_form(owner_client, "/admin/settings",
                         {**GOOD, "delivery_fee_paise": "forty", "min_order_paise": "250.5"})
    html = response.get_data(as_text=True)
    assert 'value="forty"' in html and 'value="250.5"' in html


def test_settings_without_the_csrf_token_are_refused(owner_client, saved):
    before = saved()
    response = owner_client.post("/admin/settings", data={**GOOD, "name": "Hijacked"})
    assert response.status_code == 400
    assert saved() == before


def test_the_storefront_shows_the_new_name_and_that_the_shop_is_closed(client, save_settings):
    save_settings(name="Mithaas Sweets", is_open="closed")
    html = client.get("/").get_data(as_text=True)
    assert "Mithaas Sweets" in html and "We are closed for orders" in html


# --- checkout applies every setting ---------------------------------------------------------

@pytest.fixture
def kaju(in_db) -> Sweet:
    def build():
        p = make_product("Kaju Katli", stock=4000)
        return Sweet(p.id, p.name, p.slug, p.category.slug, {v.name: v.id for v in p.variants})
    return in_db(build)


@pytest.fixture
def shopper(app, kaju) -> Shopper:
    """A customer in their own browser with 2 × 500 g Kaju Katli (₹1,160) in the cart."""
    shopper = Shopper(app.test_client())
    shopper.add(kaju, "500 g", quantity=2)
    return shopper


@pytest.fixture
def orders(in_db):
    return lambda: in_db(lambda: [(o.subtotal_paise, o.delivery_fee_paise, o.total_paise)
                                  for o in db.session.query(Order)])


def check_out(shopper: Shopper, form=None, **changes):
    return shopper.client.post("/checkout", data={**VALID_CHECKOUT, **changes,
                                                  **(form or shopper.checkout_form())})


def test_a_closed_shop_refuses_checkout(shopper, save_settings, orders):
    form = shopper.checkout_form()  # the customer was on the form when the shop closed
    save_settings(is_open="closed")
    response = check_out(shopper, form)
    assert response.status_code == 409
    assert "closed for orders" in response.get_data(as_text=True)
    assert orders() == []
    assert shopper.client.get("/checkout").status_code == 303  # and cannot start again

    save_settings(is_open="open")
    assert check_out(shopper).status_code == 303
    assert len(orders()) == 1


def test_a_pincode_outside_the_delivery_area_is_refused_by_the_pincode_field(
        shopper, save_settings, orders):
    save_settings(serviceable_pincodes="560001, 560002")
    response = check_out(shopper, pincode="560038")
    assert response.status_code == 422
    assert "we do not deliver to 560038" in field_error(response.get_data(as_text=True),
                                                        "pincode")
    assert orders() == []
    assert check_out(shopper, pincode="560002").status_code == 303
    assert len(orders()) == 1


def test_an_order_below_the_minimum_is_refused(shopper, save_settings, orders):
    form = shopper.checkout_form()
    save_settings(min_order_paise="1200")
    response = check_out(shopper, form)
    assert response.status_code == 409
    assert "The smallest order we can deliver is ₹1,200." in response.get_data(as_text=True)
    assert orders() == []

    save_settings(min_order_paise="1160")  # exactly the minimum is fine
    assert check_out(shopper).status_code == 303
    assert len(orders()) == 1


@pytest.mark.parametrize("free_from, fee", [("1000", 0), ("1160", 0), ("1160.01", 4000),
                                            ("0", 4000)])
def test_delivery_is_free_from_the_amount_set(shopper, save_settings, orders, free_from, fee):
    save_settings(delivery_fee_paise="40", free_delivery_above_paise=free_from)
    assert check_out(shopper).status_code == 303
    assert orders() == [(116000, fee, 116000 + fee)]


def test_cash_on_delivery_above_its_limit_is_refused_by_the_payment_field(
        shopper, save_settings, orders):
    save_settings(delivery_fee_paise="40", cod_max_paise="1000")
    response = check_out(shopper)
    assert response.status_code == 422
    assert "Cash on delivery is available for orders up to ₹1,000." in field_error(
        response.get_data(as_text=True), "payment_method")
    assert orders() == []

    save_settings(delivery_fee_paise="40", cod_max_paise="1200")  # ₹1,160 + ₹40 delivery
    assert check_out(shopper).status_code == 303
    assert orders() == [(116000, 4000, 120000)]
