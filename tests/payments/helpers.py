"""Payment test helpers: made-up Razorpay secrets, signatures computed with the real HMAC,
and a fake of Razorpay's HTTP API (the `responses` library under the real SDK)."""
from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
import time
from pathlib import Path

import responses

KEY_ID = "rzp_test_MadeUpKey01"
KEY_SECRET = "made-up-key-secret-for-tests"
WEBHOOK_SECRET = "made-up-webhook-secret"
API = "https://razorpay.fake.test"
RAZORPAY_CONFIG = {
    "RAZORPAY_KEY_ID": KEY_ID,
    "RAZORPAY_KEY_SECRET": KEY_SECRET,
    "RAZORPAY_WEBHOOK_SECRET": WEBHOOK_SECRET,
    "RAZORPAY_API_BASE": API,
    "RAZORPAY_TIMEOUT": 5,
}
# CI checks out ../shared beside the repository.
# Razorpay's sample payloads live in shared/reference beside the repository (found from a
# git worktree one level deeper too).
SAMPLES = next((d / "shared/reference/razorpay-webhooks" for d in Path(__file__).resolve().parents
                if (d / "shared/reference/razorpay-webhooks").is_dir()),
               Path(__file__).resolve().parents[2].parent / "shared/reference/razorpay-webhooks")

_ids = itertools.count(1)


def rzp_id(prefix: str) -> str:
    return f"{prefix}_Test{next(_ids):010d}"


def payment_signature(order_id: str, payment_id: str, secret: str = KEY_SECRET) -> str:
    return hmac.new(secret.encode(), f"{order_id}|{payment_id}".encode(),
                    hashlib.sha256).hexdigest()


