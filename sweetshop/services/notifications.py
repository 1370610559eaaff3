"""The notification outbox: nothing lost, nothing sent twice.

- `queue_*` functions add Notification rows to the caller's transaction (no commit). When
  that transaction commits, the new rows are enqueued to RQ (an after-commit hook below).
- `deliver(id)` is the RQ job's body: it claims the row, sends once, records Twilio's SID.
  Temporary failures are retried with backoff, permanent ones recorded and left. A send
  whose outcome is unknown (a timeout after Twilio may have accepted it, a worker killed
  mid-send) is never repeated blindly: Twilio is searched for it first.
- `sweep()` runs periodically: it re-enqueues rows whose job is really gone (Redis
  restarted, worker killed), asking RQ first, so a backlog is not piled up with copies.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import distinct, event, exists, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from ..extensions import db
from ..i18n import DEFAULT_LANGUAGE, LANGUAGES, current_language, in_language, normalize_language
from ..i18n import gettext as _
from ..integrations.twilio import (
    OutcomeUnknown,
    PermanentFailure,
    TemporaryFailure,
    get_messenger,
)
from ..models import KnownPhone, Notification, Order, WhatsAppWindow, utcnow
from ..models.notifications import STATUS_RANK
from ..queueing import enqueue, waiting_job_ids
from .messages import REDACTED_CODE, compose, redacted_code_message
from .shop import get_settings

log = logging.getLogger(__name__)

JOB = "sweetshop.jobs.send_notification"
BACKOFF = [30, 120, 600, 1800, 3600, 7200]  # seconds between tries
WHATSAPP_WINDOW = timedelta(hours=24)
SECRET_KINDS = {"lookup_code"}  # messages whose text must not outlive their sending
SECRET_LIFETIME = timedelta(minutes=10)  # how long a one-time code works (otp.CODE_TTL)
# Not capped for numbers that are not yet known: lookup codes have their own, stricter
# limits (services/otp.py) and are how a number becomes known; owner alerts go to the owner.
UNCAPPED_KINDS = {"lookup_code", "owner_new_order", "owner_reminder", "owner_call", "owner_push"}
OWNER_KINDS = {"owner_new_order", "owner_reminder", "owner_call", "owner_push"}  # to the shop
CAP_WINDOW = timedelta(hours=24)
SWEEP_GRACE = timedelta(seconds=30)  # give the after-commit enqueue a head start
LOOKUP_MARGIN = timedelta(minutes=1)  # clocks differ: search Twilio from a little earlier
ORDER_KINDS = {
    "accepted": "order_accepted", "ready": "order_ready",
    "out_for_delivery": "order_out_for_delivery", "delivered": "order_delivered",
    "cancelled": "order_cancelled", "expired": "order_expired",
}


# --- writing intent (inside the caller's transaction) ------------------------------------

def queue_message(kind: str, to: str, *, channel: str = "sms", order: Order | None = None,
                  skip_reason: str | None = None, **extra) -> Notification:
    """Add one message to the outbox in the current transaction; enqueued after commit.

    With `skip_reason` the row records a message deliberately not sent (status 'skipped',
    the reason instead of the text; its job finds nothing to do). It is written and enqueued
    all the same, so the caller does the same work either way: a lookup code asked for a
    number without orders must not answer faster than one for a customer's number.
    """
    settings = get_settings()
    if not skip_reason:
        skip_reason = _daily_cap_reason(kind, to, order, settings)
    language = message_language(kind, order, extra.pop("language", None))
    with in_language(language):
        body, variables = compose(kind, settings.name, order, shop_phone=settings.phone,
                                  shop_address=settings.address, **extra)
    status = "queued"
    if skip_reason:
        body, variables, status = f"Not sent: {skip_reason}", {}, "skipped"
    notification = Notification(kind=kind, channel=channel, to=to, body=body, language=language,
                                variables=variables, order=order, status=status,
                                next_attempt_at=utcnow())
    db.session.add(notification)
    db.session.flush()
    db.session.info.setdefault("outbox", []).append(notification.id)
    return notification


def message_language(kind: str, order: Order | None, asked: str | None = None) -> str:
    """The language a message is written in: the owner's alerts in the shop's default, a
    customer's order messages in the language they checked out in, one the customer chose
    when asking (a back-in-stock alert), anything else (a one-time code) in the language of
    the page that asked for it."""
    if kind in OWNER_KINDS:
        return DEFAULT_LANGUAGE
    if order is not None and order.language:
        return order.language
    if asked:
        return normalize_language(asked) or DEFAULT_LANGUAGE
    return current_language()


def _daily_cap_reason(kind: str, to: str, order: Order | None, settings) -> str | None:
    """Why a message to `to` must not be sent, if it is over the cap for unknown numbers.

    Anyone can type any number at checkout, so a number that has not proved it is a
    customer's (a one-time code verified, or an order delivered: KnownPhone) hears about at
    most NOTIFY_UNKNOWN_NUMBER_DAILY_CAP orders in 24 hours. The cap counts orders, not
    messages: once a number was told about an order, every later message about that order
    goes through, so a new customer's own order is followed to the door, while a flood of
    orders made out to a stranger stops at the cap. Counted from the outbox itself, under a
    transaction-scoped advisory lock on the number, so concurrent checkouts count one after
    the other. Every caller queues its messages after taking its row locks, so this lock
    is always taken last and cannot deadlock.
    """
    cap = current_app.config["NOTIFY_UNKNOWN_NUMBER_DAILY_CAP"]
    if not cap or kind in UNCAPPED_KINDS or to in settings.owner_phone_list:
        return None
    if db.session.get(KnownPhone, to) is not None:
        return None
    db.session.execute(select(func.pg_advisory_xact_lock(func.hashtext(f"notify-number:{to}"))))
    told = (Notification.to == to, Notification.status != "skipped",
            Notification.kind.notin_(UNCAPPED_KINDS))
    if order is not None and order.id is not None and db.session.scalar(
            select(exists().where(*told, Notification.order_id == order.id))):
        return None
    orders_told = db.session.scalar(
        select(func.count(distinct(func.coalesce(Notification.order_id, -Notification.id))))
        .where(*told, Notification.created_at > utcnow() - CAP_WINDOW))
    if orders_told < cap:
        return None
    return (f"this number has not verified a code or had an order delivered, and it was told "
            f"about {orders_told} orders in the last 24 hours (the limit for new numbers)")


def remember_known_phone(phone: str, reason: str) -> None:
    """Record that `phone` belongs to a customer (it "verified" a code, was "delivered" to,
    or wrote to us on "whatsapp"), so its messages are no longer capped. In the caller's
    transaction; idempotent."""
    db.session.execute(insert(KnownPhone).values(phone=phone, reason=reason, known_since=utcnow())
                       .on_conflict_do_nothing(index_elements=["phone"]))


def queue_order_message(order: Order, kind: str, **extra) -> Notification:
    channel = "whatsapp" if order.notify_whatsapp else "sms"
    return queue_message(kind, order.phone, channel=channel, order=order, **extra)


def queue_order_placed(order: Order) -> None:
    """The customer's confirmation, one message to each owner phone, a push to each alerted
    device and the escalation until someone accepts (services/alerts.py)."""
    from .alerts import queue_owner_alerts

    queue_order_message(order, "order_placed")
    for phone in get_settings().owner_phone_list:
        queue_message("owner_new_order", phone, order=order)
    queue_owner_alerts(order)


def add_to_outbox(notification: Notification) -> Notification:
    """Add a ready-made outbox row (a push, a call, a copy) to the current transaction;
    it is enqueued after the commit, as every row queue_message writes."""
    db.session.add(notification)
    db.session.flush()
    db.session.info.setdefault("outbox", []).append(notification.id)
    return notification


def queue_status_message(order: Order, to_status: str, note: str = "") -> None:
    if to_status == "delivered":
        remember_known_phone(order.phone, "delivered")
    kind = ORDER_KINDS.get(to_status)
    if kind:
        queue_order_message(order, kind, reason=note)


@event.listens_for(Session, "after_commit")
def _enqueue_after_commit(session):
    ids = session.info.pop("outbox", None)
    for notification_id in ids or ():
        _enqueue(notification_id)


def job_id(notification_id: int) -> str:
    """One RQ job id per row, so the sweeper can ask RQ about the row's job."""
    return f"notification-{notification_id}"


