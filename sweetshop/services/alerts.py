"""Owner alerts: a push to every alerted device for each new order, then, while nobody
accepts it, a reminder (WhatsApp/SMS and push) and phone calls to each alert phone in turn.

Every alert is an outbox row (services/notifications.py), so it is written in a
transaction with its cause, sent once by an RQ job that claims it first, retried on
temporary errors and re-enqueued by the sweeper if Redis lost it.

- `queue_owner_alerts(order)` runs in the order's transaction (from queue_order_placed):
  the pushes, and the order's ladder (OrderAlert) with its first step's time. With
  auto-accept on (and within its hours) the order is accepted there and then, and the
  alerts only inform.
- `tick()` (periodic) takes each due step: under a share lock on the order and the
  ladder row's own lock it writes the step's outbox rows and moves the ladder on, in one
  commit, so two ticks never take one step twice.
- `stop_ladder(...)` runs in every transaction that moves an order out of 'placed'
  (orders.change_status: the Accept button, the push's Accept, the phone keypad, a cancel).
- `stop_reason(row)` is asked by `deliver` before it claims an escalation row: once the
  order is accepted or cancelled nothing more is claimed. The order is locked FOR SHARE in
  the claim's transaction, so an accept either commits first (and the row is skipped) or
  waits for the claim; a call claimed just before an accept says so when answered
  (`call_words`), and the accept ends it at Twilio (`hang_up_calls`).

Hours: reminders and calls go only while the shop takes orders (`alerts_allowed`), unless
the owner allows night alerts; a step that falls outside waits, checked again every few
minutes. The first push always goes, as the owner's new-order SMS does.
"""
from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select, update

from ..extensions import db
from ..formatting import KOLKATA, format_rupees
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..models import AdminUser, Notification, Order, OrderStatus, utcnow
from ..models.alerts import OrderAlert, PushSubscription
from ..models.orders import OrderStatusChange
from ..phones import display_phone
from .errors import InvalidInput, InvalidTransition, NotFound
from .notifications import add_to_outbox, queue_message, queue_status_message
from .shop import get_settings

log = logging.getLogger(__name__)

S = OrderStatus
PUSH_KIND, REMINDER_KIND, CALL_KIND = "owner_push", "owner_reminder", "owner_call"
STEP_KINDS = {REMINDER_KIND, CALL_KIND}       # stopped once the order is accepted
ALERT_KINDS = {"owner_new_order", PUSH_KIND, REMINDER_KIND, CALL_KIND}
FIRST_CALL_STEP = 2                            # step 1 is the reminder; 2 + i calls phone i
HOURS_RECHECK = timedelta(minutes=5)
ACCEPT_TOKEN_AGE = 24 * 3600                   # seconds a push's Accept stays usable
MAX_DEVICES_PER_USER = 10
LANGUAGES = {"en": "en-IN", "hi": "hi-IN"}
MAX_MINUTES = 240


# --- the alerts of a new order (in the order's transaction) --------------------------------

def queue_owner_alerts(order: Order) -> None:
    """Pushes to every device of every active admin user, and the order's ladder (or, with
    auto-accept, the order accepted at once). No commit: the caller's transaction."""
    settings = get_settings()
    now = utcnow()
    auto = order.status is S.PLACED and auto_accept_applies(settings, now)
    if auto:
        order.status = S.ACCEPTED
        db.session.add(OrderStatusChange(order=order, from_status=S.PLACED, to_status=S.ACCEPTED,
                                         actor="auto-accept", note=_("Accepted automatically")))
        queue_status_message(order, S.ACCEPTED.value)
    for device in _alerted_devices():
        _queue_push(order, device, PUSH_KIND, accepted=auto)
    if order.status is not S.PLACED or db.session.get(OrderAlert, order.id) is not None:
        return
    first = _next_step(settings, order, 0, now)
    if first is not None:
        db.session.add(OrderAlert(order_id=order.id, step=first[0], next_at=first[1]))


