"""Logging: one line per event, JSON in production and readable text elsewhere, personal
data masked, and the request id on every line a request (or a job it enqueued) writes.

- `configure_logging(app)` (create_app) gives the root logger one handler on stderr with
  `JsonFormatter` (SWEETSHOP_ENV=production, or LOG_FORMAT=json) or `TextFormatter`, and
  takes RQ's own handlers off its loggers so the worker prints each line once.
- Every line's time carries its offset (Asia/Kolkata, `+05:30`), never a bare UTC time.
- `scrub()` runs on every formatted line: phone numbers become `+91 98•••••210`, emails
  `o•••@example.com`, passwords in URLs `•••`. Lines from the development console
  messenger (`CONSOLE_LOGGER`) keep the message text (codes, links) and say so: it is the
  only backend that prints messages, and it is refused nothing, so it never runs in
  production with real customers (sweetshop.integrations.twilio picks Twilio there).
- `init_request_log(app)`: the request id (`X-Request-ID` when TRUSTED_PROXIES says a
  proxy sets it, else a new one), and one line per request at the end of it: method,
  route name (never the raw path, which carries order and cart tokens), status,
  duration, client address and who (anonymous, customer, staff:<id>). No database
  round trip: the admin is whatever `require_owner` already loaded.
- `queueing.enqueue` puts the request id in each job's meta; the worker sets it (and the
  job id) around the job (`log_context`), so a job's lines carry the request that caused it.
"""
from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import time
import traceback
import uuid
from contextlib import contextmanager
from datetime import datetime
from zoneinfo import ZoneInfo

SHOP_TZ = ZoneInfo("Asia/Kolkata")
REQUEST_LOGGER = "sweetshop.request"
CONSOLE_LOGGER = "sweetshop.console_messages"
RQ_LOGGERS = ("rq.worker", "rq.job", "rq.scheduler", "rq.queue", "rq")
# The fields a line may carry besides time, level, logger and message.
FIELDS = ("request_id", "job_id", "method", "route", "status", "duration_ms", "client", "who")
# A request id from a trusted proxy is used only if it looks like one (it is logged).
REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")

# Never mutated: log_context() sets a new dict (so the default may be a shared one).
_EMPTY: dict = {}
_context: contextvars.ContextVar[dict] = contextvars.ContextVar("log_context")


def _fields() -> dict:
    return _context.get(_EMPTY)


# --- masking ----------------------------------------------------------------------------

# An E.164 number (+ and 8-15 digits, maybe after "whatsapp:"), or a bare Indian mobile
# (10 digits starting 6-9, as 98765 43210 too, maybe after +91 or 0), not inside a longer run of digits.
_PHONE_RE = re.compile(r"(?<![\w+])(?:\+\d{8,15}|(?:\+?91[ -]?|0)?[6-9]\d{4}[ -]?\d{5})(?![\w])")
_EMAIL_RE = re.compile(r"\b([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})\b")
_FIVE_DIGITS_RE = re.compile(r"\d{5}")
_URL_PASSWORD_RE = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^/\s:@]*:)[^/\s@]+@", re.I)


def mask_phone(raw: str) -> str:
    """'+919876543210' or '9876543210' -> '+91 98•••••210'."""
    plus = raw.startswith("+")
    digits = re.sub(r"\D", "", raw)
    if not plus or (len(digits) == 12 and digits.startswith("91")):
        digits = "91" + digits[-10:]
    country = "91" if digits.startswith("91") and len(digits) == 12 else digits[:-10] or "?"
    national = digits[len(country):] if country != "?" else digits
    if len(national) < 6:
        return f"+{country} " + "•" * len(national)
    return f"+{country} {national[:2]}{'•' * (len(national) - 5)}{national[-3:]}"


def scrub(text: str) -> str:
    """The text with phone numbers, emails and URL passwords masked."""
    if not text:
        return text
    # Cheap tests first: most lines have no "://", no "@" and no run of five digits.
    if "://" in text:
        text = _URL_PASSWORD_RE.sub(r"\1•••@", text)
    if "@" in text:
        text = _EMAIL_RE.sub(r"\1•••@\2", text)
    if _FIVE_DIGITS_RE.search(text):
        text = _PHONE_RE.sub(lambda m: mask_phone(m.group(0)), text)
    return text


# --- context ----------------------------------------------------------------------------

def current_request_id() -> str | None:
    return _fields().get("request_id")


@contextmanager
def log_context(**values):
    """Add fields (request_id, job_id) to every line written inside the block."""
    token = _context.set({**_fields(), **{k: v for k, v in values.items() if v}})
    try:
        yield
    finally:
        _context.reset(token)


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in _fields().items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


# --- formatters -------------------------------------------------------------------------

def _time(record: logging.LogRecord) -> str:
    return datetime.fromtimestamp(record.created, SHOP_TZ).isoformat(timespec="milliseconds")


_ANSI_RE = re.compile(r"\x1b\[[0-9;]*m")


