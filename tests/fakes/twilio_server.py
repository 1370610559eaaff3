"""A local stand-in for Twilio's Messages API, for tests where another process (a real RQ
worker) makes the calls, so in-process interception (responses) cannot see them.

It speaks just enough of the 2010-04-01 API for the official SDK: create a message (form
POST) and list messages (GET with To / DateSent>), newest first, in pages of PageSize
(default 50, as Twilio) with next_page_uri, and DateSent filtered by day as Twilio does.
A template message's body is its content variables, as Twilio renders them into the text.

`hold_seconds` makes it accept a message and then wait before answering: to kill a worker
in that gap, or (longer than the client's timeout) to answer after the client gave up.
`add_sent(...)` records a message as if an earlier process had sent it.
"""
from __future__ import annotations

import itertools
import json
import threading
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse


class FakeTwilio:
    def __init__(self, hold_seconds: float = 0.0):
        self.messages: list[dict] = []
        self.hold_seconds = hold_seconds
        self.list_requests: list[dict] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                body = form.get("Body", "")
                if form.get("ContentVariables"):
                    body = " ".join(json.loads(form["ContentVariables"]).values())
                message = fake.add_sent(to=form.get("To"), body=body,
                                        sender=form.get("From"),
                                        content_sid=form.get("ContentSid"),
                                        status_callback=form.get("StatusCallback"))
                if fake.hold_seconds:
                    threading.Event().wait(fake.hold_seconds)
                try:
                    self._json(201, fake._resource(message))
                except OSError:  # the client gave up waiting: Twilio has it all the same
                    pass

            def do_GET(self):
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                with fake._lock:
                    fake.list_requests.append(query)
                    found = [m for m in reversed(fake.messages) if fake._listed(m, query)]
                size = int(query.get("PageSize", 50))
                page = int(query.get("Page", 0))
                chunk = found[page * size:(page + 1) * size]
                next_uri = None
                if (page + 1) * size < len(found):
                    next_query = dict(query, Page=page + 1, PageToken=f"PA{page + 1}")
                    next_uri = f"{url.path}?{urlencode(next_query)}"
                self._json(200, {"messages": [fake._resource(m) for m in chunk],
                                 "next_page_uri": next_uri, "page": page, "page_size": size,
                                 "start": page * size, "end": page * size + len(chunk),
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

    def add_sent(self, *, to: str, body: str, sender: str | None = None,
                 content_sid: str | None = None, status_callback: str | None = None,
                 created: datetime | None = None) -> dict:
        """Record a message as Twilio would on accepting it; returns it."""
        with self._lock:
            message = {"sid": f"SM{next(self._ids):032d}", "to": to, "from": sender,
                       "body": body, "content_sid": content_sid, "status": "queued",
                       "status_callback": status_callback,
                       "date_created": created or datetime.now(UTC)}
            self.messages.append(message)
        return message

    @staticmethod
    def _listed(m, query) -> bool:
        if query.get("To") and m["to"] != query["To"]:
            return False
        after = query.get("DateSent>")
        # Twilio compares DateSent by day (YYYY-MM-DD), whatever time the filter carries.
        return not after or m["date_created"].date().isoformat() >= after[:10]

    @staticmethod
    def _resource(m):
        stamp = format_datetime(m["date_created"], usegmt=True)
        return {"sid": m["sid"], "to": m["to"], "from": m["from"], "body": m["body"],
                "status": m["status"], "account_sid": "AC" + "0" * 32,
                "date_created": stamp, "date_sent": stamp, "date_updated": stamp,
                "num_segments": "1", "direction": "outbound-api", "api_version": "2010-04-01"}

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
