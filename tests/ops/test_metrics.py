"""Issue 18, metrics: /metrics in Prometheus' text format, only for a token or configured
addresses, with the order just placed, the outbox, queues and the sweeper; and the owner's
dashboard saying the same in words."""
from __future__ import annotations

from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from sweetshop import create_app
from sweetshop.extensions import db
from sweetshop.models import Notification
from sweetshop.models.base import utcnow
from tests.conftest import TEST_CONFIG

TOKEN = "metrics-token-for-the-test"


@pytest.fixture
def metrics_app():
    return create_app({**TEST_CONFIG, "METRICS_TOKEN": TOKEN,
                       "METRICS_ALLOWED_NETWORKS": "10.1.0.0/16"})


def scrape(client, **kwargs) -> dict[tuple, float]:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, **kwargs)
    assert response.status_code == 200, response.status_code
    assert response.headers["Content-Type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def test_metrics_are_closed_without_a_token_or_an_allowed_address(client, metrics_app):
    assert client.get("/metrics").status_code == 404  # neither setting: closed
    other = metrics_app.test_client()
    assert other.get("/metrics").status_code == 404
    assert other.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 404
    assert other.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200
    assert other.get("/metrics", environ_base={"REMOTE_ADDR": "10.2.0.1"}).status_code == 404


def test_metrics_show_the_order_just_placed_and_the_requests(metrics_app, shopper, make_sweet,
                                                             checkout_details):
    kaju = make_sweet("Kaju Katli", stock=4000)
    shopper.add(kaju, "500 g", quantity=2)
    placed = shopper.client.post("/checkout", data={**checkout_details, **shopper.checkout_form()})
    assert placed.status_code == 303

    samples = scrape(metrics_app.test_client())
    assert samples[("sweetshop_orders_placed_total", (("payment_method", "cod"),))] == 1
    # The customer's "order placed" message is waiting (no worker runs in this test).
    assert samples[("sweetshop_outbox_waiting", (("kind", "message"),))] >= 1
    assert samples[("sweetshop_messages", (("channel", "sms"), ("status", "queued")))] >= 1
    assert samples[("sweetshop_rq_queue_length", (("queue", "notifications"),))] >= 1
    assert samples[("sweetshop_up", (("source", "postgres"),))] == 1
    assert samples[("sweetshop_up", (("source", "redis"),))] == 1
    assert samples[("sweetshop_webhook_events_unprocessed", ())] == 0
    requests = {labels: value for (name, labels), value in samples.items()
                if name == "sweetshop_http_requests_total"}
    assert requests[(("method", "POST"), ("route", "checkout.place_order"),
                     ("status", "303"))] >= 1
    assert samples[("sweetshop_http_request_duration_seconds_count",
                    (("route", "checkout.place_order"), ("status", "303")))] >= 1


def test_the_sweepers_last_successful_run_is_shown(metrics_app):
    from sweetshop.periodic import run_once

    with metrics_app.app_context():
        assert all(value != -1 for value in run_once().values())
        db.session.remove()
    samples = scrape(metrics_app.test_client())
    assert samples[("sweetshop_sweeper_last_success_timestamp_seconds", ())] > 0


def _stuck_message(minutes):
    db.session.add(Notification(kind="order_placed", channel="sms", to="+919876543210",
                                body="x", status="queued",
                                created_at=utcnow() - timedelta(minutes=minutes)))
    db.session.commit()


def test_a_stuck_message_shows_its_age_in_metrics_and_in_words_on_the_dashboard(
        metrics_app, owner_client, in_db):
    in_db(lambda: (_stuck_message(12), _stuck_message(13), _stuck_message(14)))
    samples = scrape(metrics_app.test_client())
    assert samples[("sweetshop_outbox_waiting", (("kind", "message"),))] == 3
    assert 14 * 60 <= samples[("sweetshop_outbox_oldest_age_seconds",
                               (("kind", "message"),))] < 15 * 60

    html = owner_client.get("/admin/").get_data(as_text=True)
    assert "How the shop is running" in html
    assert "3 messages have been waiting 14 minutes." in html
    assert "The background helper has not checked in for a while" in html


def test_a_healthy_shop_says_messages_are_going_out(owner_client, app):
    from sweetshop.periodic import run_once

    with app.app_context():
        run_once()
        db.session.remove()
    html = owner_client.get("/admin/").get_data(as_text=True)
    assert "Messages are going out." in html
    assert "The background helper is checking in." in html
