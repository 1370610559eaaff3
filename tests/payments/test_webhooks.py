"""POST /webhooks/razorpay with Razorpay's own sample payloads, signed over the exact bytes."""
import json
import random

import pytest
from sqlalchemy import select

from sweetshop.extensions import db
from sweetshop.models import (
    Notification,
    Order,
    OrderStatus,
    OrderStatusChange,
    PaymentAttempt,
    PaymentStatus,
    StockMovement,
    WebhookEvent,
)
from sweetshop.services import payments
from tests.payments.helpers import (
    SAMPLES,
    place_online_order,
    rzp_id,
    sample,
    webhook_signature,
)

SAMPLE_FILES = ["payment.authorized__upi.json", "payment.captured__upi.json",
                "payment.captured__card.json", "order.paid__upi.json"]


def deliver(client, body: bytes, event_id: str, signature: str | None = None):
    return client.post("/webhooks/razorpay", data=body, content_type="application/json",
                       headers={"X-Razorpay-Signature": signature or webhook_signature(body),
                                "X-Razorpay-Event-Id": event_id})


def run_jobs():
    """Run whatever the webhook view enqueued, in this process (the test's app context)."""
    from rq import Queue, SimpleWorker

    from sweetshop.extensions import redis_conn
    conn = redis_conn.client()
    SimpleWorker([Queue("default", connection=conn)], connection=conn).work(burst=True)


def test_the_samples_are_beside_the_repository():
    assert (SAMPLES / "order.paid__upi.json").is_file(), SAMPLES


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_each_sample_three_times_out_of_order_pays_once_and_moves_stock_once(
        ctx, client, fake_razorpay, seed):
    order, payment, product = place_online_order()
    stock_after_placing = product.stock
    paid_id, failed_id = rzp_id("pay"), rzp_id("pay")
    deliveries = []
    for name in SAMPLE_FILES:
        body = sample(name, order_id=payment.razorpay_order_id, payment_id=paid_id,
                      amount=order.total_paise)
        deliveries += [(body, f"evt_{name}")] * 3
    failed = sample("payment.failed__upi.json", order_id=payment.razorpay_order_id,
                    payment_id=failed_id, amount=order.total_paise)
    deliveries += [(failed, "evt_failed")] * 3
    random.Random(seed).shuffle(deliveries)

    for body, event_id in deliveries:
        assert deliver(client, body, event_id).status_code == 200
        if random.Random(seed + len(body)).random() < 0.5:
            run_jobs()  # some processed at once, some later, like a busy worker
    run_jobs()

    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert (order.status, order.payment_status) == (OrderStatus.PLACED, PaymentStatus.PAID)
    assert db.session.get(type(payment), payment.id).razorpay_payment_id == paid_id
    to_placed = db.session.scalars(select(OrderStatusChange).where(
        OrderStatusChange.order_id == order.id,
        OrderStatusChange.to_status == OrderStatus.PLACED)).all()
    assert len(to_placed) == 1
    movements = db.session.scalars(select(StockMovement).where(
        StockMovement.order_id == order.id)).all()
    assert len(movements) == 1  # the hold at checkout; nothing returned, nothing taken twice
    assert db.session.get(type(product), product.id).stock == stock_after_placing
    events = db.session.scalars(select(WebhookEvent)).all()
    assert len(events) == 5 and all(e.processed_at for e in events)
    kinds = [n.kind for n in db.session.scalars(select(Notification).where(
        Notification.order_id == order.id))]
    assert kinds.count("order_placed") == 1 and kinds.count("owner_new_order") == 1
    attempts = {a.razorpay_payment_id: a.status for a in db.session.scalars(select(PaymentAttempt))}
    assert attempts == {paid_id: "captured", failed_id: "failed"}


def test_a_bad_signature_is_refused_and_nothing_is_stored(ctx, client, fake_razorpay):
    order, payment, _ = place_online_order()
    body = sample("payment.captured__upi.json", order_id=payment.razorpay_order_id,
                  payment_id=rzp_id("pay"), amount=order.total_paise)
    assert deliver(client, body, "evt_1", signature=webhook_signature(body, "wrong")
                   ).status_code == 400
    assert client.post("/webhooks/razorpay", data=body, content_type="application/json",
                       headers={"X-Razorpay-Event-Id": "evt_2"}).status_code == 400
    assert db.session.scalars(select(WebhookEvent)).all() == []


def test_a_reserialised_body_is_rejected(ctx, client, fake_razorpay):
    order, payment, _ = place_online_order()
    body = sample("order.paid__upi.json", order_id=payment.razorpay_order_id,
                  payment_id=rzp_id("pay"), amount=order.total_paise)
    reserialised = json.dumps(json.loads(body)).encode()
    assert reserialised != body
    # Signed over Razorpay's bytes, delivered re-serialised (what a parse-then-verify does).
    assert deliver(client, reserialised, "evt_1", signature=webhook_signature(body)
                   ).status_code == 400
    assert db.session.scalars(select(WebhookEvent)).all() == []
    db.session.expire_all()
    assert db.session.get(Order, order.id).status is OrderStatus.AWAITING_PAYMENT


def test_a_repeated_event_id_is_acknowledged_and_ignored(ctx, client, fake_razorpay):
    order, payment, _ = place_online_order()
    body = sample("payment.captured__upi.json", order_id=payment.razorpay_order_id,
                  payment_id=rzp_id("pay"), amount=order.total_paise)
    assert deliver(client, body, "evt_same").status_code == 200
    assert deliver(client, body, "evt_same").status_code == 200
    assert len(db.session.scalars(select(WebhookEvent)).all()) == 1
    from rq import Queue

    from sweetshop.extensions import redis_conn
    assert Queue("default", connection=redis_conn.client()).count == 1