def auto_accept_applies(settings, now: datetime) -> bool:
    """Auto-accept is on and now (Asia/Kolkata) is within its hours (none set: all day;
    an overnight span such as 22:00-06:00 is allowed)."""
    if not settings.auto_accept:
        return False
    start, end = settings.auto_accept_from, settings.auto_accept_until
    if start is None or end is None or start == end:
        return True
    local = now.astimezone(KOLKATA).time()
    return start <= local < end if start < end else (local >= start or local < end)


def alerts_allowed(settings, now: datetime) -> bool:
    """Whether reminders and calls may go now: while the shop is taking orders and within
    its opening hours (issue 11's weekly hours; unset, the switch alone decides); night
    alerts allow them at any time."""
    from .slots import local_now, open_now

    if settings.alert_at_night:
        return True
    return bool(settings.is_open) and open_now(settings, local_now(now))


def _alerted_devices() -> list[PushSubscription]:
    return list(db.session.scalars(
        select(PushSubscription).join(AdminUser).where(AdminUser.active.is_(True))
        .order_by(PushSubscription.id)))


def _queue_push(order: Order, device: PushSubscription, kind: str, *,
                accepted: bool = False) -> Notification:
    payload = push_payload(order, device.user_id, reminder=kind == REMINDER_KIND,
                           accepted=accepted)
    return add_to_outbox(Notification(
        kind=kind, channel="push", to=f"push:{device.id}", push_subscription=device,
        body=f"{payload['title']} · {payload['body']}"[:500], variables=payload,
        order=order, status="queued", next_attempt_at=utcnow()))


def push_payload(order: Order, user_id: int, *, reminder: bool = False,
                 accepted: bool = False) -> dict:
    """What the service worker shows: "New order #1234 · ₹770 · Delivery 4–6 pm", opening
    the order when tapped, with an Accept action carrying a token for this user and order
    (the push is encrypted for the device, so only it can read the token)."""
    base = current_app.config["PUBLIC_BASE_URL"]
    when = delivery_when(order)
    title = (_("Waiting: order #%(n)s · %(total)s", n=order.number,
               total=format_rupees(order.total_paise)) if reminder
             else _("New order #%(n)s · %(total)s", n=order.number,
                    total=format_rupees(order.total_paise)))
    if when:
        title += " · " + when
    body = _("Accepted automatically.") if accepted else _("Tap to open, or accept it here.")
    payload = {"title": title, "body": body, "url": f"{base}/admin/orders/{order.id}",
               "tag": f"order-{order.id}", "renotify": reminder}
    if not accepted:
        payload["accept_url"] = f"{base}/admin/alerts/orders/{order.id}/accept"
        payload["accept_token"] = accept_token(order.id, user_id)
    return payload


def delivery_when(order: Order) -> str:
    """The time to announce: "Delivery on Sat 31 Oct, 4–6 pm", "Pickup as soon as
    possible" (services/slots.when_text, as on every page and message); nothing for an "as
    soon as possible" delivery, which every order was before slots."""
    from .slots import when_text

    if order.slot_starts_at is None and order.fulfilment != "pickup":
        return ""
    return when_text(order)


# --- the ladder ----------------------------------------------------------------------------

def _next_step(settings, order: Order, after: int, now: datetime):
    """(step, when) of the step after `after`, or None when the ladder is done."""
    phones = settings.owner_phone_list
    start = order.created_at or now
    if after < 1 and settings.alert_reminder_minutes > 0:
        return 1, start + timedelta(minutes=settings.alert_reminder_minutes)
    if settings.alert_call_minutes <= 0:
        return None
    call = max(after + 1, FIRST_CALL_STEP)
    if call - FIRST_CALL_STEP >= len(phones):
        return None
    if call == FIRST_CALL_STEP:
        return call, max(start + timedelta(minutes=settings.alert_call_minutes), now)
    gap = timedelta(minutes=current_app.config["ALERT_CALL_GAP_MINUTES"])
    return call, now + gap