def webhook_signature(body: bytes, secret: str = WEBHOOK_SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def sample(name: str, *, order_id: str, payment_id: str, amount: int) -> bytes:
    """A verbatim Razorpay sample with its ids and amount replaced by our order's, as bytes
    (the text edits keep Razorpay's own formatting, so the body is not re-serialised)."""
    text = (SAMPLES / name).read_text()
    text = re.sub(r'(?<=: )"order_[A-Za-z0-9]+"', f'"{order_id}"', text)  # values, not keys
    text = re.sub(r'(?<=: )"pay_[A-Za-z0-9]+"', f'"{payment_id}"', text)
    text = re.sub(r'"(amount|base_amount|amount_paid)": \d+', lambda m: f'"{m.group(1)}": {amount}',
                  text)
    return text.encode()


def payment_entity(payment_id: str, order_id: str, amount: int, status: str = "captured",
                   currency: str = "INR", **extra) -> dict:
    return {"id": payment_id, "entity": "payment", "amount": amount, "currency": currency,
            "status": status, "order_id": order_id, "method": "upi", "captured":
            status == "captured", "notes": [], "error_code": None, "error_description": None,
            "created_at": 1567675356, **extra}


class FakeRazorpay:
    """Razorpay's API as far as we use it, answering through `responses`."""

    def __init__(self, rsps: responses.RequestsMock):
        self.rsps = rsps
        self.orders: dict[str, dict] = {}
        self.payments: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}      # idempotency key -> refund
        self.refund_calls: list[dict] = []     # refunds Razorpay accepted
        self.refund_attempts: list[str] = []   # idempotency keys of every request, 504s too
        self.refund_timeouts = 0               # answer this many refund requests with a 504
        self.refund_answers_lost = 0           # make this many refunds, then answer a 504
        self.refund_delay = 0.0                # seconds each refund request takes
        self.refund_lookups: list[str] = []    # GET /v1/payments/<id>/refunds, by payment
        self.refund_status = "processed"
        self.fail_orders = False
        rsps.add_callback(responses.POST, f"{API}/v1/orders", callback=self._create_order)
        rsps.add_callback(responses.GET, re.compile(rf"{re.escape(API)}/v1/orders/[^/]+/payments"),
                          callback=self._order_payments)
        rsps.add_callback(responses.GET, re.compile(rf"{re.escape(API)}/v1/payments/[^/]+$"),
                          callback=self._fetch_payment)
        rsps.add_callback(responses.POST, re.compile(rf"{re.escape(API)}/v1/payments/[^/]+/refund$"),
                          callback=self._refund)
        rsps.add_callback(responses.GET,
                          re.compile(rf"{re.escape(API)}/v1/payments/[^/]+/refunds(\?.*)?$"),
                          callback=self._payment_refunds)

    @staticmethod
    def _json(status, body):
        return status, {"Content-Type": "application/json"}, json.dumps(body)

    def _create_order(self, request):
        if self.fail_orders:
            return 502, {"Content-Type": "text/html"}, "<html>Bad gateway</html>"
        data = json.loads(request.body)
        order = {"id": rzp_id("order"), "entity": "order", "amount": data["amount"],
                 "amount_paid": 0, "amount_due": data["amount"], "currency": data["currency"],
                 "receipt": data.get("receipt"), "status": "created", "attempts": 0,
                 "notes": data.get("notes") or [], "created_at": 1567675283}
        self.orders[order["id"]] = order
        return self._json(200, order)

    def _order_payments(self, request):
        order_id = request.path_url.split("/")[3]
        items = [p for p in self.payments.values() if p["order_id"] == order_id]
        return self._json(200, {"entity": "collection", "count": len(items), "items": items})

    def _fetch_payment(self, request):
        payment_id = request.path_url.split("/")[3].split("?")[0]
        if payment_id not in self.payments:
            return self._json(400, {"error": {"code": "BAD_REQUEST_ERROR",
                                              "description": "The id provided does not exist"}})
        return self._json(200, self.payments[payment_id])

    def _refund(self, request):
        payment_id = request.path_url.split("/")[3]
        key = request.headers.get("X-Refund-Idempotency")
        data = json.loads(request.body)
        self.refund_attempts.append(key)
        if self.refund_delay:
            time.sleep(self.refund_delay)
        if self.refund_timeouts:
            self.refund_timeouts -= 1
            return self._json(504, {"error": {"code": "GATEWAY_ERROR",
                                              "description": "Gateway timed out"}})
        self.refund_calls.append({"payment_id": payment_id, "key": key, "data": data})
        if key in self.refunds:
            return self._json(200, self.refunds[key])
        refund = {"id": rzp_id("rfnd"), "entity": "refund", "amount": data["amount"],
                  "currency": "INR", "payment_id": payment_id, "notes": data.get("notes", {}),
                  "status": self.refund_status, "speed_requested": "normal",
                  "created_at": 1567675400}
        self.refunds[key] = refund
        if self.refund_answers_lost:
            self.refund_answers_lost -= 1
            return self._json(504, {"error": {"code": "GATEWAY_ERROR",
                                              "description": "Gateway timed out"}})
        return self._json(200, refund)

    def _payment_refunds(self, request):
        payment_id = request.path_url.split("/")[3]
        self.refund_lookups.append(payment_id)
        items = [r for r in self.refunds.values() if r["payment_id"] == payment_id]
        return self._json(200, {"entity": "collection", "count": len(items), "items": items})

    def add_payment(self, order_id: str, amount: int, status: str = "captured", **extra) -> dict:
        entity = payment_entity(rzp_id("pay"), order_id, amount, status, **extra)
        self.payments[entity["id"]] = entity
        return entity


def place_online_order(*, stock: int = 5000, pack: str = "500 g", quantity: int = 1,
                       owner_phones: str = "+919812345678", phone: str = "+919876543210",
                       pay_page_opened: bool = True):
    """An online order (awaiting payment) through the real services, with its Razorpay
    order created against the fake, and (as a customer does) its payment page opened.
    Returns (order, payment, product)."""
    from sweetshop.extensions import db
    from sweetshop.models import PaymentMethod
    from sweetshop.services import cart as cart_service
    from sweetshop.services import checkout, payments
    from sweetshop.services.shop import get_settings
    from tests.factories import make_product, variant_named

    product = make_product("Kaju Katli", stock=stock)
    settings = get_settings()
    settings.owner_phones = owner_phones
    db.session.commit()
    token, _ = cart_service.add_to_cart(None, variant_named(product, pack).id, quantity)
    details = checkout.CustomerDetails(name="Asha Rao", phone=phone,
                                       address="12 MG Road, Bengaluru", pincode="560038",
                                       payment_method=PaymentMethod.ONLINE)
    order = checkout.place_order(token, details, checkout.new_idempotency_key())
    if pay_page_opened:
        payments.note_pay_page_opened(order.id)
    payment = payments.start_online_payment(order.id)
    return order, payment, product
