"""The owner's refunds: full or partial, once per tap however many taps."""
import re

import pytest
from sqlalchemy import select

from sweetshop.extensions import db
from sweetshop.models import Order, PaymentStatus, Refund
from sweetshop.services import payments
from sweetshop.services.errors import InvalidInput, InvalidTransition
from tests.admin.helpers import OWNER_EMAIL, OWNER_PASSWORD, sign_in
from tests.payments.helpers import place_online_order


def paid_order(fake_razorpay):
    order, payment, product = place_online_order()
    captured = fake_razorpay.add_payment(payment.razorpay_order_id, order.total_paise)
    payments.mark_paid(payment.razorpay_order_id, captured, source="checkout")
    return order.id, captured, order.total_paise


def test_partial_then_full_refund_and_no_more(ctx, fake_razorpay):
    order_id, captured, total = paid_order(fake_razorpay)
    first = payments.refund(order_id, 20000, "owner", "tap-one-0001", reason="One box broken")
    assert first.status == "processed"
    assert db.session.get(Order, order_id).payment_status is PaymentStatus.PARTLY_REFUNDED
    with pytest.raises(InvalidInput):
        payments.refund(order_id, total, "owner", "tap-two-0002")
    payments.refund(order_id, total - 20000, "owner", "tap-three-0003")
    db.session.expire_all()
    assert db.session.get(Order, order_id).payment_status is PaymentStatus.REFUNDED
    with pytest.raises(InvalidTransition):
        payments.refund(order_id, 100, "owner", "tap-four-0004")
    assert [c["data"]["amount"] for c in fake_razorpay.refund_calls] == [20000, total - 20000]


def test_a_cash_order_has_nothing_to_refund(ctx, fake_razorpay):
    from tests.factories import make_order, make_product
    order = make_order((make_product(), "500 g", 1))
    with pytest.raises(InvalidTransition):
        payments.refund(order.id, 100, "owner", "tap-cash-0001")


def test_a_double_tap_on_refund_sends_one_refund_with_one_idempotency_key(
        app, client, fake_razorpay, in_db):
    from sweetshop.services.admin_auth import create_or_reset_admin
    in_db(lambda: create_or_reset_admin(OWNER_EMAIL, OWNER_PASSWORD))
    order_id, captured, total = in_db(lambda: paid_order(fake_razorpay))
    sign_in(client)
    page = client.get(f"/admin/orders/{order_id}").get_data(as_text=True)
    assert 'id="payment"' in page and "has not been refunded" not in page
    # The owner cancels the paid order (htmx swaps the status panel): the refund is urged.
    fragment = client.post(f"/admin/orders/{order_id}/status", headers={"HX-Request": "true"},
                           data={"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"',
                                                         page).group(1),
                                 "to_status": "cancelled", "expected_from": "placed",
                                 "note": "Customer asked"})
    assert fragment.status_code == 200
    assert "has not been refunded" in fragment.get_data(as_text=True)
    page = client.get(f"/admin/orders/{order_id}").get_data(as_text=True)
    assert "has not been refunded" in page
    form = {"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page).group(1),
            "idempotency_key": re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1),
            "amount": f"{total / 100:.2f}", "reason": "Cancelled"}
    first = client.post(f"/admin/orders/{order_id}/refund", data=form)
    second = client.post(f"/admin/orders/{order_id}/refund", data=form)  # the double tap
    assert first.status_code == second.status_code == 303
    assert len(fake_razorpay.refund_calls) == 1
    assert fake_razorpay.refund_calls[0]["key"] == form["idempotency_key"]
    assert in_db(lambda: db.session.scalars(select(Refund)).all().__len__()) == 1
    assert in_db(lambda: db.session.get(Order, order_id).payment_status) is PaymentStatus.REFUNDED
    page = client.get(f"/admin/orders/{order_id}").get_data(as_text=True)
    assert "has not been refunded" not in page and "Processed" in page


def test_a_refund_retried_after_a_gateway_timeout_uses_the_same_key(ctx, fake_razorpay):
    from datetime import timedelta
    order_id, captured, total = paid_order(fake_razorpay)
    fake_razorpay.refund_timeouts = 1
    refund = payments.refund(order_id, total, "owner", "tap-retry-0001")
    # The outcome is unknown: it stays claimed, and is looked up before it is sent again.
    assert refund.status == "sending" and refund.tries == 1
    assert db.session.get(Order, order_id).payment_status is PaymentStatus.REFUND_PENDING
    assert payments.sweep(now=refund.claimed_at + timedelta(minutes=3)) == 1
    db.session.expire_all()
    assert db.session.get(Refund, refund.id).status == "processed"
    assert fake_razorpay.refund_attempts == ["tap-retry-0001", "tap-retry-0001"]
    assert len(fake_razorpay.refund_calls) == 1
