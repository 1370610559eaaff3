"""The escalation ladder with a frozen clock: push at once, a reminder at minute 3, a call
to each alert phone in turn from minute 8, each once, stopped the moment anyone accepts or
cancels. The real Twilio SDK talks to the local fake Twilio (messages and calls)."""
from datetime import time, timedelta

from sweetshop.extensions import db
from sweetshop.models import Order, OrderStatus, utcnow
from sweetshop.services import alerts, notifications, orders
from sweetshop.services.shop import get_settings
from tests.alerts.helpers import owner_with_device, place_order, rows, run_outbox, twilio_post

PHONE_1, PHONE_2 = "+919811112222", "+919833334444"


def _calls(fake):
    return [c["to"] for c in fake.calls]


def _reminders(fake):
    return [m["to"] for m in fake.messages if m["body"].startswith("Reminder:")]


def test_accepted_at_minute_2_means_no_reminder_and_no_call(ctx, clock, fake_twilio,
                                                             push_service):
    owner_with_device(push_service)
    order = place_order()
    clock.at(0)
    run_outbox()
    assert len(push_service.pushes) == 1
    clock.at(2)
    orders.change_status(order.id, OrderStatus.ACCEPTED, "owner@mithaas.example",
                         expected_from=OrderStatus.PLACED)
    for minute in (3, 8, 10, 30):
        clock.at(minute)
        assert alerts.tick() == 0
        run_outbox()
    assert _reminders(fake_twilio) == [] and fake_twilio.calls == []
    assert len(push_service.pushes) == 1
    db.session.refresh(order)
    assert order.alert.stopped_reason == "accepted by owner@mithaas.example"


def test_never_accepted_means_push_reminder_then_calls_in_order_once_each(
        ctx, clock, fake_twilio, push_service):
    owner_with_device(push_service)
    order = place_order()
    seen = []
    for minute in (0, 1, 2.9, 3, 3.5, 5, 7.9, 8, 8, 9, 10, 10, 11, 20, 60):
        clock.at(minute)
        alerts.tick()
        alerts.tick()  # a second clock process, or a tick run twice
        run_outbox()
        seen.append((minute, len(push_service.pushes), len(_reminders(fake_twilio)),
                     _calls(fake_twilio)))
    assert seen[2] == (2.9, 1, 0, [])                  # the push only
    assert seen[3] == (3, 2, 2, [])                    # reminder: SMS to both, push again
    assert seen[6] == (7.9, 2, 2, [])
    assert seen[7] == (8, 2, 2, [PHONE_1])             # the first call
    assert seen[9] == (9, 2, 2, [PHONE_1])
    assert seen[10] == (10, 2, 2, [PHONE_1, PHONE_2])  # then the next phone
    assert seen[-1] == (60, 2, 2, [PHONE_1, PHONE_2])  # and nothing more, ever
    reminder_push = push_service.pushes[1]["payload"]
    assert reminder_push["title"].startswith("Waiting: order #") and reminder_push["renotify"]
    db.session.refresh(order)
    assert order.alert.stopped_reason == "every step taken"
    assert fake_twilio.calls[0]["url"] == (
        f"https://shop.example.in/webhooks/twilio/voice?n={rows(kind='owner_call')[0].id}")
    kinds = [(e["what"], e["outcome"]) for e in alerts.timeline(order)]
    assert ("Push", "pushed") in kinds and ("Phone call", "called (ringing)") in kinds
    assert kinds[-1] == ("Alerts stopped", "every step taken")


def test_a_duplicate_job_or_tick_changes_nothing(ctx, clock, fake_twilio):
    order = place_order()
    clock.at(8)
    assert alerts.tick() == 1  # the reminder (overdue) ...
    assert alerts.tick() == 1  # ... then the first call, due too
    assert alerts.tick() == 0
    [call] = rows(kind="owner_call")
    assert notifications.deliver(call.id) == "sent"
    assert notifications.deliver(call.id) == "done"
    assert _calls(fake_twilio) == [PHONE_1]
    db.session.refresh(order)
    assert order.alert.step == 3