def _enqueue(notification_id: int) -> bool:
    return enqueue(JOB, notification_id, queue="notifications", job_id=job_id(notification_id))


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session):
    session.info.pop("outbox", None)


# --- sending (the RQ job) ----------------------------------------------------------------

def deliver(notification_id: int) -> str:
    """Send one outbox row at most once. Idempotent: safe to run any number of times.

    Locks the row (SKIP LOCKED: another worker on it means nothing to do), claims it with
    status 'sending' in its own commit, calls out (Twilio for messages and calls, the push
    service for pushes: `CHANNELS`), then records the provider's id. When an earlier
    attempt's outcome is unknown (row found in 'sending' after the claim timeout: a worker
    killed mid-send; or `lookup_since` set by a timeout), an id already recorded by a status
    callback (its URL carries the row id) counts as sent, else the provider is searched
    before anything is sent again; if it cannot be asked, the row waits. An escalation
    step (services/alerts.py) checks, under a lock on its order taken in the claim's
    transaction, that the order still waits to be accepted: once it is accepted or
    cancelled, nothing more is claimed. Returns what happened, for logs and tests.
    """
    cfg = current_app.config
    now = utcnow()
    row = db.session.scalars(
        select(Notification).where(Notification.id == notification_id)
        .with_for_update(skip_locked=True)
    ).first()
    if row is None:
        db.session.rollback()
        return "busy"
    if row.status not in ("queued", "sending"):
        db.session.rollback()
        return "done"
    if row.status == "queued" and row.next_attempt_at > now:
        db.session.rollback()
        return "later"
    claim_timeout = timedelta(seconds=cfg["NOTIFY_CLAIM_TIMEOUT"])
    if row.status == "sending" and row.claimed_at and now - row.claimed_at < claim_timeout:
        db.session.rollback()
        return "in-flight"

    channel = CHANNELS.get(row.channel, MESSAGES)
    if row.status == "sending":  # cut off mid-send: the provider may or may not have it
        row.lookup_since = row.lookup_since or row.claimed_at or row.created_at
    if row.lookup_since is not None:
        if row.provider_sid:  # a status callback for this row came in: the provider has it
            _record_sent(row.id, row.provider_sid, row.status)
            return "recovered"
        try:
            found = channel.find(row)
        except (TemporaryFailure, PermanentFailure) as exc:
            _schedule_retry(row, exc, now)  # lookup_since stays: the next try looks again
            return "retry"
        if found is not None:
            channel.record(row.id, found)
            return "recovered"
        row.lookup_since = None  # the provider does not have it: sending is safe

    from .alerts import stop_reason  # the escalation's own rule; it imports this module

    reason = stop_reason(row)
    if reason:
        row.status, row.error_message = "skipped", reason[:500]
        db.session.commit()
        return "stopped"
    send = channel.prepare(row, now)
    row.status, row.claimed_at, row.attempts = "sending", now, row.attempts + 1
    row_id = row.id
    db.session.commit()

    try:
        sent = send()
    except OutcomeUnknown as exc:
        row = db.session.get(Notification, row_id, with_for_update=True)
        if row.status == "sending":  # else a status callback has already told us
            row.lookup_since = row.lookup_since or row.claimed_at
            _schedule_retry(row, exc, utcnow())
        else:
            db.session.commit()
        log.warning("%s %s may or may not have reached the provider (%s); it is looked up "
                    "before any new attempt", row.channel.capitalize(), row_id, exc)
        return "unknown"
    except TemporaryFailure as exc:
        row = db.session.get(Notification, row_id, with_for_update=True)
        _schedule_retry(row, exc, utcnow())
        return "retry"
    except PermanentFailure as exc:
        row = db.session.get(Notification, row_id, with_for_update=True)
        row.status, row.error_code, row.error_message = "failed", exc.code, str(exc)[:500]
        channel.failed_for_good(row, exc)
        db.session.commit()
        log.warning("%s %s failed for good: %s %s", row.channel.capitalize(), row_id,
                    exc.code, exc)
        return "failed"
    channel.record(row_id, sent)
    return "sent"


