"""Error tracking with Sentry, only when SENTRY_DSN is set (nothing is loaded otherwise).

The Flask integration reports unhandled errors in requests (our 500 handler logs them,
and the logging integration turns the ERROR line into an event), the RQ integration
errors in jobs. Release is the git commit being run (SENTRY_RELEASE, else the commit the
host reports: SOURCE_VERSION / HEROKU_SLUG_COMMIT, else `git rev-parse HEAD` in the
checkout, as the systemd deploy has it); environment is SWEETSHOP_ENV.

Personal data never leaves (`scrub_event`, Sentry's before_send and before_breadcrumb):
no cookies, headers, query strings or request bodies (forms hold names, phones,
addresses); no local variables in stack frames; URLs reduced to their route's shape
(`/orders/•••`); and every remaining string goes through the log's own `scrub()` (phone
numbers, emails, URL passwords). No user and no IP address are collected.
"""
from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from .logs import scrub

ROOT = Path(__file__).resolve().parent.parent
# A path segment that is a token (order, cart, payment page): long and random-looking.
_TOKEN_SEGMENT = re.compile(r"(?<=/)[A-Za-z0-9_-]{16,}(?=/|$|\?)")
_KEPT_HEADERS = {"user-agent", "content-type", "content-length", "accept", "hx-request",
                 "x-request-id"}


def release() -> str | None:
    for name in ("SENTRY_RELEASE", "SOURCE_VERSION", "HEROKU_SLUG_COMMIT"):
        if os.environ.get(name):
            return os.environ[name]
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                             text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def _scrub_value(value):
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {k: _scrub_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub_value(v) for v in value]
    return value


def _scrub_url(url: str) -> str:
    return _TOKEN_SEGMENT.sub("•••", url.split("?", 1)[0])


def scrub_event(event: dict, hint: dict | None = None) -> dict:
    """Sentry's before_send: the event without personal data (see the module's doc)."""
    request = event.get("request")
    if isinstance(request, dict):
        for key in ("cookies", "data", "query_string", "env"):
            request.pop(key, None)
        headers = request.get("headers") or {}
        request["headers"] = {k: v for k, v in headers.items() if k.lower() in _KEPT_HEADERS}
        if request.get("url"):
            request["url"] = _scrub_url(request["url"])
    event.pop("user", None)
    for exception in (event.get("exception") or {}).get("values") or []:
        for frame in (exception.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)
    for thread in (event.get("threads") or {}).get("values") or []:
        for frame in (thread.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)
    return _scrub_value(event)


def scrub_breadcrumb(crumb: dict, hint: dict | None = None) -> dict:
    data = crumb.get("data")
    if isinstance(data, dict) and "url" in data:
        data["url"] = _scrub_url(str(data["url"]))
    return _scrub_value(crumb)


def init_error_tracking(config: dict) -> bool:
    """Start Sentry if SENTRY_DSN is set; True if it was started."""
    dsn = config.get("SENTRY_DSN")
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.flask import FlaskIntegration
    from sentry_sdk.integrations.rq import RqIntegration

    sentry_sdk.init(
        dsn=dsn,
        integrations=[FlaskIntegration(transaction_style="endpoint"), RqIntegration()],
        release=config.get("SENTRY_RELEASE") or release(),
        environment=config.get("ENV_NAME"),
        # Collect as little as the SDK allows; scrub_event removes what is still there.
        data_collection={"user_info": False, "http_bodies": [], "stack_frame_variables": False,
                         "database_query_data": False},
        traces_sample_rate=config.get("SENTRY_TRACES_SAMPLE_RATE") or 0.0,
        before_send=scrub_event,
        before_breadcrumb=scrub_breadcrumb,
    )
    return True
