"""Issue 13, the owner's side: address, FSSAI, WhatsApp, theme colour (AA checked), logo,
policy pages, and Delete customer data (logged, orders keep what tax law needs)."""
from __future__ import annotations

import io

from sweetshop.extensions import db
from sweetshop.models import DataErasure, Order, RememberedDevice, ShopSettings
from tests.admin.helpers import token_from
from tests.factories import make_order, make_product
from tests.photo_fixtures import local_photos, photo_bytes  # noqa: F401

BASE = {"name": "Mithaas Sweets", "phone": "98765 43210", "is_open": "open",
        "delivery_fee_paise": "40", "free_delivery_above_paise": "999",
        "min_order_paise": "0", "cod_max_paise": "0", "serviceable_pincodes": "",
        "owner_phones": ""}


def _post(owner_client, **values):
    data = {**BASE, "csrf_token": token_from(owner_client, "/admin/settings"), **values}
    return owner_client.post("/admin/settings", data=data)


def test_the_owner_sets_address_fssai_whatsapp_and_colour(owner_client, in_db):
    saved = _post(owner_client, address="14, 2nd Cross\r\nChickpet  Bengaluru",
                  fssai_number="1122 4999 0001 23", whatsapp_number="98123 45678",
                  theme_color="#1E4D2B", tagline="Fresh every morning")
    assert saved.status_code == 303
    s = in_db(lambda: db.session.get(ShopSettings, 1))
    assert (s.address, s.fssai_number, s.whatsapp_number, s.theme_color) == (
        "14, 2nd Cross\nChickpet Bengaluru", "11224999000123", "+919812345678", "#1e4d2b")


def test_a_light_colour_or_a_short_fssai_is_refused_and_nothing_is_saved(owner_client, in_db):
    light = _post(owner_client, name="Changed", theme_color="#f4c430")
    assert light.status_code == 422 and "too light" in light.get_data(as_text=True)
    short = _post(owner_client, name="Changed", fssai_number="12345")
    assert short.status_code == 422 and "14 digits" in short.get_data(as_text=True)
    assert in_db(lambda: db.session.get(ShopSettings, 1).name) != "Changed"


def test_the_owner_uploads_a_logo_and_it_shows_in_the_header(owner_client, client, in_db,
                                                             local_photos):  # noqa: F811
    token = token_from(owner_client, "/admin/settings")
    up = owner_client.post("/admin/settings/logo", content_type="multipart/form-data", data={
        "csrf_token": token, "logo": (io.BytesIO(photo_bytes("PNG", size=(400, 400))), "l.png")})
    assert up.status_code == 303
    key = in_db(lambda: db.session.get(ShopSettings, 1).logo_key)
    assert key and key.endswith(".png")
    assert f'class="logo" src="/media/{key.removeprefix("local:")}"' in client.get("/").get_data(
        as_text=True)
    bad = owner_client.post("/admin/settings/logo", content_type="multipart/form-data", data={
        "csrf_token": token, "logo": (io.BytesIO(b"<svg/>"), "l.png")})
    assert bad.status_code == 422 and "not a JPEG, PNG or WebP" in bad.get_data(as_text=True)


def test_the_owner_edits_a_policy_page(owner_client, client):
    page = owner_client.get("/admin/settings/pages/delivery")
    assert page.status_code == 200 and "We deliver ourselves" in page.get_data(as_text=True)
    saved = owner_client.post("/admin/settings/pages/delivery", data={
        "csrf_token": token_from(owner_client, "/admin/settings/pages/delivery"),
        "body": "Same day within 5 km."})
    assert saved.status_code == 303
    assert "<p>Same day within 5 km.</p>" in client.get("/policies/delivery").get_data(
        as_text=True)
    assert client.get("/admin/settings/pages/delivery").status_code == 303  # owners only


def test_delete_customer_data_erases_personal_fields_keeps_tax_fields_and_logs(
        owner_client, in_db, client):
    def build():
        kaju = make_product("Kaju Katli", stock=5000)
        order = make_order((kaju, "500 g", 1))
        from sweetshop.models import OrderStatus
        order.status = OrderStatus.DELIVERED
        db.session.add(RememberedDevice(token_hash="x" * 64, phone="+919876543210"))
        db.session.commit()
        return order.id
    order_id = in_db(build)
    assert client.get("/admin/customers/erase").status_code == 303  # owners only
    token = token_from(owner_client, "/admin/customers/erase")
    unconfirmed = owner_client.post("/admin/customers/erase", data={
        "csrf_token": token, "phone": "98765 43210"})
    assert unconfirmed.status_code == 422
    done = owner_client.post("/admin/customers/erase", data={
        "csrf_token": token, "phone": "98765 43210", "confirm": "yes"})
    assert done.status_code == 303
    order = in_db(lambda: db.session.get(Order, order_id))
    assert (order.customer_name, order.phone, order.address, order.note) == ("", "", "", "")
    assert order.total_paise == 58000 and order.pincode == "560038" and order.number == 1001
    assert in_db(lambda: RememberedDevice.query.count()) == 0
    log = in_db(lambda: DataErasure.query.one())
    assert log.phone_hint == "10" and log.orders_erased == 1 and "9876543210" not in log.phone_digest
    assert "…10" in owner_client.get("/admin/customers/erase").get_data(as_text=True)


def test_an_order_still_on_its_way_blocks_the_erasure(owner_client, in_db):
    in_db(lambda: make_order((make_product("Kaju Katli", stock=5000), "500 g", 1)))
    refused = owner_client.post("/admin/customers/erase", data={
        "csrf_token": token_from(owner_client, "/admin/customers/erase"),
        "phone": "98765 43210", "confirm": "yes"})
    assert refused.status_code == 422 and "still on its way" in refused.get_data(as_text=True)
    assert in_db(lambda: Order.query.one().customer_name) == "Asha Rao"
