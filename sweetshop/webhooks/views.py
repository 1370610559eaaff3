"""Webhooks from Twilio (and, later, Razorpay). Signatures are checked before anything else."""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, request

from .. import webhook_bodies
from ..extensions import csrf
from ..i18n import gettext as _
from ..integrations import twilio as twilio_adapter
from ..phones import normalise_phone
from ..services import alerts, notifications, order_lookup_replies
from ..url_converters import parse_id

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
csrf.exempt(bp)

MAX_TWILIO_BODY = 64 * 1024  # a status callback or an incoming message is well under 4 KB


def _public_url() -> str:
    """The URL Twilio signed: our public address, not what a proxy passed to us."""
    path = request.full_path.rstrip("?")
    return current_app.config["PUBLIC_BASE_URL"] + path


def _require_twilio_signature() -> None:
    webhook_bodies.read_form(MAX_TWILIO_BODY)  # bounded before anything else reads it
    signature = request.headers.get("X-Twilio-Signature", "")
    if not twilio_adapter.validate_request(_public_url(), request.form, signature):
        abort(403)


@bp.post("/twilio/status")
def twilio_status():
    _require_twilio_signature()
    sid = webhook_bodies.form_text("MessageSid", 64)
    status = webhook_bodies.form_text("MessageStatus", 20)
    error_code = webhook_bodies.form_text("ErrorCode", 20) or None
    notification_id = parse_id(request.args.get("n", ""))  # our row id, as in the URL we gave
    if sid:
        notifications.record_status(sid, status, error_code, notification_id)
    return "", 204


@bp.post("/twilio/call-status")
def twilio_call_status():
    """An alert call's progress: ringing, answered, not answered (services/alerts.py)."""
    _require_twilio_signature()
    sid = webhook_bodies.form_text("CallSid", 64)
    status = twilio_adapter.CALL_STATUSES.get(webhook_bodies.form_text("CallStatus", 20))
    notification_id = parse_id(request.args.get("n", ""))
    if sid and status:
        notifications.record_status(sid, status, None, notification_id)
    return "", 204


def _voice_urls(notification_id) -> tuple[str, str]:
    base = current_app.config["PUBLIC_BASE_URL"]
    return (f"{base}/webhooks/twilio/voice/keys?n={notification_id}",
            f"{base}/webhooks/twilio/voice?n={notification_id}")


@bp.post("/twilio/voice")
def twilio_voice():
    """An alert call was answered: what it says, and the one-key menu."""
    _require_twilio_signature()
    notification_id = parse_id(request.args.get("n", ""))
    keys_url, again_url = _voice_urls(notification_id)
    twiml = alerts.answer_call(notification_id, keys_url=keys_url, again_url=again_url)
    return Response(twiml, mimetype="application/xml")


@bp.post("/twilio/voice/keys")
def twilio_voice_keys():
    """A key pressed during an alert call: 1 accepts the order, 2 says it again."""
    _require_twilio_signature()
    notification_id = parse_id(request.args.get("n", ""))
    _, again_url = _voice_urls(notification_id)
    twiml = alerts.press_key(notification_id, webhook_bodies.form_text("Digits", 4),
                             again_url=again_url)
    return Response(twiml, mimetype="application/xml")


@bp.post("/twilio/whatsapp")
def twilio_whatsapp():
    """A customer wrote to us on WhatsApp: reply with their latest order's status."""
    _require_twilio_signature()
    sender = webhook_bodies.form_text("From", 40).removeprefix("whatsapp:")
    phone = normalise_phone(sender)
    if phone is None:
        text = order_lookup_replies.unknown_number_reply()
    else:
        notifications.note_whatsapp_inbound(phone)
        confirmed = None
        if webhook_bodies.form_text("Body", 20).strip().strip(".!").upper() in ("YES", "HAAN"):
            from ..services import cod_risk
            confirmed = cod_risk.confirm_latest_by_phone(phone)
        text = (_("Thank you! Order #%(number)s is confirmed; we start preparing it.",
                   number=confirmed.number)
                if confirmed else order_lookup_replies.latest_order_reply(phone))
    return Response(twilio_adapter.twiml_message(text), mimetype="application/xml")


from . import razorpay_views  # noqa: E402,F401  (registers /webhooks/razorpay on bp)
