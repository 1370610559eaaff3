"""Webhooks from Twilio (and, later, Razorpay). Signatures are checked before anything else."""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, request

from .. import webhook_bodies
from ..extensions import csrf
from ..integrations import twilio as twilio_adapter
from ..phones import normalise_phone
from ..services import notifications, order_lookup_replies
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
        text = (f"Thank you! Order #{confirmed.number} is confirmed; we start preparing it."
                if confirmed else order_lookup_replies.latest_order_reply(phone))
    return Response(twilio_adapter.twiml_message(text), mimetype="application/xml")


from . import razorpay_views  # noqa: E402,F401  (registers /webhooks/razorpay on bp)
