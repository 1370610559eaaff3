"""A local stand-in for Twilio's Messages API, for tests where another process (a real RQ
worker) makes the calls, so in-process interception (responses) cannot see them.

It speaks just enough of the 2010-04-01 API for the official SDK: create a message (form
POST) and list messages (GET with To / DateSent>). `hold_seconds` makes it accept a
message and then wait before answering, to kill a worker in that gap.
"""
from __future__ import annotations

import itertools
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


class FakeTwilio:
    def __init__(self, hold_seconds: float = 0.0):
        self.messages: list[dict] = []
        self.hold_seconds = hold_seconds
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                with fake._lock:
                    message = {"sid": f"SM{next(fake._ids):032d}", "to": form.get("To"),
                               "from": form.get("From"), "body": form.get("Body", ""),
                               "content_sid": form.get("ContentSid"), "status": "queued",
                               "status_callback": form.get("StatusCallback")}
                    fake.messages.append(message)
                if fake.hold_seconds:
                    threading.Event().wait(fake.hold_seconds)
                self._json(201, fake._resource(message))

            def do_GET(self):
                query = {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}
                to = query.get("To")
                with fake._lock:
                    found = [fake._resource(m) for m in fake.messages if m["to"] == to]
                self._json(200, {"messages": found, "next_page_uri": None, "page": 0,
                                 "page_size": 50, "start": 0, "end": len(found),
                                 "uri": self.path, "first_page_uri": self.path,
                                 "previous_page_uri": None})

            def _json(self, status, payload):
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @staticmethod
    def _resource(m):
        return {"sid": m["sid"], "to": m["to"], "from": m["from"], "body": m["body"],
                "status": m["status"], "account_sid": "AC" + "0" * 32,
                "date_created": "Sun, 22 Nov 2026 10:00:00 +0000", "num_segments": "1",
                "direction": "outbound-api", "api_version": "2010-04-01"}

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
