"""Issue 18, errors: with SENTRY_DSN set, the real sentry-sdk reports an error to a local
fake Sentry, with release and environment, and nothing personal in it."""
from __future__ import annotations

import json
import secrets

import pytest
import sentry_sdk

from sweetshop import create_app
from sweetshop.error_tracking import init_error_tracking, scrub_event
from tests.conftest import TEST_CONFIG
from tests.fakes.sentry_server import FakeSentry

# Made at run time: Sentry's events carry source lines around each frame, and a secret
# written literally in this file would be found there, not leaked from the request.
PHONE = "+91" + "".join(("98765", "43210"))
ADDRESS = " ".join(("12", "MG", "Road,", "Indiranagar"))
TOKEN = secrets.token_urlsafe(16)
COOKIE = secrets.token_urlsafe(12)
BEARER = secrets.token_urlsafe(12)


@pytest.fixture
def fake_sentry():
    with FakeSentry() as fake:
        yield fake
    sentry_sdk.init(dsn=None)  # later tests: no Sentry


def test_without_a_dsn_nothing_is_started():
    assert init_error_tracking({"SENTRY_DSN": None}) is False


def test_an_error_reaches_sentry_with_release_and_environment_and_no_personal_data(
        fake_sentry, monkeypatch):
    monkeypatch.setenv("SENTRY_RELEASE", "0123abcd")
    app = create_app({**TEST_CONFIG, "SENTRY_DSN": fake_sentry.dsn, "ENV_NAME": "staging",
                                  "WTF_CSRF_ENABLED": False})

    def explode(token):
        phone, address = PHONE, ADDRESS  # locals a frame would otherwise carry
        raise RuntimeError(f"could not text {phone} about {address[:0]}the order")

    app.add_url_rule("/orders-boom/<token>", "boom", explode, methods=["GET", "POST"])
    client = app.test_client()
    client.set_cookie("cart", COOKIE)
    response = client.post(f"/orders-boom/{TOKEN}?phone={PHONE}",
                           data={"phone": PHONE, "address": ADDRESS},
                           headers={"Authorization": f"Bearer {BEARER}", "X-Request-ID": "x"})
    assert response.status_code == 500
    sentry_sdk.flush(timeout=5)

    assert fake_sentry.events, "no event reached the fake Sentry"
    event = fake_sentry.events[0]
    assert event["release"] == "0123abcd" and event["environment"] == "staging"
    (exception,) = event["exception"]["values"]
    assert exception["type"] == "RuntimeError"
    assert "+91 98•••••210" in exception["value"]
    assert event["request"]["method"] == "POST"
    assert event["request"]["url"].endswith("/orders-boom/•••")
    everything = b"\n".join(fake_sentry.raw_bodies).decode()
    for secret in (PHONE, PHONE[3:], ADDRESS, TOKEN, COOKIE, BEARER):
        assert secret not in everything, secret
    assert all("vars" not in frame for frame in exception["stacktrace"]["frames"])
    integrations = sentry_sdk.get_client().integrations
    assert {"flask", "rq"} <= set(integrations)


def test_scrub_event_drops_request_bodies_cookies_and_masks_breadcrumbs():
    event = {"request": {"url": f"https://shop.example/orders/{TOKEN}?x=1",
                         "data": {"address": ADDRESS}, "cookies": {"cart": "c"},
                         "query_string": "phone=1", "headers": {"Cookie": "c", "User-Agent": "u"}},
             "breadcrumbs": {"values": [{"message": f"[SMS to {PHONE}] sent"}]},
             "user": {"ip_address": "203.0.113.9"}}
    scrubbed = json.dumps(scrub_event(event), ensure_ascii=False)
    assert ADDRESS not in scrubbed and PHONE not in scrubbed and TOKEN not in scrubbed
    assert "203.0.113.9" not in scrubbed and '"User-Agent": "u"' in scrubbed
