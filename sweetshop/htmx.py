"""One URL, two renderings: the full page, or one named block of it for htmx."""
from __future__ import annotations

import json

from flask import Response, make_response, render_template, request
from jinja2_fragments.flask import render_block


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def wants_fragment() -> bool:
    """An htmx request for part of a page: not a boosted navigation, not a history restore."""
    return (
        is_htmx()
        and request.headers.get("HX-Boosted") != "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def render_page_or_block(template: str, block: str, status: int = 200, **context) -> Response:
    if wants_fragment():
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    response = make_response(body, status)
    response.headers["Vary"] = "HX-Request"
    return response


def trigger(response: Response, event: str, detail: dict | None = None) -> Response:
    """Add an event to the HX-Trigger header, keeping any already there."""
    current = response.headers.get("HX-Trigger")
    events = json.loads(current) if current and current.startswith("{") else (
        {current: None} if current else {})
    events[event] = detail
    response.headers["HX-Trigger"] = json.dumps(events)
    return response
