"""A local stand-in for Sentry's ingestion endpoint: the real sentry-sdk posts envelopes to
it (DSN `http://key@127.0.0.1:<port>/1`), and the test reads the events it received.

It speaks just enough: POST /api/<project>/envelope/, body compressed as the SDK chooses
(br or gzip), answered 200. Port 0: the system picks a free port.
"""
from __future__ import annotations

import gzip
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import brotli


def parse_envelope(data: bytes) -> list[tuple[dict, bytes]]:
    """[(item header, payload)] of a Sentry envelope (header line, then items)."""
    lines = data.split(b"\n")
    items, i = [], 1  # lines[0] is the envelope's header
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        header = json.loads(lines[i])
        i += 1
        length = header.get("length")
        if length is None:
            payload = lines[i]
            i += 1
        else:
            rest = b"\n".join(lines[i:])
            payload = rest[:length]
            lines = lines[:i] + rest[length:].split(b"\n")
            i += 1
        items.append((header, payload))
    return items


class FakeSentry:
    def __init__(self):
        self.envelopes: list[list[tuple[dict, bytes]]] = []
        self.raw_bodies: list[bytes] = []
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                encoding = (self.headers.get("Content-Encoding") or "").lower()
                if encoding == "br":
                    body = brotli.decompress(body)
                elif encoding == "gzip":
                    body = gzip.decompress(body)
                with fake._lock:
                    fake.raw_bodies.append(body)
                    fake.envelopes.append(parse_envelope(body))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.dsn = f"http://publickey@127.0.0.1:{self.port}/1"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def events(self) -> list[dict]:
        with self._lock:
            return [json.loads(payload) for envelope in self.envelopes
                    for header, payload in envelope if header.get("type") == "event"]

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
