"""A refund asks Razorpay exactly once, whatever races it.

These tests use REAL COMMITS AND SEVERAL DATABASE CONNECTIONS at once: each racer is a
thread with its own application context, session and connection, released together by a
barrier; Razorpay is faked at the HTTP boundary (`responses`), counting every request.
"""
from __future__ import annotations

import re
import threading
from datetime import timedelta

from sqlalchemy import select

from sweetshop import jobs
from sweetshop.extensions import db
from sweetshop.models import Order, PaymentStatus, Refund, utcnow
from sweetshop.services import payments
from sweetshop.services.payments.refunds import _create_refund
from tests.admin.helpers import OWNER_EMAIL, OWNER_PASSWORD, csrf_token_in, sign_in
from tests.concurrency import race
from tests.payments.helpers import place_online_order


def paid_order(fake_razorpay):
    order, payment, product = place_online_order()
    captured = fake_razorpay.add_payment(payment.razorpay_order_id, order.total_paise)
    payments.mark_paid(payment.razorpay_order_id, captured, source="checkout")
    return order.id, order.total_paise


def test_two_taps_the_job_and_the_sweeper_racing_make_one_refund_request(
        app, in_db, fake_razorpay):
    order_id, total = in_db(lambda: paid_order(fake_razorpay))
    refund_id = in_db(lambda: _create_refund(order_id, total, "owner", "tap-race-0001", "").id)
    fake_razorpay.refund_delay = 0.3  # Razorpay is slow: every racer arrives mid-call
    soon = utcnow() + timedelta(minutes=1)
    results = race(app, [
        lambda: payments.refund(order_id, total, "owner", "tap-race-0001").status,
        lambda: payments.refund(order_id, total, "owner", "tap-race-0001").status,
        lambda: jobs.send_refund(refund_id),
        lambda: jobs.send_refund(refund_id),
        lambda: payments.sweep(now=soon),
        lambda: payments.sweep(now=soon),
    ])
    assert not [r for r in results if isinstance(r, Exception)], results
    assert fake_razorpay.refund_attempts == ["tap-race-0001"]
    row = in_db(lambda: db.session.get(Refund, refund_id))
    assert row.status == "processed" and row.tries == 1
    assert in_db(lambda: db.session.get(Order, order_id).payment_status) is PaymentStatus.REFUNDED


def test_a_refund_whose_answer_was_lost_is_looked_up_at_razorpay_not_sent_again(
        ctx, app, fake_razorpay):
    order_id, total = paid_order(fake_razorpay)
    fake_razorpay.refund_answers_lost = 1  # Razorpay refunds, the answer times out
    row = payments.refund(order_id, total, "owner", "tap-lost-0001")
    assert row.status == "sending" and row.claimed_at is not None
    assert db.session.get(Order, order_id).payment_status is PaymentStatus.REFUND_PENDING
    claimed_at = row.claimed_at
    # Within the claim timeout the send may still be in flight: nobody touches it.
    assert payments.sweep(now=claimed_at + timedelta(seconds=60)) == 0
    assert payments.send_refund(row.id) == "in-flight"
    # Past it, Razorpay's refunds of the payment are asked first, and it is found there.
    timeout = timedelta(seconds=app.config["REFUND_CLAIM_TIMEOUT"])
    assert payments.send_refund(row.id, now=claimed_at + timeout) == "recovered"
    assert len(fake_razorpay.refund_lookups) == 1
    assert fake_razorpay.refund_attempts == ["tap-lost-0001"]  # one POST, ever
    db.session.expire_all()
    assert db.session.get(Refund, row.id).status == "processed"
    assert db.session.get(Order, order_id).payment_status is PaymentStatus.REFUNDED


def test_a_cut_off_refund_razorpay_never_got_is_sent_again_after_the_lookup(
        ctx, app, fake_razorpay):
    order_id, total = paid_order(fake_razorpay)
    fake_razorpay.refund_timeouts = 1  # the request never reached Razorpay's books
    row = payments.refund(order_id, total, "owner", "tap-cut-0001")
    assert row.status == "sending"
    timeout = timedelta(seconds=app.config["REFUND_CLAIM_TIMEOUT"])
    assert payments.sweep(now=row.claimed_at + timeout) == 1
    assert len(fake_razorpay.refund_lookups) == 1
    assert fake_razorpay.refund_attempts == ["tap-cut-0001", "tap-cut-0001"]
    assert len(fake_razorpay.refund_calls) == 1
    db.session.expire_all()
    assert db.session.get(Refund, row.id).status == "processed"


def test_two_posts_of_the_refund_form_at_once_make_one_refund_request(app, in_db, fake_razorpay):
    from sweetshop.services.admin_auth import create_or_reset_admin
    in_db(lambda: create_or_reset_admin(OWNER_EMAIL, OWNER_PASSWORD))
    order_id, total = in_db(lambda: paid_order(fake_razorpay))
    first, second = app.test_client(), app.test_client()
    for client in (first, second):
        sign_in(client)
    pages = [c.get(f"/admin/orders/{order_id}").get_data(as_text=True) for c in (first, second)]
    key = re.search(r'name="idempotency_key" value="([^"]+)"', pages[0]).group(1)
    forms = [{"csrf_token": csrf_token_in(page), "idempotency_key": key,
              "amount": f"{total / 100:.2f}", "reason": "Cancelled"} for page in pages]
    fake_razorpay.refund_delay = 0.3
    barrier = threading.Barrier(2, timeout=30)
    answers: list[object] = [None, None]

    def tap(i, client):
        barrier.wait()
        answers[i] = client.post(f"/admin/orders/{order_id}/refund", data=forms[i]).status_code

    threads = [threading.Thread(target=tap, args=(i, c)) for i, c in enumerate((first, second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert answers == [303, 303]
    assert fake_razorpay.refund_attempts == [key]
    assert in_db(lambda: len(db.session.scalars(select(Refund)).all())) == 1
    assert in_db(lambda: db.session.get(Order, order_id).payment_status) is PaymentStatus.REFUNDED
