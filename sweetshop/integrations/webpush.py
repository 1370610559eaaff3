"""Web Push adapter: pywebpush (VAPID, RFC 8291 aes128gcm encryption), or the log when no
VAPID keys are set. Nothing else imports pywebpush or py_vapid.

Errors come out as the outbox's own (integrations/twilio.py): a push service's 429 or 5xx
is temporary, 404/410 means the browser dropped the subscription (`Gone`), other 4xx are
permanent. A request that may have reached the push service without an answer is
OutcomeUnknown; a push cannot be looked up, but sending it again is harmless: it carries a
Topic, so the push service replaces a copy it has not delivered yet, and the service
worker shows it under the same tag, so a copy already shown is replaced, not doubled.
"""
from __future__ import annotations

import base64
import json
import logging
from dataclasses import dataclass

from flask import current_app

from .twilio import OutcomeUnknown, PermanentFailure, Sent, TemporaryFailure, _caused_by

log = logging.getLogger("sweetshop.push")

TTL = 30 * 60  # seconds a push service keeps an undelivered alert: later it is stale


class Gone(PermanentFailure):
    """404/410: the subscription no longer exists; forget the device."""


@dataclass
class Device:
    endpoint: str
    p256dh: str
    auth: str


def generate_vapid_keys() -> tuple[str, str]:
    """A new VAPID key pair: (public key, urlsafe base64 of the uncompressed point, for the
    browser's applicationServerKey; private key, urlsafe base64 of the raw 32 bytes)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    private = ec.generate_private_key(ec.SECP256R1())
    raw_private = private.private_numbers().private_value.to_bytes(32, "big")
    public = private.public_key().public_bytes(serialization.Encoding.X962,
                                               serialization.PublicFormat.UncompressedPoint)
    return _b64(public), _b64(raw_private)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class ConsolePusher:
    name = "console"

    def push(self, device: Device, payload: dict, *, topic: str, reference: str = "") -> Sent:
        log.info("[PUSH to %s…] %s", device.endpoint[:40], payload.get("title"))
        return Sent(sid=f"console-push-{reference}", status="sent")


class VapidPusher:
    name = "webpush"

    def __init__(self, private_key: str, subject: str, timeout: float):
        from py_vapid import Vapid

        self.vapid = Vapid.from_string(private_key=private_key)
        self.subject = subject
        self.timeout = timeout

    def push(self, device: Device, payload: dict, *, topic: str, reference: str = "") -> Sent:
        from pywebpush import WebPushException, webpush
        from requests.exceptions import ConnectionError as RequestsConnectionError
        from requests.exceptions import ConnectTimeout, RequestException

        info = {"endpoint": device.endpoint, "keys": {"p256dh": device.p256dh,
                                                      "auth": device.auth}}
        try:
            response = webpush(info, json.dumps(payload), vapid_private_key=self.vapid,
                               vapid_claims={"sub": self.subject}, ttl=TTL,
                               timeout=self.timeout,
                               headers={"Topic": topic[:32], "Urgency": "high"})
        except WebPushException as exc:
            status = exc.status_code
            if status in (404, 410):
                raise Gone(f"the push service no longer knows this device ({status})",
                           code=str(status)) from exc
            if status is None or status == 429 or status >= 500:
                raise TemporaryFailure(f"push service answered {status}",
                                       code=str(status or "network")) from exc
            raise PermanentFailure(f"push service refused the push ({status})",
                                   code=str(status)) from exc
        except (RequestException, OSError) as exc:
            from urllib3.exceptions import NewConnectionError

            never_connected = isinstance(exc, ConnectTimeout) or (
                isinstance(exc, RequestsConnectionError)
                and _caused_by(exc, (NewConnectionError, ConnectionRefusedError)))
            if never_connected:
                raise TemporaryFailure(str(exc)[:200], code="network") from exc
            raise OutcomeUnknown(str(exc)[:200], code="unknown") from exc  # it may have arrived
        except ValueError as exc:  # keys that are not keys: the subscription is broken
            raise Gone(f"the device's keys are not usable ({exc})", code="keys") from exc
        location = response.headers.get("Location") or ""
        return Sent(sid=f"push-{reference}-{location[-40:]}"[:64], status="sent")


def get_pusher(app=None):
    """The backend for this app: Web Push when VAPID keys are set, else the log."""
    app = app or current_app
    cached = app.extensions.get("pusher")
    if cached is not None:
        return cached
    cfg = app.config
    if cfg.get("VAPID_PRIVATE_KEY") and cfg.get("VAPID_PUBLIC_KEY"):
        pusher = VapidPusher(cfg["VAPID_PRIVATE_KEY"], cfg["VAPID_SUBJECT"],
                             cfg.get("PUSH_TIMEOUT", 10))
    else:
        pusher = ConsolePusher()
    app.extensions["pusher"] = pusher
    return pusher
