"""Request rate limits (Flask-Limiter on Redis), declared in one place by endpoint.

Most limits fail open: if Redis is down, browsing and buying go on (stock and orders are
guarded by PostgreSQL anyway). Sign-in and one-time codes fail closed: without Redis
they are refused for the moment, since guessing is exactly what the limit is there to stop.
(Both also keep their own counters in PostgreSQL, which hold with Redis down.)

Every per-address limit counts by client network (client_network(): the IPv4 address or
the IPv6 /64, after TRUSTED_PROXIES). A refused form POST keeps the page: the form comes
back with what the customer typed, status 429, a Retry-After header and, next to the
button, when to try again (REFUSED_FORMS); anything else gets the short 429 page.

Redis is reached through the circuit breaker of sweetshop/redis_breaker.py: after one
failure (a paused Redis answers nothing within REDIS_SOCKET_TIMEOUT), Redis is skipped
for REDIS_BREAKER_SECONDS. While it is skipped, limits that fail open are not counted at
all (no wait, no error logged per request), and those that fail closed are refused at
once with the same "paused for a moment" page and a Retry-After of the seconds left:
counting them in memory per process would multiply the allowance by the number of
processes, and a refusal of a few seconds is what they get today for the whole outage.
"""
from __future__ import annotations

import hashlib
import logging
import math
import time

from flask import Flask, current_app, make_response, request
from flask_limiter import RateLimitExceeded
from werkzeug.utils import import_string

from .extensions import limiter, redis_conn
from .i18n import gettext as _
from .networks import client_network, network_of  # noqa: F401  (the one key; import it from here)

log = logging.getLogger(__name__)

# endpoint -> limit string per client network, applied to POSTs (GET pages share the default
# limit below).
POST_LIMITS = {
    # Many customers share one address behind mobile carriers' NAT, so checkout counts per
    # cart too (PER_CART_LIMITS) and the per-address limit is several shoppers' worth.
    "checkout.place_order": "60 per minute;600 per hour",
    "cart.add_item": "60 per minute",
    "cart.update_item": "120 per minute",
    "boxes.add_box": "60 per minute",             # assorted boxes, as a pack's add and update
    "boxes.update_box_line": "120 per minute",
    "boxes.update_box": "120 per minute",         # "Update box" without JavaScript
    "admin.do_login": "10 per minute;50 per hour",
    "lookup.send_code": "5 per minute;20 per hour",
    "lookup.verify_code": "10 per minute",
    "lookup.find_order": "10 per minute",
    "webhooks.razorpay_webhook": "600 per minute",
    "webhooks.twilio_status": "600 per minute",
    "webhooks.twilio_whatsapp": "120 per minute",
    "webhooks.twilio_call_status": "600 per minute",
    "webhooks.twilio_voice": "120 per minute",
    "webhooks.twilio_voice_keys": "120 per minute",
    "alerts.accept_from_push": "60 per minute",
    "alerts.add_device": "30 per minute",
}
# endpoint -> limit per cart (the cart cookie; no cart: the client network), on top of the
# per-network one: one shopper's double taps and retries, whoever shares their address.
PER_CART_LIMITS = {
    "checkout.place_order": "10 per minute;60 per hour",
}
# endpoint -> "module.function(refusal_message)" that re-renders the refused form with the
# customer's input (status and Retry-After are set here).
REFUSED_FORMS = {
    "checkout.place_order": "sweetshop.checkout.views.render_refused",
    "admin.do_login": "sweetshop.admin.auth_views.render_refused",
    "lookup.send_code": "sweetshop.lookup.views.render_refused_code_request",
    "lookup.verify_code": "sweetshop.lookup.views.render_refused_code",
    "lookup.find_order": "sweetshop.lookup.views.render_refused_tracking",
}
FAIL_CLOSED = {"admin.do_login", "lookup.send_code", "lookup.verify_code"}
# Per address and per page (Flask-Limiter counts default limits per endpoint); generous
# because Indian mobile carriers put many customers behind one address (carrier-grade NAT).
# Browsing fails open without Redis.
DEFAULT_LIMIT = "600 per minute"
# Photos (a dozen per home page) and health checks are not limited; Flask-Limiter already
# leaves /static alone.
EXEMPT = ("media", "health", "ping")
# Catalogue pages (what a WhatsApp link brings at a rush) are counted in this process's
# memory instead of Redis: no network round trip per page. With W web processes a network
# may read W × LOCAL_PAGE_LIMIT pages a minute, which still stops a scraper or a loop and
# never a family behind one carrier address; everything that changes state keeps its
# Redis limit above, exactly as strict.
LOCAL_PAGES = ("storefront.list_products", "storefront.list_category", "storefront.show_product")
LOCAL_PAGE_LIMIT = 600  # per client network per minute, per process


