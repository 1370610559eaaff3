"""URL converters. `<id:name>` is the one way a route takes a row id or an order number.

Werkzeug's `<int:...>` takes any length of digits, so /admin/products/2147483648 reached
PostgreSQL as an out-of-range integer (a 500). Every id column is a 4-byte integer, so
anything outside 1..2**31-1 cannot name a row: the answer is 404, whatever the method.
"""
from __future__ import annotations

import re

from werkzeug.exceptions import NotFound
from werkzeug.routing import BaseConverter

MAX_ID = 2**31 - 1  # PostgreSQL's integer (and serial / identity) upper bound
ID_TEXT = re.compile(r"[1-9][0-9]{0,9}")


def parse_id(text: str | None) -> int | None:
    """An id from a query string or callback URL (?n=42), by the same rule as `<id:...>`."""
    if text is None or not ID_TEXT.fullmatch(text) or int(text) > MAX_ID:
        return None
    return int(text)


class IdConverter(BaseConverter):
    """ASCII digits without a leading zero, 1..MAX_ID, as an int (one canonical URL per row)."""

    regex = ID_TEXT.pattern
    weight = 50  # as Werkzeug's own number converters: before a <string> in the same place
    part_isolating = True

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_ID:
            # NotFound, not ValidationError: with the latter Werkzeug answers a POST with
            # 405 "GET allowed" when a GET rule has the same path.
            raise NotFound()
        return number

    def to_url(self, value) -> str:
        return str(int(value))
