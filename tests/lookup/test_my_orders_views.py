"""My orders: phone, code, orders for 30 minutes; with and without htmx; no enumeration."""
import re
from datetime import timedelta

import pytest

from sweetshop.extensions import db
from sweetshop.models import LookupCode, Notification, utcnow
from tests.lookup.conftest import OTHER_PHONE, PHONE

KNOWN_REPLY = "If this number has orders with us, we have sent a code"


def test_the_header_links_to_my_orders_next_to_the_cart(client):
    html = client.get("/").get_data(as_text=True)
    nav = html[html.index('<nav aria-label="Main">'):html.index("</nav>")]
    assert 'href="/my-orders">My orders</a>' in nav
    assert re.search(r'<a class="cart-link"[^>]*>Cart', nav)


def test_the_phone_step_asks_for_a_phone(client):
    page = client.get("/my-orders")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "private, no-store"
    assert '<label for="phone">Phone</label>' in html and ">Send code</button>" in html
    assert 'name="csrf_token"' in html and "<script>" not in html and "style=" not in html


@pytest.mark.parametrize("typed", ["98765 43210", "+91 98765 43210", "+91-98765-43210",
                                   "098765 43210", "919876543210", "(+91) 98765-43210"])
def test_every_usual_format_of_the_phone_reaches_the_same_orders(customer, customer_order,
                                                                 typed):
    assert customer.send_code(typed).status_code == 303
    response = customer.verify(customer.codes[-1])
    assert response.status_code == 303 and response.headers["Location"] == "/my-orders"
    html = customer.client.get("/my-orders").get_data(as_text=True)
    assert f"Order #{customer_order['number']}" in html
    assert "2 × Kaju Katli, 500 g" in html and "1 × Motichoor Laddoo, 1 kg" in html
    assert f'/orders/{customer_order["token"]}' in html


def test_without_javascript_each_step_is_a_303_to_the_page(customer, customer_order):
    response = customer.send_code("98765 43210")
    assert response.status_code == 303 and response.headers["Location"] == "/my-orders"
    html = customer.client.get("/my-orders").get_data(as_text=True)
    assert KNOWN_REPLY in html and '<label for="code">Code</label>' in html
    assert ">Verify</button>" in html
    customer.verify(customer.codes[-1])
    html = customer.client.get("/my-orders").get_data(as_text=True)
    assert "Reorder" in html and ">Sign out</button>" in html


