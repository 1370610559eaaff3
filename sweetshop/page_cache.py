"""Storefront pages from a per-process cache keyed by what the page shows (issue 19).

A catalogue page's HTML is a function of:
- the catalogue version: a number PostgreSQL triggers bump in the same transaction as any
  change to categories, products (but their stock), packs or shop settings (migration
  e19a0c0ffee1), so a cached price, name, photo or setting can never outlive its change;
- the stock of the sweets on the page, read live;
- the cart: its lines (the cards' − n + steppers) and boxes (the badge), read live;
- the language, the remembered pincode (the delivery check), the page's own arguments
  (path, query, fragment or full page), and whatever `KEY_PARTS` adds;
- the CSRF token, which differs per visitor: the page is rendered with a placeholder that
  is replaced by this visitor's token on the way out.

Version, stock and the cart come from ONE statement on an autocommit connection (no
BEGIN, no ROLLBACK), so a cached page costs one round trip. A miss renders as before
(the ORM, the templates) and stores the result. Pages with flash messages, other methods
and anything a visitor changes are never cached. Each process keeps at most MAX_ENTRIES
pages, all dropped when the version moves on.
"""
from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable

from flask import Response, g, request, session
from sqlalchemy import text

from .extensions import db

MAX_ENTRIES = 512
# Letters and digits only, so no escaping (HTML, JSON in an attribute) can change it.
CSRF_PLACEHOLDER = "csrf" + secrets.token_hex(20)
# Response headers a cached page keeps (the rest are set again by after_request hooks).
KEPT_HEADERS = ("Content-Type", "Vary", "HX-Trigger", "HX-Push-Url", "HX-Retarget",
                "HX-Reswap")
# Callables adding to the key what else changes a page (e.g. "open now"); each returns a
# hashable value computed without the database.
KEY_PARTS: list[Callable[[], object]] = []

_LIVE = text("""
    SELECT (SELECT version FROM catalogue_version WHERE id = 1) AS version,
           (SELECT coalesce(string_agg(l.variant_id || ':' || l.quantity, ','
                                       ORDER BY l.variant_id), '')
              FROM cart_line l JOIN cart c ON c.id = l.cart_id WHERE c.token = :cart) AS lines,
           (SELECT coalesce(sum(b.quantity), 0) FROM cart_box b
              JOIN cart c ON c.id = b.cart_id WHERE c.token = :cart) AS boxes,
           (SELECT coalesce(string_agg(p.id || ':' || p.stock, ',' ORDER BY p.id), '')
              FROM product p
             WHERE p.active AND (CAST(:slug AS text) IS NULL OR p.slug = :slug)) AS stock
""")


class _Pages:
    """An LRU of rendered pages for one catalogue version (thread-safe: gthread workers)."""

    def __init__(self) -> None:
        self.version: int | None = None
        self.entries: OrderedDict[tuple, tuple[bytes, int, list]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, version: int, key: tuple):
        with self.lock:
            if version != self.version:
                return None
            entry = self.entries.get(key)
            if entry is not None:
                self.entries.move_to_end(key)
            return entry

    def put(self, version: int, key: tuple, entry) -> None:
        with self.lock:
            if version != self.version:
                self.version = version
                self.entries.clear()
            self.entries[key] = entry
            while len(self.entries) > MAX_ENTRIES:
                self.entries.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.version = None
            self.entries.clear()


pages = _Pages()


class Live(tuple):
    """What read_live() returns: (version, cart lines "variant:packs,...", boxes, stock)."""

    @property
    def quantities(self) -> dict[int, int]:
        """{variant id: packs} in the cart, as services.cart.quantities_in_cart."""
        return {int(v): int(q) for v, q in (p.split(":") for p in self[1].split(",") if p)}

    @property
    def cart_count(self) -> int:
        """The badge: packs plus boxes, as services.cart.cart_count."""
        return sum(self.quantities.values()) + self[2]


def read_live(cart_token: str | None, product_slug: str | None) -> Live:
    """(catalogue version, the cart's lines, its boxes, "id:stock,..." of the active sweets,
    or of one) in one statement on an autocommit connection: no transaction to begin or
    roll back."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        row = connection.execute(_LIVE, {"cart": cart_token, "slug": product_slug}).one()
    return Live((int(row.version or 0), row.lines, int(row.boxes), row.stock))


def cached_page(render: Callable[[], Response], *, product_slug: str | None = None) -> Response:
    """The storefront GET that `render()` answers, from the cache when nothing it shows has
    changed. `product_slug` narrows the live stock read to one sweet (a product page)."""
    from .services.cart import is_usable_token
    from .web import CART_COOKIE

    if request.method != "GET" or session.get("_flashes") or g.get("database_down"):
        return render()
    cart_token = request.cookies.get(CART_COOKIE)
    if not is_usable_token(cart_token):
        cart_token = None
    live = read_live(cart_token, product_slug)
    version, lines, boxes, stock = live
    g.cart_count = live.cart_count  # the header's badge, without a query of its own
    g.cart_quantities = live.quantities  # the cards' steppers (storefront/views.py)
    key = (request.path, request.query_string, request.headers.get("HX-Request"),
           request.headers.get("HX-Boosted"), request.headers.get("HX-History-Restore-Request"),
           _language(), request.cookies.get("pincode", "")[:6], lines, boxes, stock,
           *(part() for part in KEY_PARTS))
    entry = pages.get(version, key)
    if entry is None:
        g.csrf_token = CSRF_PLACEHOLDER  # Flask-WTF's per-request slot: the page gets a mark
        try:
            response = render()
        finally:
            g.pop("csrf_token", None)
        if response.status_code != 200 or response.direct_passthrough:
            return _with_real_token(response)
        entry = (response.get_data(), response.status_code,
                 [(h, response.headers[h]) for h in KEPT_HEADERS if h in response.headers])
        pages.put(version, key, entry)
    body, status, headers = entry
    return _with_real_token(Response(body, status, headers))


def _with_real_token(response: Response) -> Response:
    """Replace the placeholder by this visitor's CSRF token (made only when the page has a
    form, so a page without one sets no session cookie, as before)."""
    if response.direct_passthrough:
        return response
    body = response.get_data()
    mark = CSRF_PLACEHOLDER.encode()
    if mark in body:
        from flask_wtf.csrf import generate_csrf

        response.set_data(body.replace(mark, generate_csrf().encode()))
    return response


def _language() -> str:
    from . import i18n

    current = getattr(i18n, "current_language", None)
    return current() if current else "en"
