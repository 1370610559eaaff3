"""Alerts fixtures: VAPID keys made up here, the local fake push service and fake Twilio
(both on free ports), an owner with a device, and a frozen clock for the ladder."""
from __future__ import annotations

from datetime import timedelta

import pytest

from sweetshop.integrations.webpush import generate_vapid_keys
from tests.fakes.push_service import FakePushService
from tests.fakes.twilio_server import FakeTwilio
from tests.notifications.conftest import TWILIO_CONFIG

VAPID_PUBLIC, VAPID_PRIVATE = generate_vapid_keys()
OWNER_PHONES = "+919811112222, +919833334444"


@pytest.fixture
def push_service(app, monkeypatch):
    """Web Push configured with made-up VAPID keys, pushing to the local fake service."""
    monkeypatch.setitem(app.config, "VAPID_PUBLIC_KEY", VAPID_PUBLIC)
    monkeypatch.setitem(app.config, "VAPID_PRIVATE_KEY", VAPID_PRIVATE)
    monkeypatch.setitem(app.config, "VAPID_SUBJECT", "mailto:owner@mithaas.example")
    monkeypatch.setitem(app.config, "PUSH_TIMEOUT", 2)
    app.extensions.pop("pusher", None)
    with FakePushService(VAPID_PUBLIC) as fake:
        yield fake
    app.extensions.pop("pusher", None)


@pytest.fixture
def fake_twilio(app, monkeypatch):
    """Twilio configured (made-up credentials); the real SDK talks to the local fake."""
    for key, value in TWILIO_CONFIG.items():
        monkeypatch.setitem(app.config, key, value)
    with FakeTwilio() as fake:
        monkeypatch.setitem(app.config, "TWILIO_API_BASE", fake.url)
        monkeypatch.setitem(app.config, "TWILIO_TIMEOUT", 1)
        app.extensions.pop("messenger", None)
        yield fake
    app.extensions.pop("messenger", None)


class Clock:
    """A frozen clock for the alerts and the outbox: `clock.at(minutes)` after the order."""

    def __init__(self, monkeypatch):
        self.monkeypatch = monkeypatch
        self.start = None

    def at(self, minutes: float):
        from sweetshop.models import utcnow
        from sweetshop.services import alerts, notifications

        if self.start is None:
            self.start = utcnow()
        now = self.start + timedelta(minutes=minutes)
        for module in (alerts, notifications):
            self.monkeypatch.setattr(module, "utcnow", lambda: now)
        return now

    def real(self):
        """Back to the real clock (where a fake's own clock must agree with ours)."""
        from sweetshop.models import utcnow
        from sweetshop.services import alerts, notifications

        for module in (alerts, notifications):
            self.monkeypatch.setattr(module, "utcnow", utcnow)


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


@pytest.fixture
def owner_client(app, in_db):
    """A test client signed in as the owner (tests/admin's fixture, for this folder)."""
    from sweetshop.services.admin_auth import create_or_reset_admin
    from tests.admin.helpers import OWNER_EMAIL, OWNER_PASSWORD, sign_in

    in_db(lambda: create_or_reset_admin(OWNER_EMAIL, OWNER_PASSWORD))
    client = app.test_client()
    assert sign_in(client).status_code == 303
    return client
