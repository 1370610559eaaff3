"""The owner's orders pages: list and filters, one order, and its buttons with and without htmx."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from sweetshop.extensions import db
from sweetshop.models import Order, OrderStatus, OrderStatusChange, Product
from tests.admin.helpers import OWNER_EMAIL, post_form, token_from
from tests.factories import make_order, make_product

S = OrderStatus


@dataclass(frozen=True)
class Placed:
    id: int
    number: int


@pytest.fixture
def kaju_id(in_db):
    return in_db(lambda: make_product("Kaju Katli", stock=4000).id)


@pytest.fixture
def place(in_db, kaju_id):
    def place(pack="500 g", quantity=1, **kwargs) -> Placed:
        def build():
            order = make_order((db.session.get(Product, kaju_id), pack, quantity), **kwargs)
            return Placed(order.id, order.number)
        return in_db(build)
    return place


@pytest.fixture
def status_of(in_db):
    return lambda order_id: in_db(lambda: db.session.get(Order, order_id).status)


@pytest.fixture
def history_of(in_db):
    def history(order_id):
        return in_db(lambda: [(c.to_status, c.actor, c.note) for c in db.session.query(
            OrderStatusChange).filter_by(order_id=order_id).order_by(OrderStatusChange.id)])
    return history


def buttons(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", b).strip()
            for b in re.findall(r"<button[^>]*>(.*?)</button>", html, re.S)]


def press(client, order: Placed, to: str, *, seen: str | None = None, note: str = "",
          htmx: bool = False):
    if to == "delivered":  # the Delivered form: the customer's handover code, the cash taken
        from sweetshop.extensions import db as _db
        from sweetshop.models import Order as _Order
        with client.application.app_context():
            code = _db.session.get(_Order, order.id).handover_code
            _db.session.remove()
        return post_form(client, f"/admin/orders/{order.id}/deliver",
                         {"code": code, "method": "cash"},
                         page=f"/admin/orders/{order.id}", htmx=htmx)
    data = {"to_status": to, "expected_from": seen or "", "note": note}
    return post_form(client, f"/admin/orders/{order.id}/status", data,
                     page=f"/admin/orders/{order.id}", htmx=htmx)


# --- the list -------------------------------------------------------------------------------

def test_the_list_shows_orders_newest_first(owner_client, place):
    first = place(name="Asha Rao")
    second = place(name="Ravi Kumar")
    html = owner_client.get("/admin/orders").get_data(as_text=True)
    assert html.index(f"#{second.number}") < html.index(f"#{first.number}")
    assert "Ravi Kumar" in html and "+91 98765 43210" in html
    assert f'href="/admin/orders/{first.id}"' in html


@pytest.mark.parametrize("q", ["98765 43210", "+91-98765-43210", "Ravi", "#{number}"])
def test_the_list_searches_by_number_name_or_phone(owner_client, place, q):
    ravi = place(name="Ravi Kumar", phone="+919876543210")
    other = place(name="Meena Iyer", phone="+918888877777")
    response = owner_client.get("/admin/orders", query_string={"q": q.format(number=ravi.number)})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"#{ravi.number}" in html and f"#{other.number}" not in html
    assert "1 order found" in html


def test_the_list_filters_by_status_and_kolkata_dates(owner_client, place, in_db):
    may1_late = place(created_at=datetime(2025, 5, 1, 18, 0, tzinfo=UTC))  # 11:30 pm
    may2 = place(created_at=datetime(2025, 5, 2, 6, 0, tzinfo=UTC))
    html = owner_client.get("/admin/orders?date_from=2025-05-01&date_to=2025-05-01").get_data(
        as_text=True)
    assert f"#{may1_late.number}" in html and f"#{may2.number}" not in html
    press(owner_client, may2, "accepted")
    html = owner_client.get("/admin/orders?status=accepted").get_data(as_text=True)
    assert f"#{may2.number}" in html and f"#{may1_late.number}" not in html


def test_the_list_pages_by_25(owner_client, in_db):
    def many():
        ladoo = make_product("Ladoo", stock=100_000)
        return [make_order((ladoo, "250 g", 1)).number for _ in range(26)]
    made = in_db(many)
    first = owner_client.get("/admin/orders?q=Asha").get_data(as_text=True)
    assert f"#{made[-1]}" in first and f"#{made[0]}<" not in first
    assert 'href="/admin/orders?page=2&amp;q=Asha"' in first
    second = owner_client.get("/admin/orders?page=2&q=Asha").get_data(as_text=True)
    assert f"#{made[0]}<" in second and "page 2 of 2" in second


@pytest.mark.parametrize("query, field", [
    ("status=shipped", "status"),
    ("date_from=yesterday", "date_from"),
    ("date_from=2025-13-45", "date_from"),
    ("date_from=2025-05-02&date_to=2025-05-01", "date_to"),
    ("date_to=9999-12-31", "date_to"),
    ("date_from=0001-01-01", "date_from"),
    ("page=abc", "page"),
    ("page=-1", "page"),
    ("q=" + "x" * 300, "q"),
])
def test_nonsense_filters_are_a_422_with_a_message_not_a_500(owner_client, place, query, field):
    order = place()
    response = owner_client.get("/admin/orders?" + query)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="{field}-error"' in html
    if field != "q":
        assert f"#{order.number}" in html  # the other filters still work


def test_pager_links_carry_only_our_filters(owner_client, in_db):
    def many():
        ladoo = make_product("Ladoo", stock=100_000)
        for _ in range(26):
            make_order((ladoo, "250 g", 1))
    in_db(many)
    html = owner_client.get("/admin/orders?_external=1&_anchor=x&status=placed").get_data(
        as_text=True)
    assert 'href="/admin/orders?page=2&amp;status=placed"' in html
    assert "_anchor" not in html and "http://" not in html.split("<main", 1)[1]


# --- one order ------------------------------------------------------------------------------

def test_the_order_page_shows_items_totals_customer_payment_and_history(owner_client, place):
    order = place("500 g", 2, name="Asha Rao",
                  created_at=datetime(2025, 5, 1, 18, 0, tzinfo=UTC))
    response = owner_client.get(f"/admin/orders/{order.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"Order #{order.number}" in html
    assert "2 × Kaju Katli, 500 g" in html and "₹1,160" in html
    assert "Asha Rao" in html and 'href="tel:+919876543210"' in html
    assert "12 MG Road, Indiranagar, Bengaluru" in html and "560038" in html
    assert "Cash on delivery" in html and "Unpaid" in html
    assert "1 May 2025, 11:30 PM" in html  # the history in Kolkata time
    assert "Order placed" in html and "customer" in html


@pytest.mark.parametrize("quantity, line", [
    (1, "1 × Kaju Katli, 500 g</span>"),  # not "500 g (500 g)"
    (2, '2 × Kaju Katli, 500 g <span class="hint">(1 kg)</span></span>'),
])
def test_an_item_says_the_amount_in_all_only_when_the_pack_does_not(owner_client, place,
                                                                     quantity, line):
    order = place("500 g", quantity)
    html = owner_client.get(f"/admin/orders/{order.id}").get_data(as_text=True)
    assert line in html
    assert "(500 g)" not in html


@pytest.mark.parametrize("path, offered", [
    ((), ["Accept", "Cancel order"]),
    (("accepted",), ["Mark ready", "Out for delivery", "Cancel order"]),
    # Delivered takes the handover code; the owner may deliver without it, with a reason.
    (("accepted", "ready"), ["Out for delivery", "Delivered", "Delivered without the code",
                             "Cancel order"]),
    (("accepted", "out_for_delivery"), ["Delivered", "Delivered without the code",
                                        "Cancel order"]),
    (("accepted", "ready", "delivered"), []),
])
def test_only_the_moves_allowed_now_have_buttons(owner_client, place, path, offered):
    order = place()
    for status in path:
        assert press(owner_client, order, status).status_code == 303
    html = owner_client.get(f"/admin/orders/{order.id}").get_data(as_text=True)
    main = html.split('<main id="main">', 1)[1].split('<section id="messages"', 1)[0]
    assert buttons(main) == offered  # (each message below has its own "Resend")


def test_a_cancelled_order_has_no_buttons(owner_client, place):
    order = place()
    press(owner_client, order, "cancelled", note="Customer asked")
    html = owner_client.get(f"/admin/orders/{order.id}").get_data(as_text=True)
    assert buttons(html.split('<main id="main">', 1)[1].split('<section id="messages"')[0]) == []
    assert "Customer asked" in html


@pytest.mark.parametrize("path", ["/admin/orders/999999", "/admin/orders/0",
                                  "/admin/orders/99999999999999999999", "/admin/orders/abc"])
def test_an_unknown_order_is_a_404(owner_client, path):
    assert owner_client.get(path).status_code == 404


# --- the buttons ----------------------------------------------------------------------------

def test_accepting_without_javascript_redirects_with_a_message(owner_client, place, status_of,
                                                               history_of):
    order = place()
    response = press(owner_client, order, "accepted", seen="placed")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/admin/orders/{order.id}"
    page = owner_client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Order #{order.number} accepted." in page
    assert status_of(order.id) is S.ACCEPTED
    assert history_of(order.id)[-1] == (S.ACCEPTED, OWNER_EMAIL, "")


def test_accepting_with_htmx_returns_the_new_status_panel(owner_client, place, status_of):
    order = place()
    response = press(owner_client, order, "accepted", seen="placed", htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html and "<h1" not in html
    assert "Status: <span" in html and "Accepted" in html
    panel = html.split("<hx-partial")[0]  # the Messages panel, with its Resend buttons, follows
    assert buttons(panel) == ["Mark ready", "Out for delivery", "Cancel order"]
    assert f"Order #{order.number} accepted." in html
    assert OWNER_EMAIL in html  # the timeline says who
    assert status_of(order.id) is S.ACCEPTED


def test_a_status_change_with_htmx_refreshes_the_messages_panel(owner_client, place):
    order = place()
    response = press(owner_client, order, "accepted", seen="placed", htmx=True)
    html = response.get_data(as_text=True)
    partial = re.search(r'<hx-partial hx-target="#messages" hx-swap="outerHTML">(.*?)</hx-partial>',
                        html, re.S)
    assert partial, "no Messages panel in the answer"
    assert '<section id="messages"' in partial.group(1)
    assert "Order accepted" in partial.group(1)  # the message this change queued
    # the full page has the panel once, and no partial
    page = owner_client.get(f"/admin/orders/{order.id}").get_data(as_text=True)
    assert page.count('id="messages"') == 1 and "<hx-partial" not in page


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_a_second_owner_pressing_a_stale_button_is_told_and_nothing_repeats(
        app, owner_client, place, history_of, htmx):
    order = place()
    # Both phones show the order as placed; the first owner accepts it.
    from tests.admin.helpers import sign_in
    partner = app.test_client()
    sign_in(partner)
    assert press(owner_client, order, "accepted", seen="placed").status_code == 303

    late = press(partner, order, "accepted", seen="placed", htmx=htmx)
    html = late.get_data(as_text=True)
    assert late.status_code == 409
    assert "This order is already accepted." in html
    assert "Mark ready" in buttons(html)  # it now shows the buttons for "accepted"
    assert [h[0] for h in history_of(order.id)] == [S.PLACED, S.ACCEPTED]

    cancel = press(partner, order, "cancelled", seen="placed", note="Too late", htmx=htmx)
    assert cancel.status_code == 409
    assert [h[0] for h in history_of(order.id)] == [S.PLACED, S.ACCEPTED]


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_cancelling_without_a_reason_is_a_422_by_the_field(owner_client, place, status_of, htmx):
    order = place()
    response = press(owner_client, order, "cancelled", seen="placed", note="  ", htmx=htmx)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="cancel-note-error"' in html and "Please give a reason for cancelling." in html
    assert status_of(order.id) is S.PLACED


def test_cancelling_returns_the_stock_and_shows_the_reason(owner_client, place, in_db, kaju_id,
                                                          history_of):
    order = place("1 kg", 2)
    assert in_db(lambda: db.session.get(Product, kaju_id).stock) == 2000
    response = press(owner_client, order, "cancelled", seen="placed",
                     note="Customer not reachable", htmx=True)
    assert response.status_code == 200
    assert "Customer not reachable" in response.get_data(as_text=True)
    assert in_db(lambda: db.session.get(Product, kaju_id).stock) == 4000
    assert history_of(order.id)[-1] == (S.CANCELLED, OWNER_EMAIL, "Customer not reachable")


@pytest.mark.parametrize("data", [
    {"to_status": "shipped"},
    {"to_status": ""},
    {"to_status": "accepted", "expected_from": "teleported"},
    {"to_status": "accepted", "note": "x" * 600},
])
def test_tampered_buttons_are_refused_and_change_nothing(owner_client, place, status_of, data):
    order = place()
    response = post_form(owner_client, f"/admin/orders/{order.id}/status", data,
                         page=f"/admin/orders/{order.id}")
    assert 400 <= response.status_code < 500
    assert status_of(order.id) is S.PLACED


def test_a_button_for_an_unknown_order_is_a_404(owner_client):
    token = token_from(owner_client, "/admin/orders")
    response = owner_client.post("/admin/orders/424242/status",
                                 data={"csrf_token": token, "to_status": "accepted"})
    assert response.status_code == 404


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_a_button_without_the_csrf_token_is_refused(owner_client, place, status_of, htmx):
    order = place()
    response = owner_client.post(f"/admin/orders/{order.id}/status",
                                 data={"to_status": "accepted", "expected_from": "placed"},
                                 headers={"HX-Request": "true"} if htmx else {})
    assert response.status_code == 400
    assert status_of(order.id) is S.PLACED


def test_an_htmx_button_with_the_csrf_header_works(owner_client, place, status_of):
    # htmx sends the token from <body hx-headers> as X-CSRFToken, not as a form field.
    order = place()
    token = token_from(owner_client, f"/admin/orders/{order.id}")
    response = owner_client.post(f"/admin/orders/{order.id}/status",
                                 data={"to_status": "accepted", "expected_from": "placed"},
                                 headers={"HX-Request": "true", "X-CSRFToken": token})
    assert response.status_code == 200
    assert status_of(order.id) is S.ACCEPTED


def test_every_form_on_the_order_page_carries_the_csrf_token(owner_client, place):
    order = place()
    html = owner_client.get(f"/admin/orders/{order.id}").get_data(as_text=True)
    forms = re.findall(r'<form[^>]*method="post".*?</form>', html, re.S)
    assert len(forms) == 4  # log out, accept, cancel, resend the confirmation message
    assert all('name="csrf_token"' in form for form in forms)


def test_a_delivered_cash_order_says_paid_in_cash_to_the_owner_and_the_customer(
        owner_client, place, in_db, client):
    from sweetshop.formatting import format_local_time
    from sweetshop.models import PaymentStatus
    order = place()
    for seen, to in (("placed", "accepted"), ("accepted", "out_for_delivery")):
        press(owner_client, order, to, seen=seen)
    token = in_db(lambda: db.session.get(Order, order.id).public_token)
    assert "Paid in cash" not in client.get(f"/orders/{token}").get_data(as_text=True)
    fragment = press(owner_client, order, "delivered", seen="out_for_delivery", htmx=True)
    received_at = in_db(lambda: db.session.get(Order, order.id).cash_received_at)
    day = format_local_time(received_at, "%d %b %Y")
    assert fragment.status_code == 200
    assert (f"Paid in cash on {day} (recorded by {OWNER_EMAIL})."
            in fragment.get_data(as_text=True))
    page = owner_client.get(f"/admin/orders/{order.id}").get_data(as_text=True)
    assert f"<dd>Paid in cash on {day}</dd>" in page
    assert in_db(lambda: db.session.get(Order, order.id).payment_status) is PaymentStatus.PAID
    tracking = client.get(f"/orders/{token}").get_data(as_text=True)
    assert f"Payment: Paid in cash on {day}" in tracking
    assert "Please keep" not in tracking
