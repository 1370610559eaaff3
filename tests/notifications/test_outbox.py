"""The outbox: messages written with the order, sent once through the real Twilio SDK
(HTTP faked with `responses`), retried when Twilio says so, never sent twice."""
from datetime import timedelta
from urllib.parse import parse_qs

import pytest
import requests
import responses
from urllib3.exceptions import NewConnectionError

from sweetshop.extensions import db
from sweetshop.models import WhatsAppWindow, utcnow
from sweetshop.services import notifications as outbox
from tests.notifications.helpers import (
    MESSAGES_URL,
    notifications,
    place_order,
    queued_job_count,
    run_worker_burst,
)


def twilio_ok(sid="SM" + "f" * 32, status="queued"):
    return responses.Response(responses.POST, MESSAGES_URL, status=201,
                              json={"sid": sid, "status": status})


def twilio_error(status, code, message="error"):
    return responses.Response(responses.POST, MESSAGES_URL, status=status,
                              json={"code": code, "message": message, "status": status})


def sent_form(call):
    return {k: v[0] for k, v in parse_qs(call.request.body).items()}


def test_placing_an_order_writes_messages_for_customer_and_owners_and_enqueues_them(ctx):
    order = place_order(owner_phones="+919811112222, +919833334444")
    rows = notifications()
    assert [(n.kind, n.to, n.channel) for n in rows] == [
        ("order_placed", "+919876543210", "sms"),
        ("owner_new_order", "+919811112222", "sms"),
        ("owner_new_order", "+919833334444", "sms"),
    ]
    assert f"Order #{order.number} is placed" in rows[0].body.replace("order #", "Order #")
    assert "/orders/" + order.public_token in rows[0].body
    assert f"/admin/orders/{order.id}" in rows[1].body
    assert all(n.status == "queued" for n in rows)
    assert queued_job_count() == 3


@responses.activate
def test_a_message_is_sent_once_and_its_sid_recorded(ctx, twilio_configured):
    place_order()
    responses.add(twilio_ok(sid="SM" + "1" * 32))
    row = notifications()[0]
    assert outbox.deliver(row.id) == "sent"
    assert outbox.deliver(row.id) == "done"  # a duplicate job does nothing
    assert len(responses.calls) == 1
    form = sent_form(responses.calls[0])
    assert form["To"] == "+919876543210" and form["From"] == "+15005550006"
    assert "is placed" in form["Body"]
    assert form["StatusCallback"] == f"https://shop.example.in/webhooks/twilio/status?n={row.id}"
    db.session.refresh(row)
    assert (row.status, row.provider_sid, row.attempts) == ("sent", "SM" + "1" * 32, 1)


@pytest.mark.parametrize("failure", [
    twilio_error(429, 20429, "Too Many Requests"),
    twilio_error(500, 20500, "Internal Server Error"),
    twilio_error(503, None, "Service Unavailable"),
    responses.Response(responses.POST, MESSAGES_URL,
                       body=requests.exceptions.ConnectTimeout("timed out")),
    responses.Response(responses.POST, MESSAGES_URL, body=requests.exceptions.ConnectionError(
        NewConnectionError(None, "Failed to establish a new connection: Connection refused"))),
], ids=["429", "500", "503", "connect-timeout", "connection-refused"])
@responses.activate
def test_temporary_failures_are_retried_with_backoff(ctx, twilio_configured, failure):
    place_order()
    row = notifications()[0]
    responses.add(failure)
    assert outbox.deliver(row.id) == "retry"
    db.session.refresh(row)
    assert row.status == "queued" and row.attempts == 1 and row.error_code
    assert row.next_attempt_at > utcnow() + timedelta(seconds=20)
    assert outbox.deliver(row.id) == "later"  # not before its time
    row.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    responses.reset()
    responses.add(twilio_ok())
    assert outbox.deliver(row.id) == "sent"
    db.session.refresh(row)
    assert row.status == "sent" and row.attempts == 2 and row.error_code is None


