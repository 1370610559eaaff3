"""Issue 13, returning customers: opt-in "Remember me next time" (a signed
random token, never the address in the cookie), saved addresses, Forget me, and a
verified My orders phone prefilling checkout."""
from __future__ import annotations

from sweetshop.models import Order, RememberedDevice
from sweetshop.services import returning


def _order(client, shopper, sweet, details, **extra):
    shopper.add(sweet, "500 g")
    return client.post("/checkout", data={**details, **shopper.checkout_form(), **extra})


def test_remembered_phone_prefills_name_phone_and_saved_addresses(
        client, shopper, make_sweet, checkout_details, in_db):
    kaju = make_sweet("Kaju Katli", stock=5000)
    first = _order(client, shopper, kaju, checkout_details, remember="y")
    assert first.status_code == 303
    cookie = client.get_cookie(returning.COOKIE)
    assert cookie is not None and cookie.http_only
    assert "MG Road" not in cookie.value and "98765" not in cookie.value
    assert in_db(lambda: RememberedDevice.query.count()) == 1
    shopper.add(kaju, "500 g")
    page = client.get("/checkout").get_data(as_text=True)
    assert "Welcome back, Asha Rao." in page and 'value="Asha Rao"' in page
    assert "12 MG Road, Indiranagar, Bengaluru, 560038" in page
    assert "Remember me next time" not in page and "Forget me" in page
    # choosing the saved address: its text comes from the server, whatever is posted
    fields = shopper.checkout_form()
    again = client.post("/checkout", data={
        **fields, "name": "Asha Rao", "phone": "98765 43210", "address_choice": "0",
        "address": "", "pincode": "", "payment_method": "cod"})
    assert again.status_code == 303
    orders = in_db(lambda: [(o.address, o.pincode) for o in Order.query.order_by(Order.id)])
    assert orders[1] == ("12 MG Road, Indiranagar, Bengaluru", "560038")


def test_not_remembered_unless_asked(client, shopper, make_sweet, checkout_details, in_db):
    kaju = make_sweet("Kaju Katli", stock=5000)
    _order(client, shopper, kaju, checkout_details)
    assert client.get_cookie(returning.COOKIE) is None
    shopper.add(kaju, "500 g")
    page = client.get("/checkout").get_data(as_text=True)
    assert "Welcome back" not in page and 'value="Asha Rao"' not in page


def test_forget_me_ends_it_on_the_server_so_a_copied_cookie_stops_working(
        client, shopper, make_sweet, checkout_details, in_db, app):
    kaju = make_sweet("Kaju Katli", stock=5000)
    _order(client, shopper, kaju, checkout_details, remember="y")
    copied = client.get_cookie(returning.COOKIE).value
    shopper.add(kaju, "500 g")
    page = client.get("/checkout").get_data(as_text=True)
    from tests.views.conftest import csrf_token_in
    forgot = client.post("/checkout/forget", data={"csrf_token": csrf_token_in(page)})
    assert forgot.status_code == 303
    assert in_db(lambda: RememberedDevice.query.count()) == 0
    other = app.test_client()
    other.set_cookie(returning.COOKIE, copied)
    with app.test_request_context():
        assert returning.remembered_phone(copied) is None


def test_a_forged_cookie_is_refused_before_any_lookup(app, ctx):
    assert returning.remembered_phone("not-signed") is None
    assert returning.remembered_phone("x" * 500) is None


def test_at_most_five_addresses_newest_first(ctx):
    from tests.factories import make_order, make_product
    kaju = make_product("Kaju Katli", stock=50000)
    for n in range(7):
        order = make_order((kaju, "250 g", 1), pincode=f"56000{n}")
        order.address = f"{n} Temple Street, Bengaluru"
    from sweetshop.extensions import db
    db.session.commit()
    prefill = returning.details_for("+919876543210")
    assert prefill.name == "Asha Rao" and len(prefill.addresses) == 5
    assert prefill.addresses[0] == ("6 Temple Street, Bengaluru", "560006")
