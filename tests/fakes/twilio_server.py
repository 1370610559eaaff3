"""A local stand-in for Twilio's Messages and Calls APIs, for tests where another process (a real RQ
worker) makes the calls, so in-process interception (responses) cannot see them.

It speaks just enough of the 2010-04-01 API for the official SDK: create a message (form
POST) and list messages (GET with To / DateSent>), newest first, in pages of PageSize
(default 50, as Twilio) with next_page_uri, and DateSent filtered by day as Twilio does.
A template message's body is its content variables, as Twilio renders them into the text.

`hold_seconds` makes it accept a message and then wait before answering: to kill a worker
in that gap, or (longer than the client's timeout) to answer after the client gave up.
`add_sent(...)` records a message as if an earlier process had sent it.

Calls: create (POST .../Calls.json: To, From, Url, StatusCallback), list (GET, To filter,
newest first, paged) and update (POST .../Calls/CA....json: Status=canceled|completed),
recorded in `calls`. `call_hold_seconds` does for a call what hold_seconds does for a message.
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
        self.calls: list[dict] = []
        self.hold_seconds = hold_seconds
        self.call_hold_seconds = 0.0
        self.call_requests: list[dict] = []
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
                if "/Calls" in self.path:
                    return self._post_call(form)
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

            def _post_call(self, form):
                path = urlparse(self.path).path
                if path.endswith("/Calls.json"):
                    call = fake.add_call(to=form.get("To"), sender=form.get("From"),
                                         url=form.get("Url"),
                                         status_callback=form.get("StatusCallback"))
                    if fake.call_hold_seconds:
                        threading.Event().wait(fake.call_hold_seconds)
                    try:
                        self._json(201, fake._call_resource(call))
                    except OSError:
                        pass
                    return
                sid = path.rsplit("/", 1)[-1].removesuffix(".json")
                call = next((c for c in fake.calls if c["sid"] == sid), None)
                if call is None:
                    return self._json(404, {"code": 20404, "message": "not found",
                                            "status": 404})
                call["status"] = form.get("Status", call["status"])
                fake.call_requests.append({"sid": sid, **form})
                self._json(200, fake._call_resource(call))

            def do_GET(self):
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path.endswith("/Calls.json"):
                    with fake._lock:
                        found = sorted((c for c in fake.calls
                                        if not query.get("To") or c["to"] == query["To"]),
                                       key=lambda c: c["date_created"], reverse=True)
                    size = int(query.get("PageSize", 50))
                    return self._json(200, {
                        "calls": [fake._call_resource(c) for c in found[:size]],
                        "next_page_uri": None, "page": 0, "page_size": size, "start": 0,
                        "end": min(size, len(found)), "uri": self.path,
                        "first_page_uri": self.path, "previous_page_uri": None})
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

    def add_call(self, *, to: str, sender: str | None = None, url: str | None = None,
                 status_callback: str | None = None, created: datetime | None = None) -> dict:
        with self._lock:
            call = {"sid": f"CA{next(self._ids):032d}", "to": to, "from": sender, "url": url,
                    "status_callback": status_callback, "status": "queued",
                    "date_created": created or datetime.now(UTC)}
            self.calls.append(call)
        return call

    @staticmethod
    def _call_resource(c):
        stamp = format_datetime(c["date_created"], usegmt=True)
        return {"sid": c["sid"], "to": c["to"], "from": c["from"], "status": c["status"],
                "account_sid": "AC" + "0" * 32, "date_created": stamp, "date_updated": stamp,
                "start_time": None, "direction": "outbound-api", "api_version": "2010-04-01"}

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