@pytest.mark.parametrize("code", [21211, 21610, 21614, 63016])
@responses.activate
def test_permanent_failures_are_recorded_and_not_retried(ctx, twilio_configured, code):
    place_order()
    row = notifications()[0]
    responses.add(twilio_error(400, code, "The 'To' number is not valid"))
    assert outbox.deliver(row.id) == "failed"
    assert outbox.deliver(row.id) == "done"
    assert len(responses.calls) == 1
    db.session.refresh(row)
    assert row.status == "failed" and row.error_code == str(code)
    assert "not valid" in row.error_message
    assert outbox.failed_count() == 1


@responses.activate
def test_a_message_that_keeps_failing_temporarily_gives_up_after_the_limit(ctx, twilio_configured):
    place_order()
    row = notifications()[0]
    responses.add(twilio_error(503, None))
    for _ in range(twilio_configured.config["NOTIFY_MAX_ATTEMPTS"]):
        row.next_attempt_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
        outbox.deliver(row.id)
        db.session.refresh(row)
    assert row.status == "failed"
    assert len(responses.calls) == twilio_configured.config["NOTIFY_MAX_ATTEMPTS"]


@responses.activate
def test_whatsapp_outside_the_window_uses_the_approved_template(ctx, twilio_configured):
    order = place_order(whatsapp=True)
    row = notifications()[0]
    responses.add(twilio_ok())
    outbox.deliver(row.id)
    form = sent_form(responses.calls[0])
    assert form["To"] == "whatsapp:+919876543210"
    assert form["From"] == "whatsapp:+14155238886"
    assert form["ContentSid"] == "HX" + "a" * 32
    assert "Body" not in form
    assert f'"2": "{order.number}"' in form["ContentVariables"]


@responses.activate
def test_whatsapp_inside_the_24_hour_window_sends_free_text(ctx, twilio_configured):
    place_order(whatsapp=True)
    db.session.add(WhatsAppWindow(phone="+919876543210", last_inbound_at=utcnow()))
    db.session.commit()
    responses.add(twilio_ok())
    outbox.deliver(notifications()[0].id)
    form = sent_form(responses.calls[0])
    assert form["To"] == "whatsapp:+919876543210" and "is placed" in form["Body"]
    assert "ContentSid" not in form


@responses.activate
def test_whatsapp_without_a_template_for_the_message_falls_back_to_sms(ctx, twilio_configured):
    twilio_configured.config["TWILIO_WA_TEMPLATES"] = {}
    place_order(whatsapp=True)
    responses.add(twilio_ok())
    row = notifications()[0]
    outbox.deliver(row.id)
    form = sent_form(responses.calls[0])
    assert form["To"] == "+919876543210" and "Body" in form
    db.session.refresh(row)
    assert row.channel == "sms"


def test_console_backend_logs_the_message_and_records_it_sent(ctx, caplog):
    place_order()
    caplog.set_level("INFO", logger="sweetshop.console_messages")
    row = notifications()[0]
    assert outbox.deliver(row.id) == "sent"
    db.session.refresh(row)
    assert row.status == "sent" and row.provider_sid == f"console-{row.id}"
    assert "is placed" in caplog.text


def test_an_order_is_placed_with_redis_down_and_its_messages_go_out_when_it_is_back(
        app, ctx, monkeypatch):
    dead = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    monkeypatch.setitem(app.config, "REDIS_URL", dead)
    order = place_order()  # must not raise
    assert order.number
    rows = notifications()
    assert [n.status for n in rows] == ["queued"]
    monkeypatch.undo()
    # Redis is back: the sweeper re-enqueues after its grace period, the worker sends.
    assert outbox.sweep(now=utcnow() + timedelta(minutes=1)) == 1
    run_worker_burst()
    db.session.expire_all()
    assert [n.status for n in notifications()] == ["sent"]


def test_the_owner_can_resend_a_message(ctx):
    place_order()
    row = notifications()[0]
    outbox.deliver(row.id)
    copy = outbox.resend(row.id, actor="owner@example.com")
    assert copy.id != row.id and copy.body == row.body and copy.status == "queued"
    assert queued_job_count() == 2  # the original's job and the resend's
