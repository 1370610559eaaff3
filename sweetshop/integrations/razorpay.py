"""Razorpay adapter: the official SDK, with timeouts, our own exceptions, and nothing else.

Nothing else imports the razorpay SDK. Without RAZORPAY_KEY_ID and RAZORPAY_KEY_SECRET the
shop simply offers no online payment (`is_enabled()` is False); there is no fake backend.

SDK pitfalls handled here (see reference/integrations.md, section 1.3):
- the SDK sets no HTTP timeout: every call passes `timeout=`;
- `payment.refund(pid, data)` takes a dict (the older `(pid, amount)` form is shadowed);
- `verify_webhook_signature` wants `str`: we decode the raw bytes strictly as UTF-8 and
  refuse anything else, so the HMAC is over exactly the bytes Razorpay signed;
- errors carry no code attribute, and a non-JSON error page raises a JSON decode error.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import current_app

log = logging.getLogger(__name__)


class PaymentGatewayError(Exception):
    """Razorpay could not do what we asked."""

    temporary = False


class GatewayUnavailable(PaymentGatewayError):
    """Network trouble, a timeout, a 5xx or a 409 (same idempotency key in flight): retry."""

    temporary = True


class GatewayRefused(PaymentGatewayError):
    """Razorpay said no (BAD_REQUEST_ERROR): retrying the same request will not help."""


def is_enabled(app=None) -> bool:
    cfg = (app or current_app).config
    return bool(cfg.get("RAZORPAY_KEY_ID") and cfg.get("RAZORPAY_KEY_SECRET"))


@dataclass(frozen=True)
class RazorpayGateway:
    key_id: str
    key_secret: str
    api_base: str
    timeout: float

    @property
    def client(self):
        # One client (and its connection pool) per settings; built on first use.
        return _client(self.key_id, self.key_secret, self.api_base)

    # --- orders and payments -------------------------------------------------------------

    def create_order(self, *, amount_paise: int, receipt: str, notes: dict) -> dict:
        data = {"amount": amount_paise, "currency": "INR", "receipt": receipt[:40],
                "notes": {str(k): str(v)[:256] for k, v in notes.items()}}
        return self._call(lambda: self.client.order.create(data, timeout=self.timeout))

    def fetch_payment(self, payment_id: str) -> dict:
        return self._call(lambda: self.client.payment.fetch(payment_id, timeout=self.timeout))

    def order_payments(self, razorpay_order_id: str) -> list[dict]:
        answer = self._call(lambda: self.client.order.payments(razorpay_order_id,
                                                               timeout=self.timeout))
        return list(answer.get("items") or [])

    def capture(self, payment_id: str, amount_paise: int, currency: str = "INR") -> dict:
        # amount is the SDK's second positional argument (its docs show a dict: wrong).
        return self._call(lambda: self.client.payment.capture(
            payment_id, amount_paise, {"currency": currency}, timeout=self.timeout))

    def refund(self, payment_id: str, *, amount_paise: int, idempotency_key: str,
               notes: dict | None = None) -> dict:
        """POST /v1/payments/:id/refund with X-Refund-Idempotency: the same key twice gives
        the same refund, never a second one."""
        data = {"amount": amount_paise, "speed": "normal"}
        if notes:
            data["notes"] = {str(k): str(v)[:256] for k, v in notes.items()}
        return self._call(lambda: self.client.payment.refund(
            payment_id, data, headers={"X-Refund-Idempotency": idempotency_key},
            timeout=self.timeout))

    def payment_refunds(self, payment_id: str) -> list[dict]:
        """GET /v1/payments/:id/refunds: every refund of one payment (a payment has a few;
        100 is Razorpay's page size limit)."""
        answer = self._call(lambda: self.client.payment.fetch_multiple_refund(
            payment_id, {"count": 100}, timeout=self.timeout))
        return list(answer.get("items") or [])

    # --- signatures ----------------------------------------------------------------------

    def payment_signature_ok(self, razorpay_order_id: str, payment_id: str,
                             signature: str) -> bool:
        """HMAC-SHA256(key_secret, "<order id>|<payment id>"); the order id must be the one
        we stored, never the one the browser sent."""
        from razorpay.errors import SignatureVerificationError

        try:
            return bool(self.client.utility.verify_payment_signature({
                "razorpay_order_id": razorpay_order_id,
                "razorpay_payment_id": payment_id,
                "razorpay_signature": signature,
            }))
        except (SignatureVerificationError, TypeError, ValueError):
            return False

    def _call(self, fn):
        import requests
        from razorpay.errors import BadRequestError, GatewayError, ServerError

        try:
            return fn()
        except BadRequestError as exc:
            # A 409 (same idempotency key still in flight) also comes back as BAD_REQUEST
            # on some endpoints; the description says so. Anything else is a refusal.
            text = str(exc) or "Razorpay refused the request"
            if "in progress" in text.lower() or "try again" in text.lower():
                raise GatewayUnavailable(text) from exc
            raise GatewayRefused(text) from exc
        except (GatewayError, ServerError) as exc:
            raise GatewayUnavailable(str(exc) or "Razorpay had a problem") from exc
        except (requests.RequestException, ValueError, OSError) as exc:
            # Timeouts, connection errors, and non-JSON error pages (an HTML 502).
            raise GatewayUnavailable(f"Could not reach Razorpay ({exc.__class__.__name__})") \
                from exc


def _client(key_id: str, key_secret: str, api_base: str):
    cache = current_app.extensions.setdefault("razorpay_clients", {})
    key = (key_id, key_secret, api_base)
    if key not in cache:
        import razorpay

        client = razorpay.Client(auth=(key_id, key_secret), base_url=api_base)
        client.set_app_details({"title": "Sweetshop", "version": "1"})
        cache.clear()  # settings changed (tests): drop the old client
        cache[key] = client
    return cache[key]


def get_gateway(app=None) -> RazorpayGateway | None:
    """The gateway for the current settings, or None when online payment is not set up."""
    app = app or current_app
    if not is_enabled(app):
        return None
    cfg = app.config
    return RazorpayGateway(cfg["RAZORPAY_KEY_ID"], cfg["RAZORPAY_KEY_SECRET"],
                           cfg.get("RAZORPAY_API_BASE") or "https://api.razorpay.com",
                           float(cfg.get("RAZORPAY_TIMEOUT") or 10))


def webhook_signature_ok(raw_body: bytes, signature: str, secret: str | None) -> bool:
    """X-Razorpay-Signature = HMAC-SHA256(webhook secret, raw body), checked by the SDK over
    the exact bytes received (decoded strictly, so no byte is replaced or re-encoded)."""
    from razorpay import Utility
    from razorpay.errors import SignatureVerificationError

    if not secret or not signature or len(signature) > 128:
        return False
    try:
        body = raw_body.decode("utf-8")  # strict: invalid bytes are refused, not replaced
    except UnicodeDecodeError:
        return False
    try:
        return bool(Utility().verify_webhook_signature(body, signature, secret))
    except (SignatureVerificationError, TypeError, ValueError):
        return False