class MessageChannel:
    """SMS and WhatsApp through the Twilio adapter. Each channel gives `deliver` three
    things: `find` (the provider's record of an attempt whose outcome is unknown),
    `prepare` (last choices under the row's lock; returns the call-out, run after the
    claim's commit with plain values only) and `failed_for_good`."""

    def find(self, row: Notification):
        return get_messenger().find_sent(
            to=row.to, channel=row.channel, body=row.body, variables=dict(row.variables or {}),
            since=row.lookup_since - LOOKUP_MARGIN, skip_sids=_sids_of_other_rows(row))

    def prepare(self, row: Notification, now):
        channel, content_sid = _route(row, now)
        row.channel = channel
        row_id, to, body, variables = row.id, row.to, row.body, dict(row.variables or {})
        return lambda: get_messenger().send(
            to=to, channel=channel, body=body, content_sid=content_sid, variables=variables,
            reference=str(row_id), status_callback=_status_callback_url(row_id))

    def failed_for_good(self, row: Notification, exc: Exception) -> None:
        pass

    def record(self, row_id: int, sent) -> None:
        _record_sent(row_id, sent.sid, sent.status)


class CallChannel(MessageChannel):
    """A voice call through the Twilio adapter; Twilio fetches its words when it is
    answered (webhooks: /webhooks/twilio/voice)."""

    def find(self, row: Notification):
        return get_messenger().find_call(to=row.to, since=row.lookup_since - LOOKUP_MARGIN,
                                         skip_sids=_sids_of_other_rows(row))

    def prepare(self, row: Notification, now):
        base = current_app.config["PUBLIC_BASE_URL"]
        row_id, to = row.id, row.to
        callback = (None if get_messenger().name == "console"
                    else f"{base}/webhooks/twilio/call-status?n={row_id}")
        return lambda: get_messenger().call(
            to=to, twiml_url=f"{base}/webhooks/twilio/voice?n={row_id}",
            status_callback=callback, reference=str(row_id))

    def record(self, row_id: int, sent) -> None:
        """Record the call's SID under a share lock on its order: an accept that committed
        while Twilio was placing the call is seen here (and the call ended at once); one
        that comes later finds the SID and ends it (alerts.stop_ladder). Either way a call
        does not ring on for an order someone has taken."""
        from .alerts import order_moved_on

        moved_on = order_moved_on(row_id)
        _record_sent(row_id, sent.sid, sent.status)
        if moved_on:
            from .alerts import hang_up_calls
            hang_up_calls([sent.sid])