def tick(now: datetime | None = None) -> int:
    """Periodic: take every due step of every ladder. Returns how many steps were taken.

    Each ladder in its own transaction: the order FOR SHARE (SKIP LOCKED: an accept or a
    payment holding it is left for the next tick), then the ladder row FOR UPDATE SKIP
    LOCKED (another tick on it is left alone), then the step's outbox rows and the next
    step, committed together (the rows are enqueued after the commit). Idempotent."""
    now = now or utcnow()
    due = db.session.scalars(
        select(OrderAlert.order_id).where(OrderAlert.stopped_at.is_(None),
                                          OrderAlert.next_at <= now)
        .order_by(OrderAlert.next_at).limit(200)).all()
    db.session.rollback()
    return sum(_take_step(order_id, now) for order_id in due)


def _take_step(order_id: int, now: datetime) -> int:
    order = db.session.scalars(
        select(Order).where(Order.id == order_id)
        .with_for_update(read=True, skip_locked=True)
        .execution_options(populate_existing=True)).first()
    ladder = order and db.session.scalars(
        select(OrderAlert).where(OrderAlert.order_id == order_id)
        .with_for_update(skip_locked=True).execution_options(populate_existing=True)).first()
    if ladder is None or ladder.stopped_at is not None or ladder.next_at > now:
        db.session.rollback()
        return 0
    if order.status is not S.PLACED:  # moved on without stop_ladder (should not happen)
        ladder.stopped_at, ladder.stopped_reason = now, f"order {order.status.value}"
        db.session.commit()
        return 0
    settings = get_settings()
    if not alerts_allowed(settings, now):
        ladder.next_at = now + HOURS_RECHECK
        db.session.commit()
        return 0
    step = ladder.step
    phones = settings.owner_phone_list
    if step == 1:
        for phone in phones:
            queue_message(REMINDER_KIND, phone, order=order)
        for device in _alerted_devices():
            _queue_push(order, device, REMINDER_KIND)
    elif step - FIRST_CALL_STEP < len(phones):
        phone = phones[step - FIRST_CALL_STEP]
        add_to_outbox(Notification(
            kind=CALL_KIND, channel="call", to=phone, order=order, status="queued",
            body=call_words(order, settings.alert_language), variables={},
            next_attempt_at=now))
    following = _next_step(settings, order, step, now)
    if following is None:
        ladder.stopped_at, ladder.stopped_reason = now, "every step taken"
    else:
        ladder.step, ladder.next_at = following
    db.session.commit()
    log.info("Order %s: alert step %s taken", order_id, step)
    return 1


def stop_ladder(order: Order, actor: str, to_status: OrderStatus) -> list[str]:
    """The order leaves 'placed': no further step is taken. In the caller's transaction,
    which holds the order's lock. Returns the SIDs of calls already placed for the order
    and not finished, to end them after the commit (`hang_up_calls`)."""
    now = utcnow()
    reason = ("accepted" if to_status is S.ACCEPTED else to_status.value) + f" by {actor}"
    db.session.execute(
        update(OrderAlert).where(OrderAlert.order_id == order.id,
                                 OrderAlert.stopped_at.is_(None))
        .values(stopped_at=now, stopped_reason=reason[:200]))
    return list(db.session.scalars(
        select(Notification.provider_sid).where(
            Notification.order_id == order.id, Notification.kind == CALL_KIND,
            Notification.status.in_(("sending", "sent")),
            Notification.provider_sid.is_not(None))))


def hang_up_calls(sids: list[str]) -> None:
    """End calls that are ringing for an order just accepted. Best effort: a call that
    rings on is answered with "already accepted" (`call_words`)."""
    from ..integrations.twilio import MessagingError, get_messenger

    for sid in sids:
        try:
            get_messenger().hang_up(sid)
        except MessagingError as exc:
            log.info("Could not end call %s (%s)", sid, exc)


def stop_reason(row: Notification) -> str | None:
    """Why an escalation row must not be claimed now (None: go ahead). Locks the order FOR
    SHARE in the claim's transaction. A push whose device is gone is not sent either."""
    if row.channel == "push" and row.push_subscription_id is None:
        return "Not sent: the device was removed."
    if row.kind not in STEP_KINDS or row.order_id is None:
        return None
    order = db.session.scalars(
        select(Order).where(Order.id == row.order_id).with_for_update(read=True)
        .execution_options(populate_existing=True)).first()
    if order is None or order.status is S.PLACED:
        return None
    return f"Not sent: the order was {order.status.label.lower()} first."


