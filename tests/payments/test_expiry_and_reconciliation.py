"""Unpaid orders expire; late payments take stock again or are refunded; reconciliation
finds payments whose webhook never came."""
from datetime import timedelta

from sqlalchemy import select

from sweetshop.extensions import db
from sweetshop.models import (
    Notification,
    Order,
    OrderStatus,
    Payment,
    PaymentStatus,
    Product,
    Refund,
    StockMovement,
)
from sweetshop.services import payments
from tests.payments.helpers import place_online_order


def later(order, minutes):
    return order.created_at + timedelta(minutes=minutes)


def reasons(order_id):
    return [m.reason for m in db.session.scalars(select(StockMovement).where(
        StockMovement.order_id == order_id).order_by(StockMovement.id))]


def test_an_unpaid_order_expires_after_the_setting_and_its_stock_returns(ctx, fake_razorpay):
    order, payment, product = place_online_order(stock=2000)
    assert product.stock == 1500
    assert payments.expire_unpaid_orders(now=later(order, 19)) == 0
    assert payments.expire_unpaid_orders(now=later(order, 21)) == 1
    assert payments.expire_unpaid_orders(now=later(order, 22)) == 0  # idempotent
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert order.status is OrderStatus.EXPIRED
    assert db.session.get(Product, product.id).stock == 2000
    assert reasons(order.id) == ["sale", "payment expired"]
    assert [n.kind for n in db.session.scalars(select(Notification))] == ["order_expired"]


def test_a_payment_after_expiry_takes_the_stock_again_when_there_is_enough(ctx, fake_razorpay):
    order, payment, product = place_online_order(stock=2000)
    payments.expire_unpaid_orders(now=later(order, 21))
    captured = fake_razorpay.add_payment(payment.razorpay_order_id, order.total_paise)
    assert payments.mark_paid(payment.razorpay_order_id, captured, source="webhook") == "late-paid"
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert (order.status, order.payment_status) == (OrderStatus.PLACED, PaymentStatus.PAID)
    assert db.session.get(Product, product.id).stock == 1500
    assert reasons(order.id) == ["sale", "payment expired", "sale"]
    assert fake_razorpay.refund_calls == []


def test_a_payment_after_expiry_with_the_stock_gone_is_refunded_and_the_owner_told(
        ctx, fake_razorpay):
    order, payment, product = place_online_order(stock=600)
    payments.expire_unpaid_orders(now=later(order, 21))
    from sweetshop.services.stock import adjust_stock
    adjust_stock(product.id, new_total=100, reason="wastage", actor="owner")  # sold in the shop
    captured = fake_razorpay.add_payment(payment.razorpay_order_id, order.total_paise)
    assert payments.mark_paid(payment.razorpay_order_id, captured, source="webhook") == "refunding"
    # The refund job (enqueued) runs; run it here as the worker would.
    refund = db.session.scalars(select(Refund)).one()
    assert payments.send_refund(refund.id) == "sent"
    assert payments.send_refund(refund.id) == "done"
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert order.status is OrderStatus.EXPIRED
    assert order.payment_status is PaymentStatus.REFUNDED
    assert db.session.get(Product, product.id).stock == 100  # nothing taken
    assert len(fake_razorpay.refund_calls) == 1
    call = fake_razorpay.refund_calls[0]
    assert call["payment_id"] == captured["id"] and call["data"]["amount"] == order.total_paise
    assert call["key"] == refund.idempotency_key
    assert "sold out" in db.session.get(Payment, payment.id).attention
    kinds = [n.kind for n in db.session.scalars(select(Notification).order_by(Notification.id))]
    assert kinds == ["order_expired", "refund_done"]


def test_reconciliation_finds_a_payment_whose_webhook_never_came(ctx, fake_razorpay):
    order, payment, product = place_online_order()
    fake_razorpay.add_payment(payment.razorpay_order_id, order.total_paise, status="failed")
    captured = fake_razorpay.add_payment(payment.razorpay_order_id, order.total_paise)
    assert payments.reconcile_awaiting(now=later(order, 1)) == 0  # webhook's head start
    assert payments.reconcile_awaiting(now=later(order, 3)) == 1
    assert payments.reconcile_awaiting(now=later(order, 4)) == 0  # nothing left waiting
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert (order.status, order.payment_status) == (OrderStatus.PLACED, PaymentStatus.PAID)
    assert db.session.get(Payment, payment.id).razorpay_payment_id == captured["id"]
    kinds = [n.kind for n in db.session.scalars(select(Notification))]
    assert sorted(kinds) == ["order_placed", "owner_new_order"]  # no "payment failed" text


def test_expiry_asks_razorpay_first_so_a_paid_order_is_not_expired(ctx, fake_razorpay):
    order, payment, product = place_online_order()
    fake_razorpay.add_payment(payment.razorpay_order_id, order.total_paise)
    assert payments.expire_unpaid_orders(now=later(order, 25)) == 0
    db.session.expire_all()
    assert db.session.get(Order, order.id).status is OrderStatus.PLACED
    assert reasons(order.id) == ["sale"]


def test_a_tampered_amount_never_marks_an_order_paid(ctx, fake_razorpay):
    order, payment, _ = place_online_order()
    cheap = fake_razorpay.add_payment(payment.razorpay_order_id, 100)
    assert payments.mark_paid(payment.razorpay_order_id, cheap, source="webhook") == "refused"
    dollars = fake_razorpay.add_payment(payment.razorpay_order_id, order.total_paise,
                                        currency="USD")
    assert payments.mark_paid(payment.razorpay_order_id, dollars, source="webhook") == "refused"
    db.session.expire_all()
    assert db.session.get(Order, order.id).payment_status is PaymentStatus.UNPAID


def test_a_paid_order_never_moves_back(ctx, fake_razorpay):
    order, payment, _ = place_online_order()
    captured = fake_razorpay.add_payment(payment.razorpay_order_id, order.total_paise)
    assert payments.mark_paid(payment.razorpay_order_id, captured, source="webhook") == "paid"
    failed = dict(captured, status="failed")
    payments.record_failed_attempt(payment.razorpay_order_id, failed, source="webhook")
    assert payments.expire_unpaid_orders(now=later(order, 60)) == 0
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert (order.status, order.payment_status) == (OrderStatus.PLACED, PaymentStatus.PAID)


def test_the_periodic_sweeper_runs_the_payment_sweeps(ctx, fake_razorpay):
    from sweetshop.periodic import run_once
    results = run_once()
    assert {"payment_events", "payment_reconcile", "payment_expiry"} <= set(results)
    assert all(v >= 0 for v in results.values()), results


def test_an_online_payment_landing_after_cash_was_received_asks_the_owner_to_refund(
        ctx, fake_razorpay):
    from sweetshop.services.orders import change_status
    order, payment, product = place_online_order()
    payments.switch_to_cod(order.public_token)
    from tests.factories import deliver_order
    for status in (OrderStatus.ACCEPTED, OrderStatus.OUT_FOR_DELIVERY):
        change_status(order.id, status, "owner@example.in")
    deliver_order(order.id, "owner@example.in")
    captured = fake_razorpay.add_payment(payment.razorpay_order_id, order.total_paise)
    assert payments.mark_paid(payment.razorpay_order_id, captured, source="webhook") == "switched"
    db.session.expire_all()
    assert "paid in cash, then the online payment went through too: refund the online " \
           "payment" in db.session.get(Payment, payment.id).attention
