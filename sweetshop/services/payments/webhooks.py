"""Razorpay webhooks: stored by event id in the request, applied by an RQ job."""
import json

from sqlalchemy.dialects.postgresql import insert

from ...extensions import db
from ...models import (
    WebhookEvent,
    utcnow,
)
from .capture import (
    _record_attempt_only,
    mark_paid,
    record_failed_attempt,
)
from .common import (
    log,
)
from .refunds import (
    apply_refund_update,
)


def store_webhook_event(event_id: str, body: str, signature: str) -> int | None:
    """Keep a verified webhook, keyed by Razorpay's event id. Returns the new row's id, or
    None for a repeat delivery (already stored). Commits. The caller enqueues the job."""
    try:
        event_type = str(json.loads(body).get("event") or "")[:60]
    except (ValueError, AttributeError):
        event_type = ""
    row_id = db.session.execute(
        insert(WebhookEvent).values(event_id=event_id, event_type=event_type or "unreadable",
                                    body=body, signature=signature, provider="razorpay",
                                    received_at=utcnow(), outcome="", tries=0, error="")
        .on_conflict_do_nothing(index_elements=["event_id"]).returning(WebhookEvent.id)
    ).scalar()
    db.session.commit()
    return row_id


def process_webhook_event(event_row_id: int) -> str:
    """The RQ job's body: apply one stored webhook. Idempotent: a processed event is skipped,
    and every handler is itself idempotent, so a repeat (sweeper, two workers) is harmless.
    A temporary failure leaves it unprocessed for the sweeper; an unreadable one is closed
    with the error recorded."""
    event = db.session.get(WebhookEvent, event_row_id)
    if event is None or event.processed_at is not None:
        db.session.rollback()
        return "done"
    body = event.body
    db.session.rollback()
    try:
        outcome = _dispatch(json.loads(body))
        error = ""
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        db.session.rollback()
        outcome, error = "unreadable", f"{exc.__class__.__name__}: {exc}"[:500]
    except Exception as exc:
        db.session.rollback()
        event = db.session.get(WebhookEvent, event_row_id, with_for_update=True)
        event.tries += 1
        event.error = f"{exc.__class__.__name__}: {exc}"[:500]
        db.session.commit()
        log.exception("Webhook event %s failed; the sweeper retries it", event_row_id)
        return "retry"
    event = db.session.get(WebhookEvent, event_row_id, with_for_update=True)
    if event.processed_at is None:
        event.processed_at = utcnow()
        event.outcome = outcome[:60]
        event.tries += 1
        event.error = error
    db.session.commit()
    return outcome


def _dispatch(data: dict) -> str:
    kind = data.get("event")
    payload = data.get("payload") or {}
    payment_entity = ((payload.get("payment") or {}).get("entity")) or {}
    if kind in ("payment.captured", "order.paid"):
        return mark_paid(str(payment_entity["order_id"]), payment_entity, source="webhook")
    if kind == "payment.failed":
        return record_failed_attempt(str(payment_entity["order_id"]), payment_entity,
                                     source="webhook")
    if kind == "payment.authorized":
        return _record_attempt_only(str(payment_entity["order_id"]), payment_entity, "webhook")
    if kind in ("refund.created", "refund.processed", "refund.failed"):
        return apply_refund_update((payload.get("refund") or {})["entity"], source="webhook")
    return "ignored"