class PushChannel(MessageChannel):
    """A Web Push to one device (integrations/webpush.py). A push cannot be looked up, and
    need not be: sent again it replaces its earlier copy (same Topic, same tag)."""

    def find(self, row: Notification):
        return None

    def prepare(self, row: Notification, now):
        from ..integrations.webpush import Device, get_pusher

        device = row.push_subscription
        target = Device(device.endpoint, device.p256dh, device.auth)
        device.last_pushed_at = now
        payload, topic, row_id = dict(row.variables or {}), f"order-{row.order_id}", row.id
        return lambda: get_pusher().push(target, payload, topic=topic, reference=str(row_id))

    def failed_for_good(self, row: Notification, exc: Exception) -> None:
        from ..integrations.webpush import Gone

        if isinstance(exc, Gone) and row.push_subscription is not None:
            log.info("Push device %s is gone (%s): removed", row.push_subscription_id, exc)
            db.session.delete(row.push_subscription)
            row.error_message = f"{exc}; the device was removed"[:500]


MESSAGES = MessageChannel()
CHANNELS = {"sms": MESSAGES, "whatsapp": MESSAGES, "call": CallChannel(),
            "push": PushChannel()}


def _sids_of_other_rows(row: Notification) -> set[str]:
    """Twilio messages already accounted for by other rows to the same number: a search
    for this row must not take one of them for its own."""
    return set(db.session.scalars(
        select(Notification.provider_sid).where(
            Notification.to == row.to, Notification.id != row.id,
            Notification.provider_sid.is_not(None),
            Notification.created_at >= row.lookup_since - LOOKUP_MARGIN - timedelta(days=1))))


