"""The owner's side of notifications: every message on the order page, Resend, failures
flagged on the dashboard, and the phones told about new orders."""
from sweetshop.extensions import db
from sweetshop.models import Notification
from sweetshop.services.orders import change_status
from tests.admin.helpers import post_form
from tests.factories import make_order, make_product


def _order(in_db):
    def build():
        product = make_product("Kaju Katli")
        return make_order((product, "500 g", 1)).id
    return in_db(build)


def _messages(in_db, order_id):
    return in_db(lambda: [(n.kind, n.status, n.body) for n in db.session.query(Notification)
                          .filter_by(order_id=order_id).order_by(Notification.id)])


def test_each_status_change_tells_the_customer_in_the_same_transaction(in_db):
    order_id = _order(in_db)
    in_db(lambda: change_status(order_id, "accepted", "owner@example.com"))
    in_db(lambda: change_status(order_id, "cancelled", "owner@example.com",
                                note="Sold out of Kaju Katli today"))
    kinds = [(kind, body) for kind, _, body in _messages(in_db, order_id)]
    # (the cancelled order's invoice gets a credit note, and the customer its link)
    assert [k for k, _ in kinds] == ["order_placed", "order_accepted", "order_cancelled",
                                     "credit_note"]
    assert "Reason: Sold out of Kaju Katli today" in kinds[2][1]


def test_the_order_page_lists_every_message_with_its_status_and_error(owner_client, in_db):
    order_id = _order(in_db)

    def fail_it():
        row = db.session.query(Notification).filter_by(order_id=order_id).one()
        row.status, row.error_code, row.error_message = "failed", "21211", "Invalid 'To' number"
        db.session.commit()
    in_db(fail_it)
    page = owner_client.get(f"/admin/orders/{order_id}").get_data(as_text=True)
    assert "Messages" in page and "Order placed" in page
    assert "Invalid &#39;To&#39; number" in page and "code 21211" in page
    dashboard = owner_client.get("/admin/").get_data(as_text=True)
    assert "Messages that did not get through" in dashboard


def test_resend_queues_a_copy_in_place_with_htmx_and_with_a_redirect_without(
        owner_client, in_db):
    order_id = _order(in_db)
    first = in_db(lambda: db.session.query(Notification).filter_by(order_id=order_id).one().id)
    page = f"/admin/orders/{order_id}"
    response = post_form(owner_client, f"/admin/messages/{first}/resend", {}, page=page,
                         htmx=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="messages"') and "on its way again" in html
    response = post_form(owner_client, f"/admin/messages/{first}/resend", {}, page=page)
    assert response.status_code == 303 and response.location.endswith(page)
    assert [s for _, s, _ in _messages(in_db, order_id)] == ["queued"] * 3
    assert post_form(owner_client, "/admin/messages/999999/resend", {}, page=page
                     ).status_code == 404


def test_owner_phones_are_saved_from_settings_and_told_about_new_orders(owner_client, in_db):
    form = owner_client.get("/admin/settings")
    assert "Phones told about new orders" in form.get_data(as_text=True)
    data = {"name": "Mithaas Sweets", "phone": "", "is_open": "open",
            "delivery_fee_paise": "0", "free_delivery_above_paise": "0",
            "min_order_paise": "0", "cod_max_paise": "0", "serviceable_pincodes": "",
            "owner_phones": "98111 12222\n+91-98333-34444"}
    assert post_form(owner_client, "/admin/settings", data).status_code == 303
    bad = post_form(owner_client, "/admin/settings", dict(data, owner_phones="12345"))
    assert bad.status_code == 422 and "not Indian mobile numbers: 12345" in bad.get_data(
        as_text=True)
    order_id = _order(in_db)
    owners = in_db(lambda: [n.to for n in db.session.query(Notification)
                            .filter_by(order_id=order_id, kind="owner_new_order")])
    assert owners == ["+919811112222", "+919833334444"]


def test_an_orders_page_marks_orders_as_the_current_section(owner_client, in_db):
    order_id = _order(in_db)
    html = owner_client.get(f"/admin/orders/{order_id}").get_data(as_text=True)
    assert '<a href="/admin/orders" aria-current="true">Orders</a>' in html
    listing = owner_client.get("/admin/orders").get_data(as_text=True)
    assert '<a href="/admin/orders" aria-current="page">Orders</a>' in listing


def test_a_message_held_back_by_the_daily_cap_shows_why_and_cannot_be_resent(
        owner_client, in_db):
    def build():
        product = make_product("Kaju Katli")
        return [make_order((product, "500 g", 1), phone="+919812345678").id for _ in range(4)]
    fourth = in_db(build)[-1]
    page = owner_client.get(f"/admin/orders/{fourth}").get_data(as_text=True)
    assert "Skipped" in page and "Not sent: this number has not verified a code" in page
    assert "Resend" not in page
    skipped = in_db(lambda: db.session.query(Notification)
                    .filter_by(order_id=fourth, kind="order_placed").one().id)
    refused = post_form(owner_client, f"/admin/messages/{skipped}/resend", {},
                        page=f"/admin/orders/{fourth}")
    assert refused.status_code == 409 and "cannot be sent again" in refused.get_data(as_text=True)
    assert in_db(lambda: db.session.query(Notification).filter_by(order_id=fourth).count()) == 1
