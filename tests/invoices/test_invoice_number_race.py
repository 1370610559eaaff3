"""Invoice numbers under real concurrency: orders placed at the same moment never share or
skip a number, and a transaction that takes a number and then fails gives it back.

These tests use REAL COMMITS AND SEVERAL DATABASE CONNECTIONS: every customer is a thread
with its own application context, session and connection, released together by a barrier.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from sweetshop import create_app
from sweetshop.extensions import db
from sweetshop.models import Invoice
from sweetshop.services import cart as cart_service
from sweetshop.services import invoices as invoice_service
from sweetshop.services.checkout import CustomerDetails, new_idempotency_key, place_order
from sweetshop.services.orders import change_status
from tests.concurrency import race
from tests.factories import make_order, make_product, variant_named
from tests.invoices.helpers import register_shop

THREADS = 16


@pytest.fixture(scope="module")
def racing_app(app):
    keys = ("SWEETSHOP_ENV", "ENV_NAME", "TESTING", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI",
            "REDIS_URL", "SESSION_COOKIE_SECURE", "SERVER_NAME")
    config = {key: app.config[key] for key in keys if key in app.config}
    config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_size": THREADS + 4, "max_overflow": 0,
                                           "pool_timeout": 30}
    racing = create_app(config)
    yield racing
    with racing.app_context():
        db.engine.dispose()


def _taken_then_failed():
    """A transaction that takes the next invoice number, then fails before committing."""
    invoice_service._next_sequence("invoice", invoice_service.financial_year(
        invoice_service.utcnow()))
    db.session.rollback()
    return "rolled back"


def test_parallel_orders_never_share_or_skip_an_invoice_number(racing_app):
    with racing_app.app_context():
        register_shop()
        jobs = []
        for i in range(THREADS - 4):  # each its own sweet and phone: only the counter is shared
            product = make_product(f"Sweet {i}")
            token, _ = cart_service.add_to_cart(None, variant_named(product, "250 g").id, 1)
            details = CustomerDetails(name=f"Customer {i}", phone=f"+9198765432{i:02d}",
                                      address="12 MG Road, Bengaluru", pincode="560038")
            jobs.append(lambda t=token, d=details: place_order(t, d, new_idempotency_key()).id)
        jobs += [_taken_then_failed] * 4
        db.session.remove()

    results = race(racing_app, jobs)

    order_ids = [r for r in results if isinstance(r, int)]
    assert len(order_ids) == THREADS - 4, results
    with racing_app.app_context():
        invoices = db.session.scalars(select(Invoice).order_by(Invoice.sequence)).all()
        assert sorted(i.order_id for i in invoices) == sorted(order_ids)
        assert [i.sequence for i in invoices] == list(range(1, THREADS - 3))
        assert len({i.number for i in invoices}) == len(invoices)
        db.session.remove()


def test_parallel_cancellations_number_their_credit_notes_without_gaps(racing_app):
    with racing_app.app_context():
        register_shop()
        order_ids = []
        for i in range(10):
            product = make_product(f"Sweet {i}")
            order_ids.append(make_order((product, "250 g", 1),
                                        phone=f"+9198765430{i:02d}").id)
        db.session.remove()

    results = race(racing_app, [
        lambda oid=oid: change_status(oid, "cancelled", "owner", note="Shop closed").id
        for oid in order_ids])

    assert sorted(results) == sorted(order_ids), results
    with racing_app.app_context():
        notes = db.session.scalars(select(Invoice).where(
            Invoice.document_type == "credit_note").order_by(Invoice.sequence)).all()
        assert [n.sequence for n in notes] == list(range(1, 11))
        assert sorted(n.order_id for n in notes) == sorted(order_ids)
        db.session.remove()