def _route(row: Notification, now) -> tuple[str, str | None]:
    """WhatsApp free text inside the customer's 24-hour window, else an approved template;
    without a template for this kind the message goes by SMS rather than not at all."""
    if row.channel != "whatsapp":
        return "sms", None
    window = db.session.get(WhatsAppWindow, row.to)
    if window is not None and now - window.last_inbound_at < WHATSAPP_WINDOW:
        return "whatsapp", None
    content_sid = current_app.config.get("TWILIO_WA_TEMPLATES", {}).get(row.kind)
    if content_sid or get_messenger().name == "console":
        return "whatsapp", content_sid
    return "sms", None


def _status_callback_url(notification_id: int) -> str | None:
    if get_messenger().name == "console":
        return None
    return f"{current_app.config['PUBLIC_BASE_URL']}/webhooks/twilio/status?n={notification_id}"


def _schedule_retry(row: Notification, exc: Exception, now) -> None:
    max_attempts = current_app.config["NOTIFY_MAX_ATTEMPTS"]
    row.error_code = getattr(exc, "code", None)
    row.error_message = str(exc)[:500]
    if row.attempts >= max_attempts:
        row.status = "failed"
    else:
        row.status = "queued"
        delay = BACKOFF[min(row.attempts, len(BACKOFF) - 1)]
        row.next_attempt_at = now + timedelta(seconds=delay)
    db.session.commit()


def _record_sent(row_id: int, sid: str, status: str) -> None:
    """Store the provider's id; the status only moves forward (a callback may have come
    first)."""
    row = db.session.get(Notification, row_id, with_for_update=True)
    row.provider_sid = row.provider_sid or sid
    row.sent_at = row.sent_at or utcnow()
    row.lookup_since = None
    _redact_secret(row)
    status = status if status in STATUS_RANK else "sent"
    if STATUS_RANK.get(status, 0) < STATUS_RANK["sent"]:
        status = "sent"  # Twilio answered: it has the message, whatever it calls it
    if STATUS_RANK.get(status, 0) > STATUS_RANK.get(row.status, 0):
        row.status = status
    row.error_code = row.error_message = None
    db.session.commit()


# --- callbacks, sweeper, owner actions -----------------------------------------------------

def record_status(sid: str, status: str, error_code: str | None = None,
                  notification_id: int | None = None) -> bool:
    """Apply a Twilio status callback. Out-of-order and repeated callbacks are harmless."""
    status = (status or "").lower()
    if status not in STATUS_RANK:
        return False
    row = db.session.scalars(
        select(Notification).where(or_(Notification.provider_sid == sid,
                                       Notification.id == (notification_id or -1)))
        .with_for_update()
    ).first()
    if row is None or (row.provider_sid and row.provider_sid != sid):
        db.session.rollback()
        return False
    row.provider_sid = sid
    row.sent_at = row.sent_at or utcnow()
    _redact_secret(row)
    if STATUS_RANK[status] > STATUS_RANK.get(row.status, 0):
        row.status = status
        if error_code:
            row.error_code = str(error_code)[:20]
            row.error_message = f"Twilio reported {status} (error {error_code})"
    db.session.commit()
    return True


def _redact_secret(row: Notification) -> None:
    """Once Twilio has a one-time code's message, the outbox keeps only its shape."""
    if row.kind in SECRET_KINDS and row.status != "skipped":
        with in_language(row.language):
            row.body, row.variables = redacted_code_message(get_settings().name)


def expire_secrets(now=None) -> int:
    """Periodic: no row keeps a one-time code past the code's lifetime. Returns how many.

    Rows still unsent (queued, or a send cut off midway) become 'expired' and are never
    sent (a late code is useless); sent or failed ones just lose the code. To keep the
    promise between two runs of the sweeper, rows are expired one sweeper interval early,
    at SECRET_LIFETIME - PERIODIC_INTERVAL (30 s by default): a code that would arrive with
    so little time left is not worth sending. Runs before `sweep`, so an expired row is not
    re-enqueued. Idempotent; two UPDATEs, one commit.
    """
    now = now or utcnow()
    early = timedelta(seconds=min(current_app.config["PERIODIC_INTERVAL"], 300))
    n = 0
    for language in LANGUAGES:  # each row keeps the shape of its own language's text
        with in_language(language):
            body, variables = redacted_code_message(get_settings().name)
        stale = (Notification.kind.in_(SECRET_KINDS), Notification.status != "skipped",
                 Notification.created_at <= now - (SECRET_LIFETIME - early),
                 Notification.language == language)
        n += db.session.execute(
            update(Notification).where(*stale, Notification.status.in_(("queued", "sending")))
            .values(status="expired", body=body, variables=variables,
                    error_message="Not sent: the code expired before it could be sent.",
                    updated_at=now)).rowcount
        n += db.session.execute(
            update(Notification).where(*stale, ~Notification.body.contains(REDACTED_CODE))
            .values(body=body, variables=variables, updated_at=now)).rowcount
    db.session.commit()
    return n


