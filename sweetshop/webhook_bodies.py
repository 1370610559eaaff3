"""The one place webhook bodies are bounded and cleaned, before anything parses or stores them.

Providers sign what they send, but a signature proves who sent a body, not that we can hold
it: PostgreSQL text cannot contain NUL, deep JSON exhausts Python's recursion, and a chunked
body has no Content-Length to check. So every webhook view:

1. reads at most `limit` bytes (`read_body`), with Content-Length or chunked: 413 beyond,
   before the signature is checked (an HMAC over megabytes from anyone is work for nothing);
2. checks the provider's signature over exactly those bytes;
3. turns the bytes into something storable (`parse_json_event`, `form_text`): UTF-8, a JSON
   object at most MAX_DEPTH deep, no NUL anywhere. A signed body that is not usable is
   refused with 400 (`UnusableBody`) rather than stored and retried by our jobs forever;
   Razorpay retries a refused webhook for a bounded time (24 hours), then gives up.
"""
from __future__ import annotations

import json

from flask import abort, request
from werkzeug.wsgi import LimitedStream

MAX_DEPTH = 32  # Razorpay's events nest 4-5 levels (event > payload > payment > entity > notes)


class UnusableBody(ValueError):
    """A signed body we cannot use: not UTF-8, not a JSON object, too deep. Answer 400."""


def limit_body(limit: int) -> None:
    """Refuse (413) a body longer than `limit` bytes, sent with a Content-Length or chunked.
    Call it before anything reads the body (request.form, get_data)."""
    # Werkzeug applies the request's max_content_length to chunked streams too, when the
    # server terminates the input (gunicorn does): reading past it raises 413.
    request.max_content_length = limit
    if request.content_length is not None and request.content_length > limit:
        abort(413)


def read_form(limit: int):
    """The request's form, from a body of less than `limit` bytes (413 otherwise)."""
    limit_body(limit)
    form = request.form
    # A chunked form that reaches the limit is cut there by Werkzeug, silently: refuse it.
    if request.content_length is None and isinstance(request.stream, LimitedStream) \
            and request.stream.is_exhausted:
        abort(413)
    return form


def read_body(limit: int) -> bytes:
    """The request's raw body, at most `limit` bytes whether it came with a Content-Length
    or chunked; aborts with 413 when it is longer (reading at most one byte more)."""
    limit_body(limit + 1)  # so a body of exactly `limit` bytes reads to its end
    if request.content_length is not None and request.content_length > limit:
        abort(413)
    stream, chunks, size = request.stream, [], 0
    while size <= limit:  # a chunked body arrives in pieces: read until its end or the limit
        chunk = stream.read(limit + 1 - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > limit:
        abort(413)
    return b"".join(chunks)


def parse_json_event(raw: bytes) -> tuple[dict, str]:
    """(event, text to store) from a signed JSON body; UnusableBody when it cannot be used.

    The text is the body exactly as signed, unless a string in it held NUL (`\\u0000`):
    those characters are dropped and the event is re-serialised, because PostgreSQL text
    cannot store them and the job would fail on every try.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UnusableBody("not UTF-8") from None
    if "\x00" in text:  # never valid JSON, and never storable
        raise UnusableBody("NUL byte")
    try:
        event = json.loads(text)
    except RecursionError:
        raise UnusableBody("nested too deeply") from None
    except ValueError as error:
        raise UnusableBody(f"not JSON ({str(error)[:80]})") from None
    if not isinstance(event, dict):
        raise UnusableBody("not a JSON object")
    cleaned, changed = _without_nul(event)
    if changed:
        return cleaned, json.dumps(cleaned, ensure_ascii=False, separators=(",", ":"))
    return event, text


def _without_nul(value, depth: int = 0):
    """(value with NUL removed from every string and key, whether anything changed);
    UnusableBody past MAX_DEPTH. Depth is bounded, so this recursion is too."""
    if depth > MAX_DEPTH:
        raise UnusableBody("nested too deeply")
    if isinstance(value, str):
        return (value.replace("\x00", ""), True) if "\x00" in value else (value, False)
    if isinstance(value, list):
        items = [_without_nul(item, depth + 1) for item in value]
        return [item for item, _ in items], any(changed for _, changed in items)
    if isinstance(value, dict):
        result, changed = {}, False
        for key, item in value.items():
            clean_key = key.replace("\x00", "")
            result[clean_key], item_changed = _without_nul(item, depth + 1)
            changed = changed or item_changed or clean_key != key
        return result, changed
    return value, False


def form_text(name: str, max_length: int) -> str:
    """A form field of a signed callback as storable text: no NUL or other control
    characters, at most max_length characters ('' when absent)."""
    value = request.form.get(name, "")  # after read_form has bounded the body
    return "".join(ch for ch in value if ch.isprintable())[:max_length]
