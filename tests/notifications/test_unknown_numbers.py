"""Texts to strangers: anyone can type any number at checkout, so a number that has not
verified a one-time code or had an order delivered hears about at most a few orders a day.
A capped message is recorded as skipped, with the reason, never silently lost."""
import threading
from datetime import timedelta

import pytest

from sweetshop.extensions import db
from sweetshop.models import KnownPhone, Notification, Order
from sweetshop.services import otp
from sweetshop.services.orders import change_status
from sweetshop.services.shop import get_settings
from tests.factories import deliver_order, make_order, make_product

STRANGER = "+919812345678"
OWNER = "+919811112222"


@pytest.fixture
def shop(ctx):
    settings = get_settings()
    settings.owner_phones = OWNER
    db.session.commit()
    return make_product("Kaju Katli", stock=100_000)


def _customer_messages(phone=STRANGER):
    return [(n.kind, n.status, n.body) for n in db.session.query(Notification)
            .filter_by(to=phone).order_by(Notification.id)]


def test_a_checkout_flood_to_a_strangers_number_stops_at_the_cap(app, shop):
    assert app.config["NOTIFY_UNKNOWN_NUMBER_DAILY_CAP"] == 3
    for _ in range(5):
        make_order((shop, "500 g", 1), phone=STRANGER)
    messages = _customer_messages()
    assert [(kind, status) for kind, status, _ in messages] == (
        [("order_placed", "queued")] * 3 + [("order_placed", "skipped")] * 2)
    assert messages[3][2] == (
        "Not sent: this number has not verified a code or had an order delivered, and it was "
        "told about 3 orders in the last 24 hours (the limit for new numbers)")
    # The owner still hears about every order.
    assert [status for *_, status in db.session.query(Notification.kind, Notification.status)
            .filter_by(to=OWNER)] == ["queued"] * 5


def test_a_new_customer_hears_about_their_order_all_the_way_to_the_door(shop):
    orders = [make_order((shop, "500 g", 1), phone=STRANGER).id for _ in range(3)]
    make_order((shop, "500 g", 1), phone=STRANGER)  # the fourth is capped
    for status in ("accepted", "out_for_delivery"):
        change_status(orders[0], status, "owner@example.com")
    change_status(orders[1], "cancelled", "owner@example.com", note="Duplicate order")
    statuses = [(kind, status) for kind, status, _ in _customer_messages()]
    assert statuses[4:] == [("order_accepted", "queued"), ("order_out_for_delivery", "queued"),
                            ("order_cancelled", "queued"), ("credit_note", "queued")]


def test_an_order_the_number_was_never_told_about_stays_quiet(shop):
    for _ in range(4):
        make_order((shop, "500 g", 1), phone=STRANGER)
    fourth = db.session.query(Order).order_by(Order.id.desc()).first()
    change_status(fourth.id, "cancelled", "owner@example.com", note="Fake order")
    assert [m[:2] for m in _customer_messages()[-2:]] == [("order_cancelled", "skipped"),
                                                          ("credit_note", "skipped")]


def test_a_delivered_number_is_known_and_not_capped(shop):
    first = make_order((shop, "500 g", 1), phone=STRANGER)
    for status in ("accepted", "out_for_delivery"):
        change_status(first.id, status, "owner@example.com")
    deliver_order(first.id, "owner@example.com")
    assert db.session.get(KnownPhone, STRANGER).reason == "delivered"
    for _ in range(5):
        make_order((shop, "500 g", 1), phone=STRANGER)
    assert {status for _, status, _ in _customer_messages()} == {"queued"}


def test_a_number_that_verified_a_code_is_known_and_not_capped(shop, monkeypatch):
    monkeypatch.setattr("sweetshop.services.otp.generate_code", lambda: "424242")
    make_order((shop, "500 g", 1), phone=STRANGER)
    otp.request_code(STRANGER, "203.0.113.9")
    otp.verify_code(STRANGER, "424242", "203.0.113.9")
    assert db.session.get(KnownPhone, STRANGER).reason == "verified"
    for _ in range(5):
        make_order((shop, "500 g", 1), phone=STRANGER)
    assert {status for _, status, _ in _customer_messages()} == {"queued"}


def test_a_number_that_wrote_to_us_on_whatsapp_is_known(shop):
    from sweetshop.services.notifications import note_whatsapp_inbound

    note_whatsapp_inbound(STRANGER)
    assert db.session.get(KnownPhone, STRANGER).reason == "whatsapp"
    for _ in range(5):
        make_order((shop, "500 g", 1), phone=STRANGER)
    assert {status for _, status, _ in _customer_messages()} == {"queued"}


def test_the_cap_counts_the_last_24_hours(shop):
    for _ in range(3):
        make_order((shop, "500 g", 1), phone=STRANGER)
    db.session.query(Notification).update(
        {Notification.created_at: Notification.created_at - timedelta(hours=24, seconds=1)})
    db.session.commit()
    make_order((shop, "500 g", 1), phone=STRANGER)
    assert _customer_messages()[-1][:2] == ("order_placed", "queued")


def test_the_cap_can_be_switched_off(app, shop, monkeypatch):
    monkeypatch.setitem(app.config, "NOTIFY_UNKNOWN_NUMBER_DAILY_CAP", 0)
    for _ in range(5):
        make_order((shop, "500 g", 1), phone=STRANGER)
    assert {status for _, status, _ in _customer_messages()} == {"queued"}


def test_concurrent_checkouts_to_one_number_stop_at_the_cap(app):
    """Six checkouts at once, each on its own connection and for a sweet of its own (so no
    product lock puts them in a row): exactly three messages to the number go out."""
    with app.app_context():
        product_ids = [make_product(f"Sweet {n}", stock=5000).id for n in range(6)]
        db.session.remove()
    start = threading.Barrier(len(product_ids))
    errors = []

    def checkout(product_id):
        from sweetshop.models import Product
        try:
            with app.app_context():
                product = db.session.get(Product, product_id)
                start.wait(timeout=10)
                make_order((product, "500 g", 1), phone=STRANGER)
                db.session.remove()
        except Exception as exc:  # reported below: a thread's assert would be lost
            errors.append(exc)

    threads = [threading.Thread(target=checkout, args=(pid,)) for pid in product_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    with app.app_context():
        statuses = sorted(status for _, status, _ in _customer_messages())
        db.session.remove()
    assert statuses == ["queued"] * 3 + ["skipped"] * 3
