"""Prometheus metrics at /metrics (text format), for whoever runs the shop's server.

Two kinds:
- **Requests**, counted in the process that served them: `sweetshop_http_requests_total`
  and the `sweetshop_http_request_duration_seconds` histogram, by route name and status.
  Under gunicorn several worker processes serve requests, so prometheus_client runs in
  multiprocess mode: gunicorn.conf.py sets PROMETHEUS_MULTIPROC_DIR (one folder per
  gunicorn master) before any worker imports this module, and /metrics adds up every
  worker's file. Without it (tests, `flask run`) the process's own registry is used.
  The request path pays one counter and one histogram update (mmap writes), nothing else.
- **The shop's state**, read from PostgreSQL and Redis when /metrics is scraped
  (`ShopCollector`, one query per family): orders placed by payment method, payment
  attempts by outcome, messages by channel and status, outbox rows waiting and the age of
  the oldest, webhook events unprocessed, RQ queue lengths and failed jobs, and the
  sweeper's last successful run (`periodic.py` records it in Redis). They describe the
  shop, not the process, so every instance reports the same values: alert on max().

Access (`metrics_allowed`): a request with `Authorization: Bearer <METRICS_TOKEN>`, or from
an address in METRICS_ALLOWED_NETWORKS; anything else gets a plain 404, and with neither
setting /metrics is closed. Behind a local proxy every request comes from 127.0.0.1 unless
TRUSTED_PROXIES is set, so the Caddyfile in deploy/ never passes /metrics on.
"""
from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import time

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

log = logging.getLogger(__name__)

SWEEPER_LAST_SUCCESS_KEY = "sweetshop:periodic:last_success"
BACKUP_LAST_SUCCESS_KEY = "sweetshop:backup:last_success"
RQ_QUEUES = ("default", "notifications")

REQUESTS = Counter("sweetshop_http_requests_total", "Requests answered, by route and status",
                   ["route", "method", "status"])
