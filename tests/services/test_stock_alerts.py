""""Tell me when it's back": one message per waiting number when stock returns, at most
10 sweets per number (also under concurrent requests)."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from sweetshop.extensions import db
from sweetshop.models import Notification, StockAlert
from sweetshop.services import stock_alerts
from sweetshop.services.errors import InvalidInput
from sweetshop.services.stock import adjust_stock
from tests.factories import make_product


def test_one_message_when_the_sweet_is_back_and_never_again(ctx):
    barfi = make_product("Dry Fruit Barfi", stock=0)
    assert stock_alerts.request_alert(barfi.id, "98765 43210", "hi") is True
    assert stock_alerts.request_alert(barfi.id, "+91 98765 43210") is False  # already waiting
    adjust_stock(barfi.id, change=100, reason="fresh batch", actor="o")  # not one pack yet
    assert db.session.scalar(select(db.func.count()).select_from(Notification)) == 0
    adjust_stock(barfi.id, change=1000, reason="fresh batch", actor="o")
    adjust_stock(barfi.id, change=1000, reason="fresh batch", actor="o")
    sent = db.session.scalars(select(Notification).where(
        Notification.kind == "back_in_stock")).all()
    assert len(sent) == 1 and sent[0].to == "+919876543210"
    assert "Dry Fruit Barfi" in sent[0].body and "फिर से" in sent[0].body
    assert db.session.scalar(select(StockAlert.notified_at)) is not None


def test_a_number_waits_for_at_most_ten_sweets(ctx):
    sweets = [make_product(stock=0) for _ in range(11)]
    for sweet in sweets[:10]:
        stock_alerts.request_alert(sweet.id, "9876543210")
    with pytest.raises(InvalidInput, match="already waits for 10 sweets"):
        stock_alerts.request_alert(sweets[10].id, "9876543210")
    with pytest.raises(InvalidInput, match="valid Indian mobile"):
        stock_alerts.request_alert(sweets[10].id, "12345")


def test_concurrent_requests_cannot_pass_the_limit_together(app, in_db):
    ids = in_db(lambda: [make_product(stock=0).id for _ in range(14)])
    in_db(lambda: [stock_alerts.request_alert(i, "9876543210") for i in ids[:8]])
    barrier = threading.Barrier(6)

    def ask(product_id):
        with app.app_context():
            barrier.wait()
            try:
                stock_alerts.request_alert(product_id, "9876543210")
            except InvalidInput:
                db.session.rollback()
            finally:
                db.session.remove()
    threads = [threading.Thread(target=ask, args=(i,)) for i in ids[8:]]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert in_db(lambda: db.session.scalar(
        select(db.func.count()).select_from(StockAlert))) == 10


def test_the_sold_out_product_page_offers_the_form(client, in_db):
    slug = in_db(lambda: make_product("Dry Fruit Barfi", stock=0).slug)
    html = client.get(f"/p/{slug}").get_data(as_text=True)
    assert "Tell me when it's back" in html and 'name="phone"' in html
    home = client.get("/").get_data(as_text=True)
    assert "Out of stock" in home and f"/p/{slug}#notify" in home