def sweep(now=None) -> int:
    """Re-enqueue outbox rows whose job is really gone. Returns how many were enqueued.

    Candidates are rows due ('queued' past their next attempt, plus a grace for the
    after-commit enqueue) and sends cut off midway ('sending' past the claim timeout). RQ
    is asked about each candidate's job (one id per row): a job still waiting in the queue,
    or started less than a claim timeout ago, is left alone, so a backlog is not piled up
    with copies. If Redis cannot be asked, nothing is enqueued (it could not be anyway).
    """
    now = now or utcnow()
    claim_timeout = timedelta(seconds=current_app.config["NOTIFY_CLAIM_TIMEOUT"])
    ids = db.session.scalars(
        select(Notification.id).where(or_(
            (Notification.status == "queued") & (Notification.next_attempt_at <= now - SWEEP_GRACE),
            (Notification.status == "sending") & (Notification.claimed_at <= now - claim_timeout),
        )).order_by(Notification.id).limit(500)
    ).all()
    db.session.rollback()
    if not ids:
        return 0
    try:
        waiting = waiting_job_ids([job_id(i) for i in ids], "notifications",
                                  started_within=claim_timeout)
    except Exception as exc:  # Redis down or paused: the next sweep tries again
        log.warning("Sweep could not ask RQ about %s messages (%s)", len(ids), exc)
        return 0
    lost = [i for i in ids if job_id(i) not in waiting]
    for notification_id in lost:
        _enqueue(notification_id)
    return len(lost)


def resend(notification_id: int, actor: str) -> Notification:
    """The owner's "Resend": a new outbox row with the same words, enqueued after commit."""
    from .errors import InvalidTransition, NotFound

    original = db.session.get(Notification, notification_id)
    if original is None:
        raise NotFound(_("That message does not exist."))
    if (original.kind in SECRET_KINDS or original.status in ("skipped", "expired")
            or original.channel in ("push", "call") or original.kind == "owner_reminder"):
        # Its words are not kept (a code), were never meant to go (a capped message), or
        # it is a step of a new order's alerts, which happens once.
        raise InvalidTransition(_("This message cannot be sent again."))
    copy = Notification(kind=original.kind, channel=original.channel, to=original.to,
                        body=original.body, variables=original.variables,
                        order_id=original.order_id, status="queued", next_attempt_at=utcnow())
    db.session.add(copy)
    db.session.flush()
    db.session.info.setdefault("outbox", []).append(copy.id)
    db.session.commit()
    log.info("%s resent message %s as %s", actor, notification_id, copy.id)
    return copy


def note_whatsapp_inbound(phone: str) -> None:
    """Open (or extend) the customer's 24-hour WhatsApp window. Commits.

    Writing to us from a number proves it as a code would (Twilio signs the webhook and
    WhatsApp verified the number), so it is known from then on."""
    remember_known_phone(phone, "whatsapp")
    db.session.execute(insert(WhatsAppWindow).values(phone=phone, last_inbound_at=utcnow())
                       .on_conflict_do_update(index_elements=["phone"],
                                              set_={"last_inbound_at": utcnow()}))
    db.session.commit()


def failed_count(since=None) -> int:
    stmt = select(db.func.count()).select_from(Notification).where(
        Notification.status.in_(("failed", "undelivered")))
    if since is not None:
        stmt = stmt.where(Notification.created_at >= since)
    return db.session.scalar(stmt) or 0


__all__ = ["queue_message", "add_to_outbox", "queue_order_message", "queue_order_placed", "queue_status_message",
           "remember_known_phone", "deliver", "sweep", "expire_secrets", "record_status",
           "resend", "note_whatsapp_inbound", "failed_count"]
