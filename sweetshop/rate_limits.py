"""Request rate limits (Flask-Limiter on Redis), declared in one place by endpoint.

Most limits fail open: if Redis is down, browsing and buying go on (stock and orders are
guarded by PostgreSQL anyway). Sign-in and one-time codes fail closed: without Redis
they are refused for the moment, since guessing is exactly what the limit is there to stop.
(Both also keep their own counters in PostgreSQL, which hold with Redis down.)

Redis is reached through the circuit breaker of sweetshop/redis_breaker.py: after one
failure (a paused Redis answers nothing within REDIS_SOCKET_TIMEOUT), Redis is skipped
for REDIS_BREAKER_SECONDS. While it is skipped, limits that fail open are not counted at
all (no wait, no error logged per request), and those that fail closed are refused at
once with the same "paused for a moment" page and a Retry-After of the seconds left:
counting them in memory per process would multiply the allowance by the number of
processes, and a refusal of a few seconds is what they get today for the whole outage.
"""
from __future__ import annotations

import logging

from flask import Flask, current_app, request

from .extensions import limiter, redis_conn

log = logging.getLogger(__name__)

# endpoint -> limit string, applied to POSTs (GET pages share the default limit below).
POST_LIMITS = {
    "checkout.place_order": "10 per minute;60 per hour",
    "cart.add_item": "60 per minute",
    "cart.update_item": "120 per minute",
    "admin.do_login": "10 per minute;50 per hour",
    "lookup.send_code": "5 per minute;20 per hour",
    "lookup.verify_code": "10 per minute",
    "lookup.find_order": "10 per minute",
    "webhooks.razorpay_webhook": "600 per minute",
    "webhooks.twilio_status": "600 per minute",
    "webhooks.twilio_whatsapp": "120 per minute",
}
FAIL_CLOSED = {"admin.do_login", "lookup.send_code", "lookup.verify_code"}
# Per address and per page (Flask-Limiter counts default limits per endpoint); generous
# because Indian mobile carriers put many customers behind one address (carrier-grade NAT).
# Browsing fails open without Redis.
DEFAULT_LIMIT = "600 per minute"
# Photos (a dozen per home page) and health checks are not limited; Flask-Limiter already
# leaves /static alone.
EXEMPT = ("media", "health", "ping")


def init_app(app: Flask) -> None:
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["REDIS_URL"])
    if _is_redis(app.config["RATELIMIT_STORAGE_URI"]):
        # The queue's pool: short timeouts and the shared breaker (sweetshop/redis_breaker.py).
        app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", {
            "connection_pool": redis_conn.pool(app, app.config["RATELIMIT_STORAGE_URI"])})
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)  # fail open by default
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", False)
    app.config.setdefault("RATELIMIT_DEFAULT", DEFAULT_LIMIT)
    limiter.init_app(app)
    if not getattr(limiter, "_sweetshop_breaker_filter", False):  # one filter per process
        limiter.request_filter(_redis_is_skipped)
        limiter._sweetshop_breaker_filter = True

    for endpoint in EXEMPT:
        if endpoint in app.view_functions:
            app.view_functions[endpoint] = limiter.exempt(app.view_functions[endpoint])
    for endpoint, rule in POST_LIMITS.items():
        view = app.view_functions.get(endpoint)
        if view is not None:
            app.view_functions[endpoint] = limiter.limit(rule, methods=["POST"])(view)

    @app.before_request
    def fail_closed_without_redis():
        if (request.method != "POST" or request.endpoint not in FAIL_CLOSED
                or not current_app.config.get("RATELIMIT_ENABLED", True)):
            return None
        try:
            redis_conn.client().ping()  # fails at once while the breaker is open
        except Exception as exc:  # any Redis failure: refuse rather than allow unlimited tries
            log.warning("Refusing %s while Redis is unavailable: %s", request.endpoint, exc)
            from .web import error_response
            response = error_response(503, "This is paused for a moment on our side. "
                                           "Please try again in a minute.")
            retry_after = max(1, round(_limit_breaker().seconds_left()))
            return response[0], response[1], {"Retry-After": str(retry_after)}
        return None


def _is_redis(uri: str) -> bool:
    return uri.startswith(("redis://", "rediss://", "unix://"))


def _limit_breaker():
    """The breaker of the limits' Redis (the queue's, when limits are kept elsewhere)."""
    uri = current_app.config["RATELIMIT_STORAGE_URI"]
    return redis_conn.pool(current_app, uri if _is_redis(uri) else None).breaker


def _redis_is_skipped() -> bool:
    """Flask-Limiter request filter: while the breaker is open, limits are not counted
    (fail open, at once); the fail-closed endpoints are refused by the hook above."""
    return _limit_breaker().is_open()