class LocalWindow:
    """A fixed one-minute window per key, in memory, for at most `max_keys` keys (the
    oldest window is dropped first; a flood of addresses cannot grow it without bound)."""

    def __init__(self, limit: int, seconds: float = 60, max_keys: int = 20_000):
        import threading
        from collections import OrderedDict

        self.limit, self.seconds, self.max_keys = limit, seconds, max_keys
        self.windows: OrderedDict[str, list] = OrderedDict()
        self.lock = threading.Lock()

    def hit(self, key: str, now: float | None = None) -> float:
        """0 if allowed (and counted), else the seconds until the window ends."""
        now = time.monotonic() if now is None else now
        with self.lock:
            window = self.windows.get(key)
            if window is None or now >= window[0]:
                window = [now + self.seconds, 0]
                self.windows[key] = window
                self.windows.move_to_end(key)
                while len(self.windows) > self.max_keys:
                    self.windows.popitem(last=False)
            if window[1] >= self.limit:
                return window[0] - now
            window[1] += 1
            return 0.0


local_pages = LocalWindow(LOCAL_PAGE_LIMIT)


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

    for endpoint in (*EXEMPT, *LOCAL_PAGES):
        if endpoint in app.view_functions:
            app.view_functions[endpoint] = limiter.exempt(app.view_functions[endpoint])
    for endpoint, rule in POST_LIMITS.items():
        view = app.view_functions.get(endpoint)
        if view is not None:
            view = limiter.limit(rule, methods=["POST"])(view)
            if endpoint in PER_CART_LIMITS:
                view = limiter.limit(PER_CART_LIMITS[endpoint], methods=["POST"],
                                     key_func=cart_key)(view)
            app.view_functions[endpoint] = view

    @app.errorhandler(RateLimitExceeded)
    def rate_limited(error):
        return refusal_response(retry_after_seconds())

    @app.before_request
    def count_catalogue_pages_locally():
        if (request.endpoint not in LOCAL_PAGES
                or not current_app.config.get("RATELIMIT_ENABLED", True)):
            return None
        wait = local_pages.hit(client_network())
        return refusal_response(math.ceil(wait)) if wait else None

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
            response = error_response(503, _("This is paused for a moment on our side. "
                                           "Please try again in a minute."))
            retry_after = max(1, round(_limit_breaker().seconds_left()))
            return response[0], response[1], {"Retry-After": str(retry_after)}
        return None


def cart_key() -> str:
    """The per-cart limit key: a hash of the cart cookie (not the token itself), else the
    client network (a request without a cart is counted with its neighbours)."""
    from .web import CART_COOKIE

    token = request.cookies.get(CART_COOKIE) or ""
    if not token:
        return client_network()
    return "cart:" + hashlib.sha256(token.encode()).hexdigest()[:32]


def retry_after_seconds() -> int:
    """Seconds until the limit that refused this request lets it through again."""
    limit = limiter.current_limit
    if limit is None:
        return 60
    return max(1, math.ceil(limit.reset_at - time.time()))


def refusal_message(seconds: int, form_kept: bool = True) -> str:
    minutes = max(1, round(seconds / 60))
    wait = "a minute" if minutes <= 1 else f"{minutes} minutes"
    if form_kept:
        return (_('Too many tries from here just now. Please wait %(wait)s and try again; what you typed is kept.', wait=wait))
    return _('Too many requests from here just now. Please wait %(wait)s and try again.', wait=wait)


def refusal_response(seconds: int):
    """The refused form again (REFUSED_FORMS) or the short 429 page; 429 + Retry-After."""
    message = refusal_message(seconds)
    renderer = REFUSED_FORMS.get(request.endpoint or "")
    response = None
    if renderer and request.method == "POST":
        try:
            response = make_response(import_string(renderer)(message))
        except Exception:  # the refusal must not become a 500: fall back to the short page
            log.exception("Could not re-render the refused form of %s", request.endpoint)
            from .extensions import db
            db.session.rollback()
    if response is None:
        from .web import error_response
        response = make_response(error_response(429, refusal_message(seconds, form_kept=False)))
    response.status_code = 429
    response.headers["Retry-After"] = str(seconds)
    return response


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