def order_moved_on(notification_id: int) -> bool:
    """Whether the order of this outbox row is no longer waiting to be accepted. Locks
    the order FOR SHARE in the current transaction (the caller commits)."""
    order_id = db.session.scalar(select(Notification.order_id).where(
        Notification.id == notification_id))
    if order_id is None:
        return False
    status = db.session.scalar(select(Order.status).where(Order.id == order_id)
                               .with_for_update(read=True))
    return status is not S.PLACED


# --- the phone call ------------------------------------------------------------------------

def _spoken_amount(paise: int, language: str) -> str:
    rupees, rest = divmod(int(paise), 100)
    if language == "hi":
        return f"{rupees} रुपये" + (f" {rest} पैसे" if rest else "")
    return f"{rupees} rupees" + (f" {rest} paise" if rest else "")


def call_words(order: Order, language: str = "en") -> str:
    """What the call says, in English or Hindi (Twilio speaks it; digits read as numbers)."""
    amount = _spoken_amount(order.total_paise, language)
    when = delivery_when(order)
    if language == "hi":
        return (f"नया ऑर्डर {order.number}, {amount}"
                + (f", {when}" if when else "")
                + "। स्वीकार करने के लिए 1 दबाइए, दोबारा सुनने के लिए 2 दबाइए।")
    return (f"New order {order.number}, {amount}"
            + (f", {when}" if when else "")
            + ". Press 1 to accept, 2 to hear it again.")


def _words(language: str) -> dict:
    if language == "hi":
        return {"already": "यह ऑर्डर पहले ही {status} हो चुका है। धन्यवाद।",
                "accepted": "ऑर्डर {n} स्वीकार हो गया। धन्यवाद।", "bye": "धन्यवाद।"}
    return {"already": "This order is already {status}. Thank you.",
            "accepted": "Order {n} is accepted. Thank you.", "bye": "Goodbye."}


def _call_row(notification_id: int | None) -> Notification:
    row = db.session.get(Notification, notification_id) if notification_id else None
    if row is None or row.kind != CALL_KIND or row.order is None:
        raise NotFound("No such call.")
    return row


def answer_call(notification_id: int | None, *, keys_url: str, again_url: str) -> str:
    """TwiML for an answered alert call: the order's words and a one-key menu, or, if the
    order moved on since the call was placed, what it is now."""
    from ..integrations.twilio import twiml_gather, twiml_say

    row = _call_row(notification_id)
    language = get_settings().alert_language
    spoken = LANGUAGES.get(language, "en-IN")
    if row.order.status is not S.PLACED:
        return twiml_say(_words(language)["already"].format(
            status=row.order.status.label.lower()), language=spoken)
    return twiml_gather(call_words(row.order, language), language=spoken, action=keys_url,
                        goodbye=_words(language)["bye"])


def press_key(notification_id: int | None, digits: str, *, again_url: str) -> str:
    """The owner pressed a key during an alert call: 1 accepts the order (the same checks
    as the Accept button: orders.change_status, expected to be 'placed'), 2 repeats."""
    from ..integrations.twilio import twiml_say
    from .orders import change_status

    row = _call_row(notification_id)
    language = get_settings().alert_language
    spoken, words = LANGUAGES.get(language, "en-IN"), _words(language)
    digits = (digits or "").strip()[:1]
    if digits == "2":
        return twiml_say("", language=spoken, redirect=again_url)
    if digits != "1":
        return twiml_say(words["bye"], language=spoken)
    order_id, number, phone = row.order_id, row.order.number, row.to
    try:
        change_status(order_id, S.ACCEPTED, f"phone keypad ({display_phone(phone)})",
                      expected_from=S.PLACED)
    except InvalidTransition:
        order = db.session.get(Order, order_id)
        return twiml_say(words["already"].format(status=order.status.label.lower()),
                         language=spoken)
    return twiml_say(words["accepted"].format(n=number), language=spoken)


# --- devices -------------------------------------------------------------------------------

