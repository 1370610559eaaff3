"""A small HTTP client that behaves like one phone browser: keeps its cookies, asks for
compressed responses and sees the bytes exactly as they came over the wire.

Cookies are kept whatever their Secure flag: production sets Secure, and the bench talks
plain HTTP on loopback (as a browser does for localhost, which it treats as secure).
"""
from __future__ import annotations

import gzip
import http.client
import re
import time
import zlib
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlencode, urlsplit

import brotli

ACCEPT_ENCODING = "br, gzip"
USER_AGENT = "sweetshop-bench/1 (like a phone browser)"


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    raw: bytes            # the body as sent (compressed if Content-Encoding says so)
    header_bytes: int     # status line + headers, as sent
    seconds: float

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), None)

    @property
    def body(self) -> bytes:
        encoding = (self.header("Content-Encoding") or "").lower()
        if encoding == "br":
            return brotli.decompress(self.raw)
        if encoding == "gzip":
            return gzip.decompress(self.raw)
        if encoding == "deflate":
            try:
                return zlib.decompress(self.raw)
            except zlib.error:
                return zlib.decompress(self.raw, -zlib.MAX_WBITS)
        return self.raw

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    @property
    def wire_bytes(self) -> int:
        return self.header_bytes + len(self.raw)


@dataclass
class Shopper:
    base_url: str
    cookies: dict[str, str] = field(default_factory=dict)
    timeout: float = 30

    def __post_init__(self):
        parts = urlsplit(self.base_url)
        self.host, self.port = parts.hostname, parts.port or 80
        self._conn: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def request(self, method: str, path: str, *, form=None, headers: dict | None = None,
                send_cookies: bool = True) -> Response:
        all_headers = {"Host": f"{self.host}:{self.port}", "User-Agent": USER_AGENT,
                       "Accept-Encoding": ACCEPT_ENCODING, "Accept": "text/html,*/*"}
        if send_cookies and self.cookies:
            all_headers["Cookie"] = self.cookie_header
        body = None
        if form is not None:
            body = urlencode(form).encode()
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        all_headers.update(headers or {})
        for attempt in (1, 2):  # a kept-alive connection the server closed: reconnect once
            if self._conn is None:
                self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            started = time.perf_counter()
            try:
                self._conn.request(method, path, body=body, headers=all_headers)
                resp = self._conn.getresponse()
                raw = resp.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if attempt == 2:
                    raise
                continue
            seconds = time.perf_counter() - started
            break
        headers_list = resp.getheaders()
        header_bytes = len(f"HTTP/1.1 {resp.status} {resp.reason}\r\n") + sum(
            len(k) + len(v) + 4 for k, v in headers_list) + 2
        for name, value in headers_list:
            if name.lower() == "set-cookie":
                cookie_name, _, rest = value.partition("=")
                cookie_value = rest.split(";", 1)[0]
                if re.search(r"(?i)(max-age=0\b|expires=thu, 01 jan 1970)", value):
                    self.cookies.pop(cookie_name.strip(), None)
                else:
                    self.cookies[cookie_name.strip()] = cookie_value
        if resp.will_close:
            self.close()
        return Response(resp.status, headers_list, raw, header_bytes, seconds)

    def get(self, path: str, **kwargs) -> Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, form, **kwargs) -> Response:
        return self.request("POST", path, form=form, **kwargs)


# --- forms -------------------------------------------------------------------------------


class _InputParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.inputs: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        if tag == "input":
            a = dict(attrs)
            if a.get("name") and a.get("type") in ("hidden", None):
                self.inputs.setdefault(a["name"], a.get("value") or "")


def hidden_inputs(html: str) -> dict[str, str]:
    """name -> value of the page's hidden inputs (the first of each name)."""
    parser = _InputParser()
    parser.feed(html)
    return parser.inputs


def add_to_cart(shopper: Shopper, product_path: str, variant_id: int, quantity: int = 1) -> None:
    """As a person without JavaScript does: open the product page, press Add to cart."""
    page = shopper.get(product_path)
    token = hidden_inputs(page.text).get("csrf_token")
    if page.status != 200 or not token:
        raise RuntimeError(f"GET {product_path}: {page.status}, no CSRF token")
    resp = shopper.post("/cart/add", {"csrf_token": token, "variant_id": variant_id,
                                      "quantity": quantity})
    if resp.status != 303 or "cart" not in shopper.cookies:
        raise RuntimeError(f"POST /cart/add: {resp.status} {resp.text[:300]}")
