"""Webhooks from Twilio (and, later, Razorpay). Signatures are checked before anything else."""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, request

from ..extensions import csrf
from ..integrations import twilio as twilio_adapter
from ..phones import normalise_phone
from ..services import notifications, order_lookup_replies

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
csrf.exempt(bp)


def _public_url() -> str:
    """The URL Twilio signed: our public address, not what a proxy passed to us."""
    path = request.full_path.rstrip("?")
    return current_app.config["PUBLIC_BASE_URL"] + path


def _require_twilio_signature() -> None:
    signature = request.headers.get("X-Twilio-Signature", "")
    if not twilio_adapter.validate_request(_public_url(), request.form, signature):
        abort(403)


@bp.post("/twilio/status")
def twilio_status():
    _require_twilio_signature()
    sid = request.form.get("MessageSid", "")[:64]
    status = request.form.get("MessageStatus", "")[:20]
    try:
        notification_id = int(request.args.get("n", ""))
    except ValueError:
        notification_id = None
    if sid:
        notifications.record_status(sid, status, request.form.get("ErrorCode"),
                                    notification_id)
    return "", 204


@bp.post("/twilio/whatsapp")
def twilio_whatsapp():
    """A customer wrote to us on WhatsApp: reply with their latest order's status."""
    _require_twilio_signature()
    sender = request.form.get("From", "").removeprefix("whatsapp:")
    phone = normalise_phone(sender)
    if phone is None:
        text = order_lookup_replies.unknown_number_reply()
    else:
        notifications.note_whatsapp_inbound(phone)
        text = order_lookup_replies.latest_order_reply(phone)
    return Response(twilio_adapter.twiml_message(text), mimetype="application/xml")


from . import razorpay_views  # noqa: E402,F401  (registers /webhooks/razorpay on bp)
