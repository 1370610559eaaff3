"""The tracking page at the unguessable link, and Track an order (number plus phone)."""
import re

import pytest

from sweetshop.extensions import db
from sweetshop.models import (
    Order,
    OrderStatus,
    OrderStatusChange,
    PaymentMethod,
    PaymentStatus,
)
from sweetshop.services.order_lookup import TRACK_FAILURES_PER_ADDRESS
from tests.factories import make_order, make_product
from tests.lookup.conftest import OTHER_PHONE, PHONE

HX = {"HX-Request": "true"}


def _move(in_db, order_id, *statuses, note=""):
    def run():
        order = db.session.get(Order, order_id)
        for status in statuses:
            order.history.append(OrderStatusChange(from_status=order.status, to_status=status,
                                                   actor="owner", note=note))
            order.status = status
        db.session.commit()
    in_db(run)


def test_the_tracking_page_shows_the_order_but_hides_address_and_phone(client, customer_order):
    response = client.get(f"/orders/{customer_order['token']}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    assert f"<h1>Order #{customer_order['number']}</h1>" in html
    assert "2 × Kaju Katli, 500 g" in html and "1 × Motichoor Laddoo, 1 kg" in html
    assert "12 MG…" in html and "Pincode 560038" in html
    assert "+91 98•••••210" in html
    assert "MG Road" not in html and "Indiranagar" not in html and "Bengaluru" not in html
    for shown in ("9876543210", "98765 43210", "43210", "Rao"):
        assert shown not in html
    assert "Cash on delivery (unpaid)" in html


def _steps(html):
    """(name, state text, current?) for each step on the page."""
    steps = html[html.index('<ol class="steps"'):html.index("</ol>", html.index('<ol class="steps"'))]
    return [(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", name)).strip(),
             re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", when)).strip(), "aria-current" in li)
            for li, name, when in re.findall(
                r'(<li[^>]*>)\s*<span class="step-name">(.*?)</span>\s*'
                r'<span class="step-when">(.*?)</span>', steps, re.S)]


def test_the_tracking_page_shows_every_step_done_current_and_to_come(
        client, customer_order, in_db):
    html = client.get(f"/orders/{customer_order['token']}").get_data(as_text=True)
    assert "Thank you" not in html  # not straight after checkout: this is the tracking page
    steps = _steps(html)
    assert [(name, current) for name, _, current in steps] == [
        ("Order placed", True), ("Accepted, being prepared", False),
        ("Out for delivery", False), ("Delivered", False)]
    assert steps[0][1].startswith("Now · since ")
    assert [when for _, when, _ in steps[1:]] == ["Still to come"] * 3
    assert html.count('aria-current="step"') == 1

    _move(in_db, customer_order["id"], OrderStatus.ACCEPTED, OrderStatus.OUT_FOR_DELIVERY)
    html = client.get(f"/orders/{customer_order['token']}").get_data(as_text=True)
    steps = _steps(html)
    assert [s[0] for s in steps] == ["Order placed", "Accepted, being prepared",
                                     "Out for delivery", "Delivered"]
    assert [s[1].split(" · ")[0] for s in steps] == ["Done", "Done", "Now", "Still to come"]
    assert [s[2] for s in steps] == [False, False, True, False]
    assert 'class="step step-todo step-delivered"' in html  # greyed by the stylesheet
    assert "Your order is <strong" in html and ">out for delivery</strong>" in html


def test_ready_is_still_the_preparing_step(client, customer_order, in_db):
    _move(in_db, customer_order["id"], OrderStatus.ACCEPTED, OrderStatus.READY)
    steps = _steps(client.get(f"/orders/{customer_order['token']}").get_data(as_text=True))
    assert steps[1][0] == "Packed and ready" and steps[1][2] is True


def test_a_delivered_order_has_every_step_done(client, customer_order, in_db):
    _move(in_db, customer_order["id"], OrderStatus.ACCEPTED, OrderStatus.READY,
          OrderStatus.DELIVERED)  # collected at the counter: never out for delivery
    steps = _steps(client.get(f"/orders/{customer_order['token']}").get_data(as_text=True))
    assert [s[1].split(" · ")[0] for s in steps[:3]] == ["Done", "Done", "Done"]
    assert steps[3][0] == "Delivered" and steps[3][2] is True
    assert "Still to come" not in str(steps) and "Now" not in str(steps)


def test_a_cancelled_order_shows_the_steps_it_reached_and_why(client, customer_order, in_db):
    _move(in_db, customer_order["id"], OrderStatus.ACCEPTED)
    _move(in_db, customer_order["id"], OrderStatus.CANCELLED, note="Ran out of milk")
    html = client.get(f"/orders/{customer_order['token']}").get_data(as_text=True)
    steps = _steps(html)
    assert [(s[0], s[2]) for s in steps] == [
        ("Order placed", False), ("Accepted, being prepared", False), ("Cancelled", True)]
    assert "Ran out of milk" in html and "Still to come" not in html


def test_an_order_waiting_for_payment_says_when_to_pay_by(client, in_db):
    def build():
        order = make_order((make_product("Peda"), "250 g", 1))
        order.status, order.payment_method = OrderStatus.AWAITING_PAYMENT, PaymentMethod.ONLINE
        db.session.commit()
        return order.public_token
    steps = _steps(client.get(f"/orders/{in_db(build)}").get_data(as_text=True))
    assert steps[0][0] == "Waiting for your payment" and steps[0][2] is True
    assert steps[0][1].startswith("Now · pay by ")


def test_an_open_order_polls_its_status_block(client, customer_order):
    html = client.get(f"/orders/{customer_order['token']}").get_data(as_text=True)
    block = re.search(r'<div id="order-status"[^>]*>', html).group(0)
    assert 'hx-trigger="every 15s"' in block and 'hx-swap="outerHTML"' in block
    assert f'hx-get="/orders/{customer_order["token"]}?seen=placed.unpaid.1"' in block


def test_the_poll_returns_only_the_block_and_204_when_nothing_changed(
        client, customer_order, in_db):
    url = f"/orders/{customer_order['token']}"
    assert client.get(url + "?seen=placed.unpaid.1", headers=HX).status_code == 204
    _move(in_db, customer_order["id"], OrderStatus.ACCEPTED)
    response = client.get(url + "?seen=placed.unpaid.1", headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.lstrip().startswith('<div id="order-status"')
    assert "<h1>" not in html and ">accepted</strong>" in html
    assert "every 15s" in html and "seen=accepted.unpaid.2" in html


@pytest.mark.parametrize("final", [OrderStatus.DELIVERED, OrderStatus.CANCELLED])
def test_polling_stops_at_a_final_status(client, customer_order, in_db, final):
    path = [OrderStatus.ACCEPTED, OrderStatus.OUT_FOR_DELIVERY, final]
    _move(in_db, customer_order["id"], *path, note="Customer asked")
    response = client.get(f"/orders/{customer_order['token']}?seen=placed.unpaid.1", headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="order-status"' in html
    assert "hx-trigger" not in html and "hx-get" not in html
    assert "updates by itself" not in html
    full = client.get(f"/orders/{customer_order['token']}").get_data(as_text=True)
    assert "hx-trigger" not in full


def test_an_expired_order_does_not_poll(client, in_db):
    def build():
        order = make_order((make_product("Peda"), "250 g", 1))
        order.status, order.payment_status = OrderStatus.EXPIRED, PaymentStatus.FAILED
        db.session.commit()
        return order.public_token
    token = in_db(build)
    assert "hx-trigger" not in client.get(f"/orders/{token}").get_data(as_text=True)


def test_an_unknown_link_is_404(client):
    assert client.get("/orders/" + "x" * 43).status_code == 404


# --- Track an order ---------------------------------------------------------------------

def _track(shopper, number, phone, *, htmx=False, environ=None):
    token = shopper.token_from("/track")
    return shopper.client.post("/track", data={"csrf_token": token, "number": number,
                                               "phone": phone},
                               headers=HX if htmx else {}, environ_base=environ or {})


def test_the_track_page_has_a_form(client):
    html = client.get("/track").get_data(as_text=True)
    assert '<label for="number">Order number</label>' in html
    assert '<label for="phone">Phone</label>' in html and ">Track order</button>" in html
    assert 'name="csrf_token"' in html


@pytest.mark.parametrize("number,phone", [("1001", "98765 43210"), ("#1001", "+91 98765-43210")])
def test_number_and_phone_lead_to_the_tracking_page(shopper, customer_order, number, phone):
    response = _track(shopper, number, phone)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/orders/{customer_order['token']}"


def test_with_htmx_the_browser_is_sent_to_the_tracking_page(shopper, customer_order):
    response = _track(shopper, "1001", PHONE, htmx=True)
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == f"/orders/{customer_order['token']}"


def test_wrong_combinations_all_get_the_same_message(shopper, customer_order, in_db):
    in_db(lambda: make_order((make_product("Barfi"), "250 g", 1), phone=OTHER_PHONE))
    answers = set()
    for number, phone in [("1001", OTHER_PHONE), ("1002", PHONE), ("9999", PHONE)]:
        response = _track(shopper, number, phone, htmx=True)
        assert response.status_code == 422
        html = re.sub(r'value="[^"]*"', "", response.get_data(as_text=True))
        answers.add(html)
    assert len(answers) == 1
    assert "We could not find an order with that number and phone" in answers.pop()


@pytest.mark.parametrize("field,value,message", [
    ("number", "abc", "only digits"), ("phone", "123", "valid Indian mobile number")])
def test_malformed_input_is_422_by_the_field(shopper, field, value, message):
    data = {"number": "1001", "phone": PHONE, field: value}
    response = _track(shopper, data["number"], data["phone"], htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and f'id="{field}-error"' in html and message in html


def test_order_number_guessing_is_rate_limited_per_address(shopper, customer_order):
    for n in range(TRACK_FAILURES_PER_ADDRESS):
        assert _track(shopper, str(2000 + n), PHONE).status_code == 422
    response = _track(shopper, "1001", PHONE)  # even the right pair, from here, for now
    assert response.status_code == 429 and "Too many lookups" in response.get_data(True)
    assert _track(shopper, "1001", PHONE,
                  environ={"REMOTE_ADDR": "198.51.100.3"}).status_code == 303
