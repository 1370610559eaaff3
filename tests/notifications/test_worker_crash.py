"""Real processes: an RQ worker killed with SIGKILL in the middle of a send, and Redis
flushed with messages queued. After the sweeper runs, every message was sent exactly once,
even with more than 20 later messages to the same number before the recovery (issue 10,
item 28: the lookup used to read only the newest 20).

Uses real commits and several processes (the worker is a subprocess on the test database).
"""
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from sweetshop.extensions import db, redis_conn
from sweetshop.integrations.twilio import TwilioMessenger
from sweetshop.models import Notification, utcnow
from sweetshop.services import notifications as outbox
from tests.conftest import TEST_DATABASE_URL, TEST_REDIS_URL
from tests.fakes.twilio_server import FakeTwilio
from tests.notifications.helpers import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    notifications,
    place_order,
    run_worker_burst,
)

RQ = str(Path(sys.executable).parent / "rq")


def _wait_for(predicate, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_killed_worker_and_flushed_redis_still_deliver_each_message_exactly_once(
        app, ctx, monkeypatch):
    with FakeTwilio(hold_seconds=30) as fake:
        settings = {
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_SMS_FROM": "+15005550006", "TWILIO_API_BASE": fake.url,
            "PUBLIC_BASE_URL": "https://shop.example.in",
        }
        for key, value in settings.items():
            monkeypatch.setitem(app.config, key, value)
        app.extensions.pop("messenger", None)
        monkeypatch.setitem(app.config, "NOTIFY_CLAIM_TIMEOUT", 1)

        place_order(owner_phones="+919811112222")  # two messages queued in Redis
        rows = notifications()
        assert len(rows) == 2

        log = open(Path(os.environ.get("TMPDIR", "/tmp")) / "sweetshop-crash-worker.log", "w")
        env = dict(os.environ, DATABASE_URL=TEST_DATABASE_URL, REDIS_URL=TEST_REDIS_URL,
                   SWEETSHOP_ENV="testing", SECRET_KEY="x" * 32, **settings)
        worker = subprocess.Popen([RQ, "worker", "--worker-class", "sweetshop.worker.Worker",
                                   "--url", TEST_REDIS_URL, "notifications"],
                                  env=env, stdout=log, stderr=subprocess.STDOUT,
                                  start_new_session=True)
        try:
            # Twilio has accepted the first message; the worker waits for the answer.
            assert _wait_for(lambda: len(fake.messages) == 1), "the worker never sent"
            os.killpg(worker.pid, signal.SIGKILL)  # the worker and its work-horse
            worker.wait(timeout=10)
        finally:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGKILL)

        redis_conn.client().flushdb()  # and Redis loses every queued job
        db.session.expire_all()
        assert sorted(n.status for n in notifications()) == ["queued", "sending"]

        fake.hold_seconds = 0
        # Before the recovery, 25 more messages go to the number the killed send was for.
        in_flight = fake.messages[0]["to"]
        later = [Notification(kind="owner_new_order", channel="sms", to=in_flight,
                              body=f"New order #{3000 + n}", variables={}, status="queued",
                              next_attempt_at=utcnow()) for n in range(25)]
        db.session.add_all(later)
        db.session.commit()
        for row in later:
            assert outbox.deliver(row.id) == "sent"
        assert len(fake.messages) == 26
        monkeypatch.setattr(TwilioMessenger, "LOOKUP_PAGE_SIZE", 10)  # several pages

        time.sleep(1.1)  # past the claim timeout
        assert outbox.sweep(now=utcnow() + timedelta(minutes=1)) == 2
        run_worker_burst()
        outbox.sweep(now=utcnow() + timedelta(minutes=1))
        run_worker_burst()  # a second pass changes nothing

        db.session.expire_all()
        rows = notifications()[:2]
        assert [n.status for n in rows] == ["sent", "sent"]
        originals = [m for m in fake.messages if not m["body"].startswith("New order #3")]
        sent_to = sorted(m["to"] for m in originals)
        assert sent_to == ["+919811112222", "+919876543210"]  # once each, never twice
        assert len({n.provider_sid for n in rows}) == 2
