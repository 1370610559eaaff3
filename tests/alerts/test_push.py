"""Web Push through the outbox: pywebpush really signs (VAPID) and encrypts (RFC 8291
aes128gcm); the local fake push service checks the JWT and decrypts the payload with the
subscription's keys, as the browser would. 404/410 remove the device, 429/5xx retry."""
from datetime import timedelta

from sweetshop.extensions import db, redis_conn
from sweetshop.models import OrderStatus, PushSubscription, utcnow
from sweetshop.services import notifications
from tests.admin.helpers import sign_in
from tests.alerts.helpers import owner_with_device, place_order, rows, run_outbox
from tests.notifications.helpers import queued_job_count


def test_a_new_order_sends_one_valid_decryptable_push_that_opens_the_order(ctx, push_service):
    owner_with_device(push_service)
    order = place_order()
    [push] = rows(kind="owner_push")
    assert push.channel == "push" and push.status == "queued"
    assert queued_job_count() == 4  # customer, two owner phones, the push: after the commit

    assert notifications.deliver(push.id) == "sent"
    assert notifications.deliver(push.id) == "done"  # a duplicate job changes nothing
    [received] = push_service.pushes
    assert received["claims"]["sub"] == "mailto:owner@mithaas.example"
    payload = received["payload"]
    assert payload["title"] == f"New order #{order.number} · ₹580"
    assert payload["url"].endswith(f"/admin/orders/{order.id}")
    assert payload["tag"] == f"order-{order.id}" and payload["accept_token"]
    assert received["headers"]["topic"] == f"order-{order.id}"
    assert received["headers"]["urgency"] == "high" and int(received["headers"]["ttl"]) > 0
    db.session.refresh(push)
    assert push.status == "sent" and push.provider_sid.startswith(f"push-{push.id}-")


def test_a_device_the_push_service_says_is_gone_is_removed(ctx, push_service):
    owner_with_device(push_service)
    place_order()
    [push] = rows(kind="owner_push")
    push_service.answers = [410]
    assert notifications.deliver(push.id) == "failed"
    assert db.session.query(PushSubscription).count() == 0
    [push] = rows(kind="owner_push")
    assert push.push_subscription_id is None and "removed" in push.error_message
    assert push_service.pushes == []


def test_404_removes_the_device_too(ctx, push_service):
    owner_with_device(push_service)
    place_order()
    push_service.answers = [404]
    assert notifications.deliver(rows(kind="owner_push")[0].id) == "failed"
    assert db.session.query(PushSubscription).count() == 0


def test_429_and_5xx_are_retried_with_backoff_then_sent_once(ctx, push_service):
    owner_with_device(push_service)
    place_order()
    [push] = rows(kind="owner_push")
    push_service.answers = [429, 503]
    assert notifications.deliver(push.id) == "retry"
    db.session.refresh(push)
    assert push.status == "queued" and push.next_attempt_at > utcnow()
    assert notifications.deliver(push.id) == "later"  # backing off
    push.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert notifications.deliver(push.id) == "retry"
    push.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert notifications.deliver(push.id) == "sent"
    assert [r["status"] for r in push_service.refused] == [429, 503]
    assert len(push_service.pushes) == 1
    assert db.session.query(PushSubscription).count() == 1


def test_a_push_whose_job_redis_lost_is_sent_after_the_sweep(ctx, push_service):
    owner_with_device(push_service)
    place_order(phones="")
    redis_conn.client().flushdb()  # Redis restarted without its jobs
    assert notifications.sweep(now=utcnow() + timedelta(minutes=1)) == 2  # customer + push
    run_outbox()
    assert len(push_service.pushes) == 1


def test_the_pushs_accept_accepts_with_the_same_checks_as_the_button(
        app, in_db, push_service):
    def set_up():
        owner_with_device(push_service)
        order = place_order()
        run_outbox()
        return order.id
    order_id = in_db(set_up)
    token = push_service.pushes[0]["payload"]["accept_token"]
    url = f"/admin/alerts/orders/{order_id}/accept"

    anonymous = app.test_client()
    assert anonymous.post(url, json={"token": token}).status_code == 303  # to sign in

    client = app.test_client()
    sign_in(client)
    refused = client.post(url, json={"token": "forged"})
    assert refused.status_code == 400 and not refused.json["ok"]
    accepted = client.post(url, json={"token": token})
    assert accepted.status_code == 200, accepted.json
    assert accepted.json["message"].startswith("Order #")
    again = client.post(url, json={"token": token})
    assert again.status_code == 409 and "already accepted" in again.json["message"]

    def check():
        from sweetshop.models import Order
        order = db.session.get(Order, order_id)
        assert order.status is OrderStatus.ACCEPTED
        assert [h.to_status for h in order.history][-1] is OrderStatus.ACCEPTED
        assert order.history[-1].actor.endswith("(from an alert)")
        assert order.alert.stopped_at is not None
    in_db(check)


def test_a_token_for_another_user_does_not_accept(app, in_db, push_service):
    from sweetshop.services.admin_auth import create_or_reset_admin

    def set_up():
        owner_with_device(push_service, email="counter@mithaas.example")
        create_or_reset_admin("owner@mithaas.example", "correct horse battery")
        order = place_order()
        run_outbox()
        return order.id
    order_id = in_db(set_up)
    token = push_service.pushes[0]["payload"]["accept_token"]  # the counter user's
    client = app.test_client()
    sign_in(client)  # the owner
    answer = client.post(f"/admin/alerts/orders/{order_id}/accept", json={"token": token})
    assert answer.status_code == 400
