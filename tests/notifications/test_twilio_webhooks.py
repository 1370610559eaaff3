"""Twilio's callbacks: delivery status and incoming WhatsApp, signed like Twilio signs them."""
from twilio.request_validator import RequestValidator

from sweetshop.extensions import db
from sweetshop.models import WhatsAppWindow
from sweetshop.services import notifications as outbox
from tests.notifications.helpers import AUTH_TOKEN, notifications, place_order

BASE = "https://shop.example.in"


def signed_post(client, path, form, token=AUTH_TOKEN):
    signature = RequestValidator(token).compute_signature(BASE + path, form)
    return client.post(path, data=form, headers={"X-Twilio-Signature": signature})


def test_status_callbacks_move_a_message_forward_only(ctx, client, twilio_configured):
    place_order()
    row = notifications()[0]
    path = f"/webhooks/twilio/status?n={row.id}"
    sid = "SM" + "9" * 32
    # The callback may come before the worker recorded the SID: the id in the URL finds it.
    assert signed_post(client, path, {"MessageSid": sid, "MessageStatus": "delivered"}
                       ).status_code == 204
    assert signed_post(client, path, {"MessageSid": sid, "MessageStatus": "sent"}
                       ).status_code == 204  # late and out of order
    db.session.refresh(row)
    assert (row.status, row.provider_sid) == ("delivered", sid)
    assert signed_post(client, path, {"MessageSid": sid, "MessageStatus": "read"}
                       ).status_code == 204
    db.session.refresh(row)
    assert row.status == "read"


def test_a_failed_delivery_is_recorded_with_its_error(ctx, client, twilio_configured):
    place_order()
    row = notifications()[0]
    signed_post(client, f"/webhooks/twilio/status?n={row.id}",
                {"MessageSid": "SM" + "8" * 32, "MessageStatus": "undelivered",
                 "ErrorCode": "30003"})
    db.session.refresh(row)
    assert row.status == "undelivered" and row.error_code == "30003"
    assert outbox.failed_count() == 1


def test_a_callback_with_a_bad_signature_is_refused_and_changes_nothing(
        ctx, client, twilio_configured):
    place_order()
    row = notifications()[0]
    path = f"/webhooks/twilio/status?n={row.id}"
    form = {"MessageSid": "SM" + "7" * 32, "MessageStatus": "delivered"}
    assert signed_post(client, path, form, token="wrong-token").status_code == 403
    assert client.post(path, data=form).status_code == 403
    db.session.refresh(row)
    assert row.status == "queued" and row.provider_sid is None


def test_a_customer_writing_on_whatsapp_gets_their_latest_order_status(
        ctx, client, twilio_configured):
    order = place_order()
    response = signed_post(client, "/webhooks/twilio/whatsapp",
                           {"From": "whatsapp:+919876543210", "Body": "status",
                            "MessageSid": "SM" + "6" * 32})
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    text = response.get_data(as_text=True)
    assert f"order #{order.number}" in text and "placed" in text
    # Their 24-hour window is open now, so free-text updates are allowed.
    assert db.session.get(WhatsAppWindow, "+919876543210") is not None


def test_an_unknown_number_on_whatsapp_gets_a_polite_reply_with_the_shop_link(
        ctx, client, twilio_configured):
    response = signed_post(client, "/webhooks/twilio/whatsapp",
                           {"From": "whatsapp:+919812345678", "Body": "hi"})
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "could not find an order" in text and BASE + "/" in text


def test_incoming_whatsapp_with_a_bad_signature_is_refused(ctx, client, twilio_configured):
    response = signed_post(client, "/webhooks/twilio/whatsapp",
                           {"From": "whatsapp:+919876543210", "Body": "status"},
                           token="not-the-token")
    assert response.status_code == 403
