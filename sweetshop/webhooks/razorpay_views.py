"""POST /webhooks/razorpay: verify, store, acknowledge; an RQ job does the rest.

Razorpay wants a 2xx within 5 seconds and delivers at least once, in no particular order.
So the view only checks the signature over the raw bytes, stores the event keyed by
x-razorpay-event-id (a repeat is acknowledged and ignored) and answers 200; the job
(services.payments.process_webhook_event) applies it. If Redis is down the event is
still stored and acknowledged, and the periodic sweeper processes it.
"""
from __future__ import annotations

from flask import abort, current_app, request

from ..integrations import razorpay as razorpay_adapter
from ..queueing import enqueue
from ..services import payments
from .views import bp

MAX_BODY = 256 * 1024  # Razorpay's events are a few KB


@bp.post("/razorpay")
def razorpay_webhook():
    if (request.content_length or 0) > MAX_BODY:
        abort(413)
    raw = request.get_data(cache=True)  # the exact bytes Razorpay signed
    signature = request.headers.get("X-Razorpay-Signature", "")
    if not razorpay_adapter.webhook_signature_ok(
            raw, signature, current_app.config.get("RAZORPAY_WEBHOOK_SECRET")):
        abort(400, description="Bad signature.")
    event_id = request.headers.get("X-Razorpay-Event-Id", "").strip()
    if not event_id or len(event_id) > 64:
        abort(400, description="Missing event id.")
    row_id = payments.store_webhook_event(event_id, raw.decode("utf-8"), signature)
    if row_id is not None:
        enqueue(payments.EVENT_JOB, row_id, queue="default")
    return "", 200