def _message(record: logging.LogRecord) -> str:
    message = _ANSI_RE.sub("", record.getMessage())  # RQ colours its words
    if record.name == CONSOLE_LOGGER:
        # The development console messenger: the text in full (it is how a developer reads
        # a one-time code), the number masked like everywhere else.
        return ("[development console: message text shown in full] "
                + _PHONE_RE.sub(lambda m: mask_phone(m.group(0)), message))
    if record.name == REQUEST_LOGGER:
        return message  # made of route names, numbers and the address: nothing to mask
    return scrub(message)


def _exception(record: logging.LogRecord) -> str | None:
    if not record.exc_info:
        return None
    return scrub("".join(traceback.format_exception(*record.exc_info)).rstrip())


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (with offset), level, logger, message, the context
    fields, and the traceback (as one string) if any."""

    def format(self, record: logging.LogRecord) -> str:
        line = {"time": _time(record), "level": record.levelname, "logger": record.name,
                "message": _message(record)}
        for key in FIELDS:
            value = getattr(record, key, None)
            if value is not None:
                line[key] = value
        exc = _exception(record)
        if exc:
            line["exception"] = exc
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """`2026-05-01 18:30:00.123+05:30 INFO sweetshop.request: GET storefront.index 200 ...`
    with `[rid=...]` at the end when there is a request id; a traceback follows on its own
    lines (it is development)."""

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created, SHOP_TZ).isoformat(
            sep=" ", timespec="milliseconds")
        line = f"{when} {record.levelname} {record.name}: {_message(record)}"
        tags = " ".join(f"{key}={getattr(record, key)}" for key in ("request_id", "job_id")
                        if getattr(record, key, None))
        if tags:
            line += f" [{tags}]"
        exc = _exception(record)
        return f"{line}\n{exc}" if exc else line


def configure_logging(app) -> None:
    """The root logger's one handler (stderr), in the format for this environment; RQ's
    loggers lose their own handlers and propagate to it, so each line is printed once."""
    fmt = (app.config.get("LOG_FORMAT") or
           ("json" if app.config.get("ENV_NAME") == "production" else "text")).lower()
    level = (app.config.get("LOG_LEVEL") or "INFO").upper()
    root = logging.getLogger()
    handler = next((h for h in root.handlers if getattr(h, "_sweetshop", False)), None)
    if handler is None:
        handler = logging.StreamHandler(sys.stderr)
        handler._sweetshop = True
        handler.addFilter(ContextFilter())
        # Handlers others installed (basicConfig, a tool's) would print each line again.
        for other in list(root.handlers):
            if isinstance(other, logging.StreamHandler) and \
                    getattr(other, "stream", None) in (sys.stderr, sys.stdout):
                root.removeHandler(other)
        root.addHandler(handler)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root.setLevel(level)
    for name in RQ_LOGGERS:
        logger = logging.getLogger(name)
        for rq_handler in list(logger.handlers):
            logger.removeHandler(rq_handler)
        logger.propagate = True
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)  # it logs every header
    logging.getLogger("botocore").setLevel(logging.WARNING)


# --- the request line -------------------------------------------------------------------

def _who() -> str:
    from flask import g, session

    admin = g.get("admin")
    if admin is not None:
        return f"staff:{admin.id}"
    try:
        from .lookup.views import VERIFIED_KEY
        # Reading the session must not mark it accessed (that adds "Vary: Cookie" to
        # every response, static files included).
        accessed = session.accessed
        known = VERIFIED_KEY in session
        session.accessed = accessed
        if known:
            return "customer"
    except Exception:  # no session, or one that cannot be read: nobody known
        pass
    return "anonymous"


def init_request_log(app) -> None:
    from flask import g, request

    trust_header = bool(app.config.get("TRUSTED_PROXIES"))
    request_log = logging.getLogger(REQUEST_LOGGER)

    @app.before_request
    def start_request_log():
        given = request.headers.get("X-Request-ID", "") if trust_header else ""
        rid = given if REQUEST_ID_RE.match(given) else uuid.uuid4().hex
        g.request_started = time.perf_counter()
        g.request_id = rid
        g._log_token = _context.set({"request_id": rid})

    @app.after_request
    def write_request_log(response):
        started = g.get("request_started")
        if started is None:  # before_request of ours never ran (an earlier one answered)
            return response
        response.headers.setdefault("X-Request-ID", g.request_id)
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        route = request.endpoint or "unmatched"
        status = response.status_code
        who = _who()
        request_log.info("%s %s %s %.1fms %s %s", request.method, route, status, duration_ms,
                         request.remote_addr, who,
                         extra={"method": request.method, "route": route, "status": status,
                                "duration_ms": duration_ms, "client": request.remote_addr,
                                "who": who})
        from . import metrics
        metrics.observe_request(route, request.method, status, duration_ms / 1000)
        return response

    @app.teardown_request
    def end_request_log(exc):
        token = g.pop("_log_token", None)
        if token is not None:
            try:
                _context.reset(token)
            except ValueError:  # set in another context (a copied one): just clear it
                _context.set({})