_UA = [(r"Edg/", "Edge"), (r"SamsungBrowser/", "Samsung Internet"), (r"Firefox/", "Firefox"),
       (r"Chrome/|Chromium/|CriOS/", "Chrome"), (r"Safari/", "Safari")]
_OS = [(r"Android", "Android"), (r"iPhone|iPad|iOS", "iPhone"), (r"Windows", "Windows"),
       (r"Mac OS X|Macintosh", "Mac"), (r"CrOS", "ChromeOS"), (r"Linux", "Linux")]


def device_label(user_agent: str) -> str:
    """'Chrome on Android' from a User-Agent header, for the list of alerted devices."""
    ua = user_agent or ""
    browser = next((name for pattern, name in _UA if re.search(pattern, ua)), "Browser")
    system = next((name for pattern, name in _OS if re.search(pattern, ua)), "")
    return f"{browser} on {system}" if system else browser


def _key(text: str | None, *, raw_length: int, field: str) -> str:
    import base64

    text = (text or "").strip()
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError:
        raw = b""
    if len(raw) != raw_length or not re.fullmatch(r"[A-Za-z0-9_-]+=*", text):
        raise InvalidInput(_("This browser sent a subscription we cannot use."), field=field)
    return text


def subscribe(user_id: int, endpoint: str, p256dh: str, auth: str,
              user_agent: str = "") -> PushSubscription:
    """Store (or refresh) this browser's subscription for `user_id`. Commits.

    The endpoint must be an https URL (a push service's); the keys the sizes RFC 8291
    says (a P-256 point, a 16-byte secret). A browser that subscribed before, for this or
    another user, is moved to this user: one device, one owner."""
    endpoint = (endpoint or "").strip()
    local = current_app.config.get("TESTING") or current_app.debug
    if (len(endpoint) > 1000 or not re.fullmatch(r"https://[^\s/]+/\S*", endpoint)
            and not (local and endpoint.startswith("http://127.0.0.1:"))):
        raise InvalidInput(_("This browser sent a subscription we cannot use."), field="endpoint")
    p256dh = _key(p256dh, raw_length=65, field="p256dh")
    auth = _key(auth, raw_length=16, field="auth")
    device = db.session.scalars(select(PushSubscription).where(
        PushSubscription.endpoint == endpoint).with_for_update()).first()
    if device is None:
        count = db.session.scalar(select(db.func.count()).select_from(PushSubscription)
                                  .where(PushSubscription.user_id == user_id))
        if count >= MAX_DEVICES_PER_USER:
            db.session.rollback()
            raise InvalidInput(_("Up to %(n)s devices can get alerts; please stop alerts on one "
                                 "you no longer use.", n=MAX_DEVICES_PER_USER))
        device = PushSubscription(endpoint=endpoint)
        db.session.add(device)
    device.user_id, device.p256dh, device.auth = user_id, p256dh, auth
    device.label = device_label(user_agent)[:80]
    db.session.commit()
    return device


def devices_of(user_id: int) -> list[PushSubscription]:
    return list(db.session.scalars(select(PushSubscription).where(
        PushSubscription.user_id == user_id).order_by(PushSubscription.id)))


def stop_alerts(user_id: int, device_id: int) -> None:
    """"Stop alerts" on one of the user's devices. Commits. Raises NotFound."""
    device = db.session.get(PushSubscription, device_id)
    if device is None or device.user_id != user_id:
        db.session.rollback()
        raise NotFound(_("That device is not getting alerts."))
    db.session.delete(device)
    db.session.commit()


# --- the push's Accept ---------------------------------------------------------------------

def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="push-accept")


def accept_token(order_id: int, user_id: int) -> str:
    return _serializer().dumps({"o": order_id, "u": user_id})


def accept_from_push(order_id: int, token: str, user: AdminUser) -> Order:
    """The push's Accept: the token must be this order's and this signed-in user's (it
    stands in for the CSRF token a page would carry), then the same checks as the Accept
    button (orders.change_status, expected to be 'placed'). Raises InvalidInput,
    InvalidTransition."""
    from .orders import change_status

    try:
        data = _serializer().loads(token or "", max_age=ACCEPT_TOKEN_AGE)
    except BadSignature:
        raise InvalidInput(_("This alert has expired; open the order to accept it.")) from None
    if data != {"o": order_id, "u": user.id}:
        raise InvalidInput(_("This alert was not for you; open the order to accept it."))
    return change_status(order_id, S.ACCEPTED, f"{user.email} (from an alert)",
                         expected_from=S.PLACED)


