"""POST /webhooks/razorpay: verify, store, acknowledge; an RQ job does the rest.

Razorpay wants a 2xx within 5 seconds and delivers at least once, in no particular order.
So the view only reads the body within its cap and checks the signature over those raw
bytes, refuses a signed body that cannot be stored (webhook_bodies), stores the event keyed by
x-razorpay-event-id (a repeat is acknowledged and ignored) and answers 200; the job
(services.payments.process_webhook_event) applies it. If Redis is down the event is
still stored and acknowledged, and the periodic sweeper processes it.
"""
from __future__ import annotations

import logging
import re

from flask import abort, current_app, request

from .. import webhook_bodies
from ..integrations import razorpay as razorpay_adapter
from ..queueing import enqueue
from ..services import payments
from .views import bp

log = logging.getLogger(__name__)

MAX_BODY = 256 * 1024  # Razorpay's events are a few KB
EVENT_ID = re.compile(r"[\x21-\x7e]{1,64}")  # printable ASCII, as Razorpay's evt ids are


@bp.post("/razorpay")
def razorpay_webhook():
    raw = webhook_bodies.read_body(MAX_BODY)  # the exact bytes Razorpay signed
    signature = request.headers.get("X-Razorpay-Signature", "")
    if not razorpay_adapter.webhook_signature_ok(
            raw, signature, current_app.config.get("RAZORPAY_WEBHOOK_SECRET")):
        abort(400, description="Bad signature.")
    event_id = request.headers.get("X-Razorpay-Event-Id", "").strip()
    if not EVENT_ID.fullmatch(event_id):
        abort(400, description="Missing event id.")
    try:
        _, body = webhook_bodies.parse_json_event(raw)
    except webhook_bodies.UnusableBody as error:
        log.error("Refused signed Razorpay webhook %s: %s", event_id, error)
        abort(400, description="Unusable body.")
    row_id = payments.store_webhook_event(event_id, body, signature[:128])
    if row_id is not None:
        enqueue(payments.EVENT_JOB, row_id, queue="default")
    return "", 200
