"""Issue 10, item 28: a message whose outcome is unknown is looked up at Twilio, never sent
again blindly. The real SDK talks to the local fake Twilio (tests/fakes/twilio_server.py),
which pages its message list and can answer after the client's timeout."""
from datetime import timedelta

import pytest
import requests
import responses

from sweetshop.extensions import db
from sweetshop.integrations.twilio import TwilioMessenger
from sweetshop.models import utcnow
from sweetshop.services import notifications as outbox
from tests.fakes.twilio_server import FakeTwilio
from tests.notifications.helpers import MESSAGES_URL, notifications, place_order

OWNER = "+919811112222"


@pytest.fixture
def fake_twilio(app, twilio_configured, monkeypatch):
    with FakeTwilio() as fake:
        monkeypatch.setitem(app.config, "TWILIO_API_BASE", fake.url)
        monkeypatch.setitem(app.config, "TWILIO_TIMEOUT", 0.5)
        app.extensions.pop("messenger", None)
        yield fake
        app.extensions.pop("messenger", None)


def _due_now(row):
    row.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()


def test_a_send_answered_after_our_timeout_is_found_at_twilio_not_sent_again(ctx, fake_twilio):
    place_order()
    row = notifications()[0]
    fake_twilio.hold_seconds = 1.5  # Twilio accepts, then answers after our 0.5 s timeout
    assert outbox.deliver(row.id) == "unknown"
    db.session.refresh(row)
    assert row.status == "queued" and row.lookup_since == row.claimed_at
    assert row.error_code == "unknown"
    assert len(fake_twilio.messages) == 1

    fake_twilio.hold_seconds = 0
    _due_now(row)
    assert outbox.deliver(row.id) == "recovered"
    db.session.refresh(row)
    assert len(fake_twilio.messages) == 1  # never twice
    assert (row.status, row.provider_sid) == ("sent", fake_twilio.messages[0]["sid"])
    assert row.lookup_since is None and row.attempts == 1


def test_an_unknown_send_that_twilio_never_got_is_sent_after_looking(ctx, fake_twilio):
    place_order()
    row = notifications()[0]
    fake_twilio.hold_seconds = 1.5
    assert outbox.deliver(row.id) == "unknown"
    fake_twilio.messages.clear()  # this time the request was lost before Twilio kept it
    fake_twilio.hold_seconds = 0
    _due_now(row)
    assert outbox.deliver(row.id) == "sent"
    assert len(fake_twilio.messages) == 1
    assert fake_twilio.list_requests, "Twilio was asked before sending again"


def test_a_killed_send_is_found_behind_more_than_twenty_later_messages(
        app, ctx, fake_twilio, monkeypatch):
    monkeypatch.setattr(TwilioMessenger, "LOOKUP_PAGE_SIZE", 10, raising=False)  # pages
    place_order(owner_phones=OWNER)
    row = next(n for n in notifications() if n.to == OWNER)
    # The worker claimed the row and Twilio accepted the message; then the worker was
    # killed (SIGKILL) before it recorded the SID. 25 later orders texted the owner since.
    claimed = utcnow() - timedelta(minutes=10)
    row.status, row.claimed_at, row.attempts = "sending", claimed, 1
    db.session.commit()
    original = fake_twilio.add_sent(to=OWNER, body=row.body, created=claimed)
    for n in range(25):
        fake_twilio.add_sent(to=OWNER, body=f"New order #{2000 + n}: 1 pack",
                             created=claimed + timedelta(minutes=1, seconds=n))
    fake_twilio.add_sent(to=OWNER, body=row.body,  # the same words, a day earlier: not ours
                         created=claimed - timedelta(days=2))

    assert outbox.deliver(row.id) == "recovered"
    db.session.refresh(row)
    assert (row.status, row.provider_sid) == ("sent", original["sid"])
    assert len(fake_twilio.messages) == 27  # nothing new sent
    pages = [q for q in fake_twilio.list_requests if q.get("To") == OWNER]
    assert len(pages) == 3 and pages[0]["PageSize"] == "10"


def test_a_status_callback_for_the_row_counts_as_sent_without_asking_twilio(ctx, fake_twilio):
    place_order()
    row = notifications()[0]
    fake_twilio.hold_seconds = 1.5
    assert outbox.deliver(row.id) == "unknown"
    # Twilio's callback carries our row id (?n=) and the SID; it arrives before the retry.
    sid = fake_twilio.messages[0]["sid"]
    assert outbox.record_status(sid, "sent", notification_id=row.id)
    db.session.refresh(row)
    assert row.status == "sent" and row.provider_sid == sid
    assert outbox.deliver(row.id) == "done"
    assert len(fake_twilio.messages) == 1 and not fake_twilio.list_requests


@responses.activate
def test_when_twilio_cannot_be_asked_the_message_waits_and_still_looks_first(
        ctx, twilio_configured):
    place_order()
    row = notifications()[0]
    responses.add(responses.POST, MESSAGES_URL, body=requests.exceptions.ReadTimeout("slow"))
    assert outbox.deliver(row.id) == "unknown"
    responses.add(responses.GET, MESSAGES_URL, status=503,
                  json={"code": None, "message": "down", "status": 503})
    _due_now(row)
    assert outbox.deliver(row.id) == "retry"
    db.session.refresh(row)
    assert row.lookup_since is not None  # the next try asks again before sending
    assert [c.request.method for c in responses.calls] == ["POST", "GET"]