def test_accepted_by_phone_keypad_accepts_once_and_stops_the_ladder(
        app, client, in_db, clock, fake_twilio):
    def to_the_call():
        order = place_order()
        clock.at(8)
        alerts.tick(), alerts.tick()
        run_outbox()
        return order.id, rows(kind="owner_call")[0].id
    order_id, call_id = in_db(to_the_call)

    answered = twilio_post(client, f"/webhooks/twilio/voice?n={call_id}",
                           {"CallSid": fake_twilio.calls[0]["sid"], "To": PHONE_1})
    assert answered.status_code == 200
    twiml = answered.get_data(as_text=True)
    assert "<Gather" in twiml and 'numDigits="1"' in twiml
    assert "New order 1001, 580 rupees. Press 1 to accept, 2 to hear it again." in twiml
    assert f"/webhooks/twilio/voice/keys?n={call_id}" in twiml

    again = twilio_post(client, f"/webhooks/twilio/voice/keys?n={call_id}", {"Digits": "2"})
    assert f"<Redirect method=\"POST\">https://shop.example.in/webhooks/twilio/voice?n={call_id}" \
        in again.get_data(as_text=True)
    pressed = twilio_post(client, f"/webhooks/twilio/voice/keys?n={call_id}", {"Digits": "1"})
    assert "Order 1001 is accepted" in pressed.get_data(as_text=True)
    pressed_again = twilio_post(client, f"/webhooks/twilio/voice/keys?n={call_id}",
                                {"Digits": "1"})
    assert "already accepted" in pressed_again.get_data(as_text=True)

    def after():
        order = db.session.get(Order, order_id)
        accepts = [h for h in order.history if h.to_status is OrderStatus.ACCEPTED]
        assert len(accepts) == 1 and accepts[0].actor == "phone keypad (+91 98111 12222)"
        assert order.alert.stopped_at is not None
        for minute in (10, 12, 60):
            clock.at(minute)
            assert alerts.tick() == 0
            run_outbox()
        assert _calls(fake_twilio) == [PHONE_1]  # the second phone is never called
        accepted_messages = [n for n in rows(kind="order_accepted")]
        assert len(accepted_messages) == 1  # the customer hears it once
    in_db(after)


def test_twilio_webhooks_for_calls_need_a_real_signature(client, in_db, clock, fake_twilio):
    def to_the_call():
        place_order()
        clock.at(8)
        alerts.tick(), alerts.tick()
        run_outbox()
        return rows(kind="owner_call")[0].id
    call_id = in_db(to_the_call)
    forged = client.post(f"/webhooks/twilio/voice/keys?n={call_id}", data={"Digits": "1"},
                         headers={"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"})
    assert forged.status_code == 403
    assert in_db(lambda: db.session.scalars(db.select(Order)).one().status) is OrderStatus.PLACED


def test_a_call_status_callback_shows_the_call_answered(client, in_db, clock, fake_twilio):
    def to_the_call():
        place_order()
        clock.at(8)
        alerts.tick(), alerts.tick()
        run_outbox()
        return rows(kind="owner_call")[0].id
    call_id = in_db(to_the_call)
    sid = fake_twilio.calls[0]["sid"]
    for status in ("ringing", "in-progress", "completed"):
        answer = twilio_post(client, f"/webhooks/twilio/call-status?n={call_id}",
                             {"CallSid": sid, "CallStatus": status})
        assert answer.status_code == 204
    assert in_db(lambda: rows(kind="owner_call")[0].status) == "delivered"


