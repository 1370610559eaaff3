"""The checkout's how-and-when, with and without htmx, and the kitchen's pages."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from sweetshop.extensions import db
from sweetshop.models import Order
from sweetshop.services import cart as cart_service
from sweetshop.services.checkout import CustomerDetails, new_idempotency_key, place_order
from tests.factories import make_product, variant_named
from tests.slots.helpers import set_settings, slot_value, today_ist
from tests.sql_statements import counting_statements

KITCHEN_PAGES = ["/admin/hours", "/admin/preorders", "/admin/kitchen",
                 "/admin/kitchen/production.csv", "/admin/kitchen/slips"]


@pytest.fixture
def cart(in_db, client):
    token = in_db(lambda: cart_service.add_to_cart(
        None, variant_named(make_product("Kaju Katli", stock=5000), "500 g").id, 1)[0])
    client.set_cookie("cart", token)
    return token


def hidden(html: str) -> dict:
    return dict(re.findall(r'name="(csrf_token|idempotency_key|basket)"[^>]*value="([^"]*)"', html))


@pytest.mark.parametrize("slot_minutes", [240, 15])  # 3 slots a day or 48
def test_the_slot_list_makes_the_same_queries_for_few_or_many_slots(app, client, in_db, cart,
                                                                    slot_minutes):
    in_db(lambda: set_settings(slot_minutes=slot_minutes, slot_max_orders=5))
    client.get("/checkout")
    with counting_statements(app) as statements:
        html = client.get("/checkout").get_data(as_text=True)
    assert html.count('name="slot"') >= 3
    assert len(statements) <= 10, "\n".join(statements)


def test_pickup_for_a_slot_is_placed_without_an_address(app, client, in_db, cart):
    in_db(lambda: set_settings(address="14 Chandni Chowk, Delhi"))
    page = client.get("/checkout").get_data(as_text=True)
    assert "Pickup from the shop" in page and "14 Chandni Chowk" in page
    response = client.post("/checkout", data={
        **hidden(page), "name": "Asha Rao", "phone": "98765 43210", "payment_method": "cod",
        "fulfilment": "pickup", "slot": slot_value(2, 17), "day": slot_value(2, 17)[:10]})
    assert response.status_code == 303, response.get_data(as_text=True)
    order = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Pickup on" in order and "5–7 pm" in order and "14 Chandni Chowk" in order


def test_choosing_a_day_swaps_in_its_slots_with_htmx_and_shows_them_without(client, cart):
    day = (today_ist() + timedelta(days=3)).isoformat()
    fragment = client.get(f"/checkout/times?fulfilment=delivery&day={day}",
                          headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    html = fragment.get_data(as_text=True)
    assert "<html" not in html and f'value="{day}T11:00"' in html
    page = client.get("/checkout").get_data(as_text=True)
    no_js = client.post("/checkout", data={**hidden(page), "show": "times", "day": day,
                                           "name": "Asha"})
    assert no_js.status_code == 200 and f'value="{day}T11:00"' in no_js.get_data(as_text=True)


def test_a_full_slot_is_refused_next_to_the_field(app, client, in_db, cart):
    def fill():
        set_settings(slot_max_orders=1)
        other = cart_service.add_to_cart(None, variant_named(
            make_product("Barfi", stock=5000), "500 g").id, 1)[0]
        place_order(other, CustomerDetails(
            name="B", phone="+919876500001", address="12 MG Road, Bengaluru", pincode="560038",
            slot=slot_value(2, 11)), new_idempotency_key())
    in_db(fill)
    page = client.get("/checkout").get_data(as_text=True)
    response = client.post("/checkout", data={
        **hidden(page), "name": "Asha Rao", "phone": "98765 43210", "payment_method": "cod",
        "address": "12 MG Road, Indiranagar", "pincode": "560038", "slot": slot_value(2, 11)})
    assert response.status_code == 422
    assert 'id="slot-error"' in response.get_data(as_text=True)
    assert in_db(lambda: db.session.query(Order).count()) == 1


@pytest.mark.parametrize("path", KITCHEN_PAGES)
def test_kitchen_pages_need_a_signed_in_admin(client, path):
    assert client.get(path).status_code == 303


@pytest.mark.parametrize("path", KITCHEN_PAGES)
def test_kitchen_pages_open_for_the_owner(owner_client, path):
    assert owner_client.get(path).status_code == 200


def test_the_owner_saves_hours_and_a_window(owner_client, in_db):
    page = owner_client.get("/admin/hours").get_data(as_text=True)
    token = hidden(page)["csrf_token"]
    form = {"csrf_token": token, **{f"hours_{d}": "9:00-13:00, 16:00-21:00" for d in range(6)},
            "hours_6": "closed", "slot_minutes": "120", "booking_days": "7",
            "min_notice_minutes": "120", "asap_minutes": "45", "slot_max_orders": "10",
            "slot_max_kg": "20", "delivery_enabled": "on", "pickup_enabled": "on",
            "address": "14 Chandni Chowk, Delhi", "asap_enabled": "on"}
    assert owner_client.post("/admin/hours", data=form).status_code == 303
    bad = owner_client.post("/admin/hours", data={**form, "hours_0": "21-9"})
    assert bad.status_code == 422 and "ends before it starts" in bad.get_data(as_text=True)
    today = today_ist()
    window = {"csrf_token": token, "name": "Diwali 2026", "orders_from": today.isoformat(),
              "first_day": (today + timedelta(days=5)).isoformat(),
              "last_day": (today + timedelta(days=8)).isoformat(), "capacity_kg": "40",
              "order_by": "14:00", "advance_percent": "50", "active": "on"}
    assert owner_client.post("/admin/preorders", data=window).status_code == 303
