"""An accept racing the escalation's call step.

REAL COMMITS AND SEVERAL DATABASE CONNECTIONS: the owner's Accept, and two clock
processes each ticking and then delivering the call (as two workers would), are threads
with their own application contexts and sessions, released together by a barrier; the
real Twilio SDK calls the local fake Twilio. Each round starts at the moment the first
call falls due. Whatever the interleaving: at most one call for the step, never a call
claimed once the accept has committed, and a call placed just before the accept is ended
at Twilio (the hang-up job runs after the round)."""
from __future__ import annotations

import random
import threading

from rq import Queue, SimpleWorker

from sweetshop.extensions import db, redis_conn
from sweetshop.models import Notification, Order, OrderStatus
from sweetshop.services import alerts, notifications, orders
from tests.alerts.helpers import place_order, rows

ROUNDS = 6


def _race(app, order_id: int) -> dict:
    barrier = threading.Barrier(3, timeout=20)
    results: dict = {}

    def accept():
        with app.app_context():
            try:
                barrier.wait()
                threading.Event().wait(random.uniform(0, 0.15))  # before, during or after
                orders.change_status(order_id, OrderStatus.ACCEPTED, "owner",
                                     expected_from=OrderStatus.PLACED)
                results["accept"] = "ok"
            except Exception as exc:  # recorded for the assertions
                results["accept"] = exc
            finally:
                db.session.remove()

    def clock_process(name):
        with app.app_context():
            try:
                barrier.wait()
                threading.Event().wait(random.uniform(0, 0.03))
                alerts.tick()
                ids = db.session.scalars(db.select(Notification.id).where(
                    Notification.order_id == order_id,
                    Notification.kind == "owner_call")).all()
                db.session.rollback()
                results[name] = [notifications.deliver(i) for i in ids]
            except Exception as exc:
                results[name] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=accept),
               threading.Thread(target=clock_process, args=("tick-1",)),
               threading.Thread(target=clock_process, args=("tick-2",))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def test_an_accept_racing_the_call_step_never_lets_a_call_ring_on_and_never_calls_twice(
        app, clock, fake_twilio, monkeypatch):
    outcomes = set()
    for round_number in range(ROUNDS):
        with app.app_context():
            order = place_order(phones="+919811112222", sweet=f"Peda {round_number}")
            order_id = order.id
            clock.at(round_number * 100 + 7.99)
            alerts.tick()  # the reminder: the next step is the call, due at minute 8
            notifications_before = len(fake_twilio.calls)
            db.session.remove()
        clock.at(round_number * 100 + 8)
        results = _race(app, order_id)
        assert results["accept"] == "ok", results
        assert not any(isinstance(v, Exception) for v in results.values()), results

        with app.app_context():
            conn = redis_conn.client()
            SimpleWorker([Queue("notifications", connection=conn)],
                         connection=conn).work(burst=True)  # the hang-up job, if any
            calls = fake_twilio.calls[notifications_before:]
            call_rows = [r for r in rows(kind="owner_call") if r.order_id == order_id]
            order = db.session.get(Order, order_id)
            assert order.status is OrderStatus.ACCEPTED and order.alert.stopped_at is not None
            assert len(call_rows) <= 1 and len(calls) <= 1  # never two calls for one step
            if call_rows and call_rows[0].status == "skipped":
                assert calls == []  # the accept came first: no call
                outcomes.add("skipped")
            elif calls:
                assert call_rows[0].provider_sid == calls[0]["sid"]
                assert calls[0]["status"] in ("canceled", "completed")  # ended at Twilio
                outcomes.add("called-then-ended")
            else:
                assert not call_rows  # the accept stopped the ladder before the step
                outcomes.add("stopped-before-step")
            db.session.remove()
    assert outcomes  # which interleavings happened is up to the machine


def _due_call(clock, fake_twilio):
    order = place_order(phones="+919811112222")
    clock.at(8)
    alerts.tick(), alerts.tick()
    [call] = rows(kind="owner_call")
    return order, call


def test_an_accept_while_twilio_places_the_call_ends_the_call_at_once(
        app, clock, fake_twilio):
    with app.app_context():
        order, call = _due_call(clock, fake_twilio)
        order_id, call_id = order.id, call.id
        db.session.remove()
    fake_twilio.call_hold_seconds = 0.5  # Twilio has the call; its answer is on the way
    results = {}

    def worker():
        with app.app_context():
            results["deliver"] = notifications.deliver(call_id)
            db.session.remove()

    thread = threading.Thread(target=worker)
    thread.start()
    for _ in range(100):
        if fake_twilio.calls:
            break
        threading.Event().wait(0.02)
    with app.app_context():
        orders.change_status(order_id, OrderStatus.ACCEPTED, "owner",
                             expected_from=OrderStatus.PLACED)
        db.session.remove()
    thread.join(10)
    assert results["deliver"] == "sent"
    assert [c["status"] for c in fake_twilio.calls] == ["canceled"]


def test_an_accept_after_the_call_was_placed_ends_it_through_a_job(ctx, clock, fake_twilio):
    order, call = _due_call(clock, fake_twilio)
    assert notifications.deliver(call.id) == "sent"
    orders.change_status(order.id, OrderStatus.ACCEPTED, "owner",
                         expected_from=OrderStatus.PLACED)
    conn = redis_conn.client()
    SimpleWorker([Queue("notifications", connection=conn)], connection=conn).work(burst=True)
    assert [c["status"] for c in fake_twilio.calls] == ["canceled"]
    assert fake_twilio.call_requests[0]["Status"] == "canceled"