# --- settings and the timeline ---------------------------------------------------------------

def update_alert_settings(*, reminder_minutes: int, call_minutes: int, language: str,
                          at_night: bool, auto_accept: bool, auto_accept_from=None,
                          auto_accept_until=None):
    """Save the escalation settings. Commits; InvalidInput names the field at fault."""
    for field, value in (("alert_reminder_minutes", reminder_minutes),
                         ("alert_call_minutes", call_minutes)):
        if not isinstance(value, int) or not 0 <= value <= MAX_MINUTES:
            raise InvalidInput(_("Please give between 0 and %(most)s minutes.", most=MAX_MINUTES),
                               field=field)
    if call_minutes and reminder_minutes and call_minutes <= reminder_minutes:
        raise InvalidInput(_("The call comes after the reminder: give more minutes than for "
                             "the reminder."), field="alert_call_minutes")
    if language not in LANGUAGES:
        raise InvalidInput(_("Please choose English or Hindi."), field="alert_language")
    if auto_accept and (auto_accept_from is None) != (auto_accept_until is None):
        raise InvalidInput(_("Please give both times, or neither for all day."),
                           field="auto_accept_until")
    settings = get_settings()
    settings.alert_reminder_minutes, settings.alert_call_minutes = reminder_minutes, call_minutes
    settings.alert_language, settings.alert_at_night = language, bool(at_night)
    settings.auto_accept = bool(auto_accept)
    settings.auto_accept_from, settings.auto_accept_until = auto_accept_from, auto_accept_until
    db.session.commit()
    return settings


STATUS_WORDS = {
    "push": {"queued": _l("to push"), "sending": _l("pushing"), "sent": _l("pushed"),
             "delivered": _l("pushed"), "failed": _l("push failed"),
             "skipped": _l("not pushed")},
    "call": {"queued": _l("to call"), "sending": _l("calling"), "sent": _l("called (ringing)"),
             "delivered": _l("answered"), "undelivered": _l("not answered"),
             "failed": _l("call failed"), "skipped": _l("not called")},
}


def timeline(order: Order) -> list[dict]:
    """Each alert of the order, oldest first: what (pushed, reminded, called, answered),
    to whom, when, and how it ended; then how the ladder stopped, and by whom."""
    entries = []
    for row in order.notifications:
        if row.kind not in ALERT_KINDS:
            continue
        if row.channel == "push":
            device = row.push_subscription
            who = (f"{device.label} ({device.user.email})" if device is not None
                   else _("a removed device"))
        else:
            who = display_phone(row.to)
        what = {"owner_new_order": _("New-order message"), PUSH_KIND: _("Push"),
                REMINDER_KIND: _("Reminder"), CALL_KIND: _("Phone call")}[row.kind]
        words = STATUS_WORDS.get(row.channel, {})
        outcome = words.get(row.status, row.status)
        if row.kind == CALL_KIND and any(change.actor == f"phone keypad ({who})"
                                         for change in order.history):
            outcome = _("answered, pressed 1: accepted")
        entries.append({"at": row.created_at, "what": what, "to": who,
                        "status": row.status, "outcome": outcome,
                        "note": row.error_message if row.status in ("skipped", "failed")
                        else ""})
    ladder = order.alert
    if ladder is not None and ladder.stopped_at is not None:
        entries.append({"at": ladder.stopped_at, "what": _("Alerts stopped"), "to": "",
                        "status": "stopped", "outcome": ladder.stopped_reason, "note": ""})
    elif ladder is not None:
        what = _("Next: reminder") if ladder.step == 1 else _("Next: phone call")
        entries.append({"at": ladder.next_at, "what": what, "to": "",
                        "status": "queued", "outcome": _("if nobody accepts"), "note": ""})
    return entries