def test_with_htmx_each_step_returns_the_next_fragment(customer, customer_order):
    response = customer.send_code("98765 43210", htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert KNOWN_REPLY in html and "autofocus" in html
    response = customer.verify(customer.codes[-1], htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert f"Order #{customer_order['number']}" in html


def _normalised(response):
    html = response.get_data(as_text=True)
    return re.sub(r'name="csrf_token" value="[^"]+"', 'name="csrf_token" value=""', html)


def _compare(known, unknown):
    assert known.status_code == unknown.status_code
    assert sorted(known.headers.keys()) == sorted(unknown.headers.keys())
    assert known.headers.get("Location") == unknown.headers.get("Location")
    assert len(known.get_data()) == len(unknown.get_data())
    assert _normalised(known) == _normalised(unknown)


@pytest.mark.parametrize("htmx", [False, True])
def test_a_number_with_orders_and_one_without_get_the_same_answer(
        app, client, codes, in_db, htmx):
    """The same phone, asked about before and after it has an order: not one byte differs
    (but for the CSRF token, which differs on every page anyway)."""
    from tests.factories import make_order, make_product
    from tests.lookup.conftest import Customer

    before = Customer(app.test_client(), codes).send_code(PHONE, htmx=htmx)
    in_db(lambda: make_order((make_product("Kaju Katli"), "500 g", 1), phone=PHONE))
    after = Customer(app.test_client(), codes).send_code(PHONE, htmx=htmx)
    _compare(after, before)
    if htmx:
        assert KNOWN_REPLY in before.get_data(as_text=True)
    # Both wrote a code row and an outbox row; only the customer's is sent.
    statuses = in_db(lambda: [n.status for n in db.session.query(Notification)
                              .filter_by(kind="lookup_code").order_by(Notification.id)])
    assert statuses == ["skipped", "queued"]
    assert in_db(lambda: db.session.query(LookupCode).count()) == 2


def test_the_next_page_reads_the_same_for_any_number(app, codes, customer_order):
    from tests.lookup.conftest import Customer

    pages = []
    for phone in (PHONE, OTHER_PHONE):  # same length, one a customer, one not
        customer = Customer(app.test_client(), codes)
        customer.send_code(phone)
        pages.append(_normalised(customer.client.get("/my-orders"))
                     .replace("+91 98765 43210", "X").replace("+91 98123 45678", "X")
                     .replace(PHONE, "X").replace(OTHER_PHONE, "X"))
    assert pages[0] == pages[1]


def test_a_number_without_orders_verifies_and_sees_none(customer):
    customer.sign_in(OTHER_PHONE)
    html = customer.client.get("/my-orders").get_data(as_text=True)
    assert "We found no orders for this number." in html


@pytest.mark.parametrize("htmx", [False, True])
def test_an_invalid_phone_is_422_with_the_message_by_the_field(customer, htmx):
    response = customer.send_code("12345", htmx=htmx)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="phone-error"' in html and "valid Indian mobile number" in html
    assert 'aria-invalid="true"' in html
    assert ("<html" in html) is (not htmx)


def test_a_wrong_code_is_422_by_the_code_field(customer, customer_order):
    customer.send_code(PHONE)
    wrong = "000000" if customer.codes[-1] != "000000" else "111111"
    response = customer.verify(wrong, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="code-error"' in html and "4 tries left" in html
    response = customer.verify("12ab", htmx=True)
    assert response.status_code == 422 and "The code has 6 digits." in response.get_data(True)


def test_the_sixth_try_is_refused_even_with_the_right_code(customer, customer_order):
    customer.send_code(PHONE)
    right = customer.codes[-1]
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(5):
        assert customer.verify(wrong).status_code == 422
    response = customer.verify(right)
    assert response.status_code == 422 and "Too many wrong tries" in response.get_data(True)
    assert "Reorder" not in customer.client.get("/my-orders").get_data(as_text=True)


def test_a_reused_code_is_refused(app, customer, customer_order, codes):
    from tests.lookup.conftest import Customer

    customer.sign_in()
    other = Customer(app.test_client(), codes)
    other.send_code(OTHER_PHONE)  # a pending phone in the other session
    with other.client.session_transaction() as s:  # ...pretending to be PHONE
        s["lookup_pending"] = {"phone": PHONE, "at": utcnow().isoformat()}
    response = other.verify(codes[0])
    assert response.status_code == 422 and "already used" in response.get_data(as_text=True)


def test_the_fourth_code_in_fifteen_minutes_is_refused_with_429(customer, customer_order):
    for _ in range(3):
        assert customer.send_code(PHONE).status_code == 303
    response = customer.send_code(PHONE, htmx=True)
    assert response.status_code == 429
    assert "wait 15 minutes" in response.get_data(as_text=True)


def test_the_eleventh_code_from_one_address_is_refused(app, codes):
    from tests.lookup.conftest import Customer

    customer = Customer(app.test_client(), codes)
    for n in range(10):
        assert customer.send_code(f"+9198765432{n:02d}").status_code == 303
    assert customer.send_code("+919876543299").status_code == 429
    other = Customer(app.test_client(), codes)
    assert other.send_code("+919876543299",
                           environ={"REMOTE_ADDR": "198.51.100.9"}).status_code == 303


def test_an_expired_code_step_asks_for_a_new_code(customer, customer_order):
    customer.send_code(PHONE)
    with customer.client.session_transaction() as s:
        s["lookup_pending"] = {"phone": PHONE, "at": (utcnow() - timedelta(minutes=11)).isoformat()}
    response = customer.verify(customer.codes[-1])
    assert response.status_code == 422 and "expired" in response.get_data(as_text=True)


def age_lookup_sessions(in_db, minutes):
    from sweetshop.models import LookupSession

    def run():
        for row in db.session.query(LookupSession):
            row.created_at -= timedelta(minutes=minutes)
            row.expires_at -= timedelta(minutes=minutes)
        db.session.commit()
    in_db(run)


def test_the_orders_stay_open_for_30_minutes_only(customer, customer_order, in_db):
    customer.sign_in()
    age_lookup_sessions(in_db, 29)
    assert "Reorder" in customer.client.get("/my-orders").get_data(as_text=True)
    age_lookup_sessions(in_db, 2)
    html = customer.client.get("/my-orders").get_data(as_text=True)
    assert "Reorder" not in html and ">Send code</button>" in html


def test_the_cookie_holds_only_a_session_id_not_the_phone(app, customer, customer_order):
    customer.sign_in()
    with customer.client.session_transaction() as s:
        assert PHONE not in str(dict(s))
        s["lookup_sid"] = "made-up-id"
    assert "Reorder" not in customer.client.get("/my-orders").get_data(as_text=True)


def test_a_copied_cookie_stops_working_after_sign_out(app, customer, customer_order):
    customer.sign_in()
    copied = app.test_client()
    copied.set_cookie("session", customer.client.get_cookie("session").value)
    assert "Reorder" in copied.get("/my-orders").get_data(as_text=True)
    assert customer.post("/my-orders/sign-out").status_code == 303
    html = copied.get("/my-orders").get_data(as_text=True)
    assert "Reorder" not in html and ">Send code</button>" in html


def test_a_copied_cookie_stops_working_at_expiry(app, customer, customer_order, in_db):
    customer.sign_in()
    copied = app.test_client()
    copied.set_cookie("session", customer.client.get_cookie("session").value)
    age_lookup_sessions(in_db, 31)
    assert "Reorder" not in copied.get("/my-orders").get_data(as_text=True)


def test_the_sweeper_deletes_old_lookup_sessions(app, customer, customer_order, in_db):
    from sweetshop import periodic
    from sweetshop.models import LookupSession

    customer.sign_in()
    customer.post("/my-orders/sign-out")
    customer.sign_in()
    assert in_db(lambda: db.session.query(LookupSession).count()) == 2
    assert in_db(periodic.run_once)["lookup_sessions"] == 0
    age_lookup_sessions(in_db, 60 * 24 + 31)
    assert in_db(periodic.run_once)["lookup_sessions"] == 2
    assert in_db(lambda: db.session.query(LookupSession).count()) == 0


@pytest.mark.parametrize("htmx", [False, True])
def test_sign_out_ends_it(customer, customer_order, htmx):
    customer.sign_in()
    response = customer.post("/my-orders/sign-out", htmx=htmx)
    assert response.status_code == (200 if htmx else 303)
    html = customer.client.get("/my-orders").get_data(as_text=True)
    assert "Reorder" not in html and ">Send code</button>" in html


def test_forms_without_a_csrf_token_are_refused(client, customer_order):
    for path in ("/my-orders/code", "/my-orders/verify", "/my-orders/sign-out",
                 f"/my-orders/{customer_order['number']}/reorder", "/track"):
        assert client.post(path, data={"phone": PHONE}).status_code == 400, path
