"""The payments part of the periodic sweeper: re-run intent whose job was lost."""
from datetime import datetime

from sqlalchemy import and_, or_, select

from ...extensions import db
from ...models import (
    Refund,
    WebhookEvent,
    utcnow,
)
from .common import MAX_EVENT_TRIES, MAX_REFUND_TRIES, SWEEP_GRACE, refund_claim_timeout
from .expiry import expire_unpaid_orders, reconcile_awaiting
from .refunds import send_refund
from .webhooks import process_webhook_event


def sweep(now: datetime | None = None) -> int:
    """Re-run intent whose job was lost: webhook events never processed, refunds never sent
    or whose send was cut off (claimed longer ago than REFUND_CLAIM_TIMEOUT). Returns how
    many it handed on. The jobs are idempotent and refunds claimed, so a duplicate is
    harmless."""
    now = now or utcnow()
    event_ids = db.session.scalars(
        select(WebhookEvent.id).where(WebhookEvent.processed_at.is_(None),
                                      WebhookEvent.received_at <= now - SWEEP_GRACE,
                                      WebhookEvent.tries < MAX_EVENT_TRIES)
        .order_by(WebhookEvent.id).limit(200)).all()
    refund_ids = db.session.scalars(
        select(Refund.id).where(
            or_(and_(Refund.status == "requested", Refund.updated_at <= now - SWEEP_GRACE),
                and_(Refund.status == "sending",
                     Refund.claimed_at <= now - refund_claim_timeout())),
            Refund.tries < MAX_REFUND_TRIES)
        .order_by(Refund.id).limit(50)).all()
    db.session.rollback()
    # Run here rather than enqueue: Redis may be the very thing that lost them.
    for event_id in event_ids:
        process_webhook_event(event_id)
    for refund_id in refund_ids:
        send_refund(refund_id, now=now)
    return len(event_ids) + len(refund_ids)


def payment_tasks():
    """The periodic sweeps for payments, in the order they should run."""
    return [("payment_events", sweep), ("payment_reconcile", reconcile_awaiting),
            ("payment_expiry", expire_unpaid_orders)]
