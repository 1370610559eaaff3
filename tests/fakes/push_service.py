"""A local stand-in for a Web Push service (what FCM or Mozilla's autopush do for a
browser), for tests: it records each push, checks it as a push service would and
decrypts it as the browser would.

- The VAPID header (RFC 8292, `Authorization: vapid t=<JWT>, k=<public key>`): the JWT's
  ES256 signature is checked with the key in `k` (which must be the shop's public key),
  `aud` must be this service's origin, `exp` in the future and at most 24 hours ahead.
- The body must be `Content-Encoding: aes128gcm` (RFC 8188/8291): it is decrypted with the
  subscription's private key and auth secret, made by `new_subscription()` as a browser
  makes them.
- `answers` is a list of statuses to give in turn (e.g. [429, 201]); then 201 for ever.
  404/410 are what a push service says for a subscription the browser dropped.
"""
from __future__ import annotations

import base64
import itertools
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class FakePushService:
    def __init__(self, vapid_public_key: str):
        self.vapid_public_key = vapid_public_key
        self.pushes: list[dict] = []        # accepted and checked: headers, claims, payload
        self.refused: list[dict] = []       # answered with an error status
        self.answers: list[int] = []
        self.devices: dict[str, tuple] = {}  # path -> (private key, auth secret)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                record = {"path": self.path, "at": time.time(),
                          "headers": {k.lower(): v for k, v in self.headers.items()}}
                with fake._lock:
                    status = fake.answers.pop(0) if fake.answers else 201
                if status >= 300:
                    fake.refused.append({**record, "status": status})
                    self._answer(status)
                    return
                try:
                    record["claims"] = fake.check_vapid(self.headers.get("Authorization", ""))
                    record["payload"] = fake.decrypt(self.path, body,
                                                     self.headers.get("Content-Encoding", ""))
                except AssertionError as exc:
                    fake.refused.append({**record, "status": 400, "why": str(exc)})
                    self._answer(400)
                    return
                record["message_id"] = f"m{next(fake._ids)}"
                fake.pushes.append(record)
                self._answer(201, location=f"{fake.url}/messages/{record['message_id']}")

            def _answer(self, status, location=None):
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def new_subscription(self) -> dict:
        """A browser's side of a subscription: its endpoint here and its keys (the private
        half kept here to decrypt, as the browser would)."""
        private = ec.generate_private_key(ec.SECP256R1())
        public = private.public_key().public_bytes(serialization.Encoding.X962,
                                                   serialization.PublicFormat.UncompressedPoint)
        auth = os.urandom(16)
        path = f"/push/{b64url(os.urandom(12))}"
        self.devices[path] = (private, auth)
        return {"endpoint": self.url + path,
                "keys": {"p256dh": b64url(public), "auth": b64url(auth)}}

    def check_vapid(self, header: str) -> dict:
        assert header.startswith("vapid "), f"not a VAPID header: {header[:20]!r}"
        parts = dict(p.strip().split("=", 1) for p in header[6:].split(","))
        assert parts.get("k") == self.vapid_public_key, "signed with another key"
        token = parts["t"]
        head, claims, signature = token.split(".")
        assert json.loads(unb64url(head)) == {"typ": "JWT", "alg": "ES256"}
        raw = unb64url(signature)
        assert len(raw) == 64, "an ES256 signature is r || s, 64 bytes"
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(),
                                                              unb64url(parts["k"]))
        try:
            public.verify(encode_dss_signature(int.from_bytes(raw[:32], "big"),
                                               int.from_bytes(raw[32:], "big")),
                          f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            raise AssertionError("the VAPID signature does not verify") from None
        data = json.loads(unb64url(claims))
        assert data.get("aud") == self.url, f"aud {data.get('aud')!r} is not {self.url!r}"
        assert time.time() < data["exp"] <= time.time() + 24 * 3600, "exp out of range"
        assert str(data.get("sub", "")).startswith(("mailto:", "https:")), "no sub"
        return data

    def decrypt(self, path: str, body: bytes, encoding: str) -> dict:
        assert encoding == "aes128gcm", f"content encoding {encoding!r}"
        assert path in self.devices, "no such subscription"
        private, auth = self.devices[path]
        return json.loads(http_ece.decrypt(body, private_key=private, auth_secret=auth,
                                           version="aes128gcm"))

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