LATENCY = Histogram("sweetshop_http_request_duration_seconds",
                    "Time to answer a request, by route and status", ["route", "status"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    status_label = str(status)
    REQUESTS.labels(route, method, status_label).inc()
    LATENCY.labels(route, status_label).observe(seconds)


# --- the shop's state -------------------------------------------------------------------

def _age_seconds(oldest, now: float) -> float:
    return max(0.0, now - oldest.timestamp()) if oldest is not None else 0.0


def shop_state() -> dict:
    """The figures /metrics and the owner's dashboard both show, in one place. Raises if
    the database cannot be read (the caller decides what to say)."""
    from sqlalchemy import text

    from .extensions import db

    now = time.time()
    rows = db.session.execute(text(
        'SELECT payment_method::text, count(*) FROM "order" GROUP BY 1')).all()
    orders = {method: count for method, count in rows}
    payments = dict(db.session.execute(text(
        "SELECT status, count(*) FROM payment_attempt GROUP BY 1")).all())
    messages = [(channel, status, count) for channel, status, count in db.session.execute(text(
        "SELECT channel, status, count(*) FROM notification GROUP BY 1, 2")).all()]
    waiting, oldest = db.session.execute(text(
        "SELECT count(*), min(created_at) FROM notification "
        "WHERE status IN ('queued', 'sending')")).one()
    refunds_waiting, refunds_oldest = db.session.execute(text(
        "SELECT count(*), min(created_at) FROM refund "
        "WHERE status IN ('requested', 'sending')")).one()
    webhooks, webhooks_oldest = db.session.execute(text(
        "SELECT count(*), min(received_at) FROM webhook_event WHERE processed_at IS NULL")).one()
    db.session.rollback()  # read-only: end the transaction, give the connection back
    return {
        "orders": orders, "payments": payments, "messages": messages,
        "outbox": {"message": (waiting, _age_seconds(oldest, now)),
                   "refund": (refunds_waiting, _age_seconds(refunds_oldest, now))},
        "webhooks": (webhooks, _age_seconds(webhooks_oldest, now)),
    }


def queue_state() -> dict:
    """RQ queue lengths, failed jobs and the sweeper's last success (Redis). Raises if
    Redis cannot be asked."""
    from rq import Queue
    from rq.registry import FailedJobRegistry

    from .extensions import redis_conn

    connection = redis_conn.client()
    queues = {}
    for name in RQ_QUEUES:
        queue = Queue(name, connection=connection)
        queues[name] = (queue.count, FailedJobRegistry(queue=queue).count)
    last, backup = connection.mget(SWEEPER_LAST_SUCCESS_KEY, BACKUP_LAST_SUCCESS_KEY)
    return {"queues": queues, "sweeper_last_success": float(last) if last else None,
            "backup_last_success": float(backup) if backup else None}


class ShopCollector:
    """Reads the shop's state at each scrape. A source that cannot be read is reported by
    `sweetshop_up{source=...} 0` instead of failing the scrape."""

    def collect(self):
        up = GaugeMetricFamily("sweetshop_up", "Whether /metrics could read this source",
                               labels=["source"])
        try:
            state = shop_state()
        except Exception as exc:
            log.warning("Metrics: database not readable (%s)", exc.__class__.__name__)
            from .database import discard_session
            from .extensions import db
            discard_session(db.session)
            up.add_metric(["postgres"], 0)
        else:
            up.add_metric(["postgres"], 1)
            yield from self._database_families(state)
        try:
            queues = queue_state()
        except Exception as exc:
            log.warning("Metrics: Redis not readable (%s)", exc.__class__.__name__)
            up.add_metric(["redis"], 0)
        else:
            up.add_metric(["redis"], 1)
            yield from self._queue_families(queues)
        yield up

    @staticmethod
    def _database_families(state):
        orders = CounterMetricFamily("sweetshop_orders_placed", "Orders placed, by payment "
                                     "method (from the order table)", labels=["payment_method"])
        for method, count in sorted(state["orders"].items()):
            orders.add_metric([method], count)
        yield orders
        payments = CounterMetricFamily(
            "sweetshop_payment_attempts", "Online payment attempts by Razorpay status "
            "(captured: succeeded; failed, refused: failed)", labels=["status"])
        for status, count in sorted(state["payments"].items()):
            payments.add_metric([status], count)
        yield payments
        messages = GaugeMetricFamily("sweetshop_messages", "Messages in the outbox, by "
                                     "channel and status", labels=["channel", "status"])
        for channel, status, count in sorted(state["messages"]):
            messages.add_metric([channel, status], count)
        yield messages
        waiting = GaugeMetricFamily("sweetshop_outbox_waiting", "Outbox rows not yet done "
                                    "(messages queued or sending, refunds not yet sent)",
                                    labels=["kind"])
        age = GaugeMetricFamily("sweetshop_outbox_oldest_age_seconds", "Age of the oldest "
                                "waiting outbox row (0: none waiting)", labels=["kind"])
        for kind, (count, seconds) in state["outbox"].items():
            waiting.add_metric([kind], count)
            age.add_metric([kind], seconds)
        yield waiting
        yield age
        count, seconds = state["webhooks"]
        yield GaugeMetricFamily("sweetshop_webhook_events_unprocessed",
                                "Razorpay webhook events stored but not yet processed",
                                value=count)
        yield GaugeMetricFamily("sweetshop_webhook_oldest_unprocessed_age_seconds",
                                "Age of the oldest unprocessed webhook event", value=seconds)

    @staticmethod
    def _queue_families(state):
        length = GaugeMetricFamily("sweetshop_rq_queue_length", "Jobs waiting in an RQ queue",
                                   labels=["queue"])
        failed = GaugeMetricFamily("sweetshop_rq_failed_jobs", "Jobs in an RQ queue's failed "
                                   "registry", labels=["queue"])
        for name, (waiting, failures) in state["queues"].items():
            length.add_metric([name], waiting)
            failed.add_metric([name], failures)
        yield length
        yield failed
        if state["sweeper_last_success"] is not None:
            yield GaugeMetricFamily(
                "sweetshop_sweeper_last_success_timestamp_seconds",
                "When the periodic sweeper last ran every task without an error (Unix time)",
                value=state["sweeper_last_success"])
        if state["backup_last_success"] is not None:
            yield GaugeMetricFamily(
                "sweetshop_backup_last_success_timestamp_seconds",
                "When flask backup last wrote a backup (Unix time)",
                value=state["backup_last_success"])


def record_sweeper_success(key: str = SWEEPER_LAST_SUCCESS_KEY) -> None:
    """Called by the sweeper after a run in which every task succeeded (and by backups)."""
    from .extensions import redis_conn

    try:
        redis_conn.client().set(key, f"{time.time():.3f}")
    except Exception as exc:  # metrics must never stop the sweeper
        log.warning("Could not record the sweeper's run in Redis (%s)", exc.__class__.__name__)


# --- the endpoint -----------------------------------------------------------------------

def _networks(setting: str | None):
    networks = []
    for part in (setting or "").replace(" ", ",").split(","):
        if part:
            networks.append(ipaddress.ip_network(part, strict=False))
    return networks


def metrics_allowed(request, config) -> bool:
    token = config.get("METRICS_TOKEN")
    given = request.headers.get("Authorization", "")
    if token and given.startswith("Bearer ") and \
            hmac.compare_digest(given[7:].encode(), token.encode()):
        return True
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in _networks(config.get("METRICS_ALLOWED_NETWORKS")))


def metrics_view():
    from flask import abort, current_app, request

    if not metrics_allowed(request, current_app.config):
        abort(404)
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(REQUESTS)
        registry.register(LATENCY)
    registry.register(ShopCollector())
    return generate_latest(registry), 200, {"Content-Type": CONTENT_TYPE_LATEST,
                                            "Cache-Control": "no-store"}


def init_app(app) -> None:
    # Validate the networks once, at start, rather than at the first scrape.
    _networks(app.config.get("METRICS_ALLOWED_NETWORKS"))
    app.add_url_rule("/metrics", "metrics", metrics_view)