def test_with_redis_down_the_event_is_stored_acknowledged_and_swept_later(
        ctx, client, fake_razorpay, app, monkeypatch):
    order, payment, _ = place_online_order()
    body = sample("payment.captured__card.json", order_id=payment.razorpay_order_id,
                  payment_id=rzp_id("pay"), amount=order.total_paise)
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens
    assert deliver(client, body, "evt_redis_down").status_code == 200
    event = db.session.scalars(select(WebhookEvent)).one()
    assert event.processed_at is None
    from datetime import timedelta
    assert payments.sweep(now=event.received_at + timedelta(minutes=1)) == 1
    db.session.expire_all()
    assert db.session.get(Order, order.id).payment_status is PaymentStatus.PAID
    assert db.session.scalars(select(WebhookEvent)).one().processed_at is not None


def test_an_unknown_event_is_stored_and_ignored(ctx, client, fake_razorpay):
    body = b'{"entity":"event","event":"subscription.charged","payload":{},"created_at":1}'
    assert deliver(client, body, "evt_unknown").status_code == 200
    run_jobs()
    event = db.session.scalars(select(WebhookEvent)).one()
    assert (event.event_type, event.outcome) == ("subscription.charged", "ignored")
    assert event.processed_at is not None and event.body == body.decode()


def test_a_failed_payment_is_recorded_and_the_customer_told_once(ctx, client, fake_razorpay):
    order, payment, _ = place_online_order()
    for n in range(2):  # two different failed tries
        body = sample("payment.failed__upi.json", order_id=payment.razorpay_order_id,
                      payment_id=rzp_id("pay"), amount=order.total_paise)
        deliver(client, body, f"evt_failed_{n}")
    run_jobs()
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert (order.status, order.payment_status) == (OrderStatus.AWAITING_PAYMENT,
                                                    PaymentStatus.FAILED)
    assert len(db.session.scalars(select(PaymentAttempt)).all()) == 2
    kinds = [n.kind for n in db.session.scalars(select(Notification))]
    assert kinds == ["payment_failed"]  # no "placed" messages for an unpaid online order


def test_a_captured_payment_with_another_amount_is_refused(ctx, client, fake_razorpay):
    order, payment, _ = place_online_order()
    body = sample("payment.captured__upi.json", order_id=payment.razorpay_order_id,
                  payment_id=rzp_id("pay"), amount=order.total_paise - 100)
    deliver(client, body, "evt_short")
    run_jobs()
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert (order.status, order.payment_status) == (OrderStatus.AWAITING_PAYMENT,
                                                    PaymentStatus.UNPAID)
    assert db.session.scalars(select(PaymentAttempt)).one().status == "refused"
    assert "does not match" in db.session.get(type(payment), payment.id).attention


def test_refund_webhooks_update_the_refund(ctx, client, fake_razorpay):
    from sweetshop.models import Refund
    order, payment, _ = place_online_order()
    paid = fake_razorpay.add_payment(payment.razorpay_order_id, order.total_paise)
    payments.mark_paid(payment.razorpay_order_id, paid, source="webhook")
    fake_razorpay.refund_status = "pending"
    refund = payments.refund(order.id, 10000, "owner@example.in", "key-webhook-0001")
    assert refund.status == "pending"
    entity = {"id": refund.razorpay_refund_id, "entity": "refund", "amount": 10000,
              "currency": "INR", "payment_id": paid["id"], "notes": {"refund": str(refund.id)},
              "status": "processed"}
    body = json.dumps({"entity": "event", "event": "refund.processed", "contains": ["refund"],
                       "payload": {"refund": {"entity": entity}}, "created_at": 1}).encode()
    for _ in range(2):
        deliver(client, body, "evt_refund_processed")
    run_jobs()
    db.session.expire_all()
    assert db.session.get(Refund, refund.id).status == "processed"
    assert db.session.get(Order, order.id).payment_status is PaymentStatus.PARTLY_REFUNDED
    kinds = [n.kind for n in db.session.scalars(select(Notification))]
    assert kinds.count("refund_done") == 1


def test_a_signed_event_with_nul_in_a_string_is_applied_once_without_it(ctx, client,
                                                                         fake_razorpay):
    # Before: stored as sent, then every try of the job failed with PostgreSQL's DataError
    # (text cannot hold NUL) and the sweeper retried it again and again.
    order, payment, _ = place_online_order()
    body = sample("payment.failed__upi.json", order_id=payment.razorpay_order_id,
                  payment_id=rzp_id("pay"), amount=order.total_paise)
    body = body.replace(b'"Payment failed"', b'"Payment\\u0000 failed"')
    assert b"\\u0000" in body
    assert deliver(client, body, "evt_nul").status_code == 200
    run_jobs()
    db.session.expire_all()
    event = db.session.scalars(select(WebhookEvent)).one()
    assert event.processed_at is not None and event.tries == 1 and event.error == ""
    assert "\\u0000" not in event.body and "Payment failed" in event.body
    attempt = db.session.scalars(select(PaymentAttempt)).one()
    assert "\x00" not in attempt.error
    assert db.session.get(Order, order.id).payment_status is PaymentStatus.FAILED


@pytest.mark.parametrize("body", [
    b'{"event": "payment.captured", "payload": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    b'{"event": "payment.captured", "payload": {"payment": {"entity": {"id": "p\x00"}}}}',
    b'["not", "an", "object"]',
], ids=["nested-5000-deep", "raw-nul-byte", "not-an-object"])
def test_a_signed_body_we_cannot_use_is_refused_with_400_and_not_stored(ctx, client,
                                                                       fake_razorpay, body):
    assert deliver(client, body, "evt_unusable").status_code == 400
    assert db.session.scalars(select(WebhookEvent)).all() == []