def test_a_call_whose_outcome_is_unknown_is_looked_up_before_calling_again(
        ctx, clock, fake_twilio):
    place_order()
    clock.at(8)
    alerts.tick(), alerts.tick()
    [call] = rows(kind="owner_call")
    clock.real()  # Twilio's clock and ours agree from here
    call.next_attempt_at = utcnow()
    db.session.commit()
    fake_twilio.call_hold_seconds = 2  # Twilio places the call, answers after our 1 s timeout
    assert notifications.deliver(call.id) == "unknown"
    fake_twilio.call_hold_seconds = 0
    assert len(fake_twilio.calls) == 1
    fake_twilio.add_call(to=PHONE_1, created=utcnow() - timedelta(hours=1))  # an older one
    call.next_attempt_at = utcnow()
    db.session.commit()
    assert notifications.deliver(call.id) == "recovered"
    db.session.refresh(call)
    assert call.provider_sid == fake_twilio.calls[0]["sid"] and call.status == "sent"
    assert len(fake_twilio.calls) == 2  # never a second call for this step


def test_cancelling_stops_the_ladder_and_a_step_already_written_is_not_sent(
        ctx, clock, fake_twilio):
    order = place_order()
    clock.at(8)
    alerts.tick(), alerts.tick()  # reminder and the first call written, not yet sent
    orders.change_status(order.id, OrderStatus.CANCELLED, "owner", note="Out of stock")
    assert run_outbox().count("stopped") == 3  # two reminders and the call
    assert fake_twilio.calls == [] and _reminders(fake_twilio) == []
    assert all(r.status == "skipped" and "cancelled first" in r.error_message
               for r in rows(kind="owner_call") + rows(kind="owner_reminder"))


def test_outside_opening_hours_the_ladder_waits_for_the_opening(ctx, clock, fake_twilio):
    order = place_order()
    settings = get_settings()
    settings.is_open = False  # closed after the order came in
    db.session.commit()
    clock.at(3)
    assert alerts.tick() == 0
    clock.at(20)
    assert alerts.tick() == 0
    run_outbox()
    assert _reminders(fake_twilio) == []
    settings = get_settings()
    settings.is_open = True
    db.session.commit()
    clock.at(26)
    assert alerts.tick() >= 1
    run_outbox()
    assert len(_reminders(fake_twilio)) == 2
    db.session.refresh(order)
    assert order.status is OrderStatus.PLACED


def test_night_alerts_go_while_the_shop_is_closed(ctx, clock, fake_twilio):
    place_order()
    settings = get_settings()
    settings.is_open, settings.alert_at_night = False, True
    db.session.commit()
    clock.at(3)
    assert alerts.tick() == 1


def test_auto_accept_accepts_at_once_and_the_alerts_only_inform(ctx, clock, fake_twilio,
                                                                push_service):
    owner_with_device(push_service)
    settings = get_settings()
    settings.auto_accept = True
    settings.auto_accept_from, settings.auto_accept_until = time(0, 0), time(23, 59, 59)
    db.session.commit()
    order = place_order()
    db.session.refresh(order)
    assert order.status is OrderStatus.ACCEPTED
    assert order.history[-1].actor == "auto-accept"
    assert order.alert is None
    run_outbox()
    payload = push_service.pushes[0]["payload"]
    assert "accept_url" not in payload and payload["body"] == "Accepted automatically."
    clock.at(30)
    assert alerts.tick() == 0


def test_auto_accept_hours_may_span_midnight(app):
    from datetime import UTC, datetime

    from sweetshop.models import ShopSettings

    night = ShopSettings(auto_accept=True, auto_accept_from=time(22), auto_accept_until=time(6))
    at = lambda h: datetime(2026, 12, 5, h, 0, tzinfo=UTC) - timedelta(hours=5, minutes=30)  # noqa: E731
    assert alerts.auto_accept_applies(night, at(23)) and alerts.auto_accept_applies(night, at(2))
    assert not alerts.auto_accept_applies(night, at(12))


def test_hindi_call_words(ctx):
    order = place_order()
    words = alerts.call_words(order, "hi")
    assert words.startswith("नया ऑर्डर 1001, 580 रुपये") and "1 दबाइए" in words
